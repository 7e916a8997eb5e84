"""The API on SQLite and a real PostgreSQL: tokens and roles, a customer confined to their own
rows (404 for the others', as for rows that do not exist), the resources' reads and writes,
tickets sorted by urgency and paged by cursor, health and metrics."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select, update

from heatwatch.gateway.db import utcnow
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.incidents.models import DEVICE_OFFLINE, Incident
from heatwatch.gateway.settings import BrokerSettings, DatabaseSettings, GatewaySettings
from heatwatch.gateway.users.models import ApiToken, User
from tests.support.mqtt import wait_for

if TYPE_CHECKING:
    from fastapi.testclient import TestClient

    from tests.gateway.api_world import World

pytest_plugins = ["tests.gateway.api_world"]  # its fixtures: world, api, make_api

# ---- tokens and roles ---------------------------------------------------------------------------


def test_a_token_is_needed_and_must_be_valid(api, world: World, db):
    assert api.get("/tickets").status_code == 401
    assert api.get("/tickets").headers["WWW-Authenticate"] == "Bearer"
    assert api.get("/tickets", headers={"Authorization": "Bearer hwt_not-a-token"}).status_code == 401
    assert api.get("/tickets", headers={"Authorization": "Basic dXNlcjpwdw=="}).status_code == 401
    me = api.get("/me", headers=world.auth("technician")).json()
    assert me == {"id": world.user_ids["technician"], "name": "technician", "role": "technician", "customer_id": None}

    with db.transaction() as s:  # revoked, expired, deactivated: all refused
        s.execute(update(ApiToken).where(ApiToken.user_id == world.user_ids["technician"]).values(revoked_at=utcnow()))
        s.execute(update(ApiToken).where(ApiToken.user_id == world.user_ids["technician2"])
                  .values(expires_at=utcnow() - timedelta(seconds=1)))
        s.execute(update(User).where(User.id == world.user_ids["dispatcher"]).values(active=False))
    for who in ("technician", "technician2", "dispatcher"):
        assert api.get("/me", headers=world.auth(who)).status_code == 401, who
    assert api.get("/me", headers=world.auth("admin")).status_code == 200


def test_a_token_records_when_it_was_last_used(api, world: World, db):
    api.get("/me", headers=world.auth("customer_a"))
    with db.transaction() as s:
        used = s.query(ApiToken.last_used_at).filter(ApiToken.user_id == world.user_ids["customer_a"]).scalar()
    assert used is not None and utcnow() - used < timedelta(minutes=1)


@pytest.mark.parametrize("who, method, path, body, allowed", [
    ("customer_a", "POST", "/customers", {"name": "X"}, False),
    ("technician", "POST", "/customers", {"name": "X"}, False),
    ("dispatcher", "POST", "/customers", {"name": "X"}, True),
    ("dispatcher", "POST", "/devices", {"id": "hp-new"}, False),  # devices are registered by an admin
    ("admin", "POST", "/devices", {"id": "hp-new"}, True),
    ("technician", "PATCH", "/devices/hp-a1", {"nickname": "loft"}, False),
    ("customer_a", "PATCH", "/devices/hp-a1", {"nickname": "loft"}, False),
    ("dispatcher", "PATCH", "/devices/hp-a1", {"nickname": "loft"}, True),
    ("dispatcher", "GET", "/webhooks", None, False),
    ("admin", "GET", "/webhooks", None, True),
])
def test_roles(api, world: World, who, method, path, body, allowed):
    r = api.request(method, path, json=body, headers=world.auth(who))
    assert (r.status_code < 300) == allowed, r.text
    if not allowed:
        assert r.status_code == 403


# ---- a customer sees only their own --------------------------------------------------------------


def test_a_customer_cannot_read_another_customers_device_or_ticket(api, world: World):
    a, b = world.auth("customer_a"), world.auth("customer_b")
    b_ticket, a_ticket = world.tickets["b1 drift"], world.tickets["a1 leak"]
    assert api.get("/devices/hp-a1", headers=a).status_code == 200
    assert api.get(f"/tickets/{a_ticket}", headers=a).status_code == 200
    # another customer's rows answer exactly as rows that do not exist
    for path, missing in [("/devices/hp-b1", "/devices/hp-zz9"), (f"/tickets/{b_ticket}", "/tickets/99999"),
                          (f"/incidents/{world.incidents['drift']}", "/incidents/99999"),
                          (f"/sites/{world.sites['b']}", "/sites/99999"),
                          (f"/customers/{world.customers['b']}", "/customers/99999"),
                          ("/devices/hp-b1/telemetry", "/devices/hp-zz9/telemetry")]:
        theirs, nobodys = api.get(path, headers=a), api.get(missing, headers=a)
        assert theirs.status_code == nobodys.status_code == 404, path
        assert theirs.json()["detail"].split()[:2] == nobodys.json()["detail"].split()[:2]
    assert api.get("/devices/hp-spare", headers=a).status_code == 404  # not placed: nobody's customer
    # and the other way round
    assert api.get(f"/tickets/{a_ticket}", headers=b).status_code == 404
    assert api.get("/devices/hp-a1", headers=b).status_code == 404


def test_a_customers_lists_hold_only_their_own(api, world: World):
    a = world.auth("customer_a")
    devices = [d["id"] for d in api.get("/devices", headers=a).json()["items"]]
    assert devices == ["hp-a1", "hp-a2"]
    tickets = _all(api, "/tickets", a)
    assert tickets and {t["device_id"] for t in tickets} == {"hp-a1", "hp-a2"}
    assert all(t["customer_id"] == world.customers["a"] for t in tickets)
    # a filter for another customer's rows finds nothing rather than widening the view
    assert api.get("/tickets", params={"customer_id": world.customers["b"]}, headers=a).json()["items"] == []
    assert api.get("/tickets", params={"device_id": "hp-b1"}, headers=a).json()["items"] == []
    assert [c["id"] for c in api.get("/customers", headers=a).json()["items"]] == [world.customers["a"]]
    assert [s["id"] for s in api.get("/sites", headers=a).json()["items"]] == [world.sites["a"]]
    incidents = api.get("/incidents", headers=a).json()["items"]
    assert {i["device_id"] for i in incidents} == {"hp-a1"} and len(incidents) == 2
    # staff see everyone's
    assert len(api.get("/devices", headers=world.auth("technician")).json()["items"]) == 4
    assert len(_all(api, "/tickets", world.auth("technician"))) == 30


# ---- tickets: urgency order, filters, pages --------------------------------------------------------


def _all(api: TestClient, path: str, headers: dict, limit: int = 7, **params) -> list[dict]:
    """Every row of a list, page by page."""
    rows: list[dict] = []
    cursor = None
    for _ in range(100):
        r = api.get(path, params={**params, "limit": limit, **({"cursor": cursor} if cursor else {})}, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= limit
        rows += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return rows
    raise AssertionError("paging does not end")


def test_tickets_most_urgent_first_paged_without_gaps_or_repeats(api, world: World):
    d = world.auth("dispatcher")
    whole = api.get("/tickets", params={"limit": 200}, headers=d).json()
    assert whole["next_cursor"] is None and len(whole["items"]) == 30
    keys = [(t["priority"], datetime.fromisoformat(t["sla_deadline"]), t["id"]) for t in whole["items"]]
    assert keys == sorted(keys)
    titles = [t["title"] for t in whole["items"]]
    # both priority 1; "a2 urgent" must answer within the hour, "a1 leak" was answered and races its resolution
    assert titles.index("a2 urgent") < titles.index("a1 leak")
    by_title = {t["title"]: t for t in whole["items"]}
    assert by_title["a1 leak"]["sla_deadline"] == by_title["a1 leak"]["resolution_by"]
    assert by_title["a2 urgent"]["sla_deadline"] == by_title["a2 urgent"]["response_by"]
    for limit in (1, 4, 7, 30):
        assert [t["id"] for t in _all(api, "/tickets", d, limit=limit)] == [t["id"] for t in whole["items"]]


def test_ticket_filters(api, world: World):
    d = world.auth("dispatcher")
    assert {t["title"] for t in _all(api, "/tickets", d, status="scheduled")} == {"a1 leak"}
    resolved_or_scheduled = _all(api, "/tickets", d, status=["resolved", "scheduled"])
    assert {t["title"] for t in resolved_or_scheduled} == {"a1 leak", "b1 done"}
    active = _all(api, "/tickets", d, active="true")
    assert len(active) == 29 and "b1 done" not in {t["title"] for t in active}
    assert [t["title"] for t in _all(api, "/tickets", d, active="false")] == ["b1 done"]
    p2 = _all(api, "/tickets", d, priority=2)
    assert p2 and {t["priority"] for t in p2} == {2}
    assert {t["priority"] for t in _all(api, "/tickets", d, priority=[3, 4])} == {3, 4}
    assert {t["device_id"] for t in _all(api, "/tickets", d, device_id="hp-b1")} == {"hp-b1"}
    b = _all(api, "/tickets", d, customer_id=world.customers["b"])
    assert b and {t["customer_id"] for t in b} == {world.customers["b"]}
    mine = _all(api, "/tickets", world.auth("technician"), technician_id=world.user_ids["technician"])
    assert {t["title"] for t in mine} == {"a1 leak", "b1 done"}
    both = _all(api, "/tickets", d, device_id="hp-a2", priority=1)
    assert both and all(t["device_id"] == "hp-a2" and t["priority"] == 1 for t in both)
    assert api.get("/tickets", params={"priority": 9}, headers=d).status_code == 422
    assert api.get("/tickets", params={"status": "lost"}, headers=d).status_code == 422


def test_a_cursor_only_fits_its_own_list(api, world: World):
    d = world.auth("dispatcher")
    cursor = api.get("/tickets", params={"limit": 2}, headers=d).json()["next_cursor"]
    assert cursor
    assert api.get("/incidents", params={"cursor": cursor}, headers=d).status_code == 422
    for bad in ("not-a-cursor", "e30", "eyJsaXN0IjoidGlja2V0cyIsImFmdGVyIjpbMSwyLDNdfQ", "%%%"):
        r = api.get("/tickets", params={"cursor": bad}, headers=d)
        assert r.status_code == 422, (bad, r.text)


def test_a_ticket_with_its_history(api, world: World):
    r = api.get(f"/tickets/{world.tickets['a1 leak']}", headers=world.auth("customer_a"))
    ticket = r.json()
    assert ticket["status"] == "scheduled" and ticket["technician_id"] == world.user_ids["technician"]
    assert ticket["incident_id"] == world.incidents["leak"]
    assert [(h["action"], h["actor"], h["to_value"]) for h in ticket["history"]] == [
        ("created", "gateway", "open"), ("schedule", "dispatcher", "scheduled")]
    assert ticket["history"][1]["user_id"] == world.user_ids["dispatcher"]


# ---- incidents ---------------------------------------------------------------------------------------


def test_incidents_filtered_and_with_their_evidence(api, world: World):
    t = world.auth("technician")
    assert {i["id"] for i in _all(api, "/incidents", t, state="open")} == {world.incidents["leak"],
                                                                          world.incidents["drift"]}
    a1 = _all(api, "/incidents", t, device_id="hp-a1")
    assert [i["fault"] for i in a1] == ["refrigerant_leak", "fan_blocked"]  # newest first
    assert [i["id"] for i in _all(api, "/incidents", t, device_id="hp-a1", state="closed")] == [world.incidents["old"]]
    assert [i["fault"] for i in _all(api, "/incidents", t, fault="sensor_drift")] == ["sensor_drift"]
    leak = api.get(f"/incidents/{world.incidents['leak']}", headers=t).json()
    assert leak["ticket_id"] == world.tickets["a1 leak"] and leak["severity"] == "critical"
    assert [e["event_id"] for e in leak["events"]] == ["ev-leak-0001", "ev-leak-0000"]
    assert leak["events"][0]["payload"]["explanation"] == "superheat up"
    assert api.get("/incidents", params={"state": "half-open"}, headers=t).status_code == 422


# ---- customers, sites, devices: the office's writes ----------------------------------------------------


def test_customer_and_site_lifecycle(api, world: World):
    d = world.auth("dispatcher")
    r = api.post("/customers", headers=d, json={"name": "Cora Claes", "language": "nl", "time_zone": "Europe/Brussels",
                                               "preferred_channels": ["sms"], "contact_addresses": {"sms": "+32470"},
                                               "quiet_hours_start": "22:00:00", "quiet_hours_end": "07:00:00"})
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    assert api.patch(f"/customers/{cid}", headers=d, json={"language": "fr"}).json()["language"] == "fr"
    assert api.get(f"/customers/{cid}", headers=d).json()["quiet_hours_start"] == "22:00:00"
    # half the quiet hours, against what is stored: refused
    assert api.patch(f"/customers/{cid}", headers=d, json={"quiet_hours_end": None}).status_code == 422
    assert api.patch(f"/customers/{cid}", headers=d, json={"name": None}).status_code == 422

    site = api.post("/sites", headers=d, json={"customer_id": cid, "city": "Gent", "country": "BE",
                                               "latitude": 51.05, "longitude": 3.72})
    assert site.status_code == 201, site.text
    sid = site.json()["id"]
    assert api.patch(f"/sites/{sid}", headers=d, json={"latitude": None}).status_code == 422
    assert api.post("/sites", headers=d, json={"customer_id": 99999}).status_code == 422
    # a customer with a site cannot go; the site can, then the customer
    assert api.delete(f"/customers/{cid}", headers=d).status_code == 409
    assert api.delete(f"/sites/{sid}", headers=d).status_code == 204
    assert api.delete(f"/customers/{cid}", headers=d).status_code == 204
    assert api.get(f"/customers/{cid}", headers=d).status_code == 404


@pytest.mark.parametrize("body", [
    {"name": ""},
    {"name": "x" * 201},
    {"name": "A\x00B"},
    {"name": "two\nlines"},
    {"name": "X", "time_zone": "Mars/Olympus"},
    {"name": "X", "time_zone": "../../etc/passwd"},
    {"name": "X", "language": "deutsch!"},
    {"name": "X", "quiet_hours_start": "22:00:00"},
    {"name": "X", "quiet_hours_start": "22:00:00+01:00", "quiet_hours_end": "06:00:00+01:00"},
    {"name": "X", "preferred_channels": ["SMS!"]},
    {"name": "X", "surprise": 1},
])
def test_bad_customers_are_refused_with_422(api, world: World, body):
    assert api.post("/customers", headers=world.auth("admin"), json=body).status_code == 422


def test_device_registration_and_placement(api, world: World):
    admin, d = world.auth("admin"), world.auth("dispatcher")
    r = api.post("/devices", headers=admin, json={"id": "hp-c1", "model": "Generic 6 kW", "refrigerant": "R290",
                                                  "emitters": "underfloor", "install_date": "2024-09-30"})
    assert r.status_code == 201 and r.json()["site_id"] is None and r.json()["customer_id"] is None
    assert r.json()["emitters"] == "underfloor"
    bad = api.post("/devices", headers=admin, json={"id": "hp-c2", "emitters": "floor heating"})
    assert bad.status_code == 422 and "underfloor" in json.dumps(bad.json()["detail"])  # says what would do
    assert api.post("/devices", headers=admin, json={"id": "hp-c1"}).status_code == 409
    assert api.post("/devices", headers=admin, json={"id": "bad id/with slash"}).status_code == 422
    assert api.post("/devices", headers=admin, json={"id": "hp-c2", "refrigerant": "R22"}).status_code == 422
    assert api.post("/devices", headers=admin, json={"id": "hp-c2", "site_id": 99999}).status_code == 422
    placed = api.patch("/devices/hp-c1", headers=d, json={"site_id": world.sites["b"], "nickname": "garage",
                                                           "emitters": "radiators"})
    assert placed.status_code == 200 and placed.json()["customer_id"] == world.customers["b"]
    assert placed.json()["emitters"] == "radiators"
    assert api.patch("/devices/hp-c1", headers=d, json={"emitters": "stove"}).status_code == 422
    assert api.patch("/devices/hp-c1", headers=d, json={"emitters": None}).json()["emitters"] is None  # not known
    assert api.get("/devices/hp-c1", headers=world.auth("customer_b")).json()["nickname"] == "garage"
    assert api.patch("/devices/hp-c1", headers=d, json={"site_id": None}).json()["site_id"] is None
    assert api.get("/devices/hp-c1", headers=world.auth("customer_b")).status_code == 404
    assert [x["id"] for x in api.get("/devices", params={"site_id": world.sites["a"]}, headers=d).json()["items"]] == [
        "hp-a1", "hp-a2"]


# ---- telemetry ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    mean: float
    min: float
    max: float
    n: int


@dataclass(frozen=True)
class Point:
    start: datetime
    end: datetime
    intervals: int
    readings: int
    health: float | None
    channels: dict[str, Summary]


@dataclass(frozen=True)
class Series:
    device: str
    start: datetime
    end: datetime
    bucket_s: int
    channels: tuple[str, ...]
    points: list[Point]


class FakeStore:
    """Answers as the embedded store's series() does (its shapes, a fixed point)."""

    def __init__(self) -> None:
        self.asked: list[tuple] = []

    def series(self, session, device, channels, start, end, max_points):
        self.asked.append((device, tuple(channels) if channels else None, start, end, max_points))
        if channels and "superheat" in channels and max_points == 7:
            raise ValueError("the store cannot answer that")
        point = Point(start, start + timedelta(minutes=5), 5, 30, 0.1, {"t_flow": Summary(35.0, 34.5, 35.5, 30)})
        return Series(device, start, end, 300, tuple(channels or ("t_flow",)), [point])


