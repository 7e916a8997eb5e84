"""The leak's chain: charge lost (valve headroom eaten) -> end stop -> discharge runaway.

A synthetic leaking pump whose discharge does not move at all while its valve keeps up:
a trend of the discharge sees nothing coming; the chain, reading the valve's extra opening,
dates the trip where the valve's shortfall on the cold hours carries the discharge over
its limit. The true date follows from the same relation (healthy opening x (1 + c), gain
``RUNAWAY_GAIN_K`` per unit of shortfall), so the test checks the chain's bookkeeping
(headroom hours, the charge index, its extension, the first passage), not a growth law.
"""

from __future__ import annotations

import numpy as np

from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump import prognosis
from heatwatch.edge.heatpump.prognosis import PrognosisTracker
from heatwatch.edge.heatpump.prognosis_chain import RUNAWAY_GAIN_K
from heatwatch.units import DAY, HOUR

E, D = TARGET_NAMES.index("eev_pct"), TARGET_NAMES.index("t_discharge")
LIMIT = 115.0
RATE = 0.03  # charge index per day (a steady leak)
C0 = 0.1  # charge index on day 0


def _healthy_opening(hour_of_day: np.ndarray) -> np.ndarray:
    """The valve's healthy opening: 40 % by day, 70 % on the cold night hours."""
    return np.where((hour_of_day >= 1) & (hour_of_day < 5), 70.0, 40.0)


def _tracker(days: float, seed: int = 3) -> PrognosisTracker:
    rng = np.random.default_rng(seed)
    tr = PrognosisTracker()
    tr.calibration = None
    for k in range(int(days * 24)):
        t = k * HOUR
        c = C0 + RATE * t / DAY
        e = float(_healthy_opening(np.array([k % 24]))[0])
        need = e * (1.0 + c)
        short = max(need / 100.0 - 1.0, 0.0)
        m = np.full(len(TARGET_NAMES), np.nan)
        hi, lo = m.copy(), m.copy()
        opening = min(need, 100.0)
        m[E] = opening - e + rng.normal(0, 0.5)
        hi[E], lo[E] = min(opening + 1.0, 100.0), opening - 1.0
        m[D] = RUNAWAY_GAIN_K * short + rng.normal(0, 0.3)
        hi[D] = 95.0 + m[D] + 1.0
        lo[D] = 70.0 + m[D]
        tr._hours.append((t, m, hi, lo))
    return tr


def _true_days(now_day: float) -> float:
    """Days until the cold hours' shortfall lifts the discharge (95 + 1 at worst) to the limit."""
    c_trip = (1.0 + (LIMIT - 96.0) / RUNAWAY_GAIN_K) * 100.0 / 70.0 - 1.0
    return (c_trip - C0) / RATE - now_day


def test_the_chain_dates_a_leak_whose_discharge_has_not_moved_yet() -> None:
    now = 10.0
    tr = _tracker(now)
    assert C0 + RATE * now < 100.0 / 70.0 - 1.0  # the valve keeps up on every hour: the discharge is flat
    p = tr.predict("refrigerant_leak", now * DAY)
    assert p is not None and p.indicator == "t_discharge"
    days = (p.predicted_trip_ts - now * DAY) / DAY
    # of the growth laws that foretold the last days equally well the median date is taken (a
    # five-day exponential of the charge index bends up where the leak is steady): not late
    assert 0.5 * _true_days(now) <= days <= 1.2 * _true_days(now), (days, _true_days(now))
    # the discharge's own trend (the same hours read by a fault without a chain) dates it too late
    q = tr.predict("compressor_wear", now * DAY)
    assert q is None or (q.predicted_trip_ts - now * DAY) / DAY > 2 * _true_days(now)


def test_a_steady_leak_is_not_dated_by_its_steepest_rival_law() -> None:
    """The charge index's rival growth laws give their median date, as the trend's do (_rival_days):
    the earliest of them is the most extreme extrapolation of a few noisy days (a short window's
    exponential), which dated this steady leak at half its time to trip on some days."""
    ratios = []
    for now in (10.0, 12.0, 14.0, 16.0):
        for seed in range(5):
            p = _tracker(now, seed).predict("refrigerant_leak", now * DAY)
            assert p is not None
            ratios.append((p.predicted_trip_ts - now * DAY) / DAY / _true_days(now))
    assert 0.8 <= min(ratios) and max(ratios) <= 1.2, ratios


def test_without_valve_readings_the_leak_falls_back_to_the_discharge_trend(monkeypatch) -> None:
    """The leak's fallback is the discharge trend by every law: a worn compressor's before its lines
    (prognosis.WEAR_LINE, which extends wear's discharge by lines only)."""
    monkeypatch.setattr(prognosis, "WEAR_LINE", False)
    tr = _tracker(20.0)
    for _, m, hi, lo in tr._hours:
        m[E] = hi[E] = lo[E] = np.nan
    p = tr.predict("refrigerant_leak", 20.0 * DAY)
    q = tr.predict("compressor_wear", 20.0 * DAY)
    assert (p is None) == (q is None)
    if p is not None:
        assert p.predicted_trip_ts == q.predicted_trip_ts
