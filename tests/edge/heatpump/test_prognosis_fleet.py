"""The prognosis a dispatcher plans on, judged on simulated pumps it was not calibrated on.

The fixture holds the tracker's hourly history of 14 pumps of the evaluation fleet seed 2001
(tests/edge/fixtures/README.md), one or two of each pump fault, each up to its real trip. A
fresh tracker is asked once a day from the raise to the trip, as the agent asks it. The
stated interval must hold the real trip in at least the share it states, and the date must
be within a factor 2 of the real time to trip for most estimates (the trend-of-the-trip-
indicator estimator of before held 46 %: a leak's discharge and a fouled coil's pressure
move late, and a cold spell tilts a five-day trend).
"""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import numpy as np
import pytest

from heatwatch.edge.heatpump.prognosis import PrognosisTracker, TripLimit
from heatwatch.edge.heatpump.prognosis_calibration import COVERAGE
from heatwatch.units import DAY, HOUR

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "prognosis_fleet_2001.json.gz"
LEAK_FIXTURE = FIXTURE.with_name("prognosis_leak_2005.json.gz")


def _arr(a: list) -> np.ndarray:
    return np.array([math.nan if v is None else v for v in a], dtype=float)


def _estimates(pump: dict, every_s: float = DAY, calibrated: bool = True) -> list[tuple[float, float, float, float]]:
    """(predicted, lower, upper, actual) days to trip, from the raise to the trip (``calibrated``
    False: the raw dates, before the calibration table)."""
    hours = [(float(h[0]), _arr(h[1]), _arr(h[2]), _arr(h[3])) for h in pump["hours"]]
    times = [h[0] for h in hours]
    # every ready reading's hours, the transients too, as the agent's tracker keeps them (fixtures
    # collected before they were kept have none)
    peaks = [(float(h[0]), _arr(h[1]), _arr(h[2])) for h in pump.get("peaks", ())]
    peak_times = [h[0] for h in peaks]
    out = []
    t = pump["raised"][0]
    while t < pump["trip_ts"]:
        tr = PrognosisTracker(refrigerant=pump["refrigerant"])
        if not calibrated:
            tr.calibration = None
        if "flow_lpm" in pump["limits"]:
            direction, th = pump["limits"]["flow_lpm"]
            tr.limits["flow_lpm"] = TripLimit("flow_lpm", direction, float(th))
        k = int(np.searchsorted(times, t - HOUR, side="right"))
        tr._hours.extend(hours[max(0, k - 720):k])
        k = int(np.searchsorted(peak_times, t - HOUR, side="right"))
        tr._peaks.extend(peaks[max(0, k - tr._peaks.maxlen):k])
        p = tr.predict(pump["fault"], t)
        if p is not None:
            out.append(((p.predicted_trip_ts - t) / DAY, (p.lower_ts - t) / DAY, (p.upper_ts - t) / DAY,
                        (pump["trip_ts"] - t) / DAY))
        t += every_s
    return out


def _fleet(path: Path, seed: int, at_least: int) -> np.ndarray:
    pumps = json.loads(gzip.decompress(path.read_bytes()))
    assert {p["seed"] for p in pumps} == {seed}, "an evaluation seed, never calibrated on"
    est = np.array([e for p in pumps for e in _estimates(p)])
    assert len(est) > at_least
    return np.maximum(est, 0.04)  # an hour: log of 0


@pytest.fixture(scope="module")
def estimates() -> np.ndarray:
    return _fleet(FIXTURE, 2001, 150)


@pytest.fixture(scope="module")
def leak_estimates() -> np.ndarray:
    """The leaking pumps of the leak-only evaluation fleet 2005 (Stockholm, R290, s^1.3) that tripped
    after their raise (three on the simulator with the cold-climate limits)."""
    return _fleet(LEAK_FIXTURE, 2005, 80)


def test_the_stated_interval_holds_the_trip_as_often_as_it_says(estimates):
    pred, lo, hi, actual = estimates.T
    assert np.mean((lo <= actual) & (actual <= hi)) >= COVERAGE


