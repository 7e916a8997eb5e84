"""The publisher against real brokers: outage replay, 3.1.1 fallback, last will,
per-device credentials and ACL, Home Assistant discovery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import fields
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from heatwatch.contract import agent_topic, parse_agent_message
from heatwatch.demo.services import Mosquitto
from heatwatch.edge.ha_discovery import HADiscoveryConfig, on_connect_hook
from heatwatch.edge.outbox import Outbox
from heatwatch.edge.publisher import Publisher, PublisherConfig
from heatwatch.mqtt import BrokerLink
from tests.support.mqtt import AS_ROOT, Subscriber, wait_for

REPO = Path(__file__).resolve().parents[2]


def telemetry(i: int, device: str = "hp-1") -> dict:
    return dict(device=device, ts_start=i * 60.0, ts_end=i * 60.0 + 60.0, n=12,
                channels={"t_flow": {"mean": 35.0 + i % 10, "min": 30.0, "max": 45.0, "n": 12}})


def event(ts: float, device: str = "hp-1") -> dict:
    return dict(device=device, ts=ts, kind="fault", fault="refrigerant_leak", severity="critical")


_LINK = {f.name for f in fields(BrokerLink)}


def config(port: int, broker: BrokerLink | None = None, **kw) -> PublisherConfig:
    """A quick-reconnecting publisher on 127.0.0.1:port; BrokerLink fields (username, tls, ...) go to the link."""
    link = broker or BrokerLink(port=port, **{k: kw.pop(k) for k in list(kw) if k in _LINK})
    return PublisherConfig(**{"device": "hp-1", "broker": link, "reconnect_min_delay": 1,
                              "reconnect_max_delay": 1, "connack_timeout": 2.0, **kw})


def test_long_outage_replays_everything_events_first_in_order(tmp_path):
    broker = Mosquitto(extra_config=f"persistence true\npersistence_location {tmp_path}/\n{AS_ROOT}").start()
    ob = Outbox(tmp_path / "o.db", max_telemetry_rows=100_000)
    sub = Subscriber(broker.port, "heatwatch/v1/+/+", "gateway-test")
    pub = Publisher(config(broker.port), ob).start()
    try:
        assert pub.wait_connected(10)
        for i in range(20):
            ob.put_telemetry(telemetry(i))
        ob.put_event(event(100.0))
        wait_for(lambda: ob.stats()["acked"] == 21, 10, "the pre-outage messages to be acked")

        broker.stop()
        wait_for(lambda: not pub.connected, 10, "the publisher to notice the outage")
        # ~3.3 days of one-minute intervals and a handful of findings, all while offline
        outage_events = []
        for i in range(20, 4800):
            ob.put_telemetry(telemetry(i))
            if i % 1000 == 0:
                outage_events.append(ob.put_event(event(i * 60.0)))
        assert ob.stats()["pending_telemetry"] == 4780 and pub.stats()["in_flight"] == 0

        broker.start()
        wait_for(lambda: ob.stats()["pending_telemetry"] == 0 and ob.stats()["pending_events"] == 0, 60,
                 "the backlog to drain")
        wait_for(lambda: sum(m.topic.endswith("telemetry") for m in sub.messages()) >= 4800, 30,
                 "the subscriber to receive the backlog")
    finally:
        pub.stop()
        sub.close()
        broker.stop()

    seen: set[tuple[str, str, int]] = set()
    order: list[tuple[str, int]] = []
    for m in sub.messages():
        msg = parse_agent_message(m.topic, m.payload)
        if m.topic.endswith("status"):
            continue
        key = (msg.device, m.topic.rsplit("/", 1)[1], msg.seq)
        if key in seen:
            continue  # QoS 1 may deliver twice; the gateway dedups by (device, stream, seq)
        seen.add(key)
        order.append((key[1], key[2]))
    tel = [s for st, s in order if st == "telemetry"]
    ev = [s for st, s in order if st == "event"]
    assert tel == list(range(4800)), "every telemetry seq, once, in order"
    assert ev == [0] + outage_events == list(range(5)), "every event seq, once, in order"
    first_backlog = order.index(("telemetry", 20))
    assert all(order.index(("event", s)) < first_backlog for s in outage_events), "events before the backlog"
    assert pub.counters.disconnects >= 1 and pub.counters.connects >= 2


def test_falls_back_to_mqtt_311_when_the_broker_refuses_v5(tmp_path):
    from heatwatch.demo.services import EmbeddedBroker

    broker = EmbeddedBroker().start()  # amqtt: MQTT 3.1.1 only
    port = broker.port
    try:
        sub = Subscriber(port, "heatwatch/#", "gw-311", protocol=mqtt.MQTTv311)
        ob = Outbox(tmp_path / "o.db")
        for i in range(50):
            ob.put_telemetry(telemetry(i))
        ob.put_event(event(1.0))
        pub = Publisher(config(port), ob).start()
        try:
            wait_for(lambda: ob.stats()["acked"] == 51, 30, "delivery over 3.1.1")
            wait_for(lambda: len(sub.messages()) >= 52, 10, "the subscriber to get them")
            assert pub.stats()["protocol"] == "3.1.1" and pub.counters.protocol_fallbacks == 1
        finally:
            pub.stop()
            sub.close()
        topics = [m.topic for m in sub.messages()]
        assert topics.count(agent_topic("hp-1", "telemetry")) >= 50
        assert topics.index(agent_topic("hp-1", "event")) < topics.index(agent_topic("hp-1", "telemetry"))
        seqs = {json.loads(m.payload)["seq"] for m in sub.messages() if m.topic.endswith("telemetry")}
        assert seqs == set(range(50))
    finally:
        broker.stop()


AGENT = textwrap.dedent("""
    import sys, time
    from heatwatch.edge.outbox import Outbox
    from heatwatch.edge.publisher import Publisher, PublisherConfig
    from heatwatch.mqtt import BrokerLink
    pub = Publisher(PublisherConfig(device="hp-7", broker=BrokerLink(port=int(sys.argv[1])), keepalive=5),
                    Outbox(sys.argv[2])).start()
    assert pub.wait_connected(10)
    time.sleep(0.5)
    print("connected", flush=True)
    time.sleep(60)
