"""A worn compressor's discharge in loss units: the trend on the weather-free loss, the trip on the worst hour's headroom.

Wear takes a share s of the compressor's efficiency, and the discharge rise T_d - T_s is the ideal rise over the
efficiency, so the discharge's excess over the healthy model is s times the hour's healthy rise
(design_headroom.py). That rise is largest on the cold, heavy hours: the day's mean excess in kelvin moves with
the weather as much as with the wear (a cold spell's week reads as a take-off), and the worst hour's excess is
s times its own rise, more than the day's mean. So per day: the loss s = sum of the hours' excess / sum of their
healthy rise (the weather taken out), and the day's headroom, the least over its hours of the loss that takes
the hour's healthy worst discharge to the stop (past the kelvin the derate could still take off it, when given):
(stop + room - healthy worst) / healthy rise at that hour. The trip is the first day whose loss reaches its
headroom, the days ahead drawn from the last days' headrooms: the loss reaches the headroom of the coldest days
to come, not the day's mean kelvin its stop.
"""

from __future__ import annotations

import numpy as np

from heatwatch.units import DAY

MIN_RISE_K = 10.0  # an hour whose healthy rise is under this (a compressor just started) tells no loss
MIN_HOURS = 12  # hours a day needs (as the prognosis' _daily)


def daily_loss(cols: tuple[np.ndarray, ...], j_dis: int, j_suc: int, i_hz: int, stop: float, room_k: float,
               f_min: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Per day with MIN_HOURS hours read: its midday time, its loss s (excess over healthy rise, summed over its
    hours), minus its headroom (the least over its hours of (stop + room - healthy worst) / healthy rise: up
    toward the trip, the trip where loss + this reaches 0) and the healthy rise of that hour (a kelvin over the
    stop there is 1 / rise of loss). ``cols``: the tracker's hour columns (times, mean residuals, highs, lows);
    ``room_k`` 0: no derate room. None: no such day."""
    t = cols[0]
    m, hi, lo = cols[1][:, j_dis], cols[2][:, j_dis], cols[3][:, j_dis]
    suc = 0.5 * (cols[2][:, j_suc] + cols[3][:, j_suc])
    f = 0.5 * (cols[2][:, i_hz] + cols[3][:, i_hz])
    with np.errstate(invalid="ignore", divide="ignore"):
        worst = hi - m  # the hour's healthy worst discharge
        rise_mid = 0.5 * (hi + lo) - m - suc
        rise_worst = worst - suc
        room = np.where(np.isnan(f) | (f <= f_min), 0.0, room_k * (1.0 - f_min / f)) if room_k > 0 \
            else np.zeros(len(t))
        ok = ~(np.isnan(m) | np.isnan(worst) | np.isnan(suc)) & (rise_mid >= MIN_RISE_K) & (rise_worst >= MIN_RISE_K)
        if not ok.any():
            return None
        t, m, rise_mid, rise_worst = t[ok], m[ok], rise_mid[ok], rise_worst[ok]
        need = -(stop + room[ok] - worst[ok]) / rise_worst  # minus the hour's headroom in loss
    day = np.floor_divide(t, DAY).astype(np.int64)
    keys, inv, counts = np.unique(day, return_inverse=True, return_counts=True)
    excess = np.bincount(inv, weights=m, minlength=len(keys))
    rise = np.bincount(inv, weights=rise_mid, minlength=len(keys))
    base = np.full(len(keys), -np.inf)
    np.maximum.at(base, inv, need)
    # the rise of each day's least-headroom hour
    order = np.lexsort((need, inv))  # by day, then headroom used
    last = np.r_[np.flatnonzero(np.diff(inv[order])), len(order) - 1]
    at = np.empty(len(keys))
    at[inv[order][last]] = rise_worst[order][last]
    keep = counts >= MIN_HOURS
    if not keep.any():
        return None
    return (keys[keep] + 0.5) * DAY, excess[keep] / rise[keep], base[keep], at[keep]
