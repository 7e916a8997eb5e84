"""Puts the status page on an app: its routes under /s, its counters, its pages for bad links."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from heatwatch.gateway.ingest.counters import IngestCounters
from heatwatch.gateway.metrics import CountersCollector
from heatwatch.gateway.status_page import router as routes
from heatwatch.gateway.status_page.templates import render
from heatwatch.gateway.status_page.texts import Texts, pick


async def _expired(request: Request, exc: routes.Expired) -> Response:
    settings = request.app.state.settings.notifications
    return render(request, "gone.html", {"t": Texts(exc.language), "language": exc.language, "kind": "expired",
                                         "company": settings.company}, 410)


async def _unknown(request: Request, _exc: routes.Unknown) -> Response:
    language = pick((request.headers.get("accept-language") or "").split(",")[0].split(";")[0].strip())
    settings = request.app.state.settings.notifications
    return render(request, "gone.html", {"t": Texts(language), "language": language, "kind": "not_found",
                                         "company": settings.company}, 404)


def install(app: FastAPI) -> None:
    """Mount the status page on ``app`` (create_app calls this)."""
    app.state.status_page_counters = counters = IngestCounters()
    app.state.metrics.add(CountersCollector("heatwatch_status_page", counters.snapshot, {"refused": "reason"},
                                            ("views", "picks", "questions", "surveys")))
    app.include_router(routes.router)
    app.add_exception_handler(routes.Expired, _expired)
    app.add_exception_handler(routes.Unknown, _unknown)
