"""Servers and a small world for the notification tests: a real SMTP server (aiosmtpd) on a free
loopback port, a local stand-in for an SMS gateway (SMSEagle's JSON-RPC, which Apprise speaks), a
customer with a pump, and ticket steps done through the ticket service."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as clock_time
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from sqlalchemy import select

from heatwatch.demo.services import free_port
from heatwatch.gateway.customers.models import Customer, Site
from heatwatch.gateway.db import Database
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.incidents.models import Incident, Severity
from heatwatch.gateway.notifications.models import Notification
from heatwatch.gateway.settings import NotificationSettings
from heatwatch.gateway.tickets import service
from heatwatch.gateway.tickets.models import Ticket

SECRET = "status-link-secret-for-tests-0123"
DISPATCHER = service.Actor("Dora Dispatcher")


class Mailbox:
    """An SMTP server that keeps what it accepts; ``stall_next`` seconds of silence after the next
    EHLO (a server that does not answer in time); ``stop``/``start`` take it down and up."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[EmailMessage] = []
        self.stall_next = 0.0
        self.ehlos = 0
        self.lock = threading.Lock()
        self.controller: Controller | None = None

    def start(self) -> Mailbox:
        mailbox = self

        class Handler:
            async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
                mailbox.ehlos += 1
                stall, mailbox.stall_next = mailbox.stall_next, 0.0
                if stall:
                    await asyncio.sleep(stall)
                session.host_name = hostname
                return responses

            async def handle_DATA(self, server, session, envelope):  # noqa: N802
                message = email.message_from_bytes(envelope.original_content or envelope.content,
                                                   policy=email.policy.default)
                with mailbox.lock:
                    mailbox.received.append(message)
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def url(self) -> str:
        return f"mailto://127.0.0.1:{self.port}?from=service@heatwatch.example&to={{address}}&mode=insecure"


@dataclass
class SmsGateway:
    """The SMS provider (the one stand-in): SMSEagle's /jsonrpc/sms, answered as SMSEagle does."""

    got: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                gateway.got.append(body)
                answer = json.dumps({"result": [{"message_id": str(len(gateway.got)), "status": "ok"}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self) -> str:
        return f"smseagle://sms-token-0123456789@127.0.0.1:{self.port}/{{address}}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def settings_for(mailbox: Mailbox, sms: SmsGateway | None = None, **over) -> NotificationSettings:
    channels = {"email": mailbox.url()}
    if sms is not None:
        channels["sms"] = sms.url()
    values = dict(channels=channels, status_base_url="https://heat.example", status_link_secret=SECRET,
                  company="Nordvärme Service", timeout_seconds=2.0, first_retry_seconds=1.0, max_retry_seconds=4.0,
                  max_attempts=3, daily_cap=6)
    return NotificationSettings(**(values | over))


def add_customer(db: Database, *, language: str = "en", time_zone: str = "Europe/Stockholm",
                 channels: tuple[str, ...] = ("email",), quiet: tuple[clock_time, clock_time] | None = None,
                 pumps: int = 1, addresses: dict[str, str] | None = None) -> tuple[int, list[str]]:
    with db.transaction() as s:
        customer = Customer(name="Anna Berg", language=language, time_zone=time_zone,
                            preferred_channels=list(channels),
                            contact_addresses=addresses if addresses is not None else
                            {"email": "anna@example.com", "sms": "+46701234567"},
                            quiet_hours_start=quiet[0] if quiet else None, quiet_hours_end=quiet[1] if quiet else None)
        site = Site(customer=customer, name="Home")
        devices = [Device(id=f"hp-{i}", site=site, nickname="Värmis" if i == 0 else f"Pump {i}") for i in range(pumps)]
        s.add_all(devices)
        s.flush()
        return customer.id, [d.id for d in devices]


def open_ticket(db: Database, device: str, now: datetime, *, priority: int = 3, fault: str = "refrigerant_leak",
                cold: float | None = None) -> int:
    with db.transaction() as s:
        incident = Incident(device_id=device, fault=fault, severity=Severity.CRITICAL, first_event_ts=now,
                            last_event_ts=now, priority=priority, cold_ahead_c=cold)
        s.add(incident)
        s.flush()
        return service.open_ticket(s, device_id=device, title="Refrigerant leak", priority=priority,
                                   incident=incident, now=now).id


def _version(s, ticket_id: int) -> int:
    return s.scalar(select(Ticket.version).where(Ticket.id == ticket_id))


def schedule(db: Database, ticket_id: int, start: datetime, now: datetime, hours: int = 4) -> None:
    with db.transaction() as s:
        service.schedule(s, ticket_id, version=_version(s, ticket_id), actor=DISPATCHER, window_start=start,
                         window_end=start + timedelta(hours=hours), now=now)


def resolve(db: Database, ticket_id: int, now: datetime, note: str = "Sealed the leak, refilled 0.4 kg.") -> None:
    with db.transaction() as s:
        service.start_work(s, ticket_id, version=_version(s, ticket_id), actor=DISPATCHER, now=now)
    with db.transaction() as s:
        service.resolve(s, ticket_id, version=_version(s, ticket_id), actor=DISPATCHER, code="fault_confirmed",
                        note=note, now=now)


def outbox(db: Database) -> list[Notification]:
    with db.transaction() as s:
        return list(s.scalars(select(Notification).order_by(Notification.id)))


def wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


class HttpReceiver:
    """A push or chat service on loopback (ntfy's publish API, a chat webhook): keeps every POST."""

    def __init__(self) -> None:
        receiver = self
        self.got: list[tuple[str, dict]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                receiver.got.append((self.path, body))
                answer = b'{"id": "m1", "event": "message"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
