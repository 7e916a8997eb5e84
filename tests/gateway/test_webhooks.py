"""Outgoing webhooks on SQLite and a real PostgreSQL, delivered to a real HTTP server on a free
port: queued once per ticket change and subscriber, signed, retried with backoff after 500s,
given up and retried by hand, never sent twice at once by two workers, each attempt logged."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select

from heatwatch.gateway.db import Database, utcnow
from heatwatch.gateway.tickets.models import Ticket, TicketChange, TicketStatus
from heatwatch.gateway.webhooks.delivery import DeliveryWorker, RetryPolicy
from heatwatch.gateway.webhooks.models import DeliveryState, WebhookAttempt, WebhookDelivery, WebhookSubscription
from heatwatch.gateway.webhooks.service import enqueue_ticket_change, wants
from heatwatch.gateway.webhooks.signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign, verify
from tests.support.mqtt import wait_for

if TYPE_CHECKING:
    from tests.gateway.api_world import World

pytest_plugins = ["tests.gateway.api_world"]  # its fixtures: world, api, make_api
SECRET = "whsec_test-secret-0123456789"
FAST = RetryPolicy(max_attempts=5, first_retry_seconds=0.2, max_retry_seconds=1.0, timeout_seconds=5.0)


@dataclass
class Received:
    at: float
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A field-service system's endpoint: records every POST, answers with the scripted statuses
    in turn (then ``default``)."""

    def __init__(self) -> None:
        self.got: list[Received] = []
        self.script: list[int] = []
        self.default = 200
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.got.append(Received(time.monotonic(), self.path, dict(self.headers), body))
                    status = receiver.script.pop(0) if receiver.script else receiver.default
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", f"http://127.0.0.1:{receiver.port}/elsewhere")
                answer = b'{"ok": true}' if status < 300 else b"receiver says no"
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/heatwatch"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def count(self) -> int:
        with self.lock:
            return len(self.got)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


def _subscribe(db: Database, url: str, events: list[str] | None = None, active: bool = True) -> int:
    with db.transaction() as s:
        sub = WebhookSubscription(url=url, secret=SECRET, events=events or ["ticket.*"], active=active)
        s.add(sub)
        s.flush()
        return sub.id


def _change(db: Database, ticket_id: int, action: str = "status", to: str = "acknowledged",
            enqueue_twice: bool = False) -> int:
    """What the ticket service does: a history entry and its webhooks in one transaction."""
    with db.transaction() as s:
        ticket = s.get(Ticket, ticket_id)
        entry = TicketChange(ticket=ticket, actor="dispatcher", action=action, from_value="open", to_value=to)
        s.add(entry)
        enqueue_ticket_change(s, ticket, entry)
        if enqueue_twice:
            enqueue_ticket_change(s, ticket, entry)
        s.flush()
        return entry.id


def _deliveries(db: Database) -> list[WebhookDelivery]:
    with db.transaction() as s:
        return list(s.scalars(select(WebhookDelivery).order_by(WebhookDelivery.created_at, WebhookDelivery.id)))


def _attempts(db: Database, delivery_id: str) -> list[WebhookAttempt]:
    with db.transaction() as s:
        return list(s.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
                              .order_by(WebhookAttempt.number)))


# ---- queueing -----------------------------------------------------------------------------------


def test_event_patterns():
    assert wants(["*"], "ticket.status") and wants(["ticket.*"], "ticket.note")
    assert wants(["ticket.note", "ticket.status"], "ticket.status")
    assert not wants(["ticket.note"], "ticket.status") and not wants([], "ticket.status")


