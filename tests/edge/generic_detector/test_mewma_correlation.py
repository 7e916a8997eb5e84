"""The MEWMA judged with the EWMA vector's own correlation (``mewma_correlation="ewma"``).

Four columns share a slow factor (AR(1), phi 0.95) under independent fast noise: row by row they
are weakly correlated, their EWMAs strongly. A change along the slow part (all four move together)
is what the training's slow wander already did; a change of one column alone is a contrast their
slow parts never took. Judged with the rows' correlation both look alike to the MEWMA; judged with
the EWMA's own, the contrast stands out and the common drift does not gain.
"""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.edge.generic_detector import HealthyBehaviourConfig, HealthyBehaviourDetector

SEEDS = range(1, 9)
TRAIN, ONSET, END = 800, 1000, 1200


def rows(seed: int, n: int = 1600, F: int = 6, k: int = 4, phi: float = 0.95, load: float = 0.7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    f = np.zeros(n)
    e = rng.standard_normal(n) * np.sqrt(1.0 - phi**2)
    for t in range(1, n):
        f[t] = phi * f[t - 1] + e[t]
    X = rng.standard_normal((n, F))
    X[:, :k] += load * f[:, None]
    return X


def mewma(X: np.ndarray, which: str, cols: slice, size: float) -> tuple[float, np.ndarray]:
    """The largest calibrated MEWMA from the onset on, and the alarms, with ``size`` added to ``cols``."""
    Y = X.copy()
    Y[ONSET:END, cols] += size
    det = HealthyBehaviourDetector(HealthyBehaviourConfig(mewma_correlation=which))
    det.fit(None, Y[:TRAIN])
    res = det.score(None, Y[TRAIN:])
    m = res.components[ONSET - TRAIN:END - TRAIN, 4].max() / det.decision.on
    return float(m), res.anomaly


@pytest.mark.parametrize("seed", SEEDS)
def test_a_contrast_counts_more_than_a_common_drift(seed: int) -> None:
    X = rows(seed)
    ratio = {}
    for which in ("rows", "ewma"):
        common, alarm_c = mewma(X, which, slice(0, 4), 2.0)
        alone, alarm_a = mewma(X, which, slice(0, 1), 2.0)
        assert not alarm_c[:ONSET - TRAIN].any() and not alarm_a[:ONSET - TRAIN].any()  # healthy rows
        ratio[which] = alone / common
    assert ratio["ewma"] > 1.1 * ratio["rows"]


def test_the_contrast_is_flagged_on_more_rows() -> None:
    flagged = {"rows": 0, "ewma": 0}
    for seed in SEEDS:
        for which in flagged:
            flagged[which] += int(mewma(rows(seed), which, slice(0, 1), 2.0)[1][ONSET - TRAIN:].sum())
    assert flagged["ewma"] > 3 * max(flagged["rows"], 10)


def test_rows_one_by_one_give_the_block_scores_and_the_state_keeps_it() -> None:
    X = rows(3)
    X[ONSET:END, 0] += 2.0
    cfg = HealthyBehaviourConfig(mewma_correlation="ewma")
    block = HealthyBehaviourDetector(cfg)
    block.fit(None, X[:TRAIN])
    expect = block.score(None, X[TRAIN:]).score
    one = HealthyBehaviourDetector(cfg)
    one.fit(None, X[:TRAIN])
    half = TRAIN + 300
    got = [one.update(float(t), X[t]).score for t in range(TRAIN, half)]
    again = HealthyBehaviourDetector(cfg)
    again.load_state(one.state())
    got += [again.update(float(t), X[t]).score for t in range(half, len(X))]
    assert not np.allclose(block.precision_e, block.precision)
    np.testing.assert_allclose(got, expect, rtol=1e-7, atol=1e-9)


def test_an_unknown_choice_is_refused() -> None:
    with pytest.raises(ValueError, match="mewma_correlation"):
        HealthyBehaviourDetector(HealthyBehaviourConfig(mewma_correlation="lagged"))
