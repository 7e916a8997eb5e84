"""Physics chains for trips whose indicator moves late: a leak's valve headroom, then its discharge.

A leaking pump loses charge steadily, but its discharge temperature hardly moves while the
electronic expansion valve (EEV) can make up for it: the controller opens the valve wider
to feed the evaporator with less liquid. Once the valve stands at its end stop on the
coldest hours (where the healthy pump already needs the widest opening), the evaporator is
starved, the suction superheat runs away and the discharge with it: the trip indicator
moves late, so a trend of the discharge dates the trip too late (and a trend of the
valve's opening dates the end stop, not the trip).

The chain followed instead:

1. the charge lost, as the valve's extra relative opening c = residual / healthy opening on
   the hours the valve still has headroom (a valve needs an opening in proportion to the
   mass flow it must pass per unit of liquid it is fed, so an undercharged pump needs
   (1 + c) times the healthy opening at the same conditions); c is extended by the growth
   laws of :func:`prognosis._excess_curves` (a leak through a fixed hole: a line; a crack
   that grows: it bends); for a leak, of the laws that foretold the last days about equally
   well the median date is taken (``pick``: prognosis._rival_days, prognosis.CHAIN_RIVALS), not
   the earliest: the daily charge index is noisy, and the earliest date is the steepest
   extrapolation of a few days;
2. the valve needed hour by hour: the healthy opening of each of the last two weeks' hours
   (weather, hot water cycles) times (1 + c); what exceeds the end stop is the shortfall;
3. the discharge: the hour's healthy worst, plus the share of the leak that shows while the
   valve keeps up (beta * c, fitted on hours with headroom), plus the runaway,
   ``RUNAWAY_GAIN_K`` * the relative shortfall (the suction superheat of a starved
   evaporator rises, the discharge follows it through the compression).

Each future day trips with the share of those two weeks' days whose worst hour would pass
the limit (the first passage of :mod:`prognosis`).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from heatwatch.edge.heatpump import prognosis_kernels
from heatwatch.units import DAY

END_STOP_PCT = 98.0  # an hour whose widest opening reaches this has no headroom left
MIN_HEALTHY_PCT = 5.0  # an hour whose healthy opening is below this says nothing of the charge
MIN_DAY_HOURS = 6  # hours with headroom a day needs for its charge index
# K of discharge per unit of relative shortfall of the valve (est.): chosen on the calibration
# fleets 1001-1004 among 30, 40, 60 (57, 58, 52 % of raw leak estimates within a factor 2);
# fitting it on the pump's own end-stop hours was tried and is ill-posed (the hours that
# touch the end stop are mostly short of a few percent: 53-58 %, the fit at its bounds)
RUNAWAY_GAIN_K = 40.0


def leak_discharge_days(rows: list, now: float, i_eev: int, i_dis: int, target: float,
                        base_days: int, grid: np.ndarray, curves_of, block: int = 120,
                        cols: tuple[np.ndarray, ...] | None = None,
                        pick: Callable[[list[float | None]], float | None] | None = None) -> float | None:
    """Median days until a day's worst discharge passes ``target`` by the leak chain (None: no chain).

    ``rows`` are the tracker's hours (t, mean residual, hi, lo) before ``now``; ``curves_of(x, y)``
    gives the growth curves of a daily series (prognosis._excess_curves); ``cols``: the same hours as
    arrays (PrognosisTracker._columns: times, means, highs, lows), not read from ``rows`` again.
    """
    if not rows:
        return None
    if cols is None:
        cols = (np.array([h[0] for h in rows]), np.array([h[1] for h in rows], dtype=float),
                np.array([h[2] for h in rows], dtype=float), np.array([h[3] for h in rows], dtype=float))
    t = cols[0]
    both = [i_eev, i_dis]
    M = cols[1][:, both]  # the hours' means, highs and lows of both
    HI = cols[2][:, both]
    eev_hi, dis_hi = HI[:, 0], HI[:, 1]
    eev_m, dis_m = M[:, 0], M[:, 1]
    ok = ~(np.isnan(eev_hi) | np.isnan(eev_m) | np.isnan(dis_hi) | np.isnan(dis_m))
    eev_lo = cols[3][:, i_eev]
    # the hour's typical healthy opening (its middle less the residual): the hour's widest
    # opening is often a start or a defrost's recovery, not the load the valve must hold
    healthy_eev = 0.5 * (eev_hi + eev_lo) - eev_m
    ok &= ~np.isnan(eev_lo)
    ok &= healthy_eev >= MIN_HEALTHY_PCT
    free = ok & (eev_hi < END_STOP_PCT)
    with np.errstate(invalid="ignore", divide="ignore"):
        c_h = np.where(free, eev_m / np.maximum(healthy_eev, MIN_HEALTHY_PCT), np.nan)
    # daily charge index on the hours with headroom
    day = (t // DAY).astype(np.int64)
    # each day's hours with headroom are one run (the hours are in time order; put in order of day if
    # not): its mean is np.mean of them, the same sum of the same values in the same order
    fi = np.flatnonzero(free)
    fd = day[fi]
    if len(fd) > 1 and (np.diff(fd) < 0).any():
        order = np.argsort(fd, kind="stable")
        fi, fd = fi[order], fd[order]
    cf_days = c_h[fi]
    starts = np.flatnonzero(np.r_[True, fd[1:] != fd[:-1]]) if len(fd) else np.zeros(0, dtype=np.int64)
    counts = np.diff(np.r_[starts, len(fd)]).tolist()
    kept = [(s, c) for s, c in zip(starts.tolist(), counts) if c >= MIN_DAY_HOURS]
    if len(kept) < 3:
        return None
    keys = fd[[s for s, _ in kept]]
    dx_a = ((keys + 0.5) * DAY - now) / DAY
    dc_a = np.array([float(np.add.reduce(cf_days[s:s + c])) / c for s, c in kept])
    curves = curves_of(dx_a, dc_a)
    if not curves:
        return None
    # the discharge the leak adds while the valve keeps up: beta * c (through the origin)
    cf = c_h[free]
    beta = float(np.sum(cf * dis_m[free]) / max(float(np.sum(cf * cf)), 1e-9))
    beta = max(beta, 0.0)
    c_now = float(curves[0](np.array([0.0]))[0])
    gain = RUNAWAY_GAIN_K
    # the last two weeks' hours: healthy worst discharge and healthy opening, per day
    recent = ok & (t >= now - base_days * DAY)
    if recent.sum() < 24:
        return None
    d_days = day[recent]
    base_dis = (dis_hi - dis_m)[recent]
    base_eev = healthy_eev[recent]
    starts = np.flatnonzero(np.r_[True, np.diff(d_days) != 0])  # the hours are in time order
    spread = np.maximum.reduceat(base_dis, starts)
    h = max(0.25 * float(np.std(spread)), 1.0)
    if CHAIN_FRONTIER:  # a day's worst hour is one of its hours that no other hour of the day outdoes in both
        keep = _day_frontier(d_days, base_eev, base_dis)
        if keep is not None:
            d_days, base_eev, base_dis = d_days[keep], base_eev[keep], base_dis[keep]
            starts = np.flatnonzero(np.r_[True, np.diff(d_days) != 0])
    dates: list[float | None] = []
    past = (base_eev, base_dis, beta, gain, starts, d_days, target, h)
    step = grid[1] - grid[0]
    # the blocks' trip shares compiled (prognosis_kernels.chain_free: the same numbers) on a law finite on every day
    compiled = CHAIN_COMPILED and prognosis_kernels.AVAILABLE and len(starts) <= 128
    for curve in curves:
        c_fut = np.maximum(curve(grid), min(c_now, 0.0))
        fast = compiled and bool(np.isfinite(c_fut).all())
        hit, survive = -1, 1.0
        top = None  # the largest c from each future day on (read once a block has passed without a hit)
        bound = (math.nan, math.nan)  # the last largest c left and its trip share: a law that grows keeps it
        if CHAIN_BOUND and CHAIN_BOUND_FIRST and len(grid):  # the bound before any block: every day left
            top = np.maximum.accumulate(c_fut[::-1])[::-1]  # NaN: NaN from there back
            bound = (float(top[0]), _bound_share(float(top[0]), past, compiled))
            if _survives_rest(bound[1], step, len(grid), survive):  # no block read: as after the last, no hit
                dates.append(float(grid[-1]) if c_fut[-1] > c_fut[0] else None)
                continue
        for s in range(0, len(grid), block):
            if fast:  # 1 - each future day's trip share, numpy's exp taken of the exponents not at a clip only
                z, u = prognosis_kernels.chain_free(c_fut[s:s + block], base_eev, base_dis, beta, gain, starts,
                                                    target, h)
                np.exp(u, out=u)
                spared = prognosis_kernels.passage_q_free(z, u, None, 1)
            else:
                spared = 1.0 - _trip_shares(c_fut[s:s + block, None], *past)  # each future day's share of past days that trip
            surv = survive * np.cumprod(spared ** step)
            below = np.flatnonzero(surv <= 0.5)
            if len(below):
                hit = s + int(below[0])
                break
            survive = float(surv[-1])
            nxt = s + block
            if CHAIN_BOUND and nxt < len(grid):
                if top is None:
                    top = np.maximum.accumulate(c_fut[::-1])[::-1]  # NaN: NaN from there back
                c_max = float(top[nxt])
                if c_max != bound[0]:  # the same c: the same share (NaN: never the same)
                    bound = (c_max, _bound_share(c_max, past, compiled))
                if _survives_rest(bound[1], step, len(grid) - nxt, survive):
                    break  # no day left can halve the product: no passage this year
        days = float(grid[hit]) if hit >= 0 else (float(grid[-1]) if c_fut[-1] > c_fut[0] else None)
        dates.append(days)
    if pick is not None:
        return pick(dates)
    return min((d for d in dates if d is not None), default=None)


# False: each block's trip shares by _trip_shares' numpy steps (the reference; tests). True: the same numbers
# from one compiled pass (prognosis_kernels.chain_free) and numpy's exp of the exponents not at a clip
CHAIN_COMPILED = True
FRONTIER_COMPILED = True  # False: the frontier by np.unique's ranks and np.lexsort (the reference; tests)
CHAIN_FRONTIER = True  # False: every recent hour taken into each day's worst (the reference; tests)


def _day_frontier(d_days: np.ndarray, base_eev: np.ndarray, base_dis: np.ndarray) -> np.ndarray | None:
    """The hours (indices, in time order) that no other hour of their day outdoes in both healthy
    opening and healthy worst discharge (of equal ones, the first): None if the days are not in order.

    An hour j with base_eev_j >= base_eev_i and base_dis_j >= base_dis_i has, at any charge index c,
    a discharge base_dis + beta c + gain * max(base_eev (1 + c) / 100 - 1, 0) at least hour i's (each
    operation monotone in both and rounded monotonically; at 1 + c < 0 both shortfalls are 0; at a
    NaN or infinite c every hour gives the same, a NaN perhaps with another sign bit, which no share
    reads): the day's worst is one of the others, the very same number, so _worst_days need not take i.
    A day has some 24 hours and a handful of them on its frontier: the hours short of valve, taken
    whole on every future day, were most of the chain's time."""
    n = len(d_days)
    if n >= 2 and FRONTIER_COMPILED and prognosis_kernels.AVAILABLE:  # the same hours in one compiled pass
        keep = prognosis_kernels.day_frontier(d_days, base_eev, base_dis)
        if keep is not None:
            return keep
    if n < 2 or (np.diff(d_days) < 0).any():
        return None
    dis_rank = np.unique(base_dis, return_inverse=True)[1].astype(np.int64).reshape(-1)  # ties: one rank
    key = (d_days - d_days[0]) * (n + 1) + dis_rank  # a later day's keys above any earlier day's
    order = np.lexsort((-base_dis, -base_eev, d_days))  # by day, then the widest opening, then the worst discharge
    ks = key[order]
    before = np.maximum.accumulate(np.r_[np.int64(-1), ks[:-1]])  # the largest key ahead in that order
    return np.sort(order[ks > before])


