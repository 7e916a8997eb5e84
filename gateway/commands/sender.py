"""The command sender: publishes queued device commands until their agents answer.

A resolved ticket queues a ``repaired`` command in ``device_commands`` (in the
ticket's transaction, tickets/commands.py). Each gateway process runs one
sender thread; several processes may share one database. Like the webhook and
notification workers it follows the gateway's queue rule (leased_queue.py): a
sender *claims* a batch of due commands in a short transaction (``FOR UPDATE
SKIP LOCKED`` on PostgreSQL, the write lock on SQLite) by moving their next
attempt a lease into the future, publishes them outside any transaction,
then records each send. So two workers never send one command at once, and
a worker killed mid-send leaves its commands to be sent when the lease ends.

A send is a QoS 1 publish on ``heatwatch/v1/{device}/command`` that the broker
acknowledged (PUBACK): from then on the broker keeps the command in the
agent's persistent session while the agent is away. The agent's answer (on
its ack topic, taken in by ingest, commands/acks.py) ends the sending. An
unanswered command is sent again after ``first_retry_seconds`` doubling up to
``max_retry_seconds`` (for an agent whose session was lost: a new Pi, a
broker without persistence), and given up after ``max_attempts`` attempts,
each given the time to be answered: logged with the reason, counted, and
kept on the row (``given_up_at``, ``detail``). The agent acts on a command id
once, so a copy is harmless; a copy still waiting in the agent's session
reaches it when it returns, and its late answer is recorded all the same.

While the broker link is down nothing is claimed: an outage does not use up
a command's attempts.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import paho.mqtt.client as mqtt
from pydantic import ValidationError
from sqlalchemy import case, func, select, update

from heatwatch.contract import Command, command_topic
from heatwatch.gateway.db import Database, utcnow
from heatwatch.gateway.ingest.counters import IngestCounters
from heatwatch.gateway.leased_queue import LeasedWorker, RetryPolicy, due
from heatwatch.gateway.settings import BrokerSettings, CommandSettings
from heatwatch.gateway.tickets.models import DeviceCommand
from heatwatch.mqtt import make_client

log = logging.getLogger(__name__)
COUNTERS = ("sent", "publish_failed", "given_up", "worker_errors")


@dataclass(frozen=True)
class SendPolicy(RetryPolicy):
    """The commands' defaults: ``[commands]`` in gateway.toml. ``delay_after``: how long to wait for an
    answer after send number ``attempt``; ``timeout_seconds``: for the broker's PUBACK."""

    max_attempts: int = 10
    first_retry_seconds: float = 300.0
    max_retry_seconds: float = 6 * 3600.0
    timeout_seconds: float = 10.0

    @classmethod
    def from_settings(cls, s: CommandSettings, timeout_seconds: float | None = None) -> SendPolicy:
        return super().from_settings(s, s.publish_timeout_seconds if timeout_seconds is None else timeout_seconds)


@dataclass(frozen=True)
class Claimed:
    id: int
    device: str
    payload: bytes
    attempt: int  # the number of the send about to be made


