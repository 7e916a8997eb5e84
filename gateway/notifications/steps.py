"""Which ticket change the customer hears about, as which step, and when.

=====================  ===========================  ============================================
ticket change          step                         key (one message per key, customer, channel)
=====================  ===========================  ============================================
created (an incident)  problem_found                ticket
schedule (a window)    visit_booked                 ticket + window start: a moved visit is news
                       visit_reminder               the same; sent at REMINDER_LOCAL_TIME the day
                                                    before, local to the customer; none when booked
                                                    later than that
status -> resolved     resolved                     ticket
                       survey                       ticket; SURVEY_DELAY after the resolution
(status page, later)   visit_proposed               ticket + the windows offered (``queue_step``)
revised (a diagnosis   diagnosis_updated            ticket + the last message that named a fault;
handed over)                                        only when the customer's words change
                                                    (revision.py, ``outbox.queue_diagnosis_update``)
=====================  ===========================  ============================================

A ticket opened for a customer's own call (no incident) sends no problem_found:
the customer told us. A visit that moves, or a ticket that is cancelled or
resolved, cancels the reminders still waiting for it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from heatwatch.gateway.tickets.models import Ticket, TicketChange, TicketStatus

PROBLEM_FOUND = "problem_found"
VISIT_PROPOSED = "visit_proposed"
VISIT_BOOKED = "visit_booked"
VISIT_REMINDER = "visit_reminder"
RESOLVED = "resolved"
SURVEY = "survey"
DIAGNOSIS_UPDATED = "diagnosis_updated"
DIGEST = "digest"
# steps that may break a customer's quiet hours when the problem is critical in a cold spell
URGENT_STEPS = frozenset({PROBLEM_FOUND, VISIT_BOOKED})
SURVEY_DELAY = timedelta(hours=2)  # the survey follows the resolution: the technician has left
REMINDER_LOCAL_TIME = time(17, 0)  # the day before the visit, in the customer's time zone


@dataclass(frozen=True)
class Step:
    name: str
    key: str  # the ticket step part of the idempotency key
    not_before: datetime | None = None  # send no earlier (the survey, the reminder)
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    steps: tuple[Step, ...] = ()
    cancel_open: tuple[str, ...] = ()  # steps of this ticket still waiting that no longer hold (but the new keys)


def _window_key(start: datetime) -> str:
    return start.strftime("%Y%m%dT%H%MZ")


def reminder_time(visit_start: datetime, time_zone: str) -> datetime:
    tz = ZoneInfo(time_zone)
    day_before = visit_start.astimezone(tz).date() - timedelta(days=1)
    return datetime.combine(day_before, REMINDER_LOCAL_TIME, tz)


def plan(ticket: Ticket, change: TicketChange, time_zone: str, now: datetime) -> Plan:
    """What ``change`` of ``ticket`` means for the customer (nothing, for most changes)."""
    t = ticket.id
    if change.action == "created":
        if ticket.incident_id is None and ticket.incident is None:
            return Plan()
        return Plan((Step(PROBLEM_FOUND, f"t{t}/{PROBLEM_FOUND}"),))
    if change.action == "schedule" and ticket.visit_window_start is not None and ticket.visit_window_end is not None:
        start, end = ticket.visit_window_start, ticket.visit_window_end
        window = {"start": start.isoformat(), "end": end.isoformat()}
        key = _window_key(start)
        steps = [Step(VISIT_BOOKED, f"t{t}/{VISIT_BOOKED}/{key}", params=window)]
        remind_at = reminder_time(start, time_zone)
        if remind_at > now:
            steps.append(Step(VISIT_REMINDER, f"t{t}/{VISIT_REMINDER}/{key}", remind_at, window))
        return Plan(tuple(steps), cancel_open=(VISIT_REMINDER,))
    if change.action == "status" and change.to_value == TicketStatus.RESOLVED.value:
        return Plan((Step(RESOLVED, f"t{t}/{RESOLVED}"),
                     Step(SURVEY, f"t{t}/{SURVEY}", (change.at or now) + SURVEY_DELAY)),
                    cancel_open=(VISIT_REMINDER,))
    if change.action == "status" and change.to_value in (TicketStatus.CANCELLED.value, TicketStatus.CLOSED.value):
        return Plan(cancel_open=(VISIT_REMINDER, VISIT_PROPOSED))
    return Plan()


def proposal(ticket: Ticket, windows: list[tuple[datetime, datetime]]) -> Step:
    """The visit_proposed step for windows offered to the customer (the status page picks one)."""
    doc = [{"start": s.isoformat(), "end": e.isoformat()} for s, e in windows]
    key = ",".join(_window_key(s) for s, _ in windows)
    return Step(VISIT_PROPOSED, f"t{ticket.id}/{VISIT_PROPOSED}/{key}", params={"windows": doc})
