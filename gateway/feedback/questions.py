"""A customer's question from the status page: an entry in the ticket's history the dispatcher
sees on the board (action ``customer_question``), limited so a stuck form cannot flood it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heatwatch.gateway.db import utcnow
from heatwatch.gateway.tickets import service
from heatwatch.gateway.tickets.models import TicketChange
from heatwatch.gateway.tickets.service import Actor

ACTION = "customer_question"
MAX_LENGTH = 2000
PER_DAY = 10  # questions per ticket and 24 hours: beyond that, the customer is asked to call


class QuestionRefused(ValueError):
    """``reason``: empty, too_long, too_many."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def ask(session: Session, ticket_id: int, actor: Actor, text: str, now: datetime | None = None) -> TicketChange:
    now = now or utcnow()
    text = text.strip()
    if not text:
        raise QuestionRefused("empty", "the question is empty")
    if len(text) > MAX_LENGTH:
        raise QuestionRefused("too_long", f"the question is longer than {MAX_LENGTH} characters")
    ticket = service.get_ticket(session, ticket_id)
    recent = session.scalar(select(func.count()).select_from(TicketChange).where(
        TicketChange.ticket_id == ticket_id, TicketChange.action == ACTION, TicketChange.at > now - timedelta(days=1)))
    if recent >= PER_DAY:
        raise QuestionRefused("too_many", f"ticket {ticket_id}: {PER_DAY} questions in a day already")
    return service.record_change(session, ticket, actor, ACTION, None, None, text, now)
