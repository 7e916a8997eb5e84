"""A restart is invisible: the agent that was stopped and restarted from its
saved state says exactly what an agent that ran through would have said.

One leaking pump (7-day commissioning, 2-minute poll) is judged twice: once
without a break, once stopped and restored from the JSON state file at a
moment inside its commissioning window, while the leak is developing but
not yet raised, and again after it was raised (a standing fault must not be
raised twice, its prognosis must go on, and the trip must still be credited
to it).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from heatwatch.contract import Event, EventBody, EventKind
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import load_scenario
from tests.support.events import event_differences

DAY = 86400.0
SCENARIO = """
name: restart
description: one leaking pump
fleet:
  size: 1
climate: stockholm
start: 2024-11-20
duration: 28d
step: 60s
seed: 77
refrigerant: R32
devices:
  hp-000:
    faults:
      - type: refrigerant_leak
        onset: 9d
        time_to_trip: 10d
"""


@pytest.fixture(scope="module")
def readings(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, np.ndarray]:
    path = Path(tmp_path_factory.mktemp("scen")) / "restart.yaml"
    path.write_text(SCENARIO)
    fleet = Fleet(load_scenario(str(path)))
    ts, X = [], []
    for chunk in fleet.chunks(steps=1440 * 4):
        ts.append(chunk.ts[::2])
        X.append(chunk.values[::2, 0, :])
    return np.concatenate(ts), np.concatenate(X)


def _events(pipe: PumpPipeline, ts: np.ndarray, X: np.ndarray) -> list[EventBody]:
    out = []
    for s in range(0, len(ts), 2000):
        out.extend(pipe.process_batch(ts[s:s + 2000], X[s:s + 2000])[1])
    return out


def _restarted(pipe: PumpPipeline) -> PumpPipeline:
    """Through the file format: what json writes and reads back, as the agent does."""
    fresh = PumpPipeline(device=pipe.device)
    fresh.load_state(json.loads(json.dumps(pipe_state := pipe.state())))
    assert pipe_state["version"] == 2
    return fresh


def _lockout_ts(events: list[EventBody]) -> float:
    """When the pump stopped for good: its protection locked it out after repeated trips."""
    return next(e.ts for e in events if e.kind is EventKind.TRIP and e.fault == "lockout")


def _key(ev: EventBody) -> tuple:
    return (ev.kind, ev.fault, round(ev.ts), round(ev.prognosis.predicted_trip_ts if ev.prognosis else 0.0))


@pytest.fixture(scope="module")
def through(readings) -> list[EventBody]:
    ts, X = readings
    return _events(PumpPipeline(device="hp-000"), ts, X)


def test_the_uninterrupted_agent_raises_the_leak_before_its_trip(through: list[EventBody]) -> None:
    raised = [e for e in through if e.kind is EventKind.FAULT and e.fault == "refrigerant_leak"]
    trips = [e for e in through if e.kind is EventKind.TRIP]
    assert raised and trips and raised[0].ts < trips[0].ts


@pytest.mark.parametrize("when", ["while commissioning", "while the leak develops", "after the leak was raised",
                                  "after the lockout"])
def test_a_restart_changes_nothing_the_agent_says(readings, through: list[EventBody], when: str) -> None:
    ts, X = readings
    raised_ts = next(e.ts for e in through if e.kind is EventKind.FAULT and e.fault == "refrigerant_leak")
    cut_ts = raised_ts - 0.5 * DAY if when.startswith("while") else raised_ts + 0.5 * DAY
    if when == "while commissioning":  # day 3 of the 7-day window: it goes on (before, it began again and the
        cut_ts = ts[0] + 3.0 * DAY  # leak was raised 3.4 hours later than without the restart)
    if when == "after the lockout":  # the stopped pump's prognosis is not made again (_refresh_prognoses), restarted or not
        cut_ts = _lockout_ts(through) + 1.3 * DAY
    cut = int(np.searchsorted(ts, cut_ts))
    before = PumpPipeline(device="hp-000")
    first = _events(before, ts[:cut], X[:cut])
    after = _restarted(before)
    second = _events(after, ts[cut:], X[cut:])
    assert [_key(e) for e in first + second] == [_key(e) for e in through]
    leak_raises = [e for e in first + second if e.kind is EventKind.FAULT and e.fault == "refrigerant_leak"]
    assert len(leak_raises) == 1, "a standing fault is not raised again after a restart"


def test_a_restarted_pipeline_still_refuses_a_clock_set_back(readings, through: list[EventBody]) -> None:
    ts, X = readings
    cut = len(ts) // 2
    pipe = PumpPipeline(device="hp-000")
    _events(pipe, ts[:cut], X[:cut])
    again = _restarted(pipe)
    result, events = again.process(float(ts[cut - 10]), X[cut - 10])
    assert result is None and events == []
    assert again.rejected["clock_not_advancing"] == 1


def test_an_unknown_state_version_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown state version"):
        PumpPipeline(device="hp-000").load_state({"version": 99})


def test_an_agent_killed_after_raising_a_fault_comes_back_knowing_it(readings, through: list[EventBody],
                                                                     tmp_path: Path) -> None:
    """The agent saves its state when it raises a fault, so a power cut right after
    (no clean shutdown, no hourly save) neither forgets the fault nor raises it again.
    The restarted agent reads until half a day after the pump's first trip (day 18 of 28, as the
    uninterrupted pipeline has it), not to the end: a forgotten fault is raised again within hours
    of the restart (day 12), and the trip is what the last assertion reads; the 10 days after it
    (the lockout, a stopped pump) were a third of the test's time and asserted nothing more."""
    from heatwatch.edge.agent import EdgeAgent
    from heatwatch.edge.config import AgentConfig, DetectorSection, OutboxConfig, SourceConfig

    ts, X = readings
    cfg = AgentConfig(device="hp-000", telemetry_interval=3600.0,
                      source=SourceConfig(kind="modbus", port=str(tmp_path / "no-line")),
                      outbox=OutboxConfig(path=str(tmp_path / "outbox.db")),
                      detector=DetectorSection(state_path=str(tmp_path / "state.json")))
    agent = EdgeAgent(cfg)
    i = 0
    while "refrigerant_leak" not in agent.status.active:
        agent.handle(float(ts[i]), X[i])
        i += 1
    agent.outbox.close()  # the process dies here: no final save
    del agent

    again = EdgeAgent(cfg)
    assert again.pipeline.detector.ready, "judging resumes without a new commissioning"
    assert "refrigerant_leak" in again.status.active
    first_trip = next(e.ts for e in through if e.kind is EventKind.TRIP)
    end = int(np.searchsorted(ts, first_trip + 0.5 * DAY))
    assert i < end < len(ts)
    for k in range(i, end):
        again.handle(float(ts[k]), X[k])
    events = [Event.model_validate_json(it.payload) for it in again.outbox.pending("event")]
    again.outbox.close()
    raised = [e for e in events if e.kind is EventKind.FAULT and e.fault == "refrigerant_leak"]
    updates = [e for e in events if e.kind is EventKind.FAULT_UPDATE and e.fault == "refrigerant_leak"]
    trips = [e for e in events if e.kind is EventKind.TRIP]
    assert len(raised) == 1, "raised once, before the restart only"
    assert updates and trips
    assert "heatwatch raised refrigerant_leak" in trips[0].explanation, "the trip is still credited to the leak"


