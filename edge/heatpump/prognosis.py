"""Prognosis: when will this pump trip, with an interval.

For a diagnosed fault, each indicator channel tied to the trip it leads to is
followed hour by hour: the mean residual (observed minus the healthy model's
expectation) and the worst reading. The trip thresholds are the pump's
protection limits for its refrigerant, the ones the simulator trips at
(``heatwatch.trips``, docs/heatpump.md "Protection trips": a propane pump's high-pressure switch opens near
22.5 bar, an R32 pump's near 41), and the flow switch, set from the flow the
pump was commissioned with. Two degradation models are fitted to the recent
days and extended until they have eaten the margin between the worst reading
of the last days and the trip threshold:

- linear: a steady drift, the faster of the residual's trend and the trend of
  the daily worst reading (a fault often weighs most on the worst day: a leak
  heats the discharge most on cold nights);
- exponential: a fault that feeds itself (ice insulates the coil so more ice
  forms), least squares on the log of the residual: the standard exponential
  degradation model of prognostics, used only when it clearly fits better.

A linear extension alone of a fault that accelerates promises weeks where
days are left, the dangerous error for a dispatcher. The date is the earlier
of the two; the interval spans both, each widened by its standard error
(inflated for the hourly samples' autocorrelation) and, for the earliest
date, by the day-to-day spread of the worst reading.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from heatwatch.contract import Prognosis
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.prognosis_calibration import CALIBRATION, Calibration
from heatwatch.trips import trip_limits
from heatwatch.units import DAY, HOUR


@dataclass(frozen=True)
class TripLimit:
    channel: str
    direction: str  # "up": trips above threshold; "down": below
    threshold: float


def refrigerant_limits(refrigerant: str = "R32") -> dict[str, TripLimit]:
    """The indicator limits where a pump of this refrigerant trips (heatwatch.trips).

    Over-current is not among them: its limit is the compressor model's (the
    simulator trips each pump at 1.25 times its rated current) and inverters
    cap the current below it, so no fault is predicted to trip on it.
    """
    t = trip_limits(refrigerant)
    return {
        "t_discharge": TripLimit("t_discharge", "up", t.discharge_c),
        "p_high": TripLimit("p_high", "up", t.high_pressure_bar),
        "p_low": TripLimit("p_low", "down", t.low_pressure_bar),
        "discharge_superheat": TripLimit("discharge_superheat", "down", t.floodback_superheat_k),
    }


# limits learned from the pump itself rather than given by its refrigerant
LEARNED_LIMITS = ("flow_lpm",)

# stages on the way to a trip where the trip indicator itself moves late: a leaking pump's
# valve opens to make up for the lost charge, and only once it stands at its end stop do
# superheat and discharge run away (days later in cold weather). Reaching a stage is not the
# trip; once it is reached, the indicators after it speak
STAGE_LIMITS: dict[str, TripLimit] = {"eev_pct": TripLimit("eev_pct", "up", 100.0)}

# fault -> indicator channels, in order of how directly they lead to the trip
FAULT_INDICATORS: dict[str, tuple[str, ...]] = {
    "refrigerant_leak": ("t_discharge", "p_low", "eev_pct"),
    "eev_stuck_closed": ("t_discharge", "p_low", "eev_pct"),
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
    """Hourly mean residuals and worst readings; predicts trip times on demand."""

    def __init__(self, limits: dict[str, TripLimit] | None = None, history_days: float = 30.0,
                 fit_days: float = 5.0, autocorr_seconds: float = 12 * HOUR, *, refrigerant: str = "R32"):
        """``limits`` (a site's, per pump model) replace the refrigerant's protection limits."""
        self._given = dict(refrigerant_limits(refrigerant) if limits is None else limits)
        self.calibration: Calibration | None = CALIBRATION
        self.limits = dict(self._given)
        self.fit_days = fit_days
        self.inflate = math.sqrt(max(autocorr_seconds / HOUR, 1.0))
        self._hours: deque[tuple[float, np.ndarray, np.ndarray, np.ndarray]] = deque(maxlen=int(history_days * 24))
        self._bucket = -1
        self._hi = self._lo = None
        self._sum = self._n = None

    def set_flow_limit(self, healthy_flow_lpm: float, fraction: float = 0.5) -> None:
        """The flow switch opens at a fraction of the flow the pump was commissioned with."""
        if math.isfinite(healthy_flow_lpm) and healthy_flow_lpm > 0:
            self.limits["flow_lpm"] = TripLimit("flow_lpm", "down", fraction * healthy_flow_lpm)

    def forget_history(self, *, keep_learned_limits: bool) -> None:
        """Start the hourly history afresh (the pump was repaired); the limits learned from the
        pump (its commissioned flow) go too unless ``keep_learned_limits``."""
        if not keep_learned_limits:
            self.limits = dict(self._given)
        self._hours.clear()
        self._bucket = -1
        self._hi = self._lo = None
        self._sum = self._n = None

    def update(self, ts: float, residual: np.ndarray, observed: np.ndarray) -> None:
        """Per steady reading: the residual vector and the raw target values."""
        b = int(ts // HOUR)
        if b != self._bucket:
            self._close_hour()
            self._bucket = b
            self._sum = np.zeros_like(residual, dtype=float)
            self._n = np.zeros_like(residual, dtype=float)
            self._hi, self._lo = observed.copy(), observed.copy()
        else:
            self._hi = np.fmax(self._hi, observed)
            self._lo = np.fmin(self._lo, observed)
        ok = ~np.isnan(residual)
        self._sum[ok] += residual[ok]
        self._n[ok] += 1.0

    def update_rows(self, ts: np.ndarray, residual: np.ndarray, observed: np.ndarray) -> None:
        """update() for each row in order (replays): the same sums, extremes and closed hours, an
        hour at a time (the sums added in the same order, so the same numbers)."""
        if not len(ts):
            return
        b = np.array([int(t // HOUR) for t in ts.tolist()], dtype=np.int64)
        cuts = (np.flatnonzero(np.diff(b)) + 1).tolist()
        R = np.where(np.isnan(residual), 0.0, residual)
        okn = (~np.isnan(residual)).astype(float)
        for s, e in zip([0, *cuts], [*cuts, len(b)]):
            bucket = int(b[s])
            if bucket != self._bucket:
                self._close_hour()
                self._bucket = bucket
                sum0, n0 = np.zeros(residual.shape[1]), np.zeros(residual.shape[1])
                hi, lo = observed[s].copy(), observed[s].copy()
            else:
                sum0, n0, hi, lo = self._sum, self._n, self._hi, self._lo
            block = observed[s:e]
            self._hi = np.fmax(hi, np.fmax.reduce(block, axis=0))
            self._lo = np.fmin(lo, np.fmin.reduce(block, axis=0))
            self._sum = np.cumsum(np.vstack([sum0[None, :], R[s:e]]), axis=0)[-1]
            self._n = n0 + okn[s:e].sum(axis=0)

    def _close_hour(self) -> None:
        if self._bucket >= 0 and self._hi is not None:
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(self._n > 0, self._sum / self._n, np.nan)
            self._hours.append((self._bucket * HOUR, mean, self._hi, self._lo))

    def state(self) -> dict:
        """The hourly history and the hour being filled, so a restarted agent predicts at once."""
        def arr(a: np.ndarray | None) -> list | None:
            return None if a is None else [None if math.isnan(v) else float(v) for v in a]
        return {
            "limits": {c: [lim.direction, lim.threshold] for c, lim in self.limits.items()},
            "hours": [[t, arr(m), arr(hi), arr(lo)] for t, m, hi, lo in self._hours],
            "bucket": self._bucket, "sum": arr(self._sum), "n": arr(self._n), "hi": arr(self._hi), "lo": arr(self._lo),
        }

    def load_state(self, d: dict) -> None:
        def arr(a: list | None) -> np.ndarray | None:
            return None if a is None else np.array([math.nan if v is None else v for v in a], dtype=float)
        # the pump's own limits (its refrigerant's) win over what the state holds: a state
        # written with other limits (an older agent's, R32's for every pump) must not bring
        # them back; only what was learned from the pump comes from the state
        learned = {c: TripLimit(c, direction, float(th)) for c, (direction, th) in d["limits"].items()
                   if c in LEARNED_LIMITS}
        self.limits = {**learned, **self._given}
        self._hours.clear()
        self._hours.extend((float(t), arr(m), arr(hi), arr(lo)) for t, m, hi, lo in d["hours"])
        self._bucket = int(d["bucket"])
        self._sum, self._n, self._hi, self._lo = arr(d["sum"]), arr(d["n"]), arr(d["hi"]), arr(d["lo"])

    def predict(self, fault: str, now: float) -> Prognosis | None:
        """The earliest indicator's trip, its interval calibrated (prognosis_calibration) when a table is given."""
        best: Prognosis | None = None
        for ch in FAULT_INDICATORS.get(fault, ()):
            p = self._predict_channel(ch, now)
            if p is not None and (best is None or p.predicted_trip_ts < best.predicted_trip_ts):
                best = p
        if best is not None and self.calibration is not None:
            best = self.calibration.apply(best, now)
        return best

    def _predict_channel(self, ch: str, now: float) -> Prognosis | None:
        stage = ch in STAGE_LIMITS
        limit = STAGE_LIMITS[ch] if stage else self.limits.get(ch)
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
        if margin <= 0 and stage:  # the stage is reached: the indicators after it tell the trip
            return None
        if margin <= 0:  # already at the limit on its worst hour
            return Prognosis(indicator=ch, threshold=limit.threshold, predicted_trip_ts=now,
                             lower_ts=now, upper_ts=now + DAY)
        estimates = [e for e in (_linear_days(t, sign * s, rows, j, sign, margin, self.inflate),
                                 _exponential_days(t, sign * s, now, margin, self.inflate)) if e]
        if not estimates:
            return None
        cap = 365.0
        days = min(min(e[0] for e in estimates), cap)
        lower = min(min(e[1] for e in estimates), days)
        upper = min(max(e[2] for e in estimates), cap)
        return Prognosis(indicator=ch, threshold=limit.threshold, predicted_trip_ts=now + days * DAY,
                         lower_ts=now + lower * DAY, upper_ts=now + max(upper, days) * DAY)


Estimate = tuple[float, float, float]  # days to trip: expected, earliest, latest


def _linear_days(t: np.ndarray, y: np.ndarray, rows: list, j: int, sign: float, margin: float,
                 inflate: float) -> Estimate | None:
    """A steady drift: the faster of the hourly residual's trend and the daily worst reading's.

    The trip comes on the first day whose worst reading crosses the limit, not when the
    trend does: the earliest date allows for the day-to-day spread of the worst reading
    around its trend (two standard deviations of margin may go on one bad day).
    """
    slope, se, _ = _trend(t, y, inflate)
    day_t, day_worst = _daily_worst(rows, j, sign)
    spread = 0.0
    if len(day_t) >= 3:
        slope_w, se_w, spread = _trend(day_t, day_worst, 1.0)
        if slope_w > slope:
            slope, se = slope_w, se_w
    if slope <= 0:
        return None
    fast, slow = slope + 2 * se, slope - 2 * se
    return margin / slope, max(margin - 2 * spread, 0.0) / fast, (margin / slow if slow > 0 else math.inf)


def _exponential_days(t: np.ndarray, y: np.ndarray, now: float, margin: float,
                      inflate: float) -> Estimate | None:
    """A self-feeding fault: y = y0 * exp(c t), when it clearly explains ``y`` better than a line.

    ``y`` is the residual toward the trip; the trip comes when it has grown by ``margin``:
    y_now * exp(c d) = y_now + margin, so d = ln(1 + margin / y_now) / c. The fit is least
    squares on log y weighted by y squared (the small, noise-dominated early residuals
    would otherwise fake a steep growth), accepted only when c is clearly positive and the
    curve leaves less squared error than a straight line over the same hours.
    """
    pos = y > 0
    if pos.sum() < 24 or pos.mean() < 0.8:  # mostly on the healthy side: no growth to fit
        return None
    tp, yp = t[pos], y[pos]
    w = yp * yp
    c, se, a, t0 = _weighted_trend(tp, np.log(yp), w, inflate)
    if not (c - 2 * se > 0):
        return None
    curve = np.exp(a + c * (tp - t0) / DAY)
    line_slope, _, _ = _trend(tp, yp, 1.0)
    line = yp.mean() + line_slope * (tp - tp.mean()) / DAY
    if ((yp - curve) ** 2).sum() >= ((yp - line) ** 2).sum():
        return None
    y_now = math.exp(a + c * (now - t0) / DAY)
    grow = math.log1p(margin / y_now)
    return grow / c, grow / (c + 2 * se), grow / (c - 2 * se)


def _weighted_trend(t: np.ndarray, v: np.ndarray, w: np.ndarray, inflate: float
                    ) -> tuple[float, float, float, float]:
    """Weighted least squares v = a + c (t - t0)/DAY: slope c, its standard error, a, t0."""
    wsum = float(w.sum())
    t0 = float((w * t).sum() / wsum)
    v0 = float((w * v).sum() / wsum)
    tc = (t - t0) / DAY
    ss = float((w * tc * tc).sum())
    if ss <= 0:
        return 0.0, math.inf, v0, t0
    c = float((w * tc * (v - v0)).sum() / ss)
    resid = v - v0 - c * tc
    n_eff = wsum * wsum / float((w * w).sum())  # Kish effective sample size
    var = float((w * resid * resid).sum() / wsum) * n_eff / max(n_eff - 2, 1)
    se = math.sqrt(var / (ss / wsum) / n_eff) * inflate
    return c, se, v0, t0


def _trend(t: np.ndarray, s: np.ndarray, inflate: float) -> tuple[float, float, float]:
    """Least-squares slope per day, its standard error, and the residuals' standard deviation."""
    tc = (t - t.mean()) / DAY
    ss = float((tc * tc).sum())
    if ss <= 0:
        return 0.0, math.inf, 0.0
    slope = float((tc * (s - s.mean())).sum() / ss)
    resid = s - s.mean() - slope * tc
    sd = math.sqrt(float((resid ** 2).sum()) / max(len(s) - 2, 1))
    return slope, sd / math.sqrt(ss) * inflate, sd


def _daily_worst(rows: list, j: int, sign: float) -> tuple[np.ndarray, np.ndarray]:
    """Per whole day in ``rows``: the reading closest to the trip, signed so that up is toward it."""
    days: dict[int, float] = {}
    for h in rows:
        v = h[2][j] if sign > 0 else h[3][j]
        if math.isnan(v):
            continue
        d = int(h[0] // DAY)
        days[d] = v if d not in days else (max(days[d], v) if sign > 0 else min(days[d], v))
    if len(days) < 2:
        return np.array([]), np.array([])
    keys = sorted(days)[1:]
    return np.array([(k + 0.5) * DAY for k in keys]), sign * np.array([days[k] for k in keys])
