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
