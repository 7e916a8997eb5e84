"""A fouled condenser's hot-water peak read through its condensing approach (prognosis._mapped_curve).

The controller cuts the compressor as the condensing temperature rises, so the hot-water peak
pressure bends over toward the switch while the deposit (the condensing approach's excess) grows
on steadily. The curve the cut makes is learned from the pump's own days; no constant of the
controller is given to the agent.
"""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.edge.heatpump import prognosis as P
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.prognosis import PrognosisTracker, _mapped_curve
from heatwatch.units import DAY, HOUR

SWITCH = 22.5  # bar: a propane pump's high-pressure switch (heatwatch.trips)


def _cut_curve(x: np.ndarray, a: float = 19.5, b: float = 5.75, c: float = 0.25) -> np.ndarray:
    """The peak under a cut that deepens in a line with the condensing temperature: a ratio of
    lines in the deposit, rising from ``a`` toward ``b / c`` (23 bar)."""
    return (a + b * x) / (1.0 + c * x)


def test_the_cut_curve_is_learned_from_the_days() -> None:
    """Noisy hot-water peaks on a cut's curve, half the days a heating day far below: the learned
    rise follows the curve where it was seen and bends over beyond it as the curve does (a line
    through the same days would put 40 K of approach some 14 bar up, the curve under 4)."""
    rng = np.random.default_rng(5)
    x = np.linspace(0.0, 8.0, 30)
    worst = _cut_curve(x) + rng.normal(0.0, 0.05, len(x))
    worst[::2] = 14.0 + rng.normal(0.0, 0.5, 15)  # heating days: their peaks say nothing of the cut
    rise = _mapped_curve(worst, x, 1.0)
    assert rise is not None
    assert abs(float(rise(np.array([6.0]))[0]) - (_cut_curve(np.array([6.0]))[0] - 19.5)) < 0.2
    far = float(rise(np.array([40.0]))[0])
    assert far < _cut_curve(np.array([40.0]))[0] - 19.5 + 0.6, far
    line = np.polyfit(x[1::2], worst[1::2], 1)[0] * 40.0
    assert line > 3.0 * far


def test_a_peak_that_follows_the_growth_is_a_line_and_no_growth_tells_nothing() -> None:
    """Peaks that rise in proportion to the deposit are read as a line, not bent over; a deposit
    that has not grown by the growth channel's smallest shift gives no curve (the held share)."""
    x = np.linspace(0.0, 5.0, 20)
    rise = _mapped_curve(19.5 + 0.6 * x, x, 1.0)
    assert rise is not None
    assert float(rise(np.array([20.0]))[0]) == pytest.approx(12.0, rel=1e-6)
    assert _mapped_curve(19.5 + 0.6 * x, 0.1 * x, 1.0) is None


def _held_by_cut(days: float, seed: int = 3) -> tuple[PrognosisTracker, float]:
    """A propane pump whose condensing approach's residual grows 0.25 K a day from day 5 and whose
    one hot-water hour a day peaks on the cut's curve of it (0.1 bar of noise), its heating hours
    near 14 bar with the weather (the deposit adds 0.3 bar per K at their lower heat); its p_high
    residual carries the deposit at the cut frequency (0.875 bar per K, the curve's first slope). Returns
    the tracker fed until ``days`` and the day the peak first reaches the switch."""
    rng = np.random.default_rng(seed)
    tracker = PrognosisTracker(refrigerant="R290")
    tracker.calibration = None
    j, ja = TARGET_NAMES.index("p_high"), TARGET_NAMES.index("cond_approach")
    weather, trip = 0.0, None
    for ts in np.arange(0.0, 200.0 * DAY, 300.0):
        d = ts / DAY
        if ts % DAY == 0:
            weather = rng.normal(0.0, 0.7)
        x = 0.25 * max(d - 5.0, 0.0)
        hot = 6 * HOUR <= ts % DAY < 7 * HOUR
        reading = float(_cut_curve(np.array([x]))[0]) + rng.normal(0.0, 0.1) if hot \
            else 14.0 + weather + 0.3 * x + rng.normal(0.0, 0.2)
        if d >= days:
            if hot and reading >= SWITCH:
                trip = d
                break
            continue
        residual = np.zeros(len(TARGET_NAMES))
        residual[j], residual[ja] = 0.875 * x + rng.normal(0.0, 0.03), x + rng.normal(0.0, 0.05)
        observed = np.full(len(TARGET_NAMES), np.nan)
        observed[j], observed[ja] = reading, 4.0 + x
        tracker.update(float(ts), residual, observed)
    assert trip is not None
    return tracker, trip


