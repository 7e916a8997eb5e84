"""The design's ceiling on the condenser approach (condenser_design.py) and its way into the rules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from heatwatch.edge.heatpump.condenser_design import APPROACH_FLOOR_K, NAME, TOL_K, CondenserCeiling
from heatwatch.edge.heatpump.design import PumpDesign
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.rules.engine import ChannelShift, Evidence, RuleEngine

DESIGN = PumpDesign(capacity_kw=12.0)  # design delta-T 5 K: 34.8 l/min


def _obs(approach: float, flow: float, delta_t: float) -> np.ndarray:
    o = np.full(len(TARGET_NAMES), np.nan)
    o[TARGET_NAMES.index("cond_approach")], o[TARGET_NAMES.index("flow_lpm")] = approach, flow
    o[TARGET_NAMES.index("delta_t")] = delta_t
    return o


def test_a_clean_condenser_at_nominal_sits_at_the_ceiling() -> None:
    """At the design flow a condenser selected for 5 K at 5 K delta-T has NTU ln 2: its approach
    equals the water's delta-T at any load, and the ceiling is that plus the floor."""
    c = CondenserCeiling(DESIGN)
    flow = DESIGN.flow_lpm
    for dt in (1.0, 2.5, 5.0):
        level, ceiling = c.level(_obs(dt, flow, dt))
        assert ceiling == pytest.approx(APPROACH_FLOOR_K + dt) and level == 0.0
        assert c.level(_obs(APPROACH_FLOOR_K + dt + TOL_K, flow, dt))[0] == pytest.approx(1.0)


def test_the_ceiling_follows_the_flow() -> None:
    """Less water: UA falls as the velocity^0.8 but NTU rises (m falls faster), so the approach a
    clean condenser allows per kelvin of delta-T falls; more water than designed: no credit taken for
    a better UA, NTU falls as 1 / flow and the allowance rises."""
    c = CondenserCeiling(DESIGN)
    flow = DESIGN.flow_lpm
    per_k = [c.level(_obs(0.0, f, 2.0))[1] - APPROACH_FLOOR_K for f in (0.5 * flow, flow, 2.0 * flow)]
    assert per_k[0] == pytest.approx(2.0 / math.expm1(math.log(2.0) * 0.5 ** -0.2))
    assert per_k[2] == pytest.approx(2.0 / math.expm1(math.log(2.0) / 2.0))
    assert per_k[0] < per_k[1] < per_k[2]


def test_no_ceiling_without_a_design_flow_nor_without_water() -> None:
    assert CondenserCeiling.of(PumpDesign()) is None
    assert CondenserCeiling.of(PumpDesign(design_flow_lpm=20.0)) is not None
    c = CondenserCeiling(DESIGN)
    for o in (_obs(4.0, 0.0, 2.0), _obs(4.0, np.nan, 2.0), _obs(np.nan, 30.0, 2.0), _obs(4.0, 30.0, np.nan)):
        assert math.isnan(c.level(o)[0])
    rows = np.stack([_obs(9.0, 30.0, 2.0), _obs(4.0, 0.0, 2.0)])
    got = c.levels(rows)
    assert got[0] == c.level(rows[0])[0] and math.isnan(got[1])


def _ev(ts: float, ceiling: float, **more: float) -> Evidence:
    shifts = {"cond_approach": ChannelShift(1.6, 2.4, 4.0), "p_high": ChannelShift(0.3, 21.0, 21.3),
              "cond_sat_gap": ChannelShift(0.0, 0.0, 0.0), "delta_t": ChannelShift(-0.1, 1.5, 1.4),
              NAME: ChannelShift(ceiling, 3.6, 4.0)}
    shifts.update({ch: ChannelShift(lv, 0.0, lv) for ch, lv in more.items()})
    return Evidence(ts=ts, shifts=shifts, basis="model")


@pytest.mark.parametrize("ceiling, more, named", [
    (1.2, {}, True), (0.4, {}, False),
    # the approach's own sensors drifting: the condensing thermistor parts from the pressure's
    # saturation temperature, a flow thermistor reading low shrinks the water's delta-T
    (1.2, {"cond_sat_gap": 0.6}, False), (1.2, {"delta_t": -0.6}, False)])
def test_the_ceiling_witnesses_condenser_fouling(ceiling: float, more: dict, named: bool) -> None:
    """The learned approach up a level and a half, the pressure at 0.3 of its own: named only when
    the approach is a level above what a clean condenser of the design shows, and not when one of
    the approach's own sensors drifts."""
    engine = RuleEngine.from_files()
    raised = []
    for m in range(0, 13 * 60, 10):  # 13 hours, a rule row every 10 minutes (the hold is 12 h)
        raised += [d.fault for d in engine.evaluate(_ev(m * 60.0, ceiling, **more)) if d.state == "raised"]
    assert ("condenser_fouling" in raised) is named


def test_the_ceilings_finding_says_what_it_is() -> None:
    engine = RuleEngine.from_files()
    found = []
    for m in range(0, 13 * 60, 10):
        found += [f for d in engine.evaluate(_ev(m * 60.0, 1.2)) if d.state == "raised" for f in d.findings]
    (f,) = [f for f in found if f.channels == [NAME]]
    assert "clean condenser" in f.message and "3.60 K" in f.message


def test_levels_of_many_rows_are_each_rows_level() -> None:
    """The replay's rows (a rough numpy ceiling first) and the agent's reading give the same digits,
    near the ceiling too."""
    c = CondenserCeiling(DESIGN)
    rng = np.random.default_rng(5)
    n = 4000
    flow = rng.uniform(0.3, 2.0, n) * DESIGN.flow_lpm
    dt = rng.uniform(-0.5, 8.0, n)
    rows = np.stack([_obs(0.0, f, d) for f, d in zip(flow, dt)])
    ceiling = np.array([c.level(o)[1] for o in rows])
    appr = ceiling + rng.choice([-1.0, -1e-7, -1e-12, 0.0, 1e-12, 1e-7, 0.5], n)
    rows[:, TARGET_NAMES.index("cond_approach")] = appr
    rows[rng.random(n) < 0.05, TARGET_NAMES.index("delta_t")] = np.nan
    rows[rng.random(n) < 0.05, TARGET_NAMES.index("flow_lpm")] = 0.0
    got = c.levels(rows)
    want = np.array([c.level(o)[0] for o in rows])
    assert got.tobytes() == want.tobytes()
    assert (got > 0).any() and (got == 0).any() and np.isnan(got).any()