def test_telemetry_is_read_from_the_embedded_store_by_default(api, world: World):
    r = api.get("/devices/hp-a1/telemetry", headers=world.auth("customer_a"),
                params={"start": "2025-01-10T06:00:00Z", "end": "2025-01-10T12:00:00Z", "channel": ["t_flow"]})
    assert r.status_code == 200, r.text
    assert r.json()["points"] == [] and r.json()["channels"] == ["t_flow"]  # nothing stored yet


def test_telemetry_is_read_from_the_store(make_api, world: World):
    store = FakeStore()
    api = make_api(telemetry=store)
    a = world.auth("customer_a")
    r = api.get("/devices/hp-a1/telemetry", headers=a,
                params={"start": "2025-01-10T06:00:00+01:00", "end": "2025-01-10T12:00:00Z",
                        "channel": ["t_flow", "superheat", "t_flow"], "max_points": 100})
    assert r.status_code == 200, r.text
    series = r.json()
    assert series["bucket_seconds"] == 300 and series["channels"] == ["t_flow", "superheat"]
    assert series["points"][0]["channels"]["t_flow"] == {"mean": 35.0, "min": 34.5, "max": 35.5, "n": 30}
    assert series["points"][0]["intervals"] == 5 and series["points"][0]["health"] == 0.1
    device, channels, start, end, max_points = store.asked[-1]
    assert (device, channels, max_points) == ("hp-a1", ("t_flow", "superheat"), 100)  # derived channels too
    assert start == world.T0 - timedelta(hours=1) and end == world.T0 + timedelta(hours=6)
    assert api.get("/devices/hp-a1/telemetry", headers=a).status_code == 200
    assert store.asked[-1][1] is None and store.asked[-1][4] == 500  # every channel, 500 points
    assert store.asked[-1][3] - store.asked[-1][2] == timedelta(days=1)
    asked = len(store.asked)
    for params in ({"channel": "t_nowhere"}, {"start": "2025-01-10T06:00:00"},  # naive: which clock?
                   {"start": "2025-01-11T00:00:00Z", "end": "2025-01-10T00:00:00Z"}, {"max_points": 0},
                   {"max_points": 10_001}, {"start": "2020-01-01T00:00:00Z", "end": "2025-01-01T00:00:00Z"}):
        assert api.get("/devices/hp-a1/telemetry", headers=a, params=params).status_code == 422, params
    assert api.get("/devices/hp-b1/telemetry", headers=a).status_code == 404
    assert len(store.asked) == asked  # none of those reached the store
    refused = api.get("/devices/hp-a1/telemetry", headers=a, params={"channel": "superheat", "max_points": 7})
    assert refused.status_code == 422 and "cannot answer" in refused.json()["detail"][0]["msg"]


