"""The table's words: health a person reads at a glance, a predicted trip relative to pump time."""

from __future__ import annotations

import math

from heatwatch.demo.wording import duration, health_index, health_word, predicted_trip
from heatwatch.units import DAY, HOUR


def test_health_index_falls_with_the_score_and_a_healthy_pump_is_never_red() -> None:
    scores = [0.0, 0.4, 1.8, 3.0, 8.65, 13.3]
    index = [health_index(s) for s in scores]
    assert index == sorted(index, reverse=True) and index[0] == 100 and index[-1] < 10
    assert health_index(math.nan) == 0 and health_index(-1.0) == 100
    # the case: a healthy pump at 1.8 nothing raised is good (green), a raised fault is red
    assert health_word(ready=True, readings=900, score=1.8, faults=0, tripped=False) == ("good", "green")
    assert health_word(ready=True, readings=900, score=13.3, faults=0, tripped=False)[0] == "watch"
    assert health_word(ready=True, readings=900, score=0.2, faults=1, tripped=False) == ("fault", "bold red")
    assert health_word(ready=True, readings=900, score=0.2, faults=1, tripped=True)[0] == "tripped"
    assert health_word(ready=False, readings=12, score=5.0, faults=0, tripped=False)[0] == "learning (12 readings)"
    for score in (0.0, 1.0, 1.8, 3.0):
        word, style = health_word(ready=True, readings=900, score=score, faults=0, tripped=False)
        assert "red" not in style, (score, word)


def test_predicted_trip_is_relative_to_pump_time_and_says_when_it_is_capped() -> None:
    now = 1_800_000_000.0
    assert predicted_trip(now + 4.2 * DAY, now + 2.1 * DAY, now + 7.5 * DAY, now) == "in 4.2 d (2.1-7.5 d)"
    assert predicted_trip(now + 4.2 * DAY, now + 2.1 * DAY, now + 365 * DAY, now) == \
        "in 4.2 d (2.1 d to > 1 y, capped)"
    assert predicted_trip(now + 365 * DAY, now + 90 * DAY, now + 365 * DAY, now) == "not within a year (capped)"
    assert predicted_trip(now - HOUR, now - HOUR, now + DAY, now) == "due now"
    assert predicted_trip(now + DAY, now, now + 2 * DAY, math.nan) == "-"
    assert [duration(s) for s in (90.0, 7.5 * HOUR, 1.25 * DAY)] == ["2 min", "7.5 h", "1.2 d"]
