"""After a broker outage the agent's links are back within seconds of the broker's return.

Real Mosquitto, stopped and started again on the same free port. The outage is
long enough that the old doubling to a 60 s cap waited ~15 s after the return
(tries at 1, 3, 7, 15, 31 s); the jittered 5 s cap is back within it.
"""

from __future__ import annotations

import json
import time

import numpy as np

from heatwatch.channels import CHANNEL_NAMES
from heatwatch.edge.outbox import Outbox
from heatwatch.edge.publisher import Publisher, PublisherConfig
from heatwatch.edge.sources.base import SourceRetryableError
from heatwatch.edge.sources.mqtt_source import MqttSource
from heatwatch.mqtt import BrokerLink
from tests.support.mqtt import wait_for

OUTAGE = 16.0  # seconds
CAP = 5.0  # the default reconnect_max_delay


def test_publisher_and_mqtt_source_reconnect_within_the_cap_after_an_outage(broker, tmp_path):
    outbox = Outbox(tmp_path / "o.db")
    pub = Publisher(PublisherConfig(device="hp-1", broker=BrokerLink(port=broker.port)), outbox).start()
    src = MqttSource("hp-1", broker.url)
    try:
        assert pub.wait_connected(10)
        src.open()
        broker.stop()
        wait_for(lambda: not pub.connected, 5, "the publisher to see the outage")
        try:
            src.read(timeout=0.5)
        except SourceRetryableError:
            pass
        time.sleep(OUTAGE)
        broker.start()
        back = time.monotonic()
        assert pub.wait_connected(CAP + 3), "publisher not back"
        pub_after = time.monotonic() - back
        wait_for(lambda: src._connected.is_set(), CAP + 3, "the MQTT source back")
        src_after = time.monotonic() - back
        assert pub.counters.connects == 2 and src.counters["reconnects"] == 1
        assert pub_after <= CAP + 1.5 and src_after <= CAP + 1.5, (pub_after, src_after)
        # and it reads again (its subscription is in the session, which the broker kept... or
        # re-made: this broker has no persistence, so the source subscribes on every connect)
        import paho.mqtt.client as mqtt

        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        c.connect("127.0.0.1", broker.port)
        c.loop_start()
        c.publish("pumps/hp-1/state", json.dumps({"device": "hp-1", "ts": 1.0, "values": {"t_flow": 35.0}}),
                  qos=1).wait_for_publish(5)
        r = src.read(timeout=5)
        assert r is not None and r.values[CHANNEL_NAMES.index("t_flow")] == 35.0 and np.isnan(r.values[0])
        c.disconnect()
        c.loop_stop()
    finally:
        src.close()
        pub.stop(timeout=2, flush=0)
        outbox.close()
