"""The water thermistors against physics every running heat pump obeys, before its own model exists.

A flow thermistor (t_flow) or a return thermistor (t_return) that drifts during commissioning is
learned as healthy by no model yet: the prior (prior.py) must judge it. Its bands on delta-T alone
catch only a drift large enough to turn delta-T negative, and a t_flow reading low meanwhile raises
the condenser approach and lowers the COP as scale would. What no make escapes, on the hours-long
averages of steady running the prior keeps (TARGET_NAMES order; the condensing and evaporating
temperatures are the pressures' saturation temperatures, read as t_cond - cond_sat_gap and
t_evap - evap_sat_gap, so an average of a refrigerant table's values, not the table of an average):

* the water is heated by condensing refrigerant, so it leaves no warmer than the condensing
  temperature (the desuperheating vapour's few tenths aside): ``flow_over_condensing`` =
  t_flow - Tsat(p_high) is at most 0;
* the compressor's work reaches the water (less its shell losses) together with what the outdoor
  coil takes from the air, so the water gains at least COP_MIN times the unit's electrical input:
  delta-T >= COP_MIN x power / (flow x cp); ``heat_deficit`` = that floor - delta-T is at most 0;
* no cycle beats Carnot's between its condensing and evaporating temperatures, and no real one
  comes within ETA_MAX of it: delta-T <= ETA_MAX x Carnot x power / (flow x cp);
  ``heat_excess`` = delta-T - that ceiling is at most 0;
* the return water enters at least the floor's delta-T below the flow, so below the condensing
  temperature: ``return_over_condensing`` = t_return - (Tsat(p_high) - floor) is at most 0.

A breach of the first names its thermistor (reading high; or the high-pressure transducer reading
low, which its own cond_sat_gap tells); of the last, its thermistor too once delta-T is negative (a
flow meter reading a sixth of the flow raises the floor past the return's distance under condensing,
but cannot turn delta-T's sign: the rule asks both). The heat balance's two say that delta-T is
wrong, not which end: the floor is breached by t_flow reading low or t_return reading high (or a
flow meter reading low), the ceiling by the reverse; the condenser tells the ends apart
(water_witness.py). Each level is 0 inside its bound and 1 at TOL_K beyond it, the two water
thermistors' accuracy together.
"""

from __future__ import annotations

import numpy as np

from heatwatch.channels import WATER_KW_PER_LPM_K
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES

# the rules' channels (heatwatch.channels.INDICATOR_NAMES), in the order levels() returns them
NAMES = ("flow_over_condensing", "return_over_condensing", "heat_deficit", "heat_excess")
# the least heat a running pump gives its water per unit of the unit's electrical input: its
# compressor's input less shell losses (<= 10 %), the fan, controls and circulator (<= 20 % of a
# running unit's input), and the outdoor coil's heat on top (> 0 while the coil is colder than the air)
COP_MIN = 0.7
# the best share of Carnot's COP a real cycle reaches (compressor isentropic efficiency <= 0.75 and
# the cycle's throttling and superheat losses): healthy pumps run at 0.3-0.55 of it
ETA_MAX = 0.75
K0 = 273.15
MIN_LIFT_K = 5.0  # Carnot's COP is not read across a smaller lift (a pump at standstill equalizes)
MIN_POWER_W = 300.0  # the heat balance is not read below this input (standby, circulator alone)
MIN_FLOW_LPM = 1.0
TOL_K = 1.0  # kelvins beyond a bound for a level of 1
_I = {n: TARGET_NAMES.index(n) for n in ("t_cond", "cond_sat_gap", "cond_approach", "t_return", "t_evap",
                                         "evap_sat_gap", "delta_t", "power_w", "flow_lpm")}


def excess(observed: np.ndarray) -> np.ndarray:
    """Averaged observed targets (..., n_targets) -> each bound's excess in K (..., len(NAMES)):
    how far beyond it the averages stand (negative inside), NaN where a reading it needs is
    missing or (the heat balance) the pump draws too little or moves no water."""
    O = np.asarray(observed, dtype=float)
    t_cond, gap = O[..., _I["t_cond"]], O[..., _I["cond_sat_gap"]]
    t_sat_high = t_cond - gap
    t_flow = t_cond - O[..., _I["cond_approach"]]
    t_sat_low = O[..., _I["t_evap"]] - O[..., _I["evap_sat_gap"]]
    dt, power, flow = O[..., _I["delta_t"]], O[..., _I["power_w"]], O[..., _I["flow_lpm"]]
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = (power >= MIN_POWER_W) & (flow >= MIN_FLOW_LPM)
        per_cop = np.where(ok, power / 1000.0 / (WATER_KW_PER_LPM_K * flow), np.nan)  # K of delta-T per unit COP
        lift = t_sat_high - t_sat_low
        carnot = np.where(lift >= MIN_LIFT_K, (t_sat_high + K0) / lift, np.nan)
        floor = COP_MIN * per_cop
        out = np.stack([
            t_flow - t_sat_high,
            O[..., _I["t_return"]] - (t_sat_high - floor),
            floor - dt,
            dt - ETA_MAX * carnot * per_cop,
        ], axis=-1)
    return out


def levels(observed: np.ndarray) -> np.ndarray:
    """``excess`` as levels: 0 inside a bound, excess / TOL_K beyond it (NaN where unknown)."""
    e = excess(observed)
    return np.where(np.isnan(e), np.nan, np.maximum(e, 0.0) / TOL_K)
