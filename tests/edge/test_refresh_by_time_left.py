"""A raised fault's prognosis is re-checked by the time left on the date the dispatcher holds and by the
fault's age (edge/pipeline.py, REFRESH_BY_TIME_LEFT, refresh_period): a date weeks out about daily once
the fault is 4 days old, one under 8 days and any in a fault's first 2 days every 6 hours as before. A
valve stuck closed (Stockholm, 2-minute poll) is raised on day 14.4, dated 16 to 26 days out for the
next 10 days, then 5 to 13.

Fails on main (369c290): every raised fault's prognosis was made every 6 hours whatever its date (55
prognoses here, 26 by the law). Held here too: the agent read row by row (process) and by chunks
(process_batch) makes the same prognoses at the same times and says the same, and one restarted from
its state inside a day-long wait says what one that ran through says.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import heatwatch.edge.pipeline as pl
from heatwatch.contract import EventBody
from heatwatch.edge.heatpump.prognosis import PrognosisTracker
from heatwatch.edge.pipeline import PROGNOSIS_REFRESH_SECONDS, PumpPipeline, refresh_period
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import parse_scenario
from heatwatch.units import DAY, HOUR

SITE = {"name": "far-date", "description": "a valve stuck closed, dated weeks out", "fleet": {"size": 1},
        "climate": "stockholm", "start": "2024-11-20", "duration": "28d", "step": "60s", "seed": 77,
        "refrigerant": "R32",
        "devices": {"hp-000": {"faults": [{"type": "eev_stuck_closed", "onset": "3d", "time_to_trip": "45d"}]}}}
CHUNK = 2000


def test_the_period_is_a_sixteenth_of_the_time_left_a_quarter_of_the_age_from_6_hours_to_a_day() -> None:
    assert PROGNOSIS_REFRESH_SECONDS == 6 * HOUR
    for days, hours in ((-1.0, 6), (0.0, 6), (2.0, 6), (7.9, 6), (8.0, 12), (11.9, 12), (12.0, 18), (16.0, 24),
                        (21.0, 24), (90.0, 24)):
        assert refresh_period(days * DAY) == hours * HOUR, days
    for days in np.linspace(4.0, 40.0, 145):  # never staler than a sixteenth of the time left (a quarter of 25 %)
        assert refresh_period(days * DAY) <= days * DAY / 16.0
    for age, hours in ((0.0, 6), (1.9, 6), (2.0, 12), (3.0, 18), (4.0, 24), (30.0, 24)):  # a fault's first days
        assert refresh_period(21.0 * DAY, age * DAY) == hours * HOUR, age


@pytest.fixture(scope="module")
def readings() -> tuple[np.ndarray, np.ndarray]:
    fleet = Fleet(parse_scenario(SITE))
    ts, X = [], []
    for chunk in fleet.chunks(steps=1440 * 4):
        ts.append(chunk.ts[::2])
        X.append(chunk.values[::2, 0, :])
    return np.concatenate(ts), np.concatenate(X)


def _run(pipe: PumpPipeline, ts: np.ndarray, X: np.ndarray, made: list, *, stream: bool = False) -> list[EventBody]:
    out: list[EventBody] = []
    if stream:
        for t, x in zip(ts.tolist(), X):
            out.extend(pipe.process(t, x)[1])
        return out
    for s in range(0, len(ts), CHUNK):
        out.extend(pipe.process_batch(ts[s:s + CHUNK], X[s:s + CHUNK])[1])
    return out


@pytest.fixture
def made(monkeypatch) -> list[tuple[float, float | None]]:
    """Every prognosis made: (when, its date)."""
    out: list[tuple[float, float | None]] = []
    predict = PrognosisTracker.predict

    def counted(self, fault, now):  # noqa: ANN001, ANN202
        p = predict(self, fault, now)
        out.append((now, p.predicted_trip_ts if p is not None else None))
        return p

    monkeypatch.setattr(PrognosisTracker, "predict", counted)
    return out


def _key(ev: EventBody) -> tuple:
    return (ev.kind, ev.fault, round(ev.ts), round(ev.prognosis.predicted_trip_ts) if ev.prognosis else 0)


def _in_force(events: list[EventBody], t: float) -> float:
    """The date the dispatcher holds after the events up to t."""
    return [e for e in events if e.prognosis is not None and e.ts <= t][-1].prognosis.predicted_trip_ts


def test_a_far_date_is_checked_daily_a_near_one_every_6_hours(readings, made, monkeypatch) -> None:
    ts, X = readings
    runs = {}
    for law in (False, True):
        monkeypatch.setattr(pl, "REFRESH_BY_TIME_LEFT", law)
        made.clear()
        events = _run(PumpPipeline(device="hp-000"), ts, X, made)
        runs[law] = (list(made), events)
    old, new = runs[False][0], runs[True][0]
    raised = old[0][0]
    assert raised == new[0][0] and 14.0 < (raised - ts[0]) / DAY < 15.0
    assert all(b - a <= PROGNOSIS_REFRESH_SECONDS for (a, _), (b, _) in zip(old[1:], old[2:]))  # every 6 hours
    events = runs[True][1]
    gaps = []
    for (a, date), (b, _) in zip(new, new[1:]):
        # the lesser of the date in force and the one just made: the period to the next, at the first
        # 6-hourly refresh due (a raise falls between them)
        left = min(_in_force(events, a), date if date is not None else np.inf) - a
        period = refresh_period(left, a - raised)
        assert period <= b - a < period + PROGNOSIS_REFRESH_SECONDS, ((a - ts[0]) / DAY, left / DAY)
        gaps.append((left / DAY, (b - a) / HOUR))
    assert [gap for left, gap in gaps[1:8]] == [6.0] * 7  # its first 2 days every 6 h, its date 19-23 days out
    assert any(left >= 16.0 and gap == 24.0 for left, gap in gaps)  # from its fourth day, a date weeks out daily
    assert any(8.0 <= left < 12.0 and gap == 12.0 for left, gap in gaps)
    near = [gap for left, gap in gaps[1:] if left < 8.0]  # (the raise's first: to the next 6-hourly refresh)
    assert len(near) >= 4 and set(near) == {6.0}  # under 8 days as before
    assert len(new) < 0.6 * len(old)


def test_read_row_by_row_or_by_chunks_and_restarted_in_a_wait_it_says_the_same(readings, made) -> None:
    ts, X = readings
    through = _run(PumpPipeline(device="hp-000"), ts, X, made)
    batch_made = list(made)
    made.clear()
    streamed = _run(PumpPipeline(device="hp-000"), ts, X, made, stream=True)
    assert [_key(e) for e in streamed] == [_key(e) for e in through]
    assert made == batch_made
    # cut inside a day-long wait on a date weeks out: the restarted agent waits out the same day
    far = next(a for (a, _), (b, _) in zip(batch_made, batch_made[1:]) if b - a >= DAY)
    cut = int(np.searchsorted(ts, far + 0.4 * DAY))
    made.clear()
    before = PumpPipeline(device="hp-000")
    first = _run(before, ts[:cut], X[:cut], made)
    state = json.loads(json.dumps(before.state()))
    assert state["refresh_due"] == {"eev_stuck_closed": pytest.approx(far + DAY)}
    after = PumpPipeline(device="hp-000")
    after.load_state(state)
    second = _run(after, ts[cut:], X[cut:], made)
    assert [_key(e) for e in first + second] == [_key(e) for e in through]
    assert made == batch_made
