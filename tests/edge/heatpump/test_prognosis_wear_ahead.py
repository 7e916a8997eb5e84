"""A worn compressor's own prognosis to either of its limits (bench/heldout47_wear.md).

The discharge: a pump that reports its frequency has its derate before its discharge first reaches it (the derate
is the pump model's), so a worn compressor whose hottest hour is still under the derate trips past the stop by the
room its frequency will give up, as one already held (test_prognosis_wear_room's pump, read weeks before its first
held hour). Trended to the bare stop it was dated over twice early (prognosis.ROOM_AHEAD False: main before it).

The over-current: a rubbing compressor in its last days draws within a few per cent of its relay; the learned
limit's ran-on bound (the relay lies above the most the pump has drawn) set 10 % over it put the limit past the real
relay and kept it ahead of the pump, dated over twice late in its last days (prognosis.RUNNING_ABOVE 1.1: main).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from heatwatch.edge.heatpump import prognosis
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.prognosis import OVERCURRENT_MARGIN, TOP_HZ, PrognosisTracker
from heatwatch.edge.heatpump.prognosis_derate import held_at_derate
from heatwatch.units import DAY

from .test_prognosis_wear_room import J_DIS, J_HZ, _trip_day, _worn

JA = TARGET_NAMES.index("compressor_a")
EARLY_DAY = 19.0  # the heaviest hour's discharge some 107 °C: under the derate's 108.5 °C band


def _worn_until(now_day: float, seed: int = 5) -> PrognosisTracker:
    """test_prognosis_wear_room's worn pump, read until ``now_day``."""
    return _worn(seed, now_day)


def _days(tracker: PrognosisTracker, now_day: float) -> float:
    p = tracker.predict("compressor_wear", now_day * DAY)
    assert p is not None and p.indicator == "t_discharge"
    return (p.predicted_trip_ts - now_day * DAY) / DAY


def test_a_worn_compressor_not_yet_at_its_derate_is_dated_with_the_room_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    tracker = _worn_until(EARLY_DAY)
    cols = tracker._columns(list(tracker._hours))
    assert not held_at_derate(cols, EARLY_DAY * DAY, J_HZ, J_DIS, days=math.inf)  # never held yet
    left = _trip_day() - EARLY_DAY
    assert left > 40.0  # weeks: the derate will hold it for a month first
    days = _days(tracker, EARLY_DAY)
    assert left / 2 <= days <= 2 * left, (days, left)
    # main before ROOM_AHEAD: the discharge trended to the bare stop, over twice early
    monkeypatch.setattr(prognosis, "ROOM_AHEAD", False)
    old = _days(_worn_until(EARLY_DAY), EARLY_DAY)
    assert old < left / 2, (old, left)


def test_a_pump_model_whose_derate_starts_past_the_stop_has_no_room_ahead() -> None:
    """edge.toml [design] derate_start_c at or over the stop: no derate before the trip, none ahead either."""
    tracker = _worn_until(EARLY_DAY)
    tracker.derate_start_c = 125.0
    left = _trip_day() - EARLY_DAY
    assert _days(tracker, EARLY_DAY) < left / 2


def _rubbing(days: float, seed: int = 3) -> tuple[PrognosisTracker, float]:
    """A rubbing compressor at 40-80 Hz drawing 0.12 A per Hz healthy and 0.4 A a day more (tests/edge/heatpump/
    test_prognosis.py's stream), its relay where the learned rating puts it; and the first reading's day at it."""
    rng = np.random.default_rng(seed)
    relay = OVERCURRENT_MARGIN * 0.12 * TOP_HZ
    tracker = PrognosisTracker()
    tracker.calibration = None
    jh = TARGET_NAMES.index("compressor_hz")
    trip = None
    for ts in np.arange(0.0, 40 * DAY, 300.0):
        d = ts / DAY
        hz = 60.0 + 20.0 * math.sin(2 * math.pi * d)
        residual = np.zeros(len(TARGET_NAMES))
        residual[JA] = 0.4 * d + rng.normal(0.0, 0.1)
        observed = np.full(len(TARGET_NAMES), np.nan)
        observed[JA], observed[jh] = 0.12 * hz + residual[JA], hz
        if d < days:
            tracker.update(float(ts), residual, observed)
        elif observed[JA] >= relay:
            trip = d
            break
    assert trip is not None
    return tracker, trip


def test_a_rubbing_compressor_near_its_relay_is_not_dated_days_late(monkeypatch: pytest.MonkeyPatch) -> None:
    now = 15.5
    tracker, trip = _rubbing(now)
    left = trip - now
    assert 0.5 < left < 3.0  # its last days: its worst hours draw within a few per cent of the relay
    p = tracker.predict("compressor_wear", now * DAY)
    assert p is not None and p.indicator == "compressor_a"
    days = (p.predicted_trip_ts - now * DAY) / DAY
    assert days <= 2 * left, (days, left)
    assert p.threshold <= 1.03 * OVERCURRENT_MARGIN * 0.12 * TOP_HZ
    # main's ran-on bound, 10 % over the most drawn: the limit past the relay, the date over twice late
    monkeypatch.setattr(prognosis, "RUNNING_ABOVE", prognosis.RUNNING_ABOVE_MAIN)
    old = PrognosisTracker.predict(_rubbing(now)[0], "compressor_wear", now * DAY)
    assert old is not None and (old.predicted_trip_ts - now * DAY) / DAY > 2 * left
    assert old.threshold > 1.05 * OVERCURRENT_MARGIN * 0.12 * TOP_HZ
