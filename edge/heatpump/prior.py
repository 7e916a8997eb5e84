"""Before a pump's own healthy model exists: what any healthy air-to-water pump shows, and what
this pump's design says it should.

The commissioning week teaches the detector this pump; until then a pump that
was installed undercharged, or whose strainer is already half blocked, should
not pass as healthy. Steady-running values averaged over hours (the same
time-based average as the learned detector) are judged against two kinds of band:

- generic ones, the normal bands in docs/heatpump.md widened so that any
  healthy unit of any make sits inside (NORMAL_BANDS);
- the pump's design data (design.py, edge.toml [design]), physics no make escapes:
  the expansion-valve controller holds its superheat setpoint (integral action), so
  an averaged superheat well below it says the valve passes more than the controller
  asks (stuck or leaking open); a fixed circulator delivers about the design flow, so
  well below it the strainer, the pump or air in the circuit holds the water back.
  (Not the discharge superheat against a compressor's floor: healthy R290 pumps run
  below 10 K of it in mild weather, and a band any healthy pump breaches would keep it
  from learning its own model.)

Levels use the rules' scale: 0 inside the band, 1 one tolerance beyond its edge.
Only a clear breach speaks, and only the channels whose bands hold regardless of
weather and load: of delta-T only its floor (at part load with a fixed-speed circulator it
falls well below 3 K, never below 0 K while the pump heats; below it a water thermistor is wrong,
and the condenser rule must not read that error's approach and COP as fouling). Beside the bands,
the water thermistors against the refrigerant side's physics (water_physics.py): the flow no
warmer than condensing, delta-T within what the electrical input can deliver; their levels are the
sensor notices' (rules/heatpump.yaml, ``sensor:`` rules), judged on the same averages. With a design
flow, the clean condenser's witnesses (water_witness.py) say which end breaks the heat balance; they
are no band (a fouled condenser alone passes them) and never keep the model from being learned.
"""

from __future__ import annotations

import numpy as np

from heatwatch.edge.heatpump import flow_meter, water_physics, water_witness
from heatwatch.edge.heatpump.water_witness import CondenserWitness
from heatwatch.edge.heatpump.design import FLOW_HOLD, SUPERHEAT_HOLD_K, PumpDesign
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.persistent_shift import PersistentShift

# channel -> (low, high, tolerance): normal steady heating, R32 and R290 alike
NORMAL_BANDS: dict[str, tuple[float, float, float]] = {
    "superheat": (1.0, 10.0, 2.0),  # K; 2-8 normal (the low edge: the design's setpoint if given, design_bands)
    "subcooling": (-0.5, 10.0, 1.5),  # K; 2-8, often near 0 on modern units
    "evap_approach": (1.0, 13.0, 2.0),  # K; outdoor - evaporating 5-10
    "cond_approach": (0.0, 7.0, 1.5),  # K; condensing = flow + 2-5
    "t_discharge": (30.0, 100.0, 5.0),  # degC; 50-95, trips at 110-120
    "cop": (1.5, 7.0, 0.3),  # 2-5
    # K; flow - return. Only its floor: a pump running steady heats the water, so the flow is
    # warmer than the return at any load (part load takes it near 0, never below). Below it a
    # water thermistor is wrong (t_flow low or t_return high), whatever else the pump shows
    "delta_t": (0.0, np.inf, 1.0),
}
# the tolerance below a design value's edge
SUPERHEAT_TOL_K = 1.0  # K, about the sensors' accuracy: a level of 1 at setpoint - 2.5 K (5 K set: 2.5 K)
FLOW_TOL = 0.1  # of the design flow: a level of 1 at 70 % of it
METER_NAME = flow_meter.NAMES[0]  # flow_meter_low: read against physics before the model (flow_meter.prior_levels)
_I_FLOW = TARGET_NAMES.index("flow_lpm")


def design_bands(design: PumpDesign) -> dict[str, tuple[float, float, float, float]]:
    """channel -> (low, high, tolerance below, tolerance above): the generic bands with the design's."""
    out = {name: (lo, hi, tol, tol) for name, (lo, hi, tol) in NORMAL_BANDS.items()}
    if design.superheat_setpoint_k > 0.0:
        out["superheat"] = (design.superheat_setpoint_k - SUPERHEAT_HOLD_K, NORMAL_BANDS["superheat"][1],
                            SUPERHEAT_TOL_K, NORMAL_BANDS["superheat"][2])
    flow = design.flow_lpm
    if flow is not None:
        out["flow_lpm"] = (FLOW_HOLD * flow, np.inf, FLOW_TOL * flow, 1.0)
    return out


