"""The trend's forecast errors in Python floats (prognosis._holdout_scores_fast): numpy's numbers, to the bit.

Fails before: prognosis has no _holdout_scores_fast (nor HOLDOUT_FAST to turn off), and _fits had no
running count of the days that are not positive."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from heatwatch.edge.heatpump import prognosis as pg
from tests.edge.heatpump.test_passage_free import _series


def _same(a: list, b: list) -> bool:
    """The same (error, window, law) triples; an error the same bytes (NaN: any NaN)."""
    return len(a) == len(b) and all(
        (wa, ma) == (wb, mb) and (np.float64(ea).tobytes() == np.float64(eb).tobytes() or (ea != ea and eb != eb))
        for (ea, wa, ma), (eb, wb, mb) in zip(a, b))


def test_fast_scores_are_numpys() -> None:
    """Every window's and law's held-out error as _holdout_scores makes it with numpy, on 0 to 35 days
    with non-positive and NaN days, flat runs, huge and infinite excesses, for each set of laws."""
    rng = np.random.default_rng(3504)
    polys = 0
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for trial in range(900):
            x, y = _series(rng, trial)
            if len(y) and trial % 13 == 0:
                y[int(rng.integers(len(y)))] = rng.choice([np.inf, -np.inf, 1e300, -1e-300])
            models = [pg.MODELS, ("line",), ("line", "levelling"), ("parabola", "exp")][trial % 4]
            n = len(x)
            specs = list(dict.fromkeys((max(0, n - pg.HOLDOUT_DAYS - w), n - pg.HOLDOUT_DAYS, m)
                                       for w in pg.WINDOWS_DAYS for m in models))
            try:
                fits = dict(zip(specs, pg._fits(x, y, specs)))
            except np.linalg.LinAlgError:  # a NaN day: LAPACK's SVD fails (no scores to compare)
                continue
            polys += sum(hasattr(f, "terms") for f in fits.values())
            def fit(lo, hi, m):  # noqa: ANN001, ANN202, E306
                return fits[(lo, hi, m)]
            assert _same(pg._holdout_scores_fast(x, y, fit, models), pg._holdout_scores(x, y, fit, models))
    assert polys > 2000


def test_fits_of_windows_with_a_day_not_positive_are_none() -> None:
    """The running count of days not positive leaves out exactly the exponential windows holding one
    (0, -0.0, negative), as the per-window test did; a window ending before the history's end too."""
    x = np.arange(12.0) - 12.0
    y = np.linspace(1.0, 3.0, 12)
    specs = [(0, 6, "exp"), (6, 12, "exp"), (2, 10, "exp"), (0, -2, "exp"), (0, 12, "line")]
    for bad, at in ((0.0, 3), (-0.0, 8), (-1.0, 11), (-5.0, 0)):
        yb = y.copy()
        yb[at] = bad
        for (lo, hi, m), f in zip(specs, pg._fits(x, yb, specs)):
            assert (f is None) == (m == "exp" and lo <= at < (hi if hi >= 0 else hi + 12))


@pytest.mark.parametrize("fast", [True, False])
def test_excess_curves_either_way(monkeypatch: pytest.MonkeyPatch, fast: bool) -> None:
    """_excess_curves with HOLDOUT_FAST on and off: the same laws, the same numbers on the grid."""
    rng = np.random.default_rng(3505)
    grid = np.concatenate([[0.0, -3.0], pg._GRID])
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        for trial in range(300):
            x, y = _series(rng, trial)
            try:
                monkeypatch.setattr(pg, "HOLDOUT_FAST", True)
                got = pg._excess_curves(x, y)
                monkeypatch.setattr(pg, "HOLDOUT_FAST", fast)
                want = pg._excess_curves(x, y)
            except np.linalg.LinAlgError:
                continue
            assert [g(grid).tobytes() for g in got] == [w(grid).tobytes() for w in want]