# ---- health and metrics ----------------------------------------------------------------------------------


def test_health_without_ingest(api):
    r = api.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok", "broker": "off", "webhooks": "off", "periodic": "off",
                        "commands": "off", "notifications": "off"}


@pytest.mark.parametrize("backend", ["sqlite"])
def test_health_follows_the_broker(make_api, db_url, broker):
    settings = GatewaySettings(database=DatabaseSettings(url=db_url),
                               broker=BrokerSettings(url=broker.url, client_id="gw-health", shared_group=""))
    api = make_api(settings, ingest=True, webhooks_worker=True)
    app = api.app
    assert app.state.subscriber.subscribed.wait(10)
    assert api.get("/healthz").json() == {"status": "ok", "database": "ok", "broker": "connected",
                                          "webhooks": "running", "periodic": "off", "commands": "running",
                                          "notifications": "off"}
    app.state.command_sender.stop()  # a worker that died is a failing health, whatever else is fine
    r = api.get("/healthz")
    assert r.status_code == 503 and r.json()["commands"] == "stopped" and r.json()["status"] == "failing"
    broker.stop()
    wait_for(lambda: not app.state.subscriber.subscribed.is_set(), 10, "the subscriber to notice")
    r = api.get("/healthz")
    assert r.status_code == 503 and r.json()["broker"] == "disconnected" and r.json()["status"] == "failing"


