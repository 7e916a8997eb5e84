"""bench/cond_slope.py: the horizon's slope per fault, and the dates it judges them by."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from heatwatch.contract import Prognosis
from heatwatch.edge.heatpump.prognosis_calibration import CALIBRATION, PRIOR_N
from heatwatch.units import DAY

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))


def _fleet(rng: np.random.Generator, fault: str, n: int, noise: float) -> dict[str, np.ndarray]:
    truth = rng.normal(3.5, 1.0, n)
    pred = truth + rng.normal(0.0, noise, n)
    return {"seed": np.full(n, 1001), "fault": np.array([fault] * n), "pred": 2.0 ** pred,
            "actual": 2.0 ** truth, "censored": np.zeros(n, dtype=bool)}


def test_a_fault_whose_dates_carry_more_gets_a_steeper_slope_shrunk_by_its_count():
    """An exact estimator's fault keeps a slope near 1, a noisy one's near 1/2; each is drawn
    toward the pooled slope by PRIOR_N as the table's quantiles are (a fault of few estimates
    mostly takes the pooled one); the pumps not yet tripped are left out of the fit."""
    from cond_slope import per_fault_slopes

    rng = np.random.default_rng(3)
    a, b = _fleet(rng, "exact", 60, 0.05), _fleet(rng, "noisy", 3000, 1.0)
    late = _fleet(rng, "noisy", 500, 0.0) | {"censored": np.ones(500, dtype=bool)}
    d = {k: np.concatenate([a[k], b[k], late[k]]) for k in a}
    pooled, _, per = per_fault_slopes(d)
    own_exact, n_exact, shrunk_exact = per["exact"]
    own_noisy, n_noisy, shrunk_noisy = per["noisy"]
    assert (n_exact, n_noisy) == (60, 3000)
    assert own_exact > 0.95 and 0.4 < own_noisy < 0.6
    w = 60 / (60 + PRIOR_N)
    assert shrunk_exact == pytest.approx(w * own_exact + (1 - w) * pooled)
    assert pooled < shrunk_exact < own_exact and abs(shrunk_noisy - own_noisy) < abs(shrunk_exact - own_exact)


def test_the_bench_dates_are_the_tables_own_and_a_fault_slope_moves_only_its_far_dates():
    """The judged dates are what the shipped table tells a dispatcher (Calibration.apply, every
    horizon band); a slope of 1 for one fault leaves its dates under the pivot and every other
    fault's as they were and its far dates raw."""
    from cond_slope import dates, table_with

    days = np.array([0.5, 1.5, 3.0, 6.0, 12.0, 25.0, 50.0] * 2)
    faults = np.array(["condenser_fouling"] * 7 + ["refrigerant_leak"] * 7)
    d = {"fault": faults, "pred": days}
    date, lo, hi = dates(table_with(None), d)
    now = 1.0e9
    for f, x, got, a, b in zip(faults, days, date, lo, hi):
        raw = Prognosis(indicator="x", threshold=1.0, predicted_trip_ts=now + x * DAY, lower_ts=now,
                        upper_ts=now + 2 * x * DAY)
        p = CALIBRATION.apply(raw, now, str(f))
        assert (p.predicted_trip_ts - now) / DAY == pytest.approx(got)
        assert ((p.lower_ts - now) / DAY, (p.upper_ts - now) / DAY) == pytest.approx((a, b))
    steep, _, _ = dates(table_with({"condenser_fouling": 1.0}), d)
    cond = faults == "condenser_fouling"
    assert np.array_equal(steep[~cond], date[~cond])
    assert np.array_equal(steep[cond & (days < 8)], date[cond & (days < 8)])
    assert np.all(steep[cond & (days > 16)] > date[cond & (days > 16)])
