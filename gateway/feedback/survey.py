"""The survey after a resolved ticket: CSAT 1-5, NPS 0-10, effort (CES) 1-7 and free text.

One answer per ticket (``survey_responses.ticket_id`` is unique): answering
again completes or changes it, never adds a second row. A two-tab race is
settled by the unique key: the loser updates the winner's row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from heatwatch.gateway.db import utcnow
from heatwatch.gateway.feedback.models import SurveyResponse
from heatwatch.gateway.tickets.models import Ticket, TicketStatus

RANGES = {"csat": (1, 5), "nps": (0, 10), "ces": (1, 7)}
SOURCES = ("status_page", "email_click")
MAX_COMMENT = 4000
ANSWERABLE = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED})


class SurveyError(ValueError):
    """An answer that cannot be stored; ``field`` names what is wrong (csat, nps, ces, comment, ticket)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Answer:
    csat: int | None = None
    nps: int | None = None
    ces: int | None = None
    comment: str = ""

    @classmethod
    def parse(cls, raw: dict[str, str | None]) -> Answer:
        """From form fields (strings; "" = not answered). Raises SurveyError."""
        scores: dict[str, int | None] = {}
        for name, (low, high) in RANGES.items():
            value = (raw.get(name) or "").strip()
            if not value:
                scores[name] = None
                continue
            if not value.isdigit() or not low <= int(value) <= high:
                raise SurveyError(name, f"{name} must be a whole number from {low} to {high}, not {value[:10]!r}")
            scores[name] = int(value)
        comment = (raw.get("comment") or "").strip()
        if len(comment) > MAX_COMMENT:
            raise SurveyError("comment", f"comment is longer than {MAX_COMMENT} characters")
        answer = cls(comment=comment, **scores)
        if answer.empty:
            raise SurveyError("empty", "the answer is empty")
        return answer

    @property
    def empty(self) -> bool:
        return self.csat is None and self.nps is None and self.ces is None and not self.comment


def survey_open(ticket: Ticket) -> bool:
    return ticket.status in ANSWERABLE


def response_of(session: Session, ticket_id: int) -> SurveyResponse | None:
    return session.scalars(select(SurveyResponse).where(SurveyResponse.ticket_id == ticket_id)).one_or_none()


def answer(session: Session, ticket: Ticket, customer_id: int, given: Answer, *, source: str = "status_page",
           now: datetime | None = None) -> SurveyResponse:
    """Store the customer's answer for ``ticket`` (insert, or update the one there; a score left out
    keeps what was answered before). The caller commits."""
    now = now or utcnow()
    if not survey_open(ticket):
        raise SurveyError("ticket", f"ticket {ticket.id} is {ticket.status.value}: "
                                    "the survey opens once it is resolved")
    if source not in SOURCES:
        raise SurveyError("source", f"source {source!r}: one of {', '.join(SOURCES)}")
    row = response_of(session, ticket.id)
    if row is None:
        try:
            with session.begin_nested():
                row = SurveyResponse(ticket_id=ticket.id, customer_id=customer_id, csat=given.csat, nps=given.nps,
                                     ces=given.ces, comment=given.comment, source=source, answered_at=now)
                session.add(row)
            return row
        except IntegrityError:  # answered in another tab at the same moment: theirs is the row to update
            row = response_of(session, ticket.id)
            if row is None:
                raise
    for name in RANGES:
        value = getattr(given, name)
        if value is not None:
            setattr(row, name, value)
    if given.comment:
        row.comment = given.comment
    row.updated_at = now
    session.flush()
    return row
