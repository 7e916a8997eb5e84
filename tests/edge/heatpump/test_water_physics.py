"""The water thermistors against physics, before the pump's own model (water_physics.py, prior.py).

A flow or return thermistor drifting from commissioning is learned by no model: the prior judges
it against what any running pump obeys (the water no warmer than condensing, delta-T within what
the electrical input delivers), and the rules name it a sensor (rules/heatpump.yaml, ``sensor:``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from heatwatch.contract import EventBody, EventKind
from heatwatch.edge.heatpump import water_physics
from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.prior import PriorBands
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.eval.fleet_prior import with_design
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import load_scenario

HOUR, DAY = 3600.0, 86400.0
CP = 4.186 / 60.0  # kW per (l/min K)


def _point(t_flow: float = 37.0, t_return: float = 32.0) -> np.ndarray:
    """Averaged targets of a healthy operating point: condensing 40 °C, evaporating -5 °C, 1.5 kW in,
    14 l/min (the least delta-T the input delivers: 0.7 x 1.5 / (14 cp) = 1.07 K)."""
    y = np.full(len(TARGET_NAMES), np.nan)
    v = dict(t_cond=40.3, cond_sat_gap=0.3, cond_approach=40.3 - t_flow, t_return=t_return, t_evap=-4.8,
             evap_sat_gap=0.2, delta_t=t_flow - t_return, power_w=1500.0, flow_lpm=14.0)
    for k, x in v.items():
        y[TARGET_NAMES.index(k)] = x
    return y


def _levels(y: np.ndarray) -> dict[str, float]:
    return dict(zip(water_physics.NAMES, water_physics.levels(y).tolist()))


def test_a_healthy_operating_point_is_inside_every_bound() -> None:
    assert _levels(_point()) == dict.fromkeys(water_physics.NAMES, 0.0)


def test_a_flow_thermistor_reading_low_breaches_the_heat_floor_only() -> None:
    floor = water_physics.COP_MIN * 1.5 / (CP * 14.0)
    lv = _levels(_point(t_flow=32.0 - 0.5))  # 5.5 K low: delta-T -0.5 K
    assert lv["heat_deficit"] == pytest.approx(floor + 0.5)
    assert lv["flow_over_condensing"] == 0.0 and lv["return_over_condensing"] == 0.0 and lv["heat_excess"] == 0.0


def test_a_flow_thermistor_reading_high_passes_the_condensing_temperature() -> None:
    lv = _levels(_point(t_flow=42.0))  # 5 K high: 2 K above condensing
    assert lv["flow_over_condensing"] == pytest.approx(2.0)
    carnot = (40.0 + 273.15) / 45.0
    assert lv["heat_excess"] == pytest.approx(10.0 - water_physics.ETA_MAX * carnot * 1.5 / (CP * 14.0))
    assert lv["heat_deficit"] == 0.0


def test_a_return_thermistor_reading_high_passes_the_condensing_temperature_less_the_floor() -> None:
    floor = water_physics.COP_MIN * 1.5 / (CP * 14.0)
    lv = _levels(_point(t_return=41.0))
    assert lv["return_over_condensing"] == pytest.approx(41.0 - (40.0 - floor))
    assert lv["heat_deficit"] == pytest.approx(floor + 4.0)
    assert lv["flow_over_condensing"] == 0.0


def test_no_heat_balance_at_standby_power_or_without_water_flow() -> None:
    y = _point(t_flow=30.0)
    y[TARGET_NAMES.index("power_w")] = 100.0
    lv = _levels(y)
    assert np.isnan(lv["heat_deficit"]) and np.isnan(lv["heat_excess"]) and np.isnan(lv["return_over_condensing"])
    assert lv["flow_over_condensing"] == 0.0  # the condensing bound needs no heat balance


def test_the_prior_reads_them_and_many_rows_read_the_same() -> None:
    prior = PriorBands(tau_seconds=6 * HOUR)
    for i in range(24 * 60):
        prior.update(i * 60.0, _point(t_flow=42.0))
    levels = prior.levels(24 * HOUR)
    level, edge, observed = levels["flow_over_condensing"]
    assert edge == 0.0 and level == pytest.approx(2.0) and observed == pytest.approx(2.0)
    obs = np.stack([prior.average.observed, _point()])
    rows = prior.physics_rows(np.array([True, False]), obs)
    assert rows["flow_over_condensing"][0] == level and np.isnan(rows["flow_over_condensing"][1])


SCENARIO = """
name: t_flow_low_from_commissioning
climate: stockholm
start: 2025-01-05
duration: 9d
step: 60s
seed: 5151
refrigerant: R32
fleet:
  size: 2
devices:
  hp-001:
    faults: [{type: sensor_drift, channel: t_flow, onset: 1d, rate: -1.0}]
"""


def _run(tmp_path: Path, batch: bool) -> dict[str, list[EventBody]]:
    path = tmp_path / "scenario.yaml"
    path.write_text(SCENARIO)
    scenario = load_scenario(path)
    fleet = Fleet(scenario)
    pipes = {d: PumpPipeline.with_config(d, with_design(HeatPumpDetectorConfig(refrigerant="R32"),
                                                        float(fleet.params.q_nom[j])))
             for j, d in enumerate(fleet.devices)}
    events: dict[str, list[EventBody]] = {d: [] for d in fleet.devices}
    for chunk in fleet.chunks(steps=1440 * 4):
        for j, dev in enumerate(fleet.devices):
            ts, X = chunk.ts[::5], chunk.values[::5, j, :]
            if batch:
                events[dev].extend(pipes[dev].process_batch(ts, X)[1])
            else:
                for t, x in zip(ts, X):
                    events[dev].extend(pipes[dev].process(float(t), x)[1])
    return events


def test_a_flow_thermistor_drifting_low_from_commissioning_is_named_a_sensor(tmp_path: Path) -> None:
    """cond_drift_stockholm's hp-004 in small: t_flow reads 1 K a day lower from day 1, judged on
    the prior all along (the breach keeps the model from being learned). It was named nothing
    (before that, condenser fouling); now a sensor notice on delta-T, and still no pump fault."""
    events = _run(tmp_path, batch=True)
    notices = [e for e in events["hp-001"] if e.kind == EventKind.SENSOR_FAULT and e.fault == "sensor_drift"]
    assert notices, [e.explanation for e in events["hp-001"]]
    first = notices[0]
    assert "(delta_t)" in first.explanation and "flow sensor reads low" in first.explanation
    assert "design data" in first.explanation  # judged on the prior
    assert any(f.channels == ["heat_deficit"] for f in first.findings)
    assert first.ts - 1736035200.0 < 7 * DAY
    assert not [e for e in events["hp-001"] if e.kind == EventKind.FAULT]
    assert not events["hp-000"]  # the healthy pump: nothing


def test_reading_by_reading_says_what_the_batch_says(tmp_path: Path) -> None:
    batch, one = _run(tmp_path, batch=True), _run(tmp_path, batch=False)
    assert [e.model_dump() for e in batch["hp-001"]] == [e.model_dump() for e in one["hp-001"]]
    assert batch["hp-001"]
