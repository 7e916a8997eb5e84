"""/tickets/{id}/<action>: what people do to a ticket (the lifecycle: tickets/lifecycle.py).

Each action is a POST whose body carries the ``version`` of the ticket the person saw; it
answers the ticket as the change leaves it (``TicketDetail``, with the new version). Refusals:

- 404: no such ticket, or one the caller may not see (a customer: another customer's);
- 403: the role may not do this, or a technician's ticket is not theirs (permissions.py);
- 409: the ticket changed since ``version`` (someone else acted: read it again, then decide),
  or the lifecycle does not allow the move now (the message says what it allows);
- 422: a body that is wrong (a window that ends before it starts, no such technician, ...).

A refused change writes nothing and queues no webhook. ``GET /tickets/{id}/actions`` lists what
the caller may do now, for a board's buttons.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status

from heatwatch.gateway.access import find, tickets_visible
from heatwatch.gateway.api.errors import AUTH_ERRORS, CONFLICT, NOT_FOUND, invalid
from heatwatch.gateway.api.types import RowId
from heatwatch.gateway.deps import CurrentUser, SessionDep
from heatwatch.gateway.feedback import proposals
from heatwatch.gateway.feedback.schemas import ProposalOut, ProposeBody, Proposed
from heatwatch.gateway.incidents.service import IncidentError, Incidents
from heatwatch.gateway.tickets import service
from heatwatch.gateway.tickets.action_schemas import (
    AssignBody,
    CancelBody,
    Change,
    NoteBody,
    PriorityBody,
    ResolveBody,
    ScheduleBody,
    TicketActions,
)
from heatwatch.gateway.tickets.models import Ticket
from heatwatch.gateway.tickets.permissions import Action, allowed_actions, check
from heatwatch.gateway.tickets.schemas import TicketDetail
from heatwatch.gateway.tickets.service import (
    Actor,
    InvalidTicketChange,
    InvalidTransition,
    StaleTicket,
    TicketNotFound,
)
from heatwatch.gateway.tickets.sla import SlaPolicy
from heatwatch.gateway.users.models import Role
from heatwatch.gateway.users.service import Principal

router = APIRouter(prefix="/tickets", tags=["tickets"], responses=AUTH_ERRORS | NOT_FOUND)
_CHANGE: dict[str, Any] = {"response_model": TicketDetail, "responses": CONFLICT}  # every action


def _act(session: SessionDep, user: Principal, ticket_id: int, action: Action,
         change: Callable[[Actor], Any]) -> TicketDetail:
    """Find the ticket as the caller may see it (404), check the role (403), change it, commit,
    and answer the ticket as it is now; the service's refusals become 404/409/422."""
    ticket = find(session, Ticket, ticket_id, tickets_visible(user), "ticket")
    check(user, ticket, action)
    try:
        change(Actor.of(user))
    except TicketNotFound as e:  # deleted meanwhile
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(e)) from None
    except (StaleTicket, InvalidTransition, IncidentError) as e:
        raise HTTPException(status.HTTP_409_CONFLICT, str(e)) from None
    except InvalidTicketChange as e:
        raise invalid(("body",), str(e)) from None
    session.commit()
    ticket = service.get_ticket(session, ticket_id)
    session.refresh(ticket, ["history"])
    return TicketDetail.of(ticket)


@router.get("/{ticket_id}/actions", response_model=TicketActions)
def ticket_actions(ticket_id: RowId, session: SessionDep, user: CurrentUser):
    ticket = find(session, Ticket, ticket_id, tickets_visible(user), "ticket")
    return TicketActions(ticket_id=ticket.id, version=ticket.version, status=ticket.status,
                         actions=allowed_actions(user, ticket))


@router.post("/{ticket_id}/acknowledge", **_CHANGE)
def acknowledge(ticket_id: RowId, body: Change, session: SessionDep, user: CurrentUser):
    """open -> acknowledged: someone has it (the SLA's response; reminders stop)."""
    return _act(session, user, ticket_id, Action.ACKNOWLEDGE, lambda actor: service.acknowledge(
        session, ticket_id, version=body.version, actor=actor, note=body.note))


@router.post("/{ticket_id}/schedule", **_CHANGE)
def schedule(ticket_id: RowId, body: ScheduleBody, session: SessionDep, user: CurrentUser):
    """Book the visit (or move it): a window and, optionally, the technician who goes."""
    return _act(session, user, ticket_id, Action.SCHEDULE, lambda actor: proposals.book(
        session, ticket_id, version=body.version, actor=actor, window_start=body.window_start,
        window_end=body.window_end, technician_id=body.technician_id, note=body.note))


@router.post("/{ticket_id}/start", **_CHANGE)
def start_work(ticket_id: RowId, body: Change, session: SessionDep, user: CurrentUser):
    """The technician is at the pump: in progress."""
    return _act(session, user, ticket_id, Action.START, lambda actor: service.start_work(
        session, ticket_id, version=body.version, actor=actor, note=body.note))


@router.post("/{ticket_id}/wait-on-customer", **_CHANGE)
def wait_on_customer(ticket_id: RowId, body: Change, session: SessionDep, user: CurrentUser):
    """Waiting on the customer (access, a decision, a part they order): the SLA clock pauses."""
    return _act(session, user, ticket_id, Action.WAIT_ON_CUSTOMER, lambda actor: service.wait_on_customer(
        session, ticket_id, version=body.version, actor=actor, note=body.note))


