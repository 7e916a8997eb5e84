"""The webhook delivery worker: sends what is due, retries with backoff, logs every attempt.

Each gateway process runs one worker thread; several processes may share one
database. A worker *claims* a batch of due deliveries in a short transaction
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on SQLite) by
moving their next attempt a lease into the future, sends them outside any
transaction, then records each attempt. So two workers never send one
delivery at once, and a worker killed mid-send leaves its deliveries to be
tried again when the lease ends: delivery is at least once, and the
receiver deduplicates by ``X-Heatwatch-Delivery``.

A 2xx answer delivers; anything else (another status, a refused connection,
a timeout, a redirect, which is not followed) is a failed attempt, retried
after ``first_retry_seconds`` doubling up to ``max_retry_seconds``, and
given up (``failed``) after ``max_attempts``. The standard library sends
(urllib): the gateway needs no HTTP client package for this.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from heatwatch.gateway.db import Database, utcnow
from heatwatch.gateway.ingest.counters import IngestCounters
from heatwatch.gateway.settings import WebhookSettings
from heatwatch.gateway.webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookSubscription
from heatwatch.gateway.webhooks.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign

log = logging.getLogger(__name__)
USER_AGENT = "heatwatch-gateway-webhooks/1"
EXCERPT = 500  # characters of an answer (or an error) kept with the attempt


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 12
    first_retry_seconds: float = 10.0
    max_retry_seconds: float = 3600.0
    timeout_seconds: float = 10.0

    @classmethod
    def from_settings(cls, s: WebhookSettings) -> RetryPolicy:
        return cls(s.max_attempts, s.first_retry_seconds, s.max_retry_seconds, s.timeout_seconds)

    def delay_after(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1, 2, ...)."""
        return min(self.first_retry_seconds * 2 ** min(attempt - 1, 60), self.max_retry_seconds)

    @property
    def lease_seconds(self) -> float:
        """How long a claimed delivery is kept from other workers: longer than one attempt takes."""
        return 2 * self.timeout_seconds + 30.0


@dataclass(frozen=True)
class Claimed:
    id: str
    url: str
    secret: str
    event: str
    body: bytes
    attempt: int  # the number of the attempt about to be made


@dataclass(frozen=True)
class Answer:
    status_code: int | None
    error: str
    excerpt: str
    duration_ms: float

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a new address: the signed body goes only where it was told."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirect)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    started = time.perf_counter()
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    status: int | None = None
    error = excerpt = ""
    try:
        with _opener.open(request, timeout=timeout) as response:
            status = response.status
            excerpt = response.read(EXCERPT).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        status = exc.code
        excerpt = exc.read(EXCERPT).decode("utf-8", "replace") if exc.fp else ""
        error = f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        error = f"{type(reason).__name__}: {reason}"
    return Answer(status, error[:EXCERPT], excerpt[:EXCERPT], (time.perf_counter() - started) * 1000)


