"""A pump or bridge publishing its own JSON: topic, field mapping with units, the pump side's credentials and TLS."""

from __future__ import annotations

import json
import math
import subprocess
from datetime import datetime, timezone

import paho.mqtt.client as mqtt
import pytest

from heatwatch.channels import INDEX
from heatwatch.conversions import conversion
from heatwatch.demo.services import Mosquitto
from heatwatch.edge.agent import build_source
from heatwatch.edge.config import ConfigError, load_config
from heatwatch.edge.sources.payload_mapping import PayloadMapping, PayloadRejected, parse_time
from tests.support.mqtt import AS_ROOT
from tests.support.tls import make_server_cert

FIELDS = """
[source.fields]
t_outdoor = { field = "sensors.outdoor", unit = "°F" }
t_flow = { field = "sensors.flow", unit = "degF" }
t_return = "sensors.return_c"
p_high = { field = "refrigerant.0.hp", unit = "kPag" }
p_low = { field = "refrigerant.0.lp", unit = "psi" }
power_w = { field = "elec.kw", unit = "kW" }
flow_lpm = { field = "water.flow", unit = "l/h" }
compressor_hz = "comp.freq"
mode = { field = "state", values = { heat = "heating", ww = "dhw", standby = "off" } }
error_code = { field = "alarm", values = { ok = "none", hp = "high_pressure" } }
"""

FOREIGN = {
    "time": "2025-01-10T06:30:00Z",
    "sensors": {"outdoor": 23.0, "flow": 95.0, "return_c": "30.5"},  # °F, °F, a number as text
    "refrigerant": [{"hp": 2400.0, "lp": 116.0}],  # kPa gauge, psi absolute
    "elec": {"kw": 1.85},
    "water": {"flow": 1200},
    "comp": {"freq": 58},
    "state": "heat",
    "alarm": "ok",
    "firmware": "2.1.7",  # not mapped: ignored
}


def test_units_convert_to_the_canonical_ones():
    def conv(ch, unit, v):
        a, b = conversion(ch, unit)
        return v * a + b

    assert conv("t_flow", "°F", 212.0) == pytest.approx(100.0)
    assert conv("t_flow", "K", 300.0) == pytest.approx(26.85)
    assert conv("p_high", "kPa", 2500.0) == pytest.approx(25.0)
    assert conv("p_high", "barg", 0.0) == pytest.approx(1.01325)  # gauge -> absolute
    assert conv("p_low", "psi", 100.0) == pytest.approx(6.89476, rel=1e-5)
    assert conv("flow_lpm", "m3/h", 1.2) == pytest.approx(20.0)
    assert conv("power_w", "kW", 2.5) == 2500.0
    with pytest.raises(ValueError, match="t_flow is in °C; unit 'bar'"):
        conversion("t_flow", "bar")


def test_time_in_seconds_milliseconds_or_iso_8601():
    assert parse_time(1736490600) == parse_time(1736490600000) == parse_time("2025-01-10T06:30:00Z") \
        == parse_time("2025-01-10 06:30:00") == 1736490600.0
    with pytest.raises(PayloadRejected, match="not unix seconds or ISO 8601"):
        parse_time("yesterday")


def test_mapping_reads_paths_units_and_value_names_and_counts_absent_fields():
    m = PayloadMapping.from_config({"t_flow": {"field": "a.b", "unit": "°F"}, "mode": {"field": "m",
                                    "values": {"heat": "heating"}}, "fan_rpm": "fan"}, "t")
    ts, values, missing = m.read({"t": 1000, "a": {"b": 50.0}, "m": "HEAT"}, received=5.0)
    assert ts == 1000.0 and values["t_flow"] == pytest.approx(10.0) and values["mode"] == 1.0
    assert missing == ["fan_rpm"]
    with pytest.raises(PayloadRejected, match="expected a JSON object"):
        m.read([1, 2], received=5.0)
    with pytest.raises(PayloadRejected, match="time field 't' is missing"):
        m.read({"a": {"b": 1}}, received=5.0)


@pytest.mark.parametrize("fields, message", [
    ("t_flw = 'x'", "t_flw: not a heatwatch channel"),
    ("t_flow = { field = 'x', unit = 'bar' }", "t_flow is in °C; unit 'bar'"),
    ("t_flow = { unit = '°F' }", "t_flow: 'field' is required"),
    ("t_flow = { field = 'x', scle = 2 }", "t_flow: unknown key(s) scle"),
    ("mode = { field = 'x', values = { heat = 'warm' } }", "mode: values.heat = 'warm'"),
    ("t_flow = 'a..b'", "field 'a..b'"),
])
def test_mapping_mistakes_are_config_errors_naming_the_channel(tmp_path, fields, message):
    f = tmp_path / "edge.toml"
    f.write_text(f"[device]\nid='hp-1'\n[source]\nkind='mqtt'\nurl='mqtt://127.0.0.1:1'\npayload='json'\n"
                 f"[source.fields]\n{fields}\n")
    with pytest.raises(ConfigError, match="source.fields") as exc:
        load_config(f)
    assert message in str(exc.value)


