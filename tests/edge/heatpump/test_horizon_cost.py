"""bench/slowcal51_tools/horizon_cost.py re-dates a dump with another horizon mapping as the table would: the table's
own mapping moves nothing, a larger slope lengthens a long raw date by the two mappings' ratio, kept inside its
interval, and a flat top (a per-band form) holds every raw date beyond its break at the break's date."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench" / "slowcal51_tools"))
from horizon_cost import MAIN, figures, log_told, redated  # noqa: E402

from heatwatch.edge.heatpump.prognosis_calibration import CALIBRATION  # noqa: E402


def test_the_tables_mapping_is_main_and_moves_nothing():
    row = CALIBRATION.for_fault("condenser_fouling", 96.0)
    assert 2 ** MAIN(math.log2(96.0)) == pytest.approx(row.recalibrated_days(96.0))
    est = [dict(raw=96.0, pred=19.5, lo=10.0, hi=300.0, actual=50.0), dict(raw=3.0, pred=4.0, lo=1.0, hi=20.0, actual=1.0)]
    assert figures(est, MAIN)[5] == 0


def test_a_longer_mapping_moves_a_long_date_by_the_ratio_inside_its_interval():
    longer = log_told(0.5, 3.16)
    e = dict(raw=96.0, pred=19.5, lo=10.0, hi=300.0, actual=50.0)
    assert redated(e, longer) == pytest.approx(19.5 * 2 ** (longer(math.log2(96.0)) - MAIN(math.log2(96.0))))
    assert redated(e, longer) == pytest.approx(29.3, abs=0.2)
    assert redated(dict(e, hi=25.0), longer) == 25.0  # kept inside the interval
    assert redated(dict(e, raw=6.0, pred=6.0, lo=3.0), longer) == 6.0  # below the pivot: untouched
    late, cost, x2, n, _, moved = figures([e], longer)
    assert (late, cost, n, moved) == (0, 0, 1, 1) and x2 == 100.0  # 29.3 for 50: within x2 (19.5 was not)
    assert figures([e], MAIN)[1] == 1


def test_a_flat_top_holds_every_raw_date_beyond_its_break():
    flat = log_told(0.4, 3.5, 6.0, 0.0)
    assert flat(math.log2(200.0)) == pytest.approx(flat(6.0)) == pytest.approx(flat(math.log2(96.0)))
    assert flat(5.0) == pytest.approx(log_told(0.4, 3.5)(5.0))
