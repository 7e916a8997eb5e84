"""The leak chain's bound (prognosis_chain._survives_rest): the days it leaves unread hold no passage.

Fails before the bound: prognosis_chain has no CHAIN_BOUND to turn off, and every block is read."""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.edge.heatpump import prognosis_chain as pc
from heatwatch.units import HOUR

GRID = np.arange(0.25, 365.25, 0.25)


def _hours(rng: np.random.Generator, days: int) -> list:
    """A valve opening 20-95 % (some hours at the end stop) and a discharge 60-95 °C, hour by hour."""
    rows = []
    for k in range(days * 24):
        m, hi, lo = np.full(2, np.nan), np.full(2, np.nan), np.full(2, np.nan)
        healthy = rng.uniform(20.0, 95.0)
        m[0] = rng.normal(0.1, 0.05) * healthy
        hi[0], lo[0] = min(healthy + m[0] + rng.uniform(0, 5), 100.0), healthy + m[0] - rng.uniform(0, 5)
        m[1] = rng.normal(0.0, 1.0)
        hi[1] = rng.normal(75.0, 6.0) + m[1]
        lo[1] = hi[1] - 20.0
        rows.append((k * HOUR, m, hi, lo))
    return rows


def _curves(rng: np.random.Generator, trial: int):  # noqa: ANN202
    """Growth laws from falling to steep, some with a NaN or an infinity on a day ahead."""
    out = []
    for _ in range(int(rng.integers(1, 4))):
        c0, slope = float(rng.normal(0.1, 0.05)), float(rng.choice([-0.01, 0.0, 1e-4, 1e-3, 4e-3, 0.02]))
        bend = float(rng.choice([0.0, 0.0, 1e-5, -1e-5]))
        bad = rng.choice([None, np.nan, np.inf], p=[0.8, 0.1, 0.1])
        at = int(rng.integers(0, len(GRID)))

        def curve(g, c0=c0, slope=slope, bend=bend, bad=bad, at=at):  # noqa: ANN001, ANN202
            c = c0 + slope * g + bend * g * g
            if bad is not None and len(g) == len(GRID):
                c = np.where(np.arange(len(g)) == at, bad, c)
            return c
        out.append(curve)
    return out


def test_the_chain_with_its_bound_dates_as_reading_every_block(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leak chain dates with the bound are those with every block read, for every kind of date; and the
    bound leaves blocks unread (the point of it)."""
    rng = np.random.default_rng(3901)
    kinds: set[str] = set()
    reads = {True: 0, False: 0}
    real = pc._trip_shares

    def counted(c, *a):  # noqa: ANN001, ANN202
        reads[pc.CHAIN_BOUND] += len(c) > 1  # a block of future days, not the bound's one
        return real(c, *a)

    monkeypatch.setattr(pc, "_trip_shares", counted)
    real_free = pc.prognosis_kernels.chain_free

    def counted_free(c, *a):  # noqa: ANN001, ANN202  (a block read by the compiled shares: CHAIN_COMPILED)
        reads[pc.CHAIN_BOUND] += len(c) > 1
        return real_free(c, *a)

    monkeypatch.setattr(pc.prognosis_kernels, "chain_free", counted_free)
    for trial in range(40):
        rows = _hours(rng, int(rng.integers(8, 35)))
        now = rows[-1][0] + HOUR
        target = float(rng.choice([85.0, 95.0, 110.0, 140.0]))
        curves = _curves(rng, trial)
        got, want = [], []
        for bound in (True, False):
            monkeypatch.setattr(pc, "CHAIN_BOUND", bound)
            out = got if bound else want
            for pick in (None, lambda d: next((x for x in d if x is not None), None)):
                out.append(pc.leak_discharge_days(rows, now, 0, 1, target, 30, GRID, lambda x, y: curves, pick=pick))
        assert got == want
        for d in want:
            kinds.add("none" if d is None else "cap" if d == GRID[-1] else "date")
    assert kinds == {"none", "cap", "date"}
    assert reads[True] < 0.5 * reads[False]


def test_the_bound_holds_only_below_half() -> None:
    """No bound on a NaN or infinite largest c, nor once the product is at one half."""
    past = (np.array([50.0]), np.array([80.0]), 1.0, 40.0, np.array([0]), np.array([0]), 90.0, 1.0)
    assert pc._survives_rest(pc._bound_share(0.0, past), 0.25, 100, 1.0)
    assert not pc._survives_rest(pc._bound_share(float("nan"), past), 0.25, 100, 1.0)
    assert not pc._survives_rest(pc._bound_share(float("inf"), past), 0.25, 100, 1.0)
    assert not pc._survives_rest(pc._bound_share(0.0, past), 0.25, 100, 0.5)
    assert not pc._survives_rest(pc._bound_share(2.0, past), 0.25, 100, 1.0)  # the valve short at c = 2


def test_the_bound_before_the_first_block_dates_as_after_each(monkeypatch: pytest.MonkeyPatch) -> None:
    """CHAIN_BOUND_FIRST (the bound taken on every future day before any block is read) gives the dates
    of the bound after each block only and of every block read, for every kind of date; and it leaves
    laws whole years unread (fails on main: no CHAIN_BOUND_FIRST)."""
    rng = np.random.default_rng(3705)
    kinds: set[str] = set()
    blocks = {"first": 0, "after": 0, "none": 0}
    state = {"now": "first"}
    real_free = pc.prognosis_kernels.chain_free
    real = pc._trip_shares

    def counted_free(c, *a):  # noqa: ANN001, ANN202
        blocks[state["now"]] += len(c) > 1
        return real_free(c, *a)

    def counted(c, *a):  # noqa: ANN001, ANN202
        blocks[state["now"]] += len(c) > 1
        return real(c, *a)

    monkeypatch.setattr(pc.prognosis_kernels, "chain_free", counted_free)
    monkeypatch.setattr(pc, "_trip_shares", counted)
    for trial in range(40):
        rows = _hours(rng, int(rng.integers(8, 35)))
        now = rows[-1][0] + HOUR
        target = float(rng.choice([85.0, 95.0, 110.0, 140.0]))
        curves = _curves(rng, trial)
        dates = {}
        for name, first, bound in (("first", True, True), ("after", False, True), ("none", False, False)):
            state["now"] = name
            monkeypatch.setattr(pc, "CHAIN_BOUND_FIRST", first)
            monkeypatch.setattr(pc, "CHAIN_BOUND", bound)
            dates[name] = [pc.leak_discharge_days(rows, now, 0, 1, target, 30, GRID, lambda x, y: curves, pick=pick)
                           for pick in (None, lambda d: next((x for x in d if x is not None), None))]
        assert dates["first"] == dates["after"] == dates["none"], (trial, dates)
        for d in dates["none"]:
            kinds.add("none" if d is None else "cap" if d == GRID[-1] else "date")
    assert kinds == {"none", "cap", "date"}
    assert blocks["first"] < blocks["after"] < blocks["none"], blocks
