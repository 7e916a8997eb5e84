"""The generic detector (HealthyBehaviourDetector) on synthetic data: one algorithm, two entry
points; drifts, correlation breaks, false alarms, explanations, state. Data is generated here
(no datasets needed)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from heatwatch.edge.generic_detector import (
    COMPONENTS,
    HealthyBehaviourConfig,
    HealthyBehaviourDetector,
    LinearExpectation,
)

NAMES = [f"f{i}" for i in range(8)]
CUSUM = COMPONENTS.index("cusum")
NOVELTY = COMPONENTS.index("novelty")


def noisy(n: int, f: int = 8, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, f))


def faulty_series(seed: int = 1) -> np.ndarray:
    """Correlated features, then a drift, a NaN gap, a flatline and a correlation break."""
    X = noisy(3000, 6, seed)
    X[:, 1] = 0.9 * X[:, 0] + 0.3 * X[:, 1]
    X[2000:, 2] += np.linspace(0, 3, 1000)
    X[1500:1510, 3] = np.nan
    X[2500:2600, 4] = X[2500, 4]
    X[2700:, 1] = -X[2700:, 1]
    return X


def test_update_and_score_agree_online_from_the_start() -> None:
    X = faulty_series()
    streaming, batch = HealthyBehaviourDetector(), HealthyBehaviourDetector()
    results = [streaming.update(float(i), x) for i, x in enumerate(X)]
    b = batch.score(np.arange(len(X), dtype=float), X)
    assert b.warming_up[:300].all() and not b.warming_up[300:].any()
    assert all(r.warming_up for r in results[:300])
    np.testing.assert_allclose([r.score for r in results], b.score, rtol=0, atol=1e-9)
    np.testing.assert_array_equal([r.anomaly for r in results], b.anomaly)
    np.testing.assert_allclose(np.array([r.contributions for r in results]), b.contributions, atol=1e-9)
    np.testing.assert_array_equal(np.array([r.sensor_flags for r in results]), b.sensor_flags)
    assert b.anomaly[2100:].any(), "the faults must raise alarms, or the equality is vacuous"
    # the end state agrees too: both continue identically
    tail = noisy(200, 6, 9)
    resumed = [streaming.update(float(i), x).score for i, x in enumerate(tail)]
    np.testing.assert_allclose(resumed, batch.score(None, tail).score, atol=1e-9)


def test_update_and_score_agree_after_fit_and_in_chunks() -> None:
    X = faulty_series(2)
    a, b = HealthyBehaviourDetector(), HealthyBehaviourDetector()
    a.fit(None, X[:500])
    b.fit(None, X[:500])
    s_stream = np.array([a.update(float(i), x).score for i, x in enumerate(X[500:])])
    s_chunks = np.concatenate([b.score(None, X[i:i + 333]).score for i in range(500, len(X), 333)])
    np.testing.assert_allclose(s_stream, s_chunks, atol=1e-9)


def test_time_comes_first_and_the_old_order_is_refused() -> None:
    X = noisy(400, 3, 11)
    ts = 1_700_000_000.0 + 60.0 * np.arange(len(X))
    det = HealthyBehaviourDetector()
    assert det.fit(ts[:300], X[:300]).ts[-1] == ts[299]
    assert det.update(ts[300], X[300]).ts == ts[300]
    np.testing.assert_array_equal(det.score(ts[301:], X[301:]).ts, ts[301:])
    np.testing.assert_array_equal(det.score(None, X[:5]).ts, np.arange(5.0))  # no time column: row numbers
    with pytest.raises(ValueError, match=r"update\(ts, x\)"):
        det.update(X[0], ts[0])
    with pytest.raises(ValueError, match=r"score\(ts, X\)"):
        det.score(X[:5], ts[:5])
    with pytest.raises(ValueError, match="one time per row"):
        det.score(ts[:4], X[:5])
    with pytest.raises(ValueError, match=r"fit\(ts, X\)"):
        HealthyBehaviourDetector().fit(X[:300], ts[:300])


def test_state_saved_and_restored_continues_identically(tmp_path) -> None:
    X = faulty_series(3)
    ref = HealthyBehaviourDetector()
    ref_scores = ref.score(None, X).score
    first = HealthyBehaviourDetector()
    first.score(None, X[:2200])
    first.save(tmp_path / "det.json")
    resumed = HealthyBehaviourDetector.load(tmp_path / "det.json")
    rest = np.array([resumed.update(float(i), x).score for i, x in enumerate(X[2200:])])
    np.testing.assert_allclose(rest, ref_scores[2200:], atol=1e-9)
    # a detector saved mid warm-up resumes its warm-up
    early = HealthyBehaviourDetector()
    early.score(None, X[:100])
    early.save(tmp_path / "warm.json")
    again = HealthyBehaviourDetector.load(tmp_path / "warm.json")
    np.testing.assert_allclose(again.score(None, X[100:]).score, ref_scores[100:], atol=1e-9)
    (tmp_path / "old.npz").write_bytes(b"PK\x03\x04\x14\x00\x00\x00\x00\x00\xb0")
    with pytest.raises(ValueError, match="not a detector state file"):
        HealthyBehaviourDetector.load(tmp_path / "old.npz")


def test_state_is_plain_json_and_resumes_bit_for_bit() -> None:
    """state() -> JSON text -> load_state(): the heatwatch convention (base.py), every piece
    included: a conditioned expectation model, plausibility limits (inf where none is
    given), a raised alarm."""
    X = faulty_series(4)
    high = np.array([np.inf, np.inf, 2.5, np.inf, np.inf, np.inf])

    def make() -> HealthyBehaviourDetector:
        return HealthyBehaviourDetector(model=LinearExpectation(inputs=[0]), high=high)

    uninterrupted, first = make(), make()
    for det in (uninterrupted, first):
        det.fit(None, X[:1000])
        det.score(None, X[1000:2200])
    expected = uninterrupted.score(None, X[2200:]).score
    text = json.dumps(first.state())  # numpy arrays and numpy ints would not go
    assert "Infinity" in text
    resumed = make()
    resumed.load_state(json.loads(text))
    assert json.dumps(resumed.state()) == text
    rest = resumed.score(None, X[2200:])
    np.testing.assert_array_equal(rest.score, expected)
    assert rest.anomaly.any() and rest.sensor_flags.any(), "nothing raised after the restart: vacuous"


def test_slow_drift_is_seen_by_cusum_before_a_per_sample_z_threshold() -> None:
    n_train, n = 1000, 600
    X = noisy(n_train + n, seed=4)
    X[n_train:, 2] += 0.05 * np.arange(n)  # 0.05 sigma per step
    det = HealthyBehaviourDetector()
    det.fit(None, X[:n_train])
    b = det.score(None, X[n_train:])
    cusum_crosses = int(np.argmax(b.components[:, CUSUM] > det.decision.on))
    z_crosses = int(np.argmax(np.abs(b.z[:, 2]) > 4.0))  # a plain 4-sigma per-sample rule
    first_alarm = int(np.argmax(b.anomaly))
    assert b.anomaly.any() and b.components[cusum_crosses, CUSUM] > det.decision.on
    assert cusum_crosses < z_crosses, (cusum_crosses, z_crosses)
    assert first_alarm < z_crosses, (first_alarm, z_crosses)
    assert int(np.argmax(b.contributions[first_alarm])) == 2


def test_correlation_break_is_novel_though_each_feature_is_in_range() -> None:
    rng = np.random.default_rng(5)
    n_train, n = 1000, 1000
    X = rng.normal(size=(n_train + n, 4))
    X[:, 1] = 0.95 * X[:, 0] + np.sqrt(1 - 0.95**2) * X[:, 1]  # f1 follows f0
    X[n_train:, 1] = -X[n_train:, 1]  # decoupled: same marginal, opposite relation
    assert np.abs(X[n_train:, :2]).max() < 5.0
    full = HealthyBehaviourDetector()
    full.fit(None, X[:n_train])
    b = full.score(None, X[n_train:])
    residual_only = HealthyBehaviourDetector(HealthyBehaviourConfig(components=("residual",)))
    residual_only.fit(None, X[:n_train])
    r = residual_only.score(None, X[n_train:])
    assert b.anomaly.mean() > 0.8
    assert r.anomaly.mean() < 0.05
    novelty_seen = b.components[:, NOVELTY] > full.decision.on
    assert novelty_seen.mean() > 0.3  # instantaneous T² alone catches a good part, MEWMA the rest
    top = np.argmax(b.contributions[novelty_seen], axis=1)
    assert np.isin(top, [0, 1]).mean() > 0.95  # the explanation names the decoupled pair


@pytest.mark.parametrize("kind", ["white", "ar1", "heavy_tailed"])
def test_no_alarms_on_a_long_stationary_noisy_series(kind: str) -> None:
    rng = np.random.default_rng(6)
    n_train, n, f = 1000, 50_000, 8
    if kind == "white":
        X = rng.normal(size=(n_train + n, f))
    elif kind == "heavy_tailed":
        X = rng.standard_t(4, size=(n_train + n, f))
    else:
        e = rng.normal(size=(n_train + n, f))
        X = np.empty_like(e)
        X[0] = e[0]
        for i in range(1, len(e)):  # strongly autocorrelated, still stationary
            X[i] = 0.9 * X[i - 1] + e[i]
    det = HealthyBehaviourDetector()
    det.fit(None, X[:n_train])
    alarm = det.score(None, X[n_train:]).anomaly
    far = alarm.mean()
    episodes = int(np.sum(np.diff(alarm.astype(int)) == 1) + alarm[0])
    assert far < 0.01, far
    assert episodes <= 20, episodes  # at most one alarm per ~2500 samples


def test_findings_name_the_faulty_feature_with_expected_and_observed() -> None:
    X = noisy(1500, seed=7) * 2.0 + 10.0
    X[1000:, 5] += 10.0  # +5 sigma step in f5
    det = HealthyBehaviourDetector()
    det.fit(None, X[:1000])
    b = det.score(None, X[1000:])
    assert b.anomaly[20:].all()
    res = b[100]
    findings = res.findings(NAMES)
    process = [f for f in findings if f.kind != "sensor"]
    assert process[0].channels == ["f5"]
    assert process[0].kind in {"residual", "cusum", "novelty"}
    assert abs(process[0].expected - 10.0) < 0.5
    assert process[0].observed == pytest.approx(X[1100, 5])
    assert "f5" in process[0].message and process[0].score == pytest.approx(res.score)
    # a healthy sample explains nothing
    healthy = HealthyBehaviourDetector()
    healthy.fit(None, X[:1000])
    assert [f for f in healthy.score(None, X[:1000] + 0.0)[500].findings(NAMES) if f.kind != "sensor"] == []


def test_conditioning_model_plugs_in_and_explains_the_operating_point() -> None:
    """A feature that follows an input (outdoor temperature) must not alarm when the input moves;
    the median baseline alone would. This is the hook for a series that follows an operating point."""
    rng = np.random.default_rng(8)
    n = 3000
    u = np.concatenate([rng.uniform(0, 5, 1000), rng.uniform(5, 10, 2000)])  # new operating range later
    y = 2.0 * u + 0.2 * rng.normal(size=n)
    X = np.column_stack([u, y])
    conditioned = HealthyBehaviourDetector(HealthyBehaviourConfig(wander=False), model=LinearExpectation(inputs=[0]))
    conditioned.fit(None, X[:1000])
    plain = HealthyBehaviourDetector(HealthyBehaviourConfig(wander=False))
    plain.fit(None, X[:1000])
    assert plain.score(None, X[1000:]).anomaly.mean() > 0.5
    ok = conditioned.score(None, X[1000:2000])
    # the input itself is still judged against its own training range; the target is explained
    assert np.abs(ok.z[:, 1]).max() < 6.0
    X_fault = X[2000:].copy()
    X_fault[:, 1] += 2.0  # y off its relation to u by 10 sigma
    bad = conditioned.score(None, X_fault)
    assert np.median(np.abs(bad.z[:, 1])) > 5.0


def test_warm_up_scores_zero_then_learns() -> None:
    det = HealthyBehaviourDetector(HealthyBehaviourConfig(warmup=50))
    X = noisy(100, 3, 10)
    res = [det.update(float(i), x) for i, x in enumerate(X)]
    assert all(r.warming_up and r.score == 0.0 and not r.anomaly for r in res[:50])
    assert det.fitted and not res[50].warming_up and res[50].score > 0.0


def test_update_and_score_agree_where_some_features_wander() -> None:
    """T² uses the correlation at each horizon's grid point (wander allowance on some features
    only); the streaming path switches it at the same grid points as the batch path."""
    rng = np.random.default_rng(5)
    n = 2400
    walk = np.cumsum(rng.normal(0, 0.05, n))
    X = np.column_stack([walk + rng.normal(0, 0.02, n), walk + rng.normal(0, 0.3, n), rng.normal(size=n),
                         rng.normal(size=n)])
    a, b = HealthyBehaviourDetector(), HealthyBehaviourDetector()
    a.fit(None, X[:400])
    b.fit(None, X[:400])
    w = a.wander.variance(1000.0)
    assert w[0] > 0 and w[2] == 0, "one feature wanders and another does not, or the test is vacuous"
    s_stream = np.array([a.update(float(i), x).score for i, x in enumerate(X[400:])])
    s_batch = np.concatenate([b.score(None, X[i:i + 500]).score for i in range(400, n, 500)])
    np.testing.assert_allclose(s_stream, s_batch, atol=1e-9)