class PriorBands:
    """Hours-long averages of steady readings, judged against the generic bands and the design's."""

    def __init__(self, tau_seconds: float, design: PumpDesign | None = None) -> None:
        self.average = PersistentShift(len(TARGET_NAMES), tau_seconds)
        self.first_ts = float("nan")
        self.design = design or PumpDesign()
        # which water reading breaks the heat balance, from the clean condenser (None: no design flow)
        self.witness = CondenserWitness.of(self.design)
        # the flow meter against the least heat per input a real flow carries, where the band calls the flow low
        flow = self.design.flow_lpm
        self.flow_low = None if flow is None else FLOW_HOLD * flow
        bands = design_bands(self.design)
        self.channels = tuple(bands)
        self.targets = np.array([TARGET_NAMES.index(c) for c in self.channels])  # TARGET_NAMES columns
        self._low = np.array([b[0] for b in bands.values()])
        self._high = np.array([b[1] for b in bands.values()])
        self._tol_low = np.array([b[2] for b in bands.values()])
        self._tol_high = np.array([b[3] for b in bands.values()])

    def update(self, ts: float, targets: np.ndarray) -> None:
        if self.first_ts != self.first_ts:  # NaN: first steady reading
            self.first_ts = ts
        self.average.update(ts, targets, np.zeros(len(TARGET_NAMES)))

    def _signed(self, obs: np.ndarray) -> np.ndarray:
        """The signed level of averaged readings (channels in self.channels order, last axis)."""
        below = np.where(obs < self._low, (obs - self._low) / self._tol_low, 0.0)
        above = np.where(obs > self._high, (obs - self._high) / self._tol_high, 0.0)
        return below + above

    def levels(self, ts: float, observed: np.ndarray | None = None) -> dict[str, tuple[float, float, float]]:
        """channel -> (signed level, band edge, observed average), once an average has formed.

        ``observed``: a snapshot of the averages taken at ``ts`` (batch replays); else the current ones.
        """
        if self.first_ts != self.first_ts or ts - self.first_ts < self.average.tau:
            return {}
        obs = (self.average.observed if observed is None else observed)[self.targets]
        signed = self._signed(obs)  # levels_rows: the same operations
        out = {}
        for k, name in enumerate(self.channels):
            if np.isnan(obs[k]):
                continue
            level = float(signed[k])
            lo, hi = self._low[k], self._high[k]
            edge = lo if level < 0 else hi if level > 0 else float(np.clip(obs[k], lo, hi))
            out[name] = (level, float(edge), float(obs[k]))
        full = self.average.observed if observed is None else observed
        for name, level, ex in zip(water_physics.NAMES, water_physics.levels(full).tolist(),
                                   water_physics.excess(full).tolist()):
            if level == level:  # the bound's excess as observed, the bound (0 K) as the edge
                out[name] = (level, 0.0, ex)
        if self.witness is not None:
            for name, level, ex in zip(water_witness.NAMES, self.witness.levels(full).tolist(),
                                       self.witness.excess(full).tolist()):
                if level == level:
                    out[name] = (level, 0.0, ex)
        if self.flow_low is not None:
            level, implied = flow_meter.prior_levels(full[None, :], self.flow_low)
            if level[0] == level[0]:  # the flow as observed, the least true flow as the expected value
                out[METER_NAME] = (float(level[0]), float(implied[0]), float(full[_I_FLOW]))
        return out

    def breached(self, ts: float, observed: np.ndarray | None = None) -> bool:
        """Does an average stand outside what any healthy pump shows (a level of 1 on a band or a bound of
        physics)? Then the pump's own model is not learned on it. The condenser witnesses are not
        bands: alone a fouled condenser passes them, and they only tell which reading breaks the heat
        balance, itself a bound here."""
        return any(abs(lv) >= 1.0 for name, (lv, _, _) in self.levels(ts, observed).items()
                   if name not in water_witness.NAMES and name != METER_NAME)

    def physics_rows(self, formed: np.ndarray, observed: np.ndarray) -> dict[str, np.ndarray]:
        """``levels``' water-physics channels for many rows (NaN where no average has formed or a
        reading is missing): the same operations, so the same numbers."""
        lv = water_physics.levels(observed)
        lv[~formed] = np.nan
        out = {name: lv[:, k] for k, name in enumerate(water_physics.NAMES)}
        if self.witness is not None:
            wl = self.witness.levels(observed)
            wl[~formed] = np.nan
            out.update((name, wl[:, k]) for k, name in enumerate(water_witness.NAMES))
        if self.flow_low is not None:
            ml, _ = flow_meter.prior_levels(observed, self.flow_low)
            ml[~formed] = np.nan
            out[METER_NAME] = ml
        return out

    def levels_rows(self, ts: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``levels`` for many rows at once (batch replays skip the rows where no band speaks):
        per row, has an average formed; and the signed level per channel of ``self.channels`` (NaN
        where its average is unknown). The same operations element by element, so the same numbers."""
        formed = np.zeros(len(ts), dtype=bool) if self.first_ts != self.first_ts else \
            ~(ts - self.first_ts < self.average.tau)
        obs = observed[:, self.targets]
        return formed, np.where(np.isnan(obs), np.nan, self._signed(obs))

    def state(self) -> dict:
        return {"average": self.average.state(), "first_ts": self.first_ts}

    def load_state(self, d: dict) -> None:
        self.average.load_state(d["average"])
        self.first_ts = float(d["first_ts"])
