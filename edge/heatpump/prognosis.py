"""Prognosis: when will this pump trip, with an interval.

For a diagnosed fault, each indicator channel tied to the trip it leads to
(HEATPUMP.md "Protection trips") is followed as a persistent shift sampled
hourly. The shift's trend (least squares over the recent days) is extended
until it has eaten the margin between the worst reading of the last days and
the trip threshold. The interval comes from the slope's standard error,
widened for the hourly samples' autocorrelation.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.contract import Prognosis

HOUR = 3600.0
DAY = 86400.0


@dataclass(frozen=True)
class TripLimit:
    channel: str
    direction: str  # "up": trips above threshold; "down": below
    threshold: float


# defaults from HEATPUMP.md; a site config may override per pump model
DEFAULT_LIMITS: dict[str, TripLimit] = {
    "t_discharge": TripLimit("t_discharge", "up", 115.0),
    "p_high": TripLimit("p_high", "up", 41.0),
    "p_low": TripLimit("p_low", "down", 1.0),
    "discharge_superheat": TripLimit("discharge_superheat", "down", 2.0),
    "compressor_a": TripLimit("compressor_a", "up", 16.0),
}
# fault -> indicator channels, in order of how directly they lead to the trip
FAULT_INDICATORS: dict[str, tuple[str, ...]] = {
    "refrigerant_leak": ("t_discharge", "p_low"),
    "eev_stuck_closed": ("t_discharge", "p_low"),
    "eev_stuck_open": ("discharge_superheat",),
    # over-current limits are model specific and inverters cap the current below them:
    # a worn compressor reaches the discharge limit first
    "compressor_wear": ("t_discharge",),
    "evaporator_fouling": ("p_low", "t_discharge"),
    "low_water_flow": ("flow_lpm", "p_high", "t_discharge"),
    "condenser_fouling": ("p_high", "t_discharge"),
}
_IDX = {n: i for i, n in enumerate(TARGET_NAMES)}


class PrognosisTracker:
    """Hourly history of shifts and worst readings; predicts trip times on demand."""

    def __init__(self, limits: dict[str, TripLimit] | None = None, history_days: float = 30.0,
                 fit_days: float = 5.0, autocorr_seconds: float = 12 * HOUR):
        self.limits = dict(DEFAULT_LIMITS if limits is None else limits)
        self.fit_days = fit_days
        self.inflate = math.sqrt(max(autocorr_seconds / HOUR, 1.0))
        self._hours: deque[tuple[float, np.ndarray, np.ndarray, np.ndarray]] = deque(maxlen=int(history_days * 24))
        self._bucket = -1
        self._hi = self._lo = None

    def set_flow_limit(self, healthy_flow_lpm: float, fraction: float = 0.5) -> None:
        """The flow switch opens at a fraction of the flow the pump was commissioned with."""
        if math.isfinite(healthy_flow_lpm) and healthy_flow_lpm > 0:
            self.limits["flow_lpm"] = TripLimit("flow_lpm", "down", fraction * healthy_flow_lpm)

    def update(self, ts: float, shift: np.ndarray, observed: np.ndarray) -> None:
        """Per steady reading: the shift vector and the raw target values."""
        b = int(ts // HOUR)
        if b != self._bucket:
            if self._bucket >= 0 and self._hi is not None:
                self._hours.append((self._bucket * HOUR, self._last_shift.copy(), self._hi, self._lo))
            self._bucket, self._hi, self._lo = b, observed.copy(), observed.copy()
        else:
            self._hi = np.fmax(self._hi, observed)
            self._lo = np.fmin(self._lo, observed)
        self._last_shift = shift

    def predict(self, fault: str, now: float) -> Prognosis | None:
        best: Prognosis | None = None
        for ch in FAULT_INDICATORS.get(fault, ()):
            p = self._predict_channel(ch, now)
            if p is not None and (best is None or p.predicted_trip_ts < best.predicted_trip_ts):
                best = p
        return best

    def _predict_channel(self, ch: str, now: float) -> Prognosis | None:
        limit = self.limits.get(ch)
        if limit is None or ch not in _IDX or len(self._hours) < 24:
            return None
        j = _IDX[ch]
        rows = [h for h in self._hours if h[0] >= now - self.fit_days * DAY]
        t = np.array([h[0] for h in rows])
        s = np.array([h[1][j] for h in rows])
        ok = ~np.isnan(s)
        if ok.sum() < 24:
            return None
        t, s = t[ok], s[ok]
        sign = 1.0 if limit.direction == "up" else -1.0
        worst = [h[2][j] if sign > 0 else h[3][j] for h in rows[-72:]]
        worst = np.array([w for w in worst if not math.isnan(w)])
        if not len(worst):
            return None
        margin = sign * (limit.threshold - (worst.max() if sign > 0 else worst.min()))
        slope, se = _trend(t, s, sign, self.inflate)
        # the trip comes on the worst day, and a fault often weighs most there (a leak heats
        # the discharge most on cold nights): the daily worst reading may approach faster
        # than the average shift. Of the two estimates, the faster one sets the date.
        day_t, day_worst = _daily_worst(rows, j, sign)
        if len(day_t) >= 3:
            slope_w, se_w = _trend(day_t, day_worst, sign, 1.0)
            if slope_w > slope:
                slope, se = slope_w, se_w
        if slope <= 0 or margin <= 0:
            if margin <= 0:  # already at the limit on its worst hour
                return Prognosis(indicator=ch, threshold=limit.threshold, predicted_trip_ts=now,
                                 lower_ts=now, upper_ts=now + DAY)
            return None
        days = margin / slope
        fast, slow = slope + 2 * se, slope - 2 * se
        lower = margin / fast
        upper = margin / slow if slow > 0 else 365.0
        cap = 365.0
        return Prognosis(indicator=ch, threshold=limit.threshold, predicted_trip_ts=now + min(days, cap) * DAY,
                         lower_ts=now + min(lower, cap) * DAY, upper_ts=now + min(upper, cap) * DAY)


def _trend(t: np.ndarray, s: np.ndarray, sign: float, inflate: float) -> tuple[float, float]:
    """Least-squares slope per day toward the trip (sign), and its standard error."""
    tc = (t - t.mean()) / DAY
    ss = float((tc * tc).sum())
    if ss <= 0:
        return 0.0, math.inf
    slope = float((tc * (s - s.mean())).sum() / ss) * sign
    resid = s - s.mean() - sign * slope * tc
    se = math.sqrt(float((resid ** 2).sum()) / max(len(s) - 2, 1) / ss) * inflate
    return slope, se


def _daily_worst(rows: list, j: int, sign: float) -> tuple[np.ndarray, np.ndarray]:
    """Per whole day in ``rows``: the reading closest to the trip (max for "up", min for "down")."""
    days: dict[int, float] = {}
    for h in rows:
        v = h[2][j] if sign > 0 else h[3][j]
        if math.isnan(v):
            continue
        d = int(h[0] // DAY)
        days[d] = v if d not in days else (max(days[d], v) if sign > 0 else min(days[d], v))
    if len(days) < 2:
        return np.array([]), np.array([])
    keys = sorted(days)[1:]  # the first day of the window is partial
    return np.array([(k + 0.5) * DAY for k in keys]), np.array([days[k] for k in keys])
