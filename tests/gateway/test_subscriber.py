"""Ingest from a real Mosquitto: two workers on one shared subscription split the messages, and
the database keeps each event and each seq once, whichever worker took it."""

from __future__ import annotations

import time

import paho.mqtt.client as mqtt
import pytest
from sqlalchemy import func, select

from heatwatch.contract import MAX_PAYLOAD_BYTES, agent_topic
from heatwatch.gateway.customers.models import Customer, Site
from heatwatch.gateway.db import Database
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.ingest.models import ProcessedEvent, SequenceGap
from heatwatch.gateway.ingest.service import Ingest
from heatwatch.gateway.ingest.subscriber import Subscriber, subscription_topics
from heatwatch.gateway.settings import BrokerSettings
from tests.gateway.test_ingest import event, position, telemetry
from tests.support.mqtt import wait_for


@pytest.fixture
def devices(db):
    with db.transaction() as s:
        site = Site(customer=Customer(name="A. Customer"), city="Kassel")
        s.add_all([Device(id="hp-001", site=site), Device(id="hp-002", site=site)])


@pytest.fixture
def workers(broker, db_url, devices):
    """Two gateway workers, each with its own database connection pool, one shared group."""
    settings = BrokerSettings(url=broker.url, client_id="gw-test", shared_group="gw")
    started = []
    for name in ("a", "b"):
        database = Database.open(db_url, busy_timeout=30.0)
        started.append((Subscriber(settings, Ingest(database), worker=name).start(), database))
    for sub, _ in started:
        assert sub.subscribed.wait(10), f"{sub.client_id} not subscribed"
    yield [sub for sub, _ in started]
    for sub, database in started:
        sub.stop()
        database.close()


def _publisher(broker) -> mqtt.Client:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="agent-sim", protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    return client


def _handled(subs: list[Subscriber]) -> int:
    return sum(n for sub in subs for key, n in sub.ingest.counters.snapshot().items()
               if key.startswith(("accepted.", "refused.")))


def test_topics_of_a_shared_and_a_plain_subscription():
    assert subscription_topics("gw") == ["$share/gw/heatwatch/v1/+/telemetry", "$share/gw/heatwatch/v1/+/event",
                                         "$share/gw/heatwatch/v1/+/status", "$share/gw/heatwatch/v1/+/ack"]
    assert subscription_topics("") == ["heatwatch/v1/+/telemetry", "heatwatch/v1/+/event", "heatwatch/v1/+/status",
                                       "heatwatch/v1/+/ack"]


def test_two_workers_split_the_stream_and_keep_everything_once(broker, db, workers):
    messages = [telemetry(seq) for seq in range(150)] + [telemetry(seq, device="hp-002") for seq in range(50)]
    for i in range(40):  # every event delivered twice, as after an agent's reconnect
        messages += [event(i, f"ev-{i:08d}")] * 2
    messages += [(agent_topic("hp-001", "telemetry"), b"{not json")] * 5
    messages += [telemetry(0, device="hp-009")] * 5
    messages += [(agent_topic("hp-001", "event"), b" " * (MAX_PAYLOAD_BYTES + 10))] * 2
    publisher = _publisher(broker)
    try:
        for topic, payload in messages:
            publisher.publish(topic, payload, qos=1).wait_for_publish(10)
        wait_for(lambda: _handled(workers) >= len(messages), 120, f"{len(messages)} messages handled")
    finally:
        publisher.loop_stop()
        publisher.disconnect()

    a, b = (sub.ingest.counters.snapshot() for sub in workers)
    assert _handled(workers[:1]) > 20 and _handled(workers[1:]) > 20, (a, b)  # the broker split the load
    total = {k: a.get(k, 0) + b.get(k, 0) for k in set(a) | set(b)}
    handled = {k: n for k, n in total.items() if k.startswith(("accepted.", "refused."))}
    assert handled == {"accepted.telemetry": 200, "accepted.event": 40, "refused.duplicate": 40,
                       "refused.not_json": 5, "refused.unknown_device": 5, "refused.oversized": 2}
    # two workers take one device's messages out of order: every gap opened by an early arrival
    # was filled by the late ones (no gap left, below)
    assert total.get("late", 0) >= total.get("seqs_missing", 0)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ProcessedEvent)) == 40
        assert s.scalar(select(func.count()).select_from(SequenceGap)) == 0
    pos = position(db)
    assert (pos.first_seq, pos.last_seq, pos.received) == (0, 149, 150)
    assert position(db, "event").received == 40


