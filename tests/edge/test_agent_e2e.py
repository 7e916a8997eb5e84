"""The edge agent end to end, on real parts only.

`heatwatch sim run` (a subprocess) serves an accelerated pump as a Modbus RTU
slave on one end of a socat pty pair (or publishes it over MQTT); the edge
agent (`heatwatch edge run --config edge.toml` as a subprocess, or an
EdgeAgent in a thread where the test must look inside) reads it with the
pump's own clock, keeps telemetry and events in its SQLite outbox and
publishes them to a private Mosquitto; a gateway-like paho subscriber with a
persistent session checks what arrives against the wire contract.

What is proven: telemetry, events (a protection trip) and the retained status
with the agent's counters arrive and parse; a broker outage loses nothing and
events overtake the telemetry backlog; kill -9 of the agent loses nothing the
outbox had stored; line noise, CRC errors, out-of-range values and malformed
MQTT payloads are counted, reported in the status message, and never stop the
agent; an MQTT-fed agent that restarts finds the pump's readings of meanwhile
waiting in its session.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from heatwatch.edge.agent import EdgeAgent
from heatwatch.edge.config import AgentConfig, BrokerConfig, DetectorSection, OutboxConfig, SourceConfig
from heatwatch.contract import Event, EventKind, Status, Telemetry, agent_topic, parse_agent_message, pump_state_topic
from heatwatch.demo.services import Mosquitto
from tests.support.mqtt import AS_ROOT, Subscriber, wait_for
from tests.support.modbus import NoisyLine

REPO = Path(__file__).resolve().parents[2]
DEVICE = "hp-000"
SIM_START = 1736467200.0  # 2025-01-10T00:00:00Z, the scenarios' start
STEP = 60.0  # simulated seconds per row
INTERVAL = 300.0  # [telemetry] interval of the agents here: five rows each


# ---- the parts ---------------------------------------------------------------
def scenario(tmp_path: Path, fault: str, *, duration: str = "12h", name: str = "e2e") -> Path:
    """A one-pump scenario (hp-000 = Modbus slave 1) with ``fault`` as YAML lines under faults:."""
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"name: {name}\nfleet:\n  size: 1\nclimate: stockholm\nstart: 2025-01-10\nduration: {duration}\n"
        f"step: 60s\nseed: 3\nrefrigerant: R32\ndevices:\n  {DEVICE}:\n    faults:\n{fault}"
    )
    return path


# low water flow, onset at 40 min: the flow switch trips the pump about 20 simulated minutes later
TRIP_SOON = "      - type: low_water_flow\n        onset: 40min\n        time_to_trip: 10min\n"
# a t_flow sensor losing readings: NaN gaps and now and then -200 °C (an open-circuit NTC)
DROPOUT = "      - type: sensor_dropout\n        channel: t_flow\n        onset: 0\n        rate: 0.6\n"


class Proc:
    """A `heatwatch ...` subprocess with its output in a log file."""

    def __init__(self, args: list[str], log: Path) -> None:
        self.log = log
        self._out = open(log, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "heatwatch.cli", *args], cwd=REPO,
                                     stdout=self._out, stderr=subprocess.STDOUT)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_line(self, needle: str, timeout: float) -> None:
        wait_for(lambda: needle in self.text() or self.proc.poll() is not None, timeout, f"{needle!r} in {self.log}")
        assert needle in self.text(), f"{self.log.name} exited early:\n{self.text()[-3000:]}"

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()
        return self.proc.returncode


def sim_run(scen: Path, tmp_path: Path, *, speed: float, serial: str | None = None, mqtt_url: str | None = None) -> Proc:
    args = ["sim", "run", str(scen), "--speed", str(speed), "--minutes", "2"]
    if serial:
        args += ["--serial", serial, "--baud", "115200"]
    if mqtt_url:
        args += ["--mqtt", mqtt_url]
    sim = Proc(args, tmp_path / "sim.log")
    sim.wait_for_line("Modbus RTU on" if serial else "MQTT mqtt://", 30)
    return sim


def edge_toml(tmp_path: Path, broker_url: str, source: str, *, name: str = "edge.toml") -> Path:
    path = tmp_path / name
    path.write_text(f"""
[device]
id = "{DEVICE}"

[source]
{source}

[broker]
url = "{broker_url}"
status_interval = 0.5

[outbox]
path = "{tmp_path / 'outbox.db'}"

[telemetry]
interval = {INTERVAL}

