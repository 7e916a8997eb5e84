"""Sensor flags (per-feature sensor-fault checks) and the alarm decision, each on its own."""

from __future__ import annotations

import numpy as np

from heatwatch.edge.generic_detector import DROPOUT, JUMP, NOISE, RANGE, STUCK, AlarmDecision, HealthyBehaviourDetector, ThresholdConfig
from heatwatch.edge.generic_detector.sensor_flags import SensorFlags

NAMES = ["t_flow", "t_return", "p_low", "flow_lpm"]


def healthy(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 30.0 + rng.normal(size=(n, 4))


def first_flag(flags: np.ndarray, feature: int, bit: int) -> int:
    hit = np.flatnonzero(flags[:, feature] & bit)
    return int(hit[0]) if hit.size else -1


def test_each_sensor_fault_is_flagged_on_its_feature_only() -> None:
    train, X = healthy(1000), healthy(2000, seed=1)
    X[200:400, 0] = X[200, 0]  # stuck
    X[600:800, 1] += np.random.default_rng(2).normal(scale=6.0, size=200)  # noise burst
    X[1000:1020, 2] = np.nan  # dropout
    X[1300, 3] = 95.0  # out of range (and a jump)
    checks = SensorFlags(low=np.full(4, 0.0), high=np.full(4, 80.0))
    checks.fit(train)
    flags = checks.block(X)
    assert 200 < first_flag(flags, 0, STUCK) <= 200 + checks.stuck_len[0]
    assert 600 <= first_flag(flags, 1, NOISE) < 700
    assert (flags[1000:1020, 2] & DROPOUT).all() and not (flags[:1000, 2] & DROPOUT).any()
    assert flags[1300, 3] & RANGE and flags[1300, 3] & JUMP
    # nothing else: outside the injected faults the flags are clear
    clean = flags.copy()
    clean[200:420, 0] = 0
    clean[600:900, 1] = 0
    clean[1000:1021, 2] = 0
    clean[1300:1302, 3] = 0
    assert not clean.any(), np.argwhere(clean)[:5]


def test_sensor_step_matches_block() -> None:
    train, X = healthy(500), healthy(800, seed=3)
    X[100:160, 1] = 12.0
    X[300:305, 2] = np.nan
    a, b = SensorFlags(high=np.full(4, 33.0)), SensorFlags(high=np.full(4, 33.0))
    a.fit(train)
    b.fit(train)
    np.testing.assert_array_equal(np.array([a.step(x) for x in X]), b.block(X))


def test_quantized_sensor_that_is_often_constant_is_not_stuck() -> None:
    rng = np.random.default_rng(4)
    X = np.round(32 + 0.3 * rng.normal(size=(3000, 1)))  # a flow meter in whole l/min: mostly 32
    checks = SensorFlags()
    checks.fit(X[:1000])
    assert not (checks.block(X[1000:]) & (STUCK | JUMP)).any()


def test_detector_reports_sensor_findings_separately() -> None:
    train, X = healthy(1000), healthy(300, seed=5)
    X[100:, 2] = 30.0  # flat at its healthy median
    det = HealthyBehaviourDetector(low=np.zeros(4), high=np.full(4, 80.0))
    det.fit(None, train)
    b = det.score(None, X)
    found = b[250].findings(NAMES)
    sensor = [f for f in found if f.kind == "sensor"]
    assert [f.channels for f in sensor] == [["p_low"]] and "stuck" in sensor[0].message
    assert not b.anomaly.any()  # a flat, plausible value is a sensor finding, not a process anomaly


def test_alarm_needs_persistence_and_clears_with_hysteresis() -> None:
    dec = AlarmDecision(ThresholdConfig(method="quantile", quantile=0.5, margin=1.0, hysteresis=0.5,
                                        min_on=3, min_off=4))
    dec.fit(np.array([1.0, 1.0, 1.0]))
    assert dec.on == 1.0
    scores = np.array([5, 0, 5, 5, 0, 5, 5, 5, 0.8, 0.8, 0.2, 0.2, 0.2, 0.2, 0.2], dtype=float)
    alarms = np.array([dec.step(s) for s in scores])
    expected = [0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0]
    np.testing.assert_array_equal(alarms.astype(int), expected)


def test_alarm_block_equals_step_on_random_scores() -> None:
    rng = np.random.default_rng(6)
    scores = np.abs(rng.normal(size=5000)) * np.repeat(rng.uniform(0.5, 3, 50), 100)
    a, b = AlarmDecision(), AlarmDecision()
    a.on = b.on = 2.5
    stepped = np.array([a.step(s) for s in scores])
    blocked = np.concatenate([b.block(scores[i:i + 777]) for i in range(0, len(scores), 777)])
    np.testing.assert_array_equal(stepped, blocked)
    assert 0 < stepped.mean() < 1


def test_evt_threshold_extrapolates_beyond_the_training_maximum() -> None:
    rng = np.random.default_rng(7)
    train = rng.exponential(size=500)
    dec = AlarmDecision(ThresholdConfig(method="evt", false_alarm_prob=1e-4))
    on = dec.fit(train)
    assert on > train.max()
    assert abs(on - np.log(1e4)) < 2.0  # exponential tail: the true 1e-4 point is ln(1e4) = 9.2
