"""/sites: where a customer's pumps stand (the address a technician drives to, the place the
weather is for). The office keeps them; technicians read them; a customer reads their own."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy import select

from heatwatch.gateway.access import find, sites_visible
from heatwatch.gateway.api.editing import apply_changes
from heatwatch.gateway.api.errors import AUTH_ERRORS, CONFLICT, NOT_FOUND, invalid
from heatwatch.gateway.api.pagination import Cursor, Limit, Page, SortKey, page
from heatwatch.gateway.api.types import RowId, RowIdQuery
from heatwatch.gateway.customers.models import Customer, Site
from heatwatch.gateway.customers.schemas import SiteIn, SiteOut, SiteUpdate
from heatwatch.gateway.deps import CurrentUser, Office, SessionDep

router = APIRouter(prefix="/sites", tags=["sites"], responses=AUTH_ERRORS)
_ORDER = (SortKey(Site.id, "int"),)


def _customer_exists(session, customer_id: int) -> None:
    if session.get(Customer, customer_id) is None:
        raise invalid(("body", "customer_id"), f"no customer {customer_id}", customer_id)


@router.get("", response_model=Page[SiteOut])
def list_sites(session: SessionDep, user: CurrentUser, customer_id: RowIdQuery | None = None,
               limit: int = Limit, cursor: str | None = Cursor):
    stmt = select(Site).where(sites_visible(user))
    if customer_id is not None:
        stmt = stmt.where(Site.customer_id == customer_id)
    rows, next_cursor = page(session, stmt, _ORDER, cursor=cursor, limit=limit, name="sites")
    return Page(items=[SiteOut.model_validate(s) for s in rows], next_cursor=next_cursor)


@router.post("", response_model=SiteOut, status_code=status.HTTP_201_CREATED)
def create_site(body: SiteIn, session: SessionDep, _user: Office):
    _customer_exists(session, body.customer_id)
    site = Site(**body.model_dump())
    session.add(site)
    session.commit()
    return site


@router.get("/{site_id}", responses=NOT_FOUND, response_model=SiteOut)
def get_site(site_id: RowId, session: SessionDep, user: CurrentUser):
    return find(session, Site, site_id, sites_visible(user), "site")


@router.patch("/{site_id}", responses=NOT_FOUND, response_model=SiteOut)
def update_site(site_id: RowId, body: SiteUpdate, session: SessionDep, user: Office):
    site = find(session, Site, site_id, sites_visible(user), "site")
    if body.customer_id is not None:
        _customer_exists(session, body.customer_id)
    apply_changes(site, body, pairs=(("latitude", "longitude"),))
    session.commit()
    return site


@router.delete("/{site_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND | CONFLICT)
def delete_site(site_id: RowId, session: SessionDep, user: Office) -> Response:
    session.delete(find(session, Site, site_id, sites_visible(user), "site"))
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
