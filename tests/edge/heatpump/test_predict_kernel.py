"""HealthyModel.predict of a chunk (the compiled predict_rows) gives the numpy passes' bytes, and one
reading's prediction is the chunk's row: NaN, inf and -0.0 in the features and the coefficients.
A NaN's sign and payload aside: where both terms of a sum are NaN, which one the sum keeps depends on
the order the machine adds them in (the vectorized loop's, numpy's one-row and chunk passes' differ
too); nothing reads a NaN's bits."""

from __future__ import annotations

import math

import numpy as np
import pytest

from heatwatch.edge.heatpump.healthy_model import HealthyModel, predict_rows

ODD = [math.nan, math.inf, -math.inf, -0.0, 0.0, 1e300, -1e-300]


def _nan_one(a: np.ndarray) -> bytes:
    a = a.copy()
    a[np.isnan(a)] = np.nan
    return a.tobytes()


@pytest.mark.parametrize("seed", range(40))
def test_predict_rows_is_the_numpy_prediction(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_f, n_t, n = int(rng.integers(1, 9)), int(rng.integers(1, 30)), int(rng.integers(2, 500))
    coef = rng.normal(size=(n_f, n_t)) * 10.0 ** rng.uniform(-6, 6, size=(n_f, n_t))
    F = rng.normal(size=(n, n_f)) * 10.0 ** rng.uniform(-8, 8, size=(n, n_f))
    for A, share in ((coef, 0.05), (F, float(rng.choice([0.0, 0.01, 0.2])))):
        k = int(rng.binomial(A.size, share))
        A.flat[rng.integers(0, A.size, size=k)] = rng.choice(ODD, size=k)
    model = HealthyModel(coef, np.ones(n_t))
    with np.errstate(all="ignore"):
        want = model.predict_numpy(F)
        got = model.predict(F)
        assert _nan_one(predict_rows(F, coef)) == _nan_one(want)
        assert _nan_one(got) == _nan_one(want)
        assert np.isnan(got).sum() == np.isnan(want).sum()
        for i in rng.integers(0, n, size=5):  # numpy's own one-row pass differs from its chunk's in a NaN's sign
            assert _nan_one(model.predict(F[i])) == _nan_one(got[i])
        assert _nan_one(model.predict(F[::2])) == _nan_one(want[::2])  # rows not contiguous
