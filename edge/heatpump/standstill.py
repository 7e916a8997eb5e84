"""The outdoor sensor against the stopped coil: a witness a t_outdoor offset cannot fake.

Running, an outdoor thermistor reading high and an iced or fouled coil move the learned model
alike (the coil colder than the air, p_low and the COP below expectation, the fan slower). Stopped
for a while (compressor and fan off, no defrost) the coil settles toward the air: a sensor reading
high stands above the coil by its offset, a fouled coil does not. This keeps the gap
t_outdoor - t_evap at settled standstill: its mean over the first readings of the pump's life here
(the baseline) and over the latest ones; their difference is how far the outdoor sensor has
moved against the coil since then. A t_outdoor offset the healthy model asks for that this rise
contradicts (service_area_200's hp-096: +16.3 K asked, about +1 K risen) is no sensor's.
Measured with bench/standstill_trace.py (docs/edge.md, known limits).
"""

from __future__ import annotations

import bisect
from collections import deque

import numpy as np

from heatwatch.channels import INDEX

# a reading counts as settled standstill this long after the last reading that ran or defrosted
# (at a 5-minute poll: at least one stopped reading before; the simulator equalizes at once, a real
# coil takes minutes)
SETTLE_S = 600.0
# settled readings averaged for the baseline and for the latest gap
GAP_READINGS = 12
# an offset contradicted: it differs from the rise by more than this (K) and this share of itself
CONTRADICT_K = 3.0
CONTRADICT_SHARE = 0.5
# a witness this many days old allows this much more (K per day): a true drift may have grown since the
# last settled stop (cold spells run for weeks without one; fault_sensor_cold_r290's hp-001, +0.15 K/day,
# read against a rise 44 days old was refused its offset and called a leak). Faster than the drifts
# the simulator makes (0.15-0.4 K/day)
DRIFT_K_PER_DAY = 0.5
# the rise is kept this long back (rows of a replayed chunk read it at their own time)
HISTORY_S = 40 * 86400.0
_HZ, _FAN, _DEF = INDEX["compressor_hz"], INDEX["fan_rpm"], INDEX["defrost"]
_OUT, _EVAP = INDEX["t_outdoor"], INDEX["t_evap"]


