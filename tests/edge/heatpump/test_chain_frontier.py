"""The leak chain's day frontier (prognosis_chain._day_frontier): a day's worst hour is on it.

Fails before the frontier: prognosis_chain has no _day_frontier (nor CHAIN_FRONTIER to turn off)."""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.edge.heatpump import prognosis_chain as pc
from tests.edge.heatpump.test_chain_bound import GRID, _curves, _hours


def test_the_worst_hours_of_the_frontier_are_those_of_every_hour() -> None:
    """_worst_days over the frontier's hours: the same numbers as over every hour, at charge indices
    from falling to far past the end stop, NaN and infinities among them; ties and equal hours kept once."""
    rng = np.random.default_rng(3902)
    fewer = 0
    for trial in range(80):
        days = int(rng.integers(3, 31))
        d_days = np.sort(rng.choice(np.arange(20000, 20000 + days), int(rng.integers(30, 700))))
        base_eev = np.round(rng.uniform(5.0, 99.0, len(d_days)), int(rng.integers(0, 3)))  # ties too
        base_dis = np.round(rng.normal(70.0, 8.0, len(d_days)), int(rng.integers(0, 3)))
        keep = pc._day_frontier(d_days, base_eev, base_dis)
        assert keep is not None and (np.diff(keep) > 0).all()
        assert np.array_equal(np.unique(d_days[keep]), np.unique(d_days))  # every day keeps an hour
        fewer += len(keep) < 0.5 * len(d_days)
        c = np.sort(rng.uniform(-1.5, 1.5, 120))[:, None] * rng.uniform(0.0, 1.0)
        if trial % 4 == 0:
            c[int(rng.integers(len(c)))] = rng.choice([np.nan, np.inf, -np.inf])
        beta = float(rng.choice([0.0, rng.uniform(0.0, 30.0)]))
        starts = np.flatnonzero(np.r_[True, np.diff(d_days) != 0])
        kd = d_days[keep]
        with np.errstate(invalid="ignore"):
            every = pc._worst_days(c, base_eev, base_dis, beta, 40.0, starts, d_days)
            front = pc._worst_days(c, base_eev[keep], base_dis[keep], beta, 40.0,
                                   np.flatnonzero(np.r_[True, np.diff(kd) != 0]), kd)
        # NaN where every hour's is (an infinite c times a zero beta): its sign bit may be another
        # NaN's, which no later step reads (a NaN share halves no product); every other number the same bytes
        nan = np.isnan(every)
        assert np.array_equal(np.isnan(front), nan)
        assert front[~nan].tobytes() == every[~nan].tobytes()
    assert fewer > 60, "most days' hours were outdone by another of the day"


def test_no_frontier_for_days_out_of_order() -> None:
    assert pc._day_frontier(np.array([3, 2, 2]), np.ones(3), np.ones(3)) is None
    assert pc._day_frontier(np.array([2, 2, 3]), np.array([5.0, 6.0, 5.0]), np.array([7.0, 6.0, 1.0])).tolist() == [0, 1, 2]
    assert pc._day_frontier(np.array([2, 2, 2]), np.array([5.0, 6.0, 6.0]), np.array([7.0, 7.0, 7.0])).tolist() == [1]


def test_the_chain_on_its_frontier_dates_as_on_every_hour(monkeypatch: pytest.MonkeyPatch) -> None:
    """leak_discharge_days with the frontier: the dates of every hour taken, for every kind of date."""
    rng = np.random.default_rng(3903)
    kinds: set[str] = set()
    for trial in range(30):
        rows = _hours(rng, int(rng.integers(8, 35)))
        now = rows[-1][0] + 3600.0
        target = float(rng.choice([85.0, 95.0, 110.0, 140.0]))
        curves = _curves(rng, trial)
        got = []
        for frontier in (True, False):
            monkeypatch.setattr(pc, "CHAIN_FRONTIER", frontier)
            got.append(pc.leak_discharge_days(rows, now, 0, 1, target, 30, GRID, lambda x, y: curves))
        assert got[0] == got[1]
        kinds.add("none" if got[1] is None else "cap" if got[1] == GRID[-1] else "date")
    assert kinds == {"none", "cap", "date"}