def test_the_late_side_of_the_interval_follows_the_horizon(estimates):
    """The interval's late side is taken per band of the raw date's horizon, with the calibration
    pumps that had not tripped when their run ended (prognosis_calibration.BANDS): a short date is
    often a false alarm of urgency and its late side reaches far, a date weeks out errs by a
    smaller factor. The early side, which holds a pump a day from its trip, is the whole horizon's (now too
    where the worst hour lies within a day-to-day spread of the limit: prognosis.NEAR_SPREADS). Before,
    one factor for every horizon; this fleet was never calibrated on. The bands are the raw date's, so
    the estimates are taken by their raw date (by the calibrated date before s-derprog30: with the
    frequency in the fixture a leak held at its derate is dated by prognosis_derate, the calibrated dates
    under 8 and of 8-16 days each mixed raw bands, and a leak's short dates came 0.85 times as wide as its
    mid ones, a failure of this test; by the raw date 1.65)."""
    pumps = json.loads(gzip.decompress(FIXTURE.read_bytes()))
    by_fault: dict[str, list] = {}
    for p in pumps:
        cal, raw = _estimates(p), _estimates(p, calibrated=False)
        assert len(cal) == len(raw)
        by_fault.setdefault(p["fault"], []).extend((r[0], *c) for r, c in zip(raw, cal))
    wider = 0
    for est in by_fault.values():
        raw, pred, lo, hi, _ = np.maximum(np.array(est), 0.04).T
        short, mid = raw < 8.0, (raw >= 8.0) & (raw < 16.0)
        if short.sum() >= 3 and mid.sum() >= 3:
            ratio = np.median(hi[short] / lo[short]) / np.median(hi[mid] / lo[mid])
            assert ratio >= 0.999  # never narrower (a fault whose runs left the bands unknown: equal)
            wider += ratio > 1.5
    assert wider >= 3
    pred, lo, hi, actual = estimates.T
    # the early side is the whole horizon's, and now where the worst hour of the last days lies within
    # its daily peak's day-to-day spread of the limit (prognosis.NEAR_SPREADS): 0.64 -> 0.79 of these
    near = actual < 2.0
    assert near.sum() >= 20 and np.mean((lo[near] <= actual[near]) & (actual[near] <= hi[near])) >= 0.75


def test_most_dates_are_within_a_factor_2_of_the_real_trip(estimates):
    """On the simulator with the cold-climate limits (the fixture collected on it): 55.6 % with the
    table refitted on its calibration fleets, 53.2 % with the table of the simulator before; 60.4 %
    dated with the derate in mind and its table (s-derprog30, the fixture with the frequency)."""
    pred, lo, hi, actual = estimates.T
    assert np.mean(np.abs(np.log2(pred / actual)) <= 1.0) >= 0.55


def test_long_dates_are_not_systematically_late_and_short_ones_at_most_a_little_late(estimates):
    """The raw estimator's horizon is too spread: on this evaluation fleet its dates of 20 days or
    more came a median 0.67 times the actual (late), those under 5 days 2.2 times too early; the
    calibration table's horizon recalibration (fitted on calibration fleets only) draws the long
    ones in and leaves the short ones early, the side a due pump can afford. The short dates' median
    was held up by a stuck-open valve's dates (57 of the 100 short ones, 2.5-4 times early); dated by
    the share of superheat it takes (prognosis._share_loss_days) it has 27 short dates, right or early
    (median 1.0 and 2.5), and the median of all is 0.80: the other faults' short dates (0.54-0.61 for
    wear, valve closed, condenser) come late, as they did before."""
    pred, _lo, _hi, actual = estimates.T
    long_, short = pred >= 20.0, pred < 5.0
    assert long_.sum() >= 15 and short.sum() >= 15
    assert 0.8 <= 2.0 ** np.median(np.log2(actual[long_] / pred[long_])) <= 2.0
    assert 2.0 ** np.median(np.log2(actual[short] / pred[short])) >= 0.75


def test_a_leaks_interval_holds_its_trip(leak_estimates):
    """On the simulator with the cold-climate limits the leak's dates come early (below); the table
    refitted on its fleets widens the leak's interval to hold them: 100 % of these, 63 % with the
    table of the simulator before."""
    pred, lo, hi, actual = leak_estimates.T
    assert np.mean((lo <= actual) & (actual <= hi)) >= COVERAGE


