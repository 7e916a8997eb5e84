"""The trip of a pump held at its discharge derate: dated by the frequency's room, not the discharge.

An inverter heat pump does not let its discharge run to the over-temperature stop (115 °C): from
about 110 °C its controller steps the compressor's frequency down ("discharge temperature
control", the upper-frequency step-down of service manuals), since less gas per hour means a
lower lift and a cooler discharge. A pump whose fault heats its discharge (a leak, a valve stuck
closed, a worn compressor) then sits just under 110 °C for days or weeks while the frequency
gives way; it trips only once the frequency has reached the compressor's minimum and the
discharge still climbs. Trended toward 115 °C, the discharge of such a pump dates the trip days
when weeks are left (the discharge has 5 K to go and sits still); the indicator that moves is
the frequency's room.

The room used, hour by hour on the hours the discharge sits at the derate, is

    u = (f_asked - f_run) / (f_asked - F_MIN)

with f_asked the frequency the healthy model expects for the hour's load and weather (the hour's
running frequency less its residual) and f_run the lowest the compressor ran in the hour. u is 0
for a pump that runs at what its load asks, 1 at the minimum frequency: the controller's last
stage before the trip. The day's worst u is extended to 1 by the prognosis' growth laws and
first passage. The step size of the derate (Hz or % per kelvin) is the firmware's and not
known here: u needs only the two data-sheet facts below.
"""

from __future__ import annotations

import itertools
from typing import Callable

import numpy as np

from heatwatch.units import DAY

# where the derate starts (service manuals: the discharge temperature control steps the frequency
# down from about 110 °C, 5 K under the 115 °C stop); a site sets its pump model's value in
# edge.toml ([design] derate_start_c, PrognosisTracker.derate_start_c)
DERATE_START_C = 110.0
# an hour whose hottest discharge comes this close to DERATE_START_C is taken as held by the
# derate (the controller holds the discharge at its set point within its sensor's and loop's play)
DERATE_BAND_K = 1.5
# the compressor's minimum frequency (inverter compressor data sheets: 15-25 Hz; below it the pump
# cycles on and off); a site sets its compressor's value in edge.toml ([design] min_frequency_hz)
F_MIN_HZ = 20.0
# an hour whose asked frequency leaves less than this above F_MIN tells no share of the room
MIN_ROOM_HZ = 5.0
DERATE_RECENT_DAYS = 3  # the pump counts as held when any of its last days had a derated hour
MIN_DERATED_HOURS = 2  # ... at least this many of them
OWN_NEED = True  # False: the frequency asked is the healthy model's alone
OWN_NEED_DAYS = 3


def derated_hours(cols: tuple[np.ndarray, ...], i_hz: int, i_dis: int,
                  start_c: float = DERATE_START_C) -> np.ndarray:
    """A mask of the hours whose hottest discharge sits at the derate while the compressor runs at a
    frequency the pump reports (a derate is a frequency's step-down: a pump without one, or one whose
    frequency is not read, is not held by it)."""
    dis_hi = cols[2][:, i_dis]
    with np.errstate(invalid="ignore"):
        return ~np.isnan(dis_hi) & (dis_hi >= start_c - DERATE_BAND_K) & ~np.isnan(cols[2][:, i_hz])


def held_at_derate(cols: tuple[np.ndarray, ...] | None, now: float, i_hz: int, i_dis: int,
                   start_c: float = DERATE_START_C, days: float = DERATE_RECENT_DAYS) -> bool:
    """Whether the pump's discharge sat at the derate within its last ``days`` days."""
    if cols is None or not len(cols[0]):
        return False
    recent = cols[0] >= now - days * DAY
    return int((derated_hours(cols, i_hz, i_dis, start_c) & recent).sum()) >= MIN_DERATED_HOURS


def daily_room_used(cols: tuple[np.ndarray, ...], i_hz: int, i_dis: int, start_c: float = DERATE_START_C,
                    f_min: float = F_MIN_HZ) -> tuple[np.ndarray, np.ndarray]:
    """Per day (at least 12 hours read): its time and the largest share of the frequency's room
    the derate took on one of its hours (0 for a day without a derated hour)."""
    t = cols[0]
    hz_m, hz_hi, hz_lo = cols[1][:, i_hz], cols[2][:, i_hz], cols[3][:, i_hz]
    held = derated_hours(cols, i_hz, i_dis, start_c)
    # the frequency the load asks of this pump: the healthy model's, plus the fault's own frequency
    # excess (a leaking or worn pump runs faster for the same heat), read as the median residual of
    # its hours not at the derate over the last OWN_NEED_DAYS days
    free = ~held & ~np.isnan(hz_m) & (t >= t[-1] - OWN_NEED_DAYS * DAY) if OWN_NEED else np.zeros(len(t), bool)
    own = float(np.median(hz_m[free])) if free.sum() >= 12 else 0.0
    asked = 0.5 * (hz_hi + hz_lo) - hz_m + own  # the hour's running frequency less its residual
    with np.errstate(invalid="ignore", divide="ignore"):
        # the hour's mean shortfall (its lowest reading is often a start's or a defrost's ramp)
        u = (own - hz_m) / (asked - f_min)
        ok = held & (asked - f_min >= MIN_ROOM_HZ) & ~np.isnan(u)
    u = np.where(ok, np.clip(u, 0.0, 1.0), 0.0)
    read = ~np.isnan(hz_lo)
    day = np.floor_divide(t[read], DAY).astype(np.int64)
    u = u[read]
    if not len(day):
        return np.zeros(0), np.zeros(0)
    keys, start, counts = np.unique(day, return_index=True, return_counts=True)
    order = np.argsort(day, kind="stable")
    worst = np.maximum.reduceat(u[order], np.r_[0, np.cumsum(counts)[:-1]])
    keep = counts >= 12
    return (keys[keep] + 0.5) * DAY, worst[keep]


