"""The wire shape of visit proposals (POST /tickets/{id}/propose-visits)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from heatwatch.gateway.api.types import Instant
from heatwatch.gateway.feedback.proposals import MAX_WINDOWS
from heatwatch.gateway.tickets.action_schemas import TechnicianId, Version


class Window(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: Instant = Field(description="with its offset")
    end: Instant


class ProposeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Version
    windows: list[Window] = Field(min_length=1, max_length=MAX_WINDOWS,
                                  description="1-3 windows; the customer picks one on their status page")
    technician_id: TechnicianId | None = Field(None, description="who goes, whichever window is picked")


class ProposalOut(BaseModel):
    id: int
    window_start: datetime
    window_end: datetime
    technician_id: int | None


class Proposed(BaseModel):
    """The windows now on offer (earlier offers are withdrawn); the customer was sent them."""

    ticket_id: int
    version: int
    proposals: list[ProposalOut]
