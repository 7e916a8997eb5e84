"""Read a pump that publishes its own state over MQTT (``pumps/{device}/state``, or its own topic and JSON).

Some pumps (or their Wi-Fi modules, or a bridge) push JSON instead of being
polled. The agent subscribes with QoS 1 and turns each valid ``PumpState``
into a Reading; with a ``mapping`` (``payload_mapping.PayloadMapping``,
edge.toml's ``[source.fields]``) it reads the pump's own JSON object on its
own ``topic`` instead, field by field, converting units. The pump-side
broker is named by a URL (``mqtt://`` or ``mqtts://``) with its own
credentials and TLS files (``BrokerLink``), apart from the agent's broker. MQTT 5 is tried first; a broker that refuses it or leaves it
unanswered (an MQTT 3.1.1-only broker such as amqtt) gets a 3.1.1 connection
instead, by the shared rule of ``heatwatch.mqtt``.

The session is persistent (a fixed client id ``heatwatch-edge-<device>``,
MQTT 5 ``clean_start=False`` with ``session_expiry``, or 3.1.1
``clean_session=False``): while the agent restarts or its link to the broker
is down, the broker keeps the pump's QoS-1 readings for it (up to its own
queue limit) and delivers them, in order, when the agent is back. A reading
is acknowledged to the broker when the agent takes it from the source
(``read()``), not when it arrives: what was still buffered here when the
agent stopped or lost its link stays in the broker's session and comes
again, so neither a restart nor an outage loses the readings in between.

Whatever arrives is untrusted. A payload is rejected whole, counted in
``rejected_payloads`` and ``rejected[reason]`` and logged with the reason,
when it is oversized, not JSON (or JSON too deep or with numbers too long to
decode), uses the non-standard NaN/Infinity literals,
does not match the PumpState fields, names another device, names channels
this agent does not know. A reading older than the last one (a stale or
duplicate delivery) or with an implausible value is handed on as sent: the
agent's pipeline refuses it and counts it (``heatwatch.edge.reading``).
"""

from __future__ import annotations

import json
import logging
import math
import queue
import threading
import time
import uuid
from collections import Counter

import paho.mqtt.client as mqtt
from pydantic import ValidationError

from heatwatch.backoff import Backoff
from heatwatch.channels import BY_NAME
from heatwatch.contract import MAX_PAYLOAD_BYTES, PumpState, pump_state_topic
from heatwatch.edge.reading import Reading
from heatwatch.edge.sources.base import Source, SourceFatalError, SourceRetryableError
from heatwatch.edge.sources.payload_mapping import PayloadMapping, PayloadRejected
from heatwatch.mqtt import (CONNECT_TIMEOUT, KEEPALIVE, BrokerLink, BrokerUrlError, make_client, refusal_is_final,
                            refuses_mqtt5, session_args)
from heatwatch.units import DAY

log = logging.getLogger(__name__)


