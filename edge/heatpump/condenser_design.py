"""The condenser approach a clean condenser of this pump's size can show at this flow, from its design data.

The learned model says the approach (condensing minus flow temperature) has changed; after half a
day of learning it cannot say whether the new value is one a healthy pump shows elsewhere on its
map. Physics can, whatever the learned window, from the [design] table (design.py):

* a condensing refrigerant sits at one temperature, so the plate condenser's approach a and the
  water's delta-T are tied by its number of transfer units NTU = UA / (m cp):
  a = delta-T / (exp(NTU) - 1), whatever the load (the heat passed moves both alike);
* a clean condenser is selected to condense within APPROACH_NOMINAL_K of the flow temperature at
  its nominal capacity and design delta-T (docs/heatpump.md: "condensing = flow + 2-5 K"): its
  NTU at the design flow is at least ln(1 + dT_design / APPROACH_NOMINAL_K) (ln 2 at 5 K and 5 K);
* at another water flow m, UA falls at most as the water side's film coefficient, velocity^0.8
  (turbulent flow in the plates, all the resistance taken there), so NTU >= NTU_design *
  (m / m_design)^-0.2 below the design flow; above it no credit is taken for a better UA
  (NTU >= NTU_design * m_design / m);
* the superheated vapour entering the condenser heats the water above what condensing alone
  would (a smaller approach); the sensors (a thermistor, or the pressure through the refrigerant
  table, for the condensing side, a thermistor for the flow) and a subcooled liquid zone add a
  reading at no load: APPROACH_FLOOR_K, the low end of a healthy approach.

So a clean condenser shows at most FLOOR + delta-T / (exp(NTU_min) - 1) at the water flow and
delta-T measured (the ceiling). Above it by TOL_K (the approach's smallest shift that matters,
healthy_model.TARGETS) is a level of 1: evidence that the condenser is not clean, on the averaged
steady readings the learned shifts are judged on. Without a design flow (a capacity or the
installer's measured flow), no ceiling.
"""

from __future__ import annotations

import math

import numpy as np

from heatwatch.edge.heatpump.design import PumpDesign
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES

NAME = "design_cond_approach"  # the rules' channel (heatwatch.channels.INDICATOR_NAMES)
APPROACH_NOMINAL_K = 5.0  # a clean condenser's approach at nominal capacity and design delta-T is at most this
APPROACH_FLOOR_K = 2.0  # what sensors, the subcooled zone and the desuperheater leave at no load
FLOW_EXPONENT = 0.8  # the water side's film coefficient ~ velocity^0.8
TOL_K = 1.0  # a level of 1 this far above the ceiling (the approach's min_shift)
# levels' numpy ceiling differs from level's (math's functions) by a few rounding errors at most:
# an approach this far below it is below the exact one too
ROUGH_MARGIN_K = 1e-6
_APPR, _FLOW, _DT = (TARGET_NAMES.index(n) for n in ("cond_approach", "flow_lpm", "delta_t"))


class CondenserCeiling:
    """The design's ceiling on the condenser approach, judged on averaged observed targets."""

    def __init__(self, design: PumpDesign) -> None:
        flow = design.flow_lpm
        if flow is None:
            raise ValueError("a condenser ceiling needs the design flow (a capacity or a measured flow)")
        self.ntu = math.log(1.0 + design.design_delta_t_k / APPROACH_NOMINAL_K)  # at the design flow, at least
        self.flow_lpm = float(flow)

    @classmethod
    def of(cls, design: PumpDesign) -> "CondenserCeiling | None":
        """The ceiling of this design, None when it gives no design flow."""
        return None if design.flow_lpm is None else cls(design)

    def level(self, observed: np.ndarray) -> tuple[float, float]:
        """One row of averaged observed targets -> (level, ceiling): the level 0 at or below the
        ceiling, (approach - ceiling) / TOL_K above it; NaN where a reading is missing or no water
        flows. In plain floats (math's functions), so a replay's rows and the agent's reading agree
        to the digit (levels)."""
        appr, flow, dt = float(observed[_APPR]), float(observed[_FLOW]), float(observed[_DT])
        if not flow > 0.0 or appr != appr or dt != dt:
            return math.nan, math.nan
        rel = flow / self.flow_lpm
        # below the design flow NTU grows as rel^-0.2 (UA ~ rel^0.8, m ~ rel); above it as 1 / rel
        ntu = self.ntu * (rel ** (FLOW_EXPONENT - 1.0) if rel < 1.0 else 1.0 / rel)
        ceiling = APPROACH_FLOOR_K + max(dt, 0.0) / math.expm1(ntu)
        return max(appr - ceiling, 0.0) / TOL_K, ceiling

    def levels(self, observed: np.ndarray) -> np.ndarray:
        """``level`` of each row (n, n_targets): the levels (n,), the same digits. A rough ceiling in
        numpy passes first (a replay asks it on every rule row): a row whose approach lies clearly
        below it is at level 0 exactly; only the others are read by ``level``."""
        O = np.asarray(observed, dtype=float).reshape(-1, len(TARGET_NAMES))
        appr, flow, dt = O[:, _APPR], O[:, _FLOW], O[:, _DT]
        out = np.zeros(len(O))
        bad = ~(flow > 0.0) | np.isnan(appr) | np.isnan(dt)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            rel = flow / self.flow_lpm
            ntu = self.ntu * np.where(rel < 1.0, rel ** (FLOW_EXPONENT - 1.0), 1.0 / rel)
            rough = APPROACH_FLOOR_K + np.maximum(dt, 0.0) / np.expm1(ntu)
            near = ~bad & ~(appr < rough - ROUGH_MARGIN_K)
        out[bad] = np.nan
        for i in np.flatnonzero(near).tolist():
            out[i] = self.level(O[i])[0]
        return out
