"""Prognosis on indicator histories whose trip time is known exactly.

A steady drift and a self-feeding (exponential) fault are fed hour by hour
with noise, as the pipeline feeds residuals; the predicted trip must land near
the true crossing and the interval must hold it. A linear extension of the
accelerating fault alone would promise far too much time, the error that
makes a dispatcher wait until after the trip.
"""

from __future__ import annotations

import math

import numpy as np

from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.prognosis import PrognosisTracker
from heatwatch.units import DAY, HOUR

J = TARGET_NAMES.index("t_discharge")
HEALTHY_DISCHARGE = 75.0  # °C, the worst healthy reading of the day
LIMIT = 115.0  # DEFAULT_LIMITS["t_discharge"]


def _feed(excess_at_day, days: float, seed: int = 1) -> PrognosisTracker:
    """One reading every 5 minutes; the residual of t_discharge = excess(t) + noise."""
    rng = np.random.default_rng(seed)
    tracker = PrognosisTracker()
    for ts in np.arange(0.0, days * DAY, 300.0):
        excess = excess_at_day(ts / DAY)
        residual = np.zeros(len(TARGET_NAMES))
        residual[J] = excess + rng.normal(0.0, 1.0)
        observed = np.full(len(TARGET_NAMES), np.nan)
        observed[J] = HEALTHY_DISCHARGE + residual[J]
        tracker.update(float(ts), residual, observed)
    return tracker


def _true_days_left(excess_at_day, now_day: float) -> float:
    """Days until the worst reading (healthy worst + excess) reaches the limit."""
    for d in np.arange(now_day, now_day + 400.0, 0.01):
        if HEALTHY_DISCHARGE + excess_at_day(d) >= LIMIT:
            return float(d - now_day)
    return math.inf


def test_steady_drift_is_extended_to_its_limit() -> None:
    drift = lambda d: 1.0 * d  # noqa: E731 - 1 K per day
    tracker = _feed(drift, days=10)
    p = tracker.predict("compressor_wear", 10 * DAY)
    assert p is not None and p.indicator == "t_discharge"
    actual = _true_days_left(drift, 10)
    predicted = (p.predicted_trip_ts - 10 * DAY) / DAY
    assert abs(predicted - actual) < 0.3 * actual, (predicted, actual)
    assert p.lower_ts <= 10 * DAY + actual * DAY <= p.upper_ts


def test_accelerating_fault_is_not_promised_a_linear_future() -> None:
    growth = lambda d: 0.5 * math.exp(0.25 * d)  # noqa: E731 - doubles every 2.8 days
    tracker = _feed(growth, days=8)
    now = 8 * DAY - HOUR
    p = tracker.predict("compressor_wear", now)
    assert p is not None
    actual = _true_days_left(growth, now / DAY)
    predicted = (p.predicted_trip_ts - now) / DAY
    assert abs(predicted - actual) < 0.3 * actual, (predicted, actual)
    assert p.lower_ts <= now + actual * DAY <= p.upper_ts, "interval must hold the real trip"


def test_no_trend_no_date() -> None:
    tracker = _feed(lambda d: 0.0, days=10)
    assert tracker.predict("compressor_wear", 10 * DAY) is None


def test_a_pump_at_its_limit_is_due_now() -> None:
    tracker = _feed(lambda d: 41.0, days=2)
    p = tracker.predict("compressor_wear", 2 * DAY)
    assert p is not None and p.predicted_trip_ts == 2 * DAY
