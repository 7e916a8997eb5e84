"""MQTT transport: the simulator's PumpState publisher and the edge MQTT source, on real brokers."""

from __future__ import annotations

import json
import math
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import paho.mqtt.client as mqtt
import pytest

from heatwatch.edge.sources.base import SourceFatalError, SourceRetryableError
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.edge.sources.mqtt_source import MqttSource
from heatwatch.sim.mqtt_publisher import MqttPublisherError, PumpStatePublisher
from heatwatch.channels import CHANNEL_NAMES, INDEX
from heatwatch.contract import MAX_PAYLOAD_BYTES, parse_pump_state, pump_state_topic
from heatwatch.demo.services import Mosquitto, free_port
from tests.support.mqtt import AS_ROOT

N = len(CHANNEL_NAMES)


def _row(seed: float) -> np.ndarray:
    row = np.linspace(0.0, 20.0, N) + seed
    row[INDEX["power_w"]] = 2500.0 + seed
    return row


def _subscriber(port: int, topic: str, got: list) -> mqtt.Client:
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    sub.on_message = lambda c, u, m: got.append((m.topic, m.payload))
    sub.connect("127.0.0.1", port)
    sub.subscribe(topic, qos=1)
    sub.loop_start()
    time.sleep(0.3)
    return sub


def _wait(cond, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.02)
    return cond()


def test_publisher_sends_pump_state_per_device_and_skips_dropouts(broker):
    got: list = []
    sub = _subscriber(broker.port, "pumps/+/state", got)
    pub = PumpStatePublisher(broker.url, ["hp-1", "hp-2"])
    pub.connect()
    try:
        rows = np.stack([_row(0.0), _row(1.0)])
        rows[1, INDEX["t_dhw"]] = np.nan  # one sensor missing on hp-2
        assert pub.publish_row(1000.0, rows) == 2
        dropout = rows.copy()
        dropout[0, :] = np.nan  # hp-1's module silent for a row
        assert pub.publish_row(1010.0, dropout) == 1
    finally:
        pub.close()
    assert _wait(lambda: len(got) == 3)
    sub.loop_stop()
    sub.disconnect()
    states = [(t, parse_pump_state(p, t)) for t, p in got]
    by_topic = {(t, s.ts): s for t, s in states}
    first = by_topic[(pump_state_topic("hp-1"), 1000.0)]
    assert first.device == "hp-1"
    assert first.values["power_w"] == pytest.approx(2500.0)
    assert first.values["t_outdoor"] == pytest.approx(0.0)
    second = by_topic[(pump_state_topic("hp-2"), 1000.0)]
    assert second.values["t_dhw"] is None and second.values["t_outdoor"] == pytest.approx(1.0)
    assert (pump_state_topic("hp-1"), 1010.0) not in by_topic
    assert pub.counters["published"] == 3 and pub.counters["dropouts"] == 1


def test_publisher_reports_a_missing_broker_clearly():
    with pytest.raises(MqttPublisherError, match="expected mqtt://host"):
        PumpStatePublisher("http://localhost:1883", ["hp-1"])
    pub = PumpStatePublisher(f"mqtt://127.0.0.1:{free_port()}", ["hp-1"])
    with pytest.raises(MqttPublisherError, match="cannot reach broker"):
        pub.connect(timeout=1.0)


def _raw_publisher(port: int) -> mqtt.Client:
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    pub.connect("127.0.0.1", port)
    pub.loop_start()
    return pub


