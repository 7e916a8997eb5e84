"""The wire shapes of devices (the table is in models.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from heatwatch.contract import DEVICE_ID_PATTERN
from heatwatch.fleet_prior import EMITTERS
from heatwatch.gateway.api.types import MAX_ID, Line
from heatwatch.gateway.devices.agent_state import agent_state
from heatwatch.gateway.devices.models import Device
from heatwatch.refrigerant import REFRIGERANTS

DeviceId = Annotated[str, StringConstraints(pattern=DEVICE_ID_PATTERN),
                     Field(description="the id on the wire: heatwatch/v1/{device}/...")]
Refrigerant = Literal[REFRIGERANTS]  # type: ignore[valid-type]
Emitters = Annotated[Literal[EMITTERS], Field(  # type: ignore[valid-type]
    description="the house's heat emitters: they set the flow temperature; the fleet prior is of pumps with the same")]
RegisterMapName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,100}$"),
                            Field(description="the register map the agent reads the pump with")]
SiteRef = Annotated[int, Field(ge=1, le=MAX_ID)]
InstallDate = Annotated[date, Field(ge=date(1970, 1, 1), le=date(2200, 1, 1))]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeviceIn(_Strict):
    id: DeviceId
    site_id: SiteRef | None = Field(None, description="null: provisioned, not yet placed at a site")
    model: Line(100) = ""
    refrigerant: Refrigerant = "R32"
    emitters: Emitters | None = Field(None, description="null: not known (the fleet prior is then of every emitter)")
    register_map: RegisterMapName = "heatwatch_generic"
    install_date: InstallDate | None = None
    nickname: Line(100) = ""


class DeviceUpdate(_Strict):
    """Only the fields sent change; ``site_id: null`` takes the device off its site."""

    site_id: SiteRef | None = None
    model: Line(100) = None  # type: ignore[assignment]
    refrigerant: Refrigerant = None  # type: ignore[assignment]
    emitters: Emitters | None = None  # null: not known
    register_map: RegisterMapName = None  # type: ignore[assignment]
    install_date: InstallDate | None = None
    nickname: Line(100) = None  # type: ignore[assignment]


class AgentStateOut(BaseModel):
    """What the agent's last status says of it, in words (gateway/devices/agent_state.py; the board shows the same)."""

    judged_by: str = Field(description="how the agent judges the pump now ('' when its status does not say)")
    learning: str = Field(description="the learning window's progress while it has no own model yet, else ''")
    readings: int | None = Field(description="readings since the agent was first started (restarts included)")
    restarts: int | None
    last_reading: datetime | None
    problems: list[str] = Field(description="what it counted as refused or failed, most first")


class DeviceOut(BaseModel):
    id: str
    site_id: int | None
    customer_id: int | None = Field(description="the customer of the device's site")
    model: str
    refrigerant: str
    emitters: str | None
    register_map: str
    install_date: date | None
    nickname: str
    last_seen_at: datetime | None
    online: bool | None
    last_status: dict[str, Any] | None = Field(description="the agent's last status message (its counters)")
    agent: AgentStateOut | None = Field(None, description="last_status read into words; none before any counters")
    created_at: datetime

    @classmethod
    def of(cls, d: Device) -> DeviceOut:
        return cls(id=d.id, site_id=d.site_id, customer_id=d.site.customer_id if d.site else None, model=d.model,
                   refrigerant=d.refrigerant, emitters=d.emitters, register_map=d.register_map,
                   install_date=d.install_date,
                   nickname=d.nickname, last_seen_at=d.last_seen_at, online=d.online, last_status=d.last_status,
                   agent=_agent(d.last_status), created_at=d.created_at)


def _agent(last_status: Any) -> AgentStateOut | None:
    state = agent_state(last_status)
    return None if state is None else AgentStateOut(**vars(state))


class NoticeOut(BaseModel):
    """An agent's notice about itself (no incident, no ticket): gateway/devices/notices.py."""

    ts: datetime = Field(description="the agent's time of the notice")
    name: str = Field(description="the agent's name for it, e.g. commissioning_held, refrigerant_mismatch")
    title: str
    severity: str = Field(description="info | warning | critical, as the agent sent it")
    text: str = Field(description="the agent's explanation")
