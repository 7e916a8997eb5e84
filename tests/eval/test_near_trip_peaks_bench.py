"""bench/near_trip_peaks.py: the gap a trip's day closed, and the fault's worst share, on fleet pumps."""

import sys
from pathlib import Path

import numpy as np
import pytest

from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.prognosis import PrognosisTracker
from heatwatch.units import DAY, HOUR

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import near_trip_peaks  # noqa: E402


def _unseen_pump(tops: dict[int, float], trip_day: int = 10, direction: str = "up") -> dict:
    """A discharge trip on ``trip_day``; ``tops``: day -> the day's highest discharge over every step."""
    return {"trip_kind": "discharge_overtemp", "trip_ts": (trip_day + 0.4) * DAY,
            "limits": {"t_discharge": [direction, 115.0]},
            "unseen": [[d, [v, v - 1.0], [20.0, 20.0]] for d, v in sorted(tops.items())]}


def test_the_gap_is_read_from_the_days_before_the_trip_day_only():
    # the trip day itself (116) and a day before the window (114) are not the gap's
    pump = _unseen_pump({6: 114.0, 7: 105.0, 8: 110.0, 9: 108.0, 10: 116.0})
    assert near_trip_peaks.trip_gap(pump) == ("t_discharge", pytest.approx(5.0))


def test_a_trip_that_is_not_a_switch_on_the_moment_has_no_gap():
    pump = {**_unseen_pump({9: 100.0}), "trip_kind": "flow_switch"}
    assert near_trip_peaks.trip_gap(pump) is None
    assert near_trip_peaks.trip_gap(_unseen_pump({})) is None  # no day recorded


def test_a_limit_below_which_the_switch_opens_is_refused():
    with pytest.raises(ValueError, match="opens above"):
        near_trip_peaks.trip_gap(_unseen_pump({9: 100.0}, direction="down"))


def _share_pump(k: float, days: int = 12) -> dict:
    """A discharge whose mean excess grows 0.5 K a day while its worst hour (a hot-water cycle at 06:00)
    grows k times as fast: the fault's worst share is k."""
    j = TARGET_NAMES.index("t_discharge")
    tr = PrognosisTracker()
    for ts in np.arange(0.0, days * DAY, 300.0):
        e = 0.5 * (ts // DAY)
        residual = np.zeros(len(TARGET_NAMES))
        observed = np.full(len(TARGET_NAMES), np.nan)
        residual[j] = e
        observed[j] = 70.0 + e
        if ts % DAY // HOUR == 6:
            observed[j] = 90.0 + k * e
        tr.update(float(ts), residual, observed)
    return {"trip_kind": "discharge_overtemp", "trip_ts": days * DAY, "fault": "refrigerant_leak",
            "hours": [(t, m.tolist(), hi.tolist(), lo.tolist()) for t, m, hi, lo in tr._hours]}


@pytest.mark.parametrize("k", [1.0, 2.5])
def test_the_worst_share_is_the_worst_hours_growth_over_the_means(k):
    ch, got = near_trip_peaks.worst_share(_share_pump(k))
    assert ch == "t_discharge"
    assert got == pytest.approx(k, rel=0.05)


def test_lines_name_each_channel_and_fault():
    out = near_trip_peaks.lines([{**_share_pump(2.0), **_unseen_pump({9: 112.0}, trip_day=12)}])
    assert any("t_discharge" in line and "median 3.00" in line for line in out)
    assert any("refrigerant_leak" in line and "median 2.0" in line for line in out)
