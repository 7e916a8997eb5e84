"""A queue in a database table that several gateway workers drain: claim under a lease, send, retry.

Three senders follow this one rule: webhooks (webhooks/delivery.py), customer
notifications (notifications/delivery.py) and device commands
(commands/sender.py). Each keeps its queue in a table whose rows are due at
``next_attempt_at``; each gateway process runs one worker thread, and several
processes may share one database. A round:

1. *claim* (``due``): the due rows, oldest first, at most a batch, locked in a
   short transaction (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock
   on SQLite) and *leased*: their next attempt moved ``lease_seconds`` into
   the future, longer than an attempt can take. So two workers never send one
   row at once, and a worker killed mid-send leaves its rows to be sent again
   when the lease ends: delivery is at least once;
2. *send*, outside any transaction;
3. *record* (``settle`` and ``LeasedWorker.record_then_count``): a success ends the row; a
   failure is tried again after ``first_retry_seconds``, doubling up to
   ``max_retry_seconds``, and given up after ``max_attempts``. Counters move
   only once the record is committed, so metrics never run ahead of the
   database; a row deleted while it was being sent is logged, not counted.

``LeasedWorker`` runs the rounds on a daemon thread. A full batch goes on at
once (more may be due); otherwise it waits a poll or a ``wake()``. A round
that fails (the database away) is counted in ``worker_errors`` and logged, and
the wait doubles, up to 30 polls: the worker outlives a failing database.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Self

from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError

from heatwatch.gateway.db import Database
from heatwatch.gateway.ingest.counters import IngestCounters

MAX_IDLE_POLLS = 30  # the longest wait after failed rounds, in polls
LEASE_MARGIN_S = 30.0  # added to two attempts' time: a lease outlasts any attempt in flight


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long a queue's rows are tried; each queue subclasses it with its defaults."""

    max_attempts: int
    first_retry_seconds: float
    max_retry_seconds: float
    timeout_seconds: float  # one attempt

    @classmethod
    def from_settings(cls, s: Any, timeout_seconds: float | None = None) -> Self:
        """From a gateway.toml section with ``max_attempts``, ``first_retry_seconds``,
        ``max_retry_seconds`` and ``timeout_seconds`` (or the one given)."""
        timeout = s.timeout_seconds if timeout_seconds is None else timeout_seconds
        return cls(s.max_attempts, s.first_retry_seconds, s.max_retry_seconds, timeout)

    def delay_after(self, attempt: int) -> float:
        """Seconds to wait after attempt number ``attempt`` (1, 2, ...): doubling, capped."""
        return min(self.first_retry_seconds * 2 ** min(attempt - 1, 60), self.max_retry_seconds)

    @property
    def lease_seconds(self) -> float:
        """How long a claimed row is kept from other workers: longer than one attempt takes."""
        return 2 * self.timeout_seconds + LEASE_MARGIN_S

    def lease_until(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.lease_seconds)

    def retry_at(self, attempt: int, now: datetime) -> datetime:
        return now + timedelta(seconds=self.delay_after(attempt))


def due(query: Select, next_attempt_at: Any, key: Any, now: datetime, batch: int, *, of: Any = None) -> Select:
    """``query`` narrowed to the rows due at ``now``, oldest first, at most ``batch``, locked for this
    transaction; rows another worker holds locked are skipped, not waited for. ``of``: the queue's
    table when ``query`` joins others (only its rows are locked)."""
    return (query.where(next_attempt_at <= now).order_by(next_attempt_at, key).limit(batch)
            .with_for_update(of=of, skip_locked=True))


@dataclass(frozen=True)
class Settled:
    """What a finished attempt writes on its row and which counters it moves."""

    values: dict[str, Any]
    counters: tuple[str, ...]
    given_up: bool


def settle(policy: RetryPolicy, attempt: int, ok: bool, error: str, now: datetime, *,
           done: dict[str, Any], done_counter: str, given_up: dict[str, Any]) -> Settled:
    """The row's new values after attempt ``attempt``: ``done`` on success, ``given_up`` after the
    last attempt, else due again after the backoff. ``attempts`` and ``last_error`` always."""
    values: dict[str, Any] = {"attempts": attempt, "last_error": error}
    if ok:
        return Settled(values | done, (done_counter,), False)
    if attempt >= policy.max_attempts:
        return Settled(values | given_up, ("attempts_failed", "given_up"), True)
    return Settled(values | {"next_attempt_at": policy.retry_at(attempt, now)}, ("attempts_failed",), False)


class LeasedWorker:
    """Runs ``run_once`` rounds on a thread until ``stop()``; subclasses say what a round is."""

    thread_name = "leased-worker"
    label = "leased worker"  # in the log: "<label>: round failed ..."

    def __init__(self, db: Database, *, poll_seconds: float, batch: int,
                 counters: IngestCounters | None = None) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.counters = counters or IngestCounters()
        self.log = logging.getLogger(type(self).__module__)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- what a subclass gives ----------------------------------------------------------------
    def run_once(self, now: datetime | None = None) -> int:
        """One round; returns how many rows it took (a full batch: go on at once)."""
        raise NotImplementedError

    @property
    def stop_seconds(self) -> float:
        """How long ``stop()`` waits for the attempt in flight."""
        raise NotImplementedError

    # ---- lifecycle ----------------------------------------------------------------------------
    def start(self) -> Self:
        self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Finish the attempt in flight and stop; what was claimed and not sent waits for its lease."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout if timeout is not None else self.stop_seconds)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        """True once ``stop()`` was called: a round leaves the rest of its batch to their leases."""
        return self._stop.is_set()

    def wake(self) -> None:
        """Look for due rows now instead of at the next poll."""
        self._wake.set()

    def _loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                taken = self.run_once()
                failures = 0
            except Exception:  # noqa: BLE001 - the worker outlives a failing database
                failures += 1
                self.counters.add("worker_errors")
                if failures == 1 or failures % 60 == 0:
                    self.log.exception("%s: round failed (%d times in a row); retrying", self.label, failures)
                taken = 0
            if taken < self.batch:  # a full batch: more may be due, go on at once
                self._wake.wait(self.poll_seconds * min(2 ** failures, MAX_IDLE_POLLS))
                self._wake.clear()

    # ---- recording ----------------------------------------------------------------------------
    def record_then_count(self, what: str, counters: tuple[str, ...] | list[str], write: Callable[[], None]) -> bool:
        """Run ``write`` (its own transaction), then move ``counters``; False when the row was deleted
        while it was being sent (a foreign key refuses its attempt): logged, nothing counted."""
        try:
            write()
        except IntegrityError:
            self.log.info("%s: deleted while it was being sent; attempt not recorded", what)
            return False
        for key in counters:  # counted once it is in the database, so metrics never run ahead of it
            self.counters.add(key)
        return True