@router.post("/{ticket_id}/resume", **_CHANGE)
def resume(ticket_id: RowId, body: Change, session: SessionDep, user: CurrentUser):
    """The customer answered: back to the status the ticket had; the deadlines move by the wait."""
    return _act(session, user, ticket_id, Action.RESUME, lambda actor: service.resume(
        session, ticket_id, version=body.version, actor=actor, note=body.note))


@router.post("/{ticket_id}/resolve", **_CHANGE)
def resolve(ticket_id: RowId, body: ResolveBody, session: SessionDep, user: CurrentUser):
    """The work is done: closes the incident and tells the device's agent the pump was repaired."""
    return _act(session, user, ticket_id, Action.RESOLVE, lambda actor: service.resolve(
        session, ticket_id, version=body.version, actor=actor, code=body.resolution_code, note=body.summary))


@router.post("/{ticket_id}/close", **_CHANGE)
def close(ticket_id: RowId, body: Change, session: SessionDep, user: CurrentUser):
    """resolved -> closed: nothing more to do."""
    return _act(session, user, ticket_id, Action.CLOSE, lambda actor: service.close(
        session, ticket_id, version=body.version, actor=actor, note=body.note))


@router.post("/{ticket_id}/cancel", **_CHANGE)
def cancel(ticket_id: RowId, body: CancelBody, session: SessionDep, user: CurrentUser):
    """No work will be done (a duplicate, the customer declined); no command goes to the device."""
    return _act(session, user, ticket_id, Action.CANCEL, lambda actor: service.cancel(
        session, ticket_id, version=body.version, actor=actor, reason=body.reason))


@router.post("/{ticket_id}/assign", **_CHANGE)
def assign(ticket_id: RowId, body: AssignBody, session: SessionDep, user: CurrentUser):
    """Who goes (null: nobody yet)."""
    return _act(session, user, ticket_id, Action.ASSIGN, lambda actor: service.assign(
        session, ticket_id, version=body.version, actor=actor, technician_id=body.technician_id))


@router.post("/{ticket_id}/priority", **_CHANGE)
def set_priority(ticket_id: RowId, body: PriorityBody, request: Request, session: SessionDep, user: CurrentUser):
    """A person sets the priority, either way; the deadlines follow (gateway.toml's [sla])."""
    policy = SlaPolicy.from_settings(request.app.state.settings)
    return _act(session, user, ticket_id, Action.PRIORITY, lambda actor: service.set_priority(
        session, ticket_id, version=body.version, actor=actor, priority=body.priority, note=body.note,
        policy=policy))


@router.post("/{ticket_id}/note", **_CHANGE)
def add_note(ticket_id: RowId, body: NoteBody, session: SessionDep, user: CurrentUser):
    """A note in the history; it changes nothing else, so it needs no version."""
    return _act(session, user, ticket_id, Action.NOTE, lambda actor: service.add_note(
        session, ticket_id, actor=actor, note=body.note))


def _proposal(session: SessionDep, ticket_id: int, version: int) -> int:
    """The ticket's incident, once the ticket is locked at the version the person saw."""
    ticket = service.get_ticket(session, ticket_id, lock=True)
    if ticket.version != version:
        raise StaleTicket(ticket_id, version, ticket.version)
    if ticket.incident_id is None:
        raise InvalidTicketChange(f"ticket {ticket_id} has no incident: nothing was proposed to close")
    return ticket.incident_id


@router.post("/{ticket_id}/confirm-close", **_CHANGE)
def confirm_close(ticket_id: RowId, body: Change, request: Request, session: SessionDep, user: CurrentUser):
    """The pump recovered by itself and needs nothing: close its incident, cancel the ticket."""
    incidents = Incidents.from_settings(request.app.state.settings)
    return _act(session, user, ticket_id, Action.CONFIRM_CLOSE, lambda actor: incidents.confirm_close(
        session, _proposal(session, ticket_id, body.version), actor, note=body.note))


@router.post("/{ticket_id}/reject-close", **_CHANGE)
def reject_close(ticket_id: RowId, body: Change, request: Request, session: SessionDep, user: CurrentUser):
    """The recovery is not trusted: the incident and its ticket stay open, the proposal goes."""
    incidents = Incidents.from_settings(request.app.state.settings)
    return _act(session, user, ticket_id, Action.REJECT_CLOSE, lambda actor: incidents.reject_close(
        session, _proposal(session, ticket_id, body.version), actor, note=body.note))


@router.post("/{ticket_id}/propose-visits", response_model=Proposed, responses=CONFLICT)
def propose_visits(ticket_id: RowId, body: ProposeBody, session: SessionDep, user: CurrentUser):
    """Offer the customer 1-3 visit windows (dispatcher, admin): they pick one on their status page,
    which books it. Windows still on offer are withdrawn; the customer gets a "visit proposed" message."""
    ticket = find(session, Ticket, ticket_id, tickets_visible(user), "ticket")
    if user.role not in (Role.ADMIN, Role.DISPATCHER):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"a {user.role.value} may not propose visits; ask a dispatcher")
    try:
        rows = proposals.propose(session, ticket.id, version=body.version, actor=Actor.of(user),
                                 windows=[(w.start, w.end) for w in body.windows], technician_id=body.technician_id)
    except (StaleTicket, InvalidTransition) as e:
        raise HTTPException(status.HTTP_409_CONFLICT, str(e)) from None
    except InvalidTicketChange as e:
        raise invalid(("body",), str(e)) from None
    out = Proposed(ticket_id=ticket.id, version=ticket.version,
                   proposals=[ProposalOut(id=r.id, window_start=r.window_start, window_end=r.window_end,
                                          technician_id=r.technician_id) for r in rows])
    session.commit()
    return out
