"""The webhook delivery worker: sends what is due, retries with backoff, logs every attempt.

Each gateway process runs one worker thread; several processes may share one
database. The worker follows the gateway's queue rule (leased_queue.py): it
*claims* a batch of due deliveries under a lease, sends them outside any
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
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from heatwatch.gateway import leased_queue
from heatwatch.gateway.db import Database, utcnow
from heatwatch.gateway.ingest.counters import IngestCounters
from heatwatch.gateway.leased_queue import LeasedWorker, due, settle
from heatwatch.gateway.webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookSubscription
from heatwatch.gateway.webhooks.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign

log = logging.getLogger(__name__)
USER_AGENT = "heatwatch-gateway-webhooks/1"
EXCERPT = 500  # characters of an answer (or an error) kept with the attempt


@dataclass(frozen=True)
class RetryPolicy(leased_queue.RetryPolicy):
    """The webhooks' defaults: ``[webhooks]`` in gateway.toml."""

    max_attempts: int = 12
    first_retry_seconds: float = 10.0
    max_retry_seconds: float = 3600.0
    timeout_seconds: float = 10.0


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


class DeliveryWorker(LeasedWorker):
    thread_name = "webhook-delivery"
    label = "webhook delivery"

    def __init__(self, db: Database, policy: RetryPolicy | None = None, *, poll_seconds: float = 1.0,
                 batch: int = 20, counters: IngestCounters | None = None) -> None:
        # counters: delivered, attempts_failed, given_up, worker_errors
        super().__init__(db, poll_seconds=poll_seconds, batch=batch, counters=counters)
        self.policy = policy or RetryPolicy()

    @property
    def stop_seconds(self) -> float:
        return self.policy.timeout_seconds + 5  # at most one timeout in flight

    # ---- one round ------------------------------------------------------------------------
    def run_once(self, now: datetime | None = None) -> int:
        """Claim what is due, send it, record it; returns how many were attempted."""
        claimed = self._claim(now or utcnow())
        for delivery in claimed:
            if self.stopping:
                break  # its lease runs out and it is sent later, by this worker or another
            self._record(delivery, self._send(delivery))
        return len(claimed)

    def _claim(self, now: datetime) -> list[Claimed]:
        d, s = WebhookDelivery, WebhookSubscription
        with self.db.transaction() as session:
            rows = session.execute(due(
                select(d.id, s.url, s.secret, d.event, d.body, d.attempts).join(s, d.subscription_id == s.id)
                .where(d.state == DeliveryState.PENDING, s.active.is_(True)),
                d.next_attempt_at, d.id, now, self.batch, of=d)).all()
            if rows:
                session.execute(update(d).where(d.id.in_([r.id for r in rows]))
                                .values(next_attempt_at=self.policy.lease_until(now)))
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
        settled = settle(self.policy, delivery.attempt, answer.delivered, answer.error, now,
                         done={"state": DeliveryState.DELIVERED, "delivered_at": now, "last_error": ""},
                         done_counter="delivered", given_up={"state": DeliveryState.FAILED})
        if settled.given_up:
            log.warning("webhook %s to %s given up after %d attempts: %s", delivery.id, delivery.url,
                        delivery.attempt, answer.error)
        self.record_then_count(f"webhook {delivery.id}", settled.counters,
                    lambda: self._write(delivery, answer, settled.values, now))

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
