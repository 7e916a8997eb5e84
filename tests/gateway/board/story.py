"""A ticket's customer side for the history tests: a question the customer asked, a message that
failed, one sent on the second attempt, and the survey answer; ``base`` is when the ticket opened."""

from __future__ import annotations

from datetime import datetime, timedelta

from heatwatch.gateway.db import Database
from heatwatch.gateway.feedback.models import SurveyResponse
from heatwatch.gateway.notifications.models import Notification, NotificationAttempt, NotificationState
from heatwatch.gateway.tickets.models import TicketChange

H = timedelta(hours=1)
QUESTION = "Can the technician come after 16:00?"
SMS = "Hello Anna, the technician comes Friday 08:00-10:00."


def add_story(db: Database, ticket_id: int, customer_id: int, base: datetime) -> None:
    with db.transaction() as s:
        s.add(TicketChange(ticket_id=ticket_id, at=base + H, actor="Anna Albers", action="customer_question",
                           note=QUESTION))
        failed = Notification(idempotency_key=f"problem_found:{ticket_id}/{customer_id}/email", step="problem_found",
                              ticket_id=ticket_id, customer_id=customer_id, channel="email",
                              address="anna@example.org", state=NotificationState.FAILED, attempts=1,
                              created_at=base + H / 2, next_attempt_at=base + H / 2,
                              last_error="no Apprise URL for channel 'email'")
        failed.log.append(NotificationAttempt(number=1, started_at=base + H / 2, duration_ms=3.0, outcome="error",
                                              error="no Apprise URL for channel 'email'"))
        sent = Notification(idempotency_key=f"visit_booked:{ticket_id}/{customer_id}/sms", step="visit_booked",
                            ticket_id=ticket_id, customer_id=customer_id, channel="sms", address="+49 561 000000",
                            state=NotificationState.SENT, attempts=2, created_at=base + 1.5 * H,
                            next_attempt_at=base + 2 * H, sent_at=base + 2 * H, body=SMS)
        sent.log.extend([NotificationAttempt(number=1, started_at=base + 1.5 * H, duration_ms=20000.0,
                                             outcome="timeout", error="no answer in 20 s"),
                         NotificationAttempt(number=2, started_at=base + 2 * H, duration_ms=412.0, outcome="sent")])
        s.add_all([failed, sent, SurveyResponse(ticket_id=ticket_id, customer_id=customer_id, csat=5, nps=9, ces=6,
                                                comment="Quick and friendly", answered_at=base + 3 * H)])