def test_a_change_is_queued_once_per_subscriber_that_wants_it(db, world: World, receiver):
    everything = _subscribe(db, receiver.url)
    statuses = _subscribe(db, receiver.url, ["ticket.status"])
    _subscribe(db, receiver.url, ["ticket.note"])
    paused = _subscribe(db, receiver.url, active=False)  # queues too, sends when resumed
    ticket = world.tickets["a1 leak"]
    entry = _change(db, ticket, enqueue_twice=True)
    with db.transaction() as s:  # the ticket service calling again later: still nothing new
        again = enqueue_ticket_change(s, s.get(Ticket, ticket), s.get(TicketChange, entry))
    assert again == 0
    queued = _deliveries(db)
    assert sorted(d.subscription_id for d in queued) == sorted([everything, statuses, paused])
    assert {(d.history_id, d.event, d.state, d.attempts) for d in queued} == {
        (entry, "ticket.status", DeliveryState.PENDING, 0)}
    body = json.loads(queued[0].body)
    assert body["delivery_id"] == queued[0].id and body["event"] == "ticket.status"
    assert body["ticket"]["id"] == ticket and body["ticket"]["customer_id"] == world.customers["a"]
    assert body["change"]["to_value"] == "acknowledged" and body["change"]["id"] == entry


def test_the_body_shows_the_ticket_as_the_change_leaves_it(db, world: World, receiver):
    _subscribe(db, receiver.url)
    with db.transaction() as s:  # the ticket service changes the ticket and queues before any flush
        ticket = s.get(Ticket, world.tickets["a2 urgent"])
        before = ticket.version
        ticket.status, ticket.responded_at = TicketStatus.ACKNOWLEDGED, utcnow()
        entry = TicketChange(ticket=ticket, actor="dispatcher", action="status", from_value="open",
                             to_value="acknowledged")
        assert enqueue_ticket_change(s, ticket, entry) == 1
    sent = json.loads(_deliveries(db)[0].body)["ticket"]
    assert sent["status"] == "acknowledged" and sent["version"] == before + 1
    assert sent["sla_deadline"] == sent["resolution_by"]  # answered: now it races the resolution


def test_a_change_that_rolls_back_queues_nothing(db, world: World, receiver):
    _subscribe(db, receiver.url)
    with pytest.raises(RuntimeError), db.transaction() as s:
        ticket = s.get(Ticket, world.tickets["a1 leak"])
        entry = TicketChange(ticket=ticket, actor="x", action="note")
        s.add(entry)
        enqueue_ticket_change(s, ticket, entry)
        raise RuntimeError("the ticket change failed")
    assert _deliveries(db) == []


# ---- delivery -----------------------------------------------------------------------------------


def test_delivered_signed_and_retried_after_500s_with_backoff(db, world: World, receiver):
    sub = _subscribe(db, receiver.url)
    receiver.script = [500, 500, 503]
    _change(db, world.tickets["a2 urgent"])
    worker = DeliveryWorker(db, FAST, poll_seconds=0.05).start()
    try:
        wait_for(lambda: receiver.count() >= 4, 30, "four attempts")
        wait_for(lambda: _deliveries(db)[0].state is DeliveryState.DELIVERED, 10, "the delivery recorded")
    finally:
        worker.stop()
    delivery = _deliveries(db)[0]
    assert delivery.subscription_id == sub and delivery.attempts == 4 and delivery.last_error == ""
    got = receiver.got
    assert len(got) == 4  # nothing more once delivered
    for r in got:  # every attempt: the same bytes, the same delivery id, a valid signature
        assert r.path == "/heatwatch" and r.body == delivery.body.encode()
        assert r.headers[DELIVERY_HEADER] == delivery.id and r.headers[EVENT_HEADER] == "ticket.status"
        assert r.headers[SIGNATURE_HEADER] == sign(SECRET, r.body)
        assert verify(SECRET, r.body, r.headers[SIGNATURE_HEADER])
        assert r.headers["Content-Type"].startswith("application/json")
    assert not verify(SECRET, got[0].body.replace(b"acknowledged", b"cancelled"), got[0].headers[SIGNATURE_HEADER])
    assert not verify("another-secret-0123", got[0].body, got[0].headers[SIGNATURE_HEADER])
    # backoff: 0.2 s, 0.4 s, 0.8 s between the attempts (at least; the poll adds a little)
    gaps = [b.at - a.at for a, b in zip(got, got[1:])]
    assert gaps[0] >= 0.2 and gaps[1] >= 0.4 and gaps[2] >= 0.8, gaps
    log = _attempts(db, delivery.id)
    assert [(a.number, a.status_code) for a in log] == [(1, 500), (2, 500), (3, 503), (4, 200)]
    assert log[0].error.startswith("HTTP 500") and log[0].response_excerpt == "receiver says no"
    assert log[3].error == "" and log[3].duration_ms > 0
    assert worker.counters.get("delivered") == 1 and worker.counters.get("attempts_failed") == 3


