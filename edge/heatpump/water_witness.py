"""Which water reading breaks the heat balance: the condenser as the second witness.

The heat balance (water_physics.py) says delta-T reads wrong, not which reading: a delta-T below
the least heat the unit's input delivers is a flow thermistor reading low, a return thermistor
reading high or a flow meter reading low; above the most heat, the reverse of each. The condenser
tells the ends apart, because only the flow end is tied to it: the water leaves the plate exchanger
a few kelvins under the condensing temperature (Tsat(p_high)), and how far under follows from the
heat it passes, not from the return.

A clean condenser passing heat Q to water flowing m shows an approach a = delta-T / (exp(NTU) - 1)
(NTU = UA / (m cp), condenser_design.py) plus what sensors, the subcooled zone and the
desuperheater leave (APPROACH_FLOOR_K). Its NTU is at least the design's at this flow, and delta-T
is at most the heat balance's ceiling (0.75 of Carnot's COP between the two pressures times the
input, water_physics.ETA_MAX). So, whatever the pump's load and make:

    a <= A = APPROACH_FLOOR_K + ceiling / (exp(NTU_min(m)) - 1)

* ``flow_below_condenser`` = a - A. A return thermistor reading high or a flow meter reading low
  leaves t_flow and p_high true, so the approach they show is the condenser's and stays under A
  (a flow meter reading low k times raises the ceiling k times, more than the NTU it credits, so
  A grows). A t_flow reading low by d widens the approach by d: above A the flow thermistor reads
  low (or the condenser is fouled, which alone leaves the heat balance whole).
* ``return_below_condenser`` = (Tsat - t_return) - (ceiling + A). A flow thermistor reading high by
  d narrows the approach by d and widens delta-T by d, leaving their sum, Tsat - t_return, true:
  at most the most delta-T plus the widest approach. Beyond it the return reads low. A flow meter
  reading high k times lowers the ceiling by k but A's share grows towards the most heat over the
  design UA as k grows; healthy pumps with their meter scaled by 1.5 to 100 stay well inside
  (docs/heatpump.md).

Each is read only beside its heat balance bound (the rules): alone a fouled condenser passes both.
Levels as water_physics': 0 inside, 1 at TOL_K beyond. Without a design flow (a capacity or the
installer's measured flow) there is no NTU to read: NaN, and the notice stays on delta-T.
"""

from __future__ import annotations

import math

import numpy as np

from heatwatch.edge.heatpump import water_physics
from heatwatch.edge.heatpump.condenser_design import APPROACH_FLOOR_K, APPROACH_NOMINAL_K, FLOW_EXPONENT
from heatwatch.edge.heatpump.design import PumpDesign
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES

# the rules' channels (heatwatch.channels.INDICATOR_NAMES), in the order levels() returns them
NAMES = ("flow_below_condenser", "return_below_condenser")
TOL_K = water_physics.TOL_K
_I = {n: TARGET_NAMES.index(n) for n in ("cond_approach", "cond_sat_gap", "delta_t", "flow_lpm")}


class CondenserWitness:
    """The water thermistors against the clean condenser of this pump's design."""

    def __init__(self, design: PumpDesign) -> None:
        flow = design.flow_lpm
        if flow is None:
            raise ValueError("a condenser witness needs the design flow (a capacity or a measured flow)")
        self.flow_lpm = float(flow)
        self.ntu = math.log(1.0 + design.design_delta_t_k / APPROACH_NOMINAL_K)  # at the design flow, at least

    @classmethod
    def of(cls, design: PumpDesign) -> "CondenserWitness | None":
        """The witness of this design, None when it gives no design flow."""
        return None if design.flow_lpm is None else cls(design)

    def excess(self, observed: np.ndarray) -> np.ndarray:
        """Averaged observed targets (..., n_targets) -> each witness's excess in K (..., len(NAMES)):
        negative inside; NaN where the heat balance is not read (water_physics.excess)."""
        O = np.asarray(observed, dtype=float)
        approach = O[..., _I["cond_approach"]] - O[..., _I["cond_sat_gap"]]  # Tsat(p_high) - t_flow
        dt, flow = O[..., _I["delta_t"]], O[..., _I["flow_lpm"]]
        heat = water_physics.excess(O)
        ceiling = dt - heat[..., water_physics.NAMES.index("heat_excess")]  # the most delta-T the input delivers
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            rel = flow / self.flow_lpm
            # below the design flow NTU grows as rel^-0.2 (UA ~ rel^0.8, m ~ rel); above it as 1 / rel
            ntu = self.ntu * np.where(rel < 1.0, rel ** (FLOW_EXPONENT - 1.0), 1.0 / rel)
            widest = APPROACH_FLOOR_K + ceiling / np.expm1(ntu)
            return np.stack([approach - widest, approach + dt - (ceiling + widest)], axis=-1)

    def levels(self, observed: np.ndarray) -> np.ndarray:
        """``excess`` as levels: 0 inside, excess / TOL_K beyond (NaN where unknown)."""
        e = self.excess(observed)
        return np.where(np.isnan(e), np.nan, np.maximum(e, 0.0) / TOL_K)
