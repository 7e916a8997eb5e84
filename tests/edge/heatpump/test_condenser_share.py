"""A fouled condenser's worst hour carries more bar of its excess than the day's mean hour: the saturation curve's
share (edge/heatpump/condenser_share.py, prognosis.CONDENSER_SAT_SHARE; bench/heldout49_condfar.md).
On by default since the thirty-seventh round."""

import gzip
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import prognosis_fleets  # noqa: E402

from heatwatch.edge.heatpump import prognosis as P  # noqa: E402
from heatwatch.edge.heatpump.condenser_share import SHARE_MAX, saturation_share  # noqa: E402
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES  # noqa: E402
from heatwatch.refrigerant import p_sat  # noqa: E402
from heatwatch.units import HOUR  # noqa: E402

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "prognosis_fleet_2001.json.gz"
J = TARGET_NAMES.index("p_high")


def _cols(mid_c: float, peak_c: float, days: int = 14, peaks_a_day: int = 2):
    """Hours (times, means, highs, lows) of p_high condensing at ``mid_c`` but for ``peaks_a_day`` hot-water hours a
    day at ``peak_c`` (R32)."""
    n = days * 24
    t = np.arange(n) * HOUR + 0.5 * HOUR
    c = np.where(np.arange(n) % 24 < peaks_a_day, peak_c, mid_c)
    p = np.array([p_sat(v, "R32") for v in c], dtype=float)
    hi = np.full((n, len(TARGET_NAMES)), np.nan)
    lo = hi.copy()
    hi[:, J] = lo[:, J] = p
    return t, np.zeros_like(hi), hi, lo


def test_the_share_is_the_curves_slope_at_the_peak_over_the_days_mean_slope():
    t, M, HI, LO = _cols(30.0, 58.0)
    now = t[-1] + HOUR
    k = saturation_share((t, M, HI, LO), J, "R32", now, 14)
    slope = lambda c: (p_sat(c + 0.5, "R32") - p_sat(c - 0.5, "R32"))  # noqa: E731
    expected = slope(58.0) / ((22 * slope(30.0) + 2 * slope(58.0)) / 24)
    assert k == pytest.approx(expected, rel=1e-6)
    assert 1.5 < k < SHARE_MAX  # about twice the bar per kelvin at a hot-water peak than on a mild hour


def test_a_day_at_one_temperature_has_no_share_and_too_few_days_none():
    t, M, HI, LO = _cols(40.0, 40.0)
    assert saturation_share((t, M, HI, LO), J, "R32", t[-1] + HOUR, 14) == pytest.approx(1.0)
    t, M, HI, LO = _cols(30.0, 58.0, days=2)
    assert saturation_share((t, M, HI, LO), J, "R32", t[-1] + HOUR, 14) is None


def test_on_by_default():
    assert P.CONDENSER_SAT_SHARE is True


def test_on_the_fixture_only_fouled_condensers_move_their_raw_dates_mostly_sooner(monkeypatch):
    """With the share a fouled condenser's worst hour carries more of its excess: its raw dates (no table) come sooner
    far more often than later (a healthy worst day with k x its hour's residual taken out may stand lower, so not every
    one); every other fault's dates are main's to the bit."""
    pumps = json.loads(gzip.decompress(FIXTURE.read_bytes()))
    monkeypatch.setitem(prognosis_fleets.RAW, "on", True)
    monkeypatch.setattr(P, "CONDENSER_SAT_SHARE", False)
    before = [prognosis_fleets.estimates(p) for p in pumps]
    monkeypatch.setattr(P, "CONDENSER_SAT_SHARE", True)
    sooner = later = 0
    for pump, old in zip(pumps, before):
        new = prognosis_fleets.estimates(pump)
        assert len(new) == len(old)
        for a, b in zip(new, old):
            if pump["fault"] != "condenser_fouling":
                assert (a["pred"], a["lo"], a["hi"]) == (b["pred"], b["lo"], b["hi"])
                continue
            sooner += a["pred"] < b["pred"] - 1e-9
            later += a["pred"] > b["pred"] + 1e-9
    assert any(p["fault"] == "condenser_fouling" for p in pumps)
    assert sooner > 2 * later and sooner > 0


def test_the_refitted_row_replaces_the_condensers_slope_and_interval_only():
    from heatwatch.edge.heatpump import prognosis_calibration as pc

    table = pc.with_condenser_sat_share_row(pc.CALIBRATION)
    for raw in (1.0, 3.0, 6.0, 12.0, 24.0, 60.0):
        new, old = table.for_fault("condenser_fouling", raw), pc.CALIBRATION.for_fault("condenser_fouling", raw)
        assert (new.slope, new.q_low) == (pc.SAT_SHARE_SLOPE, pc.SAT_SHARE_Q[0])
        assert (new.pivot, new.shift, new.lift) == (old.pivot, old.shift, old.lift)
        for fault in ("compressor_wear", "refrigerant_leak", "evaporator_fouling"):
            assert table.for_fault(fault, raw) == pc.CALIBRATION.for_fault(fault, raw)
    assert table.for_fault("condenser_fouling", 10.0).q_high == pc.SAT_SHARE_BAND_Q_HIGH[8.0]
    assert table.for_fault("condenser_fouling", 40.0).q_high == pc.SAT_SHARE_Q[1]
    # a long raw date is drawn in less than by the table's 0.328: 96 raw days told about 27, not 19.5
    assert table.for_fault("condenser_fouling", 96.0).recalibrated_days(96.0) == pytest.approx(
        96.0 * 2 ** ((pc.SAT_SHARE_SLOPE - 1) * (np.log2(96.0) - pc.HORIZON_PIVOT)))
