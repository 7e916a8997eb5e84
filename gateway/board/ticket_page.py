"""A ticket: the likely fault, its evidence and chart, what to bring, the history, the customer,
and the actions. The actions call tickets/service.py directly, with the version the page showed: a
ticket someone changed meanwhile gets the page again, as it is now, with a message to check and
retry (409), never a 500."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from heatwatch.gateway.board import chart, evidence, kit, ticket_history, wording
from heatwatch.gateway.board.board_page import technicians
from heatwatch.gateway.board.session import Actor, BoardUser, Viewer, count
from heatwatch.gateway.board.templates import page
from heatwatch.gateway.board.visit_time import field_value, in_zone, local_to_utc, zone_of
from heatwatch.gateway.customers.models import Customer, Site
from heatwatch.gateway.db import utcnow
from heatwatch.gateway.deps import SessionDep
from heatwatch.gateway.feedback import proposals
from heatwatch.gateway.incidents import revisions
from heatwatch.gateway.tickets import service
from heatwatch.gateway.tickets.models import ResolutionCode, Ticket

router = APIRouter()
RESOLUTION_WORDS = {ResolutionCode.FAULT_CONFIRMED: "fault confirmed and fixed",
                    ResolutionCode.OTHER_FAULT: "another fault was found and fixed",
                    ResolutionCode.NO_FAULT_FOUND: "no fault found"}
Version = Annotated[int, Form(ge=1)]


def render_ticket(request: Request, session: Session, user: BoardUser, ticket_id: int, message: str = "",
                  status_code: int = 200) -> Response:
    try:
        ticket = service.get_ticket(session, ticket_id)
    except service.TicketNotFound:
        return page(request, "message.html", {"user": user, "title": "No such ticket",
                                              "message": f"Ticket {ticket_id} does not exist."}, 404)
    session.refresh(ticket, ["history"])
    now = utcnow()
    incident = ticket.incident
    events = evidence.events_of(session, incident) if incident is not None else []
    prognosis = evidence.prognosis(events)
    if prognosis is not None and incident is not None and incident.predicted_failure_ts is not None:
        # the incident holds the newest prognosis (an event delivered late never undoes it); the
        # event adds which channel trends toward which threshold
        prognosis = replace(prognosis, trip_at=incident.predicted_failure_ts,
                            earliest=incident.predicted_failure_earliest or incident.predicted_failure_ts,
                            latest=incident.predicted_failure_latest or incident.predicted_failure_ts)
    fault = incident.fault if incident is not None else None
    fault_kit = kit.kit_for(fault)
    chart_doc = None
    if incident is not None:
        channels = [*fault_kit.channels[:3], *(c for e in evidence.evidence(events) for c in e.channels),
                    *([prognosis.indicator] if prognosis else [])]
        start, end = chart.window_around(incident.first_event_ts, incident.last_event_ts, now)
        marks = [(incident.first_event_ts, "fault raised")]
        trip_at = prognosis.trip_at if prognosis is not None else incident.predicted_failure_ts
        if trip_at is not None:
            marks.append((trip_at, "predicted trip"))
        chart_doc = chart.chart(session, ticket.device_id, channels, start, end, prognosis, marks)
    customer = _customer(session, ticket)
    zone = zone_of(customer.time_zone if customer is not None else None)
    history = ticket_history.history(session, ticket, events)
    return page(request, "ticket.html", {
        "user": user, "ticket": ticket, "incident": incident, "fault_title": kit.fault_title(fault),
        "revised_from": [(w, kit.fault_title(w.fault)) for w, _ in revisions.revised_from(session, incident)],
        "went_to": _went_to(session, ticket),
        "kit": fault_kit if fault in kit.KITS else None, "evidence": evidence.evidence(events),
        "prognosis": prognosis, "chart_json": json.dumps(chart_doc) if chart_doc else None, "history": history,
        "dateless": evidence.awaits_date(incident),
        "customer": customer, "site": ticket.device.site, "deadline": _deadline(ticket),
        "deadline_text": wording.deadline(_deadline(ticket), now), "message": message,
        "allowed": {s.value for s in service.allowed_transitions(ticket)}, "technicians": technicians(session),
        "codes": RESOLUTION_WORDS, "offered": proposals.on_offer(session, ticket, now), "zone": zone.key,
        "visit_local": (in_zone(ticket.visit_window_start, zone), in_zone(ticket.visit_window_end, zone)),
        "visit_fields": (field_value(ticket.visit_window_start, zone), field_value(ticket.visit_window_end, zone))},
        status_code)


def _went_to(session: Session, ticket: Ticket) -> tuple[Ticket, str] | None:
    """A ticket cancelled into the better notice's own ticket: that ticket and its fault's title."""
    other = revisions.went_to(session, ticket)
    return (other, kit.fault_title(other.incident.fault if other.incident else None)) if other else None


def ticket_zone(session: Session, ticket_id: int) -> ZoneInfo:
    """The time zone the ticket's visit windows are typed in: its customer's (UTC without one)."""
    ticket = session.get(Ticket, ticket_id)
    customer = _customer(session, ticket) if ticket is not None else None
    return zone_of(customer.time_zone if customer is not None else None)


def technician_of(value: str) -> int | None:
    """A technician picked in a form's list ("" is nobody)."""
    if value and not value.isdigit():
        raise ValueError(f"technician {value[:12]!r}: pick one from the list")
    return int(value) if value else None


