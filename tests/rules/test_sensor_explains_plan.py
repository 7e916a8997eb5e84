"""RuleEngine._sensor_explains with each rule's parts made once per sensor channel (_ExplainPlan, replay
speed, round 14) gives _sensor_explains_reference's verdict on every rule and random evidence: offsets
at and either side of SENSOR_SHARE, SENSOR_EXPLAINS and SENSOR_LEVEL, NaN, channels missing, levels
at a condition's bound and -0.0, every sensor channel (operating-point ones and the others)."""

from __future__ import annotations

import math
import random

from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.sensor_offset import SENSOR_STEPS, SensorOffset
from heatwatch.rules.engine import SENSOR_EXPLAINS, SENSOR_LEVEL, SENSOR_SHARE, ChannelShift, Evidence, RuleEngine


def _level(rng: random.Random, bounds: list[float]) -> float:
    """A level near a rule's bound (exactly on it, either sign, a hair off), NaN, -0.0 or anything."""
    r = rng.random()
    if r < 0.4:
        return rng.choice(bounds) * rng.choice([1.0, -1.0]) * rng.choice([1.0, 1 - 1e-12, 1 + 1e-12])
    if r < 0.45:
        return rng.choice([math.nan, -0.0, 0.0])
    return rng.gauss(0, 2.5)


def test_plan_verdicts_are_the_reference() -> None:
    rng = random.Random(14)
    engine = RuleEngine.from_files()
    rules = [r for r in engine.rules if r.require or r.support]
    bounds = sorted({c.level for r in rules for c in [*r.require.values(), *r.support.values()]})
    sensors = list(SENSOR_STEPS)
    assert any(s in ("t_outdoor", "t_flow") for s in sensors) and len(sensors) > 2
    shares = [SENSOR_SHARE, SENSOR_EXPLAINS, 0.5, 1.0, math.nan]
    verdicts = {True: 0, False: 0}
    for _ in range(6000):
        shifts = {ch: ChannelShift(_level(rng, bounds), 0.0, 1.0) for ch in TARGET_NAMES if rng.random() < 0.85}
        explained = rng.choice(shares) * rng.choice([1.0, 1 - 1e-12, 1 + 1e-12]) if rng.random() < 0.8 else rng.random()
        level = rng.choice([SENSOR_LEVEL, 0.5, 3.0, math.nan]) * rng.choice([1.0, 1 - 1e-12, 1 + 1e-12])
        predicted = {ch: _level(rng, bounds) for ch in TARGET_NAMES if rng.random() < 0.6}
        so = SensorOffset(rng.choice(sensors), rng.gauss(0, 3), explained, level, predicted)
        ev = Evidence(ts=1e6, shifts=shifts, sensor_offset=so if rng.random() < 0.95 else None)
        for rule in rules:
            want = RuleEngine._sensor_explains_reference(rule, ev)
            assert RuleEngine._sensor_explains(rule, ev) is want, (rule.name, so, shifts)
            verdicts[want] += 1
    assert verdicts[True] > 2000 and verdicts[False] > 2000  # both verdicts met often


def test_veto_reads_every_shift_the_veto_reads() -> None:
    """The veto's verdict on evidence cut to RuleEngine.veto_reads' channels (what
    PumpPipeline._offset_matches builds) is its verdict on the whole evidence; cut further (one read
    channel dropped) it changes somewhere, so the set is no larger than the veto needs to read."""
    rng = random.Random(15)
    engine = RuleEngine.from_files()
    rules = [r for r in engine.rules if r.require or r.support]
    bounds = sorted({c.level for r in rules for c in [*r.require.values(), *r.support.values()]})
    sensors = list(SENSOR_STEPS)
    read_some = dropped_changed = 0
    for _ in range(6000):
        shifts = {ch: ChannelShift(_level(rng, bounds), 0.0, 1.0) for ch in TARGET_NAMES if rng.random() < 0.85}
        explained = rng.choice([SENSOR_SHARE, SENSOR_EXPLAINS, 0.5, math.nan]) * rng.choice([1.0, 1 - 1e-12, 1 + 1e-12])
        level = rng.choice([SENSOR_LEVEL, 0.5, 3.0, math.nan]) * rng.choice([1.0, 1 - 1e-12, 1 + 1e-12])
        predicted = {ch: _level(rng, bounds) for ch in TARGET_NAMES if rng.random() < 0.6}
        so = SensorOffset(rng.choice(sensors), rng.gauss(0, 3), explained, level, predicted)
        for rule in rules:
            reads = RuleEngine.veto_reads(rule, so)
            assert reads <= {*rule.require, *rule.support}
            want = RuleEngine._sensor_explains_reference(rule, Evidence(ts=1e6, shifts=shifts, sensor_offset=so))
            cut = {ch: s for ch, s in shifts.items() if ch in reads}
            assert RuleEngine._sensor_explains(rule, Evidence(ts=1e6, shifts=cut, sensor_offset=so)) is want, (rule.name, so)
            if reads & cut.keys():
                read_some += 1
                drop = rng.choice(sorted(reads & cut.keys()))
                less = {ch: s for ch, s in cut.items() if ch != drop}
                dropped_changed += RuleEngine._sensor_explains(rule, Evidence(ts=1e6, shifts=less, sensor_offset=so)) is not want
    assert read_some > 3000 and dropped_changed > 100
