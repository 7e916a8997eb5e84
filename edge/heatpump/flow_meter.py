"""Does the flow meter lie, or has the water flow really changed? The heat per unit of input decides.

The heat the condenser gives the water is set by the refrigerant side (the compressor's input and
what the evaporator takes from the air), not by the water: a real loss of flow to r times the
learned flow carries the same heat at 1/r times the delta-T, so the heat computed from the meter
(flow x cp x delta-T, hence the COP the pump reports) stays as learned, while the condensing
temperature and the discharge rise with the warmer water. A flow meter reading r times the true flow
leaves delta-T, the pressures and the thermistors true, and scales the computed heat, and the COP,
by r. So, once the pump's own model (or its fleet's) tells the learned flow and COP at this operating
point, two explanations of a flow reading that moved to r = observed / learned predict the COP:

* the flow really changed: COP as learned (cop_e);
* the meter reads r times off: COP r x cop_e.

``flow_meter_low`` (r < 1) and ``flow_meter_high`` (r > 1) are how much better the meter explains the
observed COP than a real change of flow, in units of the COP's own alarm level (the level its shift
is judged against): (|cop_o - cop_e| - |cop_o - r cop_e|) / scale. At r near 1 both explanations
predict the same and the level is near 0 (nothing said); a real loss, the COP kept, gives a negative
level (r fits worse); a lying meter, the COP moving with it, a positive one. Other faults lower the
COP too (wear, fouling) but do not move the flow reading: r stays 1 and they say nothing here.

Plain element-wise arithmetic on the averaged observed targets, their shifts and the levels they are
judged against, so a replay's rows (many at once) and the agent's one row give the same digits.
"""

from __future__ import annotations

import numpy as np

from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES

# the rules' channels (heatwatch.channels.INDICATOR_NAMES), in the order levels() returns them
NAMES = ("flow_meter_low", "flow_meter_high")
_COP, _FLOW = TARGET_NAMES.index("cop"), TARGET_NAMES.index("flow_lpm")


def levels(observed: np.ndarray, residual: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows (n, n_targets) of averaged observed targets, their persistent shifts (observed - learned)
    and the levels they are judged against -> (levels (n, 2): ``NAMES``' levels, NaN where the COP or
    the flow is unknown or no water flows; implied (n,): the flow (l/min) at which the meter's heat per
    unit of input would be as learned, the flow a lying meter hides)."""
    cop_o, r_cop, s_cop = observed[:, _COP], residual[:, _COP], scale[:, _COP]
    flow_o, r_flow = observed[:, _FLOW], residual[:, _FLOW]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        flow_e, cop_e = flow_o - r_flow, cop_o - r_cop
        ok = (flow_e > 0.0) & (flow_o > 0.0) & (cop_e > 0.0) & (cop_o > 0.0) & (s_cop > 0.0)
        rel = flow_o / flow_e
        better = (np.abs(r_cop) - np.abs(cop_o - rel * cop_e)) / s_cop  # the meter's fit over a real change
        low = np.where(ok, np.where(rel < 1.0, better, 0.0), np.nan)
        high = np.where(ok, np.where(rel > 1.0, better, 0.0), np.nan)
        implied = np.where(ok, flow_o * cop_e / cop_o, np.nan)
    return np.stack([low, high], axis=-1), implied
