"""The statistics under the detector, each on its own: Student-t quantiles, trimmed location
and scale, effective sample size, the AR(1) null, the wander allowance; then what they buy the
detector on quantized and on slow features. Data is generated here (no datasets needed)."""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.edge.generic_detector import HealthyBehaviourDetector
from heatwatch.edge.generic_detector.neff import ar1_filter, autocorrelation_time, predictive_inflation
from heatwatch.edge.generic_detector.robust import robust_location_scale, student_t_isf, trimmed_location_scale
from heatwatch.edge.generic_detector.wander import WanderModel


def ar1(n: int, f: int, rho: float, seed: int) -> np.ndarray:
    return ar1_filter(np.random.default_rng(seed).normal(size=(n, f)), np.full(f, rho))


@pytest.mark.parametrize(("p", "dof", "expected"), [(0.025, 5, 2.5706), (0.005, 10, 3.1693), (0.05, 1, 6.3138),
                                                    (0.0005, 30, 3.6460)])
def test_student_t_quantiles_match_tables(p: float, dof: float, expected: float) -> None:
    assert student_t_isf(p, dof) == pytest.approx(expected, abs=1e-3)


def test_trimmed_location_scale_is_normal_consistent_and_does_not_collapse_on_a_lattice() -> None:
    rng = np.random.default_rng(0)
    loc, scale = trimmed_location_scale(rng.normal(3.0, 2.0, size=(20_000, 1)))
    assert loc[0] == pytest.approx(3.0, abs=0.05) and scale[0] == pytest.approx(2.0, rel=0.03)
    # a flow meter reading whole l/min with sub-step jitter: 32 on 70 % of rows, 33 on the rest
    x = np.where(rng.random(5000) < 0.7, 32.0, 33.0) + rng.normal(0, 0.005, 5000)
    _, mad_scale = robust_location_scale(x[:, None])
    loc, scale = trimmed_location_scale(x[:, None])
    assert mad_scale[0] < 0.02  # the MAD only sees the jitter of the majority level
    assert loc[0] == pytest.approx(x.mean(), abs=0.03)  # the mean, not the majority level
    assert scale[0] > 0.4  # the spread of the levels (std 0.46)


def test_autocorrelation_time_and_the_ar1_null_agree() -> None:
    white = np.random.default_rng(1).normal(size=(4000, 2))
    assert np.all(np.abs(autocorrelation_time(white) - 1.0) < 0.3)
    X = ar1(20_000, 2, 0.8, seed=2)  # tau = (1 + 0.8) / (1 - 0.8) = 9
    assert np.allclose(X.std(axis=0), 1.0, atol=0.05)
    assert np.allclose(np.mean(X[1:] * X[:-1], axis=0), 0.8, atol=0.03)
    assert np.allclose(autocorrelation_time(X), 9.0, rtol=0.2)
    assert autocorrelation_time(np.zeros((100, 1)))[0] == 1.0


def test_predictive_inflation_is_one_for_many_independent_rows_and_grows_for_few() -> None:
    r = predictive_inflation(np.array([2.0, 5.0, 20.0, 100.0, 1e6]), 1e-4)
    assert np.all(np.diff(r) < 0)
    assert r[-1] == pytest.approx(1.0, abs=1e-3)
    assert 1.0 < r[3] < 1.1 and r[0] > 10.0


def test_wander_allowance_is_for_wander_not_for_stationary_autocorrelation() -> None:
    n = 2000
    stationary = ar1(n, 1, 0.9, seed=3)
    walk = np.cumsum(np.random.default_rng(4).normal(size=(n, 1)), axis=0)
    w = WanderModel()
    w.fit(stationary)
    power_law = w.g * (1000.0 / w.lag) ** w.alpha  # the whole fitted variogram, lag 1 to 1000
    assert w.variance(1000.0)[0] < 0.3 * stationary.var() < 0.2 * power_law[0]  # its variance is in sigma
    rng = np.random.default_rng(5)  # white noise and a quantized sensor: nothing to extrapolate
    quantized = np.where(rng.random((n, 1)) < 0.7, 32.0, 33.0) + rng.normal(0, 0.005, (n, 1))
    w.fit(np.column_stack([rng.normal(size=n), quantized[:, 0]]))
    assert np.all(w.g == 0.0)
    w.fit(walk)
    assert w.variance(300.0)[0] > 0 and w.variance(3000.0)[0] > 5 * w.variance(300.0)[0]
    assert w.variance(1000.0)[0] > 0.5 * (w.g * (1000.0 / w.lag) ** w.alpha)[0]  # a walk keeps its allowance


def test_quantized_sensor_healthy_is_quiet_and_a_one_step_shift_is_seen() -> None:
    """A sensor on a 1-unit lattice with sub-step jitter (the flow meter above) next to noise
    features: the healthy continuation raises nothing, a persistent shift of one step does."""
    rng = np.random.default_rng(5)
    n_train, n = 400, 3000
    levels = np.where(rng.random(n_train + n) < 0.7, 32.0, 33.0)
    X = np.column_stack([levels + rng.normal(0, 0.005, n_train + n), rng.normal(size=(n_train + n, 3))])
    det = HealthyBehaviourDetector()
    det.fit(None, X[:n_train])
    assert det.scale[0] > 0.4
    assert det.score(None, X[n_train:]).anomaly.mean() < 0.005
    shifted = X[n_train:].copy()
    shifted[1000:1400, 0] -= 1.0
    fresh = HealthyBehaviourDetector()
    fresh.fit(None, X[:n_train])
    b = fresh.score(None, shifted)
    assert b.anomaly[1050:1400].mean() > 0.9
    assert b.anomaly[:1000].mean() < 0.005 and b.anomaly[1500:].mean() < 0.005


def test_a_slow_feature_is_judged_by_its_few_effective_rows() -> None:
    """A feature whose correlation time is a fifth of the training window (a motor temperature)
    beside white-noise features, one of which later steps by 1.5 sigma. The slow one is widened
    by its effective sample size, the fast ones are not: healthy stays quiet, the step is found
    and named."""
    n_train, n = 400, 4000
    slow = 3.0 * ar1(n_train + n, 1, 0.975, seed=6)  # tau ~ 80: ~5 independent rows in training
    fast = np.random.default_rng(7).normal(size=(n_train + n, 3))
    X = np.column_stack([slow, fast])
    det = HealthyBehaviourDetector()
    det.fit(None, X[:n_train])
    assert det.inflation[0] > 2.0 and np.all(det.inflation[1:] < 1.1)
    healthy = det.score(None, X[n_train:])
    assert healthy.anomaly.mean() < 0.01
    stepped = X[n_train:].copy()
    stepped[2000:2400, 2] += 1.5
    det.fit(None, X[:n_train])
    b = det.score(None, stepped)
    assert b.anomaly[2050:2400].mean() > 0.8
    assert int(np.bincount(np.argmax(b.contributions[2050:2400][b.anomaly[2050:2400]], axis=1)).argmax()) == 2
