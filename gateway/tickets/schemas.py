"""The wire shapes of tickets and their history (the tables are in models.py).

The same shapes go out in the webhooks (webhooks/service.py): an external
field-service system reads a ticket as the API shows it.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, case, type_coerce

from heatwatch.gateway.db import UtcDateTime
from heatwatch.gateway.tickets.models import (
    AgreementStatus,
    ResolutionCode,
    Ticket,
    TicketStatus,
)

# what stays open: the work a dispatcher's board shows
ACTIVE_STATUSES = (TicketStatus.OPEN, TicketStatus.ACKNOWLEDGED, TicketStatus.SCHEDULED, TicketStatus.IN_PROGRESS,
                   TicketStatus.WAITING_ON_CUSTOMER)


def sla_deadline() -> ColumnElement:
    """The deadline the ticket is racing now: the response until someone responded, then the resolution."""
    return type_coerce(case((Ticket.responded_at.is_(None), Ticket.response_by), else_=Ticket.resolution_by),
                       UtcDateTime())


class TicketChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    user_id: int | None = Field(description="null: the gateway itself")
    actor: str
    action: str = Field(description="created | status | priority | assign | schedule | note | sla")
    from_value: str | None
    to_value: str | None
    note: str


class TicketOut(BaseModel):
    id: int
    incident_id: int | None = Field(description="null: a ticket without an incident (a customer's call)")
    device_id: str
    customer_id: int | None = Field(description="the customer of the device's site")
    title: str
    status: TicketStatus
    priority: int = Field(description="1 is the most urgent")
    response_by: datetime
    resolution_by: datetime
    sla_deadline: datetime = Field(description="response_by until the first response, then resolution_by")
    agreement_status: AgreementStatus
    sla_paused_at: datetime | None
    sla_paused_seconds: float
    responded_at: datetime | None
    visit_window_start: datetime | None
    visit_window_end: datetime | None
    technician_id: int | None
    resolution_code: ResolutionCode | None
    resolution_note: str
    resolved_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="rises with every change")

    @classmethod
    def of(cls, t: Ticket) -> TicketOut:
        site = t.device.site
        return cls(
            id=t.id, incident_id=t.incident_id, device_id=t.device_id, customer_id=site.customer_id if site else None,
            title=t.title, status=t.status, priority=t.priority, response_by=t.response_by,
            resolution_by=t.resolution_by, sla_deadline=t.response_by if t.responded_at is None else t.resolution_by,
            agreement_status=t.agreement_status, sla_paused_at=t.sla_paused_at,
            sla_paused_seconds=t.sla_paused_seconds, responded_at=t.responded_at,
            visit_window_start=t.visit_window_start, visit_window_end=t.visit_window_end,
            technician_id=t.technician_id, resolution_code=t.resolution_code, resolution_note=t.resolution_note,
            resolved_at=t.resolved_at, closed_at=t.closed_at, created_at=t.created_at, updated_at=t.updated_at,
            version=t.version)


class TicketDetail(TicketOut):
    history: list[TicketChangeOut] = Field(description="every change, oldest first")

    @classmethod
    def of(cls, t: Ticket) -> TicketDetail:
        return cls(**TicketOut.of(t).model_dump(), history=[TicketChangeOut.model_validate(c) for c in t.history])
