"""RuleEngine.offset_may_count: where it says an exact single-sensor offset cannot count, every rule
says with that offset what it says with none (replay speed, round 9: such a rule row of a replay
takes the table's path instead of building its evidence)."""

from __future__ import annotations

import math
import random

from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.sensor_offset import SENSOR_STEPS, SensorOffset
from heatwatch.rules.engine import SENSOR_EXPLAINS, SENSOR_LEVEL, SENSOR_SHARE, ChannelShift, Evidence, RuleEngine


def _matches(engine: RuleEngine, ev: Evidence) -> dict:
    return {name: [(ch, conf) for ch, conf, _ in ms] for name, ms in engine._all_matches(ev).items()}


def test_an_offset_that_cannot_count_changes_no_rule() -> None:
    rng = random.Random(9)
    engine = RuleEngine.from_files()
    iso = [r for r in engine.rules if r.isolated_shift]
    assert iso
    # the thresholds and values on either side of them (NaN too)
    shares = [SENSOR_SHARE, SENSOR_EXPLAINS, *(r.isolated_explained for r in iso), math.nan]
    levels = [SENSOR_LEVEL, *(r.isolated_level for r in iso), math.nan]
    cannot = may = changed = 0
    for _ in range(4000):
        shifts = {ch: ChannelShift(rng.gauss(0, 2.5), 0.0, 1.0) for ch in TARGET_NAMES if rng.random() < 0.9}
        explained = rng.choice(shares) * rng.choice([1.0, 1 - 1e-12, 1 + 1e-12, 0.5, 0.97]) if rng.random() < .8 \
            else rng.random()
        level = rng.choice(levels) * rng.choice([1.0, 1 - 1e-12, 0.5, 3.0])
        so = SensorOffset(rng.choice(list(SENSOR_STEPS)), rng.gauss(0, 3), explained, level,
                          {ch: rng.gauss(0, 2.5) for ch in TARGET_NAMES if rng.random() < 0.5})
        with_so = Evidence(ts=1e6, shifts=shifts, sensor_offset=so)
        without = Evidence(ts=1e6, shifts=shifts)
        same = _matches(engine, with_so) == _matches(engine, without) and all(
            not engine._sensor_explains(r, with_so) for r in engine.rules if r.require) and all(
            not engine._isolated(r, with_so) for r in iso)
        if engine.offset_may_count(so):
            may += 1
            changed += not same
        else:
            cannot += 1
            assert same, so
    assert engine.offset_may_count(None) is False
    assert cannot > 500 and may > 500 and changed > 50  # both sides met, and the offset does count there


def test_offset_matches_are_all_matches() -> None:
    """With the shift rules whose conditions hold known (the table's), offset_matches gives what
    _all_matches gives on the same evidence with its offset: the same vetoes, the same isolated
    rules, with and without a pump fault raised, on a pump tripped or not."""
    rng = random.Random(11)
    engine = RuleEngine.from_files()
    pump = [r for r in engine.rules if r.require]
    by_name = {r.name: r for r in engine.rules}
    shift = {r.name for r in engine.rules if not r.sensor_check and not r.isolated_shift}
    vetoed = isolated = kept = 0
    for trial in range(3000):
        engine._tracks = {}
        if trial % 3 == 0:  # a pump fault raised
            engine.load_state([[rng.choice(pump).name, None, 1.0, 2.0, True, 0.8]])
        shifts = {ch: ChannelShift(rng.gauss(0, 3.0), 0.0, 1.0) for ch in TARGET_NAMES if rng.random() < 0.9}
        for ch in ("compression_loss", "compression_current"):
            if rng.random() < 0.5:
                shifts[ch] = ChannelShift(rng.gauss(0, 3.0), 0.0, 1.0)
        so = SensorOffset(rng.choice(list(SENSOR_STEPS)), rng.gauss(0, 3), rng.choice([0.2, 0.35, 0.6, 0.91, 0.97]),
                          rng.choice([0.5, 1.5, 4.0]), {ch: rng.gauss(0, 2.5) for ch in TARGET_NAMES if rng.random() < 0.6})
        tripped = rng.random() < 0.1
        plain = Evidence(ts=1e6, shifts=shifts, tripped=tripped)
        # the rules whose conditions hold (no offset: none yields), as the pipeline's table says
        table = {name: (by_name[name], ms) for name, ms in engine._all_matches(plain).items() if ms and name in shift}
        ev = Evidence(ts=1e6, shifts=shifts, sensor_offset=so, tripped=tripped)
        want = {n: [(ch, conf) for ch, conf, _ in ms] for n, ms in engine._all_matches(ev, set(table)).items() if ms}
        got = {n: [(ch, conf) for ch, conf, _ in ms] for n, ms in engine.offset_matches(ev, table).items() if ms}
        assert got == want
        vetoed += len(table) - sum(n in got for n in table)
        kept += sum(n in got for n in table)
        isolated += sum(1 for n in got if n not in table)
    assert vetoed > 100 and kept > 100 and isolated > 50
