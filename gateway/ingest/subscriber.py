"""The MQTT side of ingest: every agent's topics, messages handed to Ingest in batches, each
acknowledged after its batch committed.

- MQTT 5 shared subscription ``$share/<group>/heatwatch/v1/+/<stream>``: the
  broker gives each message to one worker of the group, so workers split the
  load. With ``shared_group = ""`` a plain subscription (one worker).
- Batches: paho's network thread only queues what arrives; the ingest thread
  takes what is queued (up to ``batch_size`` messages, waiting at most
  ``batch_wait`` seconds after the first for more) and hands it to
  ``Ingest.handle_batch``: one transaction for all of them. Under load the
  batches grow, idle a message waits at most ``batch_wait``. Events and
  status go first: a batch takes every queued one before any telemetry, so
  an event waits for the batch in hand, never behind a backlog of readings.
  200 messages a batch cost no more per message than 1000 (bench), and keep
  that wait short. The broker sends a worker at most its in-flight limit of
  unacknowledged messages, and that bounds a batch: the worker asks for
  ``RECEIVE_MAXIMUM`` (MQTT 5 Receive Maximum, two batches); Mosquitto 2
  honours it for MQTT 5 clients (without it, its ``max_inflight_messages``,
  20 by default, would cap every batch at 20).
- QoS 1 with manual acknowledgement: the PUBACKs go back only after the
  batch's transaction committed (or a message was refused for good). A
  worker that dies has not acknowledged its batch in hand, and its persistent
  session (fixed client id, clean_start off, session expiry) gets those
  messages again when the worker comes back. Mosquitto does not hand a dead
  member's messages to the others: it keeps them, and keeps dealing it its
  share, queued in its session. So give workers stable names (``worker``)
  and restart a dead one (systemd ``Restart=always``); a worker retired for
  good leaves its queue until the session expires.
- The database down: the batch is retried with backoff until it is stored
  (or the worker stops, leaving it unacknowledged). Meanwhile the broker may
  drop the silent connection and send the messages again after the
  reconnect; ingest takes those copies for the duplicates they are. Bad input
  never stops the worker (Ingest refuses and counts it), and a message the
  database refuses (a constraint no check foresaw), or one that trips a bug
  in ingest, does not hold its batch: the batch is split, the others are
  kept, that one is refused as ``unstorable`` (and a bug is logged).
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections import deque
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, SQLAlchemyError

from heatwatch.contract import STREAMS, TOPIC_ROOT
from heatwatch.gateway.ingest.service import Incoming, Ingest
from heatwatch.gateway.settings import BrokerSettings

log = logging.getLogger(__name__)

SESSION_EXPIRY = 24 * 3600  # seconds the broker keeps a worker's unacknowledged messages while it is away
MAX_RETRY_DELAY = 5.0  # seconds between tries of a batch while the database fails
BATCH_SIZE = 200  # messages in one transaction, at most
BATCH_WAIT = 0.01  # seconds a batch waits after its first message for more
UNSTORABLE_TRIES = 3  # a message the database refuses for its content is tried this often alone
RECEIVE_MAXIMUM = 2 * BATCH_SIZE  # unacknowledged messages the broker may send us (MQTT 5)


def subscription_topics(shared_group: str) -> list[str]:
    prefix = f"$share/{shared_group}/" if shared_group else ""
    return [f"{prefix}{TOPIC_ROOT}/+/{stream}" for stream in STREAMS]


class Subscriber:
    """One gateway worker's connection to the broker, and its ingest thread."""

    def __init__(self, broker: BrokerSettings, ingest: Ingest, worker: str = "1", batch_size: int = BATCH_SIZE,
                 batch_wait: float = BATCH_WAIT) -> None:
        self.broker = broker
        self.ingest = ingest
        self.client_id = f"{broker.client_id}-{worker}"
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.subscribed = threading.Event()
        self._stopping = threading.Event()
        self._urgent: deque[mqtt.MQTTMessage] = deque()  # events and status: next batch first
        self._bulk: deque[mqtt.MQTTMessage] = deque()  # telemetry
        self._arrived = threading.Condition()
        self._worker = threading.Thread(target=self._ingest_loop, name=f"ingest-{worker}", daemon=True)
        url = urlparse(broker.url)
        self.host = url.hostname or "127.0.0.1"
        self.port = url.port or (8883 if url.scheme == "mqtts" else 1883)
        self.client = self._client(url.scheme == "mqtts" or broker.tls)

    def _client(self, tls: bool) -> mqtt.Client:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id,
                             protocol=mqtt.MQTTv5, manual_ack=True)
        if self.broker.username:
            client.username_pw_set(self.broker.username, self.broker.password or None)
        if tls:
            client.tls_set(ca_certs=self.broker.ca_file or None, certfile=self.broker.cert_file or None,
                           keyfile=self.broker.key_file or None, tls_version=ssl.PROTOCOL_TLS_CLIENT)
        client.reconnect_delay_set(1, 10)
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        client.on_disconnect = self._on_disconnect
        return client

    # ---- lifecycle -----------------------------------------------------------------------
    def start(self) -> Subscriber:
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY
        props.ReceiveMaximum = min(RECEIVE_MAXIMUM, 65535)
        self._worker.start()
        self.client.connect_async(self.host, self.port, keepalive=self.broker.keepalive, clean_start=False,
                                  properties=props)
        self.client.loop_start()
        return self

    def stop(self) -> None:
        """Stop taking messages; a batch in hand is finished (or, with the database down, left
        unacknowledged), what is still queued stays unacknowledged: the session gets it again."""
        self._stopping.set()
        if self._worker.is_alive():
            self._worker.join(MAX_RETRY_DELAY + 30)
        self.client.disconnect()
        self.client.loop_stop()

    # ---- callbacks (paho's network thread) ---------------------------------------------------
    def _on_connect(self, client, _userdata, flags, reason_code, _props) -> None:
        if reason_code.is_failure:
            log.error("broker %s:%s refused %s: %s", self.host, self.port, self.client_id, reason_code)
            return
        log.info("%s connected to %s:%s (session present: %s)", self.client_id, self.host, self.port,
                 flags.session_present)
        options = SubscribeOptions(qos=1)
        client.subscribe([(topic, options) for topic in subscription_topics(self.broker.shared_group)])

    def _on_subscribe(self, _client, _userdata, _mid, reason_codes, _props) -> None:
        failed = [rc for rc in reason_codes if rc.is_failure]
        if failed:
            log.error("%s: subscription refused: %s", self.client_id, failed)
            return
        self.subscribed.set()

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _props) -> None:
        self.subscribed.clear()
        if not self._stopping.is_set():
            log.warning("%s disconnected (%s); reconnecting", self.client_id, reason_code)

    def _on_message(self, _client, _userdata, msg: mqtt.MQTTMessage) -> None:
        with self._arrived:
            (self._bulk if msg.topic.endswith("/telemetry") else self._urgent).append(msg)
            self._arrived.notify()

    # ---- the ingest thread ---------------------------------------------------------------
    def _ingest_loop(self) -> None:
        while not self._stopping.is_set():
            batch = self._next_batch()
            if batch and self._handle(batch):
                for msg in batch:
                    if msg.qos > 0:
                        self.client.ack(msg.mid, msg.qos)

    def _next_batch(self) -> list[mqtt.MQTTMessage]:
        """What is queued, events and status first, up to ``batch_size``: the first message waited
        for (a while), then more for at most ``batch_wait``."""
        batch: list[mqtt.MQTTMessage] = []
        with self._arrived:
            if not self._arrived.wait_for(lambda: self._urgent or self._bulk, timeout=0.2):
                return batch
            deadline = time.monotonic() + self.batch_wait
            while True:
                for queued in (self._urgent, self._bulk):
                    while queued and len(batch) < self.batch_size:
                        batch.append(queued.popleft())
                left = deadline - time.monotonic()
                if len(batch) >= self.batch_size or left <= 0 or not self._arrived.wait(left):
                    break
        return batch

    def _handle(self, batch: list[mqtt.MQTTMessage]) -> bool:
        """Ingest a batch, retrying while the database fails; False: stopped before it could. A batch
        the database refuses for its content is split, down to the one message that cannot be kept."""
        incoming = [Incoming(msg.topic, msg.payload, bool(msg.retain)) for msg in batch]
        delay = 0.1
        while True:
            try:
                self.ingest.handle_batch(incoming)
                return True
            except Exception as exc:  # noqa: BLE001  (whatever fails, the ingest thread must go on)
                if _refused_for_content(exc):
                    return self._split(batch, exc)
                self.ingest.counters.add("database_errors")
                if self.ingest.counters.get("database_errors") % 20 == 1:
                    log.error("%s: database failing (%s); retrying %d message(s)", self.client_id,
                              str(exc).splitlines()[0], len(batch))
                if self._stopping.wait(delay):
                    return False
                delay = min(delay * 2, MAX_RETRY_DELAY)

    def _split(self, batch: list[mqtt.MQTTMessage], exc: Exception) -> bool:
        if len(batch) > 1:
            half = len(batch) // 2
            return self._handle(batch[:half]) and self._handle(batch[half:])
        msg = batch[0]
        for _ in range(UNSTORABLE_TRIES - 1):  # a constraint lost in a race with another worker passes next time
            if self._stopping.wait(0.05):
                return False
            try:
                self.ingest.handle_batch([Incoming(msg.topic, msg.payload, bool(msg.retain))])
                return True
            except Exception as again:  # noqa: BLE001
                if not _refused_for_content(again):
                    return self._handle(batch)
                exc = again
        if not isinstance(exc, SQLAlchemyError):
            log.error("%s: ingest failed on a message of %s", self.client_id, msg.topic, exc_info=exc)
        why = str(getattr(exc, "orig", None) or exc).strip().splitlines() or [type(exc).__name__]
        self.ingest.refuse("unstorable", f"{msg.topic}: could not be kept: {why[0]}")
        return True


def _refused_for_content(exc: Exception) -> bool:
    """The database said no to what it was given (a constraint, a value it cannot hold), or ingest
    failed on it (a bug a message trips: Ingest refuses bad input without raising), not that the
    database is unreachable, busy or deadlocked: retrying the same messages would fail the same way."""
    if not isinstance(exc, SQLAlchemyError):
        return True
    return isinstance(exc, (IntegrityError, DataError)) and not (
        isinstance(exc, DBAPIError) and exc.connection_invalidated)
