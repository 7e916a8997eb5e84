"""Helpers for the incident, ticket and priority tests: a fixed clock, a placed device, events."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from heatwatch.contract import Event, Finding, Prognosis, Status, agent_topic
from heatwatch.gateway.customers.models import Customer, Site
from heatwatch.gateway.db import Database
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.incidents.models import Incident
from heatwatch.gateway.tickets.models import Ticket, TicketChange
from heatwatch.gateway.users.models import Role, User

DAY = timedelta(days=1)
JANUARY = datetime(2025, 1, 10, 6, 0, tzinfo=timezone.utc)
MAY = datetime(2025, 5, 15, 6, 0, tzinfo=timezone.utc)
KASSEL = (51.3, 9.5)

_ids = itertools.count(1)


@dataclass
class Clock:
    """The gateway's clock, moved by the test."""

    now: datetime = JANUARY

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


def place_devices(db: Database, *devices: str, location: tuple[float, float] | None = KASSEL) -> int:
    """Devices at one customer's site; returns the site id."""
    with db.transaction() as s:
        lat, lon = location if location else (None, None)
        site = Site(customer=Customer(name="A. Customer"), city="Kassel", country="DE", latitude=lat, longitude=lon)
        s.add_all([Device(id=d, site=site) for d in devices])
        s.flush()
        return site.id


def add_user(db: Database, name: str, role: Role) -> int:
    with db.transaction() as s:
        user = User(name=name, role=role)
        s.add(user)
        s.flush()
        return user.id


def event(kind: str = "fault", *, at: datetime = JANUARY, fault: str | None = "refrigerant_leak",
          device: str = "hp-001", severity: str = "critical", failure_in: timedelta | None = None,
          seq: int | None = None, event_id: str | None = None, channels: list[str] | None = None) -> Event:
    """An event as the agent sends it; ``failure_in`` adds a prognosis (trip that long after ``at``)."""
    n = next(_ids)
    prognosis = None
    if failure_in is not None:
        trip = at + failure_in
        prognosis = Prognosis(indicator="p_low", threshold=1.0, predicted_trip_ts=trip.timestamp(),
                              lower_ts=(trip - failure_in / 2).timestamp(), upper_ts=(trip + failure_in).timestamp())
    findings = [Finding(kind="residual", channels=channels or ["eev_pct"], score=3.0)]
    return Event(device=device, seq=n if seq is None else seq, event_id=event_id or f"ev-{n:08d}", ts=at.timestamp(),
                 kind=kind, fault=fault, severity=severity, confidence=0.7, explanation=f"{kind} {fault}",
                 findings=findings, prognosis=prognosis)


def message(ev: Event) -> tuple[str, bytes]:
    return agent_topic(ev.device, "event"), ev.to_json()


def status(online: bool, at: datetime, device: str = "hp-001", counters: dict | None = None) -> tuple[str, bytes]:
    st = Status(device=device, online=online, ts=at.timestamp(), counters=counters)
    return agent_topic(device, "status"), st.to_json()


def count(db: Database, model, *where) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def incidents(db: Database, device: str = "hp-001") -> list[Incident]:
    with db.transaction() as s:
        return list(s.scalars(select(Incident).where(Incident.device_id == device).order_by(Incident.id)))


def tickets(db: Database, device: str = "hp-001") -> list[Ticket]:
    with db.transaction() as s:
        return list(s.scalars(select(Ticket).where(Ticket.device_id == device).order_by(Ticket.id)))


def history(db: Database, ticket_id: int) -> list[tuple[str, str, str | None, str | None]]:
    """(actor, action, from, to) of a ticket's history, oldest first."""
    with db.transaction() as s:
        return [(c.actor, c.action, c.from_value, c.to_value) for c in s.scalars(
            select(TicketChange).where(TicketChange.ticket_id == ticket_id).order_by(TicketChange.id))]
