"""The prior: before a pump's own model exists, judge it against what any healthy pump shows."""

from __future__ import annotations

import numpy as np

from heatwatch.edge.heatpump.detector import HeatPumpDetector, HeatPumpDetectorConfig
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.prior import NORMAL_BANDS, PriorBands
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import load_scenario
from heatwatch.channels import INDEX

HOUR = 3600.0


def _targets(**values: float) -> np.ndarray:
    y = np.full(len(TARGET_NAMES), np.nan)
    for k, v in values.items():
        y[TARGET_NAMES.index(k)] = v
    return y


def test_levels_are_zero_inside_the_bands_and_grow_beyond_them() -> None:
    prior = PriorBands(tau_seconds=6 * HOUR)
    for i in range(24 * 60):  # a day of steady minutes
        prior.update(i * 60.0, _targets(superheat=5.0, subcooling=3.0, t_discharge=112.0, cop=3.0))
    levels = prior.levels(24 * HOUR)
    assert levels["superheat"][0] == 0.0 and levels["subcooling"][0] == 0.0 and levels["cop"][0] == 0.0
    level, edge, observed = levels["t_discharge"]
    assert edge == 100.0 and abs(observed - 112.0) < 1e-6
    assert abs(level - 12.0 / 5.0) < 1e-6  # 12 K beyond the edge, 5 K tolerance


def test_a_flow_colder_than_the_return_breaches_the_delta_t_floor() -> None:
    """A pump running steady heats its water: at part load the delta-T nears 0 K, never below. An
    average below the floor (0 K, tolerance 1 K) is a water thermistor reading wrong (t_flow low)."""
    prior = PriorBands(tau_seconds=6 * HOUR)
    for i in range(24 * 60):
        prior.update(i * 60.0, _targets(delta_t=0.4, cop=3.0))  # deep part load: no breach
    assert prior.levels(24 * HOUR)["delta_t"][0] == 0.0
    prior = PriorBands(tau_seconds=6 * HOUR)
    for i in range(24 * 60):
        prior.update(i * 60.0, _targets(delta_t=-1.5, cop=3.0))
    level, edge, observed = prior.levels(24 * HOUR)["delta_t"]
    assert edge == 0.0 and abs(observed + 1.5) < 1e-6 and abs(level + 1.5) < 1e-6


def test_no_verdict_before_an_average_has_formed() -> None:
    prior = PriorBands(tau_seconds=6 * HOUR)
    prior.update(0.0, _targets(t_discharge=130.0))
    assert prior.levels(HOUR) == {}


def _day_of_readings() -> tuple[np.ndarray, np.ndarray]:
    fleet = Fleet(load_scenario("demo"))
    chunk = next(iter(fleet.chunks(steps=1440 * 2)))
    return chunk.ts, chunk.values[:, 0, :].copy()  # hp-000 is healthy


def test_a_healthy_pump_passes_the_prior_and_is_learned() -> None:
    ts, X = _day_of_readings()
    cfg = HeatPumpDetectorConfig(commissioning_seconds=HOUR * 30, min_training_rows=300)
    det = HeatPumpDetector(cfg)
    results = det.score(ts, X)
    assert det.ready and det.postponed_fits == 0
    ev = det.evidence(results[len(ts) // 2])  # before the fit: judged on the prior, which sees nothing
    assert all(s.level == 0.0 for s in ev.shifts.values())


def test_a_pump_outside_every_healthy_band_is_not_learned_as_healthy() -> None:
    ts, X = _day_of_readings()
    X[:, INDEX["t_discharge"]] += 60.0  # far hotter than any healthy compressor runs
    cfg = HeatPumpDetectorConfig(commissioning_seconds=HOUR * 30, min_training_rows=300)
    det = HeatPumpDetector(cfg)
    results = det.score(ts, X)
    assert not det.ready and det.postponed_fits > 0
    ev = det.evidence(results[-1])
    assert ev.basis == "prior" and ev.ready
    assert ev.shifts["t_discharge"].level > 1.0 and ev.shifts["t_discharge"].expected == 100.0


def test_levels_of_many_rows_are_levels_row_by_row() -> None:
    """Batch replays read the bands for a whole block (levels_rows): the same numbers as levels()."""
    prior = PriorBands(tau_seconds=6 * HOUR)
    prior.update(0.0, _targets(superheat=5.0))
    rng = np.random.default_rng(3)
    O = rng.normal(5.0, 60.0, (200, len(TARGET_NAMES)))
    O[rng.random(O.shape) < 0.2] = np.nan
    ts = np.linspace(0.0, 12 * HOUR, 200)
    formed, L = prior.levels_rows(ts, O)
    assert formed.any() and not formed.all() and (L != 0).any()
    for i in range(len(ts)):
        one = prior.levels(float(ts[i]), O[i])
        assert bool(one) == (formed[i] and not np.isnan(L[i]).all())
        for k, name in enumerate(NORMAL_BANDS):
            assert (name in one) == (formed[i] and not np.isnan(L[i, k]))
            if name in one:
                assert one[name][0] == L[i, k]
