"""The ticket service: every change a person (or the gateway) makes to a ticket.

Each function takes the caller's Session (inside its transaction: the caller
commits), the ticket id, the ``version`` the person saw, and who acts
(``Actor``); it returns the changed Ticket or raises:

- ``TicketNotFound``;
- ``StaleTicket``: the ticket changed since ``version`` (someone else acted;
  reload and retry). The ticket row is locked while it is changed, and its
  version column makes a racing update fail instead of overwriting;
- ``InvalidTransition``: the lifecycle does not allow it (lifecycle.py);
- ``InvalidTicketChange``: the change itself is wrong (a visit window that
  ends before it starts, a technician who is not one, no resolution code).

Every change writes a ``ticket_history`` row: who, when, what, from, to.
``now`` defaults to the wall clock; tests pass a fixed one.

Every history entry, whoever wrote it (these functions, the incident logic,
the SLA sweep), is announced once by ``announce_change`` when its
transaction commits, after the ticket's flush: that is the one place a
ticket change leaves the gateway for other systems (webhooks). The customer's
messages are queued in ``record_change`` (notifications/outbox.py decides
which steps concern the customer; every such step is recorded through it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.orm.exc import StaleDataError

from heatwatch.gateway.db import utcnow
from heatwatch.gateway.incidents import lifecycle as incident_lifecycle
from heatwatch.gateway.incidents.models import Incident
from heatwatch.gateway.notifications.outbox import queue_ticket_change as queue_notifications
from heatwatch.gateway.tickets import sla
from heatwatch.gateway.tickets.commands import queue_repaired
from heatwatch.gateway.tickets.lifecycle import (
    FINISHED,
    TRANSITIONS,
    InvalidTicketChange,
    InvalidTransition,
    StaleTicket,
    TicketError,
    TicketNotFound,
    check_transition,
)
from heatwatch.gateway.tickets.models import ResolutionCode, Ticket, TicketChange, TicketStatus
from heatwatch.gateway.tickets.sla import SlaPolicy
from heatwatch.gateway.users.models import Role, User
from heatwatch.gateway.users.service import Principal
from heatwatch.gateway.webhooks.service import enqueue_ticket_change

__all__ = [
    "GATEWAY", "Actor", "InvalidTicketChange", "InvalidTransition", "StaleTicket", "TicketError", "TicketNotFound",
    "acknowledge", "add_note", "allowed_transitions", "announce_change", "assign", "cancel", "close", "escalate",
    "get_ticket", "open_ticket", "record_change", "resolve", "resume", "schedule", "set_priority", "start_work",
    "wait_on_customer",
]


@dataclass(frozen=True)
class Actor:
    """Who changes a ticket, as its history records it."""

    name: str
    user_id: int | None = None  # None: the gateway itself

    @classmethod
    def of(cls, user: User | Principal) -> Actor:
        """A user row, or the API's caller."""
        return cls(user.name, user.user_id if isinstance(user, Principal) else user.id)


GATEWAY = Actor("gateway")


# ---- reading ----------------------------------------------------------------------------------

def get_ticket(session: Session, ticket_id: int, *, lock: bool = False) -> Ticket:
    """The ticket; ``lock``: row-locked for a change, its incident first. Every path that locks both
    (ingest's incident logic, the sweeps, these changes) takes the incident before the ticket, so
    workers and dispatchers never deadlock each other."""
    q = select(Ticket).where(Ticket.id == ticket_id).execution_options(populate_existing=True)
    if lock:
        incident_id = session.scalar(select(Ticket.incident_id).where(Ticket.id == ticket_id))  # never changes
        if incident_id is not None:
            session.execute(select(Incident.id).where(Incident.id == incident_id).with_for_update())
        q = q.with_for_update()
    ticket = session.scalars(q).one_or_none()
    if ticket is None:
        raise TicketNotFound(ticket_id)
    return ticket


def allowed_transitions(ticket: Ticket) -> frozenset[TicketStatus]:
    """The statuses this ticket may go to next (what actions to offer)."""
    if ticket.status == TicketStatus.WAITING_ON_CUSTOMER and ticket.resume_status is not None:
        return TRANSITIONS[ticket.status] | {ticket.resume_status}
    return TRANSITIONS[ticket.status]


# ---- the gateway opens and escalates ---------------------------------------------------------

