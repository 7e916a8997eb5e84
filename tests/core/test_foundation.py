"""The shared foundation: refrigerant tables, register maps, wire contract, services."""

from __future__ import annotations

import math
import time

import numpy as np
import paho.mqtt.client as mqtt
import pytest
import serial

from heatwatch.contract import ContractError, Event, agent_topic, parse_agent_message
from heatwatch.registers import RegisterMap, RegisterMapError
from heatwatch.refrigerant import p_sat, t_sat


def test_saturation_round_trip_and_table_points():
    assert p_sat(0.0, "R32") == pytest.approx(8.13)
    assert t_sat(27.95, "R32") == pytest.approx(45.0)
    t = np.linspace(-35, 68, 50)
    assert np.allclose(t_sat(p_sat(t, "R290"), "R290"), t, atol=1e-6)
    assert math.isnan(t_sat(0.0))


def test_register_map_round_trip_quantizes_and_sentinels():
    rmap = RegisterMap.load()
    words = rmap.encode({"t_outdoor": -12.34, "p_high": 27.51, "t_flow": float("nan")})
    assert all(0 <= w <= 0xFFFF for w in words)
    values = rmap.decode(words)
    assert values["t_outdoor"] == pytest.approx(-12.3)
    assert values["p_high"] == pytest.approx(27.51)
    assert math.isnan(values["t_flow"]) and math.isnan(values["mode"])


def test_register_map_errors_name_row_and_field(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("address,channel,unit,scale,signed,sentinel\n100,t_flow,C,0.1,1,-32768\n101,t_bogus,C,1,0,0\n")
    with pytest.raises(RegisterMapError, match=r"bad.csv row 2: field 'channel'"):
        RegisterMap.load(bad)


def test_contract_rejects_wrong_device_and_bad_json():
    ev = Event(device="hp-1", seq=0, event_id="e" * 16, ts=1.0, kind="fault", fault="refrigerant_leak")
    assert parse_agent_message(agent_topic("hp-1", "event"), ev.to_json()).fault == "refrigerant_leak"
    with pytest.raises(ContractError, match="does not match topic"):
        parse_agent_message(agent_topic("hp-2", "event"), ev.to_json())
    with pytest.raises(ContractError, match="not JSON"):
        parse_agent_message(agent_topic("hp-1", "event"), b"\xff{")


def test_real_broker_carries_a_message(broker):
    got = []
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    sub.on_message = lambda c, u, m: got.append(m.payload)
    sub.connect("127.0.0.1", broker.port)
    sub.subscribe("t/#", qos=1)
    sub.loop_start()
    time.sleep(0.3)
    pub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    pub.connect("127.0.0.1", broker.port)
    pub.loop_start()
    pub.publish("t/x", b"hello", qos=1).wait_for_publish(5)
    deadline = time.time() + 5
    while not got and time.time() < deadline:
        time.sleep(0.05)
    pub.loop_stop()
    sub.loop_stop()
    assert got == [b"hello"]


def test_pty_pair_is_a_serial_line(pty_pair):
    with serial.Serial(pty_pair.a, 9600, timeout=1) as a, serial.Serial(pty_pair.b, 9600, timeout=1) as b:
        a.write(b"\x01\x03\x00")
        assert b.read(3) == b"\x01\x03\x00"
