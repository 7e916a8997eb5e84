"""Every reading's hours as columns (PrognosisTracker._peak_columns), carried from one refresh to the
next, are the very arrays stacking _peak_rows afresh gives: as hours close, as the tracker's memory
drops its oldest, reading by reading (the agent) and chunk by chunk (a replay), after a repair and a
restart; and the transients' days and the derate's filter read from them are those of the rows."""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.edge.heatpump import prognosis
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.prognosis import PeakColumns, PrognosisTracker
from heatwatch.edge.heatpump.prognosis_derate import not_derated
from heatwatch.units import HOUR

J_DIS = TARGET_NAMES.index("t_discharge")
STACK = prognosis._stack_peaks  # the reference stacking (the test counts the tracker's own calls)


def _readings(seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ts = np.cumsum(rng.choice([60.0, 300.0, 5400.0], p=[0.8, 0.19, 0.01], size=n)) + 1.7e9
    X = rng.normal(100.0, 8.0, (n, len(TARGET_NAMES)))
    X[rng.random(X.shape) < 0.05] = np.nan
    return ts, X


def _same(got: PeakColumns, rows: list) -> None:
    want = STACK(rows) if rows else None
    assert len(got) == len(rows)
    if want is not None:
        for a, b in zip((got.t, got.hi, got.lo), want):
            assert a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("seed", range(4))
def test_columns_are_the_rows_stacked(seed: int, monkeypatch) -> None:
    ts, X = _readings(seed, 6000)
    chunked, stream = PrognosisTracker(history_days=2.0), PrognosisTracker(history_days=2.0)
    stacked, returned = [0], [0]
    monkeypatch.setattr(prognosis, "_stack_peaks", lambda rows: stacked.__setitem__(0, stacked[0] + len(rows))
                        or STACK(rows))
    s = 0
    while s < len(ts):
        e = min(s + 97, len(ts))
        chunked.update_peak_rows(ts[s:e], X[s:e])
        for t, x in zip(ts[s:e].tolist(), X[s:e]):
            stream.update_peak(t, x)
        for now in (float(ts[e - 1]), float(ts[e - 1]) + 1.0, float(ts[s]) - 3 * HOUR):
            for tracker in (chunked, stream):
                got = tracker._peak_columns(now)
                returned[0] += len(got)
                _same(got, tracker._peak_rows(now))
        s = e
    assert len(chunked._peaks) == chunked._peaks.maxlen, "the memory dropped its oldest hours"
    # carried: a call stacks only the hours that closed since the last (and the open one), not the
    # memory's every hour (the code before had no columns to carry: each refresh went over them all)
    assert stacked[0] < 0.1 * returned[0]
    for tracker in (chunked, stream):
        restarted = PrognosisTracker(history_days=2.0)
        restarted.load_state(tracker.state())
        now = float(ts[-1]) + 1.0
        _same(restarted._peak_columns(now), restarted._peak_rows(now))
        tracker.forget_history(keep_learned_limits=True)
        assert len(tracker._peak_columns(now)) == 0 and not tracker._peak_rows(now)


def test_transients_and_derate_filter_read_the_same() -> None:
    ts, X = _readings(7, 4000)
    X[:, J_DIS] = np.where(np.random.default_rng(7).random(len(ts)) < 0.3, 109.2, X[:, J_DIS])
    tracker = PrognosisTracker()
    tracker.update_peak_rows(ts, X)
    now = float(ts[-1]) + 1.0
    rows, cols = tracker._peak_rows(now), tracker._peak_columns(now)
    hours = prognosis._stack_peaks(rows)
    steady = (hours[0], hours[1] - 1.0, hours[1] - 2.0, hours[2] + 2.0)  # (t, mean, high, low): steadier hours
    day_t = (np.unique(np.floor_divide(hours[0], 86400.0)) + 0.5) * 86400.0
    for j in range(len(TARGET_NAMES)):
        for sign in (1.0, -1.0):
            a = prognosis._transient_days(steady, rows, j, sign, day_t)
            b = prognosis._transient_days(steady, cols, j, sign, day_t)
            assert a.tobytes() == b.tobytes()
    kept = cols.kept(not_derated(cols.hi[:, J_DIS]))
    want = [h for h in rows if not h[1][J_DIS] >= 110.0 - 1.5]
    assert 0 < len(want) < len(rows)
    _same(kept, want)