class CommandSender(LeasedWorker):
    """``start()`` connects to the broker and runs the loop; ``run_once()`` is one round (tests)."""

    thread_name = "command-sender"
    label = "command sender"

    def __init__(self, db: Database, broker: BrokerSettings, policy: SendPolicy | None = None, *,
                 worker: str = "1", poll_seconds: float = 1.0, batch: int = 50,
                 counters: IngestCounters | None = None) -> None:
        # counters: sent, publish_failed, given_up, worker_errors
        super().__init__(db, poll_seconds=poll_seconds, batch=batch, counters=counters)
        self.broker = broker
        self.policy = policy or SendPolicy()
        self.client_id = f"{broker.client_id}-{worker}-commands"
        self._connected = threading.Event()
        self._refused: dict[int, str] = {}  # mid -> the broker's failure reason (MQTT 5 PUBACK)
        link = broker.link()
        self.link = link
        self.client = make_client(link, client_id=self.client_id, protocol=mqtt.MQTTv5)
        self.client.reconnect_delay_set(1, 10)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish

    @property
    def stop_seconds(self) -> float:
        return self.policy.timeout_seconds + 5  # at most one publish in flight

    # ---- lifecycle ------------------------------------------------------------------------
    def start(self) -> CommandSender:
        self.client.connect_async(self.link.host, self.link.port, keepalive=self.broker.keepalive,
                                  clean_start=True)
        self.client.loop_start()
        return super().start()

    def stop(self, timeout: float | None = None) -> None:
        super().stop(timeout)
        self.client.disconnect()
        self.client.loop_stop()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    # ---- paho callbacks (its network thread) ------------------------------------------------
    def _on_connect(self, _client, _userdata, _flags, reason_code, _props) -> None:
        if reason_code.is_failure:
            log.error("broker %s refused %s: %s", self.link, self.client_id, reason_code)
            return
        self._connected.set()
        self._wake.set()

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _props) -> None:
        if self._connected.is_set() and not self.stopping:
            log.warning("%s disconnected (%s); reconnecting", self.client_id, reason_code)
        self._connected.clear()

    def _on_publish(self, _client, _userdata, mid, reason_code, _props) -> None:
        if reason_code.is_failure:  # e.g. 0x87 not authorized: the gateway's ACL lacks the command topics
            self._refused[mid] = str(reason_code)

    # ---- one round ------------------------------------------------------------------------
    def run_once(self, now: datetime | None = None) -> int:
        """Claim what is due, send it, record it; returns how many were claimed (sends and give-ups)."""
        if not self._connected.is_set():
            return 0
        now = now or utcnow()
        claimed, given_up = self._claim(now)
        for command_id, device, why in given_up:  # counted once it is in the database
            self.counters.add("given_up")
            log.warning("command %s for %s given up: %s", command_id, device, why)
        for command in claimed:
            if self.stopping:
                break  # its lease runs out and it is sent later, by this worker or another
            started = utcnow()
            error = self._publish(command)
            self._record(command, started, error, now)
        return len(claimed) + len(given_up)

    def _claim(self, now: datetime) -> tuple[list[Claimed], list[tuple[int, str, str]]]:
        c = DeviceCommand
        claimed: list[Claimed] = []
        given_up: list[tuple[int, str, str]] = []
        with self.db.transaction() as session:
            rows = session.execute(due(select(c).where(c.acked_at.is_(None), c.given_up_at.is_(None)),
                                       c.next_attempt_at, c.id, now, self.batch)).scalars().all()
            for row in rows:
                why = ""
                if row.attempts >= self.policy.max_attempts:
                    last = (f", the last sent at {row.sent_at:%Y-%m-%d %H:%M} UTC" if row.sent_at
                            else ", none taken by the broker")
                    why = (f"no answer after {row.attempts} attempts{last}; is the agent running and "
                           "subscribed to its command topic?")
                elif not isinstance(row.payload, dict):
                    why = "payload does not fit the contract: not a JSON object"
                else:
                    try:
                        payload = Command.model_validate({**row.payload, "id": row.id, "device": row.device_id})
                        claimed.append(Claimed(row.id, row.device_id, payload.to_json(), row.attempts + 1))
                    except ValidationError as exc:
                        first = exc.errors()[0]
                        why = f"payload does not fit the contract: {'.'.join(map(str, first['loc']))}: {first['msg']}"
                if why:
                    row.given_up_at, row.next_attempt_at, row.detail = now, None, why[:500]
                    given_up.append((row.id, row.device_id, why))
                else:
                    row.next_attempt_at = self.policy.lease_until(now)
        return claimed, given_up

    def _publish(self, command: Claimed) -> str:
        """One QoS 1 publish; "" once the broker took it, else why not."""
        try:
            info = self.client.publish(command_topic(command.device), command.payload, qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                return f"publish: {mqtt.error_string(info.rc)}"
            deadline = time.monotonic() + self.policy.timeout_seconds
            while not info.is_published() and time.monotonic() < deadline and self._connected.is_set():
                info.wait_for_publish(0.1)
        except (RuntimeError, ValueError) as exc:
            return f"publish: {exc}"
        refused = self._refused.pop(info.mid, None)
        if refused:
            return f"the broker refused it: {refused}"
        if not info.is_published():
            return f"no PUBACK within {self.policy.timeout_seconds:g} s"
        return ""

    def _record(self, command: Claimed, started: datetime, error: str, now: datetime) -> None:
        """``started``: when the publish began (the send's time); ``now``: the round's time, which
        the next attempt is counted from."""
        c = DeviceCommand
        wait = self.policy.delay_after(command.attempt) if not error else min(
            self.policy.first_retry_seconds, self.policy.delay_after(command.attempt))
        pending = c.acked_at.is_(None)  # an answer may have come already (another worker took it in)
        values: dict = {"attempts": command.attempt, "detail": case((pending, error[:500]), else_=c.detail),
                        "next_attempt_at": case((pending, now + timedelta(seconds=wait)), else_=None)}
        if not error:
            values["sent_at"] = started  # before the agent can have answered it

        def write() -> None:
            with self.db.transaction() as session:
                session.execute(update(c).where(c.id == command.id).values(**values))

        if error:
            log.warning("command %s for %s: send %d failed: %s", command.id, command.device, command.attempt, error)
        self.record_then_count(f"command {command.id}", ["publish_failed" if error else "sent"], write)


def commands_by_state(db: Database) -> dict[str, float]:
    """Commands in the database by state (a gauge: a growing ``pending`` is agents not answering)."""
    c = DeviceCommand
    state = case((c.acked_at.is_not(None) & c.ack_ok.is_(True), "acked"),
                 (c.acked_at.is_not(None), "refused"),
                 (c.given_up_at.is_not(None), "given_up"), else_="pending")
    with db.transaction() as session:
        counts = dict(session.execute(select(state, func.count()).group_by(state)).all())
    return {s: float(counts.get(s, 0)) for s in ("pending", "acked", "refused", "given_up")}
