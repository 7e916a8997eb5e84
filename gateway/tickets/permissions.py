"""Who may do what to a ticket, and what a ticket allows now.

- admin and dispatcher: every action;
- technician: start, wait on the customer, resume, resolve and add notes, on the
  tickets assigned to them only (they read every ticket: access.py);
- customer: none (they read their own tickets; another customer's is a 404,
  checked before this).
"""

from __future__ import annotations

from enum import StrEnum

from fastapi import HTTPException, status

from heatwatch.gateway.incidents.models import IncidentState
from heatwatch.gateway.tickets.lifecycle import FINISHED
from heatwatch.gateway.tickets.models import Ticket, TicketStatus
from heatwatch.gateway.tickets.service import allowed_transitions
from heatwatch.gateway.users.models import Role
from heatwatch.gateway.users.service import Principal


class Action(StrEnum):
    """The actions, named as their paths: POST /tickets/{id}/<action>."""

    ACKNOWLEDGE = "acknowledge"
    SCHEDULE = "schedule"
    START = "start"
    WAIT_ON_CUSTOMER = "wait-on-customer"
    RESUME = "resume"
    RESOLVE = "resolve"
    CLOSE = "close"
    CANCEL = "cancel"
    ASSIGN = "assign"
    PRIORITY = "priority"
    NOTE = "note"
    CONFIRM_CLOSE = "confirm-close"
    REJECT_CLOSE = "reject-close"


TECHNICIAN_ACTIONS = frozenset({Action.START, Action.WAIT_ON_CUSTOMER, Action.RESUME, Action.RESOLVE, Action.NOTE})
# the status each lifecycle action moves to
_MOVES = {Action.ACKNOWLEDGE: TicketStatus.ACKNOWLEDGED, Action.SCHEDULE: TicketStatus.SCHEDULED,
          Action.START: TicketStatus.IN_PROGRESS, Action.WAIT_ON_CUSTOMER: TicketStatus.WAITING_ON_CUSTOMER,
          Action.RESOLVE: TicketStatus.RESOLVED, Action.CLOSE: TicketStatus.CLOSED,
          Action.CANCEL: TicketStatus.CANCELLED}


def check(user: Principal, ticket: Ticket, action: Action) -> None:
    """403 if ``user``'s role may not do ``action`` to this ticket (the ticket is one they may see)."""
    if user.role in (Role.ADMIN, Role.DISPATCHER):
        return
    if user.role is Role.TECHNICIAN:
        if action not in TECHNICIAN_ACTIONS:
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"a technician may not {action.value} a ticket "
                                f"(a technician may: {', '.join(sorted(TECHNICIAN_ACTIONS))}); ask a dispatcher")
        if ticket.technician_id != user.user_id:
            whose = "nobody" if ticket.technician_id is None else "another technician"
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"ticket {ticket.id} is assigned to {whose}: "
                                "a technician acts on their own tickets only")
        return
    raise HTTPException(status.HTTP_403_FORBIDDEN, f"a {user.role.value} may not change tickets")


def allowed_actions(user: Principal, ticket: Ticket) -> list[Action]:
    """The actions ``user`` may take on ``ticket`` now (its status, the role, the assignment)."""
    if user.is_customer or (user.role is Role.TECHNICIAN and ticket.technician_id != user.user_id):
        return []
    moves = allowed_transitions(ticket)
    acts = [a for a, to in _MOVES.items() if to in moves]
    if ticket.status is TicketStatus.WAITING_ON_CUSTOMER and ticket.resume_status is not None:
        acts.append(Action.RESUME)
    if ticket.status not in FINISHED:
        acts += [Action.ASSIGN, Action.PRIORITY]
    acts.append(Action.NOTE)
    incident = ticket.incident
    if incident is not None and incident.state is IncidentState.OPEN and incident.close_proposed_at is not None:
        acts += [Action.CONFIRM_CLOSE, Action.REJECT_CLOSE]
    if user.role is Role.TECHNICIAN:
        acts = [a for a in acts if a in TECHNICIAN_ACTIONS]
    return sorted(acts, key=list(Action).index)
