"""shift_steps (compiled) gives PersistentShift's steps as the numpy passes did, and so the same
weights bit for bit: NaN and infinite times, repeated and backward times, -0.0 included."""

from __future__ import annotations

import math

import numpy as np
import pytest

from heatwatch.edge.heatpump import batch_kernels
from heatwatch.edge.heatpump.batch_kernels import exp_weights, shift_alphas, shift_steps, shift_steps_numpy
from heatwatch.edge.heatpump.persistent_shift import MAX_STEP, PersistentShift


def _times(rng: np.random.Generator, n: int) -> np.ndarray:
    steps = rng.choice([60.0, 60.0, 60.0, 0.0, -0.0, -30.0, 1800.0, 4000.0, 7200.0, 0.25], size=n)
    ts = float(rng.uniform(-1e6, 1e9)) + np.cumsum(steps)
    k = int(rng.integers(0, max(1, n // 5)))
    ts[rng.integers(0, n, size=k)] = rng.choice([math.nan, math.inf, -math.inf, 0.0, -0.0], size=k)
    return ts


@pytest.mark.parametrize("seed", range(60))
def test_steps_and_weights_as_numpy(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 500))
    ts = _times(rng, n)
    for last in (math.nan, float(ts[0]) - 60.0, math.inf, -math.inf, float(rng.uniform(-1e6, 1e9))):
        with np.errstate(invalid="ignore"):  # inf - inf: numpy's warning, the kernel's NaN
            want = shift_steps_numpy(last, ts, MAX_STEP)
        got = shift_steps(last, ts, MAX_STEP)
        assert np.array_equal(got, want, equal_nan=True), (last, ts.tolist())
        assert np.array_equal(np.isnan(got), np.isnan(want))
        for tau in (900.0, 6 * 3600.0):
            assert exp_weights(got, tau).tobytes() == exp_weights(want, tau).tobytes()


@pytest.mark.parametrize("seed", range(20))
def test_shift_alphas_as_the_streaming_update(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """shift_alphas with and without the kernel, and the streaming update's own alpha, the same."""
    rng = np.random.default_rng(1000 + seed)
    ts = _times(rng, int(rng.integers(1, 300)))
    tau = float(rng.choice([900.0, 3 * 3600.0]))
    start = float(rng.choice([math.nan, float(ts[0]) - 60.0]))
    a, b = PersistentShift(1, tau), PersistentShift(1, tau)
    a.last_ts = b.last_ts = start
    with np.errstate(invalid="ignore"):
        got = shift_alphas(a, ts)
        monkeypatch.setattr(batch_kernels, "AVAILABLE", False)
        want = shift_alphas(b, ts)
    assert got.tobytes() == want.tobytes()
    assert a.last_ts == b.last_ts or (math.isnan(a.last_ts) and math.isnan(b.last_ts))
    last = start
    for t, alpha in zip(ts.tolist(), got.tolist()):
        dt = MAX_STEP if math.isnan(last) else min(t - last, MAX_STEP)
        one = 1.0 - math.exp(-max(dt, 0.0) / tau)
        assert (math.isnan(one) and math.isnan(alpha)) or one == alpha
        last = t
