"""The register map format: data types, word and byte order, bit fields, enumerations, alarm codes,
the read plan's limits, and errors that name the file, the row, the register and the field."""

from __future__ import annotations

import math

import pytest

from heatwatch.channels import PUMP_ALARM_BASE, TRIP_CODES
from heatwatch.registers import (MAX_BITS_PER_READ, MAX_REGISTERS_PER_READ, Register, RegisterMap,
                                 RegisterMapError, read_plan, shipped_maps)

HEADER = "address,channel,unit,table,type,word_order,byte_order,scale,offset,sentinel,bit,values\n"


def load(tmp_path, body: str, name: str = "m.csv", header: str = HEADER) -> RegisterMap:
    path = tmp_path / name
    path.write_text(header + body)
    return RegisterMap.load(path)


def test_the_generic_map_is_unchanged_one_block_of_holding_registers():
    rmap = RegisterMap.load()
    assert [(b.table, b.start, b.count) for b in rmap.read_plan()] == [("holding", 100, 23)]
    assert (rmap.start, rmap.count, rmap.clock_address) == (100, 23, 121)
    words = rmap.encode({"t_outdoor": -12.34, "p_high": 27.51, "mode": 2.0}, clock=1_795_000_123.0)
    assert words[0] == (-123) & 0xFFFF and words[10] == 2751 and words[19] == 2
    assert words[21:23] == [1_795_000_123 >> 16, 1_795_000_123 & 0xFFFF]
    assert math.isnan(rmap.decode(words)["t_flow"])


@pytest.mark.parametrize("typ,order,value,expect", [
    ("int32", "big", -100000.0, [0xFFFE, 0x7960]),
    ("int32", "little", -100000.0, [0x7960, 0xFFFE]),
    ("uint32", "big", 70000.0, [0x0001, 0x1170]),
    ("float32", "big", 1.5, [0x3FC0, 0x0000]),
    ("float32", "little", 1.5, [0x0000, 0x3FC0]),
])
def test_32_bit_types_in_either_word_order(tmp_path, typ, order, value, expect):
    rmap = load(tmp_path, f"10,power_w,W,holding,{typ},{order},,1,,,,\n")
    tables = rmap.encode_tables({"power_w": value})
    assert [tables["holding"][10], tables["holding"][11]] == expect
    assert rmap.decode_tables(tables)["power_w"] == value


def test_byte_order_swaps_within_each_word(tmp_path):
    rmap = load(tmp_path, "10,t_flow,C,input,int16,,little,0.1,,,,\n")
    tables = rmap.encode_tables({"t_flow": 35.3})
    assert tables["input"][10] == 0x6101  # 353 = 0x0161, bytes swapped
    assert rmap.decode_tables(tables)["t_flow"] == pytest.approx(35.3)


def test_scale_offset_sentinel_and_float_nan(tmp_path):
    rmap = load(tmp_path, "1,p_high,bar,holding,uint16,,,0.01,1.013,65535,,\n2,t_flow,C,holding,float32,,,1,,,,\n")
    tables = rmap.encode_tables({"p_high": 24.0, "t_flow": math.nan})
    assert tables["holding"][1] == 2299  # (24.0 - 1.013) / 0.01: gauge kPa to absolute bar
    decoded = rmap.decode_tables(tables)
    assert decoded["p_high"] == pytest.approx(24.003) and math.isnan(decoded["t_flow"])
    assert math.isnan(rmap.decode_tables(rmap.encode_tables({}))["p_high"])  # the sentinel


def test_bit_fields_coils_and_enumerations(tmp_path):
    rmap = load(tmp_path, "50,defrost,0/1,holding,uint16,,,1,,,3,\n"
                          "50,error_code,code,holding,uint16,,,1,,,5,\n"
                          "7,mode,enum,coil,bool,,,1,,,,0=off;1=heating\n"
                          "9,fan_rpm,rpm,discrete,bool,,,900,,,,\n")
    tables = rmap.encode_tables({"defrost": 1.0, "error_code": 0.0, "mode": 1.0, "fan_rpm": 900.0})
    assert tables["holding"][50] == 0b1000 and tables["coil"][7] == 1 and tables["discrete"][9] == 1
    decoded = rmap.decode_tables(tables)
    assert decoded == {"defrost": 1.0, "error_code": 0.0, "mode": 1.0, "fan_rpm": 900.0}
    decoded = rmap.decode_tables({"holding": {50: 0b100000}, "coil": {7: 0}, "discrete": {9: 0}})
    assert decoded == {"defrost": 0.0, "error_code": 1.0, "mode": 0.0, "fan_rpm": 0.0}


def test_enumerations_by_name_and_unlisted_values_are_unknown(tmp_path):
    rmap = load(tmp_path, "1,mode,enum,input,uint16,,,1,,,,10=off;20=dhw;30=heating;60=off\n")
    reg = rmap.registers[0]
    assert [reg.from_raw(r) for r in (10, 20, 30, 60)] == [0.0, 2.0, 1.0, 0.0]
    assert math.isnan(reg.from_raw(40))  # pool: no heatwatch mode
    assert reg.to_raw(2.0) == 20 and reg.to_raw(1.0) == 30


