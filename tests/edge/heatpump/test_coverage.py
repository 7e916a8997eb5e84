"""A pump that reports fewer channels: what it cannot be judged for is said once, at start,
and what it does not report is never taken for a broken sensor or guessed around."""

from __future__ import annotations

import logging
import math

import numpy as np

from heatwatch.channels import CHANNEL_NAMES, INDEX
from heatwatch.edge.agent import EdgeAgent
from heatwatch.edge.config import parse_config
from heatwatch.edge.heatpump.coverage import OPERATING_POINT, coverage
from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.heatpump.sensor_checks import SensorChecks
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.faults import FAULTS
from heatwatch.registers import RegisterMap


def test_all_channels_judge_every_fault():
    cov = coverage(None)
    assert set(cov.judged) == set(FAULTS) and not cov.not_judged and not cov.missing


def test_without_a_valve_opening_the_leak_is_judged_by_its_fixed_valve_rule_and_look_alikes_are_not():
    have = [c for c in CHANNEL_NAMES if c != "eev_pct"]
    cov = coverage(have)
    assert cov.judged["refrigerant_leak"] == "refrigerant_leak_fixed_valve"
    # the valve opening is what tells a fouled coil and a worn compressor from a leak
    assert "evaporator_fouling" in cov.not_judged and "eev_pct (cross-check)" in cov.not_judged["evaporator_fouling"]
    assert "compressor_wear" in cov.not_judged
    assert cov.counters()["faults_not_judged"] == 2 and cov.counters()["missing_channels"] == "eev_pct"


def test_without_the_operating_point_no_pump_fault_is_judged():
    for gone in OPERATING_POINT:
        cov = coverage([c for c in CHANNEL_NAMES if c != gone])
        pump = {f for f, ft in FAULTS.items() if not ft.sensor_fault}
        assert pump <= set(cov.not_judged), gone
        assert gone in cov.summary()


def test_shipped_real_maps_say_what_they_cannot_judge():
    for name, lost in (("nibe_vvm_s320", {"condenser_fouling", "evaporator_fouling"}),
                       ("midea_mthermal", {"condenser_fouling", "evaporator_fouling"})):
        cov = coverage(RegisterMap.load(name).channels)
        assert lost <= set(cov.not_judged), name
        assert {"refrigerant_leak", "low_water_flow", "sensor_dropout"} <= set(cov.judged), name


def test_a_channel_the_pump_does_not_report_is_not_a_sensor_dropout():
    present = [c for c in CHANNEL_NAMES if c not in ("eev_pct", "power_w", "t_cond")]
    x = np.full(len(CHANNEL_NAMES), 20.0)
    for c in ("eev_pct", "power_w", "t_cond"):
        x[INDEX[c]] = math.nan
    flagged_all, flagged_map = set(), set()
    every, mapped = SensorChecks(), SensorChecks(present)
    for i in range(200):
        y = x + 0.01 * (i % 7)  # moving a little, as live sensors do
        flagged_all |= set(every.update(i * 60.0, y, True))
        flagged_map |= set(mapped.update(i * 60.0, y, True))
    assert {"eev_pct", "power_w", "t_cond"} <= flagged_all  # today without the map: three "broken" sensors
    assert not flagged_map  # with it: none
    # a sensor the map does have still drops out visibly
    y = x.copy()
    y[INDEX["t_suction"]] = math.nan
    for i in range(200, 400):
        flagged_map |= set(mapped.update(i * 60.0, y, True))
    assert flagged_map == {"t_suction"}


def test_pipeline_for_a_map_runs_only_the_rules_its_channels_can_judge():
    channels = RegisterMap.load("nibe_vvm_s320").channels
    pipe = PumpPipeline.with_config("hp", HeatPumpDetectorConfig(channels=channels))
    names = {r.name for r in pipe.rules.rules}
    assert "evaporator_fouling" not in names and "refrigerant_leak" not in names
    assert "refrigerant_leak_fixed_valve" in names and "low_water_flow" in names
    assert pipe.coverage is not None and "evaporator_fouling" in pipe.coverage.not_judged
    full = PumpPipeline.with_config("hp", HeatPumpDetectorConfig())
    assert len(full.rules.rules) == len(PumpPipeline(device="hp").rules.rules)  # the generic map: all rules


def test_agent_says_once_at_start_what_it_cannot_judge(tmp_path, caplog):
    cfg = parse_config({"device": {"id": "hp-9"}, "source": {"register_map": "midea_mthermal",
                                                              "port": str(tmp_path / "nope")},
                        "outbox": {"path": str(tmp_path / "o.db")}})
    with caplog.at_level(logging.INFO, logger="heatwatch.edge.agent"):
        agent = EdgeAgent(cfg)
    try:
        lines = [r.getMessage() for r in caplog.records if "cannot judge" in r.getMessage()]
        assert len(lines) == 1 and "condenser_fouling (needs t_cond)" in lines[0]
        c = agent.counters()["coverage"]
        assert c["faults_not_judged"] >= 2 and "evaporator_fouling" in str(c["not_judged"])
        assert c["channels"] == len(RegisterMap.load("midea_mthermal").channels)
        assert agent.pipeline.detector.checks.state()  # state still saves (configuration left out)
    finally:
        agent.outbox.close()
