"""How much of a fouled condenser's mean pressure excess its day's worst hour carries: the saturation curve's share.

A fouling deposit adds a resistance to the plate condenser, so at the same heat the refrigerant condenses some
kelvin hotter than a clean plate lets it. The high-pressure switch reads that as bar, through the refrigerant's
saturation curve, and the curve steepens with the temperature (R32: about 0.5 bar/K at 30 °C, 1 bar/K at 60 °C).
The prognosis extends the day's MEAN residual of p_high (bar, over every hour of the day, most of them
space-heating hours at a low condensing temperature) and adds it to the day's healthy worst hour (a hot-water
cycle or the coldest hour, condensing hottest): the same kelvin there is more bar, so the worst hour carries more
than the mean excess and a date from the mean comes late, most near the trip (the day whose load the fouled
plates cannot carry).

The share, at equal kelvin excess over the day's hours (a deposit's resistance times a heat near the day's): the
curve's slope at the worst hour's pressure over the day's mean slope at its hours' pressures; the median over the
recent days, bounded to [1, SHARE_MAX]. Read from the refrigerant's table and the pump's own readings, not fitted.
A peak the controller holds back (prognosis._held_share) is not given it: there the cut, not the curve, rules.
"""

from __future__ import annotations

import numpy as np

from heatwatch.refrigerant import p_sat_array, t_sat_array
from heatwatch.units import DAY

SHARE_MAX = 3.0  # the curve's slope from a mild space-heating hour to a hot-water peak is under 2.5 for R32 / R290
MIN_DAY_HOURS = 12  # as the prognosis' days (_daily)
STEP_K = 0.5  # the slope's half step (the table is piecewise in log pressure)


def _slope(p_bar: np.ndarray, refrigerant: str) -> np.ndarray:
    """d p_sat / d T (bar/K) at the saturation temperature of each pressure (NaN where the pressure is not > 0)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        t = t_sat_array(np.where(p_bar > 0, p_bar, np.nan), refrigerant)
        return (p_sat_array(t + STEP_K, refrigerant) - p_sat_array(t - STEP_K, refrigerant)) / (2.0 * STEP_K)


def saturation_share(cols: tuple[np.ndarray, ...], j: int, refrigerant: str, now: float, days: int) -> float | None:
    """The share (>= 1) of the day's mean p_high excess its worst hour carries, over the last ``days`` days before
    ``now``; None with fewer than 3 such days. ``cols``: the tracker's hours (times, means, highs, lows), ``j`` the
    p_high column."""
    t, _, HI, LO = cols
    hi, lo = HI[:, j], LO[:, j]
    recent = (t >= now - days * DAY) & (t < now) & np.isfinite(hi) & np.isfinite(lo)
    if not recent.any():
        return None
    day = (t[recent] // DAY).astype(np.int64)
    s_mid = _slope(0.5 * (hi[recent] + lo[recent]), refrigerant)
    s_hi = _slope(hi[recent], refrigerant)
    keys, inv, counts = np.unique(day, return_inverse=True, return_counts=True)
    ok = np.isfinite(s_mid)
    mean_s = np.bincount(inv[ok], weights=s_mid[ok], minlength=len(keys)) / np.maximum(
        np.bincount(inv[ok], minlength=len(keys)), 1)
    p_hi = hi[recent]
    order = np.lexsort((np.nan_to_num(p_hi, nan=-np.inf), inv))  # by day, then pressure: each day's last is its top
    last = order[np.r_[np.flatnonzero(np.diff(inv[order])), len(order) - 1]]
    worst_s = s_hi[last]
    use = (counts >= MIN_DAY_HOURS) & np.isfinite(worst_s) & (mean_s > 0)
    if use.sum() < 3:
        return None
    return float(min(max(np.median(worst_s[use] / mean_s[use]), 1.0), SHARE_MAX))
