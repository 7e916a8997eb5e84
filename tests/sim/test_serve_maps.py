"""Every shipped register map, served by the simulator and read by the agent's source, over a pty
(Modbus RTU) and over loopback TCP; and a scattered map read in the fewest legal requests."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pymodbus.client import ModbusTcpClient

from heatwatch.channels import BY_NAME, CHANNEL_NAMES, INDEX, PUMP_ALARM_BASE, TRIP_CODES
from heatwatch.demo.services import free_port
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.edge.sources.base import SourceFatalError
from heatwatch.edge.sources.modbus_source import ModbusSource
from heatwatch.registers import RegisterMap, shipped_maps
from tests.support.modbus import ServerThread, healthy_row

REAL_MAPS = [m for m in shipped_maps() if m != "heatwatch_generic"]


def through(rmap: RegisterMap, row: np.ndarray) -> np.ndarray:
    """What the agent must see: the row through ``rmap`` (unmapped channels NaN)."""
    decoded = rmap.decode_tables(rmap.encode_tables({n: float(x) for n, x in zip(CHANNEL_NAMES, row)}))
    return np.array([decoded.get(n, math.nan) for n in CHANNEL_NAMES])


def read_two(source: ModbusSource, srv: ServerThread, rows: np.ndarray, second: np.ndarray):
    srv.set_row(rows)
    with source:
        r1 = source.read()
        srv.set_row(second)
        r2 = source.read()
    assert r1 is not None and r2 is not None
    return r1, r2


def test_at_least_two_real_pump_families_are_shipped_and_name_their_source():
    assert len(REAL_MAPS) >= 2
    for name in REAL_MAPS:
        rmap = RegisterMap.load(name)
        assert rmap.source, f"{name}: the map must name the documentation it was written from"
        assert {"t_outdoor", "t_flow", "compressor_hz", "mode"} <= set(rmap.channels)  # the minimum set


@pytest.mark.parametrize("name", shipped_maps())
@pytest.mark.parametrize("transport", ["rtu", "tcp"])
def test_each_shipped_map_is_read_end_to_end(name, transport, pty_pair):
    rmap = RegisterMap.load(name)
    rows = np.stack([healthy_row(0.0), healthy_row(3.0)])
    rows[1, INDEX["mode"]] = 2.0  # hot water
    rows[1, INDEX["t_dhw"]] = np.nan  # a missing sensor: served as the map's "missing"
    second = rows.copy()
    second[1, INDEX["t_flow"]] = 44.44
    second[1, INDEX["error_code"]] = TRIP_CODES["high_pressure"]
    tcp = ("127.0.0.1", free_port()) if transport == "tcp" else None
    with ServerThread(pty_pair.a, ["hp-1", "hp-2"], rmap, tcp=tcp) as srv:
        kwargs = dict(transport="tcp", host=tcp[0], tcp_port=tcp[1]) if tcp else {}
        source = ModbusSource("hp-2", pty_pair.b, slave_id=2, register_map=rmap, poll_interval=0.0, timeout=0.5,
                              **kwargs)
        r1, r2 = read_two(source, srv, rows, second)
        requests = srv.server.counters["requests"]
    np.testing.assert_allclose(r1.values, through(rmap, rows[1]), equal_nan=True)
    np.testing.assert_allclose(r2.values, through(rmap, second[1]), equal_nan=True)
    assert requests == 2 * len(rmap.read_plan())  # one request per block, no retries
    for ch in CHANNEL_NAMES:  # what the map has not is absent (NaN)
        if ch not in rmap.channels:
            assert math.isnan(r1.get(ch)), (name, ch)
    # a missing sensor: the sentinel (NaN), or where the map names none, a value no sensor
    # reads, which the detector's plausibility filter turns into a gap
    dhw = r1.get("t_dhw")
    assert math.isnan(dhw) or not BY_NAME["t_dhw"].low <= dhw <= BY_NAME["t_dhw"].high
    assert r1.get("mode") == 2.0 and r1.get("t_flow") == pytest.approx(38.26, abs=0.51)
    assert r2.get("t_flow") == pytest.approx(44.44, abs=0.51)
    # the trip: a name where the map ties the pump's alarm to one, else the pump's own number
    code = r2.get("error_code")
    assert code == TRIP_CODES["high_pressure"] or (math.isnan(code) or code >= PUMP_ALARM_BASE)
    events = PumpPipeline(device="hp-2").process(1_800_000_000.0, r2.values)[1]
    trips = [e.fault for e in events if e.kind.value == "trip"]
    if code == TRIP_CODES["high_pressure"]:
        assert trips == ["high_pressure"]


def test_midea_alarm_codes_map_to_trip_names_and_other_codes_keep_their_number():
    rmap = RegisterMap.load("midea_mthermal")
    reg = next(r for r in rmap.registers if r.channel == "error_code")
    assert reg.from_raw(21) == TRIP_CODES["high_pressure"] and reg.from_raw(20) == TRIP_CODES["low_pressure"]
    assert reg.from_raw(1) == reg.from_raw(9) == TRIP_CODES["flow_switch"]
    assert reg.from_raw(0) == 0
    assert reg.from_raw(38) == PUMP_ALARM_BASE + 38  # not in the published list: its own number
    ev = PumpPipeline(device="hp").process(1.0, np.where(np.arange(len(CHANNEL_NAMES)) == INDEX["error_code"],
                                                         PUMP_ALARM_BASE + 38, np.nan))[1]
    assert [e.fault for e in ev] == ["pump_alarm_38"]


SCATTERED = """\
#@ max_gap = 4
address,channel,unit,table,type,scale,sentinel,word_order,bit
100,t_outdoor,C,holding,int16,0.1,-32768,,
103,t_flow,C,holding,int16,0.1,-32768,,
5000,power_w,W,holding,uint32,1,,little,
5010,t_return,C,holding,float32,1,,,
7,p_high,bar,input,uint16,0.01,65535,,
9,p_low,bar,input,uint16,0.01,65535,,
9000,compressor_hz,Hz,input,uint16,0.1,65535,,
3,defrost,0/1,discrete,bool,1,,,
12,mode,enum,holding,uint16,1,,,0
"""


def test_a_scattered_map_is_read_in_the_fewest_legal_requests(pty_pair, tmp_path):
    path = tmp_path / "scattered.csv"
    path.write_text(SCATTERED)
    rmap = RegisterMap.load(path)
    plan = rmap.read_plan()
    # holding 12 | 100..103 (gap of 2 <= 4) | 5000..5001 | 5010..5011; input 7..9 | 9000; discrete 3
    assert [(b.table, b.start, b.count) for b in plan] == [
        ("discrete", 3, 1), ("holding", 12, 1), ("holding", 100, 4), ("holding", 5000, 2), ("holding", 5010, 2),
        ("input", 7, 3), ("input", 9000, 1)]
    row = healthy_row()
    row[INDEX["defrost"]] = 1.0
    row[INDEX["t_return"]] = 30.125  # exact in float32
    with ServerThread(pty_pair.a, ["hp-1"], rmap) as srv:
        srv.set_row(row[None, :])
        with ModbusSource("hp-1", pty_pair.b, register_map=rmap, poll_interval=0.0, timeout=0.5) as source:
            reading = source.read()
        assert srv.server.counters["requests"] == len(plan) == 7
        assert source.counters["requests"] == 7
    assert reading is not None
    assert reading.get("t_outdoor") == pytest.approx(-3.0) and reading.get("t_flow") == pytest.approx(35.3)
    assert reading.get("power_w") == 1911.0 and reading.get("t_return") == 30.125
    assert reading.get("p_high") == pytest.approx(23.46) and reading.get("compressor_hz") == pytest.approx(58.4)
    assert reading.get("defrost") == 1.0 and reading.get("mode") == 1.0
    assert math.isnan(reading.get("t_dhw"))


def test_reading_across_a_gap_the_pump_does_not_implement_is_refused_like_a_real_pump(tmp_path):
    regs = "address,channel,table,type,scale\n100,t_flow,input,int16,0.1\n105,t_return,input,int16,0.1\n"
    (tmp_path / "strict.csv").write_text(regs)  # the pump: only these two addresses exist
    (tmp_path / "gappy.csv").write_text("#@ max_gap = 10\n" + regs)  # a map that claims the gap is readable
    pump, rmap = RegisterMap.load(tmp_path / "strict.csv"), RegisterMap.load(tmp_path / "gappy.csv")
    assert len(pump.read_plan()) == 2 and len(rmap.read_plan()) == 1
    tcp = ("127.0.0.1", free_port())
    with ServerThread("", ["hp-1"], pump, tcp=tcp) as srv:
        srv.set_row(healthy_row()[None, :])
        client = ModbusTcpClient(tcp[0], port=tcp[1], timeout=1)
        assert client.connect()
        try:
            assert client.read_input_registers(100, count=6, device_id=1).exception_code == 2
            assert client.read_holding_registers(100, count=1, device_id=1).exception_code == 2  # wrong table
            assert client.read_input_registers(105, count=1, device_id=1).registers[0] == 301
        finally:
            client.close()
        with ModbusSource("hp-1", transport="tcp", host=tcp[0], tcp_port=tcp[1], register_map=rmap,
                          poll_interval=0.0, timeout=0.5) as source:
            with pytest.raises(SourceFatalError, match=r"illegal data address for input registers 100\.\.105"):
                source.read()


def test_tcp_unit_ids_pick_the_pump_and_a_missing_unit_times_out():
    tcp = ("127.0.0.1", free_port())
    rows = np.stack([healthy_row(0.0), healthy_row(4.0)])
    with ServerThread("", ["hp-a", "hp-b"], None, tcp=tcp) as srv:
        srv.set_row(rows)
        got = {}
        for sid in (1, 2):
            with ModbusSource(f"hp-{sid}", transport="tcp", host=tcp[0], tcp_port=tcp[1], slave_id=sid,
                              poll_interval=0.0, timeout=0.5) as source:
                got[sid] = source.read()
        with ModbusSource("hp-9", transport="tcp", host=tcp[0], tcp_port=tcp[1], slave_id=9, poll_interval=0.0,
                          timeout=0.3, retries=0, reopen_after=5) as source:
            assert source.read() is None
            assert source.counters["timeouts"] == 1
    assert got[1].get("t_flow") == pytest.approx(35.3) and got[2].get("t_flow") == pytest.approx(39.3)
