"""A long raw date of a fault that has covered little of its gap, drawn in less by the horizon table
(prognosis.HORIZON_SLOPE_LOW_PROGRESS; bench/farsoon50.md's candidate, held out in bench/heldout48_slowhorizon.md and
on by default since: worn compressors and the load-share faults left out)."""

import gzip
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import prognosis_fleets  # noqa: E402

from heatwatch.contract import Prognosis  # noqa: E402
from heatwatch.edge.heatpump import prognosis as P  # noqa: E402
from heatwatch.edge.heatpump.prognosis_calibration import CALIBRATION, Calibration, with_horizon_slope  # noqa: E402
from heatwatch.units import DAY, HOUR  # noqa: E402

from tests.support.prognosis_rows import hourly_rows as _rows  # noqa: E402

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "prognosis_fleet_2001.json.gz"


def _raw(days: float, now: float) -> Prognosis:
    return Prognosis(indicator="t_discharge", threshold=115.0, predicted_trip_ts=now + days * DAY,
                     lower_ts=now + 0.5 * days * DAY, upper_ts=now + 2.0 * days * DAY)


def test_plan_48s_setting_is_the_default():
    assert P.HORIZON_SLOPE_LOW_PROGRESS == 0.5
    assert P.HORIZON_LOW_EXCEPT == P.HORIZON_LOW_EXCEPT_LOAD_SHARE


def test_the_slope_replaces_the_tables_in_every_row_and_nothing_else():
    row = Calibration(0.1, -2.0, 3.0, slope=0.328, pivot=3.16, shift=0.2, lift=0.4)
    assert row.recalibrated_days(96.0) == pytest.approx(19.5, abs=0.1)  # the table: 96 raw days told 19.5
    flat = with_horizon_slope(row, 0.5)
    assert flat.recalibrated_days(96.0) == pytest.approx(29.3, abs=0.1)
    assert (flat.q_low, flat.q_high, flat.shift, flat.lift, flat.pivot) == (-2.0, 3.0, 0.2, 0.4, 3.16)
    table = with_horizon_slope(CALIBRATION, 0.5)
    for _, band in table.bands:
        assert band.pooled.slope == 0.5 and all(c.slope == 0.5 for c in band.per_fault.values())
    assert table.for_fault("condenser_fouling", 40.0).q_high == CALIBRATION.for_fault("condenser_fouling", 40.0).q_high


def test_only_a_long_raw_date_with_little_of_the_way_covered_and_not_a_worn_compressor():
    slow = _rows([0.0, 0.0, 0.5, 1.0, 1.5, 2.0])  # 2 K of a 33 K gap: 6 %
    far_along = _rows([0.0, 2.0, 4.0, 6.0, 8.0, 10.0])  # 30 %
    now = slow[-1][0] + HOUR
    assert P._low_progress_far(_raw(30.0, now), now, slow, {}, "refrigerant_leak")
    assert not P._low_progress_far(_raw(10.0, now), now, slow, {}, "refrigerant_leak")  # under 16 raw days
    assert not P._low_progress_far(_raw(30.0, now), now, far_along, {}, "refrigerant_leak")
    assert not P._low_progress_far(_raw(30.0, now), now, slow, {}, "compressor_wear")


def test_the_trackers_long_low_progress_dates_are_told_later_and_the_rest_as_before(monkeypatch):
    """The default tracker against the table alone (None, main before the thirty-sixth round): only later, never
    sooner, the interval kept, and no worn compressor or load-share fault moved (the low-progress rule alone: a worn
    compressor before its derate, WEAR_BEFORE_DERATE, told by the same slope, is test_prognosis_wear_stage's)."""
    pumps = json.loads(gzip.decompress(FIXTURE.read_bytes()))
    monkeypatch.setattr(P, "WEAR_BEFORE_DERATE", False)
    monkeypatch.setattr(P, "HORIZON_SLOPE_LOW_PROGRESS", None)
    before = [prognosis_fleets.estimates(p) for p in pumps]
    monkeypatch.undo()
    monkeypatch.setattr(P, "WEAR_BEFORE_DERATE", False)
    moved = 0
    for pump, old in zip(pumps, before):
        new = prognosis_fleets.estimates(pump)
        assert len(new) == len(old)
        for a, b in zip(new, old):
            assert (a["lo"], a["hi"]) == (b["lo"], b["hi"])  # the interval stays
            assert a["pred"] >= b["pred"] - 1e-9  # never sooner
            if a["pred"] > b["pred"] + 1e-9:
                assert pump["fault"] not in P.HORIZON_LOW_EXCEPT and a["pred"] >= P.HORIZON_LOW_RAW / 4
                moved += 1
    assert moved > 0


