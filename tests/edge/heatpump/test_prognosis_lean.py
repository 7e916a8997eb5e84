"""The prognosis's small steps without numpy's wrappers and scalars: numpy's numbers, to the bit.

Fails before: prognosis has no PERSISTENCE_LEAN (nor _lag_correlation) and no DAILY_ITEMS."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from heatwatch.edge.heatpump import prognosis as pg
from heatwatch.units import DAY


def _bits(v: float) -> bytes:
    return np.float64(v).tobytes()


def _days(rng: np.random.Generator, trial: int) -> tuple[np.ndarray, np.ndarray | None]:
    """A month of healthy worst days (0 to 35 of them): weather-like, flat, tied, tiny, huge, NaN, infinite;
    their times every day, with gaps, or none."""
    n = int(rng.integers(0, 36))
    kind = trial % 9
    if kind == 0:
        base = np.full(n, float(rng.normal()))  # flat: no spread
    elif kind == 1:
        base = rng.integers(-2, 3, n).astype(float)  # ties
    elif kind == 2:
        base = rng.normal(size=n) * 1e-160  # squares that underflow
    elif kind == 3:
        base = rng.normal(size=n) * 1e155  # squares that overflow
    elif kind == 4:
        base = np.cumsum(rng.normal(size=n)) + 40.0
        if n:
            base[rng.integers(0, n, 1 + n // 10)] = rng.choice([np.nan, np.inf, -np.inf])
    elif kind == 5:
        base = np.where(rng.random(n) < 0.5, 0.0, -0.0)  # signed zeros
    elif kind == 6:
        base = np.full(n, 5.0)
        if n:
            base[-1] = 5.0 + 1e-300  # one lone subnormal-scale change
    else:
        base = 50.0 + 0.3 * np.cumsum(rng.normal(size=n)) + rng.normal(size=n)
    t = np.arange(n) * DAY + 0.5 * DAY
    times = [None, t, t + np.where(rng.random(n) < 0.2, DAY, 0.0).cumsum()][trial % 3]
    return base, times


@pytest.mark.parametrize("seed", [3701, 3702])
def test_lean_persistence_is_numpys(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """_persistence with PERSISTENCE_LEAN on and off, the same bytes, on 1,500 months of days."""
    rng = np.random.default_rng(seed)
    counted = {"spread": 0, "none": 0, "nan": 0}
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for trial in range(1500):
            base, times = _days(rng, trial)
            monkeypatch.setattr(pg, "PERSISTENCE_LEAN", False)
            want = pg._persistence(base, times)
            monkeypatch.setattr(pg, "PERSISTENCE_LEAN", True)
            got = pg._persistence(base, times)
            assert _bits(got) == _bits(want), (trial, got, want, base, times)
            counted["nan" if want != want else "spread" if want != 0.0 else "none"] += 1
    assert min(counted.values()) > 20, counted  # each way out taken


def test_lag_correlation_edges() -> None:
    """np.corrcoef's cross term (None where np.std is not above 0) on hand-made pairs: a perfect
    line (clipped at 1), its mirror (-1), a flat row, one row NaN, an infinite value."""
    up = np.arange(8.0)
    assert pg._lag_correlation(up, 3.0 * up + 1.0) == float(np.corrcoef(up, 3.0 * up + 1.0)[0, 1])
    assert pg._lag_correlation(up, -up) == float(np.corrcoef(up, -up)[0, 1])
    assert pg._lag_correlation(up, np.ones(8)) is None
    assert pg._lag_correlation(np.full(8, -0.0), up) is None
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nan_row = np.where(up > 3, np.nan, up)
        assert np.isnan(pg._lag_correlation(nan_row, up))
        inf_row = np.where(up > 6, np.inf, up)
        assert _bits(pg._lag_correlation(inf_row, up)) == _bits(float(np.corrcoef(inf_row, up)[0, 1]))


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_daily_sums_from_items_are_numpys(sign: float, monkeypatch: pytest.MonkeyPatch) -> None:
    """_daily's per-day sums with DAILY_ITEMS on and off, the same bytes: hours with NaN, infinities,
    signed zeros, huge values (sums that overflow), days out of order and days with one hour."""
    rng = np.random.default_rng(3703)
    days = 0
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for trial in range(300):
            n = int(rng.integers(0, 120))
            t = np.sort(rng.uniform(0, 10 * DAY, n)) if trial % 5 else rng.uniform(0, 10 * DAY, n)
            scale = [1.0, 1e307, 1e-310][trial % 3]
            hours = []
            for k in range(n):
                m, hi, lo = (rng.normal(size=4) * scale for _ in range(3))
                for arr in (m, hi, lo):
                    if rng.random() < 0.1:
                        arr[int(rng.integers(4))] = rng.choice([np.nan, np.inf, -np.inf, 0.0, -0.0])
                hours.append((float(t[k]), m, hi, lo))
            for j in range(4):
                least = int(rng.integers(1, 4))
                monkeypatch.setattr(pg, "DAILY_ITEMS", True)
                got = pg._daily(hours, j, sign, min_hours=least)
                monkeypatch.setattr(pg, "DAILY_ITEMS", False)
                want = pg._daily(hours, j, sign, min_hours=least)
                assert all(g.tobytes() == w.tobytes() and g.dtype == w.dtype for g, w in zip(got, want)), (trial, j)
                days += len(want[0])
    assert days > 1000
