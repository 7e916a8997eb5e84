"""Queue a ticket change for every subscriber that wants it: ``enqueue_ticket_change``.

The ticket service calls it right after it writes a history entry, in the
same session and transaction: the deliveries commit with the change or not
at all, and the delivery worker (delivery.py) sends them after the commit.
Calling it twice for one entry queues nothing more.

A delivery's body is the ticket as the API shows it (tickets/schemas.py)
at the moment of the change, and the change itself:

    {"delivery_id": "...", "event": "ticket.status", "occurred_at": "...",
     "ticket": {...}, "change": {...}}
"""

from __future__ import annotations

import json
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from heatwatch.gateway.db import utcnow
from heatwatch.gateway.ingest.sequence import upsert_ignore
from heatwatch.gateway.tickets.models import Ticket, TicketChange
from heatwatch.gateway.tickets.schemas import TicketChangeOut, TicketOut
from heatwatch.gateway.webhooks.models import DeliveryState, WebhookDelivery, WebhookSubscription, new_delivery_id

# what a subscription may ask for: "*", "ticket.*", or one event "ticket.<history action>"
EVENT_PATTERN = re.compile(r"^(\*|ticket\.\*|ticket\.[a-z_]{1,32})$")


def event_name(change: TicketChange) -> str:
    return f"ticket.{change.action}"


def wants(patterns: list[str], event: str) -> bool:
    return any(p == "*" or p == event or (p.endswith(".*") and event.startswith(p[:-1])) for p in patterns)


def enqueue_ticket_change(session: Session, ticket: Ticket, history_entry: TicketChange) -> int:
    """Queue ``history_entry`` of ``ticket`` for each subscription that wants its event;
    returns how many deliveries were new. Does not commit: the caller's transaction does."""
    session.add(history_entry)  # no-op when the caller added it; SQLAlchemy 2 no longer cascades it from the ticket
    session.flush()  # ids, defaults, updated_at and the version as the change leaves them: what is sent
    event = event_name(history_entry)
    # a paused subscription queues too: it gets what it missed when it is resumed
    subscriptions = [s for s in session.scalars(select(WebhookSubscription)) if wants(s.events, event)]
    if not subscriptions:
        return 0
    ticket_doc = TicketOut.of(ticket).model_dump(mode="json")
    change_doc = TicketChangeOut.model_validate(history_entry).model_dump(mode="json")
    queued = 0
    now = utcnow()
    for sub in subscriptions:
        delivery_id = new_delivery_id()
        body = json.dumps({"delivery_id": delivery_id, "event": event, "occurred_at": change_doc["at"],
                           "ticket": ticket_doc, "change": change_doc}, separators=(",", ":"), ensure_ascii=False)
        inserted = session.execute(upsert_ignore(session)(WebhookDelivery).values(
            id=delivery_id, subscription_id=sub.id, ticket_id=ticket.id, history_id=history_entry.id, event=event,
            body=body, state=DeliveryState.PENDING, attempts=0, next_attempt_at=now, created_at=now, last_error="",
        ).on_conflict_do_nothing().returning(WebhookDelivery.id)).first()
        queued += inserted is not None
    return queued