def test_plan_48s_set_leaves_the_load_share_faults_alone_too(monkeypatch):
    """bench/heldout48_slowhorizon.md: a fouled condenser's or evaporator's low progress reads the weather to come, not
    a slow drift; with HORIZON_LOW_EXCEPT_LOAD_SHARE their long raw dates are drawn in as main draws them."""
    assert P.HORIZON_LOW_EXCEPT_WEAR == frozenset({"compressor_wear"})  # the set farsoon50.md measured
    assert P.HORIZON_LOW_EXCEPT_LOAD_SHARE == {"compressor_wear", "condenser_fouling", "evaporator_fouling"}
    slow = _rows([0.0, 0.0, 0.5, 1.0, 1.5, 2.0])
    now = slow[-1][0] + HOUR
    monkeypatch.setattr(P, "HORIZON_LOW_EXCEPT", P.HORIZON_LOW_EXCEPT_WEAR)
    assert P._low_progress_far(_raw(30.0, now), now, slow, {}, "evaporator_fouling")  # the wear-only set lifts it
    monkeypatch.setattr(P, "HORIZON_LOW_EXCEPT", P.HORIZON_LOW_EXCEPT_LOAD_SHARE)
    assert P._low_progress_far(_raw(30.0, now), now, slow, {}, "refrigerant_leak")
    assert P._low_progress_far(_raw(30.0, now), now, slow, {}, "eev_stuck_closed")
    for fault in ("evaporator_fouling", "condenser_fouling", "compressor_wear"):
        assert not P._low_progress_far(_raw(30.0, now), now, slow, {}, fault)


def test_plan_48s_set_in_the_tracker_moves_no_load_share_date(monkeypatch):
    pumps = json.loads(gzip.decompress(FIXTURE.read_bytes()))
    monkeypatch.setattr(P, "HORIZON_SLOPE_LOW_PROGRESS", 0.5)
    monkeypatch.setattr(P, "HORIZON_LOW_EXCEPT", P.HORIZON_LOW_EXCEPT_WEAR)
    wear_only = [prognosis_fleets.estimates(p) for p in pumps]
    monkeypatch.setattr(P, "HORIZON_LOW_EXCEPT", P.HORIZON_LOW_EXCEPT_LOAD_SHARE)
    monkeypatch.setattr(P, "HORIZON_SLOPE_LOW_PROGRESS", None)
    main = [prognosis_fleets.estimates(p) for p in pumps if p["fault"] in P.PROGRESS_NO_LIFT_LOAD_SHARE]
    monkeypatch.setattr(P, "HORIZON_SLOPE_LOW_PROGRESS", 0.5)
    load_share_moved = 0
    for pump, old in zip(pumps, wear_only):
        new = prognosis_fleets.estimates(pump)
        if pump["fault"] in P.PROGRESS_NO_LIFT_LOAD_SHARE:
            load_share_moved += sum(a["pred"] != b["pred"] for a, b in zip(old, new))
            assert [a["pred"] for a in new] == [b["pred"] for b in main.pop(0)]  # as main
        else:
            assert [a["pred"] for a in new] == [b["pred"] for b in old]  # as the wear-only set
    assert load_share_moved > 0  # the wear-only set did move some of them: the new set is what keeps them
