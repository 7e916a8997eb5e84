"""/incidents: one problem of one device, as the gateway keeps it from the agents' events.
Read-only here: incidents are opened, updated and closed by the events (incidents/service.py)."""

from __future__ import annotations

from fastapi import APIRouter, Query
from sqlalchemy import select

from heatwatch.gateway.access import find, incidents_visible
from heatwatch.gateway.api.errors import AUTH_ERRORS, NOT_FOUND
from heatwatch.gateway.api.pagination import Cursor, Limit, Page, SortKey, page
from heatwatch.gateway.api.types import RowId
from heatwatch.gateway.deps import CurrentUser, SessionDep
from heatwatch.gateway.devices.router import DevicePath
from heatwatch.gateway.incidents.models import Incident, IncidentEvent, IncidentState, Severity
from heatwatch.gateway.incidents.schemas import IncidentDetail, IncidentEventOut, IncidentOut
from heatwatch.gateway.ingest.models import ProcessedEvent
from heatwatch.gateway.tickets.models import Ticket

router = APIRouter(prefix="/incidents", tags=["incidents"], responses=AUTH_ERRORS)
# newest first: the incident a dispatcher looks for is usually the latest
_ORDER = (SortKey(Incident.opened_at, "time", descending=True), SortKey(Incident.id, "int", descending=True))
MAX_EVENTS = 500  # the newest events of an incident shown with it


@router.get("", response_model=Page[IncidentOut])
def list_incidents(session: SessionDep, user: CurrentUser, device_id: DevicePath | None = None,
                   state: IncidentState | None = None, severity: Severity | None = None,
                   fault: str | None = Query(None, pattern=r"^[a-z0-9_]{1,64}$", description="e.g. refrigerant_leak"),
                   limit: int = Limit, cursor: str | None = Cursor):
    stmt = select(Incident).where(incidents_visible(user))
    if device_id is not None:
        stmt = stmt.where(Incident.device_id == device_id)
    if state is not None:
        stmt = stmt.where(Incident.state == state)
    if severity is not None:
        stmt = stmt.where(Incident.severity == severity)
    if fault is not None:
        stmt = stmt.where(Incident.fault == fault)
    rows, next_cursor = page(session, stmt, _ORDER, cursor=cursor, limit=limit, name="incidents")
    return Page(items=[IncidentOut.model_validate(i) for i in rows], next_cursor=next_cursor)


@router.get("/{incident_id}", responses=NOT_FOUND, response_model=IncidentDetail)
def get_incident(incident_id: RowId, session: SessionDep, user: CurrentUser):
    incident = find(session, Incident, incident_id, incidents_visible(user), "incident")
    events = session.scalars(
        select(ProcessedEvent).join(IncidentEvent, IncidentEvent.event_id == ProcessedEvent.event_id)
        .where(IncidentEvent.incident_id == incident.id)
        .order_by(ProcessedEvent.ts.desc(), ProcessedEvent.event_id).limit(MAX_EVENTS)).all()
    ticket_id = session.scalar(select(Ticket.id).where(Ticket.incident_id == incident.id))
    return IncidentDetail(**IncidentOut.model_validate(incident).model_dump(), ticket_id=ticket_id,
                          events=[IncidentEventOut.model_validate(e) for e in events])
