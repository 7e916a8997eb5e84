"""The leak chain's day frontier compiled (prognosis_kernels.day_frontier): the hours of np.unique's ranks
and np.lexsort's order, the very same indices.

Fails before: prognosis_kernels has no day_frontier, prognosis_chain no FRONTIER_COMPILED to turn off."""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.edge.heatpump import prognosis_chain as pc
from heatwatch.edge.heatpump import prognosis_kernels as pk


def test_compiled_frontier_is_numpys(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same hours with FRONTIER_COMPILED on and off: ties in opening and discharge (rounded values,
    -0.0 beside 0.0, infinities), one hour a day to hundreds, days out of order and NaN (left to numpy)."""
    if not pk.AVAILABLE:
        pytest.fail("numba is part of the dev install")
    rng = np.random.default_rng(3507)
    compiled = 0
    for trial in range(600):
        days = int(rng.integers(1, 31))
        n = int(rng.integers(0, 700))
        d_days = np.sort(rng.choice(np.arange(20000, 20000 + days), n)).astype(np.int64)
        if trial % 11 == 0 and n > 3:
            d_days[[0, -1]] = d_days[[-1, 0]]  # out of order
        base_eev = np.round(rng.uniform(5.0, 99.0, n), int(rng.integers(0, 3)))
        base_dis = np.round(rng.normal(70.0, 8.0, n), int(rng.integers(0, 3)))
        if trial % 5 == 0 and n > 4:
            base_dis[:2], base_eev[2:4] = [-0.0, 0.0], [np.inf, -np.inf]
        if trial % 13 == 0 and n:
            (base_eev if trial % 2 else base_dis)[int(rng.integers(n))] = np.nan
        got = pc._day_frontier(d_days, base_eev, base_dis)
        compiled += got is not None and pk.day_frontier(d_days, base_eev, base_dis) is not None
        monkeypatch.setattr(pc, "FRONTIER_COMPILED", False)
        want = pc._day_frontier(d_days, base_eev, base_dis)
        monkeypatch.setattr(pc, "FRONTIER_COMPILED", True)
        assert (got is None) == (want is None)
        if want is not None:
            assert got.dtype == want.dtype and got.tolist() == want.tolist()
    assert compiled > 400
