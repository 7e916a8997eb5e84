"""/customers: the people and companies whose pumps are watched. The office (admin, dispatcher)
keeps them; technicians read them; a customer user reads their own record only."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from sqlalchemy import select

from heatwatch.gateway.access import customers_visible, find
from heatwatch.gateway.api.editing import apply_changes
from heatwatch.gateway.api.errors import AUTH_ERRORS, CONFLICT, NOT_FOUND
from heatwatch.gateway.api.pagination import Cursor, Limit, Page, SortKey, page
from heatwatch.gateway.api.types import RowId
from heatwatch.gateway.customers.models import Customer
from heatwatch.gateway.customers.schemas import CustomerIn, CustomerOut, CustomerUpdate
from heatwatch.gateway.deps import CurrentUser, Office, SessionDep

router = APIRouter(prefix="/customers", tags=["customers"], responses=AUTH_ERRORS)
_ORDER = (SortKey(Customer.id, "int"),)


@router.get("", response_model=Page[CustomerOut])
def list_customers(session: SessionDep, user: CurrentUser, limit: int = Limit, cursor: str | None = Cursor):
    rows, next_cursor = page(session, select(Customer).where(customers_visible(user)), _ORDER,
                             cursor=cursor, limit=limit, name="customers")
    return Page(items=[CustomerOut.model_validate(c) for c in rows], next_cursor=next_cursor)


@router.post("", response_model=CustomerOut, status_code=status.HTTP_201_CREATED)
def create_customer(body: CustomerIn, session: SessionDep, _user: Office):
    customer = Customer(**body.model_dump())
    session.add(customer)
    session.commit()
    return customer


@router.get("/{customer_id}", responses=NOT_FOUND, response_model=CustomerOut)
def get_customer(customer_id: RowId, session: SessionDep, user: CurrentUser):
    return find(session, Customer, customer_id, customers_visible(user), "customer")


@router.patch("/{customer_id}", responses=NOT_FOUND, response_model=CustomerOut)
def update_customer(customer_id: RowId, body: CustomerUpdate, session: SessionDep, user: Office):
    customer = find(session, Customer, customer_id, customers_visible(user), "customer")
    apply_changes(customer, body, pairs=(("quiet_hours_start", "quiet_hours_end"),))
    session.commit()
    return customer


@router.delete("/{customer_id}", status_code=status.HTTP_204_NO_CONTENT, responses=NOT_FOUND | CONFLICT)
def delete_customer(customer_id: RowId, session: SessionDep, user: Office) -> Response:
    session.delete(find(session, Customer, customer_id, customers_visible(user), "customer"))
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
