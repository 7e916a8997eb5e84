"""The ticket list's query, one for the JSON API (``GET /tickets``) and the dispatcher board, so both
show the same tickets in the same order: the most urgent first (priority, then the deadline the
ticket races now, then its id)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from heatwatch.gateway.access import tickets_visible
from heatwatch.gateway.api.pagination import SortKey
from heatwatch.gateway.customers.models import Site
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.tickets.models import Ticket, TicketStatus
from heatwatch.gateway.tickets.schemas import ACTIVE_STATUSES, sla_deadline
from heatwatch.gateway.users.service import Principal

ORDER = (SortKey(Ticket.priority, "int"), SortKey(sla_deadline(), "time"), SortKey(Ticket.id, "int"))


def ticket_list(user: Principal, *, status: Sequence[TicketStatus] = (), active: bool | None = None,
                priority: Sequence[int] = (), device_id: str | None = None, customer_id: int | None = None,
                technician_id: int | None = None) -> Select:
    """The tickets ``user`` may see that match the filters, unordered (order by ``ORDER``, or page
    with it); each with its device and site loaded."""
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
    return stmt
