"""The simulated pumps' Wi-Fi modules: each pump's state as JSON on ``pumps/{device}/state``.

The payload is ``heatwatch.contract.PumpState`` (device, simulated ts, channel
values with None for a missing sensor), the same model the edge agent parses.
One paho client carries the whole fleet, speaking MQTT 3.1.1 by default as
the cheap Wi-Fi modules in real pumps do (any broker accepts it).

Publishing never blocks the simulation for long: paho reconnects on its own
with backoff (1 s doubling to 30 s), its queue is bounded (``max_queued``)
and a full queue is counted (``dropped_offline``) rather than grown without
end. A row where every channel of a pump is NaN is a dropout of that pump's
module: nothing is sent (``dropouts``), as a real module that lost power
sends nothing. Broker URLs and the client's setup are the shared
``heatwatch.mqtt``.
"""

from __future__ import annotations

import collections
import math
import threading
import time
from typing import Sequence

import numpy as np
import paho.mqtt.client as mqtt

from heatwatch.backoff import Backoff
from heatwatch.channels import CHANNEL_NAMES
from heatwatch.contract import PumpState, pump_state_topic
from heatwatch.mqtt import CONNECT_TIMEOUT, KEEPALIVE, BrokerLink, BrokerUrlError, make_client


class MqttPublisherError(RuntimeError):
    """The publisher could not reach the broker or was misconfigured."""


class PumpStatePublisher:
    """Publish PumpState messages for a fleet of simulated pumps."""

    def __init__(
        self,
        url: str,
        devices: Sequence[str],
        *,
        qos: int = 1,
        client_id: str = "",
        protocol: int = mqtt.MQTTv311,
        max_queued: int = 50_000,
        max_unacked: int = 2_000,
    ) -> None:
        try:
            self.broker = BrokerLink.from_url(url, schemes=("mqtt",))
        except BrokerUrlError as exc:
            raise MqttPublisherError(str(exc)) from None
        self.devices = list(devices)
        self.topics = [pump_state_topic(d) for d in self.devices]
        self.qos = qos
        self.max_unacked = max_unacked
        self.counters: dict[str, int] = collections.Counter()
        self._connected = threading.Event()
        self._pending: collections.deque[mqtt.MQTTMessageInfo] = collections.deque()
        self.client = make_client(self.broker, client_id=client_id, protocol=protocol,
                                  reconnect=Backoff(initial=1.0, factor=2.0, maximum=30.0))
        self.client.max_queued_messages_set(max_queued)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # noqa: ANN001
        if reason_code.is_failure:
            self.counters["connect_refused"] += 1
            return
        self.counters["connects"] += 1
        self._connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:  # noqa: ANN001
        self._connected.clear()
        self.counters["disconnects"] += 1

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def connect(self, timeout: float = CONNECT_TIMEOUT) -> None:
        """Connect and start paho's network thread; raise if no broker answers in ``timeout``."""
        try:
            self.client.connect(self.broker.host, self.broker.port, keepalive=KEEPALIVE)
        except OSError as exc:
            raise MqttPublisherError(f"cannot reach broker {self.broker}: {exc}") from None
        self.client.loop_start()
        if not self._connected.wait(timeout):
            self.close()
            raise MqttPublisherError(f"broker {self.broker} did not accept the connection in {timeout:.0f} s")

    def close(self, flush_timeout: float = 5.0) -> None:
        """Wait for outstanding QoS-1 acks (bounded), then disconnect."""
        deadline = time.monotonic() + flush_timeout
        while self._pending and time.monotonic() < deadline and self.connected:
            try:
                self._pending[0].wait_for_publish(max(0.0, deadline - time.monotonic()))
            except (RuntimeError, ValueError):
                self._pending.popleft()
            self._reap()
        self.client.disconnect()
        self.client.loop_stop()

    def _reap(self) -> None:
        while self._pending and self._pending[0].is_published():
            self._pending.popleft()

    def publish_row(self, ts: float, values: np.ndarray) -> int:
        """One fleet row, shape (n_devices, n_channels) -> one message per pump; returns messages sent."""
        values = np.asarray(values, dtype=np.float64)
        if values.shape != (len(self.devices), len(CHANNEL_NAMES)):
            raise ValueError(f"row shape {values.shape}, expected ({len(self.devices)}, {len(CHANNEL_NAMES)})")
        sent = 0
        for i, device in enumerate(self.devices):
            sent += self.publish(device, ts, values[i], topic=self.topics[i])
        return sent

    def publish(self, device: str, ts: float, row: np.ndarray, topic: str | None = None) -> int:
        """One pump's channel vector as PumpState; 0 if it was a dropout or could not be queued."""
        if np.all(np.isnan(row)):
            self.counters["dropouts"] += 1
            return 0
        state = PumpState(
            device=device,
            ts=float(ts),
            values={name: (None if math.isnan(v) else float(v)) for name, v in zip(CHANNEL_NAMES, row.tolist())},
        )
        self._backpressure()
        info = self.client.publish(topic or pump_state_topic(device), state.to_json(), qos=self.qos)
        if info.rc == mqtt.MQTT_ERR_QUEUE_SIZE:
            self.counters["dropped_offline"] += 1
            return 0
        if info.rc == mqtt.MQTT_ERR_NO_CONN:
            self.counters["queued_offline"] += 1  # paho sends it after the reconnect
            return 1
        self.counters["published"] += 1
        if self.qos > 0 and info.rc == mqtt.MQTT_ERR_SUCCESS:
            self._pending.append(info)
        return 1

    def _backpressure(self) -> None:
        """Keep at most ``max_unacked`` QoS-1 messages in flight while connected (bounded wait)."""
        self._reap()
        while len(self._pending) >= self.max_unacked and self.connected:
            oldest = self._pending[0]
            try:
                oldest.wait_for_publish(1.0)
            except (RuntimeError, ValueError):
                self._pending.popleft()
            self._reap()
            if self._pending and self._pending[0] is oldest:
                break  # no ack within a second: do not stall the simulation on it