def test_mqtt_source_rejects_malformed_payloads_and_yields_good_ones(broker):
    source = MqttSource("hp-7", broker.url, read_timeout=2.0)
    source.open()
    assert source.protocol == mqtt.MQTTv5
    topic = pump_state_topic("hp-7")
    good = lambda ts, **vals: json.dumps({"device": "hp-7", "ts": ts, "values": vals}).encode()  # noqa: E731
    payloads = [
        good(1.0, t_flow=35.2, t_return=30.1),
        b"\xff\x00 not json",
        b'{"device": "hp-7", "ts": 2.0, "values": {"t_flow": NaN}}',
        json.dumps({"device": "hp-7", "ts": 3.0, "values": {"t_flow": "NaN"}}).encode(),
        json.dumps({"device": "hp-7", "ts": 4.0, "vals": {}}).encode(),
        json.dumps({"device": "hp-8", "ts": 5.0, "values": {"t_flow": 35.0}}).encode(),
        json.dumps({"device": "hp-7", "ts": 6.0, "values": {"t_flux": 35.0}}).encode(),
        b'{"device": "hp-7", "ts": 7.0, "values": {"t_flow": ' + b"1" * (MAX_PAYLOAD_BYTES) + b"}}",
        good(1.0, t_flow=36.0),  # redelivered/old: not after the last reading (the pipeline refuses it)
        good(8.0, t_flow=500.0, t_return=31.0),  # implausible flow temperature (the detector makes it a gap)
    ]
    pub = _raw_publisher(broker.port)
    try:
        for p in payloads:
            pub.publish(topic, p, qos=1).wait_for_publish(5)
        readings = [source.read() for _ in range(3)]
        assert source.read(timeout=0.3) is None  # nothing else got through
    finally:
        pub.loop_stop()
        pub.disconnect()
        source.close()
    first, again, last = readings
    assert first is not None and again is not None and last is not None
    assert first.ts == 1.0 and first.get("t_flow") == pytest.approx(35.2)
    assert math.isnan(first.get("p_high"))  # not sent -> missing
    assert again.ts == 1.0 and again.get("t_flow") == pytest.approx(36.0)
    assert last.ts == 8.0 and last.get("t_flow") == 500.0 and last.get("t_return") == pytest.approx(31.0)
    c = source.counters
    assert c["reads_ok"] == 3
    assert c["rejected_payloads"] == 7
    for reason in ("not_json", "nan_literal", "wrong_device", "unknown_channel", "oversized"):
        assert c[f"rejected[{reason}]"] == 1, reason
    assert c["rejected[bad_fields]"] == 2  # "NaN" as a string, and "vals" instead of "values"
    # what the payloads' time and values are worth is judged once, by the agent's pipeline
    pipe = PumpPipeline(device="hp-7")
    results = [pipe.process(r.ts, r.values)[0] for r in readings]
    assert results[1] is None and pipe.rejected == {"clock_not_advancing": 1}
    assert math.isnan(results[2].values[INDEX["t_flow"]]) and results[2].values[INDEX["t_return"]] == 31.0
    assert pipe.detector.plausibility.counters == {"out_of_range[t_flow]": 1}


def test_mqtt_source_without_broker_is_retryable_with_backoff():
    source = MqttSource("hp-1", f"mqtt://127.0.0.1:{free_port()}", read_timeout=0.1)
    source.backoff.initial, source.backoff.jitter = 0.2, 0.0  # no jitter: the waits are exact
    t0 = time.monotonic()
    for _ in range(3):
        with pytest.raises(SourceRetryableError, match="unreachable"):
            source.read()
    # waits 0.2 s then 0.4 s between the three attempts
    assert time.monotonic() - t0 >= 0.55
    assert source.counters["reconnect_failures"] == 3


def test_mqtt_source_survives_a_broker_restart(broker):
    source = MqttSource("hp-1", broker.url, read_timeout=0.2)
    source.open()
    broker.stop()
    with pytest.raises(SourceRetryableError, match="reconnecting"):
        for _ in range(20):
            source.read()
    broker.start()
    pub = _raw_publisher(broker.port)
    try:
        deadline = time.monotonic() + 15
        reading = None
        while reading is None and time.monotonic() < deadline:
            pub.publish(pump_state_topic("hp-1"), json.dumps({"device": "hp-1", "ts": time.time(), "values": {"t_flow": 40.0}}), qos=1)
            try:
                reading = source.read()
            except SourceRetryableError:
                pass
    finally:
        pub.loop_stop()
        pub.disconnect()
        source.close()
    assert reading is not None and reading.get("t_flow") == 40.0
    assert source.counters["reconnects"] >= 1 and source.counters["disconnects"] >= 1


def test_mqtt_source_takes_credentials_from_its_url_and_gives_up_on_a_wrong_password(tmp_path):
    """A wrong password stops the agent (fatal: retrying cannot fix it) instead of retrying for ever."""
    pw = tmp_path / "passwd"
    pw.touch()
    subprocess.run(["mosquitto_passwd", "-b", str(pw), "agent", "agent-pass"], check=True, capture_output=True)
    broker = Mosquitto(extra_config=f"allow_anonymous false\npassword_file {pw}\n{AS_ROOT}").start()
    try:
        with pytest.raises(SourceFatalError, match="refused the agent: (Not authorized|Bad user name or password)"):
            MqttSource("hp-1", f"mqtt://agent:wrong@127.0.0.1:{broker.port}", connect_timeout=2.0).open()
        source = MqttSource("hp-1", f"mqtt://agent:agent-pass@127.0.0.1:{broker.port}", connect_timeout=2.0)
        source.open()
        source.close()
        assert source.protocol == mqtt.MQTTv5 and source.counters["connects"] == 1
    finally:
        broker.stop()


def test_mqtt_source_refuses_a_url_that_names_no_broker():
    with pytest.raises(SourceFatalError, match=r"broker URL 'http://h': expected mqtt://host\[:port\] or mqtts"):
        MqttSource("hp-1", "http://h")


