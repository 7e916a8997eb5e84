"""A ticket's whole story in one time-ordered list: every change (history entries, the customer's
questions among them), every event the agent sent, every message sent to the customer (with its
delivery attempts) and the customer's survey answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from heatwatch.gateway.board import evidence
from heatwatch.gateway.feedback.models import SurveyResponse
from heatwatch.gateway.ingest.models import ProcessedEvent
from heatwatch.gateway.notifications.models import Notification, NotificationState
from heatwatch.gateway.tickets.models import Ticket

CUSTOMER_QUESTION = "customer_question"  # the history action the status page records a question as
STEP_WORDS = {"problem_found": "problem found", "diagnosis_updated": "diagnosis updated",
              "visit_proposed": "visit windows proposed", "visit_booked": "visit booked",
              "visit_reminder": "visit reminder", "resolved": "resolved",
              "survey": "survey invitation", "digest": "digest"}


@dataclass(frozen=True)
class Message:
    """A message to the customer as the history shows it: the step, the channel, where it stands."""

    row: Notification
    step: str  # in words
    status: str  # "sent", "waiting (quiet hours)", "sent in a digest", "failed: ..."
    digest_sent_at: datetime | None


@dataclass(frozen=True)
class Item:
    kind: str  # action | event | message | survey
    at: datetime
    item: Any


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)


def messages(session: Session, ticket_id: int) -> list[Message]:
    rows = session.scalars(select(Notification).where(Notification.ticket_id == ticket_id)
                           .options(selectinload(Notification.log)).order_by(Notification.id)).all()
    digests = {d.id: d for d in session.scalars(
        select(Notification).where(Notification.id.in_({r.digest_id for r in rows if r.digest_id})))}
    out = []
    for r in rows:
        digest = digests.get(r.digest_id) if r.digest_id else None
        out.append(Message(r, STEP_WORDS.get(r.step, r.step.replace("_", " ")), _status(r, digest),
                           digest.sent_at if digest is not None else None))
    return out


def _status(r: Notification, digest: Notification | None) -> str:
    if r.state == NotificationState.DIGESTED:
        return "sent in a digest" if digest is not None and digest.sent_at else "waiting in a digest"
    if r.state == NotificationState.HELD:
        return f"held ({r.hold_reason.replace('_', ' ')})" if r.hold_reason else "held"
    if r.state == NotificationState.PENDING:
        return "queued" if not r.attempts else f"retrying after {r.attempts} attempts"
    if r.state == NotificationState.FAILED:
        return f"failed: {r.last_error}" if r.last_error else "failed"
    return r.state.value


def history(session: Session, ticket: Ticket, events: Sequence[ProcessedEvent]) -> list[Item]:
    """Everything, oldest first; a message at when it was sent (else when it was queued)."""
    items = [Item("action", c.at, c) for c in ticket.history]
    items += [Item("event", line.at, line) for line in evidence.history_lines(events)]
    for m in messages(session, ticket.id):
        items.append(Item("message", m.row.sent_at or m.digest_sent_at or m.row.created_at, m))
    survey = session.scalar(select(SurveyResponse).where(SurveyResponse.ticket_id == ticket.id))
    if survey is not None:
        items.append(Item("survey", survey.answered_at, survey))
    return sorted(items, key=lambda i: _utc(i.at))
