"""A small world for the API tests: two customers with sites, pumps, incidents and tickets, a
user of every role with a token, and a TestClient on the app (no broker, no webhook worker)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient

from heatwatch.gateway.app import create_app
from heatwatch.gateway.customers.models import Customer, Site
from heatwatch.gateway.db import Database
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.incidents.models import Incident, IncidentEvent, IncidentState, Severity
from heatwatch.gateway.ingest.models import ProcessedEvent
from heatwatch.gateway.settings import DatabaseSettings, GatewaySettings
from heatwatch.gateway.tickets.models import ResolutionCode, Ticket, TicketChange, TicketStatus
from heatwatch.gateway.users.models import Role
from heatwatch.gateway.users.service import add_user

T0 = datetime(2025, 1, 10, 6, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)


@dataclass
class World:
    T0 = T0  # when the world's tickets were opened
    tokens: dict[str, str] = field(default_factory=dict)  # admin, dispatcher, technician, customer_a, customer_b
    user_ids: dict[str, int] = field(default_factory=dict)
    customers: dict[str, int] = field(default_factory=dict)  # a, b
    sites: dict[str, int] = field(default_factory=dict)
    tickets: dict[str, int] = field(default_factory=dict)  # by title
    incidents: dict[str, int] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


def _ticket(s, device: str, title: str, priority: int, response_in: timedelta, *, responded: bool = False,
            status: TicketStatus = TicketStatus.OPEN, technician: int | None = None,
            incident: Incident | None = None) -> Ticket:
    ticket = Ticket(device_id=device, title=title, priority=priority, status=status, incident=incident,
                    response_by=T0 + response_in, resolution_by=T0 + response_in + 48 * H,
                    responded_at=T0 if responded else None, technician_id=technician, created_at=T0)
    if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        ticket.resolution_code = ResolutionCode.FAULT_CONFIRMED
        ticket.resolved_at = T0 + 5 * H
    if status is TicketStatus.SCHEDULED:
        ticket.visit_window_start, ticket.visit_window_end = T0 + 20 * H, T0 + 22 * H
    ticket.history.append(TicketChange(at=T0, actor="gateway", action="created", to_value="open"))
    s.add(ticket)
    return ticket


def build_world(db: Database) -> World:
    w = World()
    with db.transaction() as s:
        a = Customer(name="Anna Albers", language="de", time_zone="Europe/Berlin")
        b = Customer(name="Bert Brandt", language="en")
        site_a = Site(customer=a, name="Home", city="Kassel", country="DE", latitude=51.3, longitude=9.5)
        site_b = Site(customer=b, name="Home", city="Oslo", country="NO")
        s.add_all([Device(id="hp-a1", site=site_a, nickname="cellar"), Device(id="hp-a2", site=site_a),
                   Device(id="hp-b1", site=site_b), Device(id="hp-spare")])  # hp-spare: not placed
        s.flush()
        for who, role, customer in [("admin", Role.ADMIN, None), ("dispatcher", Role.DISPATCHER, None),
                                    ("technician", Role.TECHNICIAN, None), ("technician2", Role.TECHNICIAN, None),
                                    ("customer_a", Role.CUSTOMER, a.id), ("customer_b", Role.CUSTOMER, b.id)]:
            user, issued = add_user(s, who, role, customer_id=customer)
            w.tokens[who], w.user_ids[who] = issued.token, user.id
        leak = Incident(device_id="hp-a1", fault="refrigerant_leak", severity=Severity.CRITICAL, confidence=0.9,
                        first_event_ts=T0, last_event_ts=T0 + H, event_count=2, predicted_failure_ts=T0 + 72 * H)
        old = Incident(device_id="hp-a1", fault="fan_blocked", state=IncidentState.CLOSED, first_event_ts=T0 - 900 * H,
                       last_event_ts=T0 - 890 * H, opened_at=T0 - 900 * H, closed_at=T0 - 880 * H,
                       close_reason="fault_cleared")
        drift = Incident(device_id="hp-b1", fault="sensor_drift", first_event_ts=T0, last_event_ts=T0)
        s.add_all([leak, old, drift])
        for i in range(2):
            event = ProcessedEvent(event_id=f"ev-leak-{i:04d}", device_id="hp-a1", seq=i, kind="fault",
                                   fault="refrigerant_leak", ts=T0 + i * H,
                                   payload={"kind": "fault", "explanation": "superheat up"})
            s.add_all([event, IncidentEvent(event=event, incident=leak)])
        tech = w.user_ids["technician"]
        tickets = [
            _ticket(s, "hp-a1", "a1 leak", 1, 2 * H, incident=leak, status=TicketStatus.SCHEDULED, technician=tech,
                    responded=True),  # deadline: resolution, T0+50h
            _ticket(s, "hp-a2", "a2 urgent", 1, 1 * H),  # deadline T0+1h: before "a1 leak"
            _ticket(s, "hp-b1", "b1 drift", 2, 3 * H, incident=drift),
            _ticket(s, "hp-b1", "b1 done", 3, 1 * H, status=TicketStatus.RESOLVED, responded=True, technician=tech),
            _ticket(s, "hp-a2", "a2 later", 2, 1 * H),
        ]
        tickets[0].history.append(TicketChange(at=T0 + H, actor="dispatcher", user_id=w.user_ids["dispatcher"],
                                               action="schedule", from_value="acknowledged", to_value="scheduled"))
        for i in range(25):  # enough for several pages
            tickets.append(_ticket(s, "hp-a2" if i % 2 else "hp-b1", f"bulk {i:02d}", 1 + i % 4,
                                   timedelta(minutes=7 * ((i * 11) % 25))))
        s.flush()
        w.customers = {"a": a.id, "b": b.id}
        w.sites = {"a": site_a.id, "b": site_b.id}
        w.tickets = {t.title: t.id for t in tickets}
        w.incidents = {"leak": leak.id, "old": old.id, "drift": drift.id}
    return w


def settings_for(db_url: str) -> GatewaySettings:
    return GatewaySettings(database=DatabaseSettings(url=db_url))


@pytest.fixture
def world(db) -> World:
    return build_world(db)


@pytest.fixture
def make_api(db, db_url):
    """``make_api(**create_app_options)``: a TestClient on an app over the test's database (its
    lifespan runs: the client is entered); ``settings`` may replace the settings."""
    clients: list[TestClient] = []

    def make(settings: GatewaySettings | None = None, **options) -> TestClient:
        options = {"ingest": False, "webhooks_worker": False, "background": False} | options
        client = TestClient(create_app(settings or settings_for(db_url), db=db, **options))
        clients.append(client.__enter__())
        return client

    yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def api(make_api, world):
    return make_api()