def test_a_leaks_dates_come_early_and_the_derate_draws_them_in(leak_estimates, monkeypatch):
    """What the code does with a leak on the simulator with the derate, not yet what a dispatcher needs
    (docs/heatpump.md, "What is left"): the derate holds the discharge under its stop for weeks, so the
    dates come early, 17 % within a factor 2 (the aim, and the old simulator's chain: 50 %+), a median 2.97
    times early, 3 % late. Dated with the derate in mind (prognosis_derate: the frequency's room, the
    derated hours out of the discharge's trend) they come less early than by the discharge's trend alone
    (15 %, 3.58 times early, USE_DERATE off). The fixture keeps the frequency since this commit: before it
    the derate's code was never reached on it and both ways gave 3.58 (this test fails there)."""
    from heatwatch.edge.heatpump import prognosis

    pred, lo, hi, actual = leak_estimates.T
    early_by = 2.0 ** np.median(np.log2(actual / pred))
    assert np.mean(pred > 2.0 * actual) <= 0.05, "a leak's dates err early, the side a due pump can afford"
    assert np.mean(np.abs(np.log2(pred / actual)) <= 1.0) >= 0.15
    monkeypatch.setattr(prognosis, "USE_DERATE", False)
    pred0, _lo0, _hi0, actual0 = _fleet(LEAK_FIXTURE, 2005, 80).T
    assert early_by < 0.9 * 2.0 ** np.median(np.log2(actual0 / pred0))


WEAR_FIXTURE = FIXTURE.with_name("prognosis_wear_2005.json.gz")


def _wear_estimates(rated_given: bool) -> np.ndarray:
    """Every 12 h from the raise to the trip of the pump of the mechanical-wear evaluation fleet
    2005 (Stockholm, R32, compressor_wear mode mechanical) that tripped on over-current."""
    from heatwatch.edge.heatpump.prognosis import OVERCURRENT_MARGIN

    pumps = json.loads(gzip.decompress(WEAR_FIXTURE.read_bytes()))
    assert {p["seed"] for p in pumps} == {2005}, "an evaluation seed, never calibrated on"
    pump = next(p for p in pumps if p["trip_kind"] == "overcurrent")
    hours = [(float(h[0]), _arr(h[1]), _arr(h[2]), _arr(h[3])) for h in pump["hours"]]
    times = [h[0] for h in hours]
    out = []
    t = pump["raised"][0]
    while t < pump["trip_ts"]:
        rated = pump["true_i_trip"] / OVERCURRENT_MARGIN if rated_given else None
        tr = PrognosisTracker(refrigerant=pump["refrigerant"], rated_current_a=rated)
        k = int(np.searchsorted(times, t - HOUR, side="right"))
        tr._hours.extend(hours[max(0, k - 720):k])
        p = tr.predict(pump["fault"], t)
        assert p is not None
        out.append(((p.predicted_trip_ts - t) / DAY, (p.lower_ts - t) / DAY, (p.upper_ts - t) / DAY,
                    (pump["trip_ts"] - t) / DAY, p.indicator == "compressor_a"))
        t += 12 * HOUR
    est = np.array(out)
    est[:, :4] = np.maximum(est[:, :4], 0.04)  # an hour: log of 0
    return est


@pytest.mark.parametrize("rated_given", [True, False], ids=["rated current in the config", "learned"])
def test_a_rubbing_compressor_is_dated_to_its_over_current_trip(rated_given):
    """Before the over-current limit its date came from the discharge alone (67 % of these within
    a factor 2, the interval holding 83 %); the current is what trips it. With the limit: rated
    current given 89 % / 100 %, learned from the healthy current per hertz 67 % / 89 % (the simulator
    before its cold-climate limits). On it (the fixture collected again, every pump trips on
    over-current), with the table refitted on its fleets: given 64 % / 91 %, learned 60 % / 98 %; with
    the table of before, given 51 % / 98 %."""
    pred, lo, hi, actual, by_current = _wear_estimates(rated_given).T
    assert np.mean(by_current) >= 0.5, "the over-current date is the earlier one on most"
    assert np.mean(np.abs(np.log2(pred / actual)) <= 1.0) >= 0.55
    assert np.mean((lo <= actual) & (actual <= hi)) >= COVERAGE