def open_ticket(session: Session, *, device_id: str, title: str, priority: int, now: datetime | None = None,
                incident: Incident | None = None, actor: Actor = GATEWAY, note: str = "",
                policy: SlaPolicy | None = None) -> Ticket:
    """A new ticket (for an incident, or a customer's call), its SLA clock started."""
    now = now or utcnow()
    policy = policy or SlaPolicy()
    ticket = Ticket(device_id=device_id, title=title[:200], priority=priority, incident=incident,
                    status=TicketStatus.OPEN, created_at=now, updated_at=now)
    sla.start_clock(ticket, priority, now, policy)
    session.add(ticket)
    session.flush()
    record_change(session, ticket, actor, "created", None, TicketStatus.OPEN.value, note, now)
    return ticket


def escalate(session: Session, ticket: Ticket, priority: int, reason: str, now: datetime,
             policy: SlaPolicy | None = None, actor: Actor = GATEWAY) -> bool:
    """Raise a ticket's priority (never lower it: that is a person's call, ``set_priority``).
    The deadlines tighten (sla.retarget). Returns whether it changed."""
    if priority >= ticket.priority or ticket.status in FINISHED:
        return False
    old = ticket.priority
    sla.retarget(ticket, priority, now, policy or SlaPolicy())
    ticket.updated_at = now
    record_change(session, ticket, actor, "priority", str(old), str(priority), f"escalated: {reason}", now)
    _flush(session, ticket, ticket.version)
    return True


# ---- what people do ----------------------------------------------------------------------------

def acknowledge(session: Session, ticket_id: int, *, version: int, actor: Actor, now: datetime | None = None,
                note: str = "") -> Ticket:
    return _move(session, ticket_id, version, actor, TicketStatus.ACKNOWLEDGED, now, note)


def schedule(session: Session, ticket_id: int, *, version: int, actor: Actor, window_start: datetime,
             window_end: datetime, technician_id: int | None = None, now: datetime | None = None,
             note: str = "") -> Ticket:
    """Book (or move) the visit: a window, and who goes (optional here, ``assign`` later)."""
    if not window_start < window_end:
        raise InvalidTicketChange(f"ticket {ticket_id}: visit window must end after it starts "
                                  f"({window_start:%Y-%m-%d %H:%M} .. {window_end:%Y-%m-%d %H:%M})")

    def book(t: Ticket, at: datetime) -> None:
        before = _window_text(t)
        t.visit_window_start, t.visit_window_end = window_start, window_end
        record_change(session, t, actor, "schedule", before, _window_text(t), "", at)
        if technician_id is not None and technician_id != t.technician_id:
            _assign(session, t, technician_id, actor, at)

    return _move(session, ticket_id, version, actor, TicketStatus.SCHEDULED, now, note, book)


def start_work(session: Session, ticket_id: int, *, version: int, actor: Actor, now: datetime | None = None,
               note: str = "") -> Ticket:
    return _move(session, ticket_id, version, actor, TicketStatus.IN_PROGRESS, now, note)


def wait_on_customer(session: Session, ticket_id: int, *, version: int, actor: Actor,
                     now: datetime | None = None, note: str = "") -> Ticket:
    """Pause the SLA clock until the customer answers (``resume``)."""
    return _move(session, ticket_id, version, actor, TicketStatus.WAITING_ON_CUSTOMER, now, note)


def resume(session: Session, ticket_id: int, *, version: int, actor: Actor, now: datetime | None = None,
           note: str = "") -> Ticket:
    """The customer answered: back to the status the ticket had, the deadlines moved by the wait."""
    ticket = _load(session, ticket_id, version)
    if ticket.status != TicketStatus.WAITING_ON_CUSTOMER or ticket.resume_status is None:
        raise InvalidTicketChange(f"ticket {ticket_id}: not waiting on the customer ({ticket.status.value})")
    return _move(session, ticket_id, version, actor, ticket.resume_status, now, note, ticket=ticket)


