"""A device: where it stands, its channels over time, its incidents (newest first) and what its agent
said of itself (notices that open no incident: a window held open, a wrong refrigerant) and of its state in its
last status (how it judges the pump, what it counted as refused or failed: devices/agent_state.py)."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from heatwatch.gateway.board import chart, kit
from heatwatch.gateway.board.evidence import describe
from heatwatch.gateway.board.session import Viewer, count
from heatwatch.gateway.board.templates import page
from heatwatch.gateway.customers.models import Customer
from heatwatch.gateway.db import utcnow
from heatwatch.gateway.deps import SessionDep
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.devices.agent_state import agent_state
from heatwatch.gateway.devices.notices import agent_notices
from heatwatch.gateway.incidents.models import Incident
from heatwatch.gateway.telemetry import series as store
from heatwatch.gateway.telemetry.stats import KNOWN_CHANNELS
from heatwatch.gateway.tickets.models import Ticket

router = APIRouter()
DEFAULT_CHANNELS = ("t_outdoor", "t_flow", "compressor_hz", "power_w", "superheat")
SPANS = {"1": timedelta(days=1), "7": timedelta(days=7), "28": timedelta(days=28)}


@router.get("/devices/{device_id}")
def device_page(device_id: str, request: Request, session: SessionDep, user: Viewer) -> Response:
    device = session.get(Device, device_id[:64])
    if device is None:
        return page(request, "message.html", {"user": user, "title": "No such device",
                                              "message": f"Device {device_id[:64]!r} does not exist."}, 404)
    q = request.query_params
    days = q.get("days", "7")
    picked = q.getlist("channel") or list(DEFAULT_CHANNELS)
    unknown = [c for c in picked if c not in KNOWN_CHANNELS]
    if days not in SPANS or unknown:
        count(request, "refused.bad_input")
        message = (f"days {days[:10]!r}: one of {', '.join(SPANS)}" if days not in SPANS
                   else f"unknown channel(s): {', '.join(c[:40] for c in unknown)}")
        return page(request, "message.html", {"user": user, "title": "Bad request", "message": message}, 400)
    now = utcnow()
    latest = store.latest(session, device.id)
    # a silent device shows its last data, not an empty window ending now
    end = min(now, latest.end) if latest is not None and latest.end < now - SPANS[days] else now
    doc = chart.chart(session, device.id, picked, end - SPANS[days], end)
    incidents = list(session.scalars(select(Incident).where(Incident.device_id == device.id)
                                     .order_by(Incident.opened_at.desc()).limit(100)))
    tickets = {t.incident_id: t for t in session.scalars(
        select(Ticket).where(Ticket.incident_id.in_([i.id for i in incidents])))} if incidents else {}
    site = device.site
    return page(request, "device.html", {
        "user": user, "device": device, "site": site,
        "customer": session.get(Customer, site.customer_id) if site is not None else None,
        "chart_json": json.dumps(doc), "days": days, "spans": list(SPANS), "picked": picked,
        "choices": sorted(KNOWN_CHANNELS, key=lambda c: describe(c)[0]), "describe": describe,
        "incidents": incidents, "tickets": tickets, "fault_title": kit.fault_title, "latest": latest,
        "notices": agent_notices(session, device.id), "agent": agent_state(device.last_status)})