class DeliveryWorker:
    def __init__(self, db: Database, policy: RetryPolicy | None = None, *, poll_seconds: float = 1.0,
                 batch: int = 20, counters: IngestCounters | None = None) -> None:
        self.db = db
        self.policy = policy or RetryPolicy()
        self.poll_seconds = poll_seconds
        self.batch = batch
        self.counters = counters or IngestCounters()  # delivered, attempts_failed, given_up, worker_errors
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- lifecycle ------------------------------------------------------------------------
    def start(self) -> DeliveryWorker:
        self._thread = threading.Thread(target=self._loop, name="webhook-delivery", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Finish the attempt in flight (at most one timeout) and stop."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout if timeout is not None else self.policy.timeout_seconds + 5)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        """Look for due deliveries now instead of at the next poll."""
        self._wake.set()

    def _loop(self) -> None:
        failures = 0
        while not self._stop.is_set():
            try:
                sent = self.run_once()
                failures = 0
            except Exception:  # noqa: BLE001 - the worker outlives a failing database
                failures += 1
                self.counters.add("worker_errors")
                if failures == 1 or failures % 60 == 0:
                    log.exception("webhook delivery: database failing (%d times in a row); retrying", failures)
                sent = 0
            if sent < self.batch:  # a full batch: more may be due, go on at once
                self._wake.wait(self.poll_seconds * min(2 ** failures, 30))
                self._wake.clear()

    # ---- one round ------------------------------------------------------------------------
    def run_once(self, now: datetime | None = None) -> int:
        """Claim what is due, send it, record it; returns how many were attempted."""
        claimed = self._claim(now or utcnow())
        for delivery in claimed:
            if self._stop.is_set():
                break  # its lease runs out and it is sent later, by this worker or another
            self._record(delivery, self._send(delivery))
        return len(claimed)

    def _claim(self, now: datetime) -> list[Claimed]:
        d, s = WebhookDelivery, WebhookSubscription
        with self.db.transaction() as session:
            rows = session.execute(
                select(d.id, s.url, s.secret, d.event, d.body, d.attempts)
                .join(s, d.subscription_id == s.id)
                .where(d.state == DeliveryState.PENDING, d.next_attempt_at <= now, s.active.is_(True))
                .order_by(d.next_attempt_at, d.id).limit(self.batch)
                .with_for_update(of=d, skip_locked=True)).all()
            if rows:
                session.execute(update(d).where(d.id.in_([r.id for r in rows]))
                                .values(next_attempt_at=now + timedelta(seconds=self.policy.lease_seconds)))
        return [Claimed(r.id, r.url, r.secret, r.event, r.body.encode(), r.attempts + 1) for r in rows]

    def _send(self, delivery: Claimed) -> Answer:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: delivery.id,
            SIGNATURE_HEADER: sign(delivery.secret, delivery.body),
        }
        return post(delivery.url, delivery.body, headers, self.policy.timeout_seconds)

    def _record(self, delivery: Claimed, answer: Answer) -> None:
        now = utcnow()
        values: dict = {"attempts": delivery.attempt, "last_error": answer.error}
        if answer.delivered:
            values |= {"state": DeliveryState.DELIVERED, "delivered_at": now, "last_error": ""}
            outcome = ["delivered"]
        elif delivery.attempt >= self.policy.max_attempts:
            values |= {"state": DeliveryState.FAILED}
            outcome = ["attempts_failed", "given_up"]
            log.warning("webhook %s to %s given up after %d attempts: %s", delivery.id, delivery.url,
                        delivery.attempt, answer.error)
        else:
            values |= {"next_attempt_at": now + timedelta(seconds=self.policy.delay_after(delivery.attempt))}
            outcome = ["attempts_failed"]
        try:
            self._write(delivery, answer, values, now)
        except IntegrityError:  # the subscription (and so the delivery) was deleted while it was sent
            log.info("webhook %s: deleted while it was being sent; attempt not recorded", delivery.id)
            return
        for key in outcome:  # counted once it is in the database, so metrics never run ahead of it
            self.counters.add(key)

    def _write(self, delivery: Claimed, answer: Answer, values: dict, now: datetime) -> None:
        with self.db.transaction() as session:
            session.add(WebhookAttempt(delivery_id=delivery.id, number=delivery.attempt,
                                       started_at=now - timedelta(milliseconds=answer.duration_ms),
                                       duration_ms=answer.duration_ms, status_code=answer.status_code,
                                       error=answer.error, response_excerpt=answer.excerpt))
            session.execute(update(WebhookDelivery).where(WebhookDelivery.id == delivery.id).values(**values))


def queue_by_state(db: Database) -> dict[str, float]:
    """Deliveries in the database by state (a gauge: a growing ``pending`` is a receiver in trouble)."""
    with db.transaction() as session:
        counts = {state: n for state, n in session.execute(
            select(WebhookDelivery.state, func.count()).group_by(WebhookDelivery.state))}
    return {state.value: float(counts.get(state, 0)) for state in DeliveryState}