def test_backoff_doubles_up_to_its_cap():
    policy = RetryPolicy(max_attempts=12, first_retry_seconds=10, max_retry_seconds=3600)
    assert [policy.delay_after(n) for n in range(1, 11)] == [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600]
    assert policy.delay_after(500) == 3600


def test_given_up_after_the_last_attempt_and_retried_by_hand(db, world: World, receiver, make_api):
    sub = _subscribe(db, receiver.url)
    receiver.default = 500
    policy = RetryPolicy(max_attempts=3, first_retry_seconds=0.05, max_retry_seconds=0.1, timeout_seconds=5)
    _change(db, world.tickets["a2 urgent"])
    worker = DeliveryWorker(db, policy, poll_seconds=0.05).start()
    try:
        wait_for(lambda: _deliveries(db)[0].state is DeliveryState.FAILED, 30, "the delivery given up")
        time.sleep(0.3)
        assert receiver.count() == 3  # not one more
        delivery = _deliveries(db)[0]
        assert delivery.attempts == 3 and delivery.last_error.startswith("HTTP 500")
        assert worker.counters.get("given_up") == 1

        receiver.default = 200  # the receiver is fixed; an admin sends it again
        api = make_api()
        admin = world.auth("admin")
        listed = api.get(f"/webhooks/{sub}/deliveries", params={"state": "failed"}, headers=admin).json()["items"]
        assert [d["id"] for d in listed] == [delivery.id]
        r = api.post(f"/webhooks/{sub}/deliveries/{delivery.id}/retry", headers=admin)
        assert r.status_code == 200 and r.json()["state"] == "pending"
        worker.wake()
        wait_for(lambda: _deliveries(db)[0].state is DeliveryState.DELIVERED, 10, "the retried delivery")
        detail = api.get(f"/webhooks/{sub}/deliveries/{delivery.id}", headers=admin).json()
        assert [a["status_code"] for a in detail["log"]] == [500, 500, 500, 200]
        assert json.loads(detail["body"])["delivery_id"] == delivery.id
        assert api.post(f"/webhooks/{sub}/deliveries/{delivery.id}/retry", headers=admin).status_code == 409
    finally:
        worker.stop()


def test_no_answer_and_redirects_are_failed_attempts(db, world: World, receiver):
    refused = Receiver()
    dead_url = refused.url
    refused.close()  # nothing listens there any more
    _subscribe(db, dead_url)
    _subscribe(db, receiver.url)
    receiver.script = [302]
    _change(db, world.tickets["a2 urgent"])
    worker = DeliveryWorker(db, RetryPolicy(max_attempts=1, timeout_seconds=5))
    assert worker.run_once() == 2
    assert [d.state for d in _deliveries(db)] == [DeliveryState.FAILED] * 2
    logs = [_attempts(db, d.id)[0] for d in _deliveries(db)]
    no_answer = [a for a in logs if a.status_code is None]
    redirected = [a for a in logs if a.status_code == 302]
    assert len(no_answer) == 1 and "Connection" in no_answer[0].error  # ConnectionRefusedError
    assert len(redirected) == 1
    assert [r.path for r in receiver.got] == ["/heatwatch"]  # the redirect was not followed