def resolve(session: Session, ticket_id: int, *, version: int, actor: Actor, code: ResolutionCode | str,
            note: str = "", now: datetime | None = None) -> Ticket:
    """The work is done. ``code``: fault_confirmed (``note``: what was done), other_fault, no_fault_found.
    Closes the incident and queues the device's ``repaired`` command."""
    try:
        code = ResolutionCode(code)
    except ValueError:
        raise InvalidTicketChange(f"ticket {ticket_id}: resolution code {code!r}: one of "
                                  f"{', '.join(c.value for c in ResolutionCode)}") from None
    if code == ResolutionCode.FAULT_CONFIRMED and not note.strip():
        raise InvalidTicketChange(f"ticket {ticket_id}: fault_confirmed needs a note of what was done")

    def finish(t: Ticket, at: datetime) -> None:
        t.resolution_code, t.resolution_note = code, note
        sla.note_resolution(t, at)
        if t.incident is not None:
            incident_lifecycle.close_incident(t.incident, code.value, at)
        queue_repaired(session, t, at)

    return _move(session, ticket_id, version, actor, TicketStatus.RESOLVED, now, note, finish)


def close(session: Session, ticket_id: int, *, version: int, actor: Actor, now: datetime | None = None,
          note: str = "") -> Ticket:
    def done(t: Ticket, at: datetime) -> None:
        t.closed_at = at

    return _move(session, ticket_id, version, actor, TicketStatus.CLOSED, now, note, done)


def cancel(session: Session, ticket_id: int, *, version: int, actor: Actor, reason: str,
           now: datetime | None = None) -> Ticket:
    """No work will be done (a duplicate, the customer declined, the pump recovered). Closes the
    incident; no command goes to the device, so its agent keeps the fault until it clears."""
    if not reason.strip():
        raise InvalidTicketChange(f"ticket {ticket_id}: say why it is cancelled")

    def drop(t: Ticket, at: datetime) -> None:
        t.closed_at = at
        if t.incident is not None:
            incident_lifecycle.close_incident(t.incident, incident_lifecycle.CANCELLED, at)

    return _move(session, ticket_id, version, actor, TicketStatus.CANCELLED, now, reason, drop)


def assign(session: Session, ticket_id: int, *, version: int, actor: Actor, technician_id: int | None,
           now: datetime | None = None) -> Ticket:
    """Who goes (None: nobody yet)."""
    now = now or utcnow()
    ticket = _load(session, ticket_id, version)
    if ticket.status in FINISHED:
        raise InvalidTicketChange(f"ticket {ticket_id}: {ticket.status.value}, no one to send")
    _assign(session, ticket, technician_id, actor, now)
    ticket.updated_at = now
    _flush(session, ticket, version)
    return ticket


def set_priority(session: Session, ticket_id: int, *, version: int, actor: Actor, priority: int,
                 note: str = "", now: datetime | None = None, policy: SlaPolicy | None = None) -> Ticket:
    """A person sets the priority, either way; the deadlines follow (sla.retarget)."""
    now = now or utcnow()
    policy = policy or SlaPolicy()
    ticket = _load(session, ticket_id, version)
    if priority not in policy.targets:
        raise InvalidTicketChange(f"ticket {ticket_id}: priority {priority}: one of "
                                  f"{', '.join(map(str, sorted(policy.targets)))}")
    if ticket.status in FINISHED:
        raise InvalidTicketChange(f"ticket {ticket_id}: {ticket.status.value}, its priority no longer matters")
    if priority != ticket.priority:
        old = ticket.priority
        sla.retarget(ticket, priority, now, policy)
        ticket.updated_at = now
        record_change(session, ticket, actor, "priority", str(old), str(priority), note, now)
        _flush(session, ticket, version)
    return ticket


def add_note(session: Session, ticket_id: int, *, actor: Actor, note: str, now: datetime | None = None) -> TicketChange:
    """A note in the history; it changes nothing else, so it needs no version."""
    if not note.strip():
        raise InvalidTicketChange(f"ticket {ticket_id}: empty note")
    ticket = get_ticket(session, ticket_id)
    return record_change(session, ticket, actor, "note", None, None, note, now or utcnow())


# ---- the machinery ------------------------------------------------------------------------------

def _load(session: Session, ticket_id: int, version: int) -> Ticket:
    ticket = get_ticket(session, ticket_id, lock=True)
    if ticket.version != version:
        raise StaleTicket(ticket_id, version, ticket.version)
    return ticket


