"""exp_weights finds a chunk's distinct steps in one compiled pass (distinct_steps) instead of
sorting them: its weights must be the sorted reference's bit for bit, NaN, -0.0, inf and many
distinct steps (its fallback) included."""

from __future__ import annotations

import math

import numpy as np
import pytest

from heatwatch.edge.heatpump.batch_kernels import MAX_DISTINCT, distinct_steps, exp_weights, exp_weights_sorted


def _steps(rng: np.random.Generator, n: int, kinds: int) -> np.ndarray:
    """Mostly a fixed poll with a few other steps, as a chunk's readings have them."""
    pool = np.concatenate([[10.0, 60.0, 0.0, -0.0, -5.0, 3600.0, 7200.0, math.inf, math.nan],
                           rng.uniform(-100.0, 5000.0, kinds)])
    dt = np.full(n, 10.0)
    odd = rng.random(n) < rng.uniform(0.0, 0.5)
    dt[odd] = rng.choice(pool, int(odd.sum()))
    return dt


@pytest.mark.parametrize("seed", range(40))
def test_weights_are_the_sorted_ones(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    dt = _steps(rng, n, int(rng.integers(0, 2 * MAX_DISTINCT)))  # past MAX_DISTINCT: the fallback
    for tau, cap in ((900.0, math.inf), (60.0, 600.0), (86400.0 * 3, math.inf)):
        got, want = exp_weights(dt, tau, cap), exp_weights_sorted(dt, tau, cap)
        assert got.dtype == want.dtype and got.shape == want.shape
        assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("seed", range(20))
def test_distinct_steps(seed: int) -> None:
    """The values in order of first appearance, each element's index among them (all NaN one
    value), and -1 once more than ``most`` are met."""
    rng = np.random.default_rng(100 + seed)
    dt = _steps(rng, int(rng.integers(1, 2000)), int(rng.integers(0, 20)))
    uniq, inv, m = distinct_steps(dt, 64)
    assert m > 0
    back = uniq[:m][inv]
    assert np.array_equal(back, dt, equal_nan=True)
    ref = np.unique(dt)  # 0.0 and -0.0 one value, NaN one value
    assert m == len(ref)
    first = [int(np.flatnonzero(inv == j)[0]) for j in range(m)]
    assert first == sorted(first)
    if m > 1:
        assert distinct_steps(dt, m - 1)[2] == -1
        assert distinct_steps(dt, m)[2] == m


def test_one_step_and_empty() -> None:
    assert exp_weights(np.empty(0), 900.0).shape == (0,)
    w = exp_weights(np.full(5, 10.0), 900.0)
    assert w.tolist() == [1.0 - math.exp(-10.0 / 900.0)] * 5