[detector]
commissioning_days = 0.5
""")
    return path


def modbus_source(port: str, poll: float = 0.01) -> str:
    return (f'kind = "modbus"\nport = "{port}"\nbaudrate = 115200\npoll_interval = {poll}\n'
            f"timeout = 0.2\nretries = 1\nuse_pump_clock = true")


def edge_run(config: Path, tmp_path: Path) -> Proc:
    return Proc(["edge", "run", "--config", str(config)], tmp_path / "agent.log")


# ---- what the gateway sees -----------------------------------------------------
class Gateway(Subscriber):
    """Subscriber on heatwatch/v1/# that parses every message with the contract."""

    def __init__(self, port: int, client_id: str = "gateway-e2e") -> None:
        super().__init__(port, "heatwatch/v1/#", client_id)

    def parsed(self, stream: str) -> list[Any]:
        return [parse_agent_message(m.topic, m.payload) for m in self.messages()
                if m.topic == agent_topic(DEVICE, stream)]

    def order(self) -> list[tuple[str, int]]:
        """(stream, seq) of telemetry and events in arrival order, deduplicated by
        (device, stream, seq) as the gateway does. A duplicate must be the very same
        message, or deduplicating by seq would lose data."""
        first: dict[tuple[str, int], bytes] = {}
        out: list[tuple[str, int]] = []
        for m in self.messages():
            msg = parse_agent_message(m.topic, m.payload)
            if isinstance(msg, Status):
                continue
            key = (m.topic.rsplit("/", 1)[1], msg.seq)
            if key in first:
                assert first[key] == m.payload, f"{key} delivered twice with different contents"
                continue
            first[key] = m.payload
            out.append(key)
        return out

    def seqs(self, stream: str) -> list[int]:
        return [seq for st, seq in self.order() if st == stream]

    def counters(self) -> dict[str, dict[str, Any]]:
        """The counters of the latest status message that carries them ({} before one)."""
        for st in reversed(self.parsed("status")):
            if st.counters is not None:
                return st.counters
        return {}


def counter(gw: Gateway, part: str, key: str) -> Any:
    return gw.counters().get(part, {}).get(key, 0)


def late_status(port: int) -> Status:
    """What someone subscribing now sees on the status topic: the retained message."""
    got: list[mqtt.MQTTMessage] = []
    c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    c.on_message = lambda _c, _u, m: got.append(m)
    c.connect("127.0.0.1", port)
    c.subscribe(agent_topic(DEVICE, "status"), qos=1)
    c.loop_start()
    try:
        wait_for(lambda: got, 5, "the retained status")
    finally:
        c.disconnect()
        c.loop_stop()
    assert got[0].retain
    return parse_agent_message(got[0].topic, got[0].payload)


def assert_contiguous(seqs: list[int], what: str, start: int = 0) -> None:
    assert seqs == list(range(start, start + len(seqs))), f"{what}: seqs out of order or missing: {seqs}"


