"""The wire shapes of incidents (the tables are in models.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from heatwatch.gateway.incidents.models import IncidentState, Severity


class IncidentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    device_id: str
    fault: str
    state: IncidentState
    severity: Severity
    confidence: float
    first_event_ts: datetime = Field(description="the agent's clock: when the fault was first reported")
    last_event_ts: datetime
    event_count: int
    predicted_failure_ts: datetime | None = Field(description="when the pump is expected to trip")
    predicted_failure_earliest: datetime | None
    predicted_failure_latest: datetime | None
    opened_at: datetime
    closed_at: datetime | None
    close_reason: str | None


class IncidentEventOut(BaseModel):
    """An event that fed the incident, as the agent sent it: the evidence."""

    model_config = ConfigDict(from_attributes=True)

    event_id: str
    kind: str
    ts: datetime
    received_at: datetime
    payload: dict[str, Any]


class IncidentDetail(IncidentOut):
    ticket_id: int | None
    events: list[IncidentEventOut]
