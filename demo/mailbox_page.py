"""The demo's page on the board: /demo/mailbox lists what the local mailbox received.

Mounted by the demo's gateway process only (gateway_host.py), never by the
gateway itself: a newcomer reads the messages a customer would get, beside
the board that opened the tickets behind them.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from heatwatch.demo.mailbox import Maildir

_TEMPLATES = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                         autoescape=select_autoescape(("html",)))


def install(app: FastAPI, maildir: Maildir, smtp_port: int) -> None:
    router = APIRouter(include_in_schema=False)

    @router.get("/demo/mailbox", response_class=HTMLResponse)
    def mailbox_page(request: Request) -> HTMLResponse:
        html = _TEMPLATES.get_template("mailbox.html").render(messages=maildir.messages(), smtp_port=smtp_port)
        return HTMLResponse(html)

    app.include_router(router)
