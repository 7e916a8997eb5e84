"""The MQTT side of ingest: every agent's topics, each message handed to Ingest, acknowledged after.

- MQTT 5 shared subscription ``$share/<group>/heatwatch/v1/+/<stream>``: the
  broker gives each message to one worker of the group, so workers split the
  load. With ``shared_group = ""`` a plain subscription (one worker).
- QoS 1 with manual acknowledgement: the PUBACK goes back only after the
  message's transaction committed (or it was refused for good). A worker
  that dies mid-message has not acknowledged it, and its persistent session
  (fixed client id, clean_start off, session expiry) gets it again when the
  worker comes back. Mosquitto keeps dealing an away worker its share of a
  shared subscription, queued in its session: give workers stable names
  (``worker``) so a restarted one resumes its session; a worker retired for
  good leaves its queue until the session expires.
- The database down: the message is retried with backoff until it is
  stored (or the worker stops, leaving it unacknowledged). Meanwhile the
  broker may drop the silent connection and send the message again after
  the reconnect; ingest takes that copy for the duplicate it is. Bad input
  never stops the worker (Ingest refuses and counts it).
"""

from __future__ import annotations

import logging
import ssl
import threading
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions
from sqlalchemy.exc import SQLAlchemyError

from heatwatch.contract import STREAMS, TOPIC_ROOT
from heatwatch.gateway.ingest.service import Ingest, Outcome
from heatwatch.gateway.settings import BrokerSettings

log = logging.getLogger(__name__)

SESSION_EXPIRY = 24 * 3600  # seconds the broker keeps a worker's unacknowledged messages while it is away
MAX_RETRY_DELAY = 5.0  # seconds between tries of a message while the database fails


def subscription_topics(shared_group: str) -> list[str]:
    prefix = f"$share/{shared_group}/" if shared_group else ""
    return [f"{prefix}{TOPIC_ROOT}/+/{stream}" for stream in STREAMS]


class Subscriber:
    """One gateway worker's connection to the broker."""

    def __init__(self, broker: BrokerSettings, ingest: Ingest, worker: str = "1") -> None:
        self.broker = broker
        self.ingest = ingest
        self.client_id = f"{broker.client_id}-{worker}"
        self.subscribed = threading.Event()
        self._stopping = threading.Event()
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
        self.client.connect_async(self.host, self.port, keepalive=self.broker.keepalive, clean_start=False,
                                  properties=props)
        self.client.loop_start()
        return self

    def stop(self) -> None:
        self._stopping.set()
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

    def _on_message(self, client, _userdata, msg: mqtt.MQTTMessage) -> None:
        outcome = self._handle(msg)
        if outcome is not None and msg.qos > 0:
            client.ack(msg.mid, msg.qos)

    def _handle(self, msg: mqtt.MQTTMessage) -> Outcome | None:
        """Ingest one message, retrying while the database fails; None: stopped before it could."""
        delay = 0.1
        while True:
            try:
                return self.ingest.handle(msg.topic, msg.payload, retained=bool(msg.retain))
            except SQLAlchemyError as exc:
                self.ingest.counters.add("database_errors")
                if self.ingest.counters.get("database_errors") % 20 == 1:
                    log.error("%s: database failing (%s); retrying the message on %s", self.client_id,
                              str(exc).splitlines()[0], msg.topic)
                if self._stopping.wait(delay):
                    return None
                delay = min(delay * 2, MAX_RETRY_DELAY)
