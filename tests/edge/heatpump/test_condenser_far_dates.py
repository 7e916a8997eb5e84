"""bench/condenser_far_dates.py: the oracle replay that takes condenser fouling's far-out dates apart."""

import gzip
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
import condenser_far_dates as far  # noqa: E402
import prognosis_fleets  # noqa: E402

from heatwatch.edge.heatpump import prognosis as P  # noqa: E402

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "prognosis_fleet_2001.json.gz"


def _pump() -> dict:
    pumps = json.loads(gzip.decompress(FIXTURE.read_bytes()))
    return next(p for p in pumps if p["fault"] == "condenser_fouling" and p["trip_ts"] is not None)


def test_the_plain_modes_are_the_trackers_own_dates_and_the_oracles_use_the_future():
    pump = _pump()
    before = (P._first_passage_days, P._held_share, P.PrognosisTracker._predict_channel)
    with far.oracles():
        rows = far.estimates(pump)
    # the wrappers are taken off again
    assert (P._first_passage_days, P._held_share, P.PrognosisTracker._predict_channel) == before
    assert P.USE_PACE is True
    prognosis_fleets.RAW["on"] = True
    try:
        raw = prognosis_fleets.estimates(pump)
    finally:
        prognosis_fleets.RAW["on"] = False
    cal = prognosis_fleets.estimates(pump)
    assert len(rows) == len(raw) == len(cal) > 5
    # the recorded raw and calibrated dates are the replay's own (the wrappers change nothing there)
    assert [r["raw"] for r in rows] == [e["pred"] for e in raw]
    assert [r["cal"] for r in rows] == [e["pred"] for e in cal]
    # the excess that came (A) and the days that came (B) move the trend's date on some estimates
    assert any(r["A"] != r["trend"] for r in rows)
    assert any(r["B"] != r["trend"] for r in rows)
    assert all(r["actual"] > 0 for r in rows)


def test_the_report_splits_every_mode_by_the_time_left():
    rows = [dict(actual=a, seed=1, device="d", cal=a, raw=a / 3, trend=a, A=a, B=a, AB=a, margin=0.5,
                 air_ahead=1.0, share_past=1.0, share_ahead=0.2) for a in (1.0, 20.0, 30.0)]
    text = "\n".join(far.report(rows))
    assert "3 estimates, 1 pumps" in text
    # raw is 3 times too soon on every estimate: early misses, none within x2
    assert "  raw   0-2d 0% e1/l0 +1.58 | 16-infd 0% e2/l0 +1.58" in text
    assert "  cal   0-2d 100% e0/l0 +0.00" in text
    assert "[0,1) n=2 0% +1.58" in text
