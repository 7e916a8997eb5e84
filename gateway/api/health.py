"""/healthz for load balancers and systemd watchdogs, /metrics for Prometheus. No token: neither
says anything about customers, and a monitor should not need one."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: Literal["ok", "failing"]
    database: str  # "ok" or what failed
    broker: Literal["connected", "disconnected", "off"]  # off: this process runs no ingest
    webhooks: Literal["running", "stopped", "off"]  # off: this process delivers no webhooks
    periodic: Literal["running", "stopped", "off"] = "off"  # the sweeps and compaction (off: not here)
    commands: Literal["running", "stopped", "off"] = "off"  # the device command sender
    notifications: Literal["running", "stopped", "off"] = "off"  # customer messages (off: not here, or no channel)


def _worker(worker: object | None) -> str:
    """A background worker's state: off (this process runs none), running, or stopped (it died)."""
    return "off" if worker is None else "running" if getattr(worker, "alive", False) else "stopped"


@router.get("/healthz", response_model=Health, responses={503: {"model": Health, "description": "something fails"}})
def healthz(request: Request, response: Response) -> Health:
    state = request.app.state
    try:
        with state.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        database = "ok"
    except SQLAlchemyError as exc:
        database = str(getattr(exc, "orig", exc) or type(exc).__name__).strip().splitlines()[0]
    subscriber = state.subscriber
    broker = "off" if subscriber is None else "connected" if subscriber.subscribed.is_set() else "disconnected"
    worker = state.webhook_worker
    webhooks = "off" if worker is None else "running" if worker.alive else "stopped"
    periodic = _worker(state.background)
    commands = _worker(getattr(state, "command_sender", None))
    notifications = _worker(getattr(state, "notification_worker", None))
    ok = (database == "ok" and broker != "disconnected"
          and "stopped" not in (webhooks, periodic, commands, notifications))
    response.status_code = 200 if ok else 503
    return Health(status="ok" if ok else "failing", database=database, broker=broker, webhooks=webhooks,
                  periodic=periodic, commands=commands, notifications=notifications)


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(request: Request) -> Response:
    body, content_type = request.app.state.metrics.exposition()
    return Response(body, media_type=content_type)
