"""A Modbus-fed agent takes commands while it reads: the command channel is the publisher's link.

`heatwatch sim run` serves an accelerated pump on a socat pty pair; the agent
(an EdgeAgent in a thread) reads it and publishes to a private Mosquitto. A
test client in the gateway's place sends ``repaired`` on the device's command
topic while readings flow: the agent answers on its ack topic, acts once on
two copies, and reads on.
"""

from __future__ import annotations

import json
import threading

import paho.mqtt.client as mqtt

from heatwatch.contract import Ack, agent_topic, command_topic
from heatwatch.edge.agent import EdgeAgent
from heatwatch.edge.config import AgentConfig, BrokerConfig, DetectorSection, OutboxConfig, SourceConfig
from tests.edge.test_agent_e2e import DEVICE, scenario, sim_run
from tests.support.mqtt import Subscriber, wait_for

HEALTHY = "      []\n"


def test_a_modbus_agent_acts_on_a_command_while_it_reads(broker, pty_pair, tmp_path):
    sim = sim_run(scenario(tmp_path, HEALTHY, duration="2d"), tmp_path, speed=600, serial=pty_pair.a)
    cfg = AgentConfig(
        device=DEVICE, telemetry_interval=120.0,
        source=SourceConfig(kind="modbus", port=pty_pair.b, baudrate=115200, poll_interval=0.005, timeout=0.2,
                            retries=1, use_pump_clock=True),
        broker=BrokerConfig(url=broker.url, status_interval=0.5),
        outbox=OutboxConfig(path=str(tmp_path / "outbox.db")),
        detector=DetectorSection(commissioning_days=0.5, state_path=str(tmp_path / "state.json")),
    )
    agent = EdgeAgent(cfg)
    stop = threading.Event()
    runner = threading.Thread(target=agent.run, args=(stop,), daemon=True)
    runner.start()
    acks = Subscriber(broker.port, agent_topic(DEVICE, "ack"), "test-acks")
    gateway = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="gw-test", protocol=mqtt.MQTTv5)
    gateway.connect("127.0.0.1", broker.port)
    gateway.loop_start()
    try:
        assert agent.publisher.commands_subscribed.wait(10)
        wait_for(lambda: agent.status.readings >= 20, 30, "readings flowing")
        command = {"id": 7, "device": DEVICE, "command": "repaired", "ticket": 3, "fault": "low_water_flow",
                   "resolution_code": "fault_confirmed", "resolved_at": 1736500000.0}
        for _ in range(2):  # a copy, as after a re-send
            gateway.publish(command_topic(DEVICE), json.dumps(command), qos=1).wait_for_publish(5)
        wait_for(lambda: len(acks.messages()) == 2, 20, "two answers")
        answers = [Ack.model_validate_json(m.payload) for m in acks.messages()]
        assert [(a.command_id, a.ok) for a in answers] == [(7, True), (7, True)]
        assert answers[0].detail.startswith("relearning the pump")
        assert agent.counters()["commands"] == {"received": 2, "done": 1, "duplicates": 1, "refused": 0, "failed": 0}
        read = agent.status.readings
        wait_for(lambda: agent.status.readings >= read + 20, 30, "reading on after the command")
        assert agent.processing_errors == 0
        # remembered in the state file (written even though no model was learned yet)
        assert json.loads((tmp_path / "state.json").read_text())["commands_done"] == [7]
    finally:
        gateway.loop_stop()
        gateway.disconnect()
        acks.close()
        stop.set()
        runner.join(20)
        sim.stop()
