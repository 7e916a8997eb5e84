"""The prognosis' faster paths give the numbers of the plain ones, to the bit.

A refresh fits some twenty growth laws and reads a month of hours per indicator; the shortcuts
(the LAPACK call without np.linalg.lstsq's wrapper, the per-day maxima as runs of arrays, the
growth curve read a block at a time) must not move a date: each is held here to the code it replaced.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from heatwatch.edge.heatpump import prognosis as pg
from heatwatch.units import DAY, HOUR


def test_lstsq_is_numpys_to_the_bit() -> None:
    rng = np.random.default_rng(3)
    for _ in range(300):
        m, n = int(rng.integers(3, 40)), int(rng.integers(2, 4))
        a = rng.normal(size=(m, n)) * 10.0 ** rng.uniform(-3, 3, size=n)
        if rng.random() < 0.2:
            a[:, -1] = a[:, 0]  # rank deficient
        b = rng.normal(size=m)
        rcond = m * float(np.finfo(float).eps)
        want, _, rank, _ = np.linalg.lstsq(a, b, rcond)
        got, got_rank = pg._lstsq(a, b, rcond)
        assert got.tobytes() == want.tobytes()
        assert got_rank == rank


def _worst_share_lists(rows, j, sign, excess, k_min, k_max, last=0):
    """_worst_share as it was, per-day lists of Python floats."""
    acc: dict[int, list] = {}
    for t, m, hi, lo in rows:
        v, r = (hi[j] if sign > 0 else lo[j]), m[j]
        if not (math.isnan(v) or math.isnan(r)):
            acc.setdefault(int(t // DAY), []).append((sign * v, sign * r))
    keys = [d for d in sorted(acc) if len(acc[d]) >= 12]
    if len(keys) != len(excess):
        return 1.0, None
    worst = np.array([max(v for v, _ in acc[d]) for d in keys])
    s0 = max(len(excess) - last, 0) if last else 0
    i, q = np.triu_indices(len(excess) - s0, 1)
    i, q = i + s0, q + s0
    de = excess[q] - excess[i]
    ok = np.abs(de) > 1e-9
    if ok.sum() < 3:
        return 1.0, None
    k = min(max(float(np.median((worst[q] - worst[i])[ok] / de[ok])), k_min), k_max)
    return k, np.array([max(v - k * r for v, r in acc[d]) for d in keys])


def test_worst_share_is_the_per_day_lists() -> None:
    rng = np.random.default_rng(11)
    checked = 0
    for trial in range(60):
        hours = int(rng.integers(24 * 3, 24 * 30))
        t0 = 1000 * DAY + float(rng.integers(0, 24)) * HOUR
        rows = []
        for h in range(hours):
            m = rng.normal(0.0, 1.0, 3) + 0.05 * h / 24
            hi = 40.0 + rng.normal(0.0, 2.0, 3) + m
            lo = hi - 5.0
            if rng.random() < 0.15:
                m[1] = np.nan  # a channel unread for an hour
            if rng.random() < 0.1:
                hi[1] = lo[1] = np.nan
            rows.append((t0 + h * HOUR, m, hi, lo))
        if trial % 5 == 0:  # hours out of order: grouped by day all the same
            k = int(rng.integers(1, len(rows) - 1))
            rows = rows[k:] + rows[:k]
        sign = 1.0 if trial % 2 else -1.0
        _, excess, _ = pg._daily(rows, 1, sign)
        # the days' runs: each kept day's hours, its worst the worst of its list
        sv, sr, starts = pg._day_runs(rows, 1, sign)
        acc: dict[int, list] = {}
        for t, m, hi, lo in rows:
            v = hi[1] if sign > 0 else lo[1]
            if not (math.isnan(v) or math.isnan(m[1])):
                acc.setdefault(int(t // DAY), []).append(sign * v)
        want_worst = [max(acc[d]) for d in sorted(acc) if len(acc[d]) >= 12]
        assert np.maximum.reduceat(sv, starts).tolist() == want_worst
        assert len(sv) == len(sr) == sum(len(acc[d]) for d in sorted(acc) if len(acc[d]) >= 12)
        if trial % 7 == 0:
            excess = excess[1:]  # not _daily's days: no share
        for last in (0, pg.HOLD_DAYS):
            want = _worst_share_lists(rows, 1, sign, excess, 0.25, 3.0, last)
            got = pg._worst_share(rows, 1, sign, excess, 0.25, 3.0, last)
            assert got[0] == want[0]
            assert (got[1] is None) == (want[1] is None)
            if want[1] is not None:
                assert got[1].tobytes() == want[1].tobytes()
                checked += 1
    assert checked > 30


def _passage_whole_grid(e, grid, base, h, target, rho=0.0):
    """_passage_days as it was: the curve's excess over the whole grid, np.clip and np.mean."""
    hit, survive = -1, None
    for s in range(0, len(grid), pg.PASSAGE_BLOCK):
        z = np.clip((base[None, :] + e[s:s + pg.PASSAGE_BLOCK, None] - target) / h[None, :], -30.0, 30.0)
        k = 1.0 / (1.0 + np.exp(-1.702 * z))
        p_day = k.mean(axis=1)
        if rho > 0.0:
            w = rho ** grid[s:s + pg.PASSAGE_BLOCK]
            p_day = (1.0 - w) * p_day + w * k[:, -pg.SPELL_DAYS:].mean(axis=1)
        terms = (1.0 - p_day) ** pg.GRID_DAYS
        survive = np.cumprod(terms) if survive is None else np.multiply.accumulate(
            np.concatenate([survive[-1:], terms]))[1:]
        below = np.flatnonzero(survive <= 0.5)
        if len(below):
            hit = s + int(below[0])
            break
    return float(grid[hit]) if hit >= 0 else (pg.CAP_DAYS if e[-1] > e[0] else None)


