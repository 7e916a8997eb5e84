"""Two `heatwatch gateway run` workers on one shared subscription of a real Mosquitto; one is
killed with SIGKILL mid-stream and started again under its name. Nothing is lost, nothing doubled.

What Mosquitto 2 does with a killed member of a shared subscription (and what
the gateway's design rests on): the messages it had been sent but had not
acknowledged stay in its session, and so do the ones the broker keeps dealing
it while it is away (Mosquitto does not hand them to the other members). The
session persists (fixed client id, clean start off, session expiry), so they
reach the worker when it comes back under the same ``--worker`` name. Until
then they wait: the test checks that too (the survivor alone does not finish
the stream), so a supervisor that restarts a dead worker is part of the design.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
import urllib.request

import paho.mqtt.client as mqtt
from sqlalchemy import func, select

from heatwatch.contract import ChannelStats, Event, Telemetry, agent_topic
from heatwatch.demo.services import free_port, terminate
from heatwatch.gateway.customers.models import Customer, Site
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.incidents.models import Incident
from heatwatch.gateway.ingest.models import ProcessedEvent, SeqStream, SequenceGap, StreamPosition
from heatwatch.gateway.tickets.models import Ticket
from tests.support.mqtt import wait_for

CLI = [sys.executable, "-m", "heatwatch.cli", "gateway", "run"]
DEVICES = [f"hp-k{i:02d}" for i in range(6)]
TELEMETRY = 120  # intervals per device
EVENTS = 6  # per device: one fault, then updates of it
FAULT = "refrigerant_leak"


def _telemetry(device: str, seq: int, t0: float) -> tuple[str, bytes]:
    msg = Telemetry(device=device, seq=seq, ts_start=t0 + 60 * seq, ts_end=t0 + 60 * seq + 60, n=6,
                    channels={"t_flow": ChannelStats(mean=35.0, min=34.5, max=35.5, n=6)})
    return agent_topic(device, "telemetry"), msg.to_json()


def _event(device: str, seq: int, t0: float) -> tuple[str, bytes]:
    msg = Event(device=device, seq=seq, event_id=f"ev-{device}-{seq:04d}", ts=t0 + 60 * seq,
                kind="fault" if seq == 0 else "fault_update", fault=FAULT, severity="warning", confidence=0.8,
                explanation="superheat up, subcooling down")
    return agent_topic(device, "event"), msg.to_json()


def _stream(t0: float) -> list[tuple[str, bytes]]:
    """Devices interleaved as a fleet sends; every third event sent twice (an agent's reconnect)."""
    messages = []
    for seq in range(TELEMETRY):
        for device in DEVICES:
            messages.append(_telemetry(device, seq, t0))
            if seq % (TELEMETRY // EVENTS) == 0:
                e = _event(device, seq // (TELEMETRY // EVENTS), t0)
                messages += [e, e] if seq % 3 == 0 else [e]
    return messages


def _start(config: str, worker: str, port: int, log) -> subprocess.Popen:
    return subprocess.Popen([*CLI, "--config", config, "--worker", worker, "--port", str(port),
                             "--no-webhooks", "--log-level", "warning"], stdout=log, stderr=subprocess.STDOUT)


def _handled(port: int) -> int:
    """Messages a worker accepted or refused, from its /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
        text = r.read().decode()
    return int(sum(float(n) for n in re.findall(r'^heatwatch_ingest_(?:accepted|refused)_total\{[^}]*\} (\S+)$',
                                                text, re.M)))


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
            return b'"broker":"connected"' in r.read()
    except OSError:
        return False


def _done(db) -> tuple[int, int]:
    with db.transaction() as s:
        events = s.scalar(select(func.count()).select_from(ProcessedEvent))
        telemetry = s.scalar(select(func.coalesce(func.sum(StreamPosition.received), 0))
                             .where(StreamPosition.stream == SeqStream.TELEMETRY))
    return events, telemetry


def test_a_worker_killed_mid_stream_loses_nothing_and_doubles_nothing(tmp_path, db, db_url, broker):
    with db.transaction() as s:
        site = Site(customer=Customer(name="A. Customer"), city="Kassel")
        s.add_all([Device(id=d, site=site) for d in DEVICES])
    config = tmp_path / "gateway.toml"
    config.write_text(f"[database]\nurl = '{db_url}'\n\n[broker]\nurl = '{broker.url}'\nclient_id = 'gw-kill'\n"
                      "shared_group = 'gw'\n")
    ports = {"1": free_port(), "2": free_port()}
    logs = {w: open(tmp_path / f"worker{w}.log", "wb") for w in ("1", "2", "2-again")}
    procs = {w: _start(str(config), w, ports[w], logs[w]) for w in ("1", "2")}
    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="fleet-sim", protocol=mqtt.MQTTv5)
    try:
        wait_for(lambda: all(_healthy(p) for p in ports.values()), 90, "both workers subscribed")
        publisher.connect("127.0.0.1", broker.port)
        publisher.loop_start()
        messages = _stream(time.time() - 3 * 3600)
        cut = len(messages) // 3
        for topic, payload in messages[:cut]:
            publisher.publish(topic, payload, qos=1)
        # kill worker 2 while it is busy: it has taken messages, and more are on their way to it
        wait_for(lambda: _handled(ports["2"]) > 20, 60, "worker 2 to take its share")
        procs["2"].send_signal(signal.SIGKILL)
        procs["2"].wait(10)
        infos = [publisher.publish(topic, payload, qos=1) for topic, payload in messages[cut:]]
        for info in infos:
            info.wait_for_publish(30)

        # the survivor alone cannot finish: the dead worker's in-flight and dealt messages wait in its session
        events_total, telemetry_total = len(DEVICES) * EVENTS, len(DEVICES) * TELEMETRY
        wait_for(lambda: _handled(ports["1"]) >= (len(messages) - cut) // 3, 60, "worker 1 to take its share")
        time.sleep(2.0)
        assert _done(db) != (events_total, telemetry_total), "the killed worker's messages went elsewhere"

        procs["2-again"] = _start(str(config), "2", ports["2"], logs["2-again"])  # the same name: its session
        wait_for(lambda: _done(db) == (events_total, telemetry_total), 120,
                 f"all {events_total} events and {telemetry_total} intervals kept ({_done(db)} so far)")
        assert _handled(ports["2"]) > 0  # the restarted worker got what was kept for it
    finally:
        publisher.loop_stop()
        publisher.disconnect()
        for proc in procs.values():
            terminate(proc)
        for log in logs.values():
            log.close()

    with db.transaction() as s:
        kept = set(s.scalars(select(ProcessedEvent.event_id)))
        assert kept == {f"ev-{d}-{seq:04d}" for d in DEVICES for seq in range(EVENTS)}  # no event lost
        tickets = s.execute(select(Incident.device_id, Incident.fault, func.count(Ticket.id))
                            .join(Ticket, Ticket.incident_id == Incident.id)
                            .group_by(Incident.device_id, Incident.fault)).all()
        assert sorted(tickets) == [(d, FAULT, 1) for d in DEVICES]  # one ticket per device and fault
        incidents = s.execute(select(Incident.device_id, Incident.event_count)).all()
        assert sorted(incidents) == [(d, EVENTS) for d in DEVICES]  # each event counted once
        assert s.scalar(select(func.count()).select_from(SequenceGap)) == 0  # none made, none recorded
        positions = s.execute(select(StreamPosition.device_id, StreamPosition.stream, StreamPosition.first_seq,
                                     StreamPosition.last_seq, StreamPosition.received)).all()
    expected = [(d, SeqStream.TELEMETRY, 0, TELEMETRY - 1, TELEMETRY) for d in DEVICES]
    expected += [(d, SeqStream.EVENT, 0, EVENTS - 1, EVENTS) for d in DEVICES]
    assert sorted(positions) == sorted(expected)
