"""The agent's state in words, from the counters a real agent puts in its status message: how it judges
the pump, how far its learning has come, what it counted as refused or failed. Odd counters (an older or
a broken agent's) leave a field out, never fail the page."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from heatwatch.contract import Status
from heatwatch.edge.agent import EdgeAgent
from heatwatch.edge.config import load_config
from heatwatch.gateway.devices.agent_state import agent_state
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import load_scenario


def _agent(tmp_path: Path) -> EdgeAgent:
    f = tmp_path / "edge.toml"
    f.write_text(f"[device]\nid = 'hp-000'\n[broker]\nurl = 'mqtt://127.0.0.1:1'\n"
                 f"[outbox]\npath = '{tmp_path / 'o.db'}'\n[telemetry]\ninterval = 3600\n"
                 f"[detector]\nstate_path = '{tmp_path / 'state.json'}'\n")
    return EdgeAgent(load_config(f))


@pytest.fixture(scope="module")
def readings() -> tuple[np.ndarray, np.ndarray]:
    chunk = next(iter(Fleet(load_scenario("demo")).chunks(steps=600)))
    return chunk.ts, chunk.values[:, 0, :]


def test_a_learning_agent_with_bad_readings_is_told_in_words(tmp_path, readings) -> None:
    ts, X = readings
    agent = _agent(tmp_path)
    for t, x in zip(ts[:500], X[:500]):
        agent.handle(float(t), x)
    agent.handle(float(ts[10]), X[10])  # the clock went back
    bad = X[500].copy()
    bad[0] = -500.0  # an open sensor
    agent.handle(float(ts[500]), bad)
    status = Status(device="hp-000", online=True, ts=float(ts[500]), counters=agent.counters())
    state = agent_state(status.model_dump(mode="json"))
    agent.outbox.close()
    assert state is not None
    assert state.judged_by == "the physics bands while it learns its own model"
    rows = agent.pipeline.detector.window_rows
    assert rows > 0 and state.learning == f"{rows:,} steady readings collected for its own model"
    assert state.readings == 501 and state.restarts == 0, "the reading set back is refused, not read"
    assert state.last_reading is not None and state.last_reading.timestamp() == float(ts[500])
    assert "1 reading out of range (t_outdoor 1)" in state.problems
    assert "1 × reading not after the one before (clock set back?)" in state.problems


def test_a_restarted_agent_judging_by_its_model_says_so(tmp_path, readings) -> None:
    state = agent_state({"counters": {"agent": {"starts": 3, "readings": 12000, "ready": True},
                                      "fleet": {"own_model": True, "window_rows": 0},
                                      "source": {"crc_errors": 4, "rejected_payloads": 0}}})
    assert state is not None and state.judged_by == "its own learned healthy model" and not state.learning
    assert state.restarts == 2 and state.problems == ["4 × serial frame with a bad CRC"]
    by_fleet = agent_state({"counters": {"fleet": {"judged_by_fleet": True, "prior_members": 14, "window_rows": 80}}})
    assert by_fleet.judged_by == "its fleet's prior (14 pumps) while it learns its own"
    assert by_fleet.learning == "80 steady readings collected for its own model"


@pytest.mark.parametrize("status", [None, "x", {}, {"counters": None}, {"counters": []}])
def test_no_counters_no_state(status) -> None:
    assert agent_state(status) is None


def test_odd_counters_leave_fields_out(readings) -> None:
    state = agent_state({"counters": {"agent": {"readings": "many", "starts": True, "last_ts": 1e20,
                                                "ready": "yes"},
                                      "fleet": ["own_model"], "pipeline": {"out_of_range[": 3,
                                                                          "out_of_range[t_flow]": float("nan"),
                                                                          "processing_errors": "2"},
                                      "outbox": {"pending_events": -0.0}}})
    assert state is not None
    assert (state.judged_by, state.readings, state.restarts, state.last_reading) == ("", None, None, None)
    assert state.problems == []
