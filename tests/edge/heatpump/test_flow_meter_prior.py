"""The flow meter against physics before the pump's own model (flow_meter.prior_levels, read by prior.py).

No learned COP yet: a real flow carries at least ETA_FLOOR of Carnot's COP times the input, whatever
its rate, while a meter reading k times the true flow scales the heat computed from it by k. Where the
design band calls the flow low and the meter's heat falls below that floor, no real flow explains it.
"""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.edge.heatpump import flow_meter
from heatwatch.edge.heatpump.design import PumpDesign
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.prior import PriorBands
from heatwatch.rules.engine import ChannelShift, Evidence, RuleEngine

HOUR = 3600.0
CP = 4.186 / 60.0  # kW per (l/min K)
DESIGN = PumpDesign(capacity_kw=7.0, design_flow_lpm=20.0)
CARNOT = (40.0 + 273.15) / 45.0  # condensing 40 °C, evaporating -5 °C
HEAT = 0.40 * CARNOT * 1.5  # kW: a healthy cycle at 0.40 of Carnot's COP, 1.5 kW in


def _point(flow_read: float, flow_true: float) -> np.ndarray:
    """Averaged targets: the water really flows flow_true l/min, the meter reads flow_read."""
    y = np.full(len(TARGET_NAMES), np.nan)
    dt = HEAT / (CP * flow_true)
    v = dict(t_cond=40.3, cond_sat_gap=0.3, cond_approach=3.0, t_return=37.0 - dt, t_evap=-4.8,
             evap_sat_gap=0.2, delta_t=dt, power_w=1500.0, flow_lpm=flow_read, cop=CP * flow_read * dt / 1.5)
    for k, x in v.items():
        y[TARGET_NAMES.index(k)] = x
    return y


def _level(y: np.ndarray) -> float:
    return float(flow_meter.prior_levels(y[None, :], 0.8 * 20.0)[0][0])


def test_a_meter_reading_55_percent_is_past_the_floor_a_real_55_percent_flow_is_not() -> None:
    meter = _level(_point(11.0, 20.0))
    floor = flow_meter.ETA_FLOOR * CARNOT * 1.5 / (CP * 11.0)
    assert meter == pytest.approx(floor / (HEAT / (CP * 20.0))) and meter >= 1.0
    assert _level(_point(11.0, 11.0)) < 0.7  # a real flow of 11 l/min: delta-T rose with it
    # a meter at 70 % of a pump at 0.40 of Carnot: 0.28, above the floor: not decisive, left as before
    assert _level(_point(14.0, 20.0)) < 1.0
    # inside the design band: not read at all
    assert _level(_point(17.0, 20.0)) == 0.0


def test_unknown_without_input_lift_or_a_positive_delta_t() -> None:
    y = _point(11.0, 20.0)
    y[TARGET_NAMES.index("power_w")] = 100.0
    assert np.isnan(_level(y))
    y = _point(11.0, 20.0)
    y[TARGET_NAMES.index("delta_t")] = -0.2
    assert np.isnan(_level(y))


def test_the_prior_reads_it_one_row_or_many_and_it_keeps_no_model_from_being_learned() -> None:
    prior = PriorBands(tau_seconds=6 * HOUR, design=DESIGN)
    for i in range(24 * 60):
        prior.update(i * 60.0, _point(11.0, 20.0))
    levels = prior.levels(24 * HOUR)
    level, least_flow, observed = levels["flow_meter_low"]
    assert level >= 1.0 and observed == pytest.approx(11.0)
    assert least_flow == pytest.approx(11.0 * level)  # the least the water really flows
    rows = prior.physics_rows(np.array([True, False]), np.stack([prior.average.observed, _point(11.0, 20.0)]))
    assert rows["flow_meter_low"][0] == level and np.isnan(rows["flow_meter_low"][1])
    # 11 l/min is 73 % of a 15 l/min design: inside the flow band's level 1, the meter's level is no band of its own
    inside = PriorBands(tau_seconds=6 * HOUR, design=PumpDesign(capacity_kw=7.0, design_flow_lpm=15.0))
    for i in range(24 * 60):
        inside.update(i * 60.0, _point(11.0, 20.0))
    assert inside.levels(24 * HOUR)["flow_meter_low"][0] >= 1.0 and not inside.breached(24 * HOUR)
    # no design flow: nothing to read it against
    assert "flow_meter_low" not in PriorBands(tau_seconds=6 * HOUR).levels(0.0)


def test_before_the_model_the_meter_is_named_and_not_low_water_flow() -> None:
    prior = PriorBands(tau_seconds=6 * HOUR, design=DESIGN)
    engine = RuleEngine.from_files()
    for tag, true in (("meter", 20.0), ("real", 11.0)):
        prior.average = PriorBands(tau_seconds=6 * HOUR).average
        prior.first_ts = float("nan")
        for i in range(24 * 60):
            prior.update(i * 60.0, _point(11.0, true))
        shifts = {ch: ChannelShift(lv, edge, obs) for ch, (lv, edge, obs) in prior.levels(24 * HOUR).items()}
        matched = {n for n, ms in engine._all_matches(Evidence(ts=24 * HOUR, shifts=shifts, basis="prior")).items()
                   if ms and n in ("flow_meter_reads_low", "low_water_flow")}
        assert matched == ({"flow_meter_reads_low"} if tag == "meter" else {"low_water_flow"}), tag


def test_a_meter_reading_far_low_breaks_the_heat_floor_too_and_its_own_notice_speaks_for_it() -> None:
    """A meter reading a third of the flow also pushes the heat floor (COP_MIN) past delta-T: once the
    meter's notice stands, the delta-T notice yields to it (one notice for the meter, not two)."""
    engine = RuleEngine.from_files()
    meter = {"flow_lpm": ChannelShift(-3.0, 16.0, 7.0), "flow_meter_low": ChannelShift(2.0, 18.0, 7.0)}
    raised = []
    for k in range(4 * 7):  # 7 h: the meter's hold is 6 h
        raised += [d.rule for d in engine.evaluate(Evidence(ts=k * HOUR / 4, shifts=meter, basis="prior"))
                   if d.state == "raised"]
    assert raised == ["flow_meter_reads_low"]
    both = dict(meter, heat_deficit=ChannelShift(1.5, 0.0, 1.5))
    later = []
    for k in range(4 * 14):  # 14 h more: the delta-T notice's hold is 12 h
        later += [d.rule for d in engine.evaluate(Evidence(ts=7 * HOUR + k * HOUR / 4, shifts=both, basis="prior"))
                  if d.state == "raised"]
    assert later == []
