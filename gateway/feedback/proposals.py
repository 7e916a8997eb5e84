"""Visit windows a dispatcher offers and the one the customer picks.

``propose`` offers 1-3 windows for a ticket (replacing any still on offer),
writes a history entry and queues the customer's "visit proposed" message in
the same transaction. ``pick`` is the customer's choice on the status page: it
schedules the ticket through ``tickets.service.schedule`` (the lifecycle, the
version check and the "visit booked" message all come from there), marks the
window chosen and withdraws the others. Callers commit.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from heatwatch.gateway.db import utcnow
from heatwatch.gateway.feedback.models import VisitProposal
from heatwatch.gateway.notifications import outbox, steps
from heatwatch.gateway.tickets import service
from heatwatch.gateway.tickets.lifecycle import FINISHED
from heatwatch.gateway.tickets.models import Ticket, TicketStatus
from heatwatch.gateway.tickets.service import Actor, InvalidTicketChange, StaleTicket
from heatwatch.gateway.users.models import Role, User

MAX_WINDOWS = 3
PROPOSE = "propose_visits"  # the history entry's action


class ProposalGone(Exception):
    """The window is no longer offered (another was picked, the dispatcher offered new ones or booked
    the visit directly, or its time has passed)."""


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)


def propose(session: Session, ticket_id: int, *, version: int, actor: Actor,
            windows: list[tuple[datetime, datetime]], technician_id: int | None = None,
            now: datetime | None = None) -> list[VisitProposal]:
    """Offer ``windows`` (1-3, in the future) for the ticket's visit; the ones still on offer are withdrawn."""
    now = now or utcnow()
    if not 1 <= len(windows) <= MAX_WINDOWS:
        raise InvalidTicketChange(f"ticket {ticket_id}: offer 1 to {MAX_WINDOWS} visit windows, not {len(windows)}")
    windows = sorted((_aware(s), _aware(e)) for s, e in windows)
    for start, end in windows:
        if not start < end:
            raise InvalidTicketChange(f"ticket {ticket_id}: visit window must end after it starts "
                                      f"({start:%Y-%m-%d %H:%M} .. {end:%Y-%m-%d %H:%M})")
        if start <= now:
            raise InvalidTicketChange(f"ticket {ticket_id}: visit window {start:%Y-%m-%d %H:%M} UTC has begun")
    if len({s for s, _ in windows}) != len(windows):
        raise InvalidTicketChange(f"ticket {ticket_id}: the same window is offered twice")
    ticket = service.get_ticket(session, ticket_id, lock=True)
    if ticket.version != version:
        raise StaleTicket(ticket_id, version, ticket.version)
    if ticket.status in FINISHED or TicketStatus.SCHEDULED not in service.allowed_transitions(ticket):
        raise InvalidTicketChange(f"ticket {ticket_id} is {ticket.status.value}: no visit to offer")
    if technician_id is not None:
        user = session.get(User, technician_id)
        if user is None or user.role != Role.TECHNICIAN or not user.active:
            raise InvalidTicketChange(f"ticket {ticket_id}: user {technician_id} is not an active technician")
    withdraw_open(session, ticket_id, now)
    rows = [VisitProposal(ticket_id=ticket_id, window_start=s, window_end=e, technician_id=technician_id,
                          proposed_at=now, proposed_by=actor.name[:200]) for s, e in windows]
    session.add_all(rows)
    text = "; ".join(f"{s:%Y-%m-%d %H:%M}..{e:%H:%M}" for s, e in windows) + " UTC"
    service.record_change(session, ticket, actor, PROPOSE, None, text[:200], "", now)
    outbox.queue_step(session, ticket, steps.proposal(ticket, windows), now=now)
    session.flush()
    return rows


def withdraw_open(session: Session, ticket_id: int, now: datetime, keep: int | None = None) -> None:
    """Take back the windows still on offer (but ``keep``)."""
    session.execute(update(VisitProposal).where(VisitProposal.ticket_id == ticket_id,
                                                VisitProposal.chosen_at.is_(None),
                                                VisitProposal.withdrawn_at.is_(None),
                                                VisitProposal.id != (keep or 0))
                    .values(withdrawn_at=now), execution_options={"synchronize_session": "fetch"})


def book(session: Session, ticket_id: int, *, version: int, actor: service.Actor, window_start: datetime,
         window_end: datetime, technician_id: int | None = None, note: str = "") -> Ticket:
    """A dispatcher books (or moves) the visit themselves: ``service.schedule``, and the windows still
    on offer are taken back, so none is left open in the database for a visit that is already set."""
    ticket = service.schedule(session, ticket_id, version=version, actor=actor, window_start=window_start,
                              window_end=window_end, technician_id=technician_id, note=note)
    withdraw_open(session, ticket_id, utcnow())
    return ticket


def on_offer(session: Session, ticket: Ticket, now: datetime | None = None) -> list[VisitProposal]:
    """The windows the customer may pick now: not withdrawn or chosen, not begun, the ticket still
    open to scheduling, and no visit booked since they were offered."""
    now = now or utcnow()
    if ticket.status in FINISHED or TicketStatus.SCHEDULED not in service.allowed_transitions(ticket):
        return []
    rows = session.scalars(select(VisitProposal).where(
        VisitProposal.ticket_id == ticket.id, VisitProposal.chosen_at.is_(None),
        VisitProposal.withdrawn_at.is_(None)).order_by(VisitProposal.window_start)).all()
    booked = [c.at for c in ticket.history if c.action == "schedule"]
    return [r for r in rows if _aware(r.window_start) > now
            and not any(_aware(b) >= _aware(r.proposed_at) for b in booked)]


def pick(session: Session, ticket_id: int, proposal_id: int, *, version: int, actor: Actor,
         now: datetime | None = None) -> Ticket:
    """The customer takes one window: the ticket is scheduled for it, the others are withdrawn.
    Raises ProposalGone, StaleTicket (the ticket changed since the customer's page), and the
    service's InvalidTransition."""
    now = now or utcnow()
    ticket = service.get_ticket(session, ticket_id, lock=True)
    proposal = session.get(VisitProposal, proposal_id)
    if proposal is None or proposal.ticket_id != ticket_id:
        raise ProposalGone(f"ticket {ticket_id}: no window {proposal_id}")
    if ticket.version != version:
        raise StaleTicket(ticket_id, version, ticket.version)
    if proposal not in on_offer(session, ticket, now):
        raise ProposalGone(f"ticket {ticket_id}: window {proposal_id} is no longer offered")
    ticket = service.schedule(session, ticket_id, version=version, actor=actor,
                              window_start=_aware(proposal.window_start), window_end=_aware(proposal.window_end),
                              technician_id=proposal.technician_id, now=now, note="picked on the status page")
    withdraw_open(session, ticket_id, now, keep=proposal.id)
    # a visit picked earlier (the dispatcher offered new windows since): one chosen per ticket
    session.execute(update(VisitProposal).where(VisitProposal.ticket_id == ticket_id,
                                                VisitProposal.chosen_at.is_not(None))
                    .values(chosen_at=None, withdrawn_at=now), execution_options={"synchronize_session": "fetch"})
    session.flush()
    proposal.chosen_at = now
    session.flush()
    return ticket
