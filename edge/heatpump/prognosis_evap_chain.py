"""A fouled or iced evaporator's trip dated from its approach: the suction chain.

An outdoor coil that fouls, ices or loses its fan passes less heat per kelvin between the air
and the boiling refrigerant, so at the same load the evaporating temperature sits further below
the outdoor air: the approach (t_outdoor - t_evap) grows. Heat through a coil is its
conductance times that difference, so a coil whose conductance has fallen to 1 / (1 + c) of the
healthy one needs (1 + c) times the healthy approach for the same heat, most in kelvin on the
heavy (cold) hours. The approach shows the fouling from its first days; the trip indicators move
late: the low pressure is the saturation pressure at the evaporating temperature (exponential in
it, so a steady fall in kelvin is a slow fall in bar first), and the healthy model reads much of
the discharge's rise as the higher compressor speed the thinner suction gas asks for.

The chain followed:

1. the fouling, as the approach's relative excess c = residual / healthy approach, one value a
   day (a ratio of the day's sums), extended by the growth laws (:func:`prognosis._excess_curves`);
2. each of the last two weeks' hours lowered by what the fouling to come adds to its approach:
   the hour's heaviest healthy approach times (c ahead - c of that hour's day), in kelvin of
   evaporating temperature (and suction temperature, the valve holding the superheat);
3. the trip indicator of that hour, from the cycle's relations: the low pressure is the saturation
   pressure at the lowered evaporating temperature (the refrigerant's table); the discharge rises by
   the pump's own compression: T_d - T_s = k (T_is - T_s), T_is the isentropic discharge from the
   lowered suction to the same high pressure, k the pump's own ratio on its recent hours (its
   losses, read from its readings, not assumed).

Each future day trips with the share of those two weeks' days whose worst hour would pass the
limit (the first passage of :mod:`prognosis`), as the leak's chain (:mod:`prognosis_chain`).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from heatwatch.refrigerant import _LOG_P, _T_C, ISENTROPIC_EXPONENT, isentropic_discharge, t_sat_array
from heatwatch.units import DAY

MIN_APPROACH_K = 1.0  # an hour whose healthy approach is below this (a stopped fan, a start) tells no ratio
MIN_DAY_HOURS = 6  # hours a day needs for its fouling index
MIN_RISE_K = 5.0  # an hour whose isentropic rise is below this says nothing of the compression's losses
# the coldest evaporating temperature the relations are read at: far below any switch, and above
# absolute zero (an exploding growth law would otherwise give a suction colder than 0 K, whose
# "isentropic discharge" falls: the chain must worsen as the fouling grows)
T_FLOOR_C = -100.0
K_BOUNDS = (0.6, 1.8)  # the compression's ratio k: an isentropic efficiency of 0.55..1.0 with shell losses
_MAX = float(np.finfo(float).max)  # np.nan_to_num's stand-in for -inf
SUB_BLOCK = 60  # future days read at once within a block (evap_chain_days): a date found early reads no further
# the saturation table extended down to T_FLOOR_C along its own extrapolation (log-pressure linear in
# temperature past its coldest points, as refrigerant.p_sat does): one np.interp for the whole block
_EXT_T = np.r_[T_FLOOR_C, _T_C]
_EXT_LOGP = {r: np.r_[lp[0] + (T_FLOOR_C - _T_C[0]) * (lp[1] - lp[0]) / (_T_C[1] - _T_C[0]), lp] for r, lp in _LOG_P.items()}


def _p_sat(t_c: np.ndarray, refrigerant: str) -> np.ndarray:
    """refrigerant.p_sat for temperatures from T_FLOOR_C up (the chain's lowered evaporating temperatures)."""
    return np.exp(np.interp(t_c, _EXT_T, _EXT_LOGP[refrigerant]))


def _drop(c: np.ndarray, c_day: np.ndarray, a_hi: np.ndarray, room: np.ndarray) -> np.ndarray:
    """min(a_hi (c - c_day), room): each hour's fall of its evaporating temperature at the fouling c."""
    drop = np.subtract(c, c_day)
    drop *= a_hi
    return np.minimum(drop, room, out=drop)


def daily_fouling(cols: tuple[np.ndarray, ...], i_app: int, now: float) -> tuple[np.ndarray, np.ndarray, dict[int, float]] | None:
    """The approach's relative excess c per day: (days from now, c, {day: c}); None with fewer than 3 days."""
    t, M, HI, LO = cols
    res = M[:, i_app]
    healthy = 0.5 * (HI[:, i_app] + LO[:, i_app]) - res
    ok = np.isfinite(res) & np.isfinite(healthy) & (healthy >= MIN_APPROACH_K)
    day = (t // DAY).astype(np.int64)
    days = day[ok]
    if not len(days):
        return None
    keys, inv, counts = np.unique(days, return_inverse=True, return_counts=True)
    r = np.bincount(inv, weights=res[ok], minlength=len(keys))
    h = np.bincount(inv, weights=healthy[ok], minlength=len(keys))
    keep = counts >= MIN_DAY_HOURS
    if keep.sum() < 3:
        return None
    c = r[keep] / h[keep]
    keys = keys[keep]
    return ((keys + 0.5) * DAY - now) / DAY, c, dict(zip(keys.tolist(), c.tolist()))


def compression_ratio(ts: np.ndarray, ph: np.ndarray, pl: np.ndarray, td: np.ndarray, refrigerant: str) -> float | None:
    """The pump's own k = (T_d - T_s) / (T_is - T_s), the median over hours with a real lift."""
    with np.errstate(invalid="ignore", divide="ignore"):
        rise = isentropic_discharge(ts, ph, pl, refrigerant) - ts
        k = (td - ts) / rise
    ok = np.isfinite(k) & (rise >= MIN_RISE_K)
    if ok.sum() < 24:
        return None
    return float(np.clip(np.median(k[ok]), *K_BOUNDS))


def evap_chain_days(cols: tuple[np.ndarray, ...] | None, now: float, refrigerant: str, idx: dict[str, int],
                    ch: str, threshold: float, base_days: int, grid: np.ndarray, curves_of,
                    block: int = 120, pick: Callable[[list[float | None]], float | None] | None = None,
                    fouling: tuple[np.ndarray, np.ndarray, dict[int, float]] | None = None,
                    curves: list | None = None) -> float | None:
    """Days until a day's worst ``ch`` ("p_low" or "t_discharge") passes ``threshold`` by the suction chain.

    ``cols``: the tracker's hours before now as arrays (times, means, highs, lows; PrognosisTracker._columns);
    ``idx``: the target index of each channel; ``curves_of(x, y)`` the growth curves of a daily series.
    ``fouling`` (daily_fouling's) and ``curves`` (its growth curves): given when already made for the
    other indicator of the same hours. None: no chain (too few days, or the channels missing)."""
    if ch not in ("p_low", "t_discharge"):
        raise ValueError(f"the evaporator's chain dates p_low or t_discharge, not {ch!r}")
    if refrigerant not in _EXT_LOGP:
        raise ValueError(f"unknown refrigerant {refrigerant!r}; known: {', '.join(_EXT_LOGP)}")
    if cols is None or not len(cols[0]):
        return None
    if fouling is None:
        fouling = daily_fouling(cols, idx["evap_approach"], now)
    if fouling is None:
        return None
    dx, dc, by_day = fouling
    if curves is None:
        curves = curves_of(dx, dc)
    if not curves:
        return None
    t, M, HI, LO = cols
    ia = idx["evap_approach"]
    recent = t >= now - base_days * DAY
    day = (t // DAY).astype(np.int64)
    c_day = np.array([by_day.get(d, np.nan) for d in day[recent].tolist()])
    a_hi = (HI[:, ia] - M[:, ia])[recent]  # the hour's heaviest healthy approach
    if ch == "p_low":
        ip = idx["p_low"]
        p_lo = LO[recent, ip]
        with np.errstate(invalid="ignore", divide="ignore"):
            te = t_sat_array(np.where(p_lo > 0, p_lo, np.nan), refrigerant)
        ok = np.isfinite(te) & np.isfinite(a_hi) & np.isfinite(c_day) & (a_hi >= MIN_APPROACH_K)
        sign = -1.0
    else:
        mid = 0.5 * (HI + LO)
        ts, ph, pl = mid[recent, idx["t_suction"]], mid[recent, idx["p_high"]], mid[recent, idx["p_low"]]
        k = compression_ratio(ts, ph, pl, mid[recent, idx["t_discharge"]], refrigerant)
        if k is None:
            return None
        td_hi = HI[recent, idx["t_discharge"]]
        with np.errstate(invalid="ignore", divide="ignore"):
            te = t_sat_array(np.where(pl > 0, pl, np.nan), refrigerant)
            rise0 = isentropic_discharge(ts, ph, pl, refrigerant) - ts
        ok = np.isfinite(te) & np.isfinite(a_hi) & np.isfinite(c_day) & (a_hi >= MIN_APPROACH_K) \
            & np.isfinite(td_hi) & np.isfinite(rise0) & (ph > 0)
        sign = 1.0
    if ok.sum() < 24:
        return None
    d_days = day[recent][ok]
    starts = np.flatnonzero(np.r_[True, np.diff(d_days) != 0])
    a_hi, c_day, te = a_hi[ok], c_day[ok], te[ok]
    # the future hours are (future days x past hours) arrays: each step below is one of the relations'
    # operations in their order, written into the arrays it made (no temporaries: the same numbers)
    room = te - T_FLOOR_C  # the most an hour's evaporating temperature may fall
    if ch == "p_low":
        base = p_lo[ok]

        def future(c: np.ndarray) -> np.ndarray:  # (n, 1) -> (n, hours): sign times the low pressure
            drop = _drop(c, c_day, a_hi, room)
            p = _p_sat(np.subtract(te, drop, out=drop), refrigerant)
            return np.negative(p, out=p)  # sign (-1) times it
    else:
        ts, ph, rise0, base = ts[ok], ph[ok], rise0[ok], td_hi[ok]
        ex = (ISENTROPIC_EXPONENT[refrigerant] - 1.0) / ISENTROPIC_EXPONENT[refrigerant]

        def future(c: np.ndarray) -> np.ndarray:  # sign (+1) times the discharge
            drop = _drop(c, c_day, a_hi, room)
            pl_f = _p_sat(te - drop, refrigerant)
            ts_f = ts - drop
            with np.errstate(over="ignore", divide="ignore", invalid="ignore"):  # a vanishing suction: no limit
                # refrigerant.isentropic_discharge(ts_f, ph, pl_f) - ts_f
                ratio = np.power(np.divide(ph, pl_f, out=pl_f), ex, out=pl_f)
                rise = np.add(ts_f, 273.15)
                rise *= ratio
                rise -= 273.15
                rise -= ts_f
            rise -= rise0
            rise *= k
            out = np.subtract(base, drop, out=drop)
            out += rise
            # np.nan_to_num(out, nan=np.inf, posinf=np.inf)
            out[np.isnan(out)] = np.inf
            out[np.isneginf(out)] = -_MAX
            return out
    target = sign * threshold
    worst_now = np.maximum.reduceat(sign * base, starts)
    h = max(0.25 * float(np.std(worst_now)), 0.2 * (1.0 if ch == "t_discharge" else 0.4))
    c_now = float(curves[0](np.array([0.0]))[0])
    dates: list[float | None] = []
    for curve in curves:
        c_fut = np.maximum(curve(grid), min(c_now, 0.0))
        hit, survive = -1, 1.0
        # the worst of a day only worsens as c grows: where even the year's largest c gives no day a
        # hazard that halves the survival within the year, no block can, and none is read
        top = future(np.array([[float(c_fut.max())]]))  # (future() gives sign times the indicator)
        z = np.clip((np.maximum.reduceat(top, starts, axis=1) - target) / h, -30.0, 30.0)
        p_top = float((1.0 / (1.0 + np.exp(-1.702 * z))).mean())
        start = len(grid) if (1.0 - p_top) ** (grid[-1] * (1.0 + 1e-9)) > 0.5 + 1e-9 else 0
        for s in range(start, len(grid), block):
            # the block's days read SUB_BLOCK at a time, stopping at the first that halves the survival:
            # each day's hazard is its own row's, and a cumulative product's first terms are those of
            # the whole block's, so the same survival and the same day (most trips fall in the first weeks)
            e = min(s + block, len(grid))
            q = np.empty(e - s)
            for u in range(s, e, SUB_BLOCK):
                v = min(u + SUB_BLOCK, e)
                vals = future(c_fut[u:v, None])
                worst = np.maximum.reduceat(vals, starts, axis=1)  # per future day x past day
                z = np.clip((worst - target) / h, -30.0, 30.0)
                p_day = (1.0 / (1.0 + np.exp(-1.702 * z))).mean(axis=1)
                q[u - s:v - s] = (1.0 - p_day) ** (grid[1] - grid[0])
                surv = survive * np.cumprod(q[:v - s])
                below = np.flatnonzero(surv[u - s:] <= 0.5)
                if len(below):
                    hit = u + int(below[0])
                    break
            if hit >= 0:
                break
            survive = float(surv[-1])
        days = float(grid[hit]) if hit >= 0 else (float(grid[-1]) if c_fut[-1] > c_fut[0] else None)
        dates.append(days)
    if pick is not None:
        return pick(dates)
    return min((d for d in dates if d is not None), default=None)