CHAIN_BOUND = True  # False: every block read to the year's end when no day halves the product (the reference)
CHAIN_BOUND_FIRST = True  # the bound also before the first block (False: after each block only, as before)
_BOUND_SLACK = 1e-9  # relative: far more than the rounding of the logistic, the mean, 1 - p, the power and the product


def _trip_shares(c: np.ndarray, base_eev: np.ndarray, base_dis: np.ndarray, beta: float, gain: float,
                 starts: np.ndarray, d_days: np.ndarray, target: float, h: float) -> np.ndarray:
    """Per future day (rows of ``c``, (n, 1)): the share of the past days whose worst hour at that
    charge index would pass ``target``, kernel-smoothed by ``h`` (a logistic of the margin)."""
    worst = _worst_days(c, base_eev, base_dis, beta, gain, starts, d_days)  # per future day x past day
    z = np.clip((worst - target) / h, -30.0, 30.0)
    return (1.0 / (1.0 + np.exp(-1.702 * z))).mean(axis=1)


def _bound_share(c_max: float, past: tuple, compiled: bool = False) -> float:
    """The trip share of a future day at charge index ``c_max`` (_trip_shares; NaN for a NaN or infinite c);
    ``compiled``: the same number by prognosis_kernels.chain_free and share_free."""
    if not math.isfinite(c_max):
        return math.nan
    if compiled:
        base_eev, base_dis, beta, gain, starts, _, target, h = past
        z, u = prognosis_kernels.chain_free(np.array([c_max]), base_eev, base_dis, beta, gain, starts, target, h)
        np.exp(u, out=u)
        return float(prognosis_kernels.share_free(z, u)[0])
    return float(_trip_shares(np.array([[c_max]]), *past)[0])


