"""The expansion valve's faults are dated by what a stuck valve does to the hours to come.

- Stuck open: the liquid it floods the compressor with takes a share of the discharge superheat,
  the same share on every hour, so the day's low hour (a mild hour's small superheat) loses the
  fewest kelvin. Added in full to the low hours, the day's mean loss dated the flood-back trip
  early; as a share (``_share_loss_days``) it dates it where the low hour's share crosses the
  limit.
- Stuck toward closed: the leak's valve chain (``CHAINS``): once the worst hour's valve stands at
  its end stop (the stage is passed), the discharge's own trend still moves late; the chain dates
  the runaway on the cold hours to come.

Synthetic pumps whose true dates follow from the stated relations; the tests check the
bookkeeping, not a growth law.
"""

from __future__ import annotations

import math

import numpy as np

from heatwatch.edge.heatpump import prognosis
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.prognosis import PrognosisTracker, _share_loss_days, _stack_hours
from heatwatch.trips import trip_limits
from heatwatch.units import DAY, HOUR
from tests.edge.heatpump.test_prognosis_chain import _tracker as _leaky_valve_tracker
from tests.edge.heatpump.test_prognosis_chain import _true_days as _leaky_valve_true_days

S = TARGET_NAMES.index("discharge_superheat")
FLOOR = trip_limits("R32").floodback_superheat_k  # 3 K
LOSS_RATE = 0.02  # share of the superheat lost per day


def _superheat(hour_of_day: int) -> tuple[float, float]:
    """The healthy discharge superheat's low and high within an hour: 10-14 K on the mild
    afternoon hours, 26-34 K on the others (a day mean of about 27 K)."""
    return (10.0, 14.0) if 12 <= hour_of_day < 16 else (26.0, 34.0)


def _stuck_open(days: float, seed: int = 5) -> PrognosisTracker:
    rng = np.random.default_rng(seed)
    tr = PrognosisTracker()
    tr.calibration = None
    for k in range(int(days * 24)):
        t = k * HOUR
        r = 1.0 - LOSS_RATE * t / DAY  # the share of the superheat kept
        lo_h, hi_h = _superheat(k % 24)
        m = np.full(len(TARGET_NAMES), np.nan)
        hi, lo = m.copy(), m.copy()
        lo[S], hi[S] = r * lo_h, r * hi_h
        m[S] = (r - 1.0) * 0.5 * (lo_h + hi_h) + rng.normal(0, 0.05)
        tr._hours.append((t, m, hi, lo))
    return tr


def _open_true_days(now_day: float) -> float:
    """Days until the mild hour's low (10 K x the share kept) reaches the flood-back floor."""
    return (1.0 - FLOOR / 10.0) / LOSS_RATE - now_day


def test_a_stuck_open_valve_is_dated_by_the_share_its_low_hours_lose() -> None:
    now = 12.0
    tr = _stuck_open(now)
    p = tr.predict("eev_stuck_open", now * DAY)
    assert p is not None and p.indicator == "discharge_superheat"
    days = (p.predicted_trip_ts - now * DAY) / DAY
    true = _open_true_days(now)
    assert 0.6 * true <= days <= 1.5 * true, (days, true)
    # the day's mean loss (about 27 K x the share lost) added in full to the mild hour dates it
    # at half the time: what the estimator did before
    prognosis.USE_SHARE_LOSS = False
    try:
        q = tr.predict("eev_stuck_open", now * DAY)
    finally:
        prognosis.USE_SHARE_LOSS = True
    assert q is not None and (q.predicted_trip_ts - now * DAY) / DAY < 0.6 * true


def test_the_share_is_read_from_whole_days_and_refuses_a_superheat_at_zero() -> None:
    tr = _stuck_open(6.0)
    cols = _stack_hours(list(tr._hours))
    day_t, loss, base, target = _share_loss_days(cols, S, FLOOR)
    assert len(day_t) == 6 and target == 1.0
    kept = 1.0 - loss
    # each day's share kept is the day's mean share (within the noise of the residual)
    assert np.allclose(kept, 1.0 - LOSS_RATE * (np.arange(6) + 0.5), atol=0.01)
    # the day's trip point, the limit over its healthy low (the mild hour's 10 K): a day trips
    # where the share lost reaches 1 - limit / low
    assert np.allclose(base, FLOOR / 10.0, rtol=0.05)
    for _, m, hi, lo in list(tr._hours)[-3:]:
        lo[S] = 0.0
    assert _share_loss_days(_stack_hours(list(tr._hours)), S, FLOOR) is None