def test_passage_days_block_by_block_is_the_whole_grid() -> None:
    rng = np.random.default_rng(7)
    grid = pg._GRID
    kinds = set()
    for trial in range(150):
        x = -np.arange(20)[::-1] - 0.5
        y = 0.02 * rng.uniform(0, 3) * (x - x[0]) ** rng.uniform(0.5, 2.0) + rng.normal(0, 0.2, 20)
        if trial % 4 == 0:
            y = -y  # healing: no date, or not this year
        base = rng.normal(30.0, 1.5, 14)
        target = 30.0 + rng.uniform(2.0, 40.0)
        h = pg._bandwidth(base)
        rho = float(rng.uniform(0.0, 0.9)) if trial % 2 else 0.0
        for curve in pg._excess_curves(x, y):
            want = _passage_whole_grid(curve(grid), grid, base, h, target, rho)
            got = pg._passage_days(curve, grid, base, h, target, rho)
            assert got == want
            kinds.add("none" if want is None else "cap" if want == pg.CAP_DAYS else "date")
    assert kinds == {"none", "cap", "date"}


def _hour(rng, t: float, day: float, n_t: int) -> tuple:
    """One hour of a pump drifting toward its trips: the discharge, the low pressure's fall, the valve
    opening wider, the high pressure; weather in the highs, a few NaN hours."""
    idx = {c: i for i, c in enumerate(pg.TARGET_NAMES)}
    m, hi = rng.normal(0, 0.5, n_t), rng.normal(30, 3, n_t)
    lo = hi - rng.random(n_t) * 5
    cold = 5.0 * math.sin(day / 3.0)
    m[idx["t_discharge"]] += 0.3 * day
    hi[idx["t_discharge"]] = 80.0 + cold + m[idx["t_discharge"]] + rng.normal(0, 1)
    m[idx["p_low"]] -= 0.02 * day
    lo[idx["p_low"]] = 6.0 - 0.1 * cold + m[idx["p_low"]]
    m[idx["p_high"]] += 0.1 * day
    hi[idx["p_high"]] = 30.0 + 0.2 * cold + m[idx["p_high"]]
    healthy_eev = 40.0 + 2.0 * cold
    m[idx["eev_pct"]] = healthy_eev * 0.01 * day + rng.normal(0, 0.5)
    hi[idx["eev_pct"]] = min(healthy_eev + m[idx["eev_pct"]] + 5.0, 100.0)
    lo[idx["eev_pct"]] = healthy_eev + m[idx["eev_pct"]] - 5.0
    if rng.random() < 0.05:
        m[rng.integers(n_t)] = np.nan
    return (t, m, hi, lo)


