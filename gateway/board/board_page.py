"""The board: open tickets, most urgent first, as GET /tickets?active=true orders them (the same
query, tickets/queries.py), with filters; htmx reloads the rows every few seconds."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from heatwatch.gateway.board.session import Viewer, count
from heatwatch.gateway.board.templates import page
from heatwatch.gateway.deps import SessionDep
from heatwatch.gateway.incidents.revisions import revised_ids
from heatwatch.gateway.settings import PRIORITIES
from heatwatch.gateway.tickets.models import Ticket
from heatwatch.gateway.tickets.queries import ORDER, ticket_list
from heatwatch.gateway.tickets.schemas import ACTIVE_STATUSES, sla_deadline
from heatwatch.gateway.users.models import Role, User

router = APIRouter()
MAX_ROWS = 200  # a board longer than this is a backlog: filter it


class BadFilter(ValueError):
    """A filter value the board does not offer (a hand-edited URL); the page says which."""


@dataclass(frozen=True)
class Filters:
    priority: int | None = None
    status: str | None = None
    technician: int | None = None  # a technician's user id; 0: nobody assigned yet

    @classmethod
    def of(cls, request: Request) -> Filters:
        q = request.query_params
        return cls(_choice(q.get("priority"), "priority", {str(p): p for p in PRIORITIES}),
                   _choice(q.get("status"), "status", {s.value: s.value for s in ACTIVE_STATUSES}),
                   _int(q.get("technician"), "technician"))


def _choice(raw: str | None, name: str, allowed: dict):
    if raw in (None, ""):
        return None
    if raw not in allowed:
        raise BadFilter(f"{name} {raw[:40]!r}: one of {', '.join(allowed)}")
    return allowed[raw]


def _int(raw: str | None, name: str) -> int | None:
    if raw in (None, ""):
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise BadFilter(f"{name} {raw[:40]!r}: a user id")
    return int(raw)


def open_tickets(session, user: Viewer, filters: Filters) -> list[tuple[Ticket, object]]:
    """(ticket, the deadline it races now), in the board's order."""
    stmt = ticket_list(user.principal, active=True, priority=[filters.priority] if filters.priority else [],
                       status=[filters.status] if filters.status else [],
                       technician_id=filters.technician or None)
    if filters.technician == 0:
        stmt = stmt.where(Ticket.technician_id.is_(None))
    stmt = stmt.add_columns(sla_deadline()).order_by(*(k.expr.desc() if k.descending else k.expr.asc()
                                                       for k in ORDER)).limit(MAX_ROWS)
    return [(row[0], row[1]) for row in session.execute(stmt).all()]


def technicians(session) -> list[User]:
    return list(session.scalars(select(User).where(User.role == Role.TECHNICIAN, User.active.is_(True))
                                .order_by(User.name)))


def _render(request: Request, session, user: Viewer, name: str) -> Response:
    try:
        filters = Filters.of(request)
    except BadFilter as exc:
        count(request, "refused.bad_filter")
        return page(request, "message.html", {"user": user, "title": "Unknown filter", "message": str(exc)}, 400)
    techs = technicians(session)
    rows = open_tickets(session, user, filters)
    return page(request, name, {"user": user, "rows": rows, "filters": filters,
                                "revised": revised_ids(session, (t.incident_id for t, _ in rows)),
                                "technicians": techs, "tech_names": {t.id: t.name for t in techs},
                                "priorities": PRIORITIES, "statuses": [s.value for s in ACTIVE_STATUSES],
                                "max_rows": MAX_ROWS})


@router.get("")
def board(request: Request, session: SessionDep, user: Viewer) -> Response:
    return _render(request, session, user, "board.html")


@router.get("/rows")
def rows(request: Request, session: SessionDep, user: Viewer) -> Response:
    """The table body alone: what htmx polls."""
    return _render(request, session, user, "board_rows.html")
