"""Queue a ticket's steps for its customer, in the ticket change's own transaction.

``queue_ticket_change(session, ticket, change)`` is the one call the ticket
service makes for every history entry it writes; ``queue_step`` queues a step
another part decides (visit windows proposed on the status page). Both add
one outbox row per channel the customer chose (``preferred_channels``, each
with an address in ``contact_addresses``), ``INSERT ... ON CONFLICT DO
NOTHING`` on the idempotency key, and never commit: the caller's transaction
does. A customer without a usable channel is skipped, logged and counted,
never an error for the dispatcher making the change.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from heatwatch.gateway.customers.models import Customer
from heatwatch.gateway.db import utcnow
from heatwatch.gateway.ingest.counters import IngestCounters
from heatwatch.gateway.ingest.sequence import upsert_ignore
from heatwatch.gateway.notifications import revision, steps
from heatwatch.gateway.notifications.models import OPEN_STATES, Notification, NotificationState
from heatwatch.gateway.tickets.models import Ticket, TicketChange

log = logging.getLogger(__name__)
# queued, duplicate (already queued), no_customer, no_channel (a preferred channel without an address);
# after a revised diagnosis, per channel: diagnosis_queue, _waiting, _same_words, _never_told, _no_incident.
# One set per process (the queueing runs in the API's and the ingest's sessions), on /metrics as
# heatwatch_notification_outbox_<name>_total (app.py)
COUNTERS = IngestCounters()
COUNTER_NAMES = ("queued", "duplicate", "no_customer", "no_channel", "diagnosis_queue", "diagnosis_waiting",
                 "diagnosis_same_words", "diagnosis_never_told", "diagnosis_no_incident")


def idempotency_key(step_key: str, customer_id: int, channel: str) -> str:
    return f"{step_key}/c{customer_id}/{channel}"


def customer_of(ticket: Ticket) -> Customer | None:
    device = ticket.device
    site = device.site if device is not None else None
    return site.customer if site is not None else None


def channels_of(customer: Customer) -> list[tuple[str, str]]:
    """(channel kind, address) for each channel the customer chose that has an address, in order."""
    found = []
    for kind in dict.fromkeys(customer.preferred_channels or []):
        address = (customer.contact_addresses or {}).get(kind, "")
        if isinstance(address, str) and address.strip():
            found.append((kind, address.strip()))
        else:
            COUNTERS.add("no_channel")
            log.warning("customer %s prefers %r but has no address for it; not sent there", customer.id, kind)
    return found


def queue_ticket_change(session: Session, ticket: Ticket, change: TicketChange) -> int:
    """Queue what ``change`` tells the ticket's customer; returns how many messages were new."""
    customer = customer_of(ticket)
    if customer is None:
        COUNTERS.add("no_customer")
        return 0
    now = change.at or utcnow()  # the change's own time: a test's fixed clock, the wall clock otherwise
    if change.action == "revised":
        return queue_diagnosis_update(session, ticket, customer, now)
    plan = steps.plan(ticket, change, customer.time_zone, now)
    if plan.cancel_open:
        _cancel(session, ticket.id, plan.cancel_open, keep={s.key for s in plan.steps})
    return sum(queue_step(session, ticket, step, customer, now) for step in plan.steps)


def queue_step(session: Session, ticket: Ticket, step: steps.Step, customer: Customer | None = None,
               now: datetime | None = None) -> int:
    customer = customer or customer_of(ticket)
    if customer is None:
        COUNTERS.add("no_customer")
        return 0
    channels = channels_of(customer)
    if not channels:
        COUNTERS.add("no_channel")
        log.warning("ticket %s: customer %s has no channel with an address; %s not sent", ticket.id, customer.id,
                    step.name)
        return 0
    now = now or utcnow()
    return sum(_queue_on(session, ticket, step, customer, kind, address, now) for kind, address in channels)


def queue_diagnosis_update(session: Session, ticket: Ticket, customer: Customer, now: datetime,
                           channel: str | None = None) -> int:
    """After a revised diagnosis (or a message recorded sent on ``channel``): a diagnosis_updated
    where what the customer was told reads differently from the diagnosis now (revision.py)."""
    queued = 0
    for kind, address in channels_of(customer):
        if channel is not None and kind != channel:
            continue
        due = revision.due(session, ticket, customer, kind)
        COUNTERS.add(f"diagnosis_{due.why}")
        if due.cancel:
            session.execute(update(Notification).where(Notification.id.in_(due.cancel)).values(
                state=NotificationState.CANCELLED, last_error="no longer true: the diagnosis is back to what was told"))
        if due.step is not None:
            queued += _queue_on(session, ticket, due.step, customer, kind, address, now)
    return queued


def _queue_on(session: Session, ticket: Ticket, step: steps.Step, customer: Customer, kind: str, address: str,
              now: datetime) -> int:
    """One outbox row for one channel; 0 when its idempotency key is queued already."""
    inserted = session.execute(upsert_ignore(session)(Notification).values(
        idempotency_key=idempotency_key(step.key, customer.id, kind), step=step.name, ticket_id=ticket.id,
        customer_id=customer.id, channel=kind, address=address[:500], params=step.params,
        state=NotificationState.PENDING, attempts=0, next_attempt_at=step.not_before or now, created_at=now,
        last_error="", hold_reason="", subject="", body="", told_fault="",
    ).on_conflict_do_nothing().returning(Notification.id)).first()
    COUNTERS.add("queued" if inserted is not None else "duplicate")
    return int(inserted is not None)


def _cancel(session: Session, ticket_id: int, step_names: tuple[str, ...], keep: set[str]) -> None:
    """Steps still waiting that the change made untrue (a reminder for a visit that moved)."""
    n = Notification
    rows = session.scalars(select(n).where(n.ticket_id == ticket_id, n.step.in_(step_names),
                                           n.state.in_(OPEN_STATES))).all()
    stale = [r.id for r in rows if not any(r.idempotency_key.startswith(k + "/") for k in keep)]
    if stale:
        session.execute(update(n).where(n.id.in_(stale)).values(state=NotificationState.CANCELLED,
                                                                last_error="no longer true"))