def derate_room_days(cols: tuple[np.ndarray, ...], now: float, i_hz: int, i_dis: int,
                     passage: Callable[[np.ndarray, np.ndarray], float | None],
                     start_c: float = DERATE_START_C, f_min: float = F_MIN_HZ,
                     min_days: int = 2) -> float | None:
    """Days until the day's worst hour has used the frequency's whole room (None: too few days).

    ``passage(x, u)``: days until the daily series u (x: its days from now) reaches 1 (the
    prognosis' growth laws and first passage)."""
    day_t, u = daily_room_used(cols, i_hz, i_dis, start_c, f_min)
    if len(day_t) < min_days:
        return None
    return passage((day_t - now) / DAY, u)


def not_derated(hi_dis: np.ndarray, start_c: float = DERATE_START_C) -> np.ndarray:
    """A mask of the hours (or readings' hours) to keep: their hottest discharge not at the derate
    (NaN, an hour not read, is kept). One comparison over the column, not an error state per hour
    (the prognosis asks it of a month of hours at every refresh)."""
    with np.errstate(invalid="ignore"):
        return ~(np.asarray(hi_dis, dtype=float) >= start_c - DERATE_BAND_K)


def without_derated(rows: list, i_dis: int, start_c: float = DERATE_START_C,
                    hi_dis: np.ndarray | None = None) -> list:
    """The tracker's hours (t, mean residual, high, low) less those whose discharge sat at the derate:
    their discharge is the controller's set point, not the fault's excess. ``hi_dis``: the rows' highs
    of the discharge as a column, when the caller has it stacked already."""
    if hi_dis is None:
        hi_dis = np.fromiter((h[2][i_dis] for h in rows), float, len(rows))
    return list(itertools.compress(rows, not_derated(hi_dis, start_c).tolist()))


# The kelvin the derate can still take off an hour's discharge. The controller trades frequency for
# discharge: less gas per hour, smaller approaches on both exchangers, a lower lift and a cooler
# discharge. An hour running at f can step down to F_MIN, a share (1 - F_MIN / f) of its frequency,
# and so hold off DERATE_ROOM_K x that share kelvin past the derate's start before the stop trips it.
# The kelvin per share is the controller's and the compressor's, not a reading: the hours held at
# the derate show its set point, and their frequency's shortfall is lost in the hour's own load
# (docs/heatpump.md, "A worn compressor's room in kelvin"). An assumption a site sets for its pump
# model in edge.toml ([design] derate_room_k); without it some 30 K between the top frequency and
# standstill. Measured: the dates within x2 barely move between 20 and 50 K (raw wear dates on the
# tuning fleets 35 / 38 / 39 % at 20 / 33 / 50 K, 22 % with no room), where leaving the room out
# dated a worn compressor 3.5 times early.
DERATE_ROOM_K = 30.0


def daily_worst_less_room(cols: tuple[np.ndarray, ...], i_hz: int, j: int, room_k: float = DERATE_ROOM_K,
                          f_min: float = F_MIN_HZ) -> tuple[np.ndarray, np.ndarray]:
    """Per day with 12 hours read: its time and its worst of (the hour's healthy highest discharge less
    the kelvin the derate could take off it by stepping the hour's frequency down to ``f_min``).

    That is the day's healthy worst as the stop sees it: an hour trips only once the fault's excess has
    taken its discharge past the stop by its room too. An hour whose frequency is not read has none."""
    t, r, hi = cols[0], cols[1][:, j], cols[2][:, j]
    f = 0.5 * (cols[2][:, i_hz] + cols[3][:, i_hz])
    ok = ~(np.isnan(hi) | np.isnan(r))
    with np.errstate(invalid="ignore", divide="ignore"):
        room = np.where(np.isnan(f) | (f <= f_min), 0.0, room_k * (1.0 - f_min / f))
    v = (hi - r - room)[ok]
    day = np.floor_divide(t[ok], DAY).astype(np.int64)
    if not len(day):
        return np.zeros(0), np.zeros(0)
    keys, inv, counts = np.unique(day, return_inverse=True, return_counts=True)
    worst = np.full(len(keys), -np.inf)
    np.maximum.at(worst, inv, v)
    keep = counts >= 12
    return (keys[keep] + 0.5) * DAY, worst[keep]
