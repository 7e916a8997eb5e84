"""/board/agents: every device's agent at a glance, for whoever runs the fleet: how it judges its pump,
whether it still learns, how often it restarted and what it counted as refused or failed. Agents with
the most counted first, then the offline ones, so the ones to look at are on top (devices/agent_state.py
reads each one's last status)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from heatwatch.gateway.board.session import Viewer
from heatwatch.gateway.board.templates import page
from heatwatch.gateway.db import utcnow
from heatwatch.gateway.deps import SessionDep
from heatwatch.gateway.devices.agent_state import AgentState, agent_state
from heatwatch.gateway.devices.models import Device

router = APIRouter()
MAX_ROWS = 2000  # a page a browser still shows at once; beyond, the API's device list


@dataclass(frozen=True)
class AgentRow:
    device: Device
    state: AgentState | None

    @property
    def order(self) -> tuple:
        problems = len(self.state.problems) if self.state else 0
        return (-problems, self.device.online is not False, self.device.id)


@router.get("/agents")
def agents_page(request: Request, session: SessionDep, user: Viewer) -> Response:
    devices = session.scalars(select(Device).order_by(Device.id).limit(MAX_ROWS + 1)).all()
    rows = sorted((AgentRow(d, agent_state(d.last_status)) for d in devices[:MAX_ROWS]), key=lambda r: r.order)
    return page(request, "agents.html", {"user": user, "rows": rows, "now": utcnow(),
                                         "more": len(devices) > MAX_ROWS, "max_rows": MAX_ROWS})
