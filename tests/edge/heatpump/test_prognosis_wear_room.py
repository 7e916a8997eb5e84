"""A worn compressor at its derate trips once its discharge is past the stop by the kelvin its frequency can
still give up, not when the trend of its hours off the derate meets the stop.

The wear's discharge excess grows 0.5 K a day from day 5, on every hour alike. The pump's hours through a day
run from 30 Hz and a healthy 75 °C discharge (mild hours) to 55 Hz and 100 °C (its heaviest). From 110 °C the
controller steps the frequency down instead of letting the discharge climb, DERATE_ROOM_K kelvin over the whole
frequency, as far as the 20 Hz minimum; the pump trips on the first hour whose discharge is still 5 K past the
set point there (on the heaviest hour, near day 73). Trended to the 115 °C stop, the hours off the derate (those
under 108.5 °C: their hottest sit just under it) say a week or two; with each hour's room in kelvin, the weeks left.
"""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.edge.heatpump import prognosis
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.prognosis import PrognosisTracker
from heatwatch.edge.heatpump.prognosis_derate import DERATE_ROOM_K, daily_worst_less_room
from heatwatch.units import DAY

J_DIS = TARGET_NAMES.index("t_discharge")
J_HZ = TARGET_NAMES.index("compressor_hz")
F_MIN, START, STOP = 20.0, 110.0, 115.0
NOW_DAY = 45.0


def _hour(ts: float) -> tuple[float, float, float]:
    """The hour's healthy discharge, asked frequency and the wear's excess."""
    x = 0.5 + 0.5 * np.sin(2.0 * np.pi * ts / DAY)  # the day's load: 0 mildest, 1 heaviest
    return 75.0 + 25.0 * x, 30.0 + 25.0 * x, max(ts / DAY - 5.0, 0.0) * 0.5


def _derated(would: float, asked: float) -> tuple[float, float, bool]:
    """The discharge and frequency the derate leaves, and whether the stop trips."""
    room = DERATE_ROOM_K * (1.0 - F_MIN / asked)
    cut = min(max(would - START, 0.0), room)
    return would - cut, asked * (1.0 - cut / DERATE_ROOM_K), would - cut >= STOP


def _trip_day() -> float:
    for ts in np.arange(0.0, 200 * DAY, 300.0):
        healthy, asked, excess = _hour(ts)
        if _derated(healthy + excess, asked)[2]:
            return ts / DAY
    raise AssertionError("no trip")


def _worn(seed: int = 5, now_day: float | None = None) -> PrognosisTracker:
    """The worn pump, read until ``now_day`` (NOW_DAY when None)."""
    now_day = NOW_DAY if now_day is None else now_day
    rng = np.random.default_rng(seed)
    tracker = PrognosisTracker(refrigerant="R32")
    tracker.calibration = None  # the estimator's raw date: what the table is fitted on
    for ts in np.arange(0.0, now_day * DAY, 300.0):
        healthy, asked, excess = _hour(ts)
        dis, run_hz, _ = _derated(healthy + excess, asked)
        residual = np.zeros(len(TARGET_NAMES))
        observed = np.full(len(TARGET_NAMES), np.nan)
        residual[J_DIS], observed[J_DIS] = dis - healthy + rng.normal(0.0, 0.3), dis + rng.normal(0.0, 0.2)
        residual[J_HZ], observed[J_HZ] = run_hz - asked, run_hz
        tracker.update(float(ts), residual, observed)
    return tracker


def test_room_in_kelvin_is_the_frequency_share_left() -> None:
    tracker = _worn()
    cols = tracker._columns(list(tracker._hours))
    day_t, worst = daily_worst_less_room(cols, J_HZ, J_DIS)
    assert len(day_t) >= 28  # the tracker's month
    # the first day, none of its hours held yet: its heaviest hour (a healthy 100 °C at 55 Hz) less its room
    assert worst[0] == pytest.approx(100.0 - DERATE_ROOM_K * (1.0 - F_MIN / 55.0), abs=1.0)


def test_worn_compressor_at_its_derate_is_dated_by_its_room(monkeypatch: pytest.MonkeyPatch) -> None:
    left = _trip_day() - NOW_DAY
    assert 20.0 < left < 40.0  # weeks left, the heaviest hours held at the derate for days already
    p = _worn().predict("compressor_wear", NOW_DAY * DAY)
    assert p is not None and p.indicator == "t_discharge"
    days = (p.predicted_trip_ts - NOW_DAY * DAY) / DAY
    assert left / 2 <= days <= 2 * left, (days, left)
    # main d3d079f's estimator (the hours off the derate trended to the stop itself): over twice early
    monkeypatch.setattr(prognosis, "ROOM_IN_KELVIN", False)
    old = _worn().predict("compressor_wear", NOW_DAY * DAY)
    assert old is not None and (old.predicted_trip_ts - NOW_DAY * DAY) / DAY < left / 2, (old, left)


def test_a_pump_models_own_room_moves_the_date_its_way() -> None:
    """The room is the pump model's (edge.toml [design] derate_room_k): a model whose derate can take off
    less kelvin is dated earlier on the same readings, one that can take off more not earlier (the date is
    also bounded by the frequency's room, prognosis_derate.derate_room_days)."""
    def days(room_k: float | None) -> float:
        tracker = _worn()
        if room_k is not None:
            tracker.derate_room_k = room_k
        p = tracker.predict("compressor_wear", NOW_DAY * DAY)
        assert p is not None
        return (p.predicted_trip_ts - NOW_DAY * DAY) / DAY

    default = days(None)
    # less room, an earlier date; more than the default no later than the frequency's own room dates it
    assert days(5.0) < days(10.0) < default <= days(60.0)
    assert PrognosisTracker(derate_room_k=45.0).derate_room_k == 45.0
    assert PrognosisTracker().derate_room_k == DERATE_ROOM_K


def _days_with(**model: float) -> float:
    tracker = _worn()
    for key, value in model.items():
        setattr(tracker, key, value)
    p = tracker.predict("compressor_wear", NOW_DAY * DAY)
    assert p is not None
    return (p.predicted_trip_ts - NOW_DAY * DAY) / DAY


def test_a_pump_models_minimum_frequency_moves_the_date_its_way() -> None:
    """edge.toml [design] min_frequency_hz: a compressor that can step further down has more room left
    at the derate, and is dated later on the same readings; one with a higher minimum, earlier."""
    assert _days_with(min_frequency_hz=28.0) < _days_with(min_frequency_hz=25.0) < _days_with() \
        < _days_with(min_frequency_hz=15.0) < _days_with(min_frequency_hz=10.0)
    assert PrognosisTracker(min_frequency_hz=15.0).min_frequency_hz == 15.0
    assert PrognosisTracker().min_frequency_hz == F_MIN


def test_a_derate_start_no_hour_reaches_leaves_the_pump_unheld() -> None:
    """edge.toml [design] derate_start_c: for a pump model whose derate starts above every hour read, no
    hour is taken as held by it; the discharge is trended to the stop on every hour (weeks early here:
    the pump as the agent must judge a make without a derate)."""
    left = _trip_day() - NOW_DAY
    assert _days_with(derate_start_c=125.0) < left / 4 <= left / 2 <= _days_with()
    assert PrognosisTracker(derate_start_c=105.0).derate_start_c == 105.0
    assert PrognosisTracker().derate_start_c == START
