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
    jobs = state.background
    periodic = "off" if jobs is None else "running" if jobs.alive else "stopped"
    ok = database == "ok" and broker != "disconnected" and webhooks != "stopped" and periodic != "stopped"
    response.status_code = 200 if ok else 503
    return Health(status="ok" if ok else "failing", database=database, broker=broker, webhooks=webhooks,
                  periodic=periodic)


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(request: Request) -> Response:
    body, content_type = request.app.state.metrics.exposition()
    return Response(body, media_type=content_type)
