"""A queued message's words: the ticket, customer and pump as they are now, the step's params as
they were queued, rendered in the customer's language (messages.py)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from heatwatch.gateway.incidents.models import DEVICE_OFFLINE, PUMP_TRIP, Incident
from heatwatch.gateway.notifications import messages, steps
from heatwatch.gateway.notifications.models import Notification
from heatwatch.gateway.notifications.status_link import status_link
from heatwatch.gateway.settings import NotificationSettings
from heatwatch.gateway.tickets.models import ResolutionCode, Ticket

_RESOLUTION = {ResolutionCode.FAULT_CONFIRMED: "fixed", ResolutionCode.OTHER_FAULT: "other",
               ResolutionCode.NO_FAULT_FOUND: "no_fault"}


def heating_state(incident: Incident | None) -> str:
    """ok (the pump still heats) | stopped (it tripped) | unknown (we cannot see it)."""
    if incident is None:
        return "ok"
    if incident.fault == DEVICE_OFFLINE:
        return "unknown"
    if incident.fault == PUMP_TRIP or incident.trip_count > 0:
        return "stopped"
    return "ok"


def _first_name(name: str) -> str:
    return name.split()[0] if name.strip() else ""


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts)


def context(session: Session, row: Notification, settings: NotificationSettings, now: datetime,
            language: str) -> dict[str, Any]:
    customer = row.customer
    ticket = session.get(Ticket, row.ticket_id) if row.ticket_id is not None else None
    incident = ticket.incident if ticket is not None else None
    tz = customer.time_zone
    ctx: dict[str, Any] = {
        "first_name": _first_name(customer.name), "company": settings.company,
        "nickname": ticket.device.nickname if ticket is not None else "",
        "fault": messages.plain_fault(language, incident.fault if incident is not None else None),
        "heating": heating_state(incident), "urgent": ticket is not None and ticket.priority == 1,
        "cold": "", "visit": {}, "windows": [], "technician": "", "resolution": "", "note": "",
        "items": [], "count": 0, "reason": "", "was": {},
        "link": status_link(settings.status_base_url, settings.status_link_secret,
                            row.ticket_id or 0, customer.id, now,
                            timedelta(days=settings.status_link_days)),
    }
    if row.step == steps.DIAGNOSIS_UPDATED:
        ctx["was"] = messages.plain_fault(language, told_before(row))
    if incident is not None and incident.cold_ahead_c is not None and incident.cold_ahead_c <= settings.cold_spell_c:
        ctx["cold"] = messages.number_words(incident.cold_ahead_c, language)
    if ticket is not None:
        if ticket.technician is not None:
            ctx["technician"] = _first_name(ticket.technician.name)
        start = row.params.get("start") or (ticket.visit_window_start and ticket.visit_window_start.isoformat())
        end = row.params.get("end") or (ticket.visit_window_end and ticket.visit_window_end.isoformat())
        if start and end:
            ctx["visit"] = messages.visit_words(_parse(start), _parse(end), tz, language)
        ctx["windows"] = [messages.visit_words(_parse(w["start"]), _parse(w["end"]), tz, language)
                          for w in row.params.get("windows", [])]
        if ticket.resolution_code is not None:
            ctx["resolution"] = _RESOLUTION[ticket.resolution_code]
            ctx["note"] = ticket.resolution_note.strip()
    return ctx


def told_before(row: Notification) -> str:
    """The fault a diagnosis_updated corrects (its ``from``); anything else is a clear error, which
    fails the attempt (logged, counted) and never the worker."""
    told = row.params.get("from") if isinstance(row.params, dict) else None
    if not isinstance(told, str) or not told.strip():
        raise ValueError(f"diagnosis_updated message {row.id}: params.from must name the fault the customer "
                         f"was told, got {told!r}")
    return told


def told_faults(session: Session, row: Notification) -> dict[int, str]:
    """The fault each message that names one will name when ``row`` goes (``row`` itself, or the
    items of a digest): the customer's words are rendered from the ticket as it is now."""
    items = [row] if row.step != steps.DIGEST else session.scalars(
        select(Notification).where(Notification.digest_id == row.id)).all()
    told = {}
    for item in items:
        if item.step in (steps.PROBLEM_FOUND, steps.DIAGNOSIS_UPDATED) and item.ticket_id is not None:
            ticket = session.get(Ticket, item.ticket_id)
            if ticket is not None and ticket.incident is not None:
                told[item.id] = ticket.incident.fault
    return told


def compose(session: Session, row: Notification, settings: NotificationSettings, now: datetime) -> messages.Rendered:
    """The message ``row`` sends now (a digest: its held messages, each as it would have read)."""
    language = messages.pick_language(row.customer.language)
    ctx = context(session, row, settings, now, language)
    if row.step == steps.DIGEST:
        items = session.scalars(select(Notification).where(Notification.digest_id == row.id)
                                .order_by(Notification.id)).all()
        parts = [messages.render(i.step, language, context(session, i, settings, now, language)) for i in items]
        nicknames = {session.get(Ticket, i.ticket_id).device.nickname for i in items if i.ticket_id is not None}
        ctx |= {"items": [{"subject": p.subject, "body": p.body[:1].upper() + p.body[1:]} for p in parts],
                "count": len(parts), "reason": row.hold_reason or row.params.get("reason", ""),
                "nickname": nicknames.pop() if len(nicknames) == 1 else ""}
    return messages.render(row.step, language, ctx)
