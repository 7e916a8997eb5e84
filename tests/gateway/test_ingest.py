"""Ingest on SQLite and PostgreSQL: validation with a reason per refusal, dedup by event id and
sequence number, gaps recorded as lost data and filled by late messages, workers racing."""

from __future__ import annotations

import json
import random
import threading
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from heatwatch.contract import MAX_PAYLOAD_BYTES, ChannelStats, Event, Status, Telemetry, agent_topic
from heatwatch.gateway.customers.models import Customer, Site
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.ingest.models import ProcessedEvent, SeqStream, SequenceGap, StreamPosition
from heatwatch.gateway.ingest.service import Ingest

T0 = 1_736_488_800.0  # 2025-01-10 06:00 UTC


@pytest.fixture
def ingest(db) -> Ingest:
    with db.transaction() as s:
        site = Site(customer=Customer(name="A. Customer"), city="Kassel")
        s.add_all([Device(id="hp-001", site=site), Device(id="hp-002", site=site)])
    return Ingest(db)


def telemetry(seq: int, device: str = "hp-001", downsampled: bool = False, t0: float = T0) -> tuple[str, bytes]:
    msg = Telemetry(device=device, seq=seq, ts_start=t0 + 60 * seq, ts_end=t0 + 60 * seq + 60, n=6,
                    channels={"t_flow": ChannelStats(mean=35.0, min=34.5, max=35.5, n=6)}, downsampled=downsampled)
    return agent_topic(device, "telemetry"), msg.to_json()


def event(seq: int, event_id: str, device: str = "hp-001", kind: str = "fault") -> tuple[str, bytes]:
    msg = Event(device=device, seq=seq, event_id=event_id, ts=T0 + seq, kind=kind, fault="refrigerant_leak",
                severity="warning", confidence=0.8, explanation="superheat up, subcooling down")
    return agent_topic(device, "event"), msg.to_json()


def status(online: bool, ts: float, counters: dict | None = None, device: str = "hp-001") -> tuple[str, bytes]:
    return agent_topic(device, "status"), Status(device=device, online=online, ts=ts, counters=counters).to_json()


def _with(payload: bytes, **fields) -> bytes:
    """The payload with fields changed; NaN and infinity written as JSON's NaN/Infinity literals."""
    return json.dumps(json.loads(payload) | fields).encode()


def gaps(db, stream: str = "telemetry") -> list[tuple[int, int, bool]]:
    with db.transaction() as s:
        return [tuple(r) for r in s.execute(
            select(SequenceGap.first_seq, SequenceGap.last_seq, SequenceGap.downsampled)
            .where(SequenceGap.stream == SeqStream(stream))
            .order_by(SequenceGap.numbering, SequenceGap.first_seq))]


def position(db, stream: str = "telemetry", device: str = "hp-001") -> StreamPosition:
    with db.transaction() as s:
        return s.scalars(select(StreamPosition).where(StreamPosition.device_id == device,
                                                      StreamPosition.stream == SeqStream(stream))).one()


# ---- validation -----------------------------------------------------------------------------

@pytest.mark.parametrize("topic, payload, reason", [
    ("heatwatch/v1/hp-001/readings", b"{}", "bad_topic"),
    ("other/hp-001/telemetry", b"{}", "bad_topic"),
    ("heatwatch/v1/hp-001/telemetry", b" " * (MAX_PAYLOAD_BYTES + 1), "oversized"),
    ("heatwatch/v1/hp-001/telemetry", b"\xff\xfe{", "not_json"),
    ("heatwatch/v1/hp-001/telemetry", b"{\"seq\": 1", "not_json"),
    ("heatwatch/v1/hp-001/telemetry", b"[]", "bad_schema"),
    ("heatwatch/v1/hp-001/event", json.dumps({"device": "hp-001", "seq": -1}).encode(), "bad_schema"),
    ("heatwatch/v1/hp-002/telemetry", telemetry(0)[1], "device_mismatch"),
    ("heatwatch/v1/hp-001/telemetry", _with(telemetry(0)[1], surplus=1), "bad_schema"),
    ("heatwatch/v1/hp-001/telemetry", _with(telemetry(0)[1], ts_end=float("inf")), "bad_time"),
    ("heatwatch/v1/hp-001/telemetry", _with(telemetry(0)[1], ts_start=T0 + 600), "bad_time"),
    ("heatwatch/v1/hp-001/event", _with(event(0, "ev-000001")[1], ts=float("nan")), "bad_time"),
    ("heatwatch/v1/hp-001/status", Status(device="hp-001", online=True, ts=12.0).to_json(), "bad_time"),
    ("heatwatch/v1/hp-009/telemetry", telemetry(0, device="hp-009")[1], "unknown_device"),
    ("heatwatch/v1/hp-009/status", status(True, T0, device="hp-009")[1], "unknown_device"),
])
def test_bad_input_is_refused_with_a_reason_and_counted(db, ingest, topic, payload, reason):
    outcome = ingest.handle(topic, payload)
    assert not outcome.accepted and outcome.reason == reason, outcome
    assert outcome.detail
    assert ingest.counters.get(f"refused.{reason}") == 1
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(StreamPosition)) == 0
        assert s.scalar(select(func.count()).select_from(ProcessedEvent)) == 0


