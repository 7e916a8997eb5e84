"""columns_kernel.chunk_columns gives derived_and_targets' and features' numpy passes byte for byte:
random readings with NaN, inf and -0.0, power either side of COP's 0.2 kW, hot water and heating,
non-positive and off-table pressures, both refrigerants."""

from __future__ import annotations

import math

import numpy as np
import pytest

from heatwatch.channels import CHANNEL_NAMES, INDEX, MODE_DHW, MODE_HEATING
from heatwatch.edge.heatpump.columns_kernel import chunk_columns
from heatwatch.edge.heatpump.detector import _TARGET_MAPS, derived_and_targets
from heatwatch.edge.heatpump.operating_point import features

ODD = [math.nan, math.inf, -math.inf, -0.0, 0.0, 1e300]


def _readings(rng: np.random.Generator, n: int) -> np.ndarray:
    X = rng.normal(20.0, 15.0, (n, len(CHANNEL_NAMES)))
    X[:, INDEX["p_high"]] = rng.uniform(-1.0, 60.0, n)
    X[:, INDEX["p_low"]] = rng.uniform(-1.0, 12.0, n)
    X[:, INDEX["power_w"]] = rng.choice([0.0, 199.99999, 200.0, 200.00001, 1500.0, -5.0], n) + rng.normal(0, 1e-3, n) \
        * (rng.random(n) < 0.5)
    X[:, INDEX["mode"]] = rng.choice([0.0, MODE_HEATING, MODE_DHW, math.nan], n)
    X[:, INDEX["compressor_hz"]] = rng.uniform(0.0, 110.0, n)
    k = int(rng.binomial(X.size, float(rng.choice([0.0, 0.01, 0.1]))))
    X.flat[rng.integers(0, X.size, size=k)] = rng.choice(ODD, size=k)
    return X


@pytest.mark.parametrize("seed", range(30))
def test_chunk_columns_are_the_numpy_passes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    X = _readings(rng, int(rng.integers(2, 600)))
    ref = str(rng.choice(["R32", "R290"]))
    with np.errstate(all="ignore"):
        got = chunk_columns(X, ref, _TARGET_MAPS)
        D, Y = derived_and_targets(X, ref)
        F = features(X)
    assert got is not None
    assert [a.tobytes() for a in got] == [D.tobytes(), Y.tobytes(), F.tobytes()]
    assert np.isnan(got[0][:, 4]).any() and not np.isnan(got[0][:, 4]).all(), "COP both sides of 0.2 kW"