@pytest.fixture
def amqtt_broker():
    """amqtt speaks MQTT 3.1.1 only: the source must fall back to it."""
    binary = Path(sys.executable).parent / "amqtt"
    assert binary.exists(), "amqtt is part of the dev environment"
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="hw-amqtt-"))
    conf = workdir / "amqtt.yaml"
    conf.write_text(
        f"listeners:\n  default:\n    type: tcp\n    bind: 127.0.0.1:{port}\n"
        "auth:\n  allow-anonymous: true\n  plugins: ['auth_anonymous']\ntopic-check:\n  enabled: false\n"
    )
    proc = subprocess.Popen([str(binary), "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            assert proc.poll() is None, "amqtt exited"
            time.sleep(0.1)
    yield port
    proc.terminate()
    proc.wait(5)
    shutil.rmtree(workdir, ignore_errors=True)


def test_mqtt_source_falls_back_to_311(amqtt_broker):
    # amqtt leaves the MQTT 5 CONNECT unanswered: 3.1.1 after connect_timeout (default 10 s)
    source = MqttSource("hp-1", f"mqtt://127.0.0.1:{amqtt_broker}", read_timeout=3.0, connect_timeout=2.0)
    source.open()
    try:
        assert source.protocol == mqtt.MQTTv311
        pub = PumpStatePublisher(f"mqtt://127.0.0.1:{amqtt_broker}", ["hp-1"])
        pub.connect()
        pub.publish_row(42.0, _row(0.0)[None, :])
        pub.close()
        reading = source.read()
    finally:
        source.close()
    assert reading is not None and reading.ts == 42.0
    assert reading.get("power_w") == pytest.approx(2500.0)


def test_reading_helpers_build_and_clean_vectors():
    from heatwatch.edge.reading import PlausibilityFilter, Reading, reading_from_channels

    r = reading_from_channels("hp-1", 5, {"t_flow": 35, "t_return": None})
    assert r.values.dtype == np.float64 and r.values.shape == (N,)
    assert r.get("t_flow") == 35.0 and math.isnan(r.get("t_return")) and math.isnan(r.get("p_low"))
    with pytest.raises(ValueError, match="shape"):
        Reading("hp-1", 0.0, np.zeros(3))
    source = MqttSource("hp-1", "mqtt://127.0.0.1:1")  # not opened: only its parsing
    parsed = source.reading_from(1.0, {"t_flow": 35.0, "p_high": float("inf"), "mode": "heating", "fan_rpm": -5})
    assert parsed.get("t_flow") == 35.0 and parsed.get("p_high") == float("inf") and math.isnan(parsed.get("mode"))
    assert {k: v for k, v in source.counters.items() if v} == {"not_a_number[mode]": 1}
    counters: dict[str, int] = {}
    f = PlausibilityFilter(counters)
    cleaned = f.clean(parsed.values)
    assert cleaned[INDEX["t_flow"]] == 35.0 and math.isnan(cleaned[INDEX["p_high"]])
    assert math.isnan(cleaned[INDEX["fan_rpm"]]) and parsed.get("fan_rpm") == -5.0  # a copy
    rows = f.clean(np.stack([parsed.values, parsed.values, r.values]))  # rows of readings: counted per channel
    assert np.isnan(rows[:2, INDEX["p_high"]]).all() and rows[2, INDEX["t_flow"]] == 35.0
    assert counters == {"out_of_range[p_high]": 3, "out_of_range[fan_rpm]": 3}


def test_readings_the_agent_had_not_taken_when_it_stopped_are_delivered_to_the_next_run(broker):
    """A reading is acknowledged to the broker when the agent takes it, not when it lands in the
    source's buffer: readings still buffered when the agent stops (a backlog after an outage, a
    fast publisher) stay in the broker's session and come again to the next run, none lost.
    Delivery is at least once: the last acknowledgements can die with the closing connection
    (the broker resets it while it still sends), so the next run may repeat a few readings the
    first took; the pipeline refuses those by their timestamps (not newer than its last)."""
    first = MqttSource("hp-1", broker.url, read_timeout=2.0)
    first.open()
    pub = _raw_publisher(broker.port)
    n = 200
    try:
        for i in range(n):
            pub.publish(pump_state_topic("hp-1"), json.dumps({"device": "hp-1", "ts": 1000.0 + i,
                                                              "values": {"t_flow": 40.0}}), qos=1).wait_for_publish(5)
        before = [first.read().ts for _ in range(30)]
        first.close()  # the agent stops with readings still buffered
        second = MqttSource("hp-1", broker.url, read_timeout=2.0)
        second.open()
        after: list[float] = []
        try:
            while (r := second.read()) is not None:
                after.append(r.ts)
        finally:
            second.close()
    finally:
        pub.loop_stop()
        pub.disconnect()
    assert before == [1000.0 + i for i in range(30)]
    assert after and after == sorted(after) and len(set(after)) == len(after), "in order, none twice in a run"
    assert after[-1] == 1000.0 + n - 1 and after[0] <= 1030.0, "the next run starts where the first left off"
    assert sorted(set(before) | set(after)) == [1000.0 + i for i in range(n)], "every reading reached a run"
    assert second.counters["reads_ok"] == len(after)
