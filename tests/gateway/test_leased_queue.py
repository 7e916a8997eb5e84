"""The queue rule the gateway's three senders share (leased_queue.py), on a table of its own.

The webhook, notification and command tests drive the rule through each
sender; these pin it down alone, on SQLite and a real PostgreSQL: which rows
a claim takes, that a lease hides them from every other claim until it ends,
that PostgreSQL skips (does not wait for) rows another worker holds, what a
finished attempt writes, and that the worker thread outlives failing rounds.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table, insert, select, update

from heatwatch.gateway.db import Database, UtcDateTime
from heatwatch.gateway.leased_queue import LeasedWorker, RetryPolicy, due, settle
from tests.support.mqtt import wait_for

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)
POLICY = RetryPolicy(max_attempts=3, first_retry_seconds=10.0, max_retry_seconds=25.0, timeout_seconds=5.0)

meta = MetaData()
parents = Table("parents", meta, Column("id", Integer, primary_key=True))
queue = Table("queue", meta, Column("id", Integer, primary_key=True),
              Column("next_attempt_at", UtcDateTime(), nullable=False),
              Column("parent_id", Integer, ForeignKey("parents.id"), nullable=True))


@pytest.fixture
def qdb(empty_db_url):
    database = Database.open(empty_db_url, busy_timeout=5.0)
    meta.create_all(database.engine)
    yield database
    database.close()


def _fill(db: Database, due_in_s: dict[int, float]) -> None:
    with db.transaction() as s:
        s.execute(insert(queue), [{"id": i, "next_attempt_at": T0 + timedelta(seconds=d)}
                                  for i, d in due_in_s.items()])


def _claim(db: Database, now: datetime, batch: int) -> list[int]:
    """What a sender's claim does: take the due rows, lease them, in one transaction."""
    with db.transaction() as s:
        ids = list(s.scalars(due(select(queue.c.id), queue.c.next_attempt_at, queue.c.id, now, batch)))
        if ids:
            s.execute(update(queue).where(queue.c.id.in_(ids)).values(next_attempt_at=POLICY.lease_until(now)))
    return ids


def test_a_claim_takes_the_oldest_due_rows_and_its_lease_hides_them_until_it_ends(qdb):
    _fill(qdb, {1: -5, 2: -60, 3: 0, 4: -60, 5: 1})  # 5 is not due yet; 2 and 4 tie: by id
    assert _claim(qdb, T0, batch=3) == [2, 4, 1]
    assert _claim(qdb, T0, batch=3) == [3]  # the leased ones are nobody's now
    assert _claim(qdb, T0 + timedelta(seconds=POLICY.lease_seconds - 1), batch=10) == [5]
    # the leases ran out (a worker died mid-send): the rows are due again (leased alike: by id); 5's runs on
    assert _claim(qdb, T0 + timedelta(seconds=POLICY.lease_seconds), batch=10) == [1, 2, 3, 4]


def test_two_workers_claiming_at_once_never_take_the_same_rows(qdb, backend):
    """The first worker claims and leases two rows and keeps its transaction open. PostgreSQL
    hands the second worker the next two at once (SKIP LOCKED: it does not wait); SQLite has one
    writer at a time (BEGIN IMMEDIATE), so the second claim waits for the first to commit and then
    sees its lease. Either way no row is claimed twice."""
    _fill(qdb, {i: -i for i in range(1, 7)})
    taken: dict[str, list[int]] = {}
    holding, release = threading.Event(), threading.Event()
    hold_s = 1.0 if backend == "sqlite" else 10.0

    def first() -> None:
        with qdb.transaction() as s:  # claims, leases and keeps its transaction open
            ids = list(s.scalars(due(select(queue.c.id), queue.c.next_attempt_at, queue.c.id, T0, 2)))
            s.execute(update(queue).where(queue.c.id.in_(ids)).values(next_attempt_at=POLICY.lease_until(T0)))
            taken["first"] = ids
            holding.set()
            release.wait(hold_s)

    t = threading.Thread(target=first)
    t.start()
    try:
        assert holding.wait(10)
        started = time.monotonic()
        taken["second"] = _claim(qdb, T0, batch=2)
        waited = time.monotonic() - started
    finally:
        release.set()
        t.join(10)
    assert taken == {"first": [6, 5], "second": [4, 3]}
    if backend == "sqlite":
        assert waited >= 0.5  # it waited for the first writer's commit
    else:
        assert waited < 2.0  # it did not wait for the first transaction