def _deadline(ticket: Ticket) -> datetime:
    return ticket.response_by if ticket.responded_at is None else ticket.resolution_by


def _customer(session: Session, ticket: Ticket) -> Customer | None:
    site: Site | None = ticket.device.site
    return session.get(Customer, site.customer_id) if site is not None else None


@router.get("/tickets/{ticket_id}")
def ticket_page(ticket_id: int, request: Request, session: SessionDep, user: Viewer) -> Response:
    return render_ticket(request, session, user, ticket_id)


def _act(request: Request, session: Session, user: BoardUser, ticket_id: int, change) -> Response:
    """Run ``change(actor)``, commit, and go back to the ticket (303); a refusal shows the ticket as it
    is now with the reason."""
    try:
        change(service.Actor(user.principal.name, user.principal.user_id))
        session.commit()
    except service.StaleTicket:
        session.rollback()
        count(request, "refused.stale")
        return render_ticket(request, session, user, ticket_id,
                             "Someone changed this ticket while you were looking at it. This is the ticket as it "
                             "is now: check it and do it again if it is still needed.", 409)
    except service.TicketNotFound:
        session.rollback()
        return render_ticket(request, session, user, ticket_id)
    except (service.InvalidTransition, service.InvalidTicketChange) as exc:
        session.rollback()
        count(request, "refused.invalid_change")
        return render_ticket(request, session, user, ticket_id, f"Not done: {exc}", 409)
    count(request, "actions")
    return RedirectResponse(f"/board/tickets/{ticket_id}", status_code=303)


@router.post("/tickets/{ticket_id}/acknowledge")
def acknowledge(ticket_id: int, request: Request, session: SessionDep, user: Actor, version: Version,
                note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    return _act(request, session, user, ticket_id,
                lambda actor: service.acknowledge(session, ticket_id, version=version, actor=actor, note=note))


@router.post("/tickets/{ticket_id}/schedule")
def schedule(ticket_id: int, request: Request, session: SessionDep, user: Actor, version: Version,
             window_start: Annotated[str, Form(max_length=40)], window_end: Annotated[str, Form(max_length=40)],
             technician: Annotated[str, Form(max_length=12)] = "",
             note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    zone = ticket_zone(session, ticket_id)
    try:
        start, end = local_to_utc(window_start, zone, "start"), local_to_utc(window_end, zone, "end")
        technician_id = technician_of(technician)
    except ValueError as exc:
        count(request, "refused.bad_input")
        return render_ticket(request, session, user, ticket_id, f"Not done: {exc}", 422)
    return _act(request, session, user, ticket_id,
                lambda actor: proposals.book(session, ticket_id, version=version, actor=actor, window_start=start,
                                             window_end=end, technician_id=technician_id, note=note))


@router.post("/tickets/{ticket_id}/propose")
def propose(ticket_id: int, request: Request, session: SessionDep, user: Actor, version: Version,
            start: Annotated[list[str], Form()], end: Annotated[list[str], Form()],
            technician: Annotated[str, Form(max_length=12)] = "") -> Response:
    """Offer the customer visit windows (gateway/feedback/proposals.py), typed in the customer's time zone
    like a scheduled visit; they pick one on their status page."""
    zone = ticket_zone(session, ticket_id)
    try:
        windows = [(local_to_utc(s, zone, "start"), local_to_utc(e, zone, "end")) for s, e in zip(start, end)
                   if s or e]
        technician_id = technician_of(technician)
    except ValueError as exc:
        count(request, "refused.bad_input")
        return render_ticket(request, session, user, ticket_id, f"Not done: {exc}", 422)
    return _act(request, session, user, ticket_id, lambda actor: proposals.propose(
        session, ticket_id, version=version, actor=actor, windows=windows, technician_id=technician_id))


@router.post("/tickets/{ticket_id}/resolve")
def resolve(ticket_id: int, request: Request, session: SessionDep, user: Actor, version: Version,
            code: Annotated[str, Form(max_length=40)], note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    return _act(request, session, user, ticket_id,
                lambda actor: service.resolve(session, ticket_id, version=version, actor=actor, code=code, note=note))
