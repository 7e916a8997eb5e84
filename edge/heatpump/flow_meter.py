"""Does the flow meter lie, or has the water flow really changed? The heat per unit of input decides.

The heat the condenser gives the water is set by the refrigerant side (the compressor's input and
what the evaporator takes from the air), not by the water: a real loss of flow to r times the
learned flow carries the same heat at 1/r times the delta-T, so the heat computed from the meter
(flow x cp x delta-T, hence the COP the pump reports) stays as learned, while the condensing
temperature and the discharge rise with the warmer water. A flow meter reading r times the true flow
leaves delta-T, the pressures and the thermistors true, and scales the computed heat, and the COP,
by r. So, once the pump's own model (or its fleet's) tells the learned flow, delta-T and COP at this
operating point, two explanations of a flow reading that moved to r = observed / learned predict them:

* the flow really changed: delta-T dT_e / r, the COP as learned (cop_e);
* the meter reads r times off: delta-T as learned (dT_e), the COP r x cop_e.

Each channel says how much better the meter explains it than a real change of flow, in units of its
own alarm level (the level its shift is judged against): for delta-T (|dT_o - dT_e / r| - |dT_o -
dT_e|) / scale, for the COP (|cop_o - cop_e| - |cop_o - r cop_e|) / scale. ``flow_meter_low`` (r < 1)
and ``flow_meter_high`` (r > 1) are their sum. The two read the same readings through different
learned relations and scatter (delta-T follows the load, the COP is the heat per unit of input, which
load and weather move less): on the tuning pumps each of them led on some pumps and lagged on others
(docs/heatpump.md). At r near 1 both explanations predict the same and the level is near 0; a real
loss, delta-T rising and the COP kept, gives a negative level; a lying meter a positive one. Other
faults lower the COP (wear, fouling) but do not move the flow reading: r stays 1 and they add nothing.

Plain element-wise arithmetic on the averaged observed targets, their shifts and the levels they are
judged against, so a replay's rows (many at once) and the agent's one row give the same digits.
"""

from __future__ import annotations

import numpy as np

from heatwatch.channels import WATER_KW_PER_LPM_K
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES

# the rules' channels (heatwatch.channels.INDICATOR_NAMES), in the order levels() returns them
NAMES = ("flow_meter_low", "flow_meter_high")
_COP, _DT, _FLOW = (TARGET_NAMES.index(n) for n in ("cop", "delta_t", "flow_lpm"))


def levels(observed: np.ndarray, residual: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows (n, n_targets) of averaged observed targets, their persistent shifts (observed - learned)
    and the levels they are judged against -> (levels (n, 2): ``NAMES``' levels, NaN where delta-T or
    the flow is unknown or no water flows; delta-T's test alone where the COP is unknown; implied (n,):
    the flow (l/min) at which the meter's heat would be as learned, the flow a lying meter hides)."""
    cop_o, r_cop, s_cop = observed[:, _COP], residual[:, _COP], scale[:, _COP]
    dt_o, r_dt, s_dt = observed[:, _DT], residual[:, _DT], scale[:, _DT]
    flow_o, r_flow = observed[:, _FLOW], residual[:, _FLOW]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        flow_e, cop_e, dt_e = flow_o - r_flow, cop_o - r_cop, dt_o - r_dt
        ok = (flow_e > 0.0) & (flow_o > 0.0) & (s_dt > 0.0) & (dt_e == dt_e) & (dt_o == dt_o)
        # the COP needs the unit's input (power_w): a pump that does not report it has delta-T's test alone
        with_cop = (cop_e > 0.0) & (cop_o > 0.0) & (s_cop > 0.0)
        rel = flow_o / flow_e
        # the meter's fit over a real change of flow, in each channel's alarm units, added
        better = (np.abs(dt_o - dt_e / rel) - np.abs(r_dt)) / s_dt \
            + np.where(with_cop, (np.abs(r_cop) - np.abs(cop_o - rel * cop_e)) / s_cop, 0.0)
        low = np.where(ok, np.where(rel < 1.0, better, 0.0), np.nan)
        high = np.where(ok, np.where(rel > 1.0, better, 0.0), np.nan)
        # the flow at which the heat would be as learned: per unit of input, else at the learned delta-T's load
        implied = np.where(ok, np.where(with_cop, flow_o * cop_e / cop_o, flow_e * dt_e / dt_o), np.nan)
    return np.stack([low, high], axis=-1), implied



# Before the pump's own model: no learned COP to read the meter against, only the physics bound on it.
# A real flow carries the heat the refrigerant side gives it: its COP (heat from the meter per unit of
# input) is at least ETA_FLOOR of Carnot's between the condensing and evaporating temperatures (healthy
# pumps run at 0.3-0.55 of it; a real loss of flow raises the condensing temperature, which Carnot's
# COP reads, not the share). A meter reading k times the true flow scales that COP by k: read below the
# floor, no real flow explains it. Only read where the design band would call the flow low.
ETA_FLOOR = 0.25
_T_COND, _COND_GAP, _T_EVAP, _EVAP_GAP, _POWER = (
    TARGET_NAMES.index(n) for n in ("t_cond", "cond_sat_gap", "t_evap", "evap_sat_gap", "power_w"))
_K0 = 273.15
_MIN_LIFT_K = 5.0  # Carnot's COP is not read across a smaller lift
_MIN_POWER_W = 300.0  # nor the heat per input below this input (standby, circulator alone)


def prior_levels(observed: np.ndarray, flow_low: float) -> tuple[np.ndarray, np.ndarray]:
    """Averaged observed targets (n, n_targets) and the design band's low edge (l/min) -> (level (n,):
    ``flow_meter_low`` before the model: the least delta-T a real flow at the meter's reading carries,
    over delta-T (>= 1: no real flow explains it), 0 where the flow reads inside the design band, NaN
    where a reading it needs is missing, delta-T is not positive or the input or lift too small;
    implied (n,): the least flow that carries the floor's heat at the delta-T read, the least the
    water really flows if the meter lies)."""
    O = np.asarray(observed, dtype=float)
    t_high = O[:, _T_COND] - O[:, _COND_GAP]
    t_low = O[:, _T_EVAP] - O[:, _EVAP_GAP]
    dt, power, flow = O[:, _DT], O[:, _POWER], O[:, _FLOW]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        lift = t_high - t_low
        ok = (power >= _MIN_POWER_W) & (flow > 0.0) & (dt > 0.0) & (lift >= _MIN_LIFT_K)
        # the least delta-T the refrigerant side gives a real flow of the meter's reading
        floor = ETA_FLOOR * (t_high + _K0) / lift * power / 1000.0 / (WATER_KW_PER_LPM_K * flow)
        level = np.where(ok, np.where(flow < flow_low, floor / dt, 0.0), np.nan)
        implied = np.where(ok, flow * floor / dt, np.nan)
    return level, implied