class StandstillWitness:
    """t_outdoor - t_evap at settled standstill: the baseline, the latest, their difference over time."""

    def __init__(self) -> None:
        self.last_on_ts = -np.inf
        self.baseline: list[float] = []
        self.recent: deque[tuple[float, float]] = deque(maxlen=GAP_READINGS)  # (time, gap)
        self._ts: list[float] = []  # times where the rise changed, and its value from then on
        self._rise: list[float] = []
        self._since: list[float] = []  # the time of the oldest reading in that rise's mean

    def update(self, ts: float, x: np.ndarray) -> None:
        """One reading (every reading, running or not, in time order)."""
        if not (x[_HZ] <= 0.0 and x[_FAN] <= 0.0 and not x[_DEF] > 0.5):  # running, defrosting or unknown
            self.last_on_ts = ts
        elif ts - self.last_on_ts >= SETTLE_S:
            self._settled(ts, float(x[_OUT]) - float(x[_EVAP]))

    def update_rows(self, ts: np.ndarray, X: np.ndarray) -> None:
        """update() over a chunk's rows, in order: the same state, the settled rows alone visited."""
        if not len(ts):
            return
        on = ~((X[:, _HZ] <= 0.0) & (X[:, _FAN] <= 0.0) & ~(X[:, _DEF] > 0.5))
        last = np.maximum.accumulate(np.where(on, np.arange(len(ts)), -1))
        last_on = np.where(last >= 0, ts[np.maximum(last, 0)], self.last_on_ts)
        k = np.flatnonzero(~on & (ts - last_on >= SETTLE_S))
        if len(k):
            out, evap = X[k, _OUT].astype(np.float64), X[k, _EVAP].astype(np.float64)
            self._settled_rows(ts[k].astype(np.float64), out - evap)
        if on.any():
            self.last_on_ts = float(ts[np.flatnonzero(on)[-1]])

    def _settled(self, ts: float, gap: float) -> None:
        if gap != gap:
            return
        if len(self.baseline) < GAP_READINGS:
            self.baseline.append(gap)
            return
        self.recent.append((ts, gap))
        if len(self.recent) == GAP_READINGS:
            self._ts.append(ts)
            self._rise.append(sum(g for _, g in self.recent) / GAP_READINGS - sum(self.baseline) / GAP_READINGS)
            self._since.append(self.recent[0][0])
            k = bisect.bisect_left(self._ts, ts - HISTORY_S)
            if k > 1:
                del self._ts[:k - 1], self._rise[:k - 1], self._since[:k - 1]

    def _settled_rows(self, ts: np.ndarray, gaps: np.ndarray) -> None:
        """_settled() of each settled row in order, the same lists to the bit: each full window's sum
        taken in the deque's order from zero (sum() over it), the baseline's mean once (it no longer
        changes), the old rises dropped once after the last (each drop keeps the rises from the last
        one older than its row's history on: the last row's keeps the same ones)."""
        keep = gaps == gaps
        if not keep.all():
            ts, gaps = ts[keep], gaps[keep]
        fill = min(GAP_READINGS - len(self.baseline), len(gaps))
        if fill > 0:
            self.baseline.extend(gaps[:fill].tolist())
            ts, gaps = ts[fill:], gaps[fill:]
        if not len(gaps):
            return
        p = len(self.recent)  # the window's readings already held: they lead the new ones
        T = np.concatenate([np.array([t for t, _ in self.recent], dtype=np.float64), ts])
        G = np.concatenate([np.array([g for _, g in self.recent], dtype=np.float64), gaps])
        ends = np.arange(max(p, GAP_READINGS - 1), len(G))  # a new reading that fills the window
        if len(ends):
            first = ends - (GAP_READINGS - 1)
            acc = 0.0 + G[first]
            for q in range(1, GAP_READINGS):
                acc = acc + G[first + q]
            base = sum(self.baseline) / GAP_READINGS
            self._ts.extend(T[ends].tolist())
            self._rise.extend((acc / GAP_READINGS - base).tolist())
            self._since.extend(T[first].tolist())
            k = bisect.bisect_left(self._ts, float(T[-1]) - HISTORY_S)
            if k > 1:
                del self._ts[:k - 1], self._rise[:k - 1], self._since[:k - 1]
        self.recent.extend(zip(T[p:].tolist(), G[p:].tolist()))

    def state(self) -> dict:
        """What a restart keeps (JSON-safe): the baseline, the latest readings and the latest rise. Older
        rises are left: the readings after a restart come later, and read the latest one."""
        return {"last_on_ts": self.last_on_ts if np.isfinite(self.last_on_ts) else None,
                "baseline": list(self.baseline), "recent": [list(r) for r in self.recent],
                "rise": [self._ts[-1], self._rise[-1], self._since[-1]] if self._ts else None}

    def load_state(self, d: dict | None) -> None:
        """Load what ``state()`` wrote; none (a state file from before the witness was kept) starts afresh."""
        if not d:
            return
        self.last_on_ts = -np.inf if d.get("last_on_ts") is None else float(d["last_on_ts"])
        self.baseline = [float(v) for v in d["baseline"]]
        self.recent = deque(((float(t), float(g)) for t, g in d["recent"]), maxlen=GAP_READINGS)
        rise = d.get("rise")
        self._ts, self._rise, self._since = ([float(rise[0])], [float(rise[1])], [float(rise[2])]) if rise else ([], [], [])

    def rise_at(self, ts: float) -> float | None:
        """How far t_outdoor has risen against the stopped coil as of ``ts`` (None: not known yet)."""
        k = bisect.bisect_right(self._ts, ts)
        return self._rise[k - 1] if k else None

    def contradicts(self, channel: str, offset: float, ts: float) -> bool:
        """Does the stopped coil say this t_outdoor offset is not the sensor's? Only while the witness
        is fresh enough that no drift could have grown from its rise to this offset since: a mean is as old
        as its oldest reading (heldout30_standstill's Nantes-like hp-002: after 12 days without a settled
        stop, two new readings and ten 13 days older gave a rise 4-6 K short of a true drift's offset,
        dated by the newest, and refused it)."""
        if channel != "t_outdoor":
            return False
        k = bisect.bisect_right(self._ts, ts)
        if not k:
            return False
        age_days = (ts - self._since[k - 1]) / 86400.0
        band = max(CONTRADICT_K, CONTRADICT_SHARE * abs(offset)) + DRIFT_K_PER_DAY * age_days
        return abs(offset - self._rise[k - 1]) > band
