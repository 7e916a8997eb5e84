"""The switches that open on the reading of the moment see the passing readings too.

The tracker's hours are read from steady readings (the fault and the weather are told from them),
but the discharge stop and the high-pressure switch open on the instantaneous value: the end of a
run after a defrost or in a hot-water boost reads well above the steady hours. A pump whose steady
worst is 15 K under the limit with 15 K excursions on top trips days before its steady hours would
reach the limit; the date must be that of the readings the switch sees (prognosis.INSTANT,
_transient_days). A switch that waits out a hold of minutes (low pressure) does not see them.
"""

from __future__ import annotations

import numpy as np

from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.prognosis import PrognosisTracker
from heatwatch.units import DAY, HOUR

EXCURSION = 15.0  # K a transient passes the day's steady worst by
HEALTHY = 75.0
LIMIT = 115.0


def _feed(channel: str, healthy: float, drift_per_day: float, excursion: float, days: float,
          transients: bool) -> PrognosisTracker:
    """Steady readings every 5 minutes drifting at ``drift_per_day``; with ``transients``, once a day a
    passing reading ``excursion`` beyond the steady one (fed as the pipeline feeds a non-steady row)."""
    rng = np.random.default_rng(3)
    tracker = PrognosisTracker()
    tracker.calibration = None
    j = TARGET_NAMES.index(channel)
    for ts in np.arange(0.0, days * DAY, 300.0):
        residual = np.zeros(len(TARGET_NAMES))
        residual[j] = drift_per_day * ts / DAY + rng.normal(0.0, 0.5)
        observed = np.full(len(TARGET_NAMES), np.nan)
        observed[j] = healthy + residual[j]
        tracker.update(float(ts), residual, observed)
        tracker.update_peak(float(ts), observed)
        if transients and ts % DAY == 18 * HOUR:  # an evening boost's last minutes
            spike = observed.copy()
            spike[j] = observed[j] + excursion
            tracker.update_peak(float(ts) + 60.0, spike)
    return tracker


def _days(tracker: PrognosisTracker, fault: str, now: float) -> float:
    p = tracker.predict(fault, now)
    assert p is not None
    return (p.predicted_trip_ts - now) / DAY


def test_a_discharge_with_transients_is_dated_by_them() -> None:
    now = 12 * DAY - HOUR
    steady = _days(_feed("t_discharge", HEALTHY, 1.0, EXCURSION, 12, transients=False), "compressor_wear", now)
    passing = _days(_feed("t_discharge", HEALTHY, 1.0, EXCURSION, 12, transients=True), "compressor_wear", now)
    # the steady worst reaches 115 in ~28 days; with 15 K on top, in ~13
    actual = (LIMIT - EXCURSION - HEALTHY) / 1.0 - 12.0
    assert steady > actual + 8.0, (steady, actual)
    assert abs(passing - actual) < 0.35 * actual, (passing, actual)


def test_a_held_switch_does_not_see_transients() -> None:
    """The low-pressure switch opens on a pressure held for minutes: a passing dip does not date it."""
    now = 12 * DAY - HOUR
    a = _feed("p_low", 3.0, -0.08, -1.0, 12, transients=False)
    b = _feed("p_low", 3.0, -0.08, -1.0, 12, transients=True)
    pa, pb = a.predict("evaporator_fouling", now), b.predict("evaporator_fouling", now)
    assert pa is not None and pb is not None
    assert pa.indicator == pb.indicator == "p_low"
    assert pa.predicted_trip_ts == pb.predicted_trip_ts


def test_the_passing_readings_survive_a_restart() -> None:
    now = 12 * DAY - HOUR
    t = _feed("t_discharge", HEALTHY, 1.0, EXCURSION, 12, transients=True)
    again = PrognosisTracker()
    again.calibration = None
    again.load_state(t.state())
    assert _days(again, "compressor_wear", now) == _days(t, "compressor_wear", now)


def test_the_spell_is_read_from_the_steady_days(monkeypatch) -> None:
    """Weather comes in spells; a defrost's end or a boost's last minutes do not carry from one day to
    the next. A pump whose steady worst days follow a slow spell, with excursions on some days and not
    on others, has its persistence read from the steady days alone (prognosis.SPELL_FROM_STEADY): the
    excursions' day-to-day jitter would read as no spell at all."""
    from heatwatch.edge.heatpump import prognosis

    rng = np.random.default_rng(5)
    days = 24
    spell = HEALTHY + 6.0 * np.sin(np.arange(days) * 2 * np.pi / 12.0)  # a 12-day swing of the weather
    tracker = PrognosisTracker()
    tracker.calibration = None
    j = TARGET_NAMES.index("t_discharge")
    for ts in np.arange(0.0, days * DAY, 300.0):
        d = int(ts // DAY)
        residual = np.zeros(len(TARGET_NAMES))
        residual[j] = 0.3 * ts / DAY + rng.normal(0.0, 0.3)
        observed = np.full(len(TARGET_NAMES), np.nan)
        observed[j] = spell[d] + 4.0 * np.sin(2 * np.pi * (ts % DAY) / DAY) + residual[j]
        tracker.update(float(ts), residual, observed)
        tracker.update_peak(float(ts), observed)
        if ts % DAY == 18 * HOUR and d % 2 == 0:  # a defrost's end every other day
            spike = observed.copy()
            spike[j] = observed[j] + EXCURSION
            tracker.update_peak(float(ts) + 60.0, spike)
    read: list[np.ndarray] = []
    real = prognosis._persistence

    def spy(base: np.ndarray, day_t: np.ndarray | None = None) -> float:
        read.append(np.array(base))
        return real(base, day_t)

    monkeypatch.setattr(prognosis, "_persistence", spy)
    now = days * DAY - HOUR
    assert tracker.predict("compressor_wear", now) is not None
    rows = [h for h in tracker._hours if h[0] < now]
    steady = prognosis._daily(rows, j, 1.0)[2][-prognosis.PERSIST_DAYS:]
    assert any(len(b) == len(steady) and np.allclose(b, steady) for b in read), "the spell read with the excursions"
    assert real(steady) > 0.5  # the steady days hold the spell the test is about