# ---- 1. sim -> Modbus -> agent -> Mosquitto -> gateway ------------------------------------
def test_modbus_pump_to_broker_telemetry_status_and_trip_event(broker, pty_pair, tmp_path):
    gw = Gateway(broker.port)
    sim = sim_run(scenario(tmp_path, TRIP_SOON, duration="3h"), tmp_path, speed=1200, serial=pty_pair.a)
    agent = edge_run(edge_toml(tmp_path, broker.url, modbus_source(pty_pair.b)), tmp_path)
    try:
        wait_for(lambda: any(e.kind is EventKind.TRIP for e in gw.parsed("event")) and len(gw.seqs("telemetry")) >= 8
                 and counter(gw, "agent", "trips") >= 1, 40, f"a trip event and telemetry:\n{agent.text()[-2000:]}")
        online = late_status(broker.port)
        assert agent.alive
    finally:
        rc = agent.stop()
        sim.stop()
        time.sleep(0.3)
        gw.close()
    assert rc == 0, agent.text()[-3000:]

    tel: list[Telemetry] = gw.parsed("telemetry")
    assert_contiguous(gw.seqs("telemetry"), "telemetry")
    assert [t.seq for t in tel] == sorted(t.seq for t in tel), "telemetry arrived in seq order"
    for t in tel:
        # stamped with the pump's clock (simulated January 2025), not the test machine's
        assert t.device == DEVICE and SIM_START <= t.ts_start < t.ts_end <= SIM_START + 3 * 3600
        assert t.n >= 1 and t.channels["t_flow"].n >= 1 and 10.0 < t.channels["t_flow"].mean < 70.0
        assert t.ts_end - t.ts_start <= INTERVAL  # one [telemetry] interval each
    assert all(a.ts_end <= b.ts_start for a, b in zip(tel, tel[1:])), "intervals follow each other"

    events: list[Event] = gw.parsed("event")
    assert_contiguous(gw.seqs("event"), "event")
    trip = next(e for e in events if e.kind is EventKind.TRIP)
    assert trip.severity == "critical" and trip.fault in ("flow_switch", "high_pressure", "lockout")
    assert SIM_START + 40 * 60 < trip.ts < SIM_START + 3 * 3600  # after the fault's onset
    assert trip.findings[0].channels == ["error_code"] and trip.findings[0].observed > 0

    # the retained status: online while running, with the counters; offline with them at the end
    assert online.online and online.counters is not None
    statuses: list[Status] = gw.parsed("status")
    final = statuses[-1]
    assert not final.online and final.counters is not None, "a clean stop says offline, with final counters"
    c = final.counters
    # every reading the telemetry aggregated was counted by the agent (how many polls fit in the
    # run depends on the machine's load; that they are all accounted for does not)
    assert c["agent"]["readings"] >= sum(t.n for t in tel) >= len(tel) >= 8 and c["agent"]["trips"] >= 1
    assert c["source"]["reads_ok"] >= c["agent"]["readings"]
    # a clean line: no corrupted frame; stray bytes only from a reply that came after its timeout
    # (a loaded machine), never otherwise
    assert c["source"]["crc_errors"] == 0
    assert c["source"]["garbage_bytes"] == 0 or c["source"]["timeouts"] > 0, c["source"]
    # polls faster than the pump samples see its clock unchanged: not an error, and not a reading twice
    assert c["source"].get("clock_unchanged", 0) > 0
    assert c["pipeline"] == {"processing_errors": 0}, "no reading refused or failed"
    # a clean stop delivers what it still had before it says offline
    assert c["outbox"]["pending_telemetry"] == c["outbox"]["pending_events"] == c["publisher"]["in_flight"] == 0
    assert c["outbox"]["acked"] == len(set(gw.seqs("telemetry"))) + len(set(gw.seqs("event")))
    assert c["publisher"]["connects"] >= 1


# ---- 2. a long broker outage --------------------------------------------------------------
def test_broker_outage_loses_nothing_and_events_overtake_the_backlog(pty_pair, tmp_path):
    broker = Mosquitto(extra_config=f"persistence true\npersistence_location {tmp_path}/\n{AS_ROOT}").start()
    gw = Gateway(broker.port)
    sim = sim_run(scenario(tmp_path, TRIP_SOON.replace("40min", "3h"), duration="12h"), tmp_path, speed=2400,
                  serial=pty_pair.a)
    cfg = AgentConfig(
        device=DEVICE, telemetry_interval=120.0,
        source=SourceConfig(kind="modbus", port=pty_pair.b, baudrate=115200, poll_interval=0.005, timeout=0.2,
                            retries=1, use_pump_clock=True),
        broker=BrokerConfig(url=broker.url, status_interval=0.5),
        outbox=OutboxConfig(path=str(tmp_path / "outbox.db")),
        detector=DetectorSection(commissioning_days=0.5),
    )
    agent = EdgeAgent(cfg)
    agent.publisher.config.reconnect_max_delay = 1.0  # back within a second of the broker
    stop = threading.Event()
    runner = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    runner.start()
    ob = agent.outbox
    try:
        wait_for(lambda: len(gw.seqs("telemetry")) >= 2, 20, "telemetry before the outage")
        assert agent.status.last_ts < SIM_START + 2 * 3600, "the outage must start before the trip"
        broker.stop()
        t_down = agent.status.last_ts
        # hours of simulated time go by with no broker: the trip and the telemetry pile up
        wait_for(lambda: ob.counters.pending_events >= 1 and ob.counters.pending_telemetry >= 80, 30,
                 "a trip event and a telemetry backlog in the outbox")
        assert not agent.publisher.connected
        in_flight = {(it.stream, it.seq) for it in list(agent.publisher._inflight.values())}
        pending = [(it.stream, it.seq) for it in ob.pending()]
        backlog = [key for key in pending if key[0] == "telemetry" and key not in in_flight]
        events_waiting = [key for key in pending if key[0] == "event"]
        outage_hours = (agent.status.last_ts - t_down) / 3600
        broker.start()
        last_put = max(seq for _, seq in backlog)
        wait_for(lambda: last_put in gw.seqs("telemetry"), 30, "the backlog to be delivered")
        wait_for(lambda: counter(gw, "publisher", "disconnects") >= 1, 10, "a status after the outage")
    finally:
        stop.set()
        runner.join(20)
        sim.stop()
        time.sleep(0.3)
        gw.close()
        broker.stop()
    assert not runner.is_alive()
    assert outage_hours >= 2.5, f"the outage lasted only {outage_hours:.1f} simulated hours"

    order = gw.order()
    tel = [seq for st, seq in order if st == "telemetry"]
    assert tel[: last_put + 1] == list(range(last_put + 1)), "every telemetry seq, in order, none missing"
    assert_contiguous(tel, "telemetry")
    assert_contiguous([seq for st, seq in order if st == "event"], "event")
    assert events_waiting and all(key in order for key in events_waiting)
    first_backlog = order.index(backlog[0])
    assert all(order.index(key) < first_backlog for key in events_waiting), "events before the telemetry backlog"
    assert any(e.kind is EventKind.TRIP and e.seq == events_waiting[0][1] for e in gw.parsed("event"))
    c = gw.counters()
    assert c["publisher"]["connects"] >= 2 and c["source"]["crc_errors"] == 0