""")


def test_last_will_says_offline_when_the_agent_dies(broker, tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", AGENT, str(broker.port), str(tmp_path / "o.db")],
                            stdout=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "connected"
        status = agent_topic("hp-7", "status")
        sub = Subscriber(broker.port, status, "watcher")
        wait_for(lambda: sub.messages(), 5, "the retained online status")
        first = sub.messages()[0]
        assert first.retain and json.loads(first.payload)["online"] is True
        os.kill(proc.pid, signal.SIGKILL)
        wait_for(lambda: len(sub.messages()) >= 2, 10, "the last will")
        assert json.loads(sub.messages()[-1].payload)["online"] is False
        sub.close()
        # and it stays retained for whoever looks later
        late = Subscriber(broker.port, status, "late-watcher")
        wait_for(lambda: late.messages(), 5, "the retained offline status")
        msg = parse_agent_message(status, late.messages()[0].payload)
        assert late.messages()[0].retain and msg.online is False and msg.device == "hp-7"
        late.close()
    finally:
        proc.kill()
        proc.wait()


@pytest.fixture
def secured_broker(tmp_path):
    pw = tmp_path / "passwd"
    pw.touch()
    for user, password in (("hp-1", "s3cret-1"), ("hp-2", "s3cret-2"), ("gateway", "gw-pass")):
        subprocess.run(["mosquitto_passwd", "-b", str(pw), user, password], check=True, capture_output=True)
    acl = tmp_path / "acl"
    acl.write_text("user gateway\ntopic read heatwatch/#\n\n"
                   "pattern write heatwatch/v1/%u/#\n")
    b = Mosquitto(extra_config=f"allow_anonymous false\npassword_file {pw}\nacl_file {acl}\n{AS_ROOT}").start()
    yield b
    b.stop()


def test_device_credentials_and_acl_keep_a_device_to_its_own_topics(secured_broker, tmp_path):
    port = secured_broker.port
    sub = Subscriber(port, "heatwatch/#", "gw", username="gateway", password="gw-pass")
    ob = Outbox(tmp_path / "o.db")
    for i in range(5):
        ob.put_telemetry(telemetry(i))
    ob.put_telemetry(telemetry(99, device="hp-2"))  # hp-1 pretending to be hp-2
    ob.put_event(event(5.0, device="hp-2"))
    # the agent's credentials as an edge.toml often gives them: in the broker URL
    pub = Publisher(config(port, BrokerLink.from_url(f"mqtt://hp-1:s3cret-1@127.0.0.1:{port}")), ob).start()
    wrong = Publisher(config(port, device="hp-2", username="hp-2", password="not-it"), Outbox(tmp_path / "w.db"))
    wrong.start()
    try:
        wait_for(lambda: pub.counters.acked + pub.counters.refused >= 7, 15, "hp-1's messages to be answered")
        time.sleep(0.5)
        assert not wrong.connected and wrong.counters.connect_refused >= 1
    finally:
        pub.stop()
        wrong.stop()
    devices_seen = {parse_agent_message(m.topic, m.payload).device for m in sub.messages()}
    sub.close()
    assert devices_seen == {"hp-1"}, "nothing under hp-2's topics got through"
    seqs = sorted(json.loads(m.payload)["seq"] for m in sub.messages() if m.topic.endswith("telemetry"))
    assert seqs == [0, 1, 2, 3, 4]
    # the refused rows are kept (a misconfigured ACL must not eat data) and counted
    left = {(it.device, it.stream) for it in ob.pending()}
    assert left == {("hp-2", "telemetry"), ("hp-2", "event")}
    assert (pub.counters.acked, pub.counters.refused) == (5, 2)  # MQTT 5 PUBACK 0x87 not authorized


def test_home_assistant_discovery_when_enabled_and_silence_when_not(broker, tmp_path):
    sub = Subscriber(broker.port, "homeassistant/#", "ha")
    on = Publisher(config(broker.port, agent_version="0.1.0"), Outbox(tmp_path / "a.db"),
                   on_connect_hooks=[on_connect_hook("hp-1", HADiscoveryConfig(enabled=True, model="AW-9"), "0.1.0")])
    off = Publisher(config(broker.port, device="hp-2"), Outbox(tmp_path / "b.db"),
                    on_connect_hooks=[on_connect_hook("hp-2", HADiscoveryConfig(enabled=False))])
    on.start(), off.start()
    try:
        assert on.wait_connected(10) and off.wait_connected(10)
        wait_for(lambda: any("t_flow" in m.topic for m in sub.messages()), 5, "discovery configs")
        time.sleep(0.5)
    finally:
        on.stop(), off.stop()
    sub.close()
    late = Subscriber(broker.port, "homeassistant/#", "ha-late")  # retained: HA restarting later still sees them
    wait_for(lambda: len(late.messages()) >= 10, 5, "retained discovery configs")
    time.sleep(0.3)
    configs = {m.topic: json.loads(m.payload) for m in late.messages()}
    assert all(m.retain for m in late.messages())
    assert not any("hp-2" in t for t in configs), "discovery disabled: nothing for hp-2"

    tf = configs["homeassistant/sensor/hp-1_t_flow/config"]
    assert tf["state_topic"] == agent_topic("hp-1", "telemetry")
    assert tf["availability_topic"] == agent_topic("hp-1", "status")
    assert "value_json.online" in tf["availability_template"]
    assert (tf["unit_of_measurement"], tf["device_class"], tf["state_class"]) == ("°C", "temperature", "measurement")
    assert "channels['t_flow'].mean" in tf["value_template"]
    assert tf["unique_id"] == "heatwatch_hp-1_t_flow"
    assert tf["device"]["identifiers"] == ["heatwatch_hp-1"] and tf["device"]["model"] == "AW-9"
    assert configs["homeassistant/sensor/hp-1_flow_lpm/config"]["unit_of_measurement"] == "L/min"
    sh = configs["homeassistant/sensor/hp-1_superheat/config"]
    assert sh["unit_of_measurement"] == "K" and "device_class" not in sh  # a difference, not a temperature
    mode = configs["homeassistant/sensor/hp-1_mode/config"]
    assert "unit_of_measurement" not in mode and "state_class" not in mode
    problem = configs["homeassistant/binary_sensor/hp-1_problem/config"]
    assert (problem["device_class"], problem["payload_on"], problem["payload_off"]) == ("problem", "ON", "OFF")
    assert problem["state_topic"] == agent_topic("hp-1", "telemetry") and "health" in problem["value_template"]
    late.close()


def _make_certs(d: Path) -> None:
    """A private CA and a server certificate for 127.0.0.1, made with openssl."""
    def ssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=d)
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=heatwatch test CA",
        "-keyout", "ca.key", "-out", "ca.crt")
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr")
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-extfile", "san.ext", "-out", "server.crt")


def test_tls_with_the_right_ca_delivers_and_an_untrusted_server_is_refused(tmp_path):
    _make_certs(tmp_path)
    broker = Mosquitto(extra_config=f"cafile {tmp_path}/ca.crt\ncertfile {tmp_path}/server.crt\n"
                                    f"keyfile {tmp_path}/server.key\n{AS_ROOT}").start()
    ob = Outbox(tmp_path / "o.db")
    ob.put_event(event(1.0))
    good = Publisher(config(broker.port, BrokerLink.from_url(f"mqtts://127.0.0.1:{broker.port}",
                                                             ca_file=str(tmp_path / "ca.crt"))), ob)
    # the system trust store does not know our private CA: no connection, nothing sent
    stranger = Publisher(config(broker.port, device="hp-2", tls=True), Outbox(tmp_path / "s.db"))
    good.start(), stranger.start()
    try:
        wait_for(lambda: ob.stats()["acked"] == 1, 10, "delivery over TLS")
        time.sleep(0.5)
        assert not stranger.connected and stranger.counters.connects == 0
    finally:
        good.stop(), stranger.stop()
        broker.stop()


def test_edge_toml_broker_section_becomes_the_publishers_link(tmp_path):
    from heatwatch.edge.agent import publisher_config
    from heatwatch.edge.config import parse_config
    from tests.support.tls import make_ca

    make_ca(tmp_path)  # the config loads the files it names: a CA, and a client pair (the CA's own)
    ca, crt, key = (str(tmp_path / n) for n in ("ca.crt", "ca.crt", "ca.key"))
    cfg = parse_config({"device": {"id": "hp-3"}, "broker": {
        "url": "mqtts://hp-3:from-url@broker.example", "password": "from-file", "ca_file": ca,
        "cert_file": crt, "key_file": key, "protocol": "3.1.1", "keepalive": 45}})
    pc = publisher_config(cfg)
    assert pc.broker == BrokerLink(host="broker.example", port=8883, username="hp-3", password="from-file",
                                   tls=True, ca_file=ca, cert_file=crt, key_file=key)
    assert (pc.client_id, pc.protocol, pc.keepalive) == ("heatwatch-hp-3", "3.1.1", 45)
    plain = publisher_config(parse_config({"device": {"id": "hp-3"}}))
    assert plain.broker == BrokerLink(host="127.0.0.1", port=1883)
    assert plain.connack_timeout == 10.0 and plain.protocol == "auto"