def test_a_peak_held_by_the_cut_is_dated_later_through_the_approach(monkeypatch: pytest.MonkeyPatch) -> None:
    """With its peak bent over within a bar of the switch, the held share's lines date the pump some
    7 times too soon (the share floored at HOLD_KMIN still carries a quarter of the growing excess).
    Read through the approach (the cut's learned curve, a rival of those lines, kept as it dates the
    trip later) the date comes within a factor 4 of the day the peak first reaches the switch."""
    now = 40.0
    tracker, trip = _held_by_cut(now)
    monkeypatch.setattr(P, "MAP_LATER_ONLY", True)
    monkeypatch.setattr(P, "USE_MAPPED", False)
    held = tracker.predict("condenser_fouling", now * DAY)
    monkeypatch.setattr(P, "USE_MAPPED", True)
    mapped = tracker.predict("condenser_fouling", now * DAY)
    assert held is not None and mapped is not None and mapped.indicator == "p_high"
    held_days, mapped_days = ((p.predicted_trip_ts - now * DAY) / DAY for p in (held, mapped))
    actual = trip - now
    assert held_days < mapped_days <= actual, (held_days, mapped_days, actual)
    assert actual / mapped_days < 4.0 < actual / held_days, (held_days, mapped_days, actual)


def test_the_approach_only_moves_a_date_later(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the approach's rivals date the trip sooner than the held share (a peak that has followed
    the deposit so far), the held share's date stands: the read through the approach is there for
    the hold, and a sooner date from it was the loop's one lost ticket (a first date of 6 days with
    47 left)."""
    rng = np.random.default_rng(9)
    tracker = PrognosisTracker(refrigerant="R290")
    tracker.calibration = None
    j, ja = TARGET_NAMES.index("p_high"), TARGET_NAMES.index("cond_approach")
    for ts in np.arange(0.0, 30.0 * DAY, 300.0):
        x = 0.3 * max(ts / DAY - 5.0, 0.0)
        hot = 6 * HOUR <= ts % DAY < 7 * HOUR
        # the peak rises 0.3 bar per K of approach while the p_high residual carries half of that
        reading = 19.5 + 0.3 * x + rng.normal(0.0, 0.05) if hot else 14.0 + rng.normal(0.0, 0.3)
        residual = np.zeros(len(TARGET_NAMES))
        residual[j], residual[ja] = 0.15 * x + rng.normal(0.0, 0.03), x + rng.normal(0.0, 0.05)
        observed = np.full(len(TARGET_NAMES), np.nan)
        observed[j], observed[ja] = reading, 4.0 + x
        tracker.update(float(ts), residual, observed)
    dates = {}
    for later in (False, True):
        monkeypatch.setattr(P, "USE_MAPPED", True)
        monkeypatch.setattr(P, "MAP_LATER_ONLY", later)
        p = tracker.predict("condenser_fouling", 30.0 * DAY)
        assert p is not None
        dates[later] = p.predicted_trip_ts
    monkeypatch.setattr(P, "USE_MAPPED", False)
    held = tracker.predict("condenser_fouling", 30.0 * DAY)
    assert held is not None
    assert dates[False] < held.predicted_trip_ts  # the rivals alone would have dated it sooner
    assert dates[True] == held.predicted_trip_ts