# ---- 3. kill -9 ---------------------------------------------------------------------------
def outbox_state(path: Path) -> tuple[dict[str, int], int]:
    """(next seq per stream, rows waiting) of an outbox file, read from outside the agent."""
    db = sqlite3.connect(path, timeout=10)
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        stored = dict(db.execute("SELECT stream, next_seq FROM seqs WHERE device=?", (DEVICE,)).fetchall())
        waiting = db.execute("SELECT count(*) FROM items").fetchone()[0]
    finally:
        db.close()
    return stored, waiting


def test_kill_9_of_the_agent_loses_nothing_the_outbox_stored(pty_pair, tmp_path):
    broker = Mosquitto(extra_config=f"persistence true\npersistence_location {tmp_path}/\n{AS_ROOT}").start()
    gw = Gateway(broker.port)
    # 48 simulated hours (96 s at this speed; stopped when the test is done): the pump must still be read
    # when the third agent starts, on a loaded machine too (12 h ran out there: no new telemetry could come)
    sim = sim_run(scenario(tmp_path, TRIP_SOON, duration="48h"), tmp_path, speed=1800, serial=pty_pair.a)
    config = edge_toml(tmp_path, broker.url, modbus_source(pty_pair.b))
    outbox = tmp_path / "outbox.db"
    agent = edge_run(config, tmp_path)
    kills: list[tuple[dict[str, int], int]] = []

    def kill_and_check() -> dict[str, int]:
        os.kill(agent.proc.pid, signal.SIGKILL)
        assert agent.stop() == -signal.SIGKILL
        stored, waiting = outbox_state(outbox)  # what the killed agent had made durable: seqs below these
        kills.append((stored, waiting))
        return stored

    def everything_below(stored: dict[str, int]) -> bool:
        return all(set(range(n)) <= set(gw.seqs(stream)) for stream, n in stored.items())

    try:
        wait_for(lambda: len(gw.seqs("telemetry")) >= 5, 40, f"telemetry:\n{agent.text()[-2000:]}")
        # kill 1: while the broker is away and a backlog waits in the outbox
        broker.stop()
        delivered = len(gw.seqs("telemetry"))
        wait_for(lambda: outbox_state(outbox)[1] >= 15, 20, "a backlog in the outbox")
        stored = kill_and_check()
        broker.start()
        agent = edge_run(config, tmp_path)  # same config, same outbox
        wait_for(lambda: everything_below(stored) and max(gw.seqs("telemetry")) > stored["telemetry"] + 3, 40,
                 f"the backlog stored before the kill, and new telemetry:\n{agent.text()[-2000:]}")
        # kill 2: connected, mid-flow, then the last will says offline
        stored = kill_and_check()
        wait_for(lambda: not gw.parsed("status")[-1].online, 10, "the last will (offline) after the kill")
        agent = edge_run(config, tmp_path)
        wait_for(lambda: everything_below(stored) and max(gw.seqs("telemetry")) > stored["telemetry"] + 3, 40,
                 f"everything stored before the kill, and new telemetry:\n{agent.text()[-2000:]}")
        wait_for(lambda: gw.parsed("status")[-1].online and gw.counters(), 10, "the restarted agent's status")
        assert agent.alive
    finally:
        agent.stop()
        sim.stop()
        time.sleep(0.3)
        gw.close()
        broker.stop()
    (first, backlog), (second, _) = kills
    assert backlog >= 15 and first["telemetry"] > delivered, "kill 1 left undelivered rows in the outbox"
    assert second["telemetry"] > first["telemetry"] and gw.seqs("event"), "kill 2 later; a trip event came through"
    tel = gw.seqs("telemetry")
    assert_contiguous(tel, "telemetry")  # numbering went on across restarts: no seq reused or skipped
    assert_contiguous(gw.seqs("event"), "event")
    assert not list(tmp_path.glob("outbox.db.corrupt-*")), "the outbox was not corrupt after kill -9"
    c = gw.counters()
    assert c["outbox"]["corrupt_files_moved"] == 0
    assert c["pipeline"]["processing_errors"] == 0
    # each restarted agent read its pump on from where the simulated clock had got to
    starts = [t.ts_start for t in sorted(gw.parsed("telemetry"), key=lambda t: t.seq)]
    assert starts == sorted(starts)


