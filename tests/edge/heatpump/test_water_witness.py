"""Which water reading breaks the heat balance: the clean condenser as the second witness
(edge/heatpump/water_witness.py, prior.py, rules/heatpump.yaml).

The heat balance says delta-T reads wrong; only the flow end is tied to the condenser, so the
approach (Tsat(p_high) - t_flow) and the return's distance under condensing tell the ends apart.
"""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.edge.heatpump import water_physics, water_witness
from heatwatch.edge.heatpump.design import PumpDesign
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.prior import PriorBands
from heatwatch.edge.heatpump.water_witness import CondenserWitness

HOUR = 3600.0
DESIGN = PumpDesign(capacity_kw=5.0)  # 14.5 l/min at 5 K


def _point(t_flow: float = 37.0, t_return: float = 34.5, flow: float = 14.0, t_cond: float = 40.3,
           power: float = 1000.0) -> np.ndarray:
    """Averaged targets of a healthy operating point: condensing 40 °C, evaporating -5 °C, 1 kW in,
    a 3 K approach and a 2.5 K delta-T at 14 l/min (COP 2.4; the most delta-T the input delivers 5.3 K)."""
    y = np.full(len(TARGET_NAMES), np.nan)
    v = dict(t_cond=t_cond, cond_sat_gap=0.3, cond_approach=t_cond - t_flow, t_return=t_return, t_evap=-4.8,
             evap_sat_gap=0.2, delta_t=t_flow - t_return, power_w=power, flow_lpm=flow)
    for k, x in v.items():
        y[TARGET_NAMES.index(k)] = x
    return y


def _excess(y: np.ndarray) -> dict[str, float]:
    return dict(zip(water_witness.NAMES, CondenserWitness(DESIGN).excess(y).tolist()))


def _heat(y: np.ndarray) -> dict[str, float]:
    return dict(zip(water_physics.NAMES, water_physics.excess(y).tolist()))


def test_a_healthy_point_is_inside_both_witnesses() -> None:
    ex = _excess(_point())
    assert ex["flow_below_condenser"] < -1.0 and ex["return_below_condenser"] < -1.0


def test_a_flow_thermistor_reading_low_widens_the_approach_a_return_reading_high_does_not() -> None:
    """The same 6 K off delta-T either way, the same heat deficit: only t_flow low moves the approach."""
    flow_low, return_high = _point(t_flow=31.0), _point(t_return=40.5)
    assert _heat(flow_low)["heat_deficit"] == pytest.approx(_heat(return_high)["heat_deficit"])
    assert _heat(flow_low)["heat_deficit"] > 1.0
    assert _excess(flow_low)["flow_below_condenser"] > 1.0
    assert _excess(return_high)["flow_below_condenser"] < 0.0


def test_a_return_thermistor_reading_low_widens_the_return_gap_a_flow_reading_high_does_not() -> None:
    return_low, flow_high = _point(t_return=25.0), _point(t_flow=46.5)  # 9.5 K off either way
    assert _heat(return_low)["heat_excess"] > 1.0 and _heat(flow_high)["heat_excess"] > 1.0
    assert _excess(return_low)["return_below_condenser"] > 1.0
    assert _excess(flow_high)["return_below_condenser"] < 0.0


@pytest.mark.parametrize("k", [0.2, 0.5, 2.0, 5.0, 50.0])
def test_a_flow_meter_reading_wrong_moves_neither_witness(k: float) -> None:
    """The temperatures all true, the meter reading k times the flow: both witnesses stay inside."""
    ex = _excess(_point(flow=14.0 * k))
    assert ex["flow_below_condenser"] < 0.0 and ex["return_below_condenser"] < 0.0


def test_no_witness_without_a_design_flow_nor_without_the_heat_balance() -> None:
    assert CondenserWitness.of(PumpDesign()) is None
    with pytest.raises(ValueError, match="design flow"):
        CondenserWitness(PumpDesign())
    y = _point(t_flow=31.0)
    y[TARGET_NAMES.index("power_w")] = 100.0  # standby: no heat balance, no ceiling
    assert np.isnan(CondenserWitness(DESIGN).levels(y)).all()


def test_the_prior_reads_them_but_a_fouled_condenser_alone_keeps_learning() -> None:
    """A wide approach with the heat balance whole (scale in the condenser) is no prior breach: the
    witnesses only say which reading breaks the heat balance."""
    prior = PriorBands(tau_seconds=6 * HOUR, design=DESIGN)
    fouled = _point(t_cond=44.0, power=700.0)  # a 7 K approach (inside any make's band) at a low input
    for i in range(24 * 60):
        prior.update(i * 60.0, fouled)
    levels = prior.levels(24 * HOUR)
    level, edge, observed = levels["flow_below_condenser"]
    assert edge == 0.0 and level > 1.0 and observed == pytest.approx(level)
    assert levels["heat_deficit"][0] == 0.0
    assert not prior.breached(24 * HOUR)
    rows = prior.physics_rows(np.array([True, False]), np.stack([prior.average.observed, _point()]))
    assert rows["flow_below_condenser"][0] == level and np.isnan(rows["flow_below_condenser"][1])
    assert PriorBands(tau_seconds=6 * HOUR).witness is None  # no design flow: the notice stays on delta-T


def test_a_flow_thermistor_drifting_low_is_named_after_delta_t_and_takes_its_place(tmp_path) -> None:
    """test_water_physics' pump (t_flow 1 K a day low from day 1, on the prior all along): the notice on
    delta-T first, then, once the approach is wider than a clean condenser passing the most heat
    allows, the flow thermistor's own; delta-T's then clears, and delta-T does not come back."""
    from heatwatch.contract import EventKind

    from tests.edge.heatpump.test_water_physics import _run

    events = _run(tmp_path, batch=True)["hp-001"]
    seen = [(e.kind, e.explanation.split(":")[0]) for e in events if e.fault == "sensor_drift"]
    assert seen == [(EventKind.SENSOR_FAULT, "Sensor drift (delta_t)"), (EventKind.SENSOR_FAULT, "Sensor drift (t_flow)"),
                    (EventKind.FAULT_CLEARED, "Sensor drift (delta_t)")], seen
    named = [e for e in events if e.explanation.startswith("Sensor drift (t_flow)")][0]
    assert "t_flow sensor reads low" in named.explanation
    assert {f.channels[0] for f in named.findings if f.kind == "residual"} == {"heat_deficit", "flow_below_condenser"}
    # it withdrew the notice on delta-T in its own round (a revision, not delta-T's day to clear)
    from heatwatch.contract import EXPLAINED_BY, REVISES, revisions
    assert [(r.fault, r.channel) for r in revisions(named.findings, REVISES)] == [("sensor_drift", "delta_t")]
    [withdrawn] = [e for e in events if e.kind == EventKind.FAULT_CLEARED]
    assert withdrawn.ts == named.ts and revisions(withdrawn.findings, EXPLAINED_BY)[0].channel == "t_flow"
    assert not [e for e in events if e.kind == EventKind.FAULT]