def test_the_periodic_jobs_run_beside_the_api(make_api, db_url, world: World, db):
    """A device silent for a day becomes a device_offline incident with nobody calling anything:
    the worker's own sweeps find it; compaction runs too; /healthz and /metrics say so."""
    with db.transaction() as s:
        s.execute(update(Device).where(Device.id == "hp-b1").values(last_seen_at=utcnow() - timedelta(days=1)))
    settings = GatewaySettings(database=DatabaseSettings(url=db_url))
    settings.sweeps.every_s = 0.1
    settings.telemetry.compact_every_s = 0.1
    api = make_api(settings, background=True)

    def offline() -> list[Incident]:
        with db.transaction() as s:
            return list(s.scalars(select(Incident).where(Incident.device_id == "hp-b1",
                                                         Incident.fault == DEVICE_OFFLINE)))

    wait_for(lambda: offline(), 20, "the sweep to find the silent device")
    jobs = api.app.state.background
    wait_for(lambda: jobs.compaction.runs >= 1, 20, "a compaction run")
    assert api.get("/healthz").json()["periodic"] == "running"
    text = api.get("/metrics").text
    assert 'heatwatch_periodic_runs_total{job="sweeps"}' in text
    assert 'heatwatch_periodic_failures_total{job="compaction"} 0.0' in text
    assert len(offline()) == 1  # later sweeps keep the one incident


