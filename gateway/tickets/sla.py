"""The SLA clock: deadlines per priority, the agreement status, pauses, breaches and reminders.

Targets come from gateway.toml's ``[sla]`` table (``settings.DEFAULT_SLA``
otherwise): per priority, hours until the first response (``response_by``)
and until resolution (``resolution_by``), counted from the ticket's creation.

- **Paused**: while a ticket waits on the customer the clock stands still;
  when it resumes, the deadlines not yet met move by the time it waited
  (``sla_paused_seconds`` sums the pauses).
- **Agreement status**: ``breached`` once any deadline was missed (it stays
  breached: history does not change), else ``paused`` while waiting, ``met``
  once resolved in time, ``due`` while the clock runs.
- **Priority changes**: a more urgent priority gives the new priority's full
  time from the moment of the change, never later than the deadline the
  ticket had; a less urgent one counts the new targets from creation, never
  earlier than the deadline it had.
- **Reminders** repeat every half response time (at least ``min_reminder``)
  until someone responds: to the dispatchers while the response is due, to a
  lead once it is late (the escalation chain). A missed deadline writes a
  reminder to the lead at once. Reminders are rows for the notification work
  to send; nothing is sent here.

``sweep_sla`` is the periodic job; the functions above it are arithmetic on
one ticket, used by the ticket service as the ticket changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from heatwatch.gateway.settings import DEFAULT_SLA, GatewaySettings, SlaTarget
from heatwatch.gateway.tickets.lifecycle import SLA_RUNNING
from heatwatch.gateway.tickets.models import (
    AgreementStatus,
    ReminderRecipient,
    Ticket,
    TicketChange,
    TicketReminder,
    TicketStatus,
)
from heatwatch.units import HOUR, MINUTE

SLA_CLOCK = "sla clock"  # the actor name in ticket_history


@dataclass(frozen=True)
class SlaPolicy:
    targets: dict[int, SlaTarget] = field(default_factory=lambda: dict(DEFAULT_SLA))
    reminder_fraction: float = 0.5  # a reminder every this fraction of the response time
    min_reminder: timedelta = timedelta(seconds=10 * MINUTE)

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> SlaPolicy:
        return cls(targets=dict(settings.sla))

    def target(self, priority: int) -> SlaTarget:
        try:
            return self.targets[priority]
        except KeyError:
            raise ValueError(f"priority {priority}: one of {', '.join(map(str, sorted(self.targets)))}") from None

    def response_time(self, priority: int) -> timedelta:
        return timedelta(seconds=self.target(priority).response_hours * HOUR)

    def resolution_time(self, priority: int) -> timedelta:
        return timedelta(seconds=self.target(priority).resolution_hours * HOUR)

    def reminder_every(self, priority: int) -> timedelta:
        return max(self.response_time(priority) * self.reminder_fraction, self.min_reminder)


# ---- one ticket's arithmetic ------------------------------------------------------------------

def start_clock(ticket: Ticket, priority: int, now: datetime, policy: SlaPolicy) -> None:
    """A new ticket's deadlines and first reminder."""
    ticket.response_by = now + policy.response_time(priority)
    ticket.resolution_by = now + policy.resolution_time(priority)
    ticket.next_reminder_at = now + policy.reminder_every(priority)
    ticket.agreement_status = AgreementStatus.DUE


def agreement_status(ticket: Ticket) -> AgreementStatus:
    """Where the ticket stands against its agreement, from its fields (kept in ``agreement_status``)."""
    if ticket.response_breached_at is not None or ticket.resolution_breached_at is not None:
        return AgreementStatus.BREACHED
    if ticket.status == TicketStatus.WAITING_ON_CUSTOMER:
        return AgreementStatus.PAUSED
    if ticket.resolved_at is not None:
        return AgreementStatus.MET
    return AgreementStatus.DUE


def effective_deadlines(ticket: Ticket, now: datetime) -> tuple[datetime, datetime]:
    """(response_by, resolution_by) as they stand now: while paused, moved by the pause so far."""
    if ticket.sla_paused_at is None:
        return ticket.response_by, ticket.resolution_by
    waited = max(now - ticket.sla_paused_at, timedelta(0))
    response = ticket.response_by if ticket.responded_at is not None else ticket.response_by + waited
    resolution = ticket.resolution_by if ticket.resolved_at is not None else ticket.resolution_by + waited
    return min(response, resolution), resolution


def pause(ticket: Ticket, now: datetime) -> None:
    ticket.sla_paused_at = now


def unpause(ticket: Ticket, now: datetime) -> timedelta:
    """End a pause: the unmet deadlines (and the next reminder) move by its length."""
    assert ticket.sla_paused_at is not None
    waited = max(now - ticket.sla_paused_at, timedelta(0))
    ticket.response_by, ticket.resolution_by = effective_deadlines(ticket, now)
    if ticket.next_reminder_at is not None:
        ticket.next_reminder_at += waited
    ticket.sla_paused_seconds += waited.total_seconds()
    ticket.sla_paused_at = None
    return waited


def retarget(ticket: Ticket, priority: int, now: datetime, policy: SlaPolicy) -> None:
    """Deadlines for a new priority (see the module's docstring); met deadlines stay."""
    clock = ticket.sla_paused_at or now  # while paused the clock stands at the pause
    paused = timedelta(seconds=ticket.sla_paused_seconds)
    more_urgent = priority < ticket.priority
    if ticket.responded_at is None:
        ticket.response_by = _moved(ticket.response_by, more_urgent, clock + policy.response_time(priority),
                                    ticket.created_at + paused + policy.response_time(priority))
        if ticket.next_reminder_at is not None:
            ticket.next_reminder_at = min(ticket.next_reminder_at, clock + policy.reminder_every(priority))
    if ticket.resolved_at is None:
        ticket.resolution_by = _moved(ticket.resolution_by, more_urgent, clock + policy.resolution_time(priority),
                                      ticket.created_at + paused + policy.resolution_time(priority))
    ticket.response_by = min(ticket.response_by, ticket.resolution_by)
    ticket.priority = priority


