"""Who sees which rows: staff see every customer's; a customer user only their own.

A customer's reach goes through the data: their sites, the devices standing
at those sites, the incidents and tickets of those devices (a device moved
to another customer's site takes its tickets with it). A row outside a
customer's reach is answered with 404, exactly as a row that does not
exist: a 403 would confirm that the id is taken (device ids are serial
numbers), and who else is a customer is not a customer's business.

Technicians see all of it, read-only (the decision and why: docs/gateway.md,
"API"): a visit often needs a pump's earlier tickets, and a technician
covers for a colleague. Acting on a ticket is another matter (its actions
check the assignment).
"""

from __future__ import annotations

from typing import TypeVar

from fastapi import HTTPException, status
from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from heatwatch.gateway.customers.models import Customer, Site
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.incidents.models import Incident
from heatwatch.gateway.tickets.models import Ticket
from heatwatch.gateway.users.service import Principal

T = TypeVar("T")


def customers_visible(p: Principal) -> ColumnElement[bool]:
    return Customer.id == p.customer_id if p.is_customer else true()


def sites_visible(p: Principal) -> ColumnElement[bool]:
    return Site.customer_id == p.customer_id if p.is_customer else true()


def _own_devices(p: Principal):
    return select(Device.id).join(Site, Device.site_id == Site.id).where(Site.customer_id == p.customer_id)


def devices_visible(p: Principal) -> ColumnElement[bool]:
    if not p.is_customer:
        return true()
    return Device.site_id.in_(select(Site.id).where(Site.customer_id == p.customer_id))


def incidents_visible(p: Principal) -> ColumnElement[bool]:
    return Incident.device_id.in_(_own_devices(p)) if p.is_customer else true()


def tickets_visible(p: Principal) -> ColumnElement[bool]:
    return Ticket.device_id.in_(_own_devices(p)) if p.is_customer else true()


def find(session: Session, model: type[T], row_id: object, visible: ColumnElement[bool], what: str) -> T:
    """The row ``row_id`` of ``model`` if the caller may see it; otherwise 404, whether it exists or not."""
    pk = model.__mapper__.primary_key[0]  # type: ignore[attr-defined]
    row = session.scalar(select(model).where(pk == row_id, visible))
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no {what} {row_id}")
    return row
