"""SensorChecks.beyond's compiled look (any_off_scale: a chunk with nothing off its scale and no run
going on) gives the numpy passes' answer and state, chunk after chunk: values off either end of the
scale, runs that go on across chunks and end, sentinels, NaN, inf and -0.0."""

from __future__ import annotations

import math

import numpy as np
import pytest

from heatwatch.channels import CHANNEL_NAMES, CHANNELS
from heatwatch.edge.heatpump import batch_kernels
from heatwatch.edge.heatpump import sensor_checks as sc

LOW = np.array([c.low for c in CHANNELS])
HIGH = np.array([c.high for c in CHANNELS])


def _chunk(rng: np.random.Generator, n: int) -> np.ndarray:
    X = LOW + (HIGH - LOW) * rng.uniform(0.05, 0.95, (n, len(CHANNEL_NAMES)))
    if rng.random() < 0.5:  # some values off the scale: just past an end, far past it, sentinels
        k = int(rng.integers(1, 6))
        rows, cols = rng.integers(0, n, size=k), rng.integers(0, len(CHANNEL_NAMES), size=k)
        span = HIGH[cols] - LOW[cols]
        X[rows, cols] = np.where(rng.random(k) < 0.5, LOW[cols] - span * rng.choice([0.01, 0.3, 0.7], k),
                                 HIGH[cols] + span * rng.choice([0.01, 0.3, 0.7], k))
    if rng.random() < 0.3:
        X.flat[rng.integers(0, X.size, size=3)] = rng.choice([math.nan, math.inf, -math.inf, -0.0, -200.0], size=3)
    return X


@pytest.mark.parametrize("seed", range(20))
def test_beyond_is_the_numpy_passes(seed: int, monkeypatch) -> None:
    rng = np.random.default_rng(seed)
    fast, ref = sc.SensorChecks(), sc.SensorChecks()
    taken = {True: 0, False: 0}
    masked = 0
    for _ in range(40):
        X = _chunk(rng, int(rng.integers(1, 80)))
        taken[bool(sc.any_off_scale(X, sc._IDX, sc._LO, sc._HI, fast.off_scale))] += 1
        got = fast.beyond(X)
        with monkeypatch.context() as m:
            m.setattr(batch_kernels, "AVAILABLE", False)
            want = ref.beyond(X)
        assert got.dtype == want.dtype and got.shape == want.shape and (got == want).all()
        assert fast.off_scale.tobytes() == ref.off_scale.tobytes()
        masked += int(got.sum())
    assert taken[True] and taken[False], "both the compiled look and the passes were walked"
    assert masked, "values taken as run off their scale are compared too"


@pytest.mark.parametrize("seed", range(5))
def test_one_reading_takes_the_compiled_look(seed: int, monkeypatch) -> None:
    """The agent's stream hands beyond one reading (a 1-D array): it is looked at by the compiled pass
    as a one-row chunk, not by numpy's arrays (the code before took every 1-D reading through the
    passes: with them forbidden it fails), and gives the passes' answer and state, reading by reading,
    runs off the scale included (those still go through the passes)."""
    rng = np.random.default_rng(100 + seed)
    fast, ref = sc.SensorChecks(), sc.SensorChecks()
    X = np.concatenate([_chunk(rng, 60) for _ in range(6)])
    passes = sc.np.atleast_2d
    walked = {"passes": 0, "compiled": 0}

    def counted(a):  # noqa: ANN001, ANN202
        walked["passes"] += 1
        return passes(a)

    for x in X:
        x = np.ascontiguousarray(x)
        off = bool(sc.any_off_scale(x[None, :], sc._IDX, sc._LO, sc._HI, fast.off_scale))
        walked["compiled"] += not off
        before = walked["passes"]
        with monkeypatch.context() as m:
            m.setattr(sc.np, "atleast_2d", counted)
            got = fast.beyond(x)
        assert (walked["passes"] > before) == off, "a reading with nothing off its scale skips the passes"
        with monkeypatch.context() as m:
            m.setattr(batch_kernels, "AVAILABLE", False)
            want = ref.beyond(x)
        assert got.dtype == want.dtype and got.shape == want.shape == (1, len(sc.CHECKED)) and (got == want).all()
        assert fast.off_scale.tobytes() == ref.off_scale.tobytes()
    assert walked["compiled"] and walked["passes"], "both ways were walked"
