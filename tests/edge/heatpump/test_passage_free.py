"""The thirteenth round's shortcuts in the prognosis refreshes give the numbers of what they replaced,
to the bit: numpy's exp taken only of the logistic's exponents not at a clip (passage_free,
passage_q_free), the spell's weights kept per block (_spell_weights), and the over-current's
learned rating read from the hours' columns (learned_rated_current_cols)."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from heatwatch.edge.heatpump import prognosis as pg
from heatwatch.edge.heatpump import prognosis_kernels as pk
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES


def _inputs(rng: np.random.Generator, trial: int) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    nb = int(rng.integers(1, 20))
    base = rng.normal(40, rng.choice([0.5, 3.0, 20.0]), nb)
    h = pg._bandwidth(base)
    target = 40.0 + float(rng.choice([1.0, 5.0, 30.0, 200.0])) * float(rng.random())
    e = rng.normal(0, rng.choice([1.0, 20.0, 300.0]), int(rng.integers(1, 121)))
    if trial % 3 == 0:  # elements exactly at the clips, and the values numpy treats apart
        e[: min(len(e), 6)] = [np.nan, np.inf, -np.inf, -0.0, 0.0, 1e308][: min(len(e), 6)]
        j = int(rng.integers(nb))
        e[-1] = target - base[j] + 30.0 * h[j] if trial % 2 else target - base[j] - 30.0 * h[j]
    return base, e, target, h


def test_exp_of_the_free_exponents_is_exp_of_all() -> None:
    """passage_free's exponents are passage_z's, and passage_q_free of numpy's exp of the free ones is
    passage_q of numpy's exp of all of them, byte for byte, with the spell's weights and without."""
    if not pk.AVAILABLE:
        pytest.fail("numba is part of the dev install")
    rng = np.random.default_rng(31)
    clipped = free = 0
    for trial in range(600):
        base, e, target, h = _inputs(rng, trial)
        w = rng.uniform(0, 1, len(e)) if trial % 2 else None
        z_all = pk.passage_z(base, e, target, h)
        z, u = pk.passage_free(base, e, target, h)
        assert z.tobytes() == z_all.tobytes()
        at_clip = (z_all == pk.Z_CLIP_LOW) | (z_all == pk.Z_CLIP_HIGH)
        assert u.tobytes() == z_all[~at_clip].tobytes()
        clipped += int(at_clip.sum())
        free += len(u)
        with np.errstate(over="ignore"):
            np.exp(z_all, out=z_all)
            np.exp(u, out=u)
        for spell in (1, pg.SPELL_DAYS, 3):
            want = pk.passage_q(z_all.copy(), w, spell)
            assert pk.passage_q_free(z, u, w, spell).tobytes() == want.tobytes()
    assert clipped > 1000 and free > 1000


def _curves(rng: np.random.Generator, trial: int) -> tuple[list, np.ndarray, np.ndarray, float, np.ndarray]:
    n = int(rng.integers(4, 31))
    x = -np.arange(n)[::-1] - rng.random()
    y = rng.choice([0.0, 0.01, 0.05, 0.2, 1.0]) * rng.random() * (x - x[0]) ** rng.choice([1.0, 1.5, 2.0]) \
        + rng.normal(0, rng.choice([0.01, 0.1, 0.5]), n)
    if trial % 5 == 0:
        y = -y
    base = rng.normal(40, rng.choice([0.5, 2, 5]), int(rng.integers(1, 15)))
    target = 40 + rng.choice([1, 5, 10, 30, 100]) * rng.random()
    return pg._excess_curves(x, y), x, base, target, pg._bandwidth(base)


def test_passage_days_with_the_free_exponents_is_the_reference(monkeypatch) -> None:
    """_passage_days' dates with the shortcuts (exp of the free exponents, kept spell weights, the days
    left unread where the product cannot be halved on them) are the reference path's (numpy's exp of
    every element, rho ** g afresh, every block read), for every kind of date."""
    rng = np.random.default_rng(32)
    kinds = set()
    for trial in range(250):
        curves, _, base, target, h = _curves(rng, trial)
        rho = float(rng.uniform(0.0, 0.95)) if trial % 3 else 0.0
        for curve in curves:
            got = pg._passage_days(curve, pg._GRID, base, h, target, rho)
            with monkeypatch.context() as m:
                m.setattr(pg, "PASSAGE_FREE", False)
                m.setattr(pg, "PASSAGE_BOUND", False)
                m.setattr(pg, "_spell_weights", lambda r, grid, s: r ** grid[s:s + pg.PASSAGE_BLOCK])
                want = pg._passage_days(curve, pg._GRID, base, h, target, rho)
            assert got == want
            kinds.add("none" if want is None else "cap" if want == pg.CAP_DAYS else "date")
    assert kinds == {"none", "cap", "date"}


def test_spell_weights_are_the_power_of_the_block() -> None:
    """The kept weights are rho ** the block, whichever rho came last, on any grid."""
    rng = np.random.default_rng(33)
    grids = [pg._GRID, np.arange(0.5, 40.0, 0.5)]
    for _ in range(300):
        grid = grids[int(rng.integers(2))]
        rho = float(rng.choice([0.3, 0.7, rng.uniform(0.01, 0.95)]))
        s = int(rng.integers(0, (len(grid) - 1) // pg.PASSAGE_BLOCK + 1)) * pg.PASSAGE_BLOCK
        assert pg._spell_weights(rho, grid, s).tobytes() == (rho ** grid[s:s + pg.PASSAGE_BLOCK]).tobytes()


def _hours(rng: np.random.Generator, n: int) -> list:
    k = len(TARGET_NAMES)
    ja, jh = TARGET_NAMES.index("compressor_a"), TARGET_NAMES.index("compressor_hz")
    rows = []
    for q in range(n):
        m, hi, lo = rng.normal(0, 1, k), rng.normal(10, 3, k), rng.normal(5, 3, k)
        hi[jh] = rng.uniform(0, 110)
        hi[ja] = 0.1 * hi[jh] + rng.normal(0, 1)
        for arr in (m, hi):
            if rng.random() < 0.1:
                arr[rng.choice([ja, jh])] = rng.choice([np.nan, np.inf, -np.inf, 0.0, -0.0, 30.0])
        rows.append((q * 3600.0, m, hi, lo))
    return rows


def test_learned_rating_from_the_columns_is_the_hour_loop() -> None:
    """learned_rated_current_cols and the most drawn from the columns are the per-hour loop's, with NaN,
    infinities, zeros and too few hours."""
    rng = np.random.default_rng(34)
    ja, jh = TARGET_NAMES.index("compressor_a"), TARGET_NAMES.index("compressor_hz")
    rated = 0
    with np.errstate(invalid="ignore"):
        for trial in range(300):
            rows = _hours(rng, int(rng.integers(1, 200)))
            if trial % 10 == 0:
                for _, _, hi, _ in rows:
                    hi[ja] = np.nan
            cols = pg._stack_hours(rows)
            want = pg.learned_rated_current(rows, ja, jh)
            got = pg.learned_rated_current_cols(cols, ja, jh)
            assert (got is None) == (want is None)
            if want is not None:
                assert np.float64(got).tobytes() == np.float64(want).tobytes()
                rated += 1
            drawn = max((h[2][ja] for h in rows if not math.isnan(h[2][ja])), default=0.0)
            assert pg._most_drawn(cols[2][:, ja]) == drawn
    assert 50 < rated < 300


def _series(rng: np.random.Generator, trial: int) -> tuple[np.ndarray, np.ndarray]:
    n = int(rng.integers(0, 36))
    x = -np.arange(n)[::-1] - rng.random()
    y = rng.choice([0.0, 0.01, 0.2, 1.0]) * rng.random() * (x - x[0] if n else x) ** rng.choice([1.0, 2.0]) \
        + rng.normal(0, rng.choice([0.001, 0.1, 1.0]), n) + rng.choice([0.0, 0.5, 5.0])
    if n and trial % 7 == 0:  # a non-positive day inside some windows only, NaN, a flat run
        y[int(rng.integers(n))] = rng.choice([0.0, -0.0, -1.0, np.nan])
    if n > 6 and trial % 11 == 0:
        y[-6:] = 2.0
    return x, y


def test_batched_fits_are_the_fit_by_fit_curves() -> None:
    """_excess_curves (its windows' matrices in one compiled call, the solves under one error state)
    gives the curves of the fit-by-fit reference: as many, in the same order, each the same numbers on
    the grid and at now, over 0 to 35 days, with non-positive and NaN days and flat runs."""
    rng = np.random.default_rng(35)
    grid = np.concatenate([[0.0, -3.0], pg._GRID])
    laws = raised = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for trial in range(800):
            x, y = _series(rng, trial)
            with np.errstate(all="ignore"):
                try:
                    want = pg._excess_curves_reference(x, y)
                except np.linalg.LinAlgError:  # a NaN day: LAPACK's SVD fails, and it fails the same way
                    with pytest.raises(np.linalg.LinAlgError):
                        pg._excess_curves(x, y)
                    raised += 1
                    continue
                got = pg._excess_curves(x, y)
                assert len(got) == len(want)
                for g, w in zip(got, want):
                    assert g(grid).tobytes() == w(grid).tobytes()
            laws += len(want)
    assert laws > 800 and 0 < raised < 100


def test_fit_matrices_are_fit_matrix_window_by_window(monkeypatch) -> None:
    """fit_matrices (compiled, and its numpy path) is fit_matrix of each window, byte for byte."""
    rng = np.random.default_rng(36)
    for trial in range(300):
        n = int(rng.integers(5, 40))
        x = (np.arange(n) - rng.uniform(0, 40)) * rng.choice([1.0, 0.37])
        y = np.abs(rng.normal(size=n).cumsum()) * rng.choice([1e-3, 1.0, 50.0]) + 1e-3
        logy = np.log(y)
        k = int(rng.integers(1, 8))
        los = rng.integers(0, n - 4, k)
        his = np.minimum(los + rng.integers(4, n, k), n)
        orders = rng.choice([2, 3], k)
        weighted = (orders == 2) & (rng.random(k) < 0.5)
        for compiled in (True, False):
            monkeypatch.setattr(pk, "AVAILABLE", compiled)
            lhs, rhs, scale = pk.fit_matrices(x, y, logy, los, his, orders, weighted)
            r0 = 0
            for f in range(k):
                lo, hi, order = int(los[f]), int(his[f]), int(orders[f])
                a, b, s = pk.fit_matrix(x[lo:hi], logy[lo:hi] if weighted[f] else y[lo:hi],
                                        y[lo:hi] if weighted[f] else None, order)
                assert np.ascontiguousarray(lhs[r0:r0 + hi - lo, :order]).tobytes() == a.tobytes()
                assert rhs[r0:r0 + hi - lo].tobytes() == b.tobytes()
                assert scale[f, :order].tobytes() == s.tobytes()
                r0 += hi - lo


def test_days_left_unread_only_where_no_passage_is_left(monkeypatch) -> None:
    """_survives_rest stops the blocks only where the reference finds no passage on the days left:
    curves that fall away, stay flat, creep toward the limit and just miss it or just make it late in
    the year, a NaN or an infinity on the way, near and far limits, with the spell's weights and without."""
    rng = np.random.default_rng(37)
    grid = pg._GRID
    stopped, kinds = [0], set()
    real = pg._survives_rest

    def counted(*a):  # noqa: ANN002, ANN202
        out = real(*a)
        stopped[0] += out
        return out

    monkeypatch.setattr(pg, "_survives_rest", counted)
    for trial in range(600):
        nb = int(rng.integers(1, 15))
        base = rng.normal(40, rng.choice([0.3, 2.0, 6.0]), nb)
        h = pg._bandwidth(base)
        target = float(base.max() + rng.choice([0.5, 2.0, 5.0, 15.0]) * rng.random())
        e0, slope = float(rng.normal(0, 3)), float(rng.choice([-0.1, -0.01, 0.0, 0.003, 0.01, 0.03]))
        bend = float(rng.choice([0.0, 0.0, -1e-4, 1e-5]))
        bad = rng.choice([None, np.nan, np.inf], p=[0.9, 0.05, 0.05])
        at = int(rng.integers(120, len(grid)))

        def curve(g, e0=e0, slope=slope, bend=bend, bad=bad, at=at):  # noqa: ANN001, ANN202
            e = e0 + slope * g + bend * g * g
            if bad is not None:
                e = np.where(np.isclose(g, grid[at]), bad, e)
            return e

        rho = float(rng.uniform(0.0, 0.95)) if trial % 2 else 0.0
        got = pg._passage_days(curve, grid, base, h, target, rho)
        with monkeypatch.context() as m:
            m.setattr(pg, "PASSAGE_BOUND", False)
            want = pg._passage_days(curve, grid, base, h, target, rho)
        assert got == want or (got is None and want is None)
        kinds.add("none" if want is None else "cap" if want == pg.CAP_DAYS else "late" if want > 90 else "date")
    assert kinds == {"none", "cap", "date", "late"}
    assert stopped[0] > 100


def test_largest_v_compiled_is_numpys(monkeypatch) -> None:
    """The bound's largest (base + e - target) / h, compiled and through numpy: the same number, NaN
    where a day is NaN or a width not positive."""
    rng = np.random.default_rng(38)
    nan = 0
    for trial in range(500):
        base = rng.normal(40, 5, int(rng.integers(1, 15)))
        h = pg._bandwidth(base)
        if trial % 9 == 0:
            base[int(rng.integers(len(base)))] = np.nan
        if trial % 13 == 0:
            h[int(rng.integers(len(h)))] = rng.choice([0.0, -1.0, np.nan])
        e, target = float(rng.normal(0, 10)), float(rng.uniform(30, 60))
        with np.errstate(all="ignore"):
            want = float(((base + e - target) / h).max()) if (h > 0).all() else np.nan
        got = pk.largest_v(base, e, target, h)
        monkeypatch.setattr(pk, "AVAILABLE", False)
        plain = pk.largest_v(base, e, target, h)
        monkeypatch.setattr(pk, "AVAILABLE", True)
        assert np.float64(got).tobytes() == np.float64(want).tobytes() == np.float64(plain).tobytes() or \
            (np.isnan(got) and np.isnan(want) and np.isnan(plain))
        nan += bool(np.isnan(want))
    assert 30 < nan < 200


def test_bound_before_the_first_block_is_the_blocks_own(monkeypatch) -> None:
    """PASSAGE_BOUND_FIRST (the bound taken before any block is read, on the whole grid's curve) gives
    _passage_days' dates with it off (the bound after each block only) and with no bound at all, on
    curves that fall, stay flat, creep, just miss or just make the limit, a NaN or an infinity on the way
    (no stop then), exponential and polynomial laws, with and without the spell; and it does stop
    before the first block (fails on main: no PASSAGE_BOUND_FIRST)."""
    rng = np.random.default_rng(3704)
    grid = pg._GRID
    first = [0]
    real = pg._survives_rest

    def counted(base, h, target, e_max, n_left, survive):  # noqa: ANN001, ANN202
        out = real(base, h, target, e_max, n_left, survive)
        first[0] += bool(out and n_left == len(grid))
        return out

    kinds = set()
    for trial in range(500):
        base = rng.normal(40, rng.choice([0.3, 2.0, 6.0]), int(rng.integers(1, 15)))
        h = pg._bandwidth(base)
        target = float(base.max() + rng.choice([0.5, 2.0, 5.0, 15.0, 40.0]) * rng.random())
        e0, slope = float(rng.normal(0, 3)), float(rng.choice([-0.1, -0.01, 0.0, 0.003, 0.01, 0.03]))
        bad = rng.choice([None, np.nan, np.inf], p=[0.8, 0.1, 0.1])
        at = int(rng.integers(0, len(grid)))
        if trial % 4 == 0:  # an exponential law, numpy's exp element by element
            c = float(rng.choice([1e-3, 0.01, 0.05]))

            def curve(g, a=e0 * 0.1, c=c):  # noqa: ANN001, ANN202
                return np.exp(a + c * np.minimum(g, 60.0 / c))
        else:
            def curve(g, e0=e0, slope=slope, bad=bad, at=at):  # noqa: ANN001, ANN202
                e = e0 + slope * g
                return e if bad is None else np.where(np.isclose(g, grid[at]), bad, e)
        rho = float(rng.uniform(0.0, 0.95)) if trial % 2 else 0.0
        with monkeypatch.context() as m:
            m.setattr(pg, "_survives_rest", counted)
            got = pg._passage_days(curve, grid, base, h, target, rho)
        with monkeypatch.context() as m:
            m.setattr(pg, "PASSAGE_BOUND_FIRST", False)
            after = pg._passage_days(curve, grid, base, h, target, rho)
            m.setattr(pg, "PASSAGE_BOUND", False)
            want = pg._passage_days(curve, grid, base, h, target, rho)
        assert got == after == want or (got is None and after is None and want is None), (trial, got, after, want)
        kinds.add("none" if want is None else "cap" if want == pg.CAP_DAYS else "date")
    assert kinds == {"none", "cap", "date"}
    assert first[0] > 50, first