def test_columns_carried_between_refreshes_are_the_hours_stacked_afresh() -> None:
    """PrognosisTracker._columns (the hours as arrays, kept from the last refresh) equals the hours
    stacked afresh: while the month fills, once its oldest hours roll out, when the latest hours are
    not before now, after a change of reference (new hour tuples) and a refill; bit for bit."""
    rng = np.random.default_rng(21)
    tr = pg.PrognosisTracker(history_days=3.0)
    n_t = len(pg.TARGET_NAMES)
    t, checked = 7 * HOUR, 0
    for step in range(200):
        for _ in range(int(rng.integers(0, 9))):
            tr._hours.append(_hour(rng, t, t / DAY, n_t))
            t += HOUR
        if step == 80:
            tr.carry_over(rng.normal(0, 1, n_t))
        if step == 140:
            tr._hours.clear()
            tr._hours.extend(_hour(rng, t + HOUR * q, 0.0, n_t) for q in range(30))
            t += 30 * HOUR
        now = t - HOUR * float(rng.integers(0, 3))
        rows = [h for h in tr._hours if h[0] < now]
        got = tr._columns(rows)
        if not rows:
            assert got is None
            continue
        for g, w in zip(got, pg._stack_hours(rows)):
            assert g.shape == w.shape and np.ascontiguousarray(g).tobytes() == w.tobytes()
        checked += 1
    assert checked > 150


@pytest.mark.parametrize("fault", ["refrigerant_leak", "evaporator_fouling", "condenser_fouling", "eev_stuck_closed"])
def test_predict_with_its_shortcuts_is_predict_without(fault: str) -> None:
    """predict every six hours over a drifting pump's month, with the hours' arrays carried between
    refreshes and the healthy worst days' spell and widths kept while those days stand still, gives
    the very prognoses of a tracker that reads every hour afresh and computes every value anew."""
    rng = np.random.default_rng(22)
    n_t = len(pg.TARGET_NAMES)
    fast, plain = pg.PrognosisTracker(), pg.PrognosisTracker()
    plain._columns = lambda rows: None  # type: ignore[method-assign]
    plain._same_days = lambda key, fn, *days: fn(*days)  # type: ignore[method-assign]
    hits = {"memo": 0}
    same_days = fast._same_days

    def counted(key, fn, *days):  # noqa: ANN001, ANN202
        before = dict(fast._days_memo)
        value = same_days(key, fn, *days)
        hits["memo"] += key in before and before[key] is fast._days_memo[key]
        return value

    fast._same_days = counted  # type: ignore[method-assign]
    t, dated = 0.0, 0
    for day in range(40):
        for _ in range(24):
            h = _hour(rng, t, day + (t % DAY) / DAY, n_t)
            fast._hours.append(h)
            plain._hours.append(h)
            t += HOUR
            if t % (6 * HOUR) == 0 and day >= 2:
                got, want = fast.predict(fault, t + 1.0), plain.predict(fault, t + 1.0)
                assert (got is None) == (want is None)
                if got is not None:
                    assert got.model_dump_json() == want.model_dump_json()
                    dated += 1
    assert dated > 100
    assert hits["memo"] > 10  # the kept values were used, not only made


def test_median_is_numpys_to_the_bit() -> None:
    """prognosis._median (the middle of the sorted values) is float(np.median) for odd and even
    counts, ties, signed zeros, infinities, a NaN and nothing at all."""
    rng = np.random.default_rng(23)
    for trial in range(5000):
        n = int(rng.integers(0 if trial % 50 == 0 else 1, 60))
        a = rng.normal(size=n) * 10.0 ** rng.uniform(-5, 5)
        if n and trial % 5 == 0:
            a = np.round(a)
        if n and trial % 7 == 0:
            a[rng.integers(n)] = rng.choice([-0.0, 0.0, np.inf, -np.inf])
        if n and trial % 31 == 0:
            a[rng.integers(n)] = np.nan
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = float(np.median(a))
            got = pg._median(a if trial % 2 else a.tolist())
        assert np.float64(got).tobytes() == np.float64(want).tobytes()


def _peak_history(tr: pg.PrognosisTracker) -> list:
    """The tracker's every-reading hours and its open hour, each value's bytes (NaN, -0.0 told apart)."""
    rows = [(t, type(t), hi.tobytes(), lo.tobytes()) for t, hi, lo in tr._peaks]
    return rows + [(tr._pk_bucket, None if tr._pk_hi is None else tr._pk_hi.tobytes(),
                    None if tr._pk_lo is None else tr._pk_lo.tobytes())]