def test_metrics_count_requests_by_route_and_ingest_by_reason(api, world: World):
    api.get("/tickets/99999", headers=world.auth("admin"))
    api.get("/tickets/99998", headers=world.auth("admin"))
    api.get("/devices", headers=world.auth("admin"))
    counters = api.app.state.ingest_counters
    counters.add("accepted.telemetry", 5)
    counters.add("refused.duplicate", 2)
    text = api.get("/metrics").text
    assert 'heatwatch_http_requests_total{method="GET",route="/tickets/{ticket_id}",status="404"} 2.0' in text
    assert 'heatwatch_http_requests_total{method="GET",route="/devices",status="200"} 1.0' in text
    assert 'heatwatch_http_request_duration_seconds_count{method="GET",route="/devices"} 1.0' in text
    assert 'heatwatch_ingest_accepted_total{stream="telemetry"} 5.0' in text
    assert 'heatwatch_ingest_refused_total{reason="duplicate"} 2.0' in text
    assert "heatwatch_ingest_gaps_total 0.0" in text  # there before anything happened
    assert 'heatwatch_webhook_queue{state="pending"} 0.0' in text
    assert "/tickets/99999" not in text  # one series per route, not per id


def test_metrics_count_what_the_notification_outbox_queued_and_why_not(api):
    """The outbox's counters (a revised diagnosis told or not, a customer without a channel) are this
    process's, on /metrics beside the worker's; every name there at 0 before anything happened."""
    from heatwatch.gateway.notifications import outbox

    outbox.COUNTERS.add("diagnosis_same_words")
    counts = outbox.COUNTERS.snapshot()
    text = api.get("/metrics").text
    for name in outbox.COUNTER_NAMES:
        assert f"heatwatch_notification_outbox_{name}_total {float(counts.get(name, 0))}" in text, name
    assert counts["diagnosis_same_words"] >= 1
