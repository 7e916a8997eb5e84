"""A worn compressor's discharge in the compression's kelvin (prognosis.WEAR_FREE_DISCHARGE, prognosis_control; off: measured
on the used wear-only fleets, the far dates later but the near ones late, bench/heldout50_wear.md).

Above its knee (100 °C) the controller's discharge control holds back half the compression's rise, so a steady loss's
excess shows whole on the mild hours and halved on the hot ones, and the stop (with the derate's room past it) is
twice as far in the loss's kelvin there as in the reading's (bench/heldout50_wear.md)."""
from __future__ import annotations

import numpy as np

from heatwatch.edge.heatpump import prognosis
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.prognosis import PrognosisTracker, _stack_hours
from heatwatch.edge.heatpump.prognosis_control import daily_free_excess, free
from heatwatch.edge.heatpump.prognosis_derate import daily_worst_less_room
from heatwatch.units import DAY, HOUR

J = TARGET_NAMES.index("t_discharge")
HZ = TARGET_NAMES.index("compressor_hz")
DAYS = 30
RATE = 0.5  # K of the compression's discharge a day: a steady (Archard) loss
HOT, MILD = 95.0, 60.0  # the healthy discharge of the day's worst hour (06:00) and of the others


def _shown(v: float) -> float:
    """The reading of a compression's discharge ``v``: half the rise over 100 °C held back."""
    return v if v <= 100.0 else 100.0 + 0.5 * (v - 100.0)


def _worn(seed: int = 5) -> PrognosisTracker:
    """30 days of a steady loss read through the control; the compressor at 50 Hz (room 30 x (1 - 20/50) = 18 K)."""
    rng = np.random.default_rng(seed)
    tracker = PrognosisTracker()
    tracker.calibration = None  # the estimator's own date
    for ts in np.arange(0.0, DAYS * DAY, 300.0):
        healthy = HOT if 6 * HOUR <= ts % DAY < 7 * HOUR else MILD
        loss = RATE * ts / DAY + rng.normal(0.0, 0.3)
        observed = np.full(len(TARGET_NAMES), np.nan)
        observed[J] = _shown(healthy + loss)
        observed[HZ] = 50.0
        residual = np.zeros(len(TARGET_NAMES))
        residual[J] = observed[J] - healthy
        tracker.update(float(ts), residual, observed)
    return tracker


def _days(monkeypatch, on: bool | str) -> float:
    monkeypatch.setattr(prognosis, "WEAR_FREE_DISCHARGE", on)
    p = _worn().predict("compressor_wear", DAYS * DAY)
    assert p is not None and p.indicator == "t_discharge"
    return (p.predicted_trip_ts - DAYS * DAY) / DAY


def test_free_undoes_the_hold() -> None:
    assert prognosis.WEAR_FREE_DISCHARGE is False  # main's: the reading's kelvin
    assert np.allclose(free(np.array([60.0, 100.0, 105.0, 115.0])), [60.0, 100.0, 110.0, 130.0])
    assert np.allclose(free(np.array([105.0]), kept=1.0), [105.0])


def test_a_steady_loss_past_the_knee_is_dated_by_the_compression(monkeypatch) -> None:
    """The 06:00 hour trips once its reading is past the stop by the room, 115 + 18 = 133 °C: its compression's
    discharge 100 + 2 x 33 = 166 °C, the loss 71 K, (71 - 15) / 0.5 = 112 days from now. In the reading's kelvin the
    mild hours' whole excess (15 K, 0.5 K a day) is extended to 133 - 95 = 38 K: 46 days, over twice early; in the
    compression's kelvin within a factor 2."""
    old = _days(monkeypatch, False)
    new = _days(monkeypatch, "excess")
    assert old < 112.0 / 2.0, old
    assert 112.0 / 2.0 <= new <= 2.0 * 112.0, new
    # another fault's discharge is read as it was
    monkeypatch.setattr(prognosis, "WEAR_FREE_DISCHARGE", "excess")
    leak_on = _worn().predict("refrigerant_leak", DAYS * DAY)
    monkeypatch.setattr(prognosis, "WEAR_FREE_DISCHARGE", False)
    leak_off = _worn().predict("refrigerant_leak", DAYS * DAY)
    assert leak_on == leak_off


def test_no_hold_is_the_readings_kelvin() -> None:
    """kept 1 (a pump model without the control): the days, the room's healthy worst and the mean residual as before."""
    tr = _worn()
    cols = _stack_hours(list(tr._hours))
    t, excess, base = daily_free_excess(cols, HZ, J, 115.0, 30.0, 20.0, kept=1.0)
    rt, rb = daily_worst_less_room(cols, HZ, J, 30.0, 20.0)
    assert np.array_equal(t, rt) and np.allclose(base, rb)
    _, mean_r, _ = prognosis._daily(list(tr._hours), J, 1.0)
    assert np.allclose(excess, mean_r)
