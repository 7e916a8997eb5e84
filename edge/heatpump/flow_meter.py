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