def _move(session: Session, ticket_id: int, version: int, actor: Actor, to: TicketStatus, now: datetime | None,
          note: str, then=None, ticket: Ticket | None = None) -> Ticket:
    now = now or utcnow()
    t = ticket or _load(session, ticket_id, version)
    came_from = t.status
    if not (came_from == TicketStatus.WAITING_ON_CUSTOMER and to == t.resume_status):
        check_transition(ticket_id, came_from, to)
    if came_from == TicketStatus.WAITING_ON_CUSTOMER:
        waited = sla.unpause(t, now)
        t.resume_status = None
        note = (note + " " if note else "") + f"(waited {waited.total_seconds() / 3600:.1f} h; deadlines moved)"
    if came_from == TicketStatus.OPEN and to != TicketStatus.CANCELLED:
        sla.note_response(t, now)
    if to == TicketStatus.WAITING_ON_CUSTOMER:
        t.resume_status = came_from
        sla.pause(t, now)
    t.status = to
    if then is not None:
        then(t, now)
    t.agreement_status = sla.agreement_status(t)
    t.updated_at = now
    record_change(session, t, actor, "status", came_from.value, to.value, note, now)
    _flush(session, t, version)
    return t


def _assign(session: Session, t: Ticket, technician_id: int | None, actor: Actor, now: datetime) -> None:
    with session.no_autoflush:  # a flush halfway through one change (a lookup) would count it as two versions
        if technician_id is not None:
            user = session.get(User, technician_id)
            if user is None or user.role != Role.TECHNICIAN or not user.active:
                raise InvalidTicketChange(f"ticket {t.id}: user {technician_id} is not an active technician")
        before = t.technician.name if t.technician is not None else None
        t.technician_id = technician_id
        after = session.get(User, technician_id).name if technician_id is not None else None
    record_change(session, t, actor, "assign", before, after, "", now)


def record_change(session: Session, t: Ticket, actor: Actor, action: str, before: str | None, after: str | None,
                  note: str, now: datetime) -> TicketChange:
    """One history entry (the incident logic records what happened to the incident here too)."""
    change = TicketChange(ticket_id=t.id, at=now, user_id=actor.user_id, actor=actor.name, action=action,
                          from_value=before, to_value=after, note=note)
    session.add(change)
    # the customer hears of the steps that concern them, in the same transaction; without autoflush, so a
    # change of several fields (a visit with its technician) is still one flush and one version
    with session.no_autoflush:
        queue_notifications(session, t, change)
    return change


def _flush(session: Session, t: Ticket, version: int) -> None:
    try:
        session.flush()
    except StaleDataError:
        raise StaleTicket(t.id, version, None) from None


def _window_text(t: Ticket) -> str | None:
    if t.visit_window_start is None or t.visit_window_end is None:
        return None
    return f"{t.visit_window_start:%Y-%m-%d %H:%M}..{t.visit_window_end:%Y-%m-%d %H:%M} UTC"


# ---- who hears of a change ----------------------------------------------------------------------

def announce_change(session: Session, ticket: Ticket, entry: TicketChange) -> None:
    """The one place a ticket change leaves the gateway: once per history entry, in the change's own
    transaction (it commits with the change or not at all), after the ticket's flush (the ticket as
    the transaction leaves it). Called by ``_announce_pending``; do not call it yourself."""
    enqueue_ticket_change(session, ticket, entry)


# Every ``ticket_history`` row a session flushes is noted (whoever made it: record_change, the SLA
# sweep, a test); just before the session commits, each is announced. A savepoint rolled back takes
# its entries with it (they are no longer persistent); a rolled-back transaction announces nothing.
_PENDING = "heatwatch.ticket_changes"


@event.listens_for(Session, "after_flush")
def _note_new_entries(session: Session, _flush_context: object) -> None:
    new = [o for o in session.new if isinstance(o, TicketChange)]
    if new:
        session.info.setdefault(_PENDING, []).extend(new)


@event.listens_for(Session, "before_commit")
def _announce_pending(session: Session) -> None:
    if not session.info.get(_PENDING) and not any(isinstance(o, TicketChange) for o in session.new):
        return
    done: set[int] = set()
    while True:
        session.flush()  # the tickets as the transaction leaves them; new entries noted
        entries = [e for e in session.info.pop(_PENDING, []) if inspect(e).persistent and e.id not in done]
        if not entries:
            return
        for entry in sorted(entries, key=lambda e: e.id):
            done.add(entry.id)
            announce_change(session, entry.ticket, entry)


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the whole transaction ended (committed, announced, or rolled back)
        session.info.pop(_PENDING, None)