class _Rejected(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def _no_constants(name: str) -> float:
    raise _Rejected("nan_literal", f"non-standard JSON number {name}")


class MqttSource(Source):
    """Subscribe to one pump's state topic; ``read()`` returns the next valid Reading."""

    def __init__(
        self,
        device: str,
        url: str,
        *,
        qos: int = 1,
        read_timeout: float = 1.0,
        connect_timeout: float = CONNECT_TIMEOUT,
        max_buffered: int = 10_000,
        client_id: str | None = None,
        backoff: Backoff | None = None,
        persistent: bool = True,
        session_expiry: int = int(DAY),
        topic: str = "",
        mapping: PayloadMapping | None = None,
        link: BrokerLink | None = None,
    ) -> None:
        super().__init__(device)
        try:
            self.broker = link or BrokerLink.from_url(url, schemes=("mqtt", "mqtts"))
        except BrokerUrlError as exc:
            raise SourceFatalError(str(exc)) from None
        self.topic = topic or pump_state_topic(device)
        self.mapping = mapping  # None: heatwatch's own PumpState
        self.qos = qos
        self.read_timeout = read_timeout
        self.connect_timeout = connect_timeout
        self.persistent = persistent
        self.session_expiry = session_expiry  # seconds the broker keeps our session (MQTT 5)
        # fixed when persistent: the session (and the readings queued in it) is found again
        self.client_id = client_id or (f"heatwatch-edge-{device}" if persistent
                                       else f"heatwatch-edge-{device}-{uuid.uuid4().hex[:8]}")
        # the first connection's retries (here) and paho's reconnects of an open one (its own copy)
        self.backoff = backoff or Backoff(initial=0.5, factor=2.0, maximum=5.0, jitter=0.5)
        self.protocol: int | None = None  # the one the broker accepted
        # (reading, packet id, qos, the connection it came on): acknowledged when read() hands it out
        self._queue: queue.Queue[tuple[Reading, int, int, int]] = queue.Queue(maxsize=max_buffered)
        self._connection = 0  # counts successful CONNACKs
        self._redelivered_from = 0  # readings of connections before this one come again from the session
        self._client: mqtt.Client | None = None
        self._connected = threading.Event()
        self._connack: threading.Event = threading.Event()
        self._subscribed = threading.Event()
        self._disconnected = threading.Event()
        self._refusal: str | None = None  # why the last attempt failed, for the operator
        self._final = False  # ... and retrying cannot help (credentials, ACL)
        self._refused_v5 = False  # the broker said it does not speak MQTT 5
        self._stalled = False  # the last MQTT 5 CONNECT went unanswered
        self._reopen_at = 0.0
        self._lock = threading.Lock()  # counters are touched from paho's thread
        self._log_counts: Counter[str] = Counter()

    # -- connection ---------------------------------------------------------
    def open(self) -> None:
        """Connect (MQTT 5, else 3.1.1) and subscribe; retryable if the broker is away."""
        for protocol in (mqtt.MQTTv5, mqtt.MQTTv311):
            if self._try_connect(protocol):
                self.protocol = protocol
                return
            # amqtt neither accepts nor refuses an MQTT 5 CONNECT carrying properties: it stalls
            if not (self._refused_v5 or self._stalled):
                break
            log.info("%s: broker refused MQTT 5 (%s); falling back to 3.1.1", self.device, self._refusal)
        if self._final:
            raise SourceFatalError(f"{self.device}: broker {self.broker} refused the agent: {self._refusal}")
        raise SourceRetryableError(f"{self.device}: broker {self.broker} unreachable ({self._refusal})")

    def _try_connect(self, protocol: int) -> bool:
        self.close()
        self._connack.clear()
        self._refusal = None
        self._final = self._refused_v5 = self._stalled = False
        b = self.backoff
        client = make_client(self.broker, client_id=self.client_id, protocol=protocol, persistent=self.persistent,
                             reconnect=Backoff(b.initial, b.factor, b.maximum, b.jitter))
        client.suppress_exceptions = True  # second guard: a callback error is logged, the network thread lives
        client.manual_ack_set(True)  # acknowledged in read(): a buffered reading survives our stop in the session
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        self._subscribed.clear()
        self._client = client
        try:
            client.connect(self.broker.host, self.broker.port, keepalive=KEEPALIVE,
                           **session_args(protocol, persistent=self.persistent, session_expiry=self.session_expiry))
        except OSError as exc:
            self._refusal = str(exc)
            self.close()
            return False
        client.loop_start()
        # a broker that took the TCP connection but does not answer an MQTT 5 CONNECT
        # is given a 3.1.1 one (a slow broker gets 3.1.1 too, which is just as good here)
        if not self._connack.wait(self.connect_timeout):
            self._stalled = protocol == mqtt.MQTTv5
            self._refusal = self._refusal or f"no CONNACK in {self.connect_timeout:.0f} s"
        if not self._connected.is_set():
            self.close()
            return False
        # readings published from now on must not be missed: wait for the SUBACK
        if not self._subscribed.wait(self.connect_timeout) or self._refusal:
            self._refusal = self._refusal or f"no SUBACK for {self.topic} in {self.connect_timeout:.0f} s"
            self.close()
            return False
        return True

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            was_connected = self._connected.is_set()
            self._disconnected.clear()
            client.disconnect()
            # paho writes its queue in order and calls on_disconnect once DISCONNECT is out: wait
            # for it, or the last readings' acknowledgements die with the loop and come again
            if was_connected:
                self._disconnected.wait(2.0)
            client.loop_stop()
        self._connected.clear()

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # noqa: ANN001
        if reason_code.is_failure:
            self._refusal = str(reason_code)
            self._final = refusal_is_final(reason_code)
            self._refused_v5 = refuses_mqtt5(reason_code)
            self._connack.set()
            client.disconnect()  # stop paho retrying a refused connection on its own
            return
        if self.counters["connects"]:
            self._count("reconnects")
        self._count("connects")
        self._connection += 1
        if flags.session_present:
            # the broker resends what we had not acknowledged: drop our buffered copies of it
            self._redelivered_from = self._connection
        client.subscribe(self.topic, qos=self.qos)
        self._connected.set()
        self._connack.set()

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:  # noqa: ANN001
        refused = [rc for rc in reason_codes if rc.is_failure]
        if refused:
            self._count("subscribe_refused")
            log.error("%s: broker refused subscription to %s: %s", self.device, self.topic, refused[0])
            self._refusal = f"subscription to {self.topic} refused ({refused[0]})"
            self._final = True  # an ACL that denies the topic: retrying will not help
        self._subscribed.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:  # noqa: ANN001
        self._disconnected.set()
        if self._connected.is_set():
            self._count("disconnects")
            log.warning("%s: broker connection lost (%s); paho reconnects", self.device, reason_code)
        self._connected.clear()
        if not self._connack.is_set():
            # refused at the protocol level before any CONNACK we could read (e.g. 3.1.1-only broker)
            self._refusal = self._refusal or str(reason_code)
            self._refused_v5 = self._refused_v5 or refuses_mqtt5(reason_code)
            self._connack.set()

    # -- messages -------------------------------------------------------------
    def _count(self, key: str, n: int = 1) -> None:
        with self._lock:
            self.counters[key] += n

    def _on_message(self, client, userdata, msg: mqtt.MQTTMessage) -> None:  # noqa: ANN001
        # paho's network thread: an exception raised here would end it (and with it every
        # later message), so nothing escapes; what we did not foresee is counted too
        try:
            reading = self._parse(msg.payload)
        except _Rejected as exc:
            client.ack(msg.mid, msg.qos)  # counted and dropped: the broker must not send it again
            self._reject(exc.reason, str(exc))
            return
        except Exception as exc:  # noqa: BLE001
            client.ack(msg.mid, msg.qos)
            self._reject("unexpected", f"{type(exc).__name__}: {str(exc)[:200]}")
            return
        try:
            self._queue.put_nowait((reading, msg.mid, msg.qos, self._connection))
        except queue.Full:
            client.ack(msg.mid, msg.qos)
            self._reject("buffer_full", f"agent not reading; {self._queue.maxsize} readings already waiting")
            return
        self._count("messages_ok")

    def _reject(self, reason: str, detail: str) -> None:
        with self._lock:
            self.counters["rejected_payloads"] += 1
            self.counters[f"rejected[{reason}]"] += 1
            self._log_counts[reason] += 1
            n = self._log_counts[reason]
        if n <= 10 or n % 1000 == 0:
            log.warning("%s: rejected payload on %s (%s, #%d): %s", self.device, self.topic, reason, n, detail)

    def _parse(self, payload: bytes) -> Reading:
        """Validate one payload into a cleaned Reading, or raise _Rejected saying why."""
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise _Rejected("oversized", f"{len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES}")
        try:
            data = json.loads(payload, parse_constant=_no_constants)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise _Rejected("not_json", f"payload is not JSON ({exc})") from None
        except (RecursionError, ValueError) as exc:
            # valid JSON the parser will not hold: nesting thousands deep, an integer of
            # thousands of digits (Python's int limit). Raised into paho, these would kill
            # its network thread and the source would go silently deaf.
            raise _Rejected("unparseable_json", f"payload JSON cannot be decoded ({type(exc).__name__}: "
                                                f"{str(exc)[:80]})") from None
        if self.mapping is not None:
            return self._mapped(data)
        try:
            state = PumpState.model_validate(data, strict=True)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(root)"
            raise _Rejected("bad_fields", f"field {where!r}: {first['msg']}") from None
        if state.device != self.device:
            raise _Rejected("wrong_device", f"payload device {state.device!r} on {self.topic}")
        unknown = sorted(set(state.values) - set(BY_NAME))
        if unknown:
            raise _Rejected("unknown_channel", f"unknown channel(s) {', '.join(unknown)}")
        if not math.isfinite(state.ts):
            raise _Rejected("bad_fields", f"ts {state.ts} is not a finite time")
        with self._lock:
            return self.reading_from(state.ts, state.values)

    def _mapped(self, data: object) -> Reading:
        """The pump's own JSON, read field by field (units converted); absent fields are missing values."""
        try:
            ts, values, missing = self.mapping.read(data, time.time())  # type: ignore[union-attr]
        except PayloadRejected as exc:
            raise _Rejected("bad_fields", str(exc)) from None
        with self._lock:
            for channel in missing:
                self.counters[f"field_missing[{channel}]"] += 1
            return self.reading_from(ts, values)

    def _reopen(self) -> None:
        """open() again after a failed open, no sooner than the backoff allows."""
        wait = self._reopen_at - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        try:
            self.open()
        except SourceRetryableError:
            self._count("reconnect_failures")
            self._reopen_at = time.monotonic() + self.backoff.next_delay()
            raise
        self.backoff.reset()

    # -- the Source API --------------------------------------------------------
    def read(self, timeout: float | None = None) -> Reading | None:
        """The next valid reading, waiting up to ``timeout`` (default ``read_timeout``).

        Returns None when nothing arrived in time. Raises SourceRetryableError
        when the broker is gone and nothing is buffered (paho is reconnecting).
        """
        if self._client is None:
            self._reopen()
        deadline = time.monotonic() + (self.read_timeout if timeout is None else timeout)
        while True:
            try:
                reading, mid, qos, connection = self._queue.get(timeout=max(deadline - time.monotonic(), 0.0))
            except queue.Empty:
                if not self._connected.is_set():
                    raise SourceRetryableError(f"{self.device}: not connected to {self.broker}; "
                                               "reconnecting") from None
                return None
            if connection < self._redelivered_from:
                self._count("redelivered_skipped")  # its session sends it again (or already did)
                continue
            client = self._client
            if connection == self._connection and client is not None:
                client.ack(mid, qos)  # a packet id belongs to its connection: an older one's is not ours to ack
            self._count("reads_ok")
            return reading
