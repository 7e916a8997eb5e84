"""A ticket's lifecycle: which status may follow which, and the errors a refused change raises.

::

    open -> acknowledged -> scheduled -> in_progress -> resolved -> closed
      \\________\\______________\\____________\\-> waiting_on_customer -> (back where it was)
      every status before resolved -> cancelled

- acknowledging (or any first move out of ``open``) is the SLA's response;
- ``scheduled`` needs a visit window; scheduling again moves the visit;
- ``in_progress`` may go back to ``scheduled`` (a second visit is needed);
- ``acknowledged`` may be resolved directly (fixed over the phone, or no
  fault found from the data);
- ``waiting_on_customer`` pauses the SLA clock; resuming returns to the
  status the ticket had (or a dispatcher moves it on: scheduled, in progress);
- ``resolved`` needs a resolution code and queues the device's ``repaired``
  command; it only goes on to ``closed``. A fault that comes back is a new
  incident and a new ticket, linked to the old one, not a reopened ticket.
"""

from __future__ import annotations

from heatwatch.gateway.tickets.models import TicketStatus as S

TRANSITIONS: dict[S, frozenset[S]] = {
    S.OPEN: frozenset({S.ACKNOWLEDGED, S.SCHEDULED, S.WAITING_ON_CUSTOMER, S.CANCELLED}),
    S.ACKNOWLEDGED: frozenset({S.SCHEDULED, S.IN_PROGRESS, S.WAITING_ON_CUSTOMER, S.RESOLVED, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.SCHEDULED, S.IN_PROGRESS, S.WAITING_ON_CUSTOMER, S.CANCELLED}),
    S.IN_PROGRESS: frozenset({S.SCHEDULED, S.WAITING_ON_CUSTOMER, S.RESOLVED, S.CANCELLED}),
    # resume() goes back to the ticket's resume_status, whichever it is
    S.WAITING_ON_CUSTOMER: frozenset({S.ACKNOWLEDGED, S.SCHEDULED, S.IN_PROGRESS, S.CANCELLED}),
    S.RESOLVED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.CANCELLED: frozenset(),
}
FINISHED = frozenset({S.RESOLVED, S.CLOSED, S.CANCELLED})  # the work is over (resolved awaits closing)
SLA_RUNNING = frozenset({S.OPEN, S.ACKNOWLEDGED, S.SCHEDULED, S.IN_PROGRESS})  # the clock runs


class TicketError(Exception):
    """A ticket change the service refuses; the message says why (the API answers 4xx)."""


class TicketNotFound(TicketError):
    def __init__(self, ticket_id: int) -> None:
        super().__init__(f"ticket {ticket_id}: no such ticket")
        self.ticket_id = ticket_id


class InvalidTransition(TicketError):
    def __init__(self, ticket_id: int, current: S, wanted: S) -> None:
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS[current])) or "none (it is finished)"
        super().__init__(f"ticket {ticket_id}: cannot go from {current.value} to {wanted.value}; "
                         f"from {current.value} it may go to: {allowed}")
        self.ticket_id, self.current, self.wanted = ticket_id, current, wanted


class StaleTicket(TicketError):
    """The change was based on an older version of the ticket: someone changed it meanwhile."""

    def __init__(self, ticket_id: int, expected: int, current: int | None) -> None:
        now = f"it is at version {current}" if current is not None else "it changed meanwhile"
        super().__init__(f"ticket {ticket_id}: changed since version {expected} ({now}); reload and retry")
        self.ticket_id, self.expected, self.current = ticket_id, expected, current


class InvalidTicketChange(TicketError):
    """The change itself is wrong: a visit window ending before it starts, no resolution code, ..."""


def check_transition(ticket_id: int, current: S, wanted: S) -> None:
    if wanted not in TRANSITIONS[current]:
        raise InvalidTransition(ticket_id, current, wanted)
