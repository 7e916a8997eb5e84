"""The bodies of the ticket actions (actions_router.py): each carries the ``version`` of the
ticket the person saw, so a change based on a stale screen is refused (409), never applied."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from heatwatch.gateway.api.types import MAX_ID, Instant, Note
from heatwatch.gateway.settings import PRIORITIES
from heatwatch.gateway.tickets.models import ResolutionCode, TicketStatus
from heatwatch.gateway.tickets.permissions import Action

Version = Annotated[int, Field(ge=1, le=MAX_ID, description="the ticket's `version` as you last read it")]
TechnicianId = Annotated[int, Field(ge=1, le=MAX_ID, description="a user with the technician role")]
Text = Note(4000)
Said = Annotated[Text, StringConstraints(min_length=1)]  # must say something (only spaces: the service says 422)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Change(_Body):
    """acknowledge, start, wait-on-customer, resume, close, confirm-close, reject-close."""

    version: Version
    note: Text = Field("", description="goes into the ticket's history")


class ScheduleBody(Change):
    window_start: Instant = Field(description="the visit window, with its offset")
    window_end: Instant
    technician_id: TechnicianId | None = Field(None, description="who goes (or assign later)")


class ResolveBody(_Body):
    version: Version
    resolution_code: ResolutionCode = Field(description="fault_confirmed needs a summary of what was done")
    summary: Text = ""


class CancelBody(_Body):
    version: Version
    reason: Said


class AssignBody(_Body):
    version: Version
    technician_id: TechnicianId | None = Field(description="null: nobody yet")


class PriorityBody(Change):
    priority: int = Field(ge=min(PRIORITIES), le=max(PRIORITIES), description="1 is the most urgent")


class NoteBody(_Body):
    """A note changes nothing else, so it needs no version."""

    note: Said


class TicketActions(BaseModel):
    """What the caller may do to the ticket now (a board shows these buttons)."""

    ticket_id: int
    version: int
    status: TicketStatus
    actions: list[Action]
