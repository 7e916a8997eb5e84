"""/tickets: the work, read side. A dispatcher's board is ``GET /tickets?active=true``: the most
urgent first (priority, then the deadline the ticket races now), a page at a time.

Technicians read every ticket (see access.py); a customer reads the tickets of their own
devices. The actions (acknowledge, schedule, start, resolve, ...) are in actions_router.py.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import Field
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from heatwatch.gateway.access import find, tickets_visible
from heatwatch.gateway.api.errors import AUTH_ERRORS, NOT_FOUND
from heatwatch.gateway.api.pagination import Cursor, Limit, Page, SortKey, page
from heatwatch.gateway.api.types import RowId, RowIdQuery
from heatwatch.gateway.customers.models import Site
from heatwatch.gateway.deps import CurrentUser, SessionDep
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.devices.router import DevicePath
from heatwatch.gateway.settings import PRIORITIES
from heatwatch.gateway.tickets.models import Ticket, TicketStatus
from heatwatch.gateway.tickets.schemas import ACTIVE_STATUSES, TicketDetail, TicketOut, sla_deadline

router = APIRouter(prefix="/tickets", tags=["tickets"], responses=AUTH_ERRORS)
Priority = Annotated[int, Field(ge=min(PRIORITIES), le=max(PRIORITIES))]
_ORDER = (SortKey(Ticket.priority, "int"), SortKey(sla_deadline(), "time"), SortKey(Ticket.id, "int"))


@router.get("", response_model=Page[TicketOut])
def list_tickets(session: SessionDep, user: CurrentUser,
                 status: list[TicketStatus] = Query([], description="repeat for several"),
                 active: bool | None = Query(None, description="true: not resolved, closed or cancelled"),
                 priority: list[Priority] = Query([], description="repeat for several; 1 is the most urgent"),
                 device_id: DevicePath | None = None, customer_id: RowIdQuery | None = None,
                 technician_id: RowIdQuery | None = None, limit: int = Limit, cursor: str | None = Cursor):
    stmt = select(Ticket).where(tickets_visible(user)).options(joinedload(Ticket.device).joinedload(Device.site))
    if status:
        stmt = stmt.where(Ticket.status.in_(status))
    if active is not None:
        stmt = stmt.where(Ticket.status.in_(ACTIVE_STATUSES) if active else Ticket.status.not_in(ACTIVE_STATUSES))
    if priority:
        stmt = stmt.where(Ticket.priority.in_(priority))
    if device_id is not None:
        stmt = stmt.where(Ticket.device_id == device_id)
    if customer_id is not None:
        stmt = stmt.where(Ticket.device_id.in_(
            select(Device.id).join(Site, Device.site_id == Site.id).where(Site.customer_id == customer_id)))
    if technician_id is not None:
        stmt = stmt.where(Ticket.technician_id == technician_id)
    rows, next_cursor = page(session, stmt, _ORDER, cursor=cursor, limit=limit, name="tickets")
    return Page(items=[TicketOut.of(t) for t in rows], next_cursor=next_cursor)


@router.get("/{ticket_id}", responses=NOT_FOUND, response_model=TicketDetail)
def get_ticket(ticket_id: RowId, session: SessionDep, user: CurrentUser):
    ticket = find(session, Ticket, ticket_id, tickets_visible(user), "ticket")
    session.refresh(ticket, ["history"])
    return TicketDetail.of(ticket)
