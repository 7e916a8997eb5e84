"""/devices: one edge agent and the pump it watches. An admin registers a device (provisioning
gives it its MQTT credentials); the office places it at a site and names it; technicians read;
a customer reads the devices at their own sites. Telemetry is read per device."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from heatwatch.contract import DEVICE_ID_PATTERN
from heatwatch.gateway.access import devices_visible, find
from heatwatch.gateway.api.editing import apply_changes
from heatwatch.gateway.api.errors import AUTH_ERRORS, CONFLICT, NOT_FOUND, Detail, invalid
from heatwatch.gateway.api.pagination import Cursor, Limit, Page, SortKey, page
from heatwatch.gateway.api.types import Instant, RowIdQuery
from heatwatch.gateway.customers.models import Site
from heatwatch.gateway.db import utcnow
from heatwatch.gateway.deps import Admin, CurrentUser, Office, SessionDep, Staff
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.devices.notices import MAX_NOTICES, agent_notices
from heatwatch.gateway.devices.schemas import DeviceIn, DeviceOut, DeviceUpdate, NoticeOut
from heatwatch.gateway.devices.telemetry_query import (
    CHANNELS,
    MAX_POINTS,
    TelemetryPoint,
    TelemetryReader,
    TelemetrySeries,
)

router = APIRouter(prefix="/devices", tags=["devices"], responses=AUTH_ERRORS)
_ORDER = (SortKey(Device.id, "str"),)
DevicePath = Annotated[str, Path(pattern=DEVICE_ID_PATTERN, description="the device id on the wire")]
ChannelName = Literal[CHANNELS]  # type: ignore[valid-type]
MAX_RANGE = timedelta(days=400)


def _site_exists(session: Session, site_id: int | None) -> None:
    if site_id is not None and session.get(Site, site_id) is None:
        raise invalid(("body", "site_id"), f"no site {site_id}", site_id)


@router.get("", response_model=Page[DeviceOut])
def list_devices(session: SessionDep, user: CurrentUser, site_id: RowIdQuery | None = None,
                 customer_id: RowIdQuery | None = None, online: bool | None = None,
                 limit: int = Limit, cursor: str | None = Cursor):
    stmt = select(Device).where(devices_visible(user))
    if site_id is not None:
        stmt = stmt.where(Device.site_id == site_id)
    if customer_id is not None:
        stmt = stmt.where(Device.site_id.in_(select(Site.id).where(Site.customer_id == customer_id)))
    if online is not None:
        stmt = stmt.where(Device.online.is_(online))
    rows, next_cursor = page(session, stmt, _ORDER, cursor=cursor, limit=limit, name="devices")
    return Page(items=[DeviceOut.of(d) for d in rows], next_cursor=next_cursor)


@router.post("", response_model=DeviceOut, status_code=status.HTTP_201_CREATED, responses=CONFLICT)
def create_device(body: DeviceIn, session: SessionDep, _user: Admin):
    _site_exists(session, body.site_id)
    if session.get(Device, body.id) is not None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"device {body.id} exists")
    device = Device(**body.model_dump())
    session.add(device)
    session.commit()
    return DeviceOut.of(device)


@router.get("/{device_id}", responses=NOT_FOUND, response_model=DeviceOut)
def get_device(device_id: DevicePath, session: SessionDep, user: CurrentUser):
    return DeviceOut.of(find(session, Device, device_id, devices_visible(user), "device"))


@router.patch("/{device_id}", responses=NOT_FOUND, response_model=DeviceOut)
def update_device(device_id: DevicePath, body: DeviceUpdate, session: SessionDep, user: Office):
    device = find(session, Device, device_id, devices_visible(user), "device")
    if "site_id" in body.model_fields_set:
        _site_exists(session, body.site_id)
    apply_changes(device, body)
    session.commit()
    session.refresh(device)
    return DeviceOut.of(device)


@router.get("/{device_id}/notices", response_model=list[NoticeOut], responses=NOT_FOUND)
def device_notices(device_id: DevicePath, session: SessionDep, user: Staff,
                   limit: int = Query(20, ge=1, le=MAX_NOTICES, description="notices at most")):
    """What the device's agent said of itself, newest first: its model learned, a commissioning window
    held open by the physics bands, a configured refrigerant its pressures do not fit (staff only: it is
    about the installation's configuration, not a fault the customer is told of)."""
    find(session, Device, device_id, devices_visible(user), "device")
    return [NoticeOut(**vars(n)) for n in agent_notices(session, device_id, limit)]


@router.get("/{device_id}/telemetry", response_model=TelemetrySeries,
            responses=NOT_FOUND | {501: {"model": Detail, "description": "no telemetry store in this gateway"}})
def device_telemetry(request: Request, device_id: DevicePath, session: SessionDep, user: CurrentUser,
                     start: Instant | None = Query(None, description="default: a day before end"),
                     end: Instant | None = Query(None, description="default: now"),
                     channel: list[ChannelName] = Query([], description="repeat for several; none: every one"),
                     max_points: int = Query(500, ge=1, le=MAX_POINTS, description="points at most")):
    find(session, Device, device_id, devices_visible(user), "device")
    end = end or utcnow()
    start = start or end - timedelta(days=1)
    if not start < end or end - start > MAX_RANGE:
        raise invalid(("query", "start"), f"start must be before end, at most {MAX_RANGE.days} days apart")
    reader: TelemetryReader | None = request.app.state.telemetry
    if reader is None:
        raise HTTPException(status.HTTP_501_NOT_IMPLEMENTED, "no telemetry store in this gateway yet")
    try:
        found = reader.series(session, device_id, list(dict.fromkeys(channel)) or None, start, end, max_points)
    except ValueError as exc:
        raise invalid(("query",), str(exc)) from None
    return TelemetrySeries(device_id=device_id, start=start, end=end, bucket_seconds=found.bucket_s,
                           channels=list(found.channels),
                           points=[TelemetryPoint.model_validate(p) for p in found.points])
