"""The date moved by how far the fault has come (prognosis.USE_PROGRESS, fault_progress): a fault a fifth of
its way to the limit is dated later, one 70 % of its way and dated 8 days or more sooner. Fails on the code
before it (no USE_PROGRESS, fault_progress; the table's date alone)."""

import gzip
import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import prognosis_fleets  # noqa: E402

from heatwatch.edge.heatpump import prognosis as P  # noqa: E402
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES  # noqa: E402
from heatwatch.units import DAY, HOUR  # noqa: E402

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "prognosis_fleet_2001.json.gz"


def _rows(excess_by_day: list[float], healthy: float = 80.0) -> list:
    j = TARGET_NAMES.index("t_discharge")
    rows = []
    for d, e in enumerate(excess_by_day):
        for h in range(24):
            m, hi, lo = (np.full(len(TARGET_NAMES), math.nan) for _ in range(3))
            m[j], hi[j], lo[j] = e, healthy + e + (2.0 if h == 15 else 0.0), healthy + e - 5.0
            rows.append((d * DAY + h * HOUR, m, hi, lo))
    return rows


def test_progress_is_todays_excess_over_the_healthy_worst_days_gap_to_the_limit():
    # healthy worst 82 (80 + the day's 2 K peak), limit 115: a 33 K gap; today's excess 6.6 K: a fifth
    rows = _rows([0.0, 0.0, 1.0, 2.0, 4.0, 6.6])
    assert P.fault_progress(rows, "t_discharge", 115.0, "up") == pytest.approx(6.6 / 33.0)
    assert P.fault_progress(rows[:5 * 24], "t_discharge", 115.0, "up") is None  # under 6 days: none
    assert P.fault_progress(rows, "t_discharge", 70.0, "up") is None  # no gap left to cover


def test_an_early_fault_is_dated_later_and_a_far_along_one_sooner_than_the_table_says():
    pumps = json.loads(gzip.decompress(FIXTURE.read_bytes()))
    lifted = drawn = kept = 0
    for pump in pumps[:6]:
        P.USE_PROGRESS = False
        try:
            before = prognosis_fleets.estimates(pump)
            prognosis_fleets.RAW["on"] = True
            raw = prognosis_fleets.estimates(pump)
        finally:
            P.USE_PROGRESS = True
            prognosis_fleets.RAW["on"] = False
        after = prognosis_fleets.estimates(pump)
        assert len(before) == len(after) == len(raw)
        for b, a, r in zip(before, after, raw):
            assert (a["lo"], a["hi"]) == (b["lo"], b["hi"])  # the interval stays
            ratio = a["pred"] / b["pred"] if b["pred"] > 0 else 1.0
            clamped = a["pred"] in (a["lo"], a["hi"])
            if r["pred"] < P.PROGRESS_LOW_RAW:  # a short raw date is never moved
                assert a["pred"] == b["pred"]
            if not clamped and abs(ratio - 2 ** 0.5) < 1e-9:
                lifted += 1
            elif not clamped and abs(ratio - 2 ** -0.5) < 1e-9:
                assert r["pred"] >= P.PROGRESS_HIGH_RAW
                drawn += 1
            elif a["pred"] == b["pred"]:
                kept += 1
    assert lifted > 0 and drawn > 0 and kept > 0
