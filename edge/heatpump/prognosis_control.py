"""A worn compressor's discharge read as it would run without the controller's discharge control.

Below the derate (prognosis_derate) an inverter heat pump has a first, softer discharge control: from about 100 °C
its controller cools the discharge, by injecting liquid (or opening the expansion valve toward a wet suction) and
trimming the frequency, so that a hot hour's discharge rises by only a share of what the compression would give it
(service manuals' "discharge temperature control"; the simulator's ``refrigerant_cycle.DISCHARGE_CONTROL_C``, half
the excess over 100 °C held back). A worn compressor's loss of isentropic efficiency adds kelvin to the compression's
discharge in proportion to the hour's rise (Archard's steady wear: a steady loss); the reading shows all of it below
the knee and a share of it above. So the hourly excess over the healthy model, read on the hours that run hot (the
cold ones, where a trip comes), grows slower than the loss, and the stop (and the derate's room past it) is further
away in the loss's kelvin than in the reading's: trended in the reading's kelvin, a month of mild hours' excess
(all of it shown) is extended to a stop whose last kelvin cost twice as much, and the date comes too soon.

``free(v)`` maps a reading to the discharge the compression gives (the control undone): v below the knee,
knee + (v - knee) / kept above it. The excess of an hour is free(high) - free(high - residual), the healthy worst
less the room free(healthy high) - (free(stop + room) - stop): the stop then stands where it was (the same limit),
the kelvin to it counted as the compression makes them. A pump model whose control starts elsewhere, or holds back
another share, sets it (``PrognosisTracker.control_knee_c`` / ``control_kept``); kept 1 is no control."""

from __future__ import annotations

import numpy as np

from heatwatch.units import DAY

# where the discharge control starts (°C) and the share of the compression's rise above it the reading still shows
CONTROL_KNEE_C = 100.0
CONTROL_KEPT = 0.5


def free(v: np.ndarray | float, knee: float = CONTROL_KNEE_C, kept: float = CONTROL_KEPT) -> np.ndarray:
    """The discharge the compression gives for a reading ``v`` (the control's hold undone above ``knee``)."""
    v = np.asarray(v, dtype=float)
    return np.where(v > knee, knee + (v - knee) / kept, v)


def daily_free_excess(cols: tuple[np.ndarray, ...], i_hz: int, j: int, stop: float, room_k: float, f_min: float,
                      knee: float = CONTROL_KNEE_C, kept: float = CONTROL_KEPT
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per day with 12 hours read: its time, its mean free excess (free(high) - free(high - residual)) and its worst
    of (free healthy high less the hour's room, in free kelvin past the stop: free(stop + room) - stop, with room the
    kelvin the derate could take off by stepping the hour's frequency down to ``f_min``, as
    prognosis_derate.daily_worst_less_room). With ``kept`` 1: that function's worst and the mean residual."""
    t, r, hi = cols[0], cols[1][:, j], cols[2][:, j]
    f = 0.5 * (cols[2][:, i_hz] + cols[3][:, i_hz])
    ok = ~(np.isnan(hi) | np.isnan(r))
    with np.errstate(invalid="ignore", divide="ignore"):
        room = np.where(np.isnan(f) | (f <= f_min), 0.0, room_k * (1.0 - f_min / f))
    t, r, hi, room = t[ok], r[ok], hi[ok], room[ok]
    healthy = free(hi - r, knee, kept)
    excess = free(hi, knee, kept) - healthy
    base = healthy - (free(stop + room, knee, kept) - stop)
    day = np.floor_divide(t, DAY).astype(np.int64)
    if not len(day):
        return np.zeros(0), np.zeros(0), np.zeros(0)
    keys, inv, counts = np.unique(day, return_inverse=True, return_counts=True)
    worst = np.full(len(keys), -np.inf)
    np.maximum.at(worst, inv, base)
    mean = np.bincount(inv, weights=excess, minlength=len(keys)) / counts
    keep = counts >= 12
    return (keys[keep] + 0.5) * DAY, mean[keep], worst[keep]


MIN_RISE_K = 10.0  # an hour whose healthy rise over its suction is under this (a compressor just started) tells no loss
MIN_HOURS = 12  # hours a day needs (as the prognosis' _daily)


def daily_free_loss(cols: tuple[np.ndarray, ...], j_dis: int, j_suc: int, i_hz: int, stop: float, room_k: float,
                    f_min: float, knee: float = CONTROL_KNEE_C, kept: float = CONTROL_KEPT
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Per day with MIN_HOURS hours read: its midday time, its loss (the hours' free excess over their free healthy
    rise above the suction, summed), minus its headroom (the least over its hours of the loss that takes the hour's
    free healthy worst to free(stop + room): up toward the trip, the trip where loss + this reaches 0) and the free
    healthy rise of that hour (a kelvin there is 1 / rise of loss). None: no such day.

    The compression's discharge rise over the suction is the ideal rise over the isentropic efficiency: a loss s of
    the efficiency adds s / (1 - s) of the healthy rise, the same share on every hour, so the loss is what the
    weather does not move and the worst hour carries it times its own rise (more than the day's mean kelvin)."""
    t = cols[0]
    m, hi, lo = cols[1][:, j_dis], cols[2][:, j_dis], cols[3][:, j_dis]
    suc = 0.5 * (cols[2][:, j_suc] + cols[3][:, j_suc])
    f = 0.5 * (cols[2][:, i_hz] + cols[3][:, i_hz])
    with np.errstate(invalid="ignore", divide="ignore"):
        mid = 0.5 * (hi + lo)
        worst = free(hi - m, knee, kept)  # the hour's free healthy worst
        e_mid = free(mid, knee, kept) - free(mid - m, knee, kept)
        rise_mid = free(mid - m, knee, kept) - suc
        rise_worst = worst - suc
        room = np.where(np.isnan(f) | (f <= f_min), 0.0, room_k * (1.0 - f_min / f)) if room_k > 0 \
            else np.zeros(len(t))
        ok = ~(np.isnan(m) | np.isnan(hi) | np.isnan(lo) | np.isnan(suc)) & (rise_mid >= MIN_RISE_K) \
            & (rise_worst >= MIN_RISE_K)
        if not ok.any():
            return None
        t, e_mid, rise_mid, rise_worst = t[ok], e_mid[ok], rise_mid[ok], rise_worst[ok]
        need = -(free(stop + room[ok], knee, kept) - worst[ok]) / rise_worst  # minus the hour's headroom in loss
    day = np.floor_divide(t, DAY).astype(np.int64)
    keys, inv, counts = np.unique(day, return_inverse=True, return_counts=True)
    excess = np.bincount(inv, weights=e_mid, minlength=len(keys))
    rise = np.bincount(inv, weights=rise_mid, minlength=len(keys))
    base = np.full(len(keys), -np.inf)
    np.maximum.at(base, inv, need)
    order = np.lexsort((need, inv))  # by day, then headroom used: each day's least-headroom hour last
    last = np.r_[np.flatnonzero(np.diff(inv[order])), len(order) - 1]
    at = np.empty(len(keys))
    at[inv[order][last]] = rise_worst[order][last]
    keep = counts >= MIN_HOURS
    if not keep.any():
        return None
    return (keys[keep] + 0.5) * DAY, excess[keep] / rise[keep], base[keep], at[keep]
