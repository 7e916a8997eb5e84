"""The leak chain's trip shares compiled (prognosis_kernels.chain_free): the numbers of _trip_shares' numpy steps.

Fails before: prognosis_kernels has no chain_free, prognosis_chain no CHAIN_COMPILED to turn off."""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.edge.heatpump import prognosis_chain as pc
from heatwatch.edge.heatpump import prognosis_kernels as pk
from tests.edge.heatpump.test_chain_bound import GRID, _curves, _hours


def _past(rng: np.random.Generator, trial: int) -> tuple:
    """Past hours by day: openings 5-99 % (ties), healthy worst discharges around 70 °C, some NaN or
    infinite ones on a few trials (the numpy path's NaN propagation), days of one hour to a day's worth."""
    days = int(rng.integers(1, 31))
    d_days = np.sort(rng.choice(np.arange(20000, 20000 + days), int(rng.integers(1, 700))))
    base_eev = np.round(rng.uniform(5.0, 99.0, len(d_days)), int(rng.integers(0, 3)))
    base_dis = np.round(rng.normal(70.0, 8.0, len(d_days)), int(rng.integers(0, 3)))
    if trial % 7 == 0:
        base_dis[int(rng.integers(len(d_days)))] = rng.choice([np.nan, np.inf, -np.inf])
    starts = np.flatnonzero(np.r_[True, np.diff(d_days) != 0])
    beta = float(rng.choice([0.0, rng.uniform(0.0, 30.0)]))
    target = float(rng.choice([60.0, 85.0, 95.0, 110.0, 140.0]))
    h = float(rng.choice([1.0, rng.uniform(1.0, 6.0)]))
    return d_days, base_eev, base_dis, beta, starts, target, h


def test_the_compiled_shares_are_numpys() -> None:
    """1 - _trip_shares of a block, byte for byte: passage_q_free of chain_free's exponents and numpy's
    exp of those not at a clip, at charge indices from falling to far past the end stop (every hour
    short, none short, some), at targets the days are far below, at, and far above."""
    if not pk.AVAILABLE:
        pytest.fail("numba is part of the dev install")
    rng = np.random.default_rng(3501)
    clipped = free = short = 0
    for trial in range(400):
        d_days, base_eev, base_dis, beta, starts, target, h = _past(rng, trial)
        c = rng.uniform(-1.5, 1.5, int(rng.integers(1, 121))) * float(rng.choice([0.01, 0.3, 1.0, 30.0]))
        if trial % 5 == 0:
            c[: min(len(c), 3)] = [-0.0, 0.0, -1.0][: min(len(c), 3)]
        with np.errstate(invalid="ignore", over="ignore"):
            want = 1.0 - pc._trip_shares(c[:, None], base_eev, base_dis, beta, 40.0, starts, d_days, target, h)
            z, u = pk.chain_free(c, base_eev, base_dis, beta, 40.0, starts, target, h)
            np.exp(u, out=u)
        got = pk.passage_q_free(z, u, None, 1)
        nan = np.isnan(want)  # a NaN's sign bit is no number a later step reads
        assert np.array_equal(np.isnan(got), nan)
        assert got[~nan].tobytes() == want[~nan].tobytes()
        at_clip = (z == pk.Z_CLIP_LOW) | (z == pk.Z_CLIP_HIGH)
        clipped += int(at_clip.sum())
        free += len(u)
        short += bool((base_eev * (1.0 + c.max()) / 100.0 - 1.0 > 0.0).any())
    assert clipped > 1000 and free > 1000 and 50 < short < 390


def test_the_chain_compiled_dates_as_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """leak_discharge_days with the compiled shares: the dates of numpy's steps, for every kind of date,
    laws with a NaN or an infinity on a day ahead (those read by numpy's steps) among them."""
    rng = np.random.default_rng(3502)
    kinds: set[str] = set()
    for trial in range(40):
        rows = _hours(rng, int(rng.integers(8, 35)))
        now = rows[-1][0] + 3600.0
        target = float(rng.choice([85.0, 95.0, 110.0, 140.0]))
        curves = _curves(rng, trial)
        got = []
        for compiled in (True, False):
            monkeypatch.setattr(pc, "CHAIN_COMPILED", compiled)
            for bound in (True, False):
                monkeypatch.setattr(pc, "CHAIN_BOUND", bound)
                got.append(pc.leak_discharge_days(rows, now, 0, 1, target, 30, GRID, lambda x, y: curves))
        assert got[0] == got[2] and got[1] == got[3]
        kinds.update("none" if d is None else "cap" if d == GRID[-1] else "date" for d in got)
    assert kinds == {"none", "cap", "date"}


def test_the_compiled_bound_share_is_numpys() -> None:
    """_bound_share compiled: _trip_shares' number of the one future day, byte for byte (NaN for no finite c)."""
    rng = np.random.default_rng(3503)
    for trial in range(300):
        d_days, base_eev, base_dis, beta, starts, target, h = _past(rng, trial)
        past = (base_eev, base_dis, beta, 40.0, starts, d_days, target, h)
        c = float(rng.uniform(-1.5, 1.5) * rng.choice([0.01, 0.3, 1.0, 30.0])) if trial % 9 else \
            float(rng.choice([np.nan, np.inf, -np.inf, 0.0, -0.0]))
        with np.errstate(invalid="ignore", over="ignore"):
            want, got = pc._bound_share(c, past), pc._bound_share(c, past, compiled=True)
        assert np.float64(got).tobytes() == np.float64(want).tobytes() or (np.isnan(got) and np.isnan(want))
