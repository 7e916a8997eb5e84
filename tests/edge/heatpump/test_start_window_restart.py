"""The window that dates a fault raised right after the pump was handed to its own first days
(start_history) is in the agent's state: an agent restarted between the handover and the raise dates
the raise as the one that ran on would have.

test_held_window's site: hp-001 leaks from installation, its window is handed to its own start on day
19 and the leak is raised hours later (day 19.4), when the pump's own history holds a few hours. Fails
on the code before the window was kept (s-raisedate35 b105f7e): the restarted agent's raise had no date
("No trip date yet").
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from heatwatch.contract import EventKind
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.pipeline import NO_DATE_YET, PumpPipeline
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import parse_scenario
from heatwatch.units import DAY, HOUR
from tests.edge.heatpump.test_held_window import CONFIG, POLL_STRIDE, SITE

LEAK = "refrigerant_leak"


def _leak_raise(restart: bool):
    """hp-001 replayed a day at a time to its leak's raise; ``restart``: a new agent from the state file
    at the end of the first day on which the window was handed on."""
    scenario = parse_scenario({**SITE, "duration": "21d"})
    fleet = Fleet(scenario)
    j = fleet.devices.index("hp-001")
    pipe = PumpPipeline.with_config("hp-001", CONFIG)
    restarted = False
    for chunk in fleet.chunks(steps=1440):
        for ev in pipe.process_batch(chunk.ts[::POLL_STRIDE], chunk.values[::POLL_STRIDE, j, :])[1]:
            if ev.kind is EventKind.FAULT and ev.fault == LEAK:
                return ev, restarted
        if restart and not restarted and pipe._start_rows is not None:
            state = json.loads(json.dumps(pipe.state()))
            pipe = PumpPipeline.with_config("hp-001", CONFIG)
            pipe.load_state(state)
            restarted = True
    raise AssertionError(f"no {LEAK} raised within {scenario.duration_s / DAY} days")


@pytest.mark.timeout(600)
def test_a_restart_between_the_handover_and_the_raise_keeps_the_date() -> None:
    ran_on, _ = _leak_raise(restart=False)
    after, restarted = _leak_raise(restart=True)
    assert restarted, "the window was handed on and the leak raised within the same day: no restart between"
    assert ran_on.prognosis is not None and after.prognosis is not None, after.explanation
    assert NO_DATE_YET not in after.explanation
    assert after.ts == ran_on.ts
    assert after.prognosis.predicted_trip_ts == pytest.approx(ran_on.prognosis.predicted_trip_ts, abs=60.0)


@pytest.mark.timeout(600)
def test_the_window_leaves_the_state_once_the_pumps_own_history_is_as_long() -> None:
    """A pump whose window was handed on keeps the window in its state only while its own history is
    shorter than the window (a healthy pump without a fleet never raises, so the window is never dropped
    by a date; its state file must not carry 10 MB for ever). Fails before the bound (the window written
    at every save)."""
    scenario = parse_scenario({**SITE, "duration": "21d"})
    fleet = Fleet(scenario)
    j = fleet.devices.index("hp-001")
    pipe = PumpPipeline.with_config("hp-001", CONFIG)
    for chunk in fleet.chunks(steps=1440):
        pipe.process_batch(chunk.ts[::POLL_STRIDE], chunk.values[::POLL_STRIDE, j, :])
        if pipe._start_rows is not None:
            break
    assert pipe._start_rows is not None and pipe.state()["start_window"]["n"] == len(pipe._start_rows[0])
    T = pipe._start_rows[0]
    # its own history as long as the window was (hours judged since the handover)
    z = np.zeros(len(TARGET_NAMES))
    pipe.prognosis._hours.extend((float(T[-1]) + h * HOUR, z, z, z) for h in range(1, int((T[-1] - T[0]) / HOUR) + 2))
    assert pipe._start_rows is not None  # still kept in memory: a raise now is dated as before
    assert pipe.state()["start_window"] is None
