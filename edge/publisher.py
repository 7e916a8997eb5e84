"""Drain the outbox to the broker: MQTT QoS 1, ack on PUBACK only.

Why it is shaped like this:

* The reading loop never waits for the network. ``start()`` runs paho's
  network loop in its thread and a small *drain* thread that moves batches
  from the outbox into a bounded in-flight window; ``put_*`` on the outbox
  wakes it.
* An outbox row is deleted only when its PUBACK arrives (``on_publish`` with
  the message id). A crash between publish and PUBACK re-sends the row on the
  next start: at-least-once, and the gateway dedups by ``(device, stream, seq)``.
* Persistent session (MQTT 5 ``clean_start=False`` + session expiry, or 3.1.1
  ``clean_session=False``) with a fixed client id per device, so the broker and
  paho resume unacknowledged messages after a reconnect.
* MQTT 5 first; a broker that answers "Unsupported protocol version" (old
  brokers) or leaves an MQTT 5 CONNECT unanswered for ``connack_timeout``
  seconds (amqtt) gets 3.1.1 from then on (``protocol="auto"``). Broker URLs,
  credentials, TLS and the fallback rule are the shared ``heatwatch.mqtt``.
* Last will: retained ``Status(online=False)`` on the status topic; on every
  connect a retained ``Status(online=True)``. With a ``status_counters``
  callable the drain thread also publishes, right after each connect and then
  every ``status_interval`` seconds, a retained ``Status(online=True)``
  carrying the agent's counters, so an operator sees at the broker what the
  agent read, refused and has queued; ``stop()`` says offline with the final
  counters.
* Reconnect with exponential backoff, jittered and capped low (0.5 s doubling to
  ``reconnect_max_delay``, 5 s; ``[broker] reconnect_max_delay``): after an outage
  the agent is back within the cap of the broker's return (a 60 s cap meant up to
  a minute), and agents that lost the broker together spread their returns.
* A PUBACK with a failure reason (MQTT 5; e.g. 0x87 "not authorized" from an
  ACL) does not delete the row: it is counted (``refused``), logged, and tried
  again after the next start. A misconfigured ACL must not eat data.
* Commands: with a ``command_handler`` the link subscribes (QoS 1, in the same
  persistent session, so commands sent while the agent was away wait at the
  broker) to the device's command topic, hands each command to the handler in
  paho's thread and publishes the handler's answer on the ack topic (QoS 1).
  paho sends the command's PUBACK only after the handler returned: a crash
  while acting on it gets the command again.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from heatwatch.backoff import Backoff
from heatwatch.contract import Status, agent_topic, command_topic
from heatwatch.edge.outbox import Outbox, OutboxItem
from heatwatch.mqtt import (CONNECT_TIMEOUT, KEEPALIVE, PROTOCOLS, BrokerLink, make_client, protocol_name,
                            refuses_mqtt5, session_args)
from heatwatch.units import DAY

log = logging.getLogger(__name__)


@dataclass
class PublisherConfig:
    """Where and how one device's agent talks to the broker."""

    device: str
    broker: BrokerLink = field(default_factory=BrokerLink)  # address, per-device credentials, TLS
    client_id: str = ""  # default "heatwatch-<device>": fixed, so the session survives restarts
    keepalive: int = KEEPALIVE
    protocol: str = "auto"  # "auto" (5, falling back to 3.1.1) | "5" | "3.1.1"
    session_expiry: int = int(7 * DAY)  # seconds the broker keeps our session (MQTT 5)
    inflight: int = 100  # published, not yet PUBACKed
    # the wait doubles per failed attempt up to the max, each drawn 50-100 % of that (jitter): back
    # within reconnect_max_delay of the broker's return, and a fleet does not come back in lock step
    reconnect_min_delay: float = 0.5
    reconnect_max_delay: float = 5.0
    # "auto" only: a broker that accepts the TCP connection but never answers an
    # MQTT 5 CONNECT within this many seconds is treated as 3.1.1-only (amqtt
    # stalls on a v5 CONNECT carrying a will instead of refusing it)
    connack_timeout: float = CONNECT_TIMEOUT
    agent_version: str = ""
    status_interval: float = 60.0  # seconds between status messages with counters

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {sorted(PROTOCOLS)}, not {self.protocol!r}")
        if self.inflight < 1:
            raise ValueError("inflight must be at least 1")
        if not self.status_interval > 0:
            raise ValueError("status_interval must be > 0 seconds")
        if not self.client_id:
            self.client_id = f"heatwatch-{self.device}"
        self.reconnect_backoff()  # refuses delays that make no sense

    def reconnect_backoff(self) -> Backoff:
        return Backoff(initial=self.reconnect_min_delay, factor=2.0, maximum=self.reconnect_max_delay, jitter=0.5)


