"""The prognosis' compiled steps (prognosis_kernels) give numpy's numbers to the bit, and so does
their numpy path without numba: a fit's matrix, a curve's Horner steps, a row's sum, the first
passage's logistic and survival product."""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.edge.heatpump import prognosis as pg
from heatwatch.edge.heatpump import prognosis_kernels as pk
from tests.edge.heatpump.test_passage_free import _curves
from tests.edge.heatpump.test_prognosis_exact import _passage_whole_grid


@pytest.fixture(params=[True, False], ids=["numba", "numpy"])
def compiled(request, monkeypatch):
    if request.param and not pk.AVAILABLE:
        pytest.fail("numba is part of the dev install")
    monkeypatch.setattr(pk, "AVAILABLE", request.param)
    return request.param


def _fit_matrix_numpy(x, y, w, order):
    """np.polyfit's own steps (numpy/lib/_polynomial_impl.py) up to its least squares."""
    lhs = np.vander(x, order)
    rhs = y
    if w is not None:
        lhs = lhs * w[:, np.newaxis]
        rhs = rhs * w
    scale = np.sqrt((lhs * lhs).sum(axis=0))
    return lhs / scale, rhs, scale


def test_fit_matrix_is_polyfits(compiled) -> None:
    rng = np.random.default_rng(5)
    for trial in range(400):
        n = int(rng.integers(2, 40))
        x = (np.arange(n) + 0.5 - rng.uniform(0, 40)) * rng.choice([1.0, 0.37, 1e-3])
        y = rng.normal(size=n).cumsum() * rng.choice([1e-3, 1.0, 50.0])
        w = np.abs(y) + 0.1 if trial % 2 else None
        for order in (2, 3):
            want = _fit_matrix_numpy(x, y, w, order)
            got = pk.fit_matrix(x, y, w, order)
            for a, b in zip(got, want):
                assert a.shape == b.shape and a.tobytes() == np.ascontiguousarray(b).tobytes()


def test_horner_is_polyval(compiled) -> None:
    rng = np.random.default_rng(6)
    specials = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e300, -1e-300])
    for trial in range(300):
        coef = rng.normal(size=int(rng.integers(1, 4))) * 10.0 ** rng.uniform(-5, 5)
        if trial % 7 == 0:
            coef[rng.integers(len(coef))] = rng.choice([0.0, -0.0])
        g = np.concatenate([rng.normal(size=int(rng.integers(1, 50))) * 100.0, specials[: trial % 8]])
        with np.errstate(all="ignore"):
            want = np.polyval(coef, g)
            got = pk.horner(coef, g)
        assert got.tobytes() == want.tobytes()


def test_row_sums_are_add_reduce() -> None:
    """The compiled row sum is numpy's pairwise one: every width a prognosis meets and beyond."""
    rng = np.random.default_rng(8)
    for width in range(1, 129):
        k = rng.normal(size=(5, width)) * 10.0 ** rng.uniform(-8, 8, size=(5, width))
        k[0, 0] = -0.0
        want = np.add.reduce(k, axis=1)
        for i in range(5):
            assert np.float64(pk._row_sum_nb(k, i, 0, width)).tobytes() == want[i].tobytes()
        for spell in (1, 2, 3):
            s0 = max(width - spell, 0)
            want = np.add.reduce(k[:, s0:], axis=1)
            got = np.array([pk._row_sum_nb(k, i, s0, width) for i in range(5)])
            assert got.tobytes() == want.tobytes()


def test_passage_days_is_the_plain_numpy(compiled) -> None:
    """The same dates as the plain numpy steps over the whole grid (test_prognosis_exact), over short and long histories (1 to 14 healthy
    days, the spell's weights or none), near dates, dates months away, none."""
    rng = np.random.default_rng(9)
    grid = pg._GRID
    kinds = set()
    for trial in range(200):
        curves, _, base, target, h = _curves(rng, trial)
        rho = float(rng.uniform(0.0, 0.95)) if trial % 2 else 0.0
        for curve in curves:
            want = _passage_whole_grid(curve(grid), grid, base, h, target, rho)
            assert pg._passage_days(curve, grid, base, h, target, rho) == want
            kinds.add("none" if want is None else "cap" if want == pg.CAP_DAYS else "date")
    assert kinds == {"none", "cap", "date"}


def test_passage_steps_are_numpys_to_the_bit(compiled) -> None:
    rng = np.random.default_rng(10)
    for trial in range(200):
        nb = int(rng.integers(1, 16))
        base = rng.normal(40, 3, nb)
        h = pg._bandwidth(base)
        e = rng.normal(0, 20, 120)
        e[:3] = [np.nan, np.inf, -np.inf]
        target = 45.0
        z = base[None, :] + e[:, None]
        z -= target
        z /= h[None, :]
        np.minimum(np.maximum(z, -30.0, out=z), 30.0, out=z)
        z *= -1.702
        got = pk.passage_z(base, e, target, h)
        assert got.tobytes() == z.tobytes()
        np.exp(z, out=z)
        ez = z.copy()
        w = rng.uniform(0, 1, 120) if trial % 2 else None
        z += 1.0
        k = np.divide(1.0, z, out=z)
        p = np.add.reduce(k, axis=1) / k.shape[1]
        if w is not None:
            sp = k[:, -pg.SPELL_DAYS:]
            p = (1.0 - w) * p + w * (np.add.reduce(sp, axis=1) / sp.shape[1])
        assert pk.passage_q(ez, w, pg.SPELL_DAYS).tobytes() == (1.0 - p).tobytes()
        terms = rng.uniform(0.97, 1.0, 120)
        prev = float(rng.uniform(0.5, 1.0))
        acc = np.multiply.accumulate(np.concatenate([[prev], terms]))[1:]
        below = np.flatnonzero(acc <= 0.5)
        want = (int(below[0]), acc[below[0]]) if len(below) else (-1, acc[-1])
        at, last = pk.survival(terms, prev)
        assert at == want[0] and np.float64(last).tobytes() == np.float64(want[1]).tobytes()