# ---- 4. bad input -------------------------------------------------------------------------
def test_line_noise_crc_errors_and_out_of_range_values_are_counted_and_reported(broker, pty_pair, tmp_path):
    line = NoisyLine(pty_pair.b, tmp_path).start()  # sim on pty a <-> forwarding cable <-> agent
    gw = Gateway(broker.port)
    sim = sim_run(scenario(tmp_path, DROPOUT, duration="12h"), tmp_path, speed=1200, serial=pty_pair.a)
    agent = edge_run(edge_toml(tmp_path, broker.url, modbus_source(line.agent_link, poll=0.02)), tmp_path)
    try:
        wait_for(lambda: counter(gw, "agent", "readings") >= 20, 30, f"clean readings first:\n{agent.text()[-2000:]}")
        before = gw.counters()
        assert before["source"]["crc_errors"] == 0
        line.corrupt_next = 5  # five replies with a flipped byte: CRC errors
        wait_for(lambda: line.corrupt_next == 0, 10, "the corrupted replies")
        line.noise_before_next = 5  # five replies with stray bytes in front
        wait_for(lambda: line.noise_before_next == 0, 10, "the noisy replies")
        for _ in range(3):
            line.noise(bytes(range(0xF0, 0x100)) * 4)  # 64 bytes of noise on the idle line
            time.sleep(0.1)
        wait_for(lambda: counter(gw, "source", "crc_errors") >= 5 and counter(gw, "source", "garbage_bytes") >= 25 + 192
                 and counter(gw, "agent", "readings") >= before["agent"]["readings"] + 100, 30,
                 f"the noise counted and reading going on: {gw.counters().get('source')}")
        assert agent.alive
    finally:
        rc = agent.stop()
        sim.stop()
        line.stop()
        time.sleep(0.3)
        gw.close()
    assert rc == 0
    c = gw.counters()
    src = c["source"]
    assert src["crc_errors"] >= 5 and src["garbage_bytes"] >= 25 + 192
    assert src["retries"] >= 5  # a corrupted reply is asked for again, not decoded
    assert c["pipeline"]["out_of_range[t_flow]"] >= 5, "the -200 °C of an open-circuit sensor is refused and counted"
    assert src["unexpected_errors"] == 0 and c["pipeline"]["processing_errors"] == 0
    tel: list[Telemetry] = gw.parsed("telemetry")
    assert_contiguous(gw.seqs("telemetry"), "telemetry")
    # no refused value reaches the gateway: t_flow stays within its limits, gaps are just fewer samples
    flows = [t.channels["t_flow"] for t in tel if t.channels["t_flow"].n]
    assert flows and min(f.min for f in flows) > -10.0
    assert sum(t.channels["t_flow"].n for t in tel) < sum(t.n for t in tel), "dropouts leave gaps"
    # and a corrupted frame never decodes into a wrong value: return temperatures stay plausible
    assert all(10.0 < t.channels["t_return"].min and t.channels["t_return"].max < 70.0 for t in tel)