def test_telemetry_in_order_then_redelivered(db, ingest):
    outcomes = [ingest.handle(*telemetry(seq)) for seq in range(5)]
    assert [o.reason for o in outcomes] == ["first", "new", "new", "new", "new"]
    again = ingest.handle(*telemetry(3))
    assert not again.accepted and again.reason == "duplicate"
    pos = position(db)
    assert (pos.last_seq, pos.received, pos.duplicates) == (4, 5, 1)
    assert ingest.counters.snapshot() == {"accepted.telemetry": 5, "refused.duplicate": 1}
    with db.transaction() as s:
        assert s.get(Device, "hp-001").last_seen_at is not None


def test_a_gap_is_lost_data_until_late_messages_fill_it(db, ingest):
    for seq in (0, 1, 7):
        ingest.handle(*telemetry(seq))
    assert gaps(db) == [(2, 6, False)]
    assert ingest.counters.get("seqs_missing") == 5
    assert ingest.handle(*telemetry(4)).reason == "late"  # splits the gap
    assert gaps(db) == [(2, 3, False), (5, 6, False)]
    assert ingest.handle(*telemetry(2)).reason == "late"
    assert ingest.handle(*telemetry(6)).reason == "late"
    assert gaps(db) == [(3, 3, False), (5, 5, False)]
    assert ingest.handle(*telemetry(6)).reason == "duplicate"
    ingest.handle(*telemetry(3))
    ingest.handle(*telemetry(5))
    assert gaps(db) == []
    assert position(db).received == 8


def test_seqs_merged_into_a_downsampled_interval_are_not_lost(db, ingest):
    ingest.handle(*telemetry(0))
    ingest.handle(*telemetry(1, downsampled=True))  # the outbox merged 2..4 into 1
    ingest.handle(*telemetry(5))
    ingest.handle(*telemetry(8))  # 6, 7 lost
    assert gaps(db) == [(2, 4, True), (6, 7, False)]


def test_an_agent_numbering_afresh_is_not_taken_for_duplicates(db, ingest):
    for seq in range(10):
        ingest.handle(*telemetry(seq))
    ingest.handle(*telemetry(12))  # 10, 11 lost
    later = T0 + 86_400  # its outbox lost, the agent starts again at 0, a day later
    assert ingest.handle(*telemetry(0, t0=later)).reason == "renumbered"
    assert ingest.handle(*telemetry(1, t0=later)).reason == "new"
    assert ingest.handle(*telemetry(1, t0=later)).reason == "duplicate"
    assert ingest.handle(*telemetry(11, t0=later - 12 * 60 - 86_400)).reason == "old_numbering"  # no late fill
    assert ingest.handle(*telemetry(5)).reason == "old_numbering"  # an old one re-delivered
    assert ingest.handle(*telemetry(3, t0=later)).reason == "new"
    assert gaps(db) == [(10, 11, False), (2, 2, False)]  # the old numbering's gap stays as lost data
    pos = position(db)
    assert (pos.numbering, pos.first_seq, pos.last_seq, pos.duplicates) == (1, 0, 3, 3)
    assert ingest.counters.get("renumbered") == 1


def test_an_outbox_restarting_at_its_time_floor_is_a_new_numbering_not_lost_data(db, ingest):
    """A corrupt outbox starts again at ms since the epoch: a jump of ~1.7e12 seqs in a minute."""
    for seq in range(3):
        ingest.handle(*telemetry(seq))
    floor = 1_736_500_000_000
    assert ingest.handle(*telemetry(floor, t0=T0 + 180 - 60 * floor)).reason == "renumbered"
    assert ingest.handle(*telemetry(floor + 2, t0=T0 + 180 - 60 * floor)).reason == "new"
    assert gaps(db) == [(floor + 1, floor + 1, False)]
    assert ingest.counters.get("seqs_missing") == 1