def test_a_stuck_closed_valve_past_its_end_stop_is_dated_by_the_valve_chain() -> None:
    now = 12.0  # the cold hours' valve has just reached its end stop: the stage is passed
    tr = _leaky_valve_tracker(now)
    true = _leaky_valve_true_days(now)
    p = tr.predict("eev_stuck_closed", now * DAY)
    assert p is not None and p.indicator == "t_discharge"
    days = (p.predicted_trip_ts - now * DAY) / DAY
    assert 0.5 * true <= days <= 1.3 * true, (days, true)
    # the discharge's own trend (as before the chain) dates it over twice too late
    chains = dict(prognosis.CHAINS)
    prognosis.CHAINS.pop(("eev_stuck_closed", "t_discharge"))
    try:
        q = tr.predict("eev_stuck_closed", now * DAY)
    finally:
        prognosis.CHAINS.clear()
        prognosis.CHAINS.update(chains)
    assert q is None or (q.predicted_trip_ts - now * DAY) / DAY > 2 * true
    assert not math.isclose(days, (q.predicted_trip_ts - now * DAY) / DAY if q else math.inf)


SUCTION = TARGET_NAMES.index("superheat")
ONSET = 10.0  # days of healthy hours before the valve sticks
SUCTION_RATE = 0.2  # share of the suction superheat lost per day: none left 5 days after the onset
DISCHARGE_RATE = 0.04  # share of the discharge superheat lost per day while the suction still has some


def _fast_flood(days: float, seed: int = 7) -> PrognosisTracker:
    """A valve that sticks open at ONSET and floods fast: the suction superheat (5-7 K held by the
    controller) loses SUCTION_RATE of itself a day, the discharge superheat only DISCHARGE_RATE
    while the suction keeps any (the liquid boils before the compressor), all of it once none is
    left: the trip comes when the suction superheat is gone."""
    rng = np.random.default_rng(seed)
    tr = PrognosisTracker()
    tr.calibration = None
    for k in range(int(days * 24)):
        t = k * HOUR
        age = max(t / DAY - ONSET, 0.0)
        r_s = max(1.0 - SUCTION_RATE * age, 0.0)
        r_d = 1.0 - DISCHARGE_RATE * age if r_s > 0.0 else 0.0
        m = np.full(len(TARGET_NAMES), np.nan)
        hi, lo = m.copy(), m.copy()
        lo_h, hi_h = _superheat(k % 24)
        lo[S], hi[S] = r_d * lo_h, r_d * hi_h
        m[S] = (r_d - 1.0) * 0.5 * (lo_h + hi_h) + rng.normal(0, 0.05)
        lo[SUCTION], hi[SUCTION] = r_s * 5.0, r_s * 7.0
        m[SUCTION] = (r_s - 1.0) * 6.0 + rng.normal(0, 0.05)
        tr._hours.append((t, m, hi, lo))
    return tr


def test_a_fast_flood_back_is_dated_by_the_suction_superheat_it_empties_first() -> None:
    now = ONSET + 2.5
    true = 1.0 / SUCTION_RATE - (now - ONSET)  # the suction superheat gone: the discharge collapses
    tr = _fast_flood(now)
    p = tr.predict("eev_stuck_open", now * DAY)
    assert p is not None and p.indicator == "discharge_superheat"
    days = (p.predicted_trip_ts - now * DAY) / DAY
    # within a factor 2 (paced from the last calm day, a day's mean: the onset inside the next day)
    assert 0.5 * true <= days <= 2.0 * true, (days, true)
    # the discharge's own share (slow until the suction is empty) dates it over twice too late
    prognosis.USE_PRECURSOR = False
    try:
        q = tr.predict("eev_stuck_open", now * DAY)
    finally:
        prognosis.USE_PRECURSOR = True
    assert q is None or (q.predicted_trip_ts - now * DAY) / DAY > 2.0 * true


def test_a_slow_suction_loss_leaves_the_discharge_share_date_alone() -> None:
    """A precursor far behind the discharge's own date does not move it (the earlier of the two)."""
    now = 12.0
    tr = _stuck_open(now)
    for _, m, hi, lo in tr._hours:
        lo[SUCTION], hi[SUCTION], m[SUCTION] = 5.0, 7.0, 0.0  # a superheat held: no share lost
    p = tr.predict("eev_stuck_open", now * DAY)
    prognosis.USE_PRECURSOR = False
    try:
        q = tr.predict("eev_stuck_open", now * DAY)
    finally:
        prognosis.USE_PRECURSOR = True
    assert p is not None and q is not None and p.predicted_trip_ts == q.predicted_trip_ts


def test_a_spent_suction_superheat_leaves_the_date_to_the_discharge() -> None:
    """Once the suction's last day keeps PRECURSOR_SPENT of its share or less, the precursor gives no
    date (it would say "now" for the days the liquid takes to collapse the discharge)."""
    j = TARGET_NAMES.index("superheat")
    fresh = _fast_flood(ONSET + 2.5)
    assert prognosis._precursor_days(_stack_hours(list(fresh._hours)), (ONSET + 2.5) * DAY, j) is not None
    now = ONSET + 4.9  # the last day's share kept: about 0.1
    spent = _fast_flood(now)
    assert prognosis._precursor_days(_stack_hours(list(spent._hours)), now * DAY, j) is None