def test_two_workers_never_send_one_delivery_twice(db, db_url, world: World, receiver):
    _subscribe(db, receiver.url)
    for i in range(30):
        _change(db, world.tickets[f"bulk {i % 25:02d}"], action="note", to=str(i))
    databases = [Database.open(db_url, busy_timeout=30.0) for _ in range(2)]
    workers = [DeliveryWorker(d, FAST, poll_seconds=0.02, batch=3).start() for d in databases]
    try:
        wait_for(lambda: receiver.count() >= 30, 60, "30 deliveries")
        time.sleep(0.3)
    finally:
        for w, d in zip(workers, databases):
            w.stop()
            d.close()
    ids = [r.headers[DELIVERY_HEADER] for r in receiver.got]
    assert len(ids) == len(set(ids)) == 30
    assert all(w.counters.get("delivered") > 0 for w in workers), [w.counters.snapshot() for w in workers]
    assert {d.state for d in _deliveries(db)} == {DeliveryState.DELIVERED}


def test_a_worker_that_dies_mid_send_leaves_the_delivery_to_another(db, world: World, receiver):
    _subscribe(db, receiver.url)
    _change(db, world.tickets["a2 urgent"])
    dying = DeliveryWorker(db, FAST)
    claimed = dying._claim(utcnow())  # claimed, then the process is killed before it sends
    assert len(claimed) == 1
    other = DeliveryWorker(db, FAST)
    assert other.run_once() == 0  # leased: not due for anyone yet
    later = utcnow() + timedelta(seconds=FAST.lease_seconds + 1)
    assert other.run_once(now=later) == 1
    assert receiver.got[0].headers[DELIVERY_HEADER] == claimed[0].id
    assert _deliveries(db)[0].state is DeliveryState.DELIVERED


# ---- the API and the app ----------------------------------------------------------------------------


def test_subscriptions_through_the_api(db, world: World, receiver, make_api):
    api = make_api(webhooks_worker=True, retry_policy=FAST, webhook_poll_seconds=0.05)
    admin = world.auth("admin")
    r = api.post("/webhooks", headers=admin, json={"url": receiver.url, "events": ["ticket.status"],
                                                   "description": "FieldCo dispatch"})
    assert r.status_code == 201, r.text
    created = r.json()
    secret, sub = created["secret"], created["id"]
    assert secret.startswith("whsec_") and len(secret) > 30
    shown = api.get(f"/webhooks/{sub}", headers=admin).json()
    assert "secret" not in shown and shown["events"] == ["ticket.status"]
    assert [s["id"] for s in api.get("/webhooks", headers=admin).json()["items"]] == [sub]
    for bad in ({"url": "ftp://x/y"}, {"url": "http://"}, {"url": "http://x:99999/"},
                {"url": receiver.url, "events": ["tickets.status"]}, {"url": receiver.url, "events": []},
                {"url": receiver.url, "secret": "short"}):
        assert api.post("/webhooks", headers=admin, json=bad).status_code == 422, bad
    assert api.post("/webhooks", headers=world.auth("dispatcher"), json={"url": receiver.url}).status_code == 403

    # paused: the change waits in the queue; resumed: it goes out, signed with the secret shown once
    assert api.patch(f"/webhooks/{sub}", headers=admin, json={"active": False}).json()["active"] is False
    _change(db, world.tickets["a1 leak"])
    _change(db, world.tickets["a1 leak"], action="note")  # not an event this subscriber wants
    time.sleep(0.4)
    assert receiver.count() == 0
    api.patch(f"/webhooks/{sub}", headers=admin, json={"active": True})
    wait_for(lambda: receiver.count() == 1, 10, "the delivery after resuming")
    got = receiver.got[0]
    assert verify(secret, got.body, got.headers[SIGNATURE_HEADER])
    wait_for(lambda: 'heatwatch_webhook_delivered_total 1.0' in api.get("/metrics").text, 5, "the metric")
    assert 'heatwatch_webhook_queue{state="delivered"} 1.0' in api.get("/metrics").text
    assert api.get("/healthz").json()["webhooks"] == "running"

    assert api.delete(f"/webhooks/{sub}", headers=admin).status_code == 204
    with db.transaction() as s:  # its queue and log went with it
        assert s.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
        assert s.scalar(select(func.count()).select_from(WebhookAttempt)) == 0
    assert api.get(f"/webhooks/{sub}", headers=admin).status_code == 404
