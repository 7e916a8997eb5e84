"""The commissioning window's shortcuts give the plain paths' numbers: growth_through with the window's rows taken
once for the targets that share them is the per-target fit, and the window's minutes by numpy are Python's."""

from __future__ import annotations

import numpy as np

from heatwatch.edge.heatpump import detector
from heatwatch.edge.heatpump.fleet_prior import growth_through


def _growth_reference(T: np.ndarray, F: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """growth_through as it was: each target's rows of the design matrix taken afresh."""
    span = float(T[-1] - T[0]) if len(T) else 0.0
    out = np.full(Y.shape[1], np.nan)
    if span <= 0.0:
        return out
    A = np.column_stack([F, (T - T[0]) / span])
    known = ~np.isnan(A).any(axis=1)
    for j in range(Y.shape[1]):
        ok = ~np.isnan(Y[:, j]) & known
        if ok.sum() < 10 * A.shape[1]:
            continue
        beta, *_ = np.linalg.lstsq(A[ok], Y[ok, j], rcond=None)
        out[j] = beta[-1]
    return out


def test_growth_through_is_the_per_target_fit() -> None:
    """Windows with no NaN, a NaN feature row, targets with their own NaN rows (shared by some, not
    others), a target with too few rows and an all-NaN one: the same growth per target, bit for bit."""
    rng = np.random.default_rng(5)
    for trial in range(60):
        n, k, m = int(rng.integers(40, 400)), int(rng.integers(2, 6)), int(rng.integers(1, 9))
        T = np.sort(rng.uniform(0, 7 * 86400.0, n))
        F = rng.normal(size=(n, k)) * 10.0 ** rng.uniform(-2, 2, size=k)
        Y = F @ rng.normal(size=(k, m)) + rng.normal(size=(n, m)) + np.outer(T / 86400.0, rng.normal(size=m))
        if trial % 3 == 1:
            F[rng.integers(n, size=3), rng.integers(k)] = np.nan
        if trial % 4 == 2:
            for j in rng.integers(m, size=2):
                Y[rng.integers(n, size=int(rng.integers(1, n // 2))), j] = np.nan
        if trial % 5 == 3:
            Y[:, -1] = np.nan
        want, got = _growth_reference(T, F, Y), growth_through(T, F, Y)
        assert got.tobytes() == want.tobytes()


def test_window_minutes_are_pythons(monkeypatch) -> None:  # noqa: ANN001
    """detector._minutes (numpy's floor division) gives int(t // 60) of every time: a season's epoch times, half
    seconds, times a hair before and on a minute's edge, zero and the smallest positive ones."""
    rng = np.random.default_rng(6)
    t = np.concatenate([rng.uniform(1.6e9, 1.8e9, 50_000), np.arange(1.7e9, 1.7e9 + 600, 0.5),
                        60.0 * np.arange(1000) + 1.7e9 - 1e-7, 60.0 * np.arange(1000) + 1.7e9,
                        [0.0, 59.999999999, 60.0, 5e-324, 1e-300]])
    got = detector._minutes(t)
    monkeypatch.setattr(detector, "WINDOW_MINUTES_NUMPY", False)
    want = detector._minutes(t)
    assert got.dtype == want.dtype == np.int64 and got.tobytes() == want.tobytes()
    assert want.tolist() == [int(v // 60) for v in t.tolist()]