def _survives_rest(share: float, step: float, n_left: int, survive: float) -> bool:
    """Can the survival product stay above one half over the ``n_left`` future days left, each tripping
    with at most ``share``, the share at the largest charge index c among them (_bound_share)? A past
    day's worst hour does not fall as c grows (beta >= 0, the healthy openings >= MIN_HEALTHY_PCT > 0:
    each operation of _worst_days is monotone in c and rounds monotonically), nor does its trip share,
    so the product stays at least survive x ((1 - share) ** step) ** n_left, taken with _BOUND_SLACK.
    True: it cannot reach one half, and reading the days left (most of a year's blocks for a law that
    never gets there) would find no passage. A NaN share, one above one half: False, read them (as
    prognosis._survives_rest for the trend)."""
    if not (n_left > 0 and survive > 0.5 and 0.0 <= share <= 0.5):  # NaN compares false
        return False
    share *= 1.0 + _BOUND_SLACK
    low = survive * math.exp(n_left * (step * math.log1p(-share) - 1e-12))
    return low > 0.5 * (1.0 + _BOUND_SLACK)


def _worst_days(c: np.ndarray, base_eev: np.ndarray, base_dis: np.ndarray, beta: float, gain: float,
                starts: np.ndarray, d_days: np.ndarray) -> np.ndarray:
    """Per future day (rows of ``c``, (n, 1)) and past day (hours from ``starts``): the worst hour's
    discharge base_dis + beta c + gain * shortfall, the shortfall max(base_eev (1 + c) / 100 - 1, 0).

    The same numbers as over every hour: an hour whose valve keeps up at the block's largest c
    (the shortfall grows with c) has no shortfall on any row, and there the worst of base_dis + beta c
    over a day's hours is its largest base_dis plus beta c (rounding a sum is monotone). Only the
    hours short of valve are taken whole: early in a leak's future that is none or few of them."""
    if not np.isfinite(c).all():
        short = np.maximum(base_eev[None, :] * (1.0 + c) / 100.0 - 1.0, 0.0)
        return np.maximum.reduceat(base_dis[None, :] + beta * c + gain * short, starts, axis=1)
    c_max = c.max(axis=0)  # (1,)
    active = base_eev * (1.0 + c_max) / 100.0 - 1.0 > 0.0
    bc = beta * c
    worst = np.maximum.reduceat(np.where(active, -np.inf, base_dis), starts)[None, :] + bc
    ia = np.flatnonzero(active)
    if len(ia):
        short = np.maximum(base_eev[None, ia] * (1.0 + c) / 100.0 - 1.0, 0.0)
        w = base_dis[None, ia] + bc + gain * short
        da = d_days[ia]
        cuts = np.flatnonzero(np.r_[True, da[1:] != da[:-1]])
        cols = np.searchsorted(d_days[starts], da[cuts])  # the past day of each run of short hours
        worst[:, cols] = np.maximum(worst[:, cols], np.maximum.reduceat(w, cuts, axis=1))
    return worst