def test_update_peak_one_reading_is_update_peak_rows() -> None:
    """The agent's per-reading update_peak (no one-row arrays) keeps the hours update_peak_rows keeps,
    to the bit, whether fed one row at a time (as it was) or in chunks of a replay."""
    rng = np.random.default_rng(11)
    k = len(pg.TARGET_NAMES)
    ts = np.cumsum(rng.choice([30.0, 60.0, 300.0, 2 * HOUR], size=2000, p=[0.3, 0.5, 0.18, 0.02])) + 1e6 + 0.5
    X = rng.normal(size=(len(ts), k)) * 10.0
    X[rng.random(X.shape) < 0.1] = np.nan
    X[rng.random(X.shape) < 0.05] = 0.0
    X[rng.random(X.shape) < 0.05] = -0.0
    X[rng.random(len(ts)) < 0.02] = np.nan  # a reading with every target missing
    fast, rows, chunked = pg.PrognosisTracker(), pg.PrognosisTracker(), pg.PrognosisTracker()
    for t, x in zip(ts.tolist(), X):
        fast.update_peak(t, x)
        rows.update_peak_rows(np.array([t]), x[None, :])
    s = 0
    while s < len(ts):
        e = s + int(rng.integers(1, 200))
        chunked.update_peak_rows(ts[s:e], X[s:e])
        s = e
    assert len(fast._peaks) > 50
    assert _peak_history(fast) == _peak_history(rows)
    assert fast.state() == rows.state()
    for (t1, h1, l1), (t2, h2, l2) in zip(fast._peaks, chunked._peaks, strict=True):
        assert t1 == t2 and np.array_equal(h1, h2, equal_nan=True) and np.array_equal(l1, l2, equal_nan=True)
    # the reading's array is the caller's: changing it afterwards changes no hour kept
    x = np.ones(k)
    fast.update_peak(float(ts[-1]) + 10 * HOUR, x)
    x[:] = 99.0
    assert float(fast._pk_hi[0]) == 1.0 and float(fast._pk_lo[0]) == 1.0


@pytest.mark.parametrize("fault", ["refrigerant_leak", "eev_stuck_closed", "compressor_wear"])
def test_predict_reading_its_days_once_is_predict_reading_them_again(fault: str, monkeypatch) -> None:  # noqa: ANN001
    """predict with a fault's days read once per list of hours (DAILY_REPEAT), the last 72 hours' worst from the
    columns (WORST_FROM_COLUMNS) and the calibration's low-progress slope made once per table (_with_horizon_slope)
    gives the very prognoses of predict reading every day again, every worst hour by hour and every table anew."""
    rng = np.random.default_rng(24)
    n_t = len(pg.TARGET_NAMES)
    fast, plain = pg.PrognosisTracker(), pg.PrognosisTracker()
    made = []
    sloped = pg.with_horizon_slope

    def slope_anew(cal, slope):  # noqa: ANN001, ANN202
        made.append(slope)
        return sloped(cal, slope)

    t, dated = 0.0, 0
    for day in range(60):
        for _ in range(24):
            h = _hour(rng, t, 0.3 * day + (t % DAY) / DAY, n_t)
            fast._hours.append(h)
            plain._hours.append(h)
            t += HOUR
            if t % (6 * HOUR) == 0 and day >= 2:
                got = fast.predict(fault, t + 1.0)
                with monkeypatch.context() as m:
                    m.setattr(pg, "DAILY_REPEAT", False)
                    m.setattr(pg, "WORST_FROM_COLUMNS", False)
                    m.setattr(pg, "_with_horizon_slope", slope_anew)
                    want = plain.predict(fault, t + 1.0)
                assert (got is None) == (want is None)
                if got is not None:
                    assert got.model_dump_json() == want.model_dump_json()
                    dated += 1
    assert dated > 150
    assert fast._daily_last is None  # no hours held past a predict
    assert made or fault in pg.HORIZON_LOW_EXCEPT  # the low-progress slope's table was read, not only made


def test_horizon_slope_made_once_is_the_table_made_anew() -> None:
    """_with_horizon_slope gives with_horizon_slope's table, the same object for the same table and slope."""
    cal = pg.CALIBRATION
    once = pg._with_horizon_slope(cal, 0.5)
    assert once == pg.with_horizon_slope(cal, 0.5)
    assert pg._with_horizon_slope(cal, 0.5) is once
    assert pg._with_horizon_slope(cal, 0.4) == pg.with_horizon_slope(cal, 0.4) != once
