"""The notification worker: holds what falls in quiet hours or over the cap, sends the rest
through Apprise, retries with backoff, logs every attempt.

Each gateway process runs one worker thread; several may share one database.
A round:

1. *release*: held messages whose hold is over go out again; two or more
   for one customer and channel become ONE digest message (the held rows
   point to it and are ``digested``), in one transaction under row locks, so
   two workers never make two digests of the same messages;
2. *claim*: due messages are locked (``FOR UPDATE SKIP LOCKED`` on
   PostgreSQL, the write lock on SQLite) and each is either held (quiet
   hours, daily cap; quiet.py) or leased: its next attempt moved a lease into
   the future, longer than an attempt can take (the gateway's queue rule,
   leased_queue.py);
3. *send*: outside any transaction, rendered now (compose.py) and sent
   (channels.py); then the attempt is recorded and the message marked sent,
   retried after ``first_retry_seconds`` doubling to ``max_retry_seconds``,
   or given up (``failed``, logged, counted) after ``max_attempts``.

A worker that dies between claim and record leaves its lease to run out; the
message is then sent by whichever worker comes next: a restart loses
nothing. What a lease cannot cover is a crash after the channel accepted a
message and before the record commits (milliseconds): that message is sent
again (email keeps its Message-ID).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update

from heatwatch.gateway.customers.models import Customer
from heatwatch.gateway.db import Database, utcnow
from heatwatch.gateway.incidents.models import Incident
from heatwatch.gateway.ingest.counters import IngestCounters
from heatwatch.gateway.leased_queue import LeasedWorker, RetryPolicy, due, settle
from heatwatch.gateway.notifications import channels, outbox, quiet, steps
from heatwatch.gateway.notifications.compose import compose, told_faults
from heatwatch.gateway.notifications.models import Notification, NotificationAttempt, NotificationState
from heatwatch.gateway.settings import NotificationSettings
from heatwatch.gateway.tickets.models import Ticket

log = logging.getLogger(__name__)
COUNTER_NAMES = ("sent", "attempts_failed", "given_up", "held_quiet_hours", "held_daily_cap", "digests",
                 "critical_overrides", "unroutable", "worker_errors")


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    channel: str
    address: str
    attempt: int  # the number of the attempt about to be made


class NotificationWorker(LeasedWorker):
    thread_name = "notification-delivery"
    label = "notifications"

    def __init__(self, db: Database, settings: NotificationSettings, *, poll_seconds: float = 5.0,
                 batch: int = 20, counters: IngestCounters | None = None,
                 clock: Callable[[], datetime] = utcnow) -> None:
        super().__init__(db, poll_seconds=poll_seconds, batch=batch, counters=counters)
        self.settings = settings
        self.clock = clock

    @property
    def policy(self) -> RetryPolicy:
        return RetryPolicy.from_settings(self.settings)

    @property
    def stop_seconds(self) -> float:
        return 2 * self.settings.timeout_seconds + 10  # a render and a send in flight

    # ---- one round ------------------------------------------------------------------------
    def run_once(self, now: datetime | None = None) -> int:
        """Release, claim, send, record; returns how many messages were attempted."""
        now = now or self.clock()
        self.release(now)
        claimed = self.claim(now)
        for message in claimed:
            if self.stopping:
                break  # its lease runs out and it is sent later
            outcome, subject, text, told = self.send(message, now)
            self.record(message, outcome, subject, text, now, told)
        return len(claimed)

    def release(self, now: datetime) -> int:
        """Held messages whose hold is over: one alone goes as it is, several become one digest."""
        n = Notification
        made = 0
        with self.db.transaction() as s:
            rows = s.scalars(select(n).where(n.state == NotificationState.HELD, n.next_attempt_at <= now)
                             .order_by(n.id).with_for_update(skip_locked=True)).all()
            groups: dict[tuple[int, str], list[Notification]] = defaultdict(list)
            for row in rows:
                groups[(row.customer_id, row.channel)].append(row)
            for (customer_id, channel), held in groups.items():
                if len(held) == 1:
                    held[0].state, held[0].next_attempt_at = NotificationState.PENDING, now
                    continue
                last = held[-1]
                digest = Notification(
                    idempotency_key=f"digest/n{held[0].id}/c{customer_id}/{channel}", step=steps.DIGEST,
                    ticket_id=last.ticket_id, customer_id=customer_id, channel=channel, address=last.address,
                    params={"reason": held[0].hold_reason, "items": [h.id for h in held]},
                    hold_reason=held[0].hold_reason, state=NotificationState.PENDING, next_attempt_at=now,
                    created_at=now)
                s.add(digest)
                s.flush()
                for h in held:
                    h.state, h.digest_id = NotificationState.DIGESTED, digest.id
                made += 1
        self.counters.add("digests", made)
        return made

    def claim(self, now: datetime) -> list[Claimed]:
        n, s_, policy = Notification, self.settings, self.policy
        cap_seen: Counter[tuple[int, str]] = Counter()
        claimed: list[Claimed] = []
        held: list[str] = []
        with self.db.transaction() as s:
            rows = s.execute(due(
                select(n, Customer, Ticket.priority, Incident.cold_ahead_c)
                .join(Customer, n.customer_id == Customer.id)
                .outerjoin(Ticket, n.ticket_id == Ticket.id).outerjoin(Incident, Ticket.incident_id == Incident.id)
                .where(n.state == NotificationState.PENDING), n.next_attempt_at, n.id, now, self.batch, of=n)).all()
            for row, customer, priority, cold in rows:
                if row.channel not in s_.channels:
                    row.state, row.last_error = NotificationState.FAILED, \
                        f"no Apprise URL for channel {row.channel!r} in [notifications] channels"
                    self.counters.add("unroutable")
                    log.warning("notification %s: %s", row.id, row.last_error)
                    continue
                if row.step != steps.DIGEST:
                    critical = (row.step in steps.URGENT_STEPS and priority == 1
                                and (cold is None or cold <= s_.cold_spell_c))
                    hold = None if critical else self._hold(s, row, customer, now, cap_seen)
                    if hold is not None:
                        row.state, row.next_attempt_at, row.hold_reason = NotificationState.HELD, *hold
                        held.append(hold[1])
                        continue
                    if critical and quiet.quiet_until(now, customer.time_zone, customer.quiet_hours_start,
                                                      customer.quiet_hours_end):
                        self.counters.add("critical_overrides")
                cap_seen[(row.customer_id, row.channel)] += 1
                row.next_attempt_at = policy.lease_until(now)
                claimed.append(Claimed(row.id, row.idempotency_key, row.channel, row.address, row.attempts + 1))
        for reason in held:
            self.counters.add(f"held_{reason}")
        return claimed

    def _hold(self, s, row: Notification, customer: Customer, now: datetime,
              cap_seen: Counter[tuple[int, str]]) -> tuple[datetime, str] | None:
        """(until, why) when the message must wait; None when it may go now."""
        until = quiet.quiet_until(now, customer.time_zone, customer.quiet_hours_start, customer.quiet_hours_end)
        if until is not None:
            return until, quiet.QUIET_HOURS
        n = Notification
        sent_today = s.scalar(select(func.count()).select_from(n).where(
            n.customer_id == row.customer_id, n.channel == row.channel, n.state == NotificationState.SENT,
            n.sent_at >= quiet.local_day_start(now, customer.time_zone)))
        if sent_today + cap_seen[(row.customer_id, row.channel)] >= self.settings.daily_cap:
            return (quiet.next_digest(now, customer.time_zone, customer.quiet_hours_end,
                                      quiet.parse_hhmm(self.settings.digest_at)), quiet.DAILY_CAP)
        return None

    def _follow_up(self, s, message: Claimed, told: dict[int, str], tickets: list[Ticket], now: datetime) -> None:
        """Keep what each message told; a diagnosis revised between its rendering and now is told
        after it (revision.py), on this channel."""
        for notification_id, fault in told.items():
            s.execute(update(Notification).where(Notification.id == notification_id).values(told_fault=fault[:64]))
        for ticket in tickets:
            customer = outbox.customer_of(ticket)
            if customer is not None:
                outbox.queue_diagnosis_update(s, ticket, customer, now, channel=message.channel)

    def send(self, message: Claimed, now: datetime) -> tuple[channels.Outcome, str, str, dict[int, str]]:
        """Render and send one claimed message: (outcome, subject, text, the fault each message that
        names one named, by id: what the customer is told)."""
        try:
            with self.db.transaction() as s:
                row = s.get(Notification, message.id)
                rendered, told = compose(s, row, self.settings, now), told_faults(s, row)
        except Exception as exc:  # noqa: BLE001 - a template or data problem fails this attempt, not the worker
            log.exception("notification %s: cannot render", message.id)
            return channels.Outcome(channels.ERROR, f"cannot render: {type(exc).__name__}: {exc}", 0.0), "", "", {}
        title, text = rendered.for_channel(message.channel)
        url = channels.apprise_url(self.settings.channels[message.channel], message.address, message.key)
        return channels.send(url, title, text, self.settings.timeout_seconds), rendered.subject, text, told

    def record(self, message: Claimed, outcome: channels.Outcome, subject: str, text: str, now: datetime,
               told: dict[int, str] | None = None) -> None:
        settled = settle(self.policy, message.attempt, outcome.delivered, outcome.error, now,
                         done={"state": NotificationState.SENT, "sent_at": now, "subject": subject[:300],
                               "body": text[:8000]},
                         done_counter="sent", given_up={"state": NotificationState.FAILED})
        if settled.given_up:
            log.warning("notification %s (%s) given up after %d attempts: %s", message.id, message.channel,
                        message.attempt, outcome.error)

        def write() -> None:
            with self.db.transaction() as s:
                tickets = _lock_tickets(s, told) if outcome.delivered and told else []
                s.add(NotificationAttempt(notification_id=message.id, number=message.attempt,
                                          started_at=now, duration_ms=outcome.duration_ms,
                                          outcome=outcome.outcome, error=outcome.error))
                s.execute(update(Notification).where(Notification.id == message.id).values(**settled.values))
                if tickets:
                    self._follow_up(s, message, told or {}, tickets, now)

        # a foreign key refuses the attempt when its ticket or customer was deleted while it was sent
        self.record_then_count(f"notification {message.id}", settled.counters, write)


def _lock_tickets(s, told: dict[int, str]) -> list[Ticket]:
    """The tickets of the messages that named a fault, locked (in id order, before any message row:
    the order a revision takes them in) so a revision committing meanwhile is seen after it."""
    ids = s.scalars(select(Notification.ticket_id).where(Notification.id.in_(told))).all()
    return list(s.scalars(select(Ticket).where(Ticket.id.in_({i for i in ids if i is not None}))
                          .order_by(Ticket.id).with_for_update().execution_options(populate_existing=True)))


def queue_by_state(db: Database) -> dict[str, float]:
    """Messages in the outbox by state (a gauge: growing ``pending`` or ``failed`` needs a look)."""
    with db.transaction() as s:
        counts = {state: n for state, n in s.execute(
            select(Notification.state, func.count()).group_by(Notification.state))}
    return {state.value: float(counts.get(state, 0)) for state in NotificationState}
