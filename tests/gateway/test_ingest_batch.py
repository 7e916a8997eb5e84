"""Ingest in batches on SQLite and PostgreSQL: a batch keeps what the same messages one by one
would, bad messages never hold the rest, a failing database keeps none of it, and workers with
overlapping batches do not deadlock."""

from __future__ import annotations

import random
import threading
import time

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from heatwatch.contract import agent_topic
from heatwatch.gateway.ingest.models import ProcessedEvent, SequenceGap, StreamPosition
from heatwatch.gateway.ingest.service import Incoming
from heatwatch.gateway.telemetry.models import TelemetryInterval
from tests.gateway.test_ingest import event, gaps, ingest, position, status, telemetry  # noqa: F401  (fixture)

T0 = 1_736_488_800.0


def _in(messages) -> list[Incoming]:
    return [Incoming(topic, payload) for topic, payload in messages]


def _state(db) -> tuple:
    with db.transaction() as s:
        positions = s.execute(select(StreamPosition.device_id, StreamPosition.stream, StreamPosition.numbering,
                                     StreamPosition.first_seq, StreamPosition.last_seq, StreamPosition.received,
                                     StreamPosition.duplicates).order_by(StreamPosition.device_id,
                                                                         StreamPosition.stream)).all()
        holes = s.execute(select(SequenceGap.device_id, SequenceGap.stream, SequenceGap.numbering,
                                 SequenceGap.first_seq, SequenceGap.last_seq, SequenceGap.downsampled)
                          .order_by(SequenceGap.device_id, SequenceGap.stream, SequenceGap.numbering,
                                    SequenceGap.first_seq)).all()
        stored = s.scalar(select(func.count()).select_from(TelemetryInterval))
        events = sorted(s.scalars(select(ProcessedEvent.event_id)))
    return [tuple(p) for p in positions], [tuple(g) for g in holes], stored, events


def test_a_batch_keeps_what_one_by_one_keeps(db, db_url, ingest):
    """Shuffled, re-delivered, gapped and renumbered streams of two devices: cut into batches of
    random sizes, the reasons and the database end the same as message by message."""
    rng = random.Random(11)
    stream = [telemetry(seq) for seq in range(40) if seq not in (12, 13, 30)]
    stream += [telemetry(seq, downsampled=True) for seq in (41,)] + [telemetry(45)]
    stream += [telemetry(seq, device="hp-002") for seq in range(25)]
    stream += [event(seq, f"ev-{seq:08d}") for seq in range(10) if seq != 4]
    stream += rng.sample(stream, 25)  # re-deliveries
    rng.shuffle(stream)
    stream += [telemetry(0, t0=T0 + 86_400), telemetry(2, t0=T0 + 86_400), telemetry(33)]  # a new numbering

    one_by_one = [ingest.handle(topic, payload).reason for topic, payload in stream]
    expected = _state(db)
    with db.transaction() as s:
        for table in ("incident_events", "tickets", "incidents", "sequence_gaps", "stream_positions",
                      "telemetry_intervals", "processed_events"):
            s.execute(text(f"DELETE FROM {table}"))
    batched: list[str] = []
    i = 0
    while i < len(stream):
        size = rng.choice([1, 2, 7, 30, 200])
        batched += [o.reason for o in ingest.handle_batch(_in(stream[i:i + size]))]
        i += size
    assert batched == one_by_one
    assert _state(db) == expected
    assert expected[1]  # there are gaps to compare (lost seqs 12, 13, 30; event 4)


def test_a_gap_opened_and_filled_inside_one_batch(db, ingest):
    outcomes = ingest.handle_batch(_in([telemetry(0), telemetry(5), telemetry(3), telemetry(3), telemetry(1)]))
    assert [o.reason for o in outcomes] == ["first", "new", "late", "duplicate", "late"]
    assert [o.gap for o in outcomes] == [None, (1, 4), None, None, None]
    assert gaps(db) == [(2, 2, False), (4, 4, False)]
    pos = position(db)
    assert (pos.first_seq, pos.last_seq, pos.received, pos.duplicates) == (0, 5, 4, 1)


def test_bad_messages_in_a_batch_are_refused_and_the_rest_kept(db, ingest):
    batch = [telemetry(0), (agent_topic("hp-001", "telemetry"), b"{not json"), telemetry(1),
             telemetry(0, device="hp-009"), event(0, "ev-aaaaaaaa"), event(0, "ev-aaaaaaaa"),
             (agent_topic("hp-001", "event"), b"[]"), status(True, T0), telemetry(2)]
    outcomes = ingest.handle_batch(_in(batch))
    assert [(o.accepted, o.reason) for o in outcomes] == [
        (True, "first"), (False, "not_json"), (True, "new"), (False, "unknown_device"), (True, "first"),
        (False, "duplicate"), (False, "bad_schema"), (True, "status"), (True, "new")]
    assert ingest.counters.snapshot() == {
        "accepted.telemetry": 3, "accepted.event": 1, "accepted.status": 1, "refused.not_json": 1,
        "refused.unknown_device": 1, "refused.duplicate": 1, "refused.bad_schema": 1}
    assert position(db).received == 3


def _poison(db, device: str) -> None:
    """The database refuses telemetry of ``device``: a constraint no check in ingest foresaw."""
    with db.transaction() as s:
        if db.engine.dialect.name == "sqlite":
            s.execute(text(f"CREATE TRIGGER poison BEFORE INSERT ON telemetry_intervals WHEN NEW.device_id = "
                           f"'{device}' BEGIN SELECT RAISE(ABORT, 'poisoned'); END"))
        else:
            s.execute(text("CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                           f"IF NEW.device_id = '{device}' THEN RAISE check_violation USING MESSAGE = 'poisoned'; "
                           "END IF; RETURN NEW; END $$"))
            s.execute(text("CREATE TRIGGER poison BEFORE INSERT ON telemetry_intervals FOR EACH ROW "
                           "EXECUTE FUNCTION poison()"))


def test_a_failing_database_keeps_nothing_of_the_batch(db, ingest):
    _poison(db, "hp-002")
    recent = time.time() - 3600  # inside the store's window: the intervals are inserted
    with pytest.raises(IntegrityError):
        ingest.handle_batch(_in([telemetry(0, t0=recent), event(0, "ev-aaaaaaaa"),
                                 telemetry(0, device="hp-002", t0=recent)]))
    state = _state(db)
    assert state == ([], [], 0, [])
    assert ingest.counters.snapshot() == {}  # nothing counted: the batch will come again


def test_workers_with_overlapping_batches_do_not_deadlock(db, ingest):
    """Two workers, each with a batch of both devices' messages in opposite order: the device rows
    are locked in id order, so one waits for the other instead of both for each other."""
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker(batches) -> None:
        try:
            start.wait(10)
            for b in batches:
                ingest.handle_batch(_in(b))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    forward = [[telemetry(k * 10 + i) for i in range(10)] + [telemetry(k * 10 + i, device="hp-002") for i in range(10)]
               for k in range(10)]
    backward = [[telemetry(k * 10 + i, device="hp-002") for i in range(10)][::-1] +
                [telemetry(k * 10 + i) for i in range(10)][::-1] for k in range(10)]
    threads = [threading.Thread(target=worker, args=(forward,)), threading.Thread(target=worker, args=(backward,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    for device in ("hp-001", "hp-002"):
        pos = position(db, device=device)
        assert (pos.first_seq, pos.last_seq, pos.received, pos.duplicates) == (0, 99, 100, 100)
    assert gaps(db) == []
