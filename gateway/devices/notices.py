"""What an agent says of itself: notices that open no incident and no ticket.

An agent tells the gateway when its pump's healthy model is learned, when the physics bands hold its
commissioning window open (a fault from installation, judged meanwhile by its own start), and when
the pressures do not fit the configured refrigerant. Those are ``agent`` events: the incident service
ignores them (nobody should be sent), and they are kept as processed events. An operator reads them per
device, newest first, on the board's device page and from ``GET /devices/{id}/notices``: a pump whose
commissioning is held, or whose edge.toml names the wrong refrigerant, needs someone to look at the
configuration, not a technician at the door.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from heatwatch.contract import COMMISSIONED, EventKind
from heatwatch.gateway.ingest.models import ProcessedEvent

MAX_NOTICES = 200  # the most one read returns
# the agent's names (the event's ``fault``) as an operator reads them; an unknown name is shown as sent
TITLES = {
    COMMISSIONED: "Healthy model learned",
    "commissioning_held": "Commissioning held open by the physics bands",
    "refrigerant_mismatch": "Pressures do not fit the configured refrigerant",
}


@dataclass(frozen=True)
class AgentNotice:
    ts: datetime  # the agent's time of the notice
    name: str  # the agent's name for it (the event's fault)
    title: str
    severity: str  # info | warning | critical, as the agent sent it
    text: str  # the agent's explanation


def title_of(name: str) -> str:
    return TITLES.get(name, name.replace("_", " ").capitalize())


def agent_notices(session: Session, device_id: str, limit: int = 20) -> list[AgentNotice]:
    """The device's agent notices, newest first (at most ``limit``, itself at most MAX_NOTICES)."""
    rows = session.scalars(select(ProcessedEvent)
                           .where(ProcessedEvent.device_id == device_id, ProcessedEvent.kind == EventKind.AGENT.value)
                           .order_by(ProcessedEvent.ts.desc(), ProcessedEvent.seq.desc())
                           .limit(max(1, min(limit, MAX_NOTICES))))
    out = []
    for row in rows:
        payload = row.payload if isinstance(row.payload, dict) else {}
        name = row.fault or "agent"
        severity = payload.get("severity")
        text = payload.get("explanation")
        out.append(AgentNotice(ts=row.ts, name=name, title=title_of(name),
                               severity=severity if severity in ("info", "warning", "critical") else "info",
                               text=text if isinstance(text, str) else ""))
    return out
