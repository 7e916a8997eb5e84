"""The ticket actions through HTTP on SQLite and PostgreSQL: the whole lifecycle with who did what,
two dispatchers on one version (one wins, one gets 409), who may do what (404 before 403 for a
customer), bad bodies (422), and a signed webhook to a real HTTP receiver for every change the
gateway makes, exactly one per history entry, none for a refused change."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from heatwatch.gateway.db import utcnow
from heatwatch.gateway.incidents.models import Incident, IncidentState
from heatwatch.gateway.tickets import service as tickets
from heatwatch.gateway.tickets.models import DeviceCommand, Ticket, TicketChange
from heatwatch.gateway.tickets.sla import sweep_sla
from heatwatch.gateway.users.models import Role
from heatwatch.gateway.users.service import add_user
from heatwatch.gateway.webhooks.models import WebhookDelivery, WebhookSubscription
from heatwatch.gateway.webhooks.signing import EVENT_HEADER, SIGNATURE_HEADER, verify
from tests.gateway.test_webhooks import FAST, SECRET, Receiver
from tests.support.mqtt import wait_for

if TYPE_CHECKING:
    from tests.gateway.api_world import World

pytest_plugins = ["tests.gateway.api_world"]  # its fixtures: world, api, make_api
H = timedelta(hours=1)
VISIT = datetime(2030, 1, 15, 8, 0, tzinfo=timezone.utc)  # ISO with "Z" on the wire


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def _read(api, world: World, ticket: int, who: str = "dispatcher") -> dict:
    r = api.get(f"/tickets/{ticket}", headers=world.auth(who))
    assert r.status_code == 200, r.text
    return r.json()


def _post(api, world: World, who: str, ticket: int, action: str, **body):
    return api.post(f"/tickets/{ticket}/{action}", headers=world.auth(who), json=body)


def _ok(response) -> dict:
    assert response.status_code == 200, response.text
    return response.json()


def _subscribe(db, url: str, events: list[str] | None = None) -> int:
    with db.transaction() as s:
        sub = WebhookSubscription(url=url, secret=SECRET, events=events or ["*"])
        s.add(sub)
        s.flush()
        return sub.id


def _queued(db) -> list[tuple[str, int, int]]:
    """(event, ticket, history entry) of every delivery queued, in order."""
    with db.transaction() as s:
        return [(d.event, d.ticket_id, d.history_id) for d in s.scalars(
            select(WebhookDelivery).order_by(WebhookDelivery.history_id, WebhookDelivery.created_at))]


def _entries(db, ticket: int) -> list[int]:
    with db.transaction() as s:
        return list(s.scalars(select(TicketChange.id).where(TicketChange.ticket_id == ticket)
                              .order_by(TicketChange.id)))


# ---- the lifecycle ------------------------------------------------------------------------------------


def test_the_whole_lifecycle_through_http_with_who_did_what(db, world: World, api):
    ticket = world.tickets["b1 drift"]  # open, with an incident (sensor_drift on hp-b1)
    tech = world.user_ids["technician"]
    with db.transaction() as s:  # opened now, not in 2025: its deadlines are ahead (not yet breached)
        now, row = utcnow(), s.get(Ticket, ticket)
        row.created_at, row.response_by, row.resolution_by = now, now + 4 * H, now + 48 * H
    v = _read(api, world, ticket)["version"]

    t = _ok(_post(api, world, "dispatcher", ticket, "acknowledge", version=v, note="on it"))
    assert t["status"] == "acknowledged" and t["version"] == v + 1 and t["responded_at"] is not None
    t = _ok(_post(api, world, "dispatcher", ticket, "schedule", version=t["version"], technician_id=tech,
                  window_start=_iso(VISIT), window_end="2030-01-15T12:00:00+02:00"))  # 10:00 UTC
    assert t["status"] == "scheduled" and t["technician_id"] == tech and t["version"] == v + 2
    assert (t["visit_window_start"], t["visit_window_end"]) == ("2030-01-15T08:00:00Z", "2030-01-15T10:00:00Z")
    assert api.get(f"/tickets/{ticket}/actions", headers=world.auth("technician")).json()["actions"] == [
        "start", "wait-on-customer", "note"]

    t = _ok(_post(api, world, "technician", ticket, "start", version=t["version"]))
    assert t["status"] == "in_progress"
    t = _ok(_post(api, world, "technician", ticket, "wait-on-customer", version=t["version"],
                  note="customer must clear the access to the outdoor unit"))
    assert t["status"] == "waiting_on_customer" and t["agreement_status"] == "paused"  # the clock stands
    assert t["sla_paused_at"] is not None
    paused_deadline = t["resolution_by"]
    acts = api.get(f"/tickets/{ticket}/actions", headers=world.auth("dispatcher")).json()
    assert acts["actions"] == ["acknowledge", "schedule", "start", "resume", "cancel", "assign", "priority", "note"]

    t = _ok(_post(api, world, "technician", ticket, "resume", version=t["version"]))
    assert t["status"] == "in_progress" and t["sla_paused_at"] is None and t["sla_paused_seconds"] > 0
    assert t["agreement_status"] == "due"
    assert t["resolution_by"] > paused_deadline  # moved by the wait
    t = _ok(_post(api, world, "technician", ticket, "resolve", version=t["version"],
                  resolution_code="fault_confirmed", summary="replaced the outdoor temperature sensor"))
    assert t["status"] == "resolved" and t["resolution_code"] == "fault_confirmed"
    assert t["resolution_note"] == "replaced the outdoor temperature sensor" and t["version"] == v + 7
    assert api.get(f"/tickets/{ticket}/actions", headers=world.auth("technician")).json()["actions"] == ["note"]

    with db.transaction() as s:  # the agent is told, the incident closed
        commands = s.scalars(select(DeviceCommand).where(DeviceCommand.ticket_id == ticket)).all()
        assert [(c.device_id, c.command, c.payload["fault"], c.payload["resolution_code"]) for c in commands] == [
            ("hp-b1", "repaired", "sensor_drift", "fault_confirmed")]
        assert s.get(Incident, world.incidents["drift"]).state is IncidentState.CLOSED

    history = [(c["actor"], c["user_id"], c["action"], c["to_value"]) for c in t["history"]]
    d, te = world.user_ids["dispatcher"], tech
    assert history == [
        ("gateway", None, "created", "open"),
        ("dispatcher", d, "status", "acknowledged"),
        ("dispatcher", d, "schedule", "2030-01-15 08:00..2030-01-15 10:00 UTC"),
        ("dispatcher", d, "assign", "technician"),
        ("dispatcher", d, "status", "scheduled"),
        ("technician", te, "status", "in_progress"),
        ("technician", te, "status", "waiting_on_customer"),
        ("technician", te, "status", "in_progress"),
        ("technician", te, "status", "resolved"),
    ]
    assert t["history"][1]["note"] == "on it" and "waited" in t["history"][7]["note"]
    assert _read(api, world, ticket, "customer_b")["status"] == "resolved"  # the customer sees it

    t = _ok(_post(api, world, "dispatcher", ticket, "close", version=t["version"]))
    assert t["status"] == "closed" and t["closed_at"] is not None
    t = _ok(_post(api, world, "technician", ticket, "note", note="customer happy"))
    assert t["history"][-1]["action"] == "note" and t["version"] == v + 8  # a note bumps nothing


def test_assign_priority_cancel_and_notes_by_the_office(db, world: World, api):
    ticket = world.tickets["a2 later"]  # open, priority 2
    v = _read(api, world, ticket)["version"]
    t = _ok(_post(api, world, "dispatcher", ticket, "assign", version=v, technician_id=world.user_ids["technician2"]))
    assert t["technician_id"] == world.user_ids["technician2"]
    before = t["resolution_by"]
    t = _ok(_post(api, world, "admin", ticket, "priority", version=t["version"], priority=1, note="frost ahead"))
    assert t["priority"] == 1 and t["resolution_by"] <= before
    t = _ok(_post(api, world, "dispatcher", ticket, "assign", version=t["version"], technician_id=None))
    assert t["technician_id"] is None
    t = _ok(_post(api, world, "dispatcher", ticket, "cancel", version=t["version"], reason="duplicate of a2 urgent"))
    assert t["status"] == "cancelled" and t["closed_at"] is not None
    assert [(c["action"], c["from_value"], c["to_value"]) for c in t["history"][1:]] == [
        ("assign", None, "technician2"), ("priority", "2", "1"), ("assign", "technician2", None),
        ("status", "open", "cancelled")]
    assert t["history"][-1]["note"] == "duplicate of a2 urgent"
    assert api.get(f"/tickets/{ticket}/actions", headers=world.auth("dispatcher")).json()["actions"] == ["note"]
    # finished: the lifecycle refuses, with what it allows
    r = _post(api, world, "dispatcher", ticket, "acknowledge", version=t["version"])
    assert r.status_code == 409 and "from cancelled it may go to: none" in r.json()["detail"]
    r = _post(api, world, "dispatcher", ticket, "assign", version=t["version"], technician_id=None)
    assert r.status_code == 422 and "cancelled" in r.text


def test_confirm_and_reject_a_proposed_close(db, world: World, api):
    ticket, incident = world.tickets["a1 leak"], world.incidents["leak"]
    v = _read(api, world, ticket)["version"]
    r = _post(api, world, "dispatcher", ticket, "confirm-close", version=v)
    assert r.status_code == 409 and "no close proposed" in r.json()["detail"]
    with db.transaction() as s:  # the pump recovered: what ingest's fault_cleared does
        _propose_close(s.get(Incident, incident))
    acts = api.get(f"/tickets/{ticket}/actions", headers=world.auth("dispatcher")).json()["actions"]
    assert acts[-2:] == ["confirm-close", "reject-close"]
    t = _ok(_post(api, world, "dispatcher", ticket, "reject-close", version=v, note="pressure still low on site"))
    assert t["status"] == "scheduled" and t["history"][-1]["action"] == "close_rejected"
    assert t["history"][-1]["note"] == "pressure still low on site"
    with db.transaction() as s:
        assert s.get(Incident, incident).close_proposed_at is None
        _propose_close(s.get(Incident, incident))
    assert _post(api, world, "dispatcher", ticket, "confirm-close", version=v + 5).status_code == 409
    t = _ok(_post(api, world, "dispatcher", ticket, "confirm-close", version=t["version"]))
    assert t["status"] == "cancelled" and "recovered" in t["history"][-1]["note"]
    with db.transaction() as s:
        assert s.get(Incident, incident).state is IncidentState.CLOSED
    r = _post(api, world, "dispatcher", world.tickets["a2 urgent"], "reject-close",
              version=_read(api, world, world.tickets["a2 urgent"])["version"])
    assert r.status_code == 422 and "has no incident" in r.text


def _propose_close(incident: Incident) -> None:
    incident.cleared_ts = incident.close_proposed_at = utcnow()


# ---- two people, one version -----------------------------------------------------------------------


def test_two_dispatchers_on_one_version_one_wins_one_is_told_to_reload(db, world: World, api):
    with db.transaction() as s:
        _, issued = add_user(s, "dispatcher2", Role.DISPATCHER)
        world.tokens["dispatcher2"] = issued.token
    ticket = world.tickets["a2 urgent"]
    v = _read(api, world, ticket)["version"]
    start = threading.Barrier(2)
    answers: dict[str, object] = {}

    def act(who: str, action: str, body: dict) -> None:
        start.wait()
        answers[who] = _post(api, world, who, ticket, action, version=v, **body)

    threads = [threading.Thread(target=act, args=("dispatcher", "acknowledge", {})),
               threading.Thread(target=act, args=("dispatcher2", "cancel", {"reason": "duplicate"}))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    codes = sorted(r.status_code for r in answers.values())
    assert codes == [200, 409], {k: r.text for k, r in answers.items()}
    loser = next(r for r in answers.values() if r.status_code == 409)
    assert f"changed since version {v}" in loser.json()["detail"] and "reload" in loser.json()["detail"]
    t = _read(api, world, ticket)
    assert t["version"] == v + 1 and len(t["history"]) == 2  # one change, not two
    # the loser reloads and decides again on what is there now
    assert _post(api, world, "dispatcher", ticket, "acknowledge", version=v).status_code in (409,)


# ---- who may do what ---------------------------------------------------------------------------------


def test_roles(db, world: World, api):
    b1, a1 = world.tickets["b1 drift"], world.tickets["a1 leak"]  # a1 leak: scheduled, technician's
    vb, va = _read(api, world, b1)["version"], _read(api, world, a1)["version"]
    missing = 999_999

    # a customer: another customer's ticket does not exist (404, as a missing one); their own: 403
    for who, ticket in (("customer_a", b1), ("customer_a", missing), ("customer_b", a1)):
        r = _post(api, world, who, ticket, "acknowledge", version=1)
        assert r.status_code == 404 and r.json()["detail"] == f"no ticket {ticket}", (who, ticket)
        assert api.get(f"/tickets/{ticket}/actions", headers=world.auth(who)).status_code == 404
    r = _post(api, world, "customer_b", b1, "acknowledge", version=vb)
    assert r.status_code == 403 and "customer may not change tickets" in r.json()["detail"]
    assert _post(api, world, "customer_b", b1, "note", note="please call first").status_code == 403
    assert api.get(f"/tickets/{b1}/actions", headers=world.auth("customer_b")).json()["actions"] == []

    # a technician: only their own tickets, only the field work
    r = _post(api, world, "technician", b1, "start", version=vb)
    assert r.status_code == 403 and "assigned to nobody" in r.json()["detail"]
    r = _post(api, world, "technician2", a1, "start", version=va)
    assert r.status_code == 403 and "assigned to another technician" in r.json()["detail"]
    for action, body in (("acknowledge", {}), ("cancel", {"reason": "x"}), ("assign", {"technician_id": None}),
                         ("priority", {"priority": 1}), ("close", {})):
        r = _post(api, world, "technician", a1, action, version=va, **body)
        assert r.status_code == 403 and "ask a dispatcher" in r.json()["detail"], action
    assert api.get(f"/tickets/{b1}/actions", headers=world.auth("technician")).json()["actions"] == []
    assert _post(api, world, "technician2", a1, "note", note="I can cover on Friday").status_code == 403
    assert _ok(_post(api, world, "technician", a1, "start", version=va))["status"] == "in_progress"

    # admin and dispatcher: everything; no token: 401
    assert _ok(_post(api, world, "admin", b1, "acknowledge", version=vb))["status"] == "acknowledged"
    assert api.post(f"/tickets/{b1}/note", json={"note": "x"}).status_code == 401
    assert _read(api, world, b1)["version"] == vb + 1  # nothing refused changed anything


def test_bad_bodies_are_422(db, world: World, api):
    ticket = world.tickets["a2 urgent"]
    v = _read(api, world, ticket)["version"]
    tech = world.user_ids["technician"]
    window = {"window_start": _iso(VISIT), "window_end": _iso(VISIT + 2 * H)}
    bad = [
        ("acknowledge", {}),  # no version
        ("acknowledge", {"version": 0}),
        ("acknowledge", {"version": "latest"}),
        ("acknowledge", {"version": v, "colour": "red"}),  # unknown field
        ("acknowledge", {"version": v, "note": "nul\x00byte"}),
        ("schedule", {"version": v, "window_start": "2030-01-15T08:00:00", "window_end": _iso(VISIT + H)}),  # naive
        ("schedule", {"version": v, "window_start": _iso(VISIT), "window_end": _iso(VISIT - H)}),  # ends first
        ("schedule", {"version": v, **window, "technician_id": world.user_ids["dispatcher"]}),  # not a technician
        ("schedule", {"version": v, **window, "technician_id": 2**40}),
        ("schedule", {"version": v, "window_start": "3000-01-01T00:00:00Z", "window_end": "3000-01-02T00:00:00Z"}),
        ("resolve", {"version": v, "resolution_code": "fixed_it"}),
        ("resolve", {"version": v, "resolution_code": "fault_confirmed", "summary": "  "}),  # what was done?
        ("cancel", {"version": v}),
        ("cancel", {"version": v, "reason": ""}),
        ("cancel", {"version": v, "reason": "   "}),
        ("assign", {"version": v}),  # say who, or null
        ("assign", {"version": v, "technician_id": 999_999}),
        ("priority", {"version": v, "priority": 9}),
        ("priority", {"version": v, "priority": "urgent"}),
        ("note", {"note": ""}),
        ("note", {"note": " \n "}),
        ("note", {"note": "x" * 4001}),
    ]
    for action, body in bad:
        r = api.post(f"/tickets/{ticket}/{action}", headers=world.auth("dispatcher"), json=body)
        assert r.status_code == 422, (action, body, r.status_code, r.text)
        assert isinstance(r.json()["detail"], list), r.text  # FastAPI's shape: what is wrong where
    assert api.post(f"/tickets/{ticket}/acknowledge", headers=world.auth("dispatcher"), content=b"{").status_code \
        == 422
    t = _read(api, world, ticket)
    assert t["version"] == v and t["status"] == "open" and len(t["history"]) == 1  # nothing was written
    assert _ok(_post(api, world, "dispatcher", ticket, "schedule", version=v, technician_id=tech, **window))


# ---- webhooks for every change ----------------------------------------------------------------------


def test_a_change_through_the_api_is_delivered_signed_to_a_real_receiver(db, world: World, make_api, receiver):
    api = make_api(webhooks_worker=True, retry_policy=FAST, webhook_poll_seconds=0.05)
    r = api.post("/webhooks", headers=world.auth("admin"), json={"url": receiver.url, "events": ["ticket.*"]})
    assert r.status_code == 201, r.text
    secret = r.json()["secret"]
    ticket = world.tickets["a2 urgent"]
    v = _read(api, world, ticket)["version"]
    t = _ok(_post(api, world, "dispatcher", ticket, "acknowledge", version=v))
    wait_for(lambda: receiver.count() >= 1, 10, "the delivery")
    got = receiver.got[0]
    assert verify(secret, got.body, got.headers[SIGNATURE_HEADER]) and got.headers[EVENT_HEADER] == "ticket.status"
    body = json.loads(got.body)
    assert body["change"]["actor"] == "dispatcher" and body["change"]["to_value"] == "acknowledged"
    assert body["change"]["user_id"] == world.user_ids["dispatcher"]
    assert body["ticket"]["status"] == "acknowledged" and body["ticket"]["version"] == t["version"]

    # refused (stale, and not allowed): nothing queued
    before = len(_queued(db))
    assert _post(api, world, "dispatcher", ticket, "cancel", version=v, reason="dup").status_code == 409
    assert _post(api, world, "dispatcher", ticket, "close", version=t["version"]).status_code == 409
    assert _post(api, world, "technician", ticket, "note", note="x").status_code == 403
    assert len(_queued(db)) == before == 1

    # one action, three history entries: three deliveries, in order, each once
    t = _ok(_post(api, world, "dispatcher", ticket, "schedule", version=t["version"], window_start=_iso(VISIT),
                  window_end=_iso(VISIT + 2 * H), technician_id=world.user_ids["technician"]))
    wait_for(lambda: receiver.count() >= 4, 10, "three more deliveries")
    assert [json.loads(g.body)["event"] for g in receiver.got] == [
        "ticket.status", "ticket.schedule", "ticket.assign", "ticket.status"]
    assert [e for e, _, _ in _queued(db)] == [json.loads(g.body)["event"] for g in receiver.got]
    assert [h for _, _, h in _queued(db)] == _entries(db, ticket)[1:]  # each entry but "created" (world's)


def test_every_change_the_gateway_makes_queues_one_delivery_per_history_entry(db, world: World):
    """open_ticket, escalate, the incident logic's notes, the SLA sweep, a plain add_note: each
    history entry once, even when a transaction writes several, and none from a rolled back savepoint."""
    _subscribe(db, "http://127.0.0.1:9/never")
    now = utcnow()
    with db.transaction() as s:
        opened = tickets.open_ticket(s, device_id="hp-a1", title="compressor noise", priority=3, now=now)
        tickets.escalate(s, opened, 2, "frost ahead", now)
        tickets.record_change(s, opened, tickets.GATEWAY, "trip", None, "hp trip", "the pump stopped", now)
        with pytest.raises(RuntimeError), s.begin_nested():  # a savepoint that rolls back takes its entry
            tickets.record_change(s, opened, tickets.GATEWAY, "note", None, None, "gone", now)
            s.flush()
            raise RuntimeError
        new = opened.id
    assert [(e, t) for e, t, _ in _queued(db)] == [("ticket.created", new), ("ticket.priority", new),
                                                   ("ticket.trip", new)]
    assert [h for _, _, h in _queued(db)] == _entries(db, new)

    with db.transaction() as s:  # a deadline long gone (the world's tickets are from 2025): the sweep writes
        held = s.scalars(select(Ticket)).all()  # in the session as the sweep changes them behind the ORM
        sweep_sla(s, now)
        assert held
    with db.transaction() as s:
        sla_entries = s.scalars(select(TicketChange).where(TicketChange.action == "sla")).all()
        deliveries = s.scalars(select(WebhookDelivery).where(WebhookDelivery.event == "ticket.sla")).all()
        assert sla_entries and sorted(d.history_id for d in deliveries) == sorted(e.id for e in sla_entries)
        assert {json.loads(d.body)["ticket"]["agreement_status"] for d in deliveries} == {"breached"}
        total = s.scalar(select(func.count()).select_from(WebhookDelivery))
        assert total == s.scalar(select(func.count()).select_from(TicketChange).where(
            TicketChange.id.in_(select(WebhookDelivery.history_id))))  # never two for one entry

    with pytest.raises(RuntimeError), db.transaction() as s:  # a change that fails: nothing
        tickets.add_note(s, new, actor=tickets.GATEWAY, note="never committed")
        s.flush()
        raise RuntimeError
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(WebhookDelivery)) == total
        assert s.get(Ticket, new).version == 2