def test_a_bridge_publishing_its_own_json_over_tls_with_credentials_is_read(tmp_path):
    """Real Mosquitto as the pump-side broker: TLS, a password, the bridge's own topic and JSON."""
    make_server_cert(tmp_path)
    pw = tmp_path / "passwd"
    pw.write_text("")
    subprocess.run(["mosquitto_passwd", "-b", str(pw), "heatwatch", "s3cret"], check=True, capture_output=True)
    subprocess.run(["mosquitto_passwd", "-b", str(pw), "bridge", "bridge-pw"], check=True, capture_output=True)
    broker = Mosquitto(allow_anonymous=False,
                       extra_config=f"password_file {pw}\ncafile {tmp_path}/ca.crt\ncertfile {tmp_path}/server.crt\n"
                                    f"keyfile {tmp_path}/server.key\n{AS_ROOT}").start()
    f = tmp_path / "edge.toml"
    f.write_text(f"[device]\nid = 'hp-7'\n[source]\nkind = 'mqtt'\nurl = 'mqtts://127.0.0.1:{broker.port}'\n"
                 f"username = 'heatwatch'\npassword = 's3cret'\nca_file = '{tmp_path}/ca.crt'\n"
                 f"topic = 'bridge/heatpump/7/state'\npayload = 'json'\nts_field = 'time'\n{FIELDS}\n"
                 f"[outbox]\npath = '{tmp_path}/o.db'\n")
    source = build_source(load_config(f))
    bridge = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
    bridge.username_pw_set("bridge", "bridge-pw")
    bridge.tls_set(ca_certs=str(tmp_path / "ca.crt"))
    try:
        source.open()
        bridge.connect("127.0.0.1", broker.port)
        bridge.loop_start()
        bridge.publish("bridge/heatpump/7/state", json.dumps(FOREIGN), qos=1).wait_for_publish(5)
        bridge.publish("bridge/heatpump/7/state", b"[1, 2, 3]", qos=1).wait_for_publish(5)  # not an object
        later = {**FOREIGN, "time": "2025-01-10T06:31:00Z", "sensors": {"outdoor": 24.0}}
        bridge.publish("bridge/heatpump/7/state", json.dumps(later), qos=1).wait_for_publish(5)
        r = source.read(timeout=5)
        assert r is not None
        v = {name: r.values[i] for name, i in INDEX.items()}
        assert r.ts == datetime(2025, 1, 10, 6, 30, tzinfo=timezone.utc).timestamp()
        assert v["t_outdoor"] == pytest.approx(-5.0) and v["t_flow"] == pytest.approx(35.0)
        assert v["t_return"] == pytest.approx(30.5)
        assert v["p_high"] == pytest.approx(25.01325) and v["p_low"] == pytest.approx(7.998, abs=1e-3)
        assert v["power_w"] == pytest.approx(1850.0) and v["flow_lpm"] == pytest.approx(20.0)
        assert (v["compressor_hz"], v["mode"], v["error_code"]) == (58.0, 1.0, 0.0)
        assert math.isnan(v["t_discharge"])  # not mapped: missing, as a map without the register
        r2 = source.read(timeout=5)
        assert r2 is not None and r2.ts == r.ts + 60 and math.isnan(r2.values[INDEX["t_flow"]])
        c = source.counters
        assert c["rejected[bad_fields]"] == 1 and c["field_missing[t_flow]"] == 1 and c["messages_ok"] == 2
    finally:
        source.close()
        bridge.disconnect()
        bridge.loop_stop()
        broker.stop()


def test_wrong_pump_side_password_is_fatal(tmp_path):
    from heatwatch.edge.sources.base import SourceFatalError

    pw = tmp_path / "passwd"
    pw.write_text("")
    subprocess.run(["mosquitto_passwd", "-b", str(pw), "heatwatch", "s3cret"], check=True, capture_output=True)
    broker = Mosquitto(allow_anonymous=False, extra_config=f"password_file {pw}\n{AS_ROOT}").start()
    f = tmp_path / "edge.toml"
    f.write_text(f"[device]\nid = 'hp-7'\n[source]\nkind = 'mqtt'\nurl = '{broker.url}'\nusername = 'heatwatch'\n"
                 f"password = 'wrong'\n[outbox]\npath = '{tmp_path}/o.db'\n")
    source = build_source(load_config(f))
    try:
        with pytest.raises(SourceFatalError, match="refused"):
            source.open()
    finally:
        source.close()
        broker.stop()