def test_a_worker_away_gets_what_came_meanwhile(broker, db, db_url, workers):
    """Its session persists: QoS-1 messages the broker assigned it wait for its return, none is lost."""
    staying, away = workers
    away.stop()
    publisher = _publisher(broker)
    try:
        for seq in range(30):
            publisher.publish(*telemetry(seq), qos=1).wait_for_publish(10)
        wait_for(lambda: _handled([staying]) > 0, 60, "the remaining worker to take its share")
        database = Database.open(db_url, busy_timeout=30.0)
        back = Subscriber(away.broker, Ingest(database), worker="b").start()  # same client id: same session
        try:
            wait_for(lambda: _handled([staying, back]) >= 30, 60, "all 30 messages handled")
            # Mosquitto keeps dealing the away worker its share, queued in its session until it returns
            assert _handled([back]) > 0
        finally:
            back.stop()
            database.close()
    finally:
        publisher.loop_stop()
        publisher.disconnect()
    pos = position(db)
    assert (pos.first_seq, pos.last_seq, pos.received, pos.duplicates) == (0, 29, 30, 0)
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(SequenceGap)) == 0


def test_a_message_the_database_refuses_does_not_hold_its_batch(broker, db, db_url, devices):
    """The batch fails as a whole; split, the others are kept and that one is refused as unstorable
    (and acknowledged: the worker does not take it again and again)."""
    from tests.gateway.test_ingest_batch import _poison

    _poison(db, "hp-002")
    recent = time.time() - 3600
    database = Database.open(db_url, busy_timeout=30.0)
    sub = Subscriber(BrokerSettings(url=broker.url, client_id="gw-poison", shared_group="gw"), Ingest(database),
                     batch_wait=0.5).start()
    publisher = _publisher(broker)
    try:
        assert sub.subscribed.wait(10)
        messages = [telemetry(seq, t0=recent) for seq in range(40)]
        messages[17:17] = [telemetry(seq, device="hp-002", t0=recent) for seq in range(3)]
        for topic, payload in messages:
            publisher.publish(topic, payload, qos=1)
        wait_for(lambda: _handled([sub]) >= 43, 60, "43 messages handled")
        time.sleep(1.0)  # nothing comes again
        counts = sub.ingest.counters.snapshot()
        assert counts["accepted.telemetry"] == 40 and counts["refused.unstorable"] == 3, counts
        assert counts.get("database_errors", 0) == 0  # refused for its content, not retried as an outage
    finally:
        publisher.loop_stop()
        publisher.disconnect()
        sub.stop()
        database.close()
    assert position(db).received == 40


def test_a_batch_takes_events_and_status_before_queued_telemetry(db):
    """An event must not wait behind a backlog of readings: the next batch takes it first."""
    sub = Subscriber(BrokerSettings(url="mqtt://127.0.0.1:1", client_id="gw-order"), Ingest(db), batch_size=4,
                     batch_wait=0.0)
    arrived = [*(telemetry(seq) for seq in range(6)), event(0, "ev-00000001"), telemetry(6),
               (agent_topic("hp-001", "status"), b"{}")]
    for topic, payload in arrived:
        msg = mqtt.MQTTMessage(topic=topic.encode())
        msg.payload = payload
        sub._on_message(None, None, msg)
    batches = [[m.topic.rsplit("/", 1)[1] for m in sub._next_batch()] for _ in range(3)]
    assert batches == [["event", "status", "telemetry", "telemetry"], ["telemetry"] * 4, ["telemetry"]]
    assert sub._next_batch() == []  # nothing queued: empty after a short wait


class _BuggyIngest(Ingest):
    """An ingest with a bug that one device's messages trip (Ingest never raises for bad input; a
    bug is the only way a non-database exception gets out)."""

    def handle_batch(self, messages):
        if any("/hp-002/" in m.topic for m in messages):
            raise ValueError("a bug")
        return super().handle_batch(messages)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_message_that_trips_a_bug_does_not_stop_the_worker(broker, db, db_url, devices):
    database = Database.open(db_url, busy_timeout=30.0)
    sub = Subscriber(BrokerSettings(url=broker.url, client_id="gw-bug", shared_group="gw"), _BuggyIngest(database),
                     batch_wait=0.5).start()
    publisher = _publisher(broker)
    try:
        assert sub.subscribed.wait(10)
        messages = [telemetry(seq) for seq in range(20)]
        messages[5:5] = [telemetry(0, device="hp-002")]
        for topic, payload in messages:
            publisher.publish(topic, payload, qos=1)
        wait_for(lambda: _handled([sub]) >= 21, 60, "21 messages handled")
        counts = sub.ingest.counters.snapshot()
        assert counts["accepted.telemetry"] == 20 and counts["refused.unstorable"] == 1, counts
        publisher.publish(*telemetry(20), qos=1)  # and the worker goes on
        wait_for(lambda: sub.ingest.counters.get("accepted.telemetry") == 21, 30, "the next message")
    finally:
        publisher.loop_stop()
        publisher.disconnect()
        sub.stop()
        database.close()
