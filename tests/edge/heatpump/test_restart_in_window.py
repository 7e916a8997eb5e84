"""A restart inside a commissioning window held open by the fault is invisible: the agent restarted from its
state file says what one that ran through says.

A window held open by the physics prior lasts weeks (held_window.py), and the pump in it is the one faulty
from installation. Before the window was kept in the state file (window_state.py) a restart there began the
window again: the leaking pump below, cut on day 16.8 (its window held since day 15), was never named before
its discharge trip on day 23.0; run through (and now restarted) it is handed to its own start on day 18.5
and its leak named on day 19.4. Cut twice: while held (the prior judges, the window's rows pile up; fails
on the code before), and after it was handed to its own start (judged against its first days, the leak not
yet named; held before too: the own start's judge was already in the file).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from heatwatch.contract import EventKind
from heatwatch.edge.heatpump.held_window import HELD
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import parse_scenario
from heatwatch.units import DAY
from tests.edge.heatpump.test_held_window import CONFIG, POLL_STRIDE, SITE

CHUNK = 2000


@pytest.fixture(scope="module")
def readings() -> tuple[np.ndarray, np.ndarray]:
    """hp-001 of the held-window site (it leaks from installation), as its agent polls it."""
    ts, X = [], []
    for chunk in Fleet(parse_scenario(SITE)).chunks(steps=1440 * 4):
        ts.append(chunk.ts[::POLL_STRIDE])
        X.append(chunk.values[::POLL_STRIDE, 1, :])
    return np.concatenate(ts), np.concatenate(X)


def _said(pipe: PumpPipeline, ts: np.ndarray, X: np.ndarray) -> list[tuple]:
    out = []
    for lo in range(0, len(ts), CHUNK):
        out += [(e.kind, e.fault, round(e.ts), e.explanation,
                 round(e.prognosis.predicted_trip_ts) if e.prognosis else None)
                for e in pipe.process_batch(ts[lo:lo + CHUNK], X[lo:lo + CHUNK])[1]]
    return out


@pytest.fixture(scope="module")
def through(readings) -> list[tuple]:
    return _said(PumpPipeline.with_config("hp-001", CONFIG), *readings)


def _restarted(pipe: PumpPipeline) -> PumpPipeline:
    """Through the JSON file, as the agent writes and reads it."""
    fresh = PumpPipeline.with_config(pipe.device, CONFIG)
    fresh.load_state(json.loads(json.dumps(pipe.state())))
    return fresh


@pytest.mark.timeout(600)
@pytest.mark.parametrize("when", ["while held", "judged by its own start"])
def test_a_restart_in_a_held_window_changes_nothing_the_agent_says(readings, through, when: str) -> None:
    ts, X = readings
    held = [e for e in through if e[0] is EventKind.AGENT and e[1] == HELD]
    leak = [e for e in through if e[0] is EventKind.FAULT and e[1] == "refrigerant_leak"]
    assert len(held) >= 2 and leak, "the site still holds the window, hands it to its own start and names the leak"
    if when == "while held":
        cut_ts = (held[0][2] + held[-1][2]) / 2.0
    else:
        cut_ts = (held[-1][2] + leak[0][2]) / 2.0
    cut = int(np.searchsorted(ts, cut_ts))
    before = PumpPipeline.with_config("hp-001", CONFIG)
    first = _said(before, ts[:cut], X[:cut])
    det = before.detector
    if when == "while held":
        assert det.model is None and det.window_rows > 0 and det.postponed_fits > 0
    else:
        assert det.provisional and det.fleet is not None and det.fleet.own
    rows = det.window_rows
    after = _restarted(before)
    second = _said(after, ts[cut:], X[cut:])
    said = first + second
    print(f"cut on day {(cut_ts - ts[0]) / DAY:.1f}:", [(e[1], round((e[2] - ts[0]) / DAY, 2)) for e in said
                                                        if e[0] is not EventKind.FAULT_UPDATE])
    assert [e[:3] for e in said] == [e[:3] for e in through]
    assert said == through
    assert _restarted(before).detector.window_rows == rows, "the window's rows came back"
