"""edge.toml sets the learning window; the status counters go on counting across a restart."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import paho.mqtt.client as mqtt
import pytest

from heatwatch.contract import Status, agent_topic, pump_state_topic
from heatwatch.edge.agent import EdgeAgent
from heatwatch.edge.config import load_config
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import load_scenario
from tests.support.mqtt import Subscriber, wait_for


@pytest.fixture(scope="module")
def day_of_readings() -> tuple[np.ndarray, np.ndarray]:
    """One simulated day of a healthy pump (the demo's hp-000), one reading a minute."""
    chunk = next(iter(Fleet(load_scenario("demo")).chunks(steps=1440)))
    return chunk.ts, chunk.values[:, 0, :]


def _toml(tmp_path: Path, url: str, detector: str = "", source: str = "") -> Path:
    f = tmp_path / "edge.toml"
    f.write_text(f"[device]\nid = 'hp-000'\n[source]\n{source}\n[broker]\nurl = '{url}'\n"
                 f"[outbox]\npath = '{tmp_path / 'o.db'}'\n[telemetry]\ninterval = 3600\n"  # few fsyncs: quick
                 f"[detector]\nstate_path = '{tmp_path / 'state.json'}'\n{detector}\n")
    return f


def test_the_learning_window_is_set_in_edge_toml(tmp_path, day_of_readings):
    ts, X = day_of_readings
    short = EdgeAgent(load_config(_toml(tmp_path, "mqtt://127.0.0.1:1",
                                        "commissioning_days = 0.25\nmin_training_rows = 120\n"
                                        "max_training_rows = 5000")))
    (tmp_path / "d").mkdir()
    default = EdgeAgent(load_config(_toml(tmp_path / "d", "mqtt://127.0.0.1:1")))
    cfg = short.pipeline.detector.config
    assert (cfg.commissioning_seconds, cfg.min_training_rows, cfg.max_training_rows) == (21600.0, 120, 5000)
    for t, x in zip(ts[:480], X[:480]):  # 8 hours
        short.handle(float(t), x)
        default.handle(float(t), x)
    assert short.status.ready, "8 h of running: learned with a quarter day and 120 steady minutes"
    assert not default.status.ready, "the default window is 7 days and 1,500 steady minutes"
    for a in (short, default):
        a.outbox.close()


def test_counters_survive_a_restart_in_the_state_file(tmp_path, day_of_readings):
    """While still commissioning the counts are saved with the window, and go on after the restart."""
    ts, X = day_of_readings
    cfg = load_config(_toml(tmp_path, "mqtt://127.0.0.1:1"))
    first = EdgeAgent(cfg)
    for t, x in zip(ts[:100], X[:100]):
        first.handle(float(t), x)
    first.handle(float(ts[50]), X[50])  # the clock went back: refused and counted
    bad = X[100].copy()
    bad[0] = -500.0  # an open sensor: out of range, counted
    first.handle(float(ts[100]), bad)
    before = first.counters()
    assert before["pipeline"]["clock_not_advancing"] == 1 and before["agent"]["readings"] == 101
    first._final_save()
    first.outbox.close()
    saved = json.loads(Path(cfg.detector.state_path).read_text())
    assert saved["detector"]["model"] is None, "no model yet"

    second = EdgeAgent(cfg)
    second.handle(float(ts[101]), X[101])
    second.handle(float(ts[101]), X[101])  # refused again
    after = second.counters()
    assert after["agent"]["starts"] == 2 and after["agent"]["readings"] == 102
    assert after["pipeline"]["clock_not_advancing"] == 2
    oor = [k for k in before["pipeline"] if k.startswith("out_of_range")]
    assert oor and all(after["pipeline"][k] == before["pipeline"][k] for k in oor)
    assert after["outbox"]["pending_telemetry"] == second.outbox.stats()["pending_telemetry"], "now, not summed"
    assert after["agent"]["last_ts"] == float(ts[101])
    assert not second.status.ready, "commissioning starts again: the counts are not a model"
    second.outbox.close()


def test_an_mqtt_fed_agent_reports_rejected_payloads_of_before_its_restart(tmp_path, broker):
    """Real Mosquitto: a malformed payload is counted; after a restart the retained status still says so."""
    cfg = load_config(_toml(tmp_path, broker.url, source=f"kind = 'mqtt'\nurl = '{broker.url}'"))
    pump = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    pump.connect("127.0.0.1", broker.port)
    pump.loop_start()

    def run_once(payloads: list[bytes]) -> dict:
        agent = EdgeAgent(cfg)
        stop = threading.Event()
        th = threading.Thread(target=agent.run, args=(stop,))
        th.start()
        try:  # stopped also when a wait fails: a running agent's threads would hold the test process open
            wait_for(lambda: agent.publisher.connected and agent.source.counters.get("connects", 0) >= 1, 15,
                     "agent connected")
            for p in payloads:
                pump.publish(pump_state_topic("hp-000"), p, qos=1).wait_for_publish(5)
            wait_for(lambda: agent.source.counters.get("rejected_payloads", 0) + agent.status.readings
                     >= len(payloads), 10, "payloads taken")
            return agent.counters()
        finally:
            stop.set()
            th.join(20)

    good = json.dumps({"device": "hp-000", "ts": 1000.0, "values": {"t_flow": 35.0}}).encode()
    first = run_once([b"\x00not json", good])
    assert first["source"]["rejected[not_json]"] == 1 and first["agent"]["readings"] == 1
    later = json.dumps({"device": "hp-000", "ts": 1060.0, "values": {"t_flow": 35.5}}).encode()
    second = run_once([later, b"{\"device\": \"hp-000\", \"ts\": NaN, \"values\": {}}"])
    assert second["agent"]["starts"] == 2 and second["agent"]["readings"] == 2
    assert second["source"]["rejected[not_json]"] == 1 and second["source"]["rejected[nan_literal]"] == 1
    assert second["source"]["rejected_payloads"] == 2
    sub = Subscriber(broker.port, agent_topic("hp-000", "status"), "watch")
    wait_for(lambda: sub.messages(), 5, "the retained status")
    status = Status.model_validate_json(sub.messages()[-1].payload)
    assert status.counters["source"]["rejected_payloads"] == 2 and not status.online
    sub.close()
    pump.disconnect()
    pump.loop_stop()


def test_a_restart_inside_the_learning_window_goes_on_with_it(tmp_path, day_of_readings):
    """An agent restarted half-way through its window (a power cut, an update) keeps the steady readings it
    collected and learns when the uninterrupted agent would, not a whole window later (before 0.1 + this
    change the file held the counts alone and the window began again: the restarted agent was not ready)."""
    ts, X = day_of_readings
    window = "commissioning_days = 0.25\nmin_training_rows = 120\nmax_training_rows = 5000"
    (tmp_path / "u").mkdir()
    through = EdgeAgent(load_config(_toml(tmp_path / "u", "mqtt://127.0.0.1:1", window)))
    cfg = load_config(_toml(tmp_path, "mqtt://127.0.0.1:1", window))
    first = EdgeAgent(cfg)
    for t, x in zip(ts[:240], X[:240]):  # 4 of the window's 6 hours
        first.handle(float(t), x)
        through.handle(float(t), x)
    collected = first.pipeline.detector.window_rows
    assert collected > 0 and not first.status.ready
    first._final_save()
    first.outbox.close()
    second = EdgeAgent(cfg)
    assert second.pipeline.detector.window_rows == collected, "the window's readings came back"
    for t, x in zip(ts[240:480], X[240:480]):
        second.handle(float(t), x)
        through.handle(float(t), x)
    assert through.status.ready and second.status.ready
    assert second.pipeline.detector.model.coef.tolist() == through.pipeline.detector.model.coef.tolist(), \
        "the same window learned: the same model"
    for a in (second, through):
        a.outbox.close()


def test_a_counts_only_file_of_an_older_agent_still_starts_the_window_afresh(tmp_path, day_of_readings):
    """A state file written while commissioning by an agent before the window was kept holds the counts
    alone: they are carried on and the window begins again."""
    ts, X = day_of_readings
    cfg = load_config(_toml(tmp_path, "mqtt://127.0.0.1:1"))
    Path(cfg.detector.state_path).write_text(json.dumps({"counters": {"agent": {"readings": 7, "starts": 1}}}))
    agent = EdgeAgent(cfg)
    agent.handle(float(ts[0]), X[0])
    assert agent.counters()["agent"]["readings"] == 8 and agent.pipeline.detector.window_rows <= 1
    agent.outbox.close()


def test_a_state_file_with_its_window_cut_short_is_counted_and_the_window_begins_again(tmp_path, day_of_readings):
    """A file cut short in the window's rows (a disk full, a card gone bad): said in the log, counted in
    ``agent.state_unreadable``, the counts it holds carried on, and the window begun again; never a crash."""
    ts, X = day_of_readings
    cfg = load_config(_toml(tmp_path, "mqtt://127.0.0.1:1"))
    first = EdgeAgent(cfg)
    for t, x in zip(ts[:200], X[:200]):
        first.handle(float(t), x)
    assert first.pipeline.detector.window_rows > 10
    first._final_save()
    first.outbox.close()
    path = Path(cfg.detector.state_path)
    saved = json.loads(path.read_text())
    rows = saved["detector"]["commissioning"]["rows"]
    rows["float64_le"] = rows["float64_le"][: len(rows["float64_le"]) // 2]
    path.write_text(json.dumps(saved))
    second = EdgeAgent(cfg)
    counted = second.counters()["agent"]
    assert counted["state_unreadable"] == 1 and counted["readings"] == 200 and counted["starts"] == 2
    assert second.pipeline.detector.window_rows == 0 and not second.status.ready
    second.handle(float(ts[200]), X[200])  # and it goes on reading
    assert second.counters()["agent"]["readings"] == 201
    second.outbox.close()
