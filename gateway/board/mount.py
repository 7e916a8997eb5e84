"""Puts the board on an app: its routes under /board, its static files, its error pages."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from heatwatch.gateway.board import agents_page, board_page, device_page, kpi_page, login, ticket_actions, ticket_page
from heatwatch.gateway.board.session import LoginNeeded, Refused, Signer
from heatwatch.gateway.ingest.counters import IngestCounters
from heatwatch.gateway.metrics import CountersCollector
from heatwatch.gateway.board.templates import HERE, page

router = APIRouter(include_in_schema=False)
for module in (login, board_page, ticket_page, ticket_actions, device_page, kpi_page, agents_page):
    router.include_router(module.router, prefix="/board")


async def _login_needed(request: Request, _exc: LoginNeeded) -> Response:
    if request.method != "GET" or request.headers.get("HX-Request"):
        # a form or an htmx poll cannot follow a redirect to a form: say so (htmx reloads on HX-Redirect)
        return Response("sign in again", status_code=401, headers={"HX-Redirect": "/board/login"})
    return RedirectResponse("/board/login", status_code=303)


async def _refused(request: Request, exc: Refused) -> Response:
    return page(request, "message.html", {"user": None, "title": "Refused", "message": str(exc)}, 403)


def install(app: FastAPI) -> None:
    """Mount the board on ``app`` (create_app calls this); its cookie signer reads ``[board]``."""
    app.state.board_signer = Signer(app.state.settings.board)
    # what the board refused, by reason (bad_token, customer, csrf, stale, ...), and what it did
    app.state.board_counters = counters = IngestCounters()
    app.state.metrics.add(CountersCollector("heatwatch_board", counters.snapshot, {"refused": "reason"},
                                            ("sign_ins", "actions")))
    app.include_router(router)
    app.mount("/board/static", StaticFiles(directory=HERE / "static"), name="board-static")
    app.add_exception_handler(LoginNeeded, _login_needed)
    app.add_exception_handler(Refused, _refused)
