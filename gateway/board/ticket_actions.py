"""The ticket page's further actions: start work, wait on the customer and resume, cancel, assign a
technician. Each calls tickets/service.py with the version the page showed, through ticket_page's
``_act`` (a stale version or a refused change comes back as the ticket page with the reason)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from heatwatch.gateway.board.session import Actor, count
from heatwatch.gateway.board.ticket_page import Version, _act, render_ticket, technician_of
from heatwatch.gateway.deps import SessionDep
from heatwatch.gateway.tickets import service

router = APIRouter()
Note = Annotated[str, Form(max_length=2000)]


@router.post("/tickets/{ticket_id}/start")
def start_work(ticket_id: int, request: Request, session: SessionDep, user: Actor, version: Version,
               note: Note = "") -> Response:
    return _act(request, session, user, ticket_id,
                lambda actor: service.start_work(session, ticket_id, version=version, actor=actor, note=note))


@router.post("/tickets/{ticket_id}/wait")
def wait_on_customer(ticket_id: int, request: Request, session: SessionDep, user: Actor, version: Version,
                     note: Note = "") -> Response:
    return _act(request, session, user, ticket_id,
                lambda actor: service.wait_on_customer(session, ticket_id, version=version, actor=actor, note=note))


@router.post("/tickets/{ticket_id}/resume")
def resume(ticket_id: int, request: Request, session: SessionDep, user: Actor, version: Version,
           note: Note = "") -> Response:
    return _act(request, session, user, ticket_id,
                lambda actor: service.resume(session, ticket_id, version=version, actor=actor, note=note))


@router.post("/tickets/{ticket_id}/cancel")
def cancel(ticket_id: int, request: Request, session: SessionDep, user: Actor, version: Version,
           reason: Note = "") -> Response:
    return _act(request, session, user, ticket_id,
                lambda actor: service.cancel(session, ticket_id, version=version, actor=actor, reason=reason))


@router.post("/tickets/{ticket_id}/assign")
def assign(ticket_id: int, request: Request, session: SessionDep, user: Actor, version: Version,
           technician: Annotated[str, Form(max_length=12)] = "") -> Response:
    try:
        technician_id = technician_of(technician)
    except ValueError as exc:
        count(request, "refused.bad_input")
        return render_ticket(request, session, user, ticket_id, f"Not done: {exc}", 422)
    return _act(request, session, user, ticket_id,
                lambda actor: service.assign(session, ticket_id, version=version, actor=actor,
                                             technician_id=technician_id))
