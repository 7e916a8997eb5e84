"""Prognosis on indicator histories whose trip time is known exactly.

A steady drift and a self-feeding (exponential) fault are fed hour by hour
with noise, as the pipeline feeds residuals; the predicted trip must land near
the true crossing and the interval must hold it. A linear extension of the
accelerating fault alone would promise far too much time, the error that
makes a dispatcher wait until after the trip. The limits are the pump's
refrigerant's: a propane (R290) pump is predicted to trip where it trips.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.prognosis import CAP_DAYS, PrognosisTracker
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.units import DAY, HOUR

J = TARGET_NAMES.index("t_discharge")
HEALTHY_DISCHARGE = 75.0  # °C, the worst healthy reading of the day
LIMIT = 115.0  # discharge over-temperature trip (heatwatch.trips), any refrigerant


def _feed(excess_at_day, days: float, seed: int = 1, tracker: PrognosisTracker | None = None,
          channel: str = "t_discharge", healthy: float = HEALTHY_DISCHARGE, noise: float = 1.0
          ) -> PrognosisTracker:
    """One reading every 5 minutes; the residual of ``channel`` = excess(t) + noise."""
    rng = np.random.default_rng(seed)
    tracker = tracker or PrognosisTracker()
    tracker.calibration = None  # the estimator's own date (the fleet-calibrated table moves it: tested apart)
    j = TARGET_NAMES.index(channel)
    for ts in np.arange(0.0, days * DAY, 300.0):
        excess = excess_at_day(ts / DAY)
        residual = np.zeros(len(TARGET_NAMES))
        residual[j] = excess + rng.normal(0.0, noise)
        observed = np.full(len(TARGET_NAMES), np.nan)
        observed[j] = healthy + residual[j]
        tracker.update(float(ts), residual, observed)
    return tracker


def _true_days_left(excess_at_day, now_day: float, healthy: float = HEALTHY_DISCHARGE,
                    limit: float = LIMIT) -> float:
    """Days until the worst reading (healthy worst + excess) reaches the limit."""
    for d in np.arange(now_day, now_day + 400.0, 0.01):
        if healthy + excess_at_day(d) >= limit:
            return float(d - now_day)
    return math.inf


def test_steady_drift_is_extended_to_its_limit() -> None:
    drift = lambda d: 1.0 * d  # noqa: E731 - 1 K per day
    tracker = _feed(drift, days=10)
    p = tracker.predict("compressor_wear", 10 * DAY)
    assert p is not None and p.indicator == "t_discharge"
    actual = _true_days_left(drift, 10)
    predicted = (p.predicted_trip_ts - 10 * DAY) / DAY
    assert abs(predicted - actual) < 0.3 * actual, (predicted, actual)
    assert p.lower_ts <= 10 * DAY + actual * DAY <= p.upper_ts


def test_accelerating_fault_is_not_promised_a_linear_future() -> None:
    growth = lambda d: 0.5 * math.exp(0.25 * d)  # noqa: E731 - doubles every 2.8 days
    tracker = _feed(growth, days=8)
    now = 8 * DAY - HOUR
    # a leak's discharge: a worn compressor's is extended by lines before its derate (prognosis.WEAR_LINE)
    p = tracker.predict("refrigerant_leak", now)
    assert p is not None
    actual = _true_days_left(growth, now / DAY)
    predicted = (p.predicted_trip_ts - now) / DAY
    assert abs(predicted - actual) < 0.3 * actual, (predicted, actual)
    assert p.lower_ts <= now + actual * DAY <= p.upper_ts, "interval must hold the real trip"


def test_no_trend_no_date() -> None:
    """A flat indicator is dated nowhere, or months out, up to the cap ("not this season"): a noise line's slope
    may point up (a worn compressor's discharge is extended by lines, prognosis.WEAR_LINE; a leak's fallback by
    every law), never into the weeks a dispatcher plans on."""
    for seed in range(8):
        tracker = _feed(lambda d: 0.0, days=10, seed=seed)
        for fault in ("compressor_wear", "refrigerant_leak"):
            p = tracker.predict(fault, 10 * DAY)
            assert p is None or p.predicted_trip_ts - 10 * DAY >= 120 * DAY, (seed, fault, p)
            assert p is None or p.predicted_trip_ts - 10 * DAY <= CAP_DAYS * DAY


def test_a_pump_at_its_limit_is_due_now() -> None:
    """Every reading past the limit: due within the first step of the first passage (6 h)."""
    from heatwatch.edge.heatpump.prognosis import GRID_DAYS

    tracker = _feed(lambda d: 41.0, days=2)
    p = tracker.predict("compressor_wear", 2 * DAY)
    assert p is not None and 2 * DAY <= p.predicted_trip_ts <= 2 * DAY + GRID_DAYS * DAY


def test_a_pump_that_ran_on_past_its_limit_once_is_not_due_now() -> None:
    """A discharge 3 K under its stop and climbing 0.2 K a day, with one reading a day ago 1 K past
    the stop that did not trip the pump (a poll on a transient, a switch's tolerance). It was told
    "now" (the worst hour of the last three days at the limit) and stayed "now" for three days; a
    worst reading that did not trip is one more day for the first passage: days away, the one day
    in two weeks that reached the limit giving its share of a day's chance."""
    drift = lambda d: 37.0 + 0.2 * (d - 10.0)  # noqa: E731  - 75 + 37 = 112 °C on day 10
    tracker = _feed(drift, days=9.0, noise=0.3)
    residual = np.zeros(len(TARGET_NAMES))
    residual[J] = drift(9.0)
    observed = np.full(len(TARGET_NAMES), np.nan)
    observed[J] = LIMIT + 1.0  # one poll past the stop
    tracker.update(9.0 * DAY, residual, observed)
    rng = np.random.default_rng(2)
    for ts in np.arange(9.0 * DAY + 300.0, 10.0 * DAY, 300.0):
        residual = np.zeros(len(TARGET_NAMES))
        residual[J] = drift(ts / DAY) + rng.normal(0.0, 0.3)
        observed = np.full(len(TARGET_NAMES), np.nan)
        observed[J] = HEALTHY_DISCHARGE + residual[J]
        tracker.update(float(ts), residual, observed)
    p = tracker.predict("compressor_wear", 10.0 * DAY)
    assert p is not None
    days = (p.predicted_trip_ts - 10.0 * DAY) / DAY
    assert 2.0 <= days <= _true_days_left(drift, 10.0), days


def test_a_learned_flow_limit_lies_past_the_lowest_flow_the_pump_ran_on() -> None:
    """The flow switch is set from the commissioned flow (half of 20 l/min); a pump whose flow
    dipped to 9 l/min for ten minutes two days ago and ran on has its switch below 9: the limit
    moves there, and the pump is not told "now" (it was, for the three days the dip stayed among
    the worst hours looked at), but days: the dip's day comes back with the fault grown."""
    j = TARGET_NAMES.index("flow_lpm")
    tracker = PrognosisTracker()
    tracker.calibration = None
    tracker.set_flow_limit(20.0)
    rng = np.random.default_rng(4)
    for ts in np.arange(0.0, 14.0 * DAY, 300.0):
        d = ts / DAY
        residual = np.full(len(TARGET_NAMES), np.nan)
        residual[j] = -0.5 * d + rng.normal(0.0, 0.1)  # a clogging strainer: 0.5 l/min a day
        observed = np.full(len(TARGET_NAMES), np.nan)
        dip = 5.0 if 12.0 * DAY <= ts < 12.0 * DAY + 600.0 else 0.0  # ten minutes on day 12
        observed[j] = 20.0 + residual[j] - dip
        tracker.update(float(ts), residual, observed)
    lowest = min(h[3][j] for h in tracker._hours)
    assert lowest < 10.0
    p = tracker.predict("low_water_flow", 14.0 * DAY)
    assert p is not None and p.indicator == "flow_lpm"
    assert p.threshold == lowest
    days = (p.predicted_trip_ts - 14.0 * DAY) / DAY
    assert 0.5 <= days <= 8.0, days  # 8: the day's mean flow reaches 9 l/min


R290_HP_TRIP = 22.5  # bar: a propane pump's high-pressure switch (an R32 pump's opens near 41)
R290_HEALTHY_P_HIGH = 16.0  # bar, the worst healthy reading of the day (condensing near 47 °C)


def _r290_condenser_fouling(tracker: PrognosisTracker) -> PrognosisTracker:
    """Scale on the condenser: the high pressure's worst reading climbs 0.5 bar a day."""
    return _feed(lambda d: 0.5 * d, days=10, tracker=tracker, channel="p_high", healthy=R290_HEALTHY_P_HIGH,
                 noise=0.1)


def test_a_propane_pump_is_predicted_to_trip_at_its_own_high_pressure_limit():
    # the tracker the agent gets for an R290 pump (edge.toml [device] refrigerant = "R290")
    pipeline = PumpPipeline.with_config("hp-290", HeatPumpDetectorConfig(refrigerant="R290"))
    tracker = _r290_condenser_fouling(pipeline.prognosis)
    p = tracker.predict("condenser_fouling", 10 * DAY)
    assert p is not None and p.indicator == "p_high"
    assert p.threshold == R290_HP_TRIP
    # 16 + 5 bar now, 1.5 bar of margin left at 0.5 bar a day: 3 days, not the 40 an R32 limit would give
    # (the noisy worst reading crosses a little earlier: the prediction may, too)
    actual = _true_days_left(lambda d: 0.5 * d, 10, healthy=R290_HEALTHY_P_HIGH, limit=R290_HP_TRIP)
    predicted = (p.predicted_trip_ts - 10 * DAY) / DAY
    assert abs(actual - 3.0) < 0.05
    assert abs(predicted - actual) < 0.2 * actual, (predicted, actual)
    assert p.lower_ts <= 10 * DAY + actual * DAY, "the earliest date must not come after the trip"


def test_a_restarted_propane_pump_keeps_its_limits_whatever_its_state_file_holds():
    """A state written with R32 limits for every pump (an older agent's) must not bring them back;
    the flow switch limit, learned from the pump, does come back."""
    old_agent = _r290_condenser_fouling(PrognosisTracker())  # R32 limits, as every pump had them
    old_agent.set_flow_limit(30.0)
    state = old_agent.state()
    assert state["limits"]["p_high"][1] == 41.0
    restarted = PrognosisTracker(refrigerant="R290")
    restarted.calibration = None
    restarted.load_state(state)
    assert restarted.limits["p_high"].threshold == R290_HP_TRIP
    assert restarted.limits["flow_lpm"].threshold == 15.0
    p = restarted.predict("condenser_fouling", 10 * DAY)
    assert p is not None and p.threshold == R290_HP_TRIP and (p.predicted_trip_ts - 10 * DAY) / DAY < 4.0


def test_daily_sums_carried_between_refreshes_are_the_sums_afresh() -> None:
    """_daily_cached (per-day sums kept from the last refresh) equals _daily over the history as it
    stands: while the month fills, once its oldest hours roll out mid-day, with NaN hours, and
    after the history is cleared and refilled; bit for bit."""
    from heatwatch.edge.heatpump import prognosis as pg

    rng = np.random.default_rng(5)
    tr = pg.PrognosisTracker(history_days=3.0)
    n_t = len(pg.TARGET_NAMES)

    def hour(t: float) -> tuple:
        m, hi = rng.normal(0, 1, n_t), rng.normal(30, 5, n_t)
        m[rng.random(n_t) < 0.1] = np.nan
        return (t, m, hi, hi - rng.random(n_t) * 10)

    t, checked = 7 * 3600.0, 0
    for step in range(200):
        for _ in range(int(rng.integers(1, 9))):
            tr._hours.append(hour(t))
            t += 3600.0
        if step == 120:  # cleared and refilled with other hours
            tr._hours.clear()
            tr._hours.extend(hour(t + 3600.0 * q) for q in range(30))
            t += 30 * 3600.0
        now = t - 3600.0 * float(rng.integers(0, 3))  # sometimes the latest hours are not before now
        rows = [h for h in tr._hours if h[0] < now]
        for j in (0, 2):
            for sign in (1.0, -1.0):
                want, got = pg._daily(rows, j, sign), tr._daily_cached(rows, j, sign)
                for w, g in zip(want, got):
                    np.testing.assert_array_equal(g, w)
                checked += len(want[0]) > 0
    assert checked > 500


def _first_passage_whole_grid(x, excess, base, target):
    """_first_passage_days as it was written before it went block by block: the whole year at once
    (each rival growth law's date, then the one date of them, _rival_days)."""
    from heatwatch.edge.heatpump import prognosis as pg

    grid = np.arange(pg.GRID_DAYS, pg.CAP_DAYS + pg.GRID_DAYS, pg.GRID_DAYS)
    h = pg._bandwidth(base)
    dates = []
    for curve in pg._excess_curves(x, excess):
        e = curve(grid)
        z = np.clip((base[None, :] + e[:, None] - target) / h[None, :], -30.0, 30.0)
        survive = np.cumprod((1.0 - (1.0 / (1.0 + np.exp(-1.702 * z))).mean(axis=1)) ** pg.GRID_DAYS)
        hit = np.flatnonzero(survive <= 0.5)
        dates.append(float(grid[hit[0]]) if len(hit) else (pg.CAP_DAYS if e[-1] > e[0] else None))
    return pg._rival_days(dates)


def test_first_passage_block_by_block_is_the_whole_year_at_once() -> None:
    """Stopping at the first block that halves the survival gives the very date the whole grid
    gives: trips within the first block, months away (the product carried across blocks), none."""
    from heatwatch.edge.heatpump import prognosis as pg

    rng = np.random.default_rng(17)
    days = []
    for _ in range(600):
        n = int(rng.integers(3, 31))
        x = -np.arange(n)[::-1] - rng.random()
        y = rng.choice([0.0, 0.01, 0.05, 0.2, 1.0]) * rng.random() * (x - x[0]) ** rng.choice([1.0, 1.5, 2.0]) \
            + rng.normal(0, rng.choice([0.01, 0.1, 0.5]), n)
        base = rng.normal(40, rng.choice([0.5, 2, 5]), min(n, 14))
        target = 40 + rng.choice([1, 5, 10, 30, 100]) * rng.random()
        want = _first_passage_whole_grid(x, y, base, target)
        assert pg._first_passage_days(x, y, base, target) == want
        days.append(want)
    block = pg.PASSAGE_BLOCK * pg.GRID_DAYS
    assert sum(d is not None and d <= block for d in days) > 50
    assert sum(d is not None and block < d < pg.CAP_DAYS for d in days) > 50
    assert sum(d is None or d == pg.CAP_DAYS for d in days) > 10


def _feed_current(tracker: PrognosisTracker, days: float, healthy_a, hz, drift_a_per_day: float,
                  seed: int = 3) -> PrognosisTracker:
    """Readings every 5 minutes: frequency ``hz(day)``, healthy current ``healthy_a(day)``, the
    current's residual a drift from day 0 (a rubbing compressor)."""
    rng = np.random.default_rng(seed)
    tracker.calibration = None
    ja, jh = TARGET_NAMES.index("compressor_a"), TARGET_NAMES.index("compressor_hz")
    for ts in np.arange(0.0, days * DAY, 300.0):
        d = ts / DAY
        residual = np.zeros(len(TARGET_NAMES))
        residual[ja] = drift_a_per_day * d + rng.normal(0.0, 0.1)
        observed = np.full(len(TARGET_NAMES), np.nan)
        observed[ja], observed[jh] = healthy_a(d) + residual[ja], hz(d)
        tracker.update(float(ts), residual, observed)
    return tracker


def test_over_current_limit_without_a_rated_current_is_learned_from_the_healthy_current_per_hertz() -> None:
    """Current grows in proportion to frequency at the same pressures: a pump that draws 0.12 A per
    Hz on its heavy hours is rated near 0.12 x TOP_HZ, and the relay is 25 % above that. A rubbing
    compressor is dated toward it; the site's rated current, when given, is the limit instead."""
    from heatwatch.edge.heatpump.prognosis import OVERCURRENT_MARGIN, TOP_HZ, learned_rated_current

    hz = lambda d: 60.0 + 20.0 * math.sin(2 * math.pi * d)  # noqa: E731 - 40-80 Hz over a day
    healthy = lambda d: 0.12 * hz(d)  # noqa: E731
    tracker = _feed_current(PrognosisTracker(), 10, healthy, hz, drift_a_per_day=0.4)
    rows = list(tracker._hours)
    ja, jh = TARGET_NAMES.index("compressor_a"), TARGET_NAMES.index("compressor_hz")
    assert learned_rated_current(rows, ja, jh) == pytest.approx(0.12 * TOP_HZ, rel=0.03)
    assert learned_rated_current(rows[:10], ja, jh) is None, "a few hours are not enough"
    p = tracker.predict("compressor_wear", 10 * DAY)
    assert p is not None and p.indicator == "compressor_a"
    limit = OVERCURRENT_MARGIN * 0.12 * TOP_HZ
    worst_healthy = 0.12 * 80.0
    actual = (limit - worst_healthy) / 0.4 - 10.0  # days until the worst hour's current reaches it
    assert 0.5 <= (p.predicted_trip_ts / DAY - 10.0) / actual <= 2.0
    assert p.threshold == pytest.approx(limit, rel=0.03)

    given = _feed_current(PrognosisTracker(rated_current_a=20.0), 10, healthy, hz, drift_a_per_day=0.4)
    p = given.predict("compressor_wear", 10 * DAY)
    assert p is not None and p.threshold == pytest.approx(OVERCURRENT_MARGIN * 20.0)


def test_a_rated_current_given_by_the_site_survives_a_new_compressor_and_a_restart() -> None:
    tracker = PrognosisTracker(rated_current_a=16.0)
    tracker.forget_history(keep_learned_limits=False)
    assert tracker.limits["compressor_a"].threshold == pytest.approx(20.0)
    again = PrognosisTracker(rated_current_a=16.0)
    again.load_state({**tracker.state(), "limits": {"compressor_a": ["up", 99.0]}})
    assert again.limits["compressor_a"].threshold == pytest.approx(20.0), "the config wins over a state file"
    with pytest.raises(ValueError, match="rated current"):
        PrognosisTracker(rated_current_a=float("nan"))


def _hot_water_days(excess_at_day, days: float, hot_water_every: int, seed: int = 3) -> PrognosisTracker:
    """An R32 pump's high pressure, one reading every 5 minutes: heating hours near 22 bar with
    the weather, and on most days one hot-water hour held at the controller's condensing limit
    (37.8 bar, tight from day to day); every ``hot_water_every``-th day has none. The fault adds
    excess(t) to every hour (its residual, with a little noise)."""
    rng = np.random.default_rng(seed)
    tracker = PrognosisTracker(refrigerant="R32")
    tracker.calibration = None
    j = TARGET_NAMES.index("p_high")
    weather = 0.0
    for ts in np.arange(0.0, days * DAY, 300.0):
        d = ts / DAY
        if ts % DAY == 0:
            weather = rng.normal(0.0, 1.0)
        hot_water = int(d) % hot_water_every != 0 and 6 * HOUR <= ts % DAY < 7 * HOUR
        healthy = 37.8 + rng.normal(0.0, 0.05) if hot_water else 22.0 + weather + rng.normal(0.0, 0.3)
        residual = np.zeros(len(TARGET_NAMES))
        residual[j] = excess_at_day(d) + rng.normal(0.0, 0.05)
        observed = np.full(len(TARGET_NAMES), np.nan)
        observed[j] = healthy + residual[j]
        tracker.update(float(ts), residual, observed)
    return tracker


@pytest.mark.parametrize("hot_water_every", [2, 3, 4])
def test_hot_water_days_held_at_the_condensing_limit_are_not_smeared_over_the_days_without(hot_water_every):
    """A fouled condenser's worst hour is a hot-water cycle the controller holds at its condensing
    limit, tight from day to day; the days without one sit 16 bar below. The trip comes when the
    fault's excess has eaten the hot-water hour's margin (41 - 37.8 bar at 0.05 bar a day: 64
    days in). Smearing the hot-water days over the whole spread of the days (the kernel's width a
    quarter of their standard deviation, 2 bar) dated it five times early: 7.5-9 days where
    44 are left."""
    fouling = lambda d: 0.05 * d  # noqa: E731 - bar per day
    tracker = _hot_water_days(fouling, days=20.0, hot_water_every=hot_water_every)
    p = tracker.predict("condenser_fouling", 20 * DAY)
    assert p is not None and p.indicator == "p_high"
    predicted = (p.predicted_trip_ts - 20 * DAY) / DAY
    actual = _true_days_left(fouling, 20.0, healthy=37.8, limit=41.0)
    assert 0.5 <= predicted / actual <= 2.0, (predicted, actual)


def test_an_evaporator_fault_is_dated_by_what_reaches_its_coldest_hour():
    """A fouled or iced coil's approach grows with the heat drawn through it over the air it
    passes: its excess on the coldest, heaviest hour (where the discharge is worst) is a multiple
    of the day's mean. Here that hour carries 2.5x the mean excess (0.4 K a day): the trip comes
    at day 20 (95 + 2.5 x 0.4 x 20 = 115). Taken as the mean excess on top of the healthy worst,
    the date was four times late (about 40 days where 10 are left)."""
    rng = np.random.default_rng(5)
    tracker = PrognosisTracker(refrigerant="R32")
    tracker.calibration = None
    mean_excess = lambda d: 0.4 * d  # noqa: E731 - K per day, the day's mean
    for ts in np.arange(0.0, 10 * DAY, 300.0):
        d, hour = ts / DAY, (ts % DAY) / HOUR
        cold = 3 <= hour < 4
        load = 2.5 if cold else (24 - 2.5) / 23  # the day's mean load 1
        healthy = 95.0 if cold else 80.0 + 5.0 * math.sin(2 * math.pi * hour / 24)
        residual = np.zeros(len(TARGET_NAMES))
        residual[J] = load * mean_excess(d) + rng.normal(0.0, 0.3)
        observed = np.full(len(TARGET_NAMES), np.nan)
        observed[J] = healthy + residual[J] + rng.normal(0.0, 0.3)
        tracker.update(float(ts), residual, observed)
    p = tracker.predict("evaporator_fouling", 10 * DAY)
    assert p is not None and p.indicator == "t_discharge"
    predicted = (p.predicted_trip_ts - 10 * DAY) / DAY
    assert 0.5 <= predicted / 10.0 <= 2.0, predicted


def test_rival_growth_laws_give_their_median_date_unless_one_is_urgent() -> None:
    """The earliest of several growth laws that foretold the last days about equally well is their
    most extreme extrapolation: it dated early (calibration fleets, estimates 16 days or more ahead
    within a factor 2 49 % -> 61 %). Their median is the date; but a law that gives a trip within
    the gateway's most urgent band (2 days) keeps that date."""
    from heatwatch.edge.heatpump import prognosis as pg

    assert pg._rival_days([6.0, 20.0, 9.0]) == 9.0
    assert pg._rival_days([6.0, 20.0]) == 13.0
    assert pg._rival_days([1.5, 20.0, 9.0]) == 1.5, "an urgent date is never drawn late"
    assert pg._rival_days([None, 12.0]) == 12.0
    assert pg._rival_days([None, None]) is None
    # on a real fit: an excess that bent lately, where a line, a parabola and an exponential over
    # several windows are rivals; the date is their median, later than the earliest of them
    rng = np.random.default_rng(5)
    found = 0
    for _ in range(200):
        n = 30
        x = -np.arange(n)[::-1] - 0.5
        y = 0.05 * (x - x[0]) ** 1.3 + rng.normal(0, 0.15, n)
        base = rng.normal(30.0, 1.0, 14)
        target = 30.0 + 6.0
        grid = np.arange(pg.GRID_DAYS, pg.CAP_DAYS + pg.GRID_DAYS, pg.GRID_DAYS)
        h = pg._bandwidth(base)
        dates = [d for d in (pg._passage_days(c, grid, base, h, target) for c in pg._excess_curves(x, y))
                 if d is not None]
        if len(set(dates)) < 2 or min(dates) <= pg.URGENT_DAYS:
            continue
        got = pg._first_passage_days(x, y, base, target)
        assert got == float(np.median(dates))
        found += got > min(dates)
    assert found > 20


SPELL_SD = 1.5  # K: how much a spell day's worst hour varies


def _feed_spell(spell_days: int, days: int = 30, spell_worst: float = 104.0, seed: int = 5) -> PrognosisTracker:
    """A discharge whose fault adds 10 K (growing 0.1 K a day); the day's worst hour (06:00) reads
    a mild 85-90 °C healthy, until a cold spell in the last ``spell_days`` days lifts it to
    ``spell_worst`` ± SPELL_SD: with the excess, a typical spell day 1 K under the 115 °C stop."""
    rng = np.random.default_rng(seed)
    mild = rng.uniform(85.0, 90.0, days)
    # the spell's days so far: none over the stop (the pump has not tripped), so drawn below it
    spell = np.minimum(rng.normal(spell_worst, SPELL_SD, days), spell_worst + 0.7)
    tracker = PrognosisTracker()
    tracker.calibration = None
    for ts in np.arange(0.0, days * DAY, 300.0):
        d = int(ts // DAY)
        worst = spell[d] if d >= days - spell_days else mild[d]
        residual = np.zeros(len(TARGET_NAMES))
        residual[J] = 10.0 + 0.1 * (ts / DAY - days) + rng.normal(0.0, 0.1)
        observed = np.full(len(TARGET_NAMES), np.nan)
        observed[J] = (worst if 6 * HOUR <= ts % DAY < 7 * HOUR else worst - 20.0) + residual[J]
        tracker.update(float(ts), residual, observed)
    return tracker


def _spell_median_wait(gap: float = 1.0, growth: float = 0.1, sd: float = SPELL_SD) -> float:
    """Median days to the first day over the stop while the spell lasts: each day passes it with
    P(N(0, sd) > gap - growth t)."""
    survive, t = 1.0, 0.0
    while survive > 0.5:
        t += 0.25
        p = 0.5 * math.erfc((gap - growth * t) / (sd * math.sqrt(2.0)))
        survive *= (1.0 - p) ** 0.25
    return t


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_a_pump_in_a_bad_spell_is_told_days_not_the_wait_for_a_bad_day(seed: int) -> None:
    """Weather comes in spells: a pump three days into a cold spell whose worst hour, with its
    excess, stands a typical 1 K under the stop is told within a factor 2 of its wait while the
    spell lasts (2.25 days), not the wait for such days drawn alike from two mostly mild weeks
    (main: 6.25-6.75 days)."""
    tracker = _feed_spell(3, seed=seed)
    now = 30 * DAY
    p = tracker.predict("refrigerant_leak", now)
    assert p is not None
    days = (p.predicted_trip_ts - now) / DAY
    want = _spell_median_wait()
    assert want / 2.0 <= days <= want * 2.0, (days, want)


def test_days_apart_are_not_taken_for_a_spell() -> None:
    """The spell's persistence pairs a day with the next calendar day only: with readings on every
    other day (a logger that lost the days between, or days with too few hours read), a slow
    swing would look like a spell carried from day to day when no neighbour was ever seen."""
    from heatwatch.edge.heatpump.prognosis import _persistence

    swing = np.sin(np.arange(30) * 2 * np.pi / 15.0)  # a fortnight's swing, one value per listed day
    every_day = np.arange(30) * DAY + 0.5 * DAY
    every_other_day = 2 * np.arange(30) * DAY + 0.5 * DAY
    assert _persistence(swing, every_day) > 0.5
    assert _persistence(swing, every_day) == _persistence(swing)  # no gap: as without times
    assert _persistence(swing, every_other_day) == 0.0


@pytest.mark.parametrize("ramp", [2.0, 3.0, 5.0])
def test_a_fault_found_two_days_after_its_evidence_began_is_dated_by_its_pace(ramp: float) -> None:
    """Twenty healthy days, then the discharge climbs ``ramp`` K a day; asked two days in (a fast
    fault is raised that soon), the trend windows still hold healthy days and drew the line 3-4 x
    too flat (told 26-50 days where 6-18 were left); the line from the evidence start through
    today's excess (_pace_days) is within a factor 1.4."""
    fault = lambda d: ramp * max(d - 20.0, 0.0)  # noqa: E731
    tracker = _feed(fault, days=22.0)
    p = tracker.predict("compressor_wear", 22.0 * DAY)
    assert p is not None
    actual = _true_days_left(fault, 22.0)
    predicted = (p.predicted_trip_ts - 22.0 * DAY) / DAY
    assert actual / 1.4 <= predicted <= 1.4 * actual, (predicted, actual)


def test_an_old_slow_fault_has_no_pace_date() -> None:
    """Evidence that began 25 days ago (no calm day in the last two weeks): the trend alone."""
    import heatwatch.edge.heatpump.prognosis as prognosis

    fault = lambda d: 0.5 * max(d - 5.0, 0.0)  # noqa: E731
    tracker = _feed(fault, days=30.0)
    with_pace = tracker.predict("compressor_wear", 30.0 * DAY)
    prognosis.USE_PACE = False
    try:
        trend = PrognosisTracker()
        trend.calibration = None
        trend._hours.extend(tracker._hours)
        alone = trend.predict("compressor_wear", 30.0 * DAY)
    finally:
        prognosis.USE_PACE = True
    assert with_pace is not None and alone is not None
    assert with_pace.predicted_trip_ts == alone.predicted_trip_ts


@pytest.mark.parametrize("a", [1.0, 2.0])
def test_a_fresh_fault_that_speeds_up_is_paced_by_its_last_day(a: float) -> None:
    """Twenty healthy days, then an excess growing as a * t^2; asked two days in. The trend alone
    told 39-71 days where 2.5-4.3 were left, the average pace since the evidence began 14-32; the
    last day's step sets the pace when it is the steeper (8-18 days: still late, as any line
    through an acceleration, but within a factor 5)."""
    fault = lambda d: a * max(d - 20.0, 0.0) ** 2  # noqa: E731
    tracker = _feed(fault, days=22.0)
    p = tracker.predict("compressor_wear", 22.0 * DAY)
    assert p is not None
    actual = _true_days_left(fault, 22.0)
    predicted = (p.predicted_trip_ts - 22.0 * DAY) / DAY
    assert actual <= predicted <= 5.0 * actual, (predicted, actual)


def _held_hot_water(days: float, fouling, hold_bar: float, seed: int = 7, hz_per_bar: float = 12.0
                    ) -> PrognosisTracker:
    """A propane pump's high pressure, one reading every 5 minutes: heating hours near 14 bar
    with the weather, one hot-water hour a day whose healthy peak is 19.5 bar. The fault adds
    ``fouling(day)`` to every hour's residual; the controller holds the hot-water hour at
    ``hold_bar`` by cutting the compressor's frequency (its reading does not pass that, while its
    residual, against the healthy model at the cut frequency, still carries the whole excess)."""
    # (the hour's frequency is the cut's readout: 12 Hz for each bar held back)
    rng = np.random.default_rng(seed)
    tracker = PrognosisTracker(refrigerant="R290")
    tracker.calibration = None
    j, jh = TARGET_NAMES.index("p_high"), TARGET_NAMES.index("compressor_hz")
    weather = 0.0
    for ts in np.arange(0.0, days * DAY, 300.0):
        d = ts / DAY
        if ts % DAY == 0:
            weather = rng.normal(0.0, 0.7)
        excess = fouling(d) + rng.normal(0.0, 0.03)
        if 6 * HOUR <= ts % DAY < 7 * HOUR:
            reading = min(19.5 + excess, hold_bar) + rng.normal(0.0, 0.1)
            # the frequency the controller cuts to hold it: 12 Hz per bar it holds back, from 70
            hz = 70.0 - hz_per_bar * max(19.5 + excess - hold_bar, 0.0) + rng.normal(0.0, 1.0)
        else:
            reading = 14.0 + weather + excess + rng.normal(0.0, 0.2)
            hz = 40.0 - 5.0 * weather + rng.normal(0.0, 2.0)
        residual = np.zeros(len(TARGET_NAMES))
        residual[j] = excess
        observed = np.full(len(TARGET_NAMES), np.nan)
        observed[j], observed[jh] = reading, hz
        tracker.update(float(ts), residual, observed)
    return tracker


def test_a_fouled_condenser_held_by_its_controller_is_not_told_within_days() -> None:
    """A slowly fouling condenser (0.08 bar a day) whose hot-water hour the controller has held
    at 21.8 bar for the last week (0.7 bar under the 22.5 bar switch) while the fault's excess
    grew on: the peak no longer follows the excess, the cut holds it. Taken as the two weeks'
    healthy worst (the peak less its residual, highest before the hold) plus today's excess, the
    peak stood above any real day and the pump was told 3 days (on the evaluation fleets such
    pumps were told 0-6 days with 10-40 left). The share of the excess that reaches the held
    peak is read from the last days (_held_share), so the date waits for the hold to give."""
    fouling = lambda d: 0.08 * d  # noqa: E731 - bar per day
    tracker = _held_hot_water(36.0, fouling, hold_bar=21.8)
    p = tracker.predict("condenser_fouling", 36 * DAY)
    assert p is not None and p.indicator == "p_high"
    predicted = (p.predicted_trip_ts - 36 * DAY) / DAY
    assert predicted >= 7.0, predicted


def test_a_fouled_condenser_whose_peak_follows_its_fault_keeps_its_date() -> None:
    """The same kind of fouling without a hold (a controller that does not cut, or whose cut has
    run out): the hot-water peak follows the excess (19.5 + 0.05 bar a day reaches 22.5 at day
    60, 24 days after now) and is dated within a factor 2 of that, as before the hold was read."""
    fouling = lambda d: 0.05 * d  # noqa: E731
    tracker = _held_hot_water(36.0, fouling, hold_bar=99.0)
    p = tracker.predict("condenser_fouling", 36 * DAY)
    assert p is not None and p.indicator == "p_high"
    predicted = (p.predicted_trip_ts - 36 * DAY) / DAY
    assert 0.5 <= predicted / 24.0 <= 2.0, predicted


def test_the_growth_laws_fits_are_numpy_polyfits_to_the_bit() -> None:
    """prognosis._polyfit (polyfit without its argument handling) gives np.polyfit's coefficients
    exactly, weighted or not, for lines and parabolas, and warns where the fit is rank deficient."""
    import warnings

    from heatwatch.edge.heatpump.prognosis import _polyfit

    rng = np.random.default_rng(3)
    for trial in range(600):
        n = int(rng.integers(2, 32))
        x = (np.arange(n) + 0.5 - rng.uniform(0, 40)) * rng.choice([1.0, 0.37])
        y = rng.normal(size=n).cumsum() * rng.choice([1e-3, 1.0, 50.0])
        if trial % 11 == 0:
            x = np.full(n, 3.0)  # every day at one x: rank deficient
        for deg, w in ((1, None), (2, None), (1, np.abs(y) + 0.1)):
            with warnings.catch_warnings(record=True) as theirs:
                warnings.simplefilter("always")
                want = np.polyfit(x, y, deg, w=w)
            with warnings.catch_warnings(record=True) as ours:
                warnings.simplefilter("always")
                got = _polyfit(x, y, deg, w=w)
            assert got.tobytes() == want.tobytes()
            assert [type(m.message) for m in ours] == [type(m.message) for m in theirs]


def test_a_pump_faulty_since_it_was_first_watched_is_paced_from_its_start() -> None:
    """A pump faulty from its installation has no calm day in its history: its excess stands above
    the healthy spread from the first day. Its evidence began where the history did (``born``), from
    no excess, so it is paced from there; before, it had no pace date at all (the trend alone)."""
    from heatwatch.edge.heatpump.prognosis import _pace_days

    rng = np.random.default_rng(3)
    x = np.array([-5.5, -4.5, -3.5, -2.5, -1.5, -0.5])  # days, relative to now
    excess = 2.0 * (x + 6.0) + rng.normal(0.0, 0.2, len(x))  # 2 K a day since the history began, 6 days ago
    base = 100.0 + rng.normal(0.0, 1.0, 14)
    assert _pace_days(x, excess, base, 115.0) is None  # no calm day, no birth: no pace
    days = _pace_days(x, excess, base, 115.0, born=-6.0)
    assert days is not None
    # at 2 K a day from ~11 K today, the healthy worst (~100 K + excess) meets 115 K in about 2 days
    assert 1.0 <= days <= 4.0, days


def _wandering_peak(lift: float, days: int = 30, seed: int = 11) -> PrognosisTracker:
    """A discharge whose fault adds 10 K (growing 0.1 K a day) and whose day's worst hour (06:00)
    wanders from day to day (healthy 98 ± 2.5 °C, the last three days 103.5), ``lift`` added to every
    reading: at 0 the last days' worst stands 1.5 K under the 115 °C stop, within one day-to-day
    spread of the peak."""
    rng = np.random.default_rng(seed)
    peak = np.minimum(rng.normal(98.0, 2.5, days), 103.0)
    peak[-3:] = 103.5
    tracker = PrognosisTracker()
    for ts in np.arange(0.0, days * DAY, 300.0):
        d = int(ts // DAY)
        residual = np.zeros(len(TARGET_NAMES))
        residual[J] = 10.0 + 0.1 * (ts / DAY - days)
        observed = np.full(len(TARGET_NAMES), np.nan)
        observed[J] = lift + (peak[d] if 6 * HOUR <= ts % DAY < 7 * HOUR else peak[d] - 20.0) + residual[J]
        tracker.update(float(ts), residual, observed)
    return tracker


def test_a_pump_within_a_spread_of_its_limit_may_trip_from_now_on() -> None:
    """A pump whose worst hour of the last days lies within its daily peak's own day-to-day spread
    of the limit trips on any bad enough day (calibration fleets: 12-15 % within a day): its
    interval starts now, whatever its date (main: half the date, as for a pump far from it). One
    many spreads under the limit keeps its early side."""
    now = 30 * DAY
    near = _wandering_peak(0.0).predict("compressor_wear", now)
    far = _wandering_peak(-12.0).predict("compressor_wear", now)
    assert near is not None and far is not None
    assert near.predicted_trip_ts > now + 0.5 * DAY, "not at its limit: a date ahead"
    assert near.lower_ts == now
    assert far.lower_ts > now + 0.5 * DAY


def test_a_fouled_condenser_is_extended_by_lines_not_by_a_take_off(monkeypatch) -> None:
    """A condenser's deposit builds up at a steady rate or levels off; it does not take off. Where its
    daily excess bends upward over the last weeks (here a parabola: the load of a colder month on the
    same plate), the parabola and the exponential extend that bend into a take-off and date the high
    pressure sooner; condenser fouling's high pressure is extended by lines only (GROWTH_LAWS), so
    its date is the one the lines alone give, later than the three laws' (on the calibration fleets
    every estimate within x2 70 -> 73 %, beyond 16 days 80 -> 86 %)."""
    from heatwatch.edge.heatpump import prognosis

    bend = lambda d: 0.02 * d + 0.002 * d * d  # noqa: E731 - bar: 1.2 bar after 20 days, 0.1 bar a day now
    assert prognosis.GROWTH_LAWS[("condenser_fouling", "p_high")] == ("line",)
    lines = _hot_water_days(bend, days=20.0, hot_water_every=3).predict("condenser_fouling", 20 * DAY)
    monkeypatch.setattr(prognosis, "GROWTH_LAWS", {})
    every_law = _hot_water_days(bend, days=20.0, hot_water_every=3).predict("condenser_fouling", 20 * DAY)
    assert lines is not None and every_law is not None and lines.indicator == every_law.indicator == "p_high"
    lines_days = (lines.predicted_trip_ts - 20 * DAY) / DAY
    every_days = (every_law.predicted_trip_ts - 20 * DAY) / DAY
    assert lines_days > 1.2 * every_days, (lines_days, every_days)
    # another fault's high pressure keeps every law
    assert prognosis.GROWTH_LAWS.get(("refrigerant_leak", "p_high"), prognosis.MODELS) == prognosis.MODELS


def test_a_levelling_law_is_a_parabola_that_bends_over_and_none_that_bends_up() -> None:
    """GROWTH_LAWS' "levelling": a fouling that levels off is extended along its tangent at now (the
    parabola's own rule), one that speeds up has no levelling law; the batched fits give the same curves
    as the one-at-a-time fit."""
    from heatwatch.edge.heatpump.prognosis import _fit, _fits

    x = np.arange(-12.0, 0.0)
    up, over = 0.01 * (x + 12.0) ** 2, 1.0 - 0.01 * x ** 2
    assert _fit(x, up, "levelling") is None and _fit(x, up, "parabola") is not None
    g = np.array([1.0, 5.0, 20.0])
    tangent = _fit(x, over, "levelling")
    assert tangent is not None
    np.testing.assert_allclose(tangent(g), _fit(x, over, "parabola")(g))
    np.testing.assert_allclose(tangent(g), 1.0 + 0.0 * g, atol=1e-9)  # flat at its top, now
    rng = np.random.default_rng(11)
    for _ in range(50):
        y = np.cumsum(rng.normal(0.1, 0.3, len(x)))
        one, batched = _fit(x, y, "levelling"), _fits(x, y, [(0, len(x), "levelling")])[0]
        assert (one is None) == (batched is None)
        if one is not None:
            np.testing.assert_array_equal(one(g), batched(g))


@pytest.mark.parametrize("in_order", [True, False])
def test_daily_sums_rolled_out_in_order_and_not(monkeypatch: pytest.MonkeyPatch, in_order: bool) -> None:
    """_daily_cached with its shortcut for hours whose days are in order (the hours left of a day that
    rolled out are the first ones) and without it: _daily afresh, bit for bit, with hours in order, hours
    of an earlier day arriving late (the days out of order: the shortcut must not be taken), and several
    days rolling out at once. Fails on main: no DAILY_IN_ORDER."""
    from heatwatch.edge.heatpump import prognosis as pg

    monkeypatch.setattr(pg, "DAILY_IN_ORDER", in_order)
    rng = np.random.default_rng(3506)
    n_t = len(pg.TARGET_NAMES)
    tr = pg.PrognosisTracker(history_days=2.0)
    t, checked, late = 5 * 3600.0, 0, 0
    for step in range(300):
        for _ in range(int(rng.integers(1, 30 if step % 17 == 0 else 9))):
            ts = t
            if step > 100 and rng.random() < 0.03:  # an hour of a day before, out of order
                ts, late = t - float(rng.integers(1, 3)) * 86400.0, late + 1
            m, hi = rng.normal(0, 1, n_t), rng.normal(30, 5, n_t)
            m[rng.random(n_t) < 0.1] = np.nan
            tr._hours.append((ts, m, hi, hi - rng.random(n_t) * 10))
            t += 3600.0
        rows = list(tr._hours)
        for j in (0, 2):
            for sign in (1.0, -1.0):
                want, got = pg._daily(rows, j, sign), tr._daily_cached(rows, j, sign)
                for w, g in zip(want, got):
                    assert g.tobytes() == w.tobytes()
                checked += len(want[0]) > 0
    assert checked > 1000 and late > 10


def test_no_healthy_worst_day_gives_no_kernel_and_no_warning() -> None:
    # a calibration replay met an empty base: np.std of nothing warned ("Degrees of freedom <= 0")
    # and was NaN (bench/prognosis_calibration.py runs with RuntimeWarnings as errors)
    import warnings

    from heatwatch.edge.heatpump import prognosis as pg

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert pg._bandwidth(np.zeros(0)).shape == (0,)
        one = pg._bandwidth(np.array([50.0]))
    assert one.shape == (1,) and one[0] > 0
