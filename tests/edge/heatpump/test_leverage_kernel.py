"""leverage_rows (compiled) gives envelope.leverage's numpy passes bit for bit: NaN, inf and -0.0
in the features and in the inverse included, and leverage_row (the one-reading path) the same."""

from __future__ import annotations

import math

import numpy as np
import pytest

from heatwatch.edge.heatpump.batch_kernels import leverage_rows
from heatwatch.edge.heatpump.envelope import leverage, leverage_row


def _inputs(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n_f = int(rng.integers(1, 9))
    A = rng.normal(size=(n_f, n_f)) * 10.0 ** rng.uniform(-6, 6, size=(n_f, n_f))
    M = A @ A.T
    if rng.random() < 0.2:
        M[rng.integers(0, n_f), rng.integers(0, n_f)] = rng.choice([math.nan, math.inf, -0.0])
    n = int(rng.integers(2, 400))
    F = rng.normal(size=(n, n_f)) * 10.0 ** rng.uniform(-8, 8, size=(n, n_f))
    F[:, 0] = 1.0
    k = int(rng.integers(0, n))
    F.flat[rng.integers(0, F.size, size=k)] = rng.choice([math.nan, math.inf, -math.inf, -0.0, 0.0, 1e300], size=k)
    return M, F


@pytest.mark.parametrize("seed", range(60))
def test_leverage_rows_as_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    M, F = _inputs(rng)
    with np.errstate(all="ignore"):
        want = leverage(M, F)
    got = leverage_rows(M, F)
    assert got.tobytes() == want.tobytes()
    rows = M.tolist()
    for i in rng.integers(0, len(F), size=5):
        one = leverage_row(rows, F[i].tolist())
        assert np.array([one]).tobytes() == got[i:i + 1].tobytes()