BAD_PAYLOADS: list[tuple[str, bytes]] = [
    ("not_json", b"\x00\xffgarbage"),
    ("not_json", b"{'device': 'hp-000'}"),
    ("bad_fields", json.dumps({"device": DEVICE, "ts": "yesterday", "values": {}}).encode()),
    ("bad_fields", json.dumps({"device": DEVICE, "ts": 1.0, "values": {"t_flow": "35.2"}}).encode()),
    ("bad_fields", json.dumps([1, 2, 3]).encode()),
    ("nan_literal", b'{"device": "hp-000", "ts": 1e12, "values": {"t_flow": NaN}}'),
    ("wrong_device", json.dumps({"device": "hp-999", "ts": 1e12, "values": {}}).encode()),
    ("unknown_channel", json.dumps({"device": DEVICE, "ts": 1e12, "values": {"t_moon": 1.0}}).encode()),
    ("oversized", json.dumps({"device": DEVICE, "ts": 1e12, "values": {}, "pad": "x" * 300_000}).encode()),
    ("unparseable_json", b"[" * 100_000),  # nesting deeper than the JSON parser goes
    ("unparseable_json", b'{"device": "hp-000", "ts": 1e12, "values": {"t_flow": ' + b"9" * 5000 + b"}}"),
]


def test_malformed_mqtt_payloads_are_counted_and_reported_and_reading_goes_on(broker, tmp_path):
    gw = Gateway(broker.port)
    sim = sim_run(scenario(tmp_path, DROPOUT, duration="24h"), tmp_path, speed=1200, mqtt_url=broker.url)
    config = edge_toml(tmp_path, broker.url, f'kind = "mqtt"\nurl = "{broker.url}"')
    agent = edge_run(config, tmp_path)
    bad = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    bad.connect("127.0.0.1", broker.port)
    bad.loop_start()
    try:
        wait_for(lambda: counter(gw, "agent", "readings") >= 20, 30, f"readings over MQTT:\n{agent.text()[-2000:]}")
        for _, payload in BAD_PAYLOADS:
            bad.publish(pump_state_topic(DEVICE), payload, qos=1).wait_for_publish(5)
        readings = counter(gw, "agent", "readings")
        wait_for(lambda: counter(gw, "source", "rejected_payloads") >= len(BAD_PAYLOADS)
                 and counter(gw, "agent", "readings") >= readings + 100, 30,
                 f"the payloads counted and reading going on: {gw.counters().get('source')}")
        assert agent.alive
        counted = gw.counters()
        # the agent restarts while the pump goes on publishing: its session kept those readings
        assert agent.stop() == 0
        time.sleep(1.0)
        agent = edge_run(config, tmp_path)
        wait_for(lambda: gw.parsed("status")[-1].online and counter(gw, "agent", "readings") >= 60, 30,
                 f"the restarted agent reading:\n{agent.text()[-2000:]}")
    finally:
        bad.disconnect()
        bad.loop_stop()
        rc = agent.stop()
        sim.stop()
        time.sleep(0.3)
        gw.close()
    assert rc == 0
    src = counted["source"]
    expected: dict[str, int] = {}
    for reason, _ in BAD_PAYLOADS:
        expected[reason] = expected.get(reason, 0) + 1
    assert {k: v for k, v in src.items() if k.startswith("rejected[")} == \
        {f"rejected[{k}]": v for k, v in expected.items()}
    assert src["rejected_payloads"] == len(BAD_PAYLOADS)
    assert counted["pipeline"]["out_of_range[t_flow]"] >= 5, "an open-circuit sensor's -200 °C is refused and counted"
    assert src["messages_ok"] >= src["reads_ok"] >= 120
    assert counted["pipeline"]["processing_errors"] == 0
    tel: list[Telemetry] = gw.parsed("telemetry")
    assert_contiguous(gw.seqs("telemetry"), "telemetry")
    flows = [t.channels["t_flow"] for t in tel if t.channels["t_flow"].n]
    assert flows and min(f.min for f in flows) > -10.0
    # no reading lost across the restart: every interval between the first and the last holds
    # all its one-minute readings (the interval of the restart in two messages, one per agent run)
    per_interval: dict[float, int] = {}
    for t in tel:
        per_interval[t.ts_start] = per_interval.get(t.ts_start, 0) + t.n
    starts = sorted(per_interval)
    assert starts == [starts[0] + INTERVAL * k for k in range(len(starts))], "no interval missing"
    short = {ts: n for ts, n in per_interval.items() if n != INTERVAL / STEP and ts not in (starts[0], starts[-1])}
    assert not short, f"intervals short of readings: {short}"
