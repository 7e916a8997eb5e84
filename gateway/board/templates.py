"""The board's Jinja2 environment: templates/ beside this file, autoescaped, with the wording filters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from heatwatch.gateway.board import wording
from heatwatch.gateway.board.session import CSRF_FIELD, CSRF_HEADER
from heatwatch.gateway.db import utcnow

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters.update(moment=wording.moment, number=wording.number, span=wording.span)
templates.env.globals.update(deadline=wording.deadline, relative=wording.relative,
                             trip_window=wording.trip_window, CSRF_FIELD=CSRF_FIELD,
                             CSRF_HEADER=CSRF_HEADER)


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render ``name`` with ``context``, the time now and the board's settings."""
    context = {"now": utcnow(), "poll_seconds": request.app.state.settings.board.poll_seconds, **context}
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response