def test_the_first_message_taken_need_not_be_the_first_sent(db, ingest):
    ingest.handle(*telemetry(5))
    assert ingest.handle(*telemetry(2)).reason == "late"
    assert gaps(db) == [(3, 4, False)]
    assert ingest.handle(*telemetry(4)).reason == "late"
    assert ingest.handle(*telemetry(3)).reason == "late"
    assert ingest.handle(*telemetry(3)).reason == "duplicate"
    assert gaps(db) == []
    assert (position(db).first_seq, position(db).last_seq) == (2, 5)


def test_events_are_kept_once_by_event_id(db, ingest):
    assert ingest.handle(*event(0, "ev-aaaaaaaa")).reason == "first"
    dup = ingest.handle(*event(0, "ev-aaaaaaaa"))
    assert not dup.accepted and dup.reason == "duplicate"
    assert ingest.handle(*event(1, "ev-bbbbbbbb")).accepted
    reused = ingest.handle(*event(1, "ev-cccccccc"))  # a new event is never dropped
    assert reused.accepted and reused.reason == "seq_reused"
    ingest.handle(*event(4, "ev-dddddddd"))
    assert gaps(db, "event") == [(2, 3, False)]  # two events lost on the way
    with db.transaction() as s:
        ids = sorted(s.scalars(select(ProcessedEvent.event_id)))
        kept = s.get(ProcessedEvent, "ev-aaaaaaaa")
        assert kept.payload["explanation"] == "superheat up, subcooling down" and kept.fault == "refrigerant_leak"
        assert kept.ts == datetime.fromtimestamp(T0, timezone.utc)
    assert ids == ["ev-aaaaaaaa", "ev-bbbbbbbb", "ev-cccccccc", "ev-dddddddd"]
    assert position(db, "event").duplicates == 1


def test_status_latest_wins_and_the_last_will_always_counts(db, ingest):
    assert ingest.handle(*status(True, T0 + 60, {"source": {"crc_errors": 3}})).accepted
    stale = ingest.handle(*status(True, T0 + 30, {"source": {"crc_errors": 1}}))
    assert not stale.accepted and stale.reason == "stale_status"
    will = ingest.handle(*status(False, T0))  # stamped when the agent connected: older, still news
    assert will.accepted
    with db.transaction() as s:
        device = s.get(Device, "hp-001")
        assert device.online is False
        assert device.last_status["counters"] == {"source": {"crc_errors": 3}}  # the last ones known
    retained = ingest.handle(*status(True, T0 + 120, device="hp-002"), retained=True)
    assert retained.accepted
    with db.transaction() as s:
        assert s.get(Device, "hp-002").online is True and s.get(Device, "hp-002").last_seen_at is None


# ---- workers racing -------------------------------------------------------------------------

def _run_workers(ingest: Ingest, messages: list[tuple[str, bytes]], workers: int = 4) -> list:
    """Hand ``messages`` to ``workers`` threads, as a shared subscription would; all outcomes."""
    queue = list(messages)
    lock = threading.Lock()
    outcomes: list = []
    errors: list[BaseException] = []

    def work() -> None:
        while True:
            with lock:
                if not queue:
                    return
                topic, payload = queue.pop()
            try:
                o = ingest.handle(topic, payload)
            except BaseException as exc:
                errors.append(exc)
                return
            with lock:
                outcomes.append(o)

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors[:3]
    return outcomes


def test_workers_get_one_event_at_once_and_keep_it_once(db, ingest):
    outcomes = _run_workers(ingest, [event(0, "ev-raced-0001")] * 8)
    assert sorted(o.reason for o in outcomes) == ["duplicate"] * 7 + ["first"]
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ProcessedEvent)) == 1


def test_workers_on_shuffled_redelivered_telemetry_accept_each_seq_once(db, ingest):
    rng = random.Random(7)
    seqs = list(range(60))
    copies = seqs + rng.sample(seqs, 20)  # a third re-delivered
    rng.shuffle(copies)
    messages = [telemetry(seq) for seq in copies]
    messages += [telemetry(seq, device="hp-002") for seq in range(30)]
    outcomes = _run_workers(ingest, messages)
    accepted = sorted(o.message.seq for o in outcomes if o.accepted and o.device == "hp-001")
    assert accepted == seqs  # every seq once, whatever order the workers took them in
    assert sum(o.reason == "duplicate" for o in outcomes) == 20
    assert gaps(db) == []  # every gap opened by an early arrival was filled by its late ones
    pos = position(db)
    assert (pos.last_seq, pos.received, pos.duplicates) == (59, 60, 20)
    assert position(db, device="hp-002").received == 30
