"""AdaptiveDetector: re-learning with a bounded memory, calibrated scores, scale floors, driver model."""

from __future__ import annotations

import numpy as np

from heatwatch.edge.generic_detector import HealthyBehaviourConfig, HealthyBehaviourDetector
from heatwatch.edge.generic_detector.adaptive import AdaptConfig, AdaptiveDetector
from heatwatch.edge.generic_detector.given import DriverModel


def test_a_level_shift_is_reported_then_relearned() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 2))
    X[2000:, 0] += 8.0
    det = AdaptiveDetector(HealthyBehaviourConfig(warmup=300), AdaptConfig(memory=1000))
    res = det.score(None, X)
    assert res.warming_up[:300].all() and not res.warming_up[300:].any()
    assert res.anomaly[2010:2200].all()
    assert det.relearns == 1 and not res.anomaly[2500:].any()
    assert len(det.rows) <= 1000  # bounded memory


def test_slow_drift_is_followed_with_a_bounded_memory() -> None:
    """A level that creeps by 30 sigma over the stream: frozen, flagged; adaptive, followed."""
    rng = np.random.default_rng(1)
    n = 20_000
    X = (rng.normal(size=n) + np.linspace(0, 30, n))[:, None]
    frozen = AdaptiveDetector(HealthyBehaviourConfig(warmup=500), AdaptConfig(enabled=False)).score(None, X)
    adaptive = AdaptiveDetector(HealthyBehaviourConfig(warmup=500), AdaptConfig(memory=1000))
    res = adaptive.score(None, X)
    assert frozen.anomaly[5000:].mean() > 0.5
    assert res.anomaly.mean() < 0.01 and adaptive.refreshes > 5


def test_stream_and_batch_give_the_same_results() -> None:
    rng = np.random.default_rng(2)
    X = rng.normal(size=(1500, 2))
    X[700:, 1] += 6.0
    cfg, ad = HealthyBehaviourConfig(warmup=100), AdaptConfig(memory=300, check_every=7)
    batch = AdaptiveDetector(cfg, ad).score(None, X)
    one = AdaptiveDetector(cfg, ad)
    rows = [one.update(float(i), x) for i, x in enumerate(X)]
    assert np.allclose(batch.score, [s for s, _ in rows]) and (batch.anomaly == [a for _, a in rows]).all()
    assert batch.relearned.any()


def test_a_quantized_bursty_counter_gets_finite_bounded_scores() -> None:
    """A byte counter that read 0 all through training, then bursts to millions."""
    rng = np.random.default_rng(3)
    n = 3000
    counter = np.zeros(n)
    bursts = rng.random(n) < 0.02
    counter[1000:][bursts[1000:]] = rng.integers(1, 5_000_000, size=int(bursts[1000:].sum()))
    X = np.column_stack([counter, rng.normal(size=n)])
    det = HealthyBehaviourDetector(HealthyBehaviourConfig())
    det.fit(None, X[:1000])
    res = det.score(None, X[1000:])
    assert np.isfinite(res.score).all() and res.score.max() < 200
    adaptive = AdaptiveDetector(HealthyBehaviourConfig(warmup=1000)).score(None, X)
    assert np.isfinite(adaptive.score).all() and adaptive.score.max() < 200


def test_the_calibrated_score_holds_its_false_alarm_rate_on_healthy_rows() -> None:
    """Score 1.0 = the threshold, stated at 1e-3 per row here: healthy AR(1) rows exceed it
    at about that rate (within a factor 5 either way: a tail extrapolated from 1000 rows)."""
    rng = np.random.default_rng(4)
    n = 60_000
    e = rng.normal(size=(n, 3))
    X = np.zeros_like(e)
    for i in range(1, n):
        X[i] = 0.7 * X[i - 1] + e[i]
    cfg = HealthyBehaviourConfig(warmup=2000)
    cfg.threshold.false_alarm_prob = 1e-3
    det = AdaptiveDetector(cfg, AdaptConfig(enabled=False))
    res = det.score(None, X)
    rate = float(np.mean(res.score[2000:] > 1.0))
    assert 1e-4 < rate < 5e-3, rate


def test_driver_model_learns_a_curved_response_and_extrapolates_linearly() -> None:
    rng = np.random.default_rng(5)
    d = rng.uniform(-5, 15, size=2000)
    mode = rng.integers(0, 2, size=2000)
    y = 0.05 * d**2 - d + 3.0 * mode + 0.1 * rng.normal(size=2000)
    y[:40] += 50.0  # faulty rows in training are down-weighted, not fitted
    m = DriverModel().fit(np.column_stack([d, mode]), y[:, None])
    r = m.residuals(np.column_stack([d, mode]), y[:, None])[40:, 0]
    assert np.median(np.abs(r)) < 0.15
    cold = m.expected(np.array([[-8.0, 0.0]]))[0, 0]
    assert abs(cold - (0.05 * 64 + 8.0)) < 1.5  # beyond the training range: the last slope, not a constant


def test_driver_expectation_is_as_uncertain_as_its_independent_rows() -> None:
    """The same response with white and with slow (AR(1), tau ~ 19) noise of the same spread:
    the slow one holds ~19 times fewer independent rows, so its prediction's standard error
    is ~sqrt(19) times larger (and a residual where the drivers were rarely seen is shrunk
    more); counted as independent rows, both were equally certain."""
    rng = np.random.default_rng(3)
    n = 2000
    d = rng.uniform(-10, 10, size=(n, 1))
    white = rng.normal(size=n)
    slow = np.zeros(n)
    for i in range(1, n):
        slow[i] = 0.9 * slow[i - 1] + np.sqrt(1 - 0.81) * rng.normal()
    se = []
    for noise in (white, slow):
        m = DriverModel().fit(d, (2.0 * d[:, 0] + noise)[:, None])
        se.append(float(m.prediction_se(np.array([[12.0]]))[0, 0]))
    assert 3.0 < se[1] / se[0] < 6.5, se


def test_a_new_level_that_keeps_the_alarm_flickering_is_relearned() -> None:
    """A shift (re-learned), then a partial return 3.5 sigma from the new level: the alarm
    flickers (runs shorter than the warm-up with gaps between) but holds for most rows, so the
    change is lasting and re-learned; counting only unbroken runs, one stream stayed in alarm
    for 69 % of its rows long after the change."""
    late = []
    for seed in range(4):
        rng = np.random.default_rng(seed)
        e = rng.normal(size=3200)
        x = np.zeros(3200)
        for i in range(1, 3200):
            x[i] = 0.6 * x[i - 1] + e[i]
        x[1000:] += 10.0
        x[1700:] -= 3.5
        res = AdaptiveDetector(HealthyBehaviourConfig(warmup=300), AdaptConfig(memory=2000)).score(None, x[:, None])
        assert res.anomaly[1000:1010].any() and res.relearned[1000:1400].any()  # the shift is reported, then learned
        late.append(float(res.anomaly[2300:].mean()))
    assert max(late) < 0.05, late