def test_an_attempt_settles_as_done_retried_after_the_backoff_or_given_up():
    kw = dict(done={"state": "sent"}, done_counter="sent", given_up={"state": "failed"})
    ok = settle(POLICY, 1, True, "", T0, **kw)
    assert ok.values == {"attempts": 1, "last_error": "", "state": "sent"} and ok.counters == ("sent",)
    first = settle(POLICY, 1, False, "HTTP 500", T0, **kw)
    assert first.values == {"attempts": 1, "last_error": "HTTP 500", "next_attempt_at": T0 + timedelta(seconds=10)}
    assert first.counters == ("attempts_failed",) and not first.given_up
    second = settle(POLICY, 2, False, "HTTP 500", T0, **kw)
    assert second.values["next_attempt_at"] == T0 + timedelta(seconds=20)
    last = settle(POLICY, 3, False, "timeout", T0, **kw)  # max_attempts: no third wait (it would be 25 s)
    assert last.given_up and last.values == {"attempts": 3, "last_error": "timeout", "state": "failed"}
    assert last.counters == ("attempts_failed", "given_up")


def test_backoff_is_capped_and_a_lease_outlasts_two_attempts():
    assert [POLICY.delay_after(n) for n in (1, 2, 3, 4, 10_000)] == [10, 20, 25, 25, 25]
    assert POLICY.lease_seconds > 2 * POLICY.timeout_seconds


class Scripted(LeasedWorker):
    """Rounds that return what ``script`` says (an exception: the database failing), then 0."""

    label = "scripted"

    def __init__(self, db: Database, script: list, **kw) -> None:
        super().__init__(db, **kw)
        self.script = list(script)
        self.rounds = 0

    @property
    def stop_seconds(self) -> float:
        return 5.0

    def run_once(self, now=None) -> int:
        self.rounds += 1
        step = self.script.pop(0) if self.script else 0
        if isinstance(step, Exception):
            raise step
        return step


def test_the_worker_outlives_failing_rounds_and_goes_on_at_once_after_a_full_batch(qdb):
    worker = Scripted(qdb, [RuntimeError("database away"), RuntimeError("database away"), 4, 4, 4, 1],
                      poll_seconds=0.02, batch=4).start()
    try:
        wait_for(lambda: worker.rounds >= 7, 10, "the scripted rounds")
        assert worker.counters.get("worker_errors") == 2 and worker.alive
    finally:
        worker.stop()
    assert not worker.alive
    # a full batch does not wait for the poll: three full rounds and the next within far less than a poll
    slow = Scripted(qdb, [4, 4, 4, 0], poll_seconds=30.0, batch=4).start()
    try:
        wait_for(lambda: slow.rounds >= 4, 5, "four rounds without a poll between them")
        time.sleep(0.2)
        assert slow.rounds == 4  # then it waits its poll ...
        slow.wake()
        wait_for(lambda: slow.rounds == 5, 5, "a round on wake()")  # ... or a wake()
    finally:
        started = time.monotonic()
        slow.stop()
        assert time.monotonic() - started < 2.0 and not slow.alive


def test_a_record_refused_by_a_foreign_key_counts_nothing(qdb):
    worker = Scripted(qdb, [], poll_seconds=1.0, batch=1)

    def write(parent: int):
        def go() -> None:
            with qdb.transaction() as s:
                s.execute(insert(queue).values(id=parent, next_attempt_at=T0, parent_id=parent))
        return go

    with qdb.transaction() as s:
        s.execute(insert(parents).values(id=1))
    assert worker.record_then_count("row 1", ("sent",), write(1))
    assert not worker.record_then_count("row 2", ("sent",), write(2))  # its parent is gone: deleted mid-send
    assert worker.counters.snapshot() == {"sent": 1}
