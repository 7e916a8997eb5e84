"""A worn compressor's discharge extended by lines only (prognosis.WEAR_LINE, on by default since the thirty-seventh round; off: every law).

Wear is abrasion at a steady rate; the discharge's excess in kelvin is the loss times the hour's rise, which a cold
spell widens, so a steady wear read through a cold week bends up, and the parabola and the exponential extend that
bend into a take-off (bench/heldout49_wearfar.md)."""
from __future__ import annotations

from heatwatch.edge.heatpump import prognosis
from heatwatch.edge.heatpump.prognosis import PrognosisTracker
from heatwatch.units import DAY
from tests.support.worn_compressor import feed_worn

DAYS = 30


def _rise(day: float) -> float:
    """The hour's discharge rise relative to the month's: a cold spell over the last 6 days widens it by up to 60 %."""
    return 1.0 + 0.6 * min(max((day - (DAYS - 6)) / 6.0, 0.0), 1.0)


def _worn(seed: int = 5, held: bool = False) -> PrognosisTracker:
    """A loss that grows at a steady 0.25 K of rise a day (10 K of excess in 40 days at the month's rise), read
    through the cold spell: the excess is the loss times the rise. The day's worst hour (06:00) 80 °C healthy, the
    compressor at 50 Hz; ``held``: two evening hours of the day before at the derate (109.5 °C)."""
    tracker = PrognosisTracker()
    tracker.calibration = None  # the estimator's own date
    return feed_worn(tracker, lambda d: 0.25 * d * _rise(d), DAYS, seed=seed, held=held)


def _days(fault: str, monkeypatch, line: bool, held: bool = False) -> float:
    monkeypatch.setattr(prognosis, "WEAR_LINE", line)
    p = _worn(held=held).predict(fault, DAYS * DAY)
    assert p is not None and p.indicator == "t_discharge"
    return (p.predicted_trip_ts - DAYS * DAY) / DAY


def test_on_by_default_off_every_law(monkeypatch) -> None:
    assert prognosis.WEAR_LINE is True
    monkeypatch.setattr(prognosis, "WEAR_LINE", False)
    assert prognosis._growth_laws("compressor_wear", "t_discharge") == prognosis.MODELS
    monkeypatch.setattr(prognosis, "WEAR_LINE", True)
    assert prognosis._growth_laws("compressor_wear", "t_discharge") == ("line",)
    # the condenser's own lines stay, another fault's discharge keeps every law, wear's current too
    assert prognosis._growth_laws("condenser_fouling", "p_high") == ("line",)
    assert prognosis._growth_laws("refrigerant_leak", "t_discharge") == prognosis.MODELS
    assert prognosis._growth_laws("compressor_wear", "compressor_a") == prognosis.MODELS
    # once held at its derate, every law (the last stage); WEAR_LINE_HELD: lines then too
    assert prognosis._growth_laws("compressor_wear", "t_discharge", held=True) == prognosis.MODELS
    monkeypatch.setattr(prognosis, "WEAR_LINE_HELD", True)
    assert prognosis._growth_laws("compressor_wear", "t_discharge", held=True) == ("line",)


def test_a_cold_week_on_a_steady_wear_is_not_a_take_off(monkeypatch) -> None:
    """The excess bends up over the cold spell: every law dates the trip sooner than the lines do. At the cold
    spell's rise (1.6 x) the steady loss takes the 06:00 worst (80 + 12 K now, +0.4 K a day) past the stop by the
    derate's room at 50 Hz (115 + 30 x (1 - 20 / 50) = 133 °C) in ~100 days; every law's date is over 4 times early
    (16 days), the lines' within 2.5 times (40: a line over the cold week's ramp is steep too)."""
    every = _days("compressor_wear", monkeypatch, False)
    lines = _days("compressor_wear", monkeypatch, True)
    assert lines > 2.0 * every, (lines, every)
    assert every < 100.0 / 4.0 and 100.0 / 2.5 <= lines < 100.0, (lines, every)
    # a leak's discharge is not wear: the same hours dated the same either way
    assert _days("refrigerant_leak", monkeypatch, True) == _days("refrigerant_leak", monkeypatch, False)


def test_a_pump_held_at_its_derate_keeps_every_law(monkeypatch) -> None:
    """The same pump seen held at its derate the day before: the controller trades frequency for discharge, the
    room runs out ever faster, and its discharge keeps every law: the switch leaves its date as main's."""
    assert prognosis.WEAR_LINE_HELD is False
    assert _days("compressor_wear", monkeypatch, True, held=True) == _days("compressor_wear", monkeypatch, False,
                                                                             held=True)
    assert _days("compressor_wear", monkeypatch, True) != _days("compressor_wear", monkeypatch, False)
