"""A worn compressor not yet held at its derate told by the slow drift's horizon slope (prognosis.WEAR_BEFORE_DERATE).

Such a pump has the derate's whole stage ahead of its discharge trip, so its long raw date is a drift's, not the
stalled trend of a held pump near its trip from which the table learnt to draw long dates in (bench/heldout50_wear.md)."""
from __future__ import annotations

from heatwatch.edge.heatpump import prognosis
from heatwatch.edge.heatpump.prognosis import PrognosisTracker
from heatwatch.units import DAY
from tests.support.worn_compressor import feed_worn

DAYS = 30


def _worn(held: bool) -> PrognosisTracker:
    """A steady loss, 0.2 K a day at the day's worst hour (06:00, 80 °C healthy), the compressor at 50 Hz (the room
    ahead 18 K: the stop plus room 38 K above the worst hour, reached in ~160 days); ``held``: two evening hours of
    the day before at the derate (109.5 °C)."""
    return feed_worn(PrognosisTracker(), lambda d: 0.2 * d, DAYS, seed=3, held=held)  # the shipped table


def _told(monkeypatch, on: bool, held: bool = False, fault: str = "compressor_wear") -> float:
    monkeypatch.setattr(prognosis, "WEAR_BEFORE_DERATE", on)
    p = _worn(held).predict(fault, DAYS * DAY)
    assert p is not None
    return (p.predicted_trip_ts - DAYS * DAY) / DAY


def test_before_the_derate_the_slow_slope(monkeypatch) -> None:
    """Not held: the raw date (months) told by slope 0.5, not the table's 0.328: later by 2^(0.172 (log2 raw - 3.16)),
    over 1.3 times for a raw date past 60 days. Held: the table's, either way."""
    assert prognosis.WEAR_BEFORE_DERATE is True
    tracker = _worn(False)
    tracker.calibration = None
    raw = tracker.predict("compressor_wear", DAYS * DAY)
    raw_days = (raw.predicted_trip_ts - DAYS * DAY) / DAY
    assert raw_days > 60.0, raw_days
    off, on = _told(monkeypatch, False), _told(monkeypatch, True)
    assert on > 1.3 * off, (on, off)
    assert on <= raw_days
    assert _told(monkeypatch, True, held=True) == _told(monkeypatch, False, held=True)


def test_another_fault_and_a_short_raw_date_unmoved(monkeypatch) -> None:
    assert _told(monkeypatch, True, fault="refrigerant_leak") == _told(monkeypatch, False, fault="refrigerant_leak")
    monkeypatch.setattr(prognosis, "WEAR_BEFORE_DERATE", True)
    tracker = _worn(False)
    best = prognosis.Prognosis(indicator="t_discharge", threshold=115.0, predicted_trip_ts=DAYS * DAY + 10 * DAY,
                               lower_ts=DAYS * DAY, upper_ts=DAYS * DAY + 20 * DAY)
    cols = tracker._columns(list(tracker._hours))
    assert not tracker._wear_before_derate(best, DAYS * DAY, "compressor_wear", cols)  # under HORIZON_LOW_RAW
    far = best.model_copy(update={"predicted_trip_ts": DAYS * DAY + 40 * DAY})
    assert tracker._wear_before_derate(far, DAYS * DAY, "compressor_wear", cols)
    held = _worn(True)
    assert not held._wear_before_derate(far, DAYS * DAY, "compressor_wear", held._columns(list(held._hours)))


def test_fixture_2001_only_worn_compressors_later(monkeypatch) -> None:
    """On the evaluation fixture (fleet 2001) against WEAR_BEFORE_DERATE off: only worn compressors' dates move, only
    later, from a raw date of HORIZON_LOW_RAW days or more (the date stays in its interval, which stays)."""
    import gzip
    import json
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
    import prognosis_fleets

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "prognosis_fleet_2001.json.gz"
    pumps = json.loads(gzip.decompress(fixture.read_bytes()))
    monkeypatch.setattr(prognosis, "WEAR_BEFORE_DERATE", False)
    before = [prognosis_fleets.estimates(p) for p in pumps]
    monkeypatch.setattr(prognosis, "WEAR_BEFORE_DERATE", True)
    moved = 0
    for pump, old in zip(pumps, before):
        new = prognosis_fleets.estimates(pump)
        assert len(new) == len(old)
        for a, b in zip(new, old):
            assert (a["lo"], a["hi"]) == (b["lo"], b["hi"])
            assert a["pred"] >= b["pred"] - 1e-9
            if a["pred"] > b["pred"] + 1e-9:
                assert pump["fault"] == "compressor_wear" and a["lo"] <= a["pred"] <= a["hi"]
                moved += 1
    assert moved > 0
