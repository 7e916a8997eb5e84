"""A subscriber that records what reached a broker, and a wait with a reason.

Shared by the publisher tests and the agent's end-to-end tests.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Callable

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

AS_ROOT = "user root\n" if os.geteuid() == 0 else ""  # mosquitto drops to 'mosquitto' and loses the workdir


def wait_for(cond: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class Subscriber:
    """A gateway-like subscriber: persistent session, QoS 1, records arrival order."""

    def __init__(self, port: int, topic: str, client_id: str, protocol: int = mqtt.MQTTv5,
                 username: str | None = None, password: str | None = None) -> None:
        self.got: list[mqtt.MQTTMessage] = []
        self.lock = threading.Lock()
        self.topic = topic
        kw = {} if protocol == mqtt.MQTTv5 else {"clean_session": False}
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=protocol, **kw)
        if username:
            self.client.username_pw_set(username, password)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self.client.reconnect_delay_set(1, 1)
        self.subscribed = threading.Event()
        if protocol == mqtt.MQTTv5:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 3600
            self.client.connect("127.0.0.1", port, clean_start=False, properties=props)
        else:
            self.client.connect("127.0.0.1", port)
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.loop_start()
        assert self.subscribed.wait(5), "subscription not acknowledged"

    def _on_connect(self, client, userdata, flags, rc, props):
        if not flags.session_present:
            client.subscribe(self.topic, qos=1)
        else:
            self.subscribed.set()

    def _on_message(self, client, userdata, msg):
        with self.lock:
            self.got.append(msg)

    def messages(self) -> list[mqtt.MQTTMessage]:
        with self.lock:
            return list(self.got)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
