"""/fleet: the fleet prior of a pump model, refrigerant and emitters, as the agents get it (office staff read it:
what a new pump of that model will be judged against, and how many pumps it comes from)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field

from heatwatch.gateway.api.errors import AUTH_ERRORS, NOT_FOUND
from heatwatch.gateway.deps import Office, SessionDep
from heatwatch.fleet_prior import EMITTERS
from heatwatch.gateway.fleet.service import prior_for

router = APIRouter(prefix="/fleet", tags=["fleet"], responses=AUTH_ERRORS)


class FleetPriorOut(BaseModel):
    model: str
    refrigerant: str
    emitters: str | None = Field(description="the emitters every member has; null: members of any emitters")
    note: str = Field(description="how the members were chosen: the group, or why the wider one")
    members: int
    prior: dict[str, Any]  # fleet_prior.FleetPrior.to_dict(): what the ``prior`` command carries


@router.get("/prior", response_model=FleetPriorOut, responses=NOT_FOUND)
def get_prior(session: SessionDep, _user: Office, refrigerant: Annotated[str, Query(max_length=16)],
              model: Annotated[str, Query(max_length=100)] = "",
              emitters: Annotated[Literal[EMITTERS] | None, Query(  # type: ignore[valid-type]
                  description="the new pump's emitters (omit: not known)")] = None):
    prior = prior_for(session, model, refrigerant, emitters)
    if prior is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no fleet prior for {model or '(no model)'} {refrigerant}: "
                                                       "fewer commissioned pumps than a fleet needs")
    return FleetPriorOut(model=model, refrigerant=refrigerant, emitters=prior.emitters, note=prior.note,
                         members=prior.members, prior=prior.to_dict())