@dataclass
class PublisherCounters:
    connects: int = 0
    disconnects: int = 0
    connect_refused: int = 0
    protocol_fallbacks: int = 0
    published: int = 0  # publish calls, re-sends included
    acked: int = 0  # PUBACKs that deleted an outbox row
    refused: int = 0  # PUBACK with a failure reason (e.g. not authorized): row kept
    publish_errors: int = 0
    in_flight: int = 0
    commands: int = 0  # messages on the command topic handed to the command handler
    acks_sent: int = 0  # answers to them published


class Publisher:
    """One device's MQTT link. ``start()``, then just ``outbox.put_*``; ``stop()`` at exit.

    ``on_connect_hooks`` run (in paho's thread) after every successful connect,
    e.g. Home Assistant discovery; they get the publisher and may call
    ``publish_retained``. ``status_counters`` (called in the drain thread)
    returns the counters to put in the status messages. ``command_handler``
    (called in paho's thread with a command's topic and payload) returns the
    answer to publish on the ack topic, or None.
    """

    def __init__(
        self,
        config: PublisherConfig,
        outbox: Outbox,
        on_connect_hooks: list[Callable[["Publisher"], None]] | None = None,
        clock: Callable[[], float] = time.time,
        status_counters: Callable[[], dict[str, dict[str, object]]] | None = None,
        command_handler: Callable[[str, bytes], bytes | None] | None = None,
    ) -> None:
        self.config = config
        self.outbox = outbox
        self.on_connect_hooks = list(on_connect_hooks or [])
        self.clock = clock
        self.status_counters = status_counters
        self.command_handler = command_handler
        self.commands_subscribed = threading.Event()  # the broker took the command subscription (this connection)
        self._status_due = 0.0  # monotonic time of the next status with counters; 0 = now
        self.counters = PublisherCounters()
        self.protocol = PROTOCOLS[config.protocol]
        self._connected = threading.Event()
        self._stop = threading.Event()
        self._fallback = threading.Event()
        self._acks: collections.deque[tuple[int, ReasonCode]] = collections.deque()  # from paho's thread
        self._inflight: dict[int, OutboxItem] = {}  # mid -> item, drain thread only
        self._client: mqtt.Client | None = None
        self._socket_opened_at: float | None = None  # monotonic; None once CONNACK came
        self._drain_thread: threading.Thread | None = None

    # ---- lifecycle -----------------------------------------------------
    def start(self) -> "Publisher":
        self._connect()
        self._drain_thread = threading.Thread(target=self._drain, name=f"publisher-{self.config.device}", daemon=True)
        self._drain_thread.start()
        return self

    def stop(self, timeout: float = 5.0, flush: float = 2.0) -> None:
        """Deliver what is waiting (for up to ``flush`` seconds, while connected),
        say offline (retained), disconnect cleanly, stop the threads. Rows not
        acked by then stay in the outbox for the next start."""
        deadline = time.monotonic() + flush
        self.outbox.changed.set()
        while self._connected.is_set() and time.monotonic() < deadline and (
                self.counters.in_flight or self._sendable() > 0):
            time.sleep(0.02)
        self._stop.set()
        self.outbox.changed.set()
        if self._drain_thread:
            self._drain_thread.join(timeout)
        client = self._client
        if client is not None:
            if self._connected.is_set():
                try:
                    client.publish(self.status_topic, self._status(False, self._counters()), qos=1,
                                   retain=True).wait_for_publish(timeout)
                except (RuntimeError, ValueError):
                    pass
            client.disconnect()
            client.loop_stop()
        self._connected.clear()

    def _sendable(self) -> int:
        """Rows waiting that this process may still send (refused ones wait for a restart)."""
        c = self.outbox.counters
        return c.pending_events + c.pending_telemetry - self.counters.refused

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    @property
    def status_topic(self) -> str:
        return agent_topic(self.config.device, "status")

    def publish_retained(self, topic: str, payload: bytes | str) -> None:
        """QoS 1 retained publish outside the outbox (configuration, not data)."""
        if self._client is not None:
            self._client.publish(topic, payload, qos=1, retain=True)

    def stats(self) -> dict[str, float | str | bool]:
        d: dict[str, float | str | bool] = dict(self.counters.__dict__)
        d["connected"] = self.connected
        d["protocol"] = protocol_name(self.protocol)
        return d

    # ---- the client ----------------------------------------------------
    def _connect(self) -> None:
        """A client speaking ``self.protocol`` with a persistent session; paho connects and reconnects it."""
        cfg = self.config
        client = make_client(cfg.broker, client_id=cfg.client_id, protocol=self.protocol, persistent=True,
                             reconnect=cfg.reconnect_backoff())
        client.will_set(self.status_topic, self._status(False), qos=1, retain=True)
        client.max_inflight_messages_set(cfg.inflight)
        client.max_queued_messages_set(0)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_socket_open = self._on_socket_open
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        self._client = client
        client.connect_async(cfg.broker.host, cfg.broker.port, cfg.keepalive,
                             **session_args(self.protocol, persistent=True, session_expiry=cfg.session_expiry))
        client.loop_start()

    def _status(self, online: bool, counters: dict[str, dict[str, object]] | None = None) -> bytes:
        return Status(device=self.config.device, online=online, ts=self.clock(),
                      agent_version=self.config.agent_version, counters=counters).to_json()

    def _counters(self) -> dict[str, dict[str, object]] | None:
        """The counters for a status message; None (and logged) if they cannot be had."""
        if self.status_counters is None:
            return None
        try:
            counters = self.status_counters()
            Status(device=self.config.device, online=True, ts=0.0, counters=counters)  # fits the contract?
            return counters
        except Exception:  # noqa: BLE001 - a status without counters beats no status
            log.exception("agent counters unavailable for the status message")
            return None

    def _publish_status(self) -> None:
        """Drain thread: the retained online status with counters, when due."""
        if self.status_counters is None or not self._connected.is_set():
            return
        now = time.monotonic()
        if now < self._status_due:
            return
        self._status_due = now + self.config.status_interval
        client = self._client
        if client is not None:
            client.publish(self.status_topic, self._status(True, self._counters()), qos=1, retain=True)

    # ---- paho callbacks (paho's network thread: never block, never raise) ----
    def _on_socket_open(self, client: mqtt.Client, userdata: object, sock: object) -> None:
        self._socket_opened_at = time.monotonic()

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: mqtt.ConnectFlags,
                    reason_code: ReasonCode, properties: Properties | None) -> None:
        self._socket_opened_at = None
        if reason_code.is_failure:
            self.counters.connect_refused += 1
            if refuses_mqtt5(reason_code) and self.config.protocol == "auto" and self.protocol == mqtt.MQTTv5:
                log.warning("%s refused MQTT 5; falling back to 3.1.1", self.config.broker)
                self._fallback.set()
                self.outbox.changed.set()
            else:
                log.error("broker refused connection: %s", reason_code)
            return
        self.counters.connects += 1
        log.info("connected to %s (MQTT %s, session present: %s)", self.config.broker,
                 protocol_name(self.protocol), flags.session_present)
        client.publish(self.status_topic, self._status(True), qos=1, retain=True)
        if self.command_handler is not None:
            client.subscribe(command_topic(self.config.device), qos=1)
        for hook in self.on_connect_hooks:
            try:
                hook(self)
            except Exception:  # a hook must never take the link down
                log.exception("on-connect hook %r failed", hook)
        self._status_due = 0.0  # the drain thread follows up with the counters at once
        self._connected.set()
        self.outbox.changed.set()

    def _on_disconnect(self, client: mqtt.Client, userdata: object, flags: mqtt.DisconnectFlags,
                       reason_code: ReasonCode, properties: Properties | None) -> None:
        if self._connected.is_set():
            self.counters.disconnects += 1
            if not self._stop.is_set():
                log.warning("disconnected from broker: %s", reason_code)
        self._connected.clear()
        self.commands_subscribed.clear()

    def _on_subscribe(self, client: mqtt.Client, userdata: object, mid: int, reason_codes: list[ReasonCode],
                      properties: Properties | None) -> None:
        if any(rc.is_failure for rc in reason_codes):  # e.g. the ACL does not let this device read its commands
            log.error("broker refused the subscription to %s: %s", command_topic(self.config.device), reason_codes)
            return
        self.commands_subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        """A command: the handler acts on it (briefly: it waits for the reading being judged) and
        answers; the answer goes out QoS 1 outside the outbox (the gateway re-sends an unanswered
        command, and the handler answers a copy without acting twice)."""
        if self.command_handler is None:
            return
        self.counters.commands += 1
        try:
            answer = self.command_handler(msg.topic, msg.payload)
        except Exception:  # noqa: BLE001 - never raise in paho's thread
            log.exception("command handler failed on %s", msg.topic)
            return
        if answer is not None:
            client.publish(agent_topic(self.config.device, "ack"), answer, qos=1)
            self.counters.acks_sent += 1

    def _on_publish(self, client: mqtt.Client, userdata: object, mid: int,
                    reason_code: ReasonCode, properties: Properties | None) -> None:
        # paho holds its message lock here: hand over to the drain thread, take no locks
        self._acks.append((mid, reason_code))
        self.outbox.changed.set()

    # ---- the drain thread ----------------------------------------------
    def _drain(self) -> None:
        while not self._stop.is_set():
            self.outbox.changed.clear()  # before the work: a put during it wakes the next wait
            try:
                if self._fallback.is_set() or self._connack_overdue():
                    self._switch_to_311()
                self._settle_acks()
                if self._connected.is_set():
                    self._fill_window()
                    self._publish_status()
            except Exception:  # e.g. disk full on ack: log, back off, keep the agent alive
                log.exception("publisher drain step failed")
                time.sleep(1.0)
            self.outbox.changed.wait(0.5)
        self._settle_acks()

    def _connack_overdue(self) -> bool:
        opened = self._socket_opened_at
        if (self.config.protocol != "auto" or self.protocol != mqtt.MQTTv5 or opened is None
                or self._connected.is_set()):
            return False
        if time.monotonic() - opened < self.config.connack_timeout:
            return False
        log.warning("%s did not answer an MQTT 5 CONNECT in %.0f s; falling back to 3.1.1",
                    self.config.broker, self.config.connack_timeout)
        return True

    def _fill_window(self) -> None:
        room = self.config.inflight - len(self._inflight)
        if room <= 0:
            return
        client = self._client
        assert client is not None
        for item in self.outbox.next_batch(room):
            info = client.publish(item.topic, item.payload, qos=1)
            self.counters.published += 1
            if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
                # paho did not take it: give the row back, try again later
                self.counters.publish_errors += 1
                self.outbox.release([item])
                break
            # NO_CONN: paho keeps QoS 1 messages and sends them after the reconnect
            self._inflight[info.mid] = item
        self.counters.in_flight = len(self._inflight)

    def _settle_acks(self) -> None:
        done: list[OutboxItem] = []
        while self._acks:
            mid, reason = self._acks.popleft()
            item = self._inflight.pop(mid, None)
            if item is None:
                continue  # status or discovery message, not an outbox row
            if reason.is_failure:
                # e.g. 0x87 not authorized: the row stays on disk (leased until restart)
                self.counters.refused += 1
                log.error("broker refused %s seq %s: %s", item.topic, item.seq, reason)
                continue
            done.append(item)
        if done:
            self.counters.acked += self.outbox.ack(done)
        self.counters.in_flight = len(self._inflight)

    def _switch_to_311(self) -> None:
        """Throw the MQTT 5 client away and connect again speaking 3.1.1."""
        self._fallback.clear()
        self._socket_opened_at = None
        old = self._client
        if old is not None:
            old.disconnect()
            old.loop_stop()
        self.outbox.release(self._inflight.values())
        self._inflight.clear()
        self._acks.clear()
        self.protocol = mqtt.MQTTv311
        self.counters.protocol_fallbacks += 1
        self._connect()
