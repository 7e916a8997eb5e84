"""Before a pump's own healthy model exists: what any healthy air-to-water pump shows.

The commissioning week teaches the detector this pump; until then a pump that
was installed undercharged, or whose strainer is already half blocked, should
not pass as healthy. The prior is deliberately coarse: steady-running values
averaged over hours (the same time-based average as the learned detector)
against the normal bands in docs/heatpump.md, widened so that any
healthy unit of any make sits inside. Levels use the rules' scale: 0 inside
the band, 1 one tolerance beyond its edge. Only a clear breach speaks, and
only the channels whose bands hold regardless of weather and load (not
delta-T: at part load with a fixed-speed circulator it falls well below 3 K).
"""

from __future__ import annotations

import numpy as np

from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.persistent_shift import PersistentShift

# channel -> (low, high, tolerance): normal steady heating, R32 and R290 alike
NORMAL_BANDS: dict[str, tuple[float, float, float]] = {
    "superheat": (1.0, 10.0, 2.0),  # K; 2-8 normal
    "subcooling": (-0.5, 10.0, 1.5),  # K; 2-8, often near 0 on modern units
    "evap_approach": (1.0, 13.0, 2.0),  # K; outdoor - evaporating 5-10
    "cond_approach": (0.0, 7.0, 1.5),  # K; condensing = flow + 2-5
    "t_discharge": (30.0, 100.0, 5.0),  # degC; 50-95, trips at 110-120
    "cop": (1.5, 7.0, 0.3),  # 2-5
}
# the bands' channels among the detector's targets (TARGET_NAMES columns)
PRIOR_TARGETS = np.array([TARGET_NAMES.index(c) for c in NORMAL_BANDS])
_LOW = np.array([b[0] for b in NORMAL_BANDS.values()])
_HIGH = np.array([b[1] for b in NORMAL_BANDS.values()])
_TOL = np.array([b[2] for b in NORMAL_BANDS.values()])


class PriorBands:
    """Hours-long averages of steady readings, judged against the generic bands."""

    def __init__(self, tau_seconds: float) -> None:
        self.average = PersistentShift(len(TARGET_NAMES), tau_seconds)
        self.first_ts = float("nan")

    def update(self, ts: float, targets: np.ndarray) -> None:
        if self.first_ts != self.first_ts:  # NaN: first steady reading
            self.first_ts = ts
        self.average.update(ts, targets, np.zeros(len(TARGET_NAMES)))

    def levels(self, ts: float, observed: np.ndarray | None = None) -> dict[str, tuple[float, float, float]]:
        """channel -> (signed level, band edge, observed average), once an average has formed.

        ``observed``: a snapshot of the averages taken at ``ts`` (batch replays); else the current ones.
        """
        if self.first_ts != self.first_ts or ts - self.first_ts < self.average.tau:
            return {}
        obs = (self.average.observed if observed is None else observed)[PRIOR_TARGETS]
        below = np.where(obs < _LOW, (obs - _LOW) / _TOL, 0.0)  # levels_rows: the same operations
        above = np.where(obs > _HIGH, (obs - _HIGH) / _TOL, 0.0)
        out = {}
        for k, name in enumerate(NORMAL_BANDS):
            if np.isnan(obs[k]):
                continue
            level = float(below[k] + above[k])
            edge = _LOW[k] if level < 0 else _HIGH[k] if level > 0 else float(np.clip(obs[k], _LOW[k], _HIGH[k]))
            out[name] = (level, float(edge), float(obs[k]))
        return out

    def levels_rows(self, ts: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``levels`` for many rows at once (batch replays skip the rows where no band speaks):
        per row, has an average formed; and the signed level per NORMAL_BANDS channel (NaN where
        its average is unknown). The same operations element by element, so the same numbers."""
        formed = np.zeros(len(ts), dtype=bool) if self.first_ts != self.first_ts else \
            ~(ts - self.first_ts < self.average.tau)
        obs = observed[:, PRIOR_TARGETS]
        below = np.where(obs < _LOW, (obs - _LOW) / _TOL, 0.0)
        above = np.where(obs > _HIGH, (obs - _HIGH) / _TOL, 0.0)
        return formed, np.where(np.isnan(obs), np.nan, below + above)

    def state(self) -> dict:
        return {"average": self.average.state(), "first_ts": self.first_ts}

    def load_state(self, d: dict) -> None:
        self.average.load_state(d["average"])
        self.first_ts = float(d["first_ts"])