def _moved(current: datetime, more_urgent: bool, from_now: datetime, from_creation: datetime) -> datetime:
    return min(current, from_now) if more_urgent else max(current, from_creation)


def note_response(ticket: Ticket, now: datetime) -> None:
    """The first move out of ``open``: the response. Late is a breach, even between sweeps."""
    if ticket.responded_at is not None:
        return
    ticket.responded_at = now
    ticket.next_reminder_at = None
    if now > effective_deadlines(ticket, now)[0] and ticket.response_breached_at is None:
        ticket.response_breached_at = now


def note_resolution(ticket: Ticket, now: datetime) -> None:
    ticket.resolved_at = now
    if now > effective_deadlines(ticket, now)[1] and ticket.resolution_breached_at is None:
        ticket.resolution_breached_at = now


# ---- the periodic job -------------------------------------------------------------------------

@dataclass
class SlaSweep:
    response_breaches: list[int] = field(default_factory=list)  # ticket ids
    resolution_breaches: list[int] = field(default_factory=list)
    reminders: list[tuple[int, int, ReminderRecipient, str]] = field(default_factory=list)  # ticket, number, to, why


def sweep_sla(session: Session, now: datetime, policy: SlaPolicy | None = None) -> SlaSweep:
    """Mark missed deadlines, write the reminders that are due. Idempotent, safe to run on
    several workers at once (PostgreSQL: the rows are locked, a row another sweep holds is
    skipped; SQLite: one writer at a time). Does not bump tickets' versions: its changes are
    bookkeeping no dispatcher edits."""
    policy = policy or SlaPolicy()
    running = [s.value for s in SLA_RUNNING]
    due = (select(Ticket).where(
        Ticket.status.in_(running), Ticket.sla_paused_at.is_(None),
        or_(and_(Ticket.responded_at.is_(None),
                 or_(Ticket.next_reminder_at <= now,
                     and_(Ticket.response_by < now, Ticket.response_breached_at.is_(None)))),
            and_(Ticket.resolved_at.is_(None), Ticket.resolution_by < now, Ticket.resolution_breached_at.is_(None))))
        .order_by(Ticket.id).with_for_update(skip_locked=True)
        .execution_options(populate_existing=True))
    report = SlaSweep()
    for ticket in session.scalars(due).all():
        _sweep_one(session, ticket, now, policy, report)
    return report


def _sweep_one(s: Session, t: Ticket, now: datetime, policy: SlaPolicy, report: SlaSweep) -> None:
    values: dict = {}
    number = t.reminders_sent
    reminders: list[TicketReminder] = []

    def remind(to: ReminderRecipient, why: str, due_at: datetime) -> None:
        nonlocal number
        number += 1
        reminders.append(TicketReminder(ticket_id=t.id, number=number, recipient=to, reason=why, due_at=due_at,
                                        created_at=now))
        report.reminders.append((t.id, number, to, why))

    history: list[TicketChange] = []
    if t.responded_at is None and t.response_by < now and t.response_breached_at is None:
        values["response_breached_at"] = now
        history.append(_sla_change(t, now, "response deadline missed: escalated to a lead",
                                   f"response by {t.response_by:%Y-%m-%d %H:%M} UTC"))
        remind(ReminderRecipient.LEAD, "response_breached", t.response_by)
        report.response_breaches.append(t.id)
    if t.resolved_at is None and t.resolution_by < now and t.resolution_breached_at is None:
        values["resolution_breached_at"] = now
        history.append(_sla_change(t, now, "resolution deadline missed: escalated to a lead",
                                   f"resolution by {t.resolution_by:%Y-%m-%d %H:%M} UTC"))
        remind(ReminderRecipient.LEAD, "resolution_breached", t.resolution_by)
        report.resolution_breaches.append(t.id)
    if t.responded_at is None and t.next_reminder_at is not None and t.next_reminder_at <= now:
        every = policy.reminder_every(t.priority)
        due_at, following = t.next_reminder_at, t.next_reminder_at
        while following <= now:  # a late sweep writes one reminder, not one per missed interval
            following += every
        if not reminders:  # a breach just wrote one to the lead
            to = ReminderRecipient.DISPATCHER if due_at < t.response_by else ReminderRecipient.LEAD
            remind(to, "unacknowledged", due_at)
        values["next_reminder_at"] = following
    if history:
        values["agreement_status"] = AgreementStatus.BREACHED
    values["reminders_sent"] = number
    # a plain UPDATE: the ORM's unit of work would bump the version a dispatcher holds
    s.execute(update(Ticket).where(Ticket.id == t.id).values(**values)
              .execution_options(synchronize_session=False))
    s.expire(t)  # the row changed under the ORM: its entries are announced with the ticket as it is now
    s.add_all(history + reminders)


def _sla_change(t: Ticket, now: datetime, note: str, deadline: str) -> TicketChange:
    return TicketChange(ticket_id=t.id, at=now, user_id=None, actor=SLA_CLOCK, action="sla",
                        from_value=t.agreement_status.value, to_value=AgreementStatus.BREACHED.value,
                        note=f"{note} ({deadline})")