def test_alarm_codes_map_to_trip_names_and_others_keep_their_number(tmp_path):
    rmap = load(tmp_path, "1,error_code,code,input,uint16,,,1,,,,21=high_pressure;20=low_pressure;99=lockout\n")
    reg = rmap.registers[0]
    assert reg.from_raw(21) == TRIP_CODES["high_pressure"] and reg.from_raw(99) == 99.0
    assert reg.from_raw(0) == 0.0 and reg.from_raw(57) == PUMP_ALARM_BASE + 57
    assert reg.to_raw(TRIP_CODES["low_pressure"]) == 20 and reg.to_raw(PUMP_ALARM_BASE + 57) == 57
    assert reg.to_raw(0.0) == 0


def test_read_plan_respects_the_protocol_limits():
    regs = [Register(address=a, channel="t_flow", table="holding", type="uint16") for a in range(0, 300)]
    plan = read_plan(regs, max_gap=10)
    assert [b.count for b in plan] == [MAX_REGISTERS_PER_READ, MAX_REGISTERS_PER_READ, 50]
    bits = [Register(address=a, channel="defrost", table="coil", type="bool") for a in range(0, 4500)]
    assert [b.count for b in read_plan(bits)] == [MAX_BITS_PER_READ, MAX_BITS_PER_READ, 500]
    # 100 and 5000: two requests, not one of 4,901 registers
    two = [Register(address=100, channel="t_flow"), Register(address=5000, channel="t_return")]
    assert [(b.start, b.count) for b in read_plan(two, max_gap=125)] == [(100, 1), (5000, 1)]
    # a 32-bit register is never split; the gap is counted between registers, not addresses read
    wide = [Register(address=10, channel="power_w", type="uint32"), Register(address=14, channel="t_flow")]
    assert [(b.start, b.count) for b in read_plan(wide, max_gap=2)] == [(10, 5)]
    assert [(b.start, b.count) for b in read_plan(wide, max_gap=1)] == [(10, 2), (14, 1)]


@pytest.mark.parametrize("body,message", [
    ("1,t_flow,C,registers,int16,,,1,,,,\n", r"m.csv row 1: field 'table' of register 1 \(t_flow\): 'registers'"),
    ("1,t_flow,C,holding,int8,,,1,,,,\n", r"row 1: field 'type' of register 1 \(t_flow\): 'int8': one of"),
    ("1,t_flow,C,coil,int16,,,1,,,,\n", r"field 'type' .*coils and discrete inputs are bool"),
    ("1,t_flow,C,holding,int16,middle,,1,,,,\n", r"field 'word_order' .*'middle': big or little"),
    ("1,t_flow,C,holding,int16,,,0,,,,\n", r"field 'scale' .*must not be 0"),
    ("1,t_flow,C,holding,int16,,,abc,,,,\n", r"field 'scale' .*'abc' is not a number"),
    ("1,t_flow,C,holding,int16,,,1,,70000,,\n", r"field 'sentinel' .*70000 does not fit a int16"),
    ("1,t_flow,C,holding,int32,,,1,,,3,\n", r"field 'bit' .*bit 0..15 of a 16-bit"),
    ("65535,power_w,W,holding,uint32,,,1,,,,\n", r"field 'address' .*outside 0..65535"),
    ("1,mode,enum,holding,uint16,,,1,,,,10=of\n", r"field 'values' of register 1 \(mode\): '10=of': 'of' is not a value"),
    ("1,error_code,c,holding,uint16,,,1,,,,x=high_pressure\n", r"field 'values' .*raw a whole number"),
    ("1,error_code,c,holding,uint16,,,1,,,,3=lockout;3=none\n", r"field 'values' .*listed twice"),
    ("1,t_bogus,C,holding,int16,,,1,,,,\n", r"row 1: field 'channel' .*unknown channel 't_bogus'"),
    ("1,t_flow,C,holding,int16,,,1,,,,\n2,t_flow,C,holding,int16,,,1,,,,\n", r"channel 't_flow' mapped twice"),
    ("1,power_w,W,holding,uint32,,,1,,,,\n2,t_flow,C,holding,int16,,,1,,,,\n",
     r"register 2 \(holding\) used by both 'power_w' and 't_flow'"),
    ("5,defrost,0/1,input,uint16,,,1,,,1,\n5,mode,enum,input,uint16,,,1,,,1,\n", r"register 5 \(input\) used by both"),
])
def test_errors_name_file_row_register_and_field(tmp_path, body, message):
    with pytest.raises(RegisterMapError, match=message):
        load(tmp_path, body)


def test_map_level_mistakes_are_named(tmp_path):
    with pytest.raises(RegisterMapError, match=r"m.csv: unknown column\(s\) scael"):
        load(tmp_path, "1,t_flow,1\n", header="address,channel,scael\n")
    with pytest.raises(RegisterMapError, match=r"m.csv line 1: '#@ max_gapp'"):
        load(tmp_path, "1,t_flow\n", header="#@ max_gapp = 3\naddress,channel\n")
    with pytest.raises(RegisterMapError, match=r"'#@ max_gap' must be a whole number"):
        load(tmp_path, "1,t_flow\n", header="#@ max_gap = -1\naddress,channel\n")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00address")
    with pytest.raises(RegisterMapError, match=r"bin.csv: not a text"):
        RegisterMap.load(tmp_path / "bin.csv")
    with pytest.raises(RegisterMapError, match=r"register map 'nibe_f9999' not found \(known: .*midea_mthermal"):
        RegisterMap.load("nibe_f9999")


def test_every_shipped_map_loads_and_round_trips_its_channels():
    for name in shipped_maps():
        rmap = RegisterMap.load(name)
        assert rmap.read_plan(), name
        assert all(b.count <= MAX_REGISTERS_PER_READ for b in rmap.read_plan())
