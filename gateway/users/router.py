"""/me: who the token belongs to (a client learns its role, and a technician their id for
``/tickets?technician_id=``)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from heatwatch.gateway.api.errors import AUTH_ERRORS
from heatwatch.gateway.deps import CurrentUser
from heatwatch.gateway.users.models import Role

router = APIRouter(tags=["users"], responses=AUTH_ERRORS)


class Me(BaseModel):
    id: int
    name: str
    role: Role
    customer_id: int | None


@router.get("/me", response_model=Me)
def me(user: CurrentUser):
    return Me(id=user.user_id, name=user.name, role=user.role, customer_id=user.customer_id)
