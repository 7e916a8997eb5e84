"""bench/costtable55_tools/fit_cost.py fits per raw band the told / raw ratio of least weighed cost (early + 7 x
late): where a few dates of a band come over twice late, the cost draws the whole band in, even at the price of
every within-x2 date; the frontier form ("pareto") moves a band only where the cost falls and within x2 does not;
an urgent raw date stays urgent and every date stays inside its interval; a dump's date is re-made as main's table
makes it (at the hour it was made, for the loop's half-days)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench" / "costtable55_tools"))
from fit_cost import dump_told, fit, told_log2  # noqa: E402

from heatwatch.edge.heatpump.prognosis_calibration import CALIBRATION  # noqa: E402


def _fleet(r: list[float], raw_days: float = 12.0, design: str = "normal") -> dict:
    """Estimates of one raw date whose actual is raw x 2^r; main told the raw date itself."""
    x = np.full(len(r), math.log2(raw_days))
    return {"design": design, "x": x, "y": x + np.array(r), "shift": np.zeros(len(r)),
            "q_low": np.full(len(r), -10.0), "q_high": np.full(len(r), 10.0), "main": x.copy()}


def test_a_few_late_dates_draw_the_whole_band_in():
    one_late = {"a": _fleet([0.0] * 10 + [-3.0])}  # told the raw date: one over twice late costs 7 < 10 early
    assert fit(one_late, (0.0,))[0] == pytest.approx(0.0)  # the middle of the cheapest run, -1 .. +1
    two_late = {"a": _fleet([0.0] * 10 + [-3.0] * 2)}  # two late (14) cost more than ten early (10)
    assert fit(two_late, (0.0,))[0] == pytest.approx(-2.5)  # every date told over twice too soon
    assert fit(two_late, (0.0,), keep_within=True)[0] == pytest.approx(0.0)  # as many within x2 as main
    assert np.isnan(fit(two_late, (0.0,), keep_within="pareto")[0])  # no cheaper ratio keeps them: main's


def test_designs_weigh_alike():
    # a slow design of 30 estimates all due 8 times later than raw, a normal one of 3 on the raw date: weighed
    # alike, the slow ones told early (1) cost less than the normal ones told late (7); by count (30 early
    # against 21) the slow design alone would set the ratio, near +3
    data = {"n": _fleet([0.0] * 3), "s": _fleet([3.0] * 30, design="slow")}
    assert -1.0 <= fit(data, (0.0,))[0] <= 1.0
    by_count = {"n": _fleet([0.0] * 3), "s": _fleet([3.0] * 30)}
    assert fit(by_count, (0.0,))[0] == pytest.approx(3.0)


def test_an_urgent_raw_date_stays_urgent_and_inside_its_interval():
    x = np.array([math.log2(1.5), math.log2(10.0)])
    t = told_log2(np.array([2.0, 2.0]), x, np.zeros(2), np.array([-3.0, -3.0]), np.array([5.0, 1.5]))
    assert 2 ** t[0] == pytest.approx(2.0)  # 1.5 days lifted x4 is held at the urgent band's 2 days
    assert 2 ** t[1] == pytest.approx(10.0 * 2 ** 1.5)  # x4 kept inside the interval's x2.83


def test_a_dumps_date_is_main_table_as_made():
    raw, fault = 48.75, "condenser_fouling"
    cal = CALIBRATION.for_fault(fault, raw)
    date = min(max(cal.recalibrated_days(raw) * 2 ** (cal.shift + cal.lift), raw * 2 ** cal.q_low), raw * 2 ** cal.q_high)
    e = dict(raw=raw, fault=fault, lo=raw * 2 ** cal.q_low, hi=raw * 2 ** cal.q_high, move=0.0)
    assert dump_told(e, None, ()) == pytest.approx(date)
    half_day_on = dict(e, raw=raw - 0.5, lo=e["lo"] - 0.5, hi=e["hi"] - 0.5, made_days_ago=0.5)
    assert dump_told(half_day_on, None, ()) == pytest.approx(date - 0.5)  # the loop's half-day, made 12 h before
    assert dump_told(e, np.array([-1.0]), (0.0,)) == pytest.approx(raw / 2)  # a ratio's date
