"""/tickets: the work, read side. A dispatcher's board is ``GET /tickets?active=true``: the most
urgent first (priority, then the deadline the ticket races now), a page at a time.

Technicians read every ticket (see access.py); a customer reads the tickets of their own
devices. The actions (acknowledge, schedule, start, resolve, ...) are in actions_router.py.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field

from heatwatch.gateway.access import find, tickets_visible
from heatwatch.gateway.api.errors import AUTH_ERRORS, NOT_FOUND
from heatwatch.gateway.api.pagination import Cursor, Limit, Page, page
from heatwatch.gateway.api.types import RowId, RowIdQuery
from heatwatch.gateway.deps import CurrentUser, SessionDep
from heatwatch.gateway.devices.router import DevicePath
from heatwatch.gateway.settings import PRIORITIES
from heatwatch.gateway.tickets.models import Ticket, TicketStatus
from heatwatch.gateway.tickets.queries import ORDER, ticket_list
from heatwatch.gateway.tickets.schemas import TicketDetail, TicketOut

router = APIRouter(prefix="/tickets", tags=["tickets"], responses=AUTH_ERRORS)
Priority = Annotated[int, Field(ge=min(PRIORITIES), le=max(PRIORITIES))]


@router.get("", response_model=Page[TicketOut])
def list_tickets(session: SessionDep, user: CurrentUser,
                 status: list[TicketStatus] = Query([], description="repeat for several"),
                 active: bool | None = Query(None, description="true: not resolved, closed or cancelled"),
                 priority: list[Priority] = Query([], description="repeat for several; 1 is the most urgent"),
                 device_id: DevicePath | None = None, customer_id: RowIdQuery | None = None,
                 technician_id: RowIdQuery | None = None, limit: int = Limit, cursor: str | None = Cursor):
    stmt = ticket_list(user, status=status, active=active, priority=priority, device_id=device_id,
                       customer_id=customer_id, technician_id=technician_id)
    rows, next_cursor = page(session, stmt, ORDER, cursor=cursor, limit=limit, name="tickets")
    return Page(items=[TicketOut.of(t) for t in rows], next_cursor=next_cursor)


@router.get("/{ticket_id}", responses=NOT_FOUND, response_model=TicketDetail)
def get_ticket(ticket_id: RowId, session: SessionDep, user: CurrentUser):
    ticket = find(session, Ticket, ticket_id, tickets_visible(user), "ticket")
    session.refresh(ticket, ["history"])
    return TicketDetail.of(ticket)