FIXTURES = Path(__file__).parent / "fixtures"


def _fixture_readings(folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """The readings the fixture's agent replayed: kept in readings.npz (the simulator of that
    commit; a later simulator makes other readings), else the scenario's, in make.py's chunks."""
    if (folder / "readings.npz").exists():
        kept = np.load(folder / "readings.npz")
        return kept["ts"], kept["values"]
    fleet = Fleet(load_scenario(str(folder / "scenario.yaml")))
    chunks = list(fleet.chunks(steps=1440))
    return np.concatenate([c.ts for c in chunks]), np.concatenate([c.values[:, 0, :] for c in chunks])


def _fixture_pipeline() -> PumpPipeline:
    """Configured as the agents that wrote the fixture files: half a day, 240 training rows."""
    from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig

    pipe = PumpPipeline.with_config("hp-000", HeatPumpDetectorConfig(commissioning_seconds=0.5 * DAY,
                                                                     min_training_rows=240))
    pipe.prognosis.calibration = None  # those agents stated the trend fit's own interval
    return pipe


def test_a_version_1_state_file_is_still_read() -> None:
    """A file the agent wrote when the state was the detector alone (fixtures/state_v1): the
    restored pipeline judges at once and scores the next hour as the agent of that time did."""
    folder = FIXTURES / "state_v1"
    old_file = json.loads((folder / "state.json").read_text())
    assert old_file["version"] == 1 and "detector" not in old_file
    expected = json.loads((folder / "next_hour.json").read_text())
    ts, X = _fixture_readings(folder)
    pipe = _fixture_pipeline()
    pipe.load_state(old_file)
    assert pipe.detector.ready and pipe.raised_faults == {}
    start = int(np.searchsorted(ts, expected["ts"][0]))
    scores = [pipe.process(float(ts[k]), X[k])[0].score for k in range(start, start + len(expected["ts"]))]
    assert min(scores) > 0.0
    assert scores == pytest.approx(expected["score"], rel=1e-9, abs=1e-12)


def test_a_version_2_state_file_from_before_is_read() -> None:
    """A file an agent wrote right after raising a leak (fixtures/state_v2): restored, the
    pipeline goes on exactly as the pipeline of that time did: the same prognosis update,
    the same trips credited to the leak, the same scores, and the leak not raised again."""
    folder = FIXTURES / "state_v2"
    state = json.loads((folder / "state.json").read_text())
    assert state["version"] == 2 and "refrigerant_leak" in state["raised_faults"]
    expected = json.loads((folder / "next_day.json").read_text())
    ts, X = _fixture_readings(folder)
    pipe = _fixture_pipeline()
    pipe.load_state(state)
    assert pipe.detector.ready and set(pipe.raised_faults) == {"refrigerant_leak"}
    start, end = (int(np.searchsorted(ts, expected[k])) for k in ("from_ts", "to_ts"))
    events, scores = [], []
    for k in range(start, end + 1):
        result, evs = pipe.process(float(ts[k]), X[k])
        events.extend(evs)
        if (k - start) % 60 == 0:
            scores.append([float(ts[k]), result.score])
    assert [t for t, _ in scores] == [t for t, _ in expected["hourly_score"]]
    assert [s for _, s in scores] == pytest.approx([s for _, s in expected["hourly_score"]], rel=1e-9)
    kinds = [(e["kind"], e["fault"]) for e in expected["events"]]
    assert ("fault_update", "refrigerant_leak") in kinds and ("trip", "lockout") in kinds
    # the prognosis estimator has changed since (first passage of the daily worst reading):
    # its updates carry other dates and may come at other hours; the leak is still followed
    # with a prognosis, and every other event is the same as then
    updates = [e for e in events if e.kind == "fault_update"]
    assert updates and all(e.fault == "refrigerant_leak" and e.prognosis is not None for e in updates)
    rest = [e for e in events if e.kind != "fault_update"]
    rest_then = [e for e in expected["events"] if e["kind"] != "fault_update"]
    assert len(rest) == len(rest_then)
    for new, old in zip(rest, rest_then):
        assert event_differences(new, old) == []


def test_an_agent_comes_back_from_a_version_2_file_knowing_its_leak(tmp_path: Path) -> None:
    """The agent's own part of the file (the active faults) is read too, with the detector
    settings from its configuration, and what it says next goes to the outbox as before."""
    import shutil

    from heatwatch.edge.agent import EdgeAgent
    from heatwatch.edge.config import AgentConfig, DetectorSection, OutboxConfig, SourceConfig

    folder = FIXTURES / "state_v2"
    shutil.copy(folder / "state.json", tmp_path / "state.json")
    cfg = AgentConfig(device="hp-000", telemetry_interval=3600.0,
                      source=SourceConfig(kind="modbus", port=str(tmp_path / "no-line")),
                      outbox=OutboxConfig(path=str(tmp_path / "outbox.db")),
                      detector=DetectorSection(commissioning_days=0.5, min_training_rows=240,
                                               state_path=str(tmp_path / "state.json")))
    agent = EdgeAgent(cfg)
    assert agent.pipeline.detector.config.min_training_rows == 240
    assert agent.pipeline.detector.ready
    leak = agent.status.active["refrigerant_leak"]
    assert leak.kind is EventKind.FAULT and leak.prognosis is not None
    expected = json.loads((folder / "next_day.json").read_text())
    ts, X = _fixture_readings(folder)
    for k in range(int(np.searchsorted(ts, expected["from_ts"])), int(np.searchsorted(ts, expected["to_ts"])) + 1):
        agent.handle(float(ts[k]), X[k])
    events = [Event.model_validate_json(it.payload) for it in agent.outbox.pending("event")]
    assert agent.processing_errors == 0
    # prognosis updates may come at other hours with today's estimator (see the test above)
    assert [(e.kind, e.fault, e.ts) for e in events if e.kind is not EventKind.FAULT_UPDATE] == \
        [(EventKind(e["kind"]), e["fault"], e["ts"]) for e in expected["events"] if e["kind"] != "fault_update"]
    assert any(e.kind is EventKind.FAULT_UPDATE and e.fault == "refrigerant_leak" for e in events)
    assert agent.status.active["refrigerant_leak"].kind is EventKind.FAULT_UPDATE
    assert "heatwatch raised refrigerant_leak" in agent.status.trips[0].explanation
    # a reading from before the restart (a pump clock set back) is refused once, by the pipeline:
    # counted there, and neither judged nor put into telemetry
    readings, aggregated = agent.status.readings, agent.aggregator.counters.readings
    agent.handle(expected["from_ts"] - 60.0, X[0])
    assert agent.counters()["pipeline"]["clock_not_advancing"] == 1
    assert (agent.status.readings, agent.aggregator.counters.readings) == (readings, aggregated)
    agent.outbox.close()


def test_a_stopped_pumps_prognosis_is_not_made_again_and_says_what_it_said(readings, through, monkeypatch) -> None:
    """A refresh with no hour of the prognosis history closed since the fault's last prognosis (the
    pump locked out: no steady reading) is not made: the same hours and limits would be read
    (PrognosisTracker.generation). Until the lockout the pump ran, every refresh had new hours and
    the agent says what one refreshing every six hours regardless says; after it, nothing is recomputed."""
    import heatwatch.edge.pipeline as pl
    from heatwatch.edge.heatpump.prognosis import PrognosisTracker

    ts, X = readings
    stop = _lockout_ts(through)
    made: dict[bool, list[float]] = {True: [], False: []}
    predict = PrognosisTracker.predict
    events = {}
    for skip in (True, False):
        monkeypatch.setattr(pl, "SKIP_UNCHANGED_REFRESH", skip)

        def counted(self, fault, now, skip=skip):  # noqa: ANN001, ANN202
            made[skip].append(now)
            return predict(self, fault, now)

        monkeypatch.setattr(PrognosisTracker, "predict", counted)
        events[skip] = _events(PumpPipeline(device="hp-000"), ts, X)
    assert [_key(e) for e in events[True]] == [_key(e) for e in through]
    before = [_key(e) for e in events[False] if e.ts <= stop]
    assert len(before) > 5 and [_key(e) for e in events[True] if e.ts <= stop] == before
    after = {skip: [t for t in made[skip] if t > stop + 0.5 * DAY] for skip in made}
    assert len(after[False]) >= 10  # refreshed every six hours on the stopped pump's frozen history
    assert after[True] == []


def test_the_agent_keeps_a_fault_standing_when_one_notice_of_it_is_withdrawn_for_another(tmp_path) -> None:
    """The flow thermistor's notice withdraws the one on delta-T (both sensor_drift): the agent's
    status still shows sensor_drift standing; a withdrawal for another fault, or a plain clear, removes it."""
    from heatwatch.contract import EXPLAINED_BY, revision_finding
    from heatwatch.edge.agent import EdgeAgent
    from heatwatch.edge.config import AgentConfig, DetectorSection, OutboxConfig, SourceConfig

    cfg = AgentConfig(device="hp-000", telemetry_interval=3600.0,
                      source=SourceConfig(kind="modbus", port=str(tmp_path / "no-line")),
                      outbox=OutboxConfig(path=str(tmp_path / "outbox.db")),
                      detector=DetectorSection(state_path=str(tmp_path / "state.json")))
    agent = EdgeAgent(cfg)

    def ev(kind: EventKind, fault: str, by: str | None = None) -> EventBody:
        findings = [revision_finding(EXPLAINED_BY, by, "t_flow", "revised: a, not b")] if by else []
        return EventBody(device="hp-000", ts=1.0, kind=kind, fault=fault, findings=findings)

    agent._emit([ev(EventKind.SENSOR_FAULT, "sensor_drift"), ev(EventKind.FAULT, "low_water_flow")])
    agent._emit([ev(EventKind.FAULT_CLEARED, "sensor_drift", by="sensor_drift")])
    assert set(agent.status.active) == {"sensor_drift", "low_water_flow"}
    agent._emit([ev(EventKind.FAULT_CLEARED, "low_water_flow", by="sensor_drift")])
    agent._emit([ev(EventKind.FAULT_CLEARED, "sensor_drift")])
    assert agent.status.active == {}
