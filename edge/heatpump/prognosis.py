"""Prognosis: when will this pump trip, with an interval.

For a diagnosed fault, each indicator channel tied to the trip it leads to is
followed hour by hour: the mean residual (observed minus the healthy model's
expectation) and the worst reading. The trip thresholds are the pump's
protection limits for its refrigerant, the ones the simulator trips at
(``heatwatch.trips``, docs/heatpump.md "Protection trips": a propane pump's high-pressure switch opens near
22.5 bar, an R32 pump's near 41), and the flow switch, set from the flow the
pump was commissioned with. Two degradation models are fitted to the recent
days and extended until they have eaten the margin between the worst reading
of the last days and the trip threshold:

- linear: a steady drift, the faster of the residual's trend and the trend of
  the daily worst reading (a fault often weighs most on the worst day: a leak
  heats the discharge most on cold nights);
- exponential: a fault that feeds itself (ice insulates the coil so more ice
  forms), least squares on the log of the residual: the standard exponential
  degradation model of prognostics, used only when it clearly fits better.

A fault found days after its evidence began is dated by its pace so far too, the sooner of the
two (:func:`_pace_days`: the trend windows of a fresh fault still hold healthy days).

The days ahead are drawn from the last two weeks' healthy worst days, the nearest ones from
the last days' spell more (:func:`_persistence`: weather comes in spells).

A fouled condenser's hot-water peak held under the high-pressure switch by the controller's cut
no longer follows the fault's excess: there the share of the excess that reached the peak over the
last days carries it forward (:func:`_held_share`), not the whole excess.

The discharge stop and the high-pressure switch open on the reading of the moment, not the steady
hour's: each day drawn carries its own excursion of every reading (a defrost's end, a boost) over its
steady worst (:func:`_transient_days`, INSTANT).

A pump whose worst hour of the last days lies within its daily peak's own day-to-day spread of the
limit may trip on any day: its interval starts now (:func:`_near_limit`); its date is not moved (the
margin tells the days left apart less well than the date does, docs/heatpump.md).

Where the trip indicator moves late, a physics chain from an earlier indicator dates it
too (:mod:`prognosis_chain`: a leak's charge loss read from the valve's extra opening, its
end stop on the cold hours, then the discharge runaway; :mod:`prognosis_evap_chain`: a fouled
evaporator's approach growth carried through the saturation table to the low pressure and through
the pump's own compression to the discharge), and the earlier date is kept.

A linear extension alone of a fault that accelerates promises weeks where
days are left, the dangerous error for a dispatcher; the earliest of several laws
that fit about equally well is their most extreme extrapolation. The date is the
median of the rival laws' dates, or the earliest when it falls within 2 days
(:func:`_rival_days`); the interval is the calibration table's
(:mod:`prognosis_calibration`).
"""

from __future__ import annotations

import bisect
import itertools
import math
import operator
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from heatwatch.contract import Prognosis
from heatwatch.edge.heatpump import batch_kernels, prognosis_kernels
from heatwatch.edge.heatpump.condenser_share import saturation_share
from heatwatch.edge.heatpump.healthy_model import MIN_SHIFT, TARGET_NAMES
from heatwatch.edge.heatpump.prognosis_calibration import (CALIBRATION, URGENT_DAYS, Calibration, CalibrationTable,
                                                           with_condenser_sat_share_row, with_horizon_slope)
from heatwatch.edge.heatpump.prognosis_chain import leak_discharge_days
from heatwatch.edge.heatpump.prognosis_derate import (DERATE_RECENT_DAYS, DERATE_ROOM_K, DERATE_START_C, F_MIN_HZ,
                                                      daily_worst_less_room, derate_room_days, held_at_derate,
                                                      not_derated)
from heatwatch.edge.heatpump.prognosis_evap_chain import daily_fouling, evap_chain_days
from heatwatch.trips import trip_limits
from heatwatch.units import DAY, HOUR


@dataclass(frozen=True)
class TripLimit:
    channel: str
    direction: str  # "up": trips above threshold; "down": below
    threshold: float


def refrigerant_limits(refrigerant: str = "R32") -> dict[str, TripLimit]:
    """The indicator limits where a pump of this refrigerant trips (heatwatch.trips).

    Over-current is not among them: its limit is the compressor model's, given by the site
    (:meth:`PrognosisTracker.set_rated_current`) or estimated from the pump's healthy hours
    (:func:`learned_rated_current`).
    """
    t = trip_limits(refrigerant)
    return {
        "t_discharge": TripLimit("t_discharge", "up", t.discharge_c),
        "p_high": TripLimit("p_high", "up", t.high_pressure_bar),
        "p_low": TripLimit("p_low", "down", t.low_pressure_bar),
        "discharge_superheat": TripLimit("discharge_superheat", "down", t.floodback_superheat_k),
    }


# limits learned from the pump itself rather than given by its refrigerant
LEARNED_LIMITS = ("flow_lpm",)

# Over-current. A compressor's over-current relay opens some 25 % above its rated current (the
# usual setting of a motor overload relay; the simulator's pumps trip at 1.25 x rated). The
# inverter folds its frequency back to hold the current it expects below rated, so a healthy
# pump never nears the relay; a worn compressor whose bearings or scrolls rub draws current the
# compression does not explain (at the same frequency and pressures), and that passes the
# foldback. With the rated current given by the site ([device] rated_current_a) the limit is
# known. Without it, it is estimated from the pump's own healthy hours: at the same pressures
# the current grows in proportion to the frequency (the mass flow does), and a rated current is
# stated at the top frequency on a heavy-lift design day, so rated ~ TOP_HZ x the current per
# hertz of the pump's heavy hours (the RATED_QUANTILE of healthy current / frequency over the
# hours running above MIN_RATIO_HZ: the pump's highest lifts, not its one odd hour). The
# healthy model of the current cannot be extrapolated there: a ridge fit on the commissioning
# weeks is nearly flat in frequency (on the evaluation fleet 2005 it put the design point's
# current at 0.2-0.5 of the rated one).
OVERCURRENT_MARGIN = 1.25
TOP_HZ = 110.0  # domestic inverter compressors top out near 90-120 Hz
# (each pump's own top frequency did no better on the held-out fleets 2011/2012, the highest
# frequency seen in a mild month far worse: the rated point is the design day's; docs/heatpump.md)
RATED_QUANTILE = 0.9
MIN_RATIO_HZ = 30.0
MIN_RATIO_HOURS = 24
# The ran-on bound's margin: 1.1 before the thirty-fifth round. A rubbing compressor in its last days draws within 10 %
# of its relay (on the used wear-only fleets its polled highest 0.91-0.98 of the trip current in its last day), so a
# bound 10 % over it put the limit up to 8 % past the real relay and kept it ahead of the pump: dated days late to the
# end. The relay is above the most drawn by an unknown margin; 5 % (the hour's polls miss its peak). On the used
# wear-only fleets with ROOM_AHEAD (bench/heldout47_wear.md): weighed cost 2,842 -> 2,742, late under 16 days 294 -> 273.
RUNNING_ABOVE_MAIN = 1.1
RUNNING_ABOVE = 1.05

# stages on the way to a trip where the trip indicator itself moves late: a leaking pump's
# valve opens to make up for the lost charge, and only once it stands at its end stop do
# superheat and discharge run away (days later in cold weather). Reaching a stage is not the
# trip; once it is reached, the indicators after it speak
STAGE_LIMITS: dict[str, TripLimit] = {"eev_pct": TripLimit("eev_pct", "up", 100.0)}

# fault -> indicator channels, in order of how directly they lead to the trip
FAULT_INDICATORS: dict[str, tuple[str, ...]] = {
    # a leak's valve end stop is a stage inside its discharge chain (CHAINS), not a date of its
    # own: taken as one too, the raw leak estimates within a factor 2 on calibration fleets
    # 1001-1005 fell from 63 % to 55 % (its date early: the valve meets its stop on the
    # coldest hour days before the starved evaporator heats the discharge to its limit)
    "refrigerant_leak": ("t_discharge", "p_low"),
    "eev_stuck_closed": ("t_discharge", "p_low", "eev_pct"),
    "eev_stuck_open": ("discharge_superheat",),
    # a worn compressor's efficiency heats the discharge; one that rubs draws more current at
    # the same frequency and pressures, toward the over-current relay: the earlier of the two
    "compressor_wear": ("compressor_a", "t_discharge"),
    "evaporator_fouling": ("p_low", "t_discharge"),
    "low_water_flow": ("flow_lpm", "p_high", "t_discharge"),
    "condenser_fouling": ("p_high", "t_discharge"),
}
_IDX = {n: i for i, n in enumerate(TARGET_NAMES)}
_TRUE = np.ones(1, dtype=bool)


class PrognosisTracker:
    """Hourly mean residuals and worst readings; predicts trip times on demand."""

    def __init__(self, limits: dict[str, TripLimit] | None = None, history_days: float = 30.0,
                 fit_days: float = 5.0, autocorr_seconds: float = 12 * HOUR, *, refrigerant: str = "R32",
                 rated_current_a: float | None = None, derate_room_k: float | None = None,
                 derate_start_c: float | None = None, min_frequency_hz: float | None = None):
        """``limits`` (a site's, per pump model) replace the refrigerant's protection limits;
        ``rated_current_a`` (the site's) sets the over-current limit (set_rated_current);
        ``derate_room_k``, ``derate_start_c``, ``min_frequency_hz`` (the pump model's, edge.toml [design]):
        the kelvin its derate can take off, where the derate starts, the frequency it can step down to."""
        self._given = dict(refrigerant_limits(refrigerant) if limits is None else limits)
        self.refrigerant = refrigerant  # the saturation table the evaporator's chain reads pressures with
        self.derate_room_k = DERATE_ROOM_K if derate_room_k is None else derate_room_k
        self.derate_start_c = DERATE_START_C if derate_start_c is None else derate_start_c
        self.min_frequency_hz = F_MIN_HZ if min_frequency_hz is None else min_frequency_hz
        if rated_current_a is not None:
            self._given["compressor_a"] = overcurrent_limit(rated_current_a)
        self.calibration: CalibrationTable | Calibration | None = CALIBRATION
        # without a given rated current, estimate one from the healthy hours (learned_rated_current)
        self.learn_rated_current = True
        self.limits = dict(self._given)
        self.fit_days = fit_days
        self.inflate = math.sqrt(max(autocorr_seconds / HOUR, 1.0))
        self._hours: deque[tuple[float, np.ndarray, np.ndarray, np.ndarray]] = deque(maxlen=int(history_days * 24))
        self._bucket = -1
        self._hi = self._lo = None
        self._sum = self._n = None
        # every ready reading's hourly extremes, transients too (update_peak_rows): the switches of
        # INSTANT open on the reading of the moment, the steady hours above miss a defrost's end
        self._peaks: deque[tuple[float, np.ndarray, np.ndarray]] = deque(maxlen=int(history_days * 24))
        self._pk_bucket = -1
        self._pk_hi: np.ndarray | None = None
        self._pk_lo: np.ndarray | None = None
        # per (target, sign): the hours _daily has summed and its per-day sums (_daily_cached)
        # and whether those hours' days are in order (the hours left of a day that rolled out are then the first)
        self._daily_sums: dict[tuple[int, float], list] = {}
        # within a predict (None outside one), per (target, sign): the hours list of the last _daily_cached call, its
        # length and its arrays (a call with the very same list again returns them; no list is held past its predict)
        self._daily_last: dict[tuple[int, float], tuple[list, int, tuple[np.ndarray, ...]]] | None = None
        # per indicator of the last predict: (target index, sign, margin to its limit) for _near_limit
        self._margins: dict[str, tuple[int, float, float]] = {}
        # which path dated each indicator at the last predict (DATED_BY): the progress lift reads it
        self._dated_by: dict[str, str] = {}
        # per (what, target, sign): the healthy worst days last read and what was made of them (_same_days)
        self._days_memo: dict[tuple, tuple[tuple[bytes, ...], object]] = {}
        self._cols: tuple[list, tuple[np.ndarray, ...]] | None = None  # _columns' hours and their arrays
        self._pk_cols: tuple[list, tuple[np.ndarray, ...]] | None = None  # _peak_columns' closed hours, arrays
        # moves whenever what predict reads moves (an hour closed, the history changed, a limit set): a
        # prognosis made at the same generation read the same hours and limits (PumpPipeline's refresh)
        self.generation = 0

    @property
    def history_hours(self) -> int:
        """Hours in the history (the pump's own, since it was first judged or last forgotten)."""
        return len(self._hours)

    def blank_copy(self) -> "PrognosisTracker":
        """A tracker with this one's given limits, refrigerant, derate and calibration and no history (a
        date made from other hours than the pump's own history: start_history.window_date)."""
        out = PrognosisTracker(dict(self._given), self._hours.maxlen / 24 if self._hours.maxlen else 30.0,
                               self.fit_days, refrigerant=self.refrigerant, derate_room_k=self.derate_room_k,
                               derate_start_c=self.derate_start_c, min_frequency_hz=self.min_frequency_hz)
        out.inflate, out.calibration, out.learn_rated_current = self.inflate, self.calibration, self.learn_rated_current
        return out

    def set_flow_limit(self, healthy_flow_lpm: float, fraction: float = 0.5) -> None:
        """The flow switch opens at a fraction of the flow the pump was commissioned with."""
        if math.isfinite(healthy_flow_lpm) and healthy_flow_lpm > 0:
            self.limits["flow_lpm"] = TripLimit("flow_lpm", "down", fraction * healthy_flow_lpm)
            self.generation += 1

    def set_rated_current(self, rated_a: float) -> None:
        """The compressor's rated current (the site's, from its data sheet): the relay opens at
        OVERCURRENT_MARGIN times it. It stays, like the refrigerant's limits, over relearning."""
        self._given["compressor_a"] = self.limits["compressor_a"] = overcurrent_limit(rated_a)
        self.generation += 1

    def forget_history(self, *, keep_learned_limits: bool) -> None:
        """Start the hourly history afresh (the pump was repaired); the limits learned from the
        pump (its commissioned flow) go too unless ``keep_learned_limits``."""
        if not keep_learned_limits:
            self.limits = dict(self._given)
        self.generation += 1
        self._hours.clear()
        self._bucket = -1
        self._hi = self._lo = None
        self._sum = self._n = None
        self._peaks.clear()
        self._pk_bucket = -1
        self._pk_hi = self._pk_lo = None

    def update_peak_rows(self, ts: np.ndarray, observed: np.ndarray) -> None:
        """Every ready reading in time order, steady or not (a defrost's end, a hot-water boost): the
        hourly highs and lows of all of them, from which _transient_days reads how far a day's passing
        readings go beyond its steady ones."""
        if not len(ts):
            return
        b = np.floor_divide(np.asarray(ts, dtype=float), HOUR).astype(np.int64)
        obs = np.asarray(observed, dtype=float).reshape(len(b), -1)
        # (the hours' starts and times as before, without np.r_ and an array of the bucket numbers: a refresh
        # feeds a few hours at a time, and the calls around them cost more than the reductions)
        starts = np.flatnonzero(np.concatenate((_TRUE, b[1:] != b[:-1])))
        hi, lo = np.fmax.reduceat(obs, starts, axis=0), np.fmin.reduceat(obs, starts, axis=0)
        buckets = b[starts].tolist()
        if self._pk_hi is not None and buckets[0] == self._pk_bucket:
            hi[0], lo[0] = np.fmax(hi[0], self._pk_hi), np.fmin(lo[0], self._pk_lo)
        elif self._pk_hi is not None:
            self._peaks.append((self._pk_bucket * HOUR, self._pk_hi, self._pk_lo))
        if len(buckets) > 1:  # float(bucket) * HOUR: the product numpy's float array made
            self._peaks.extend(zip([float(k) * HOUR for k in buckets[:-1]], hi[:-1], lo[:-1]))
        self._pk_bucket, self._pk_hi, self._pk_lo = buckets[-1], hi[-1], lo[-1]

    def update_peak(self, ts: float, observed: np.ndarray) -> None:
        """update_peak_rows for one reading (the agent's stream: every ready reading), without its
        one-row arrays and reductions: the same bucket (Python's // as numpy's floor_divide), the
        same fmax/fmin of the reading with the open hour's extremes in the same order, so the same
        numbers and closed hours."""
        b = int(float(ts) // HOUR)
        obs = np.array(observed, dtype=float).reshape(-1)  # a copy: the caller's array may be reused
        if self._pk_hi is not None and b == self._pk_bucket:
            self._pk_hi, self._pk_lo = np.fmax(obs, self._pk_hi), np.fmin(obs, self._pk_lo)
            return
        if self._pk_hi is not None:
            self._peaks.append((self._pk_bucket * HOUR, self._pk_hi, self._pk_lo))
        self._pk_bucket, self._pk_hi, self._pk_lo = b, obs, obs.copy()

    def _peak_rows(self, now: float) -> list:
        """The closed hours of every ready reading before now, and the open one."""
        out = [h for h in self._peaks if h[0] < now]
        if self._pk_hi is not None and self._pk_bucket * HOUR < now:
            out.append((self._pk_bucket * HOUR, self._pk_hi, self._pk_lo))
        return out

    def _peak_columns(self, now: float) -> PeakColumns:
        """_peak_rows(now) as columns, the closed hours' carried from the last call (_carried: the hours
        that left dropped, the new ones stacked): the same values as stacking _peak_rows(now) afresh,
        without a Python pass over a month of hours at every refresh."""
        closed = self._peaks
        if closed:
            self._pk_cols = _carried(self._pk_cols, closed, _stack_peaks)
            t, hi, lo = self._pk_cols[1]
            before = t < now  # _peak_rows' h[0] < now, hour by hour
            if not before.all():
                t, hi, lo = t[before], hi[before], lo[before]
        else:
            t = hi = lo = None
        if self._pk_hi is not None and self._pk_bucket * HOUR < now:
            row = _stack_peaks([(self._pk_bucket * HOUR, self._pk_hi, self._pk_lo)])
            t, hi, lo = row if t is None else tuple(np.concatenate([a, b]) for a, b in zip((t, hi, lo), row))
        if t is None:
            return PeakColumns(np.zeros(0), np.zeros((0, 0)), np.zeros((0, 0)))
        return PeakColumns(t, hi, lo)

    def update(self, ts: float, residual: np.ndarray, observed: np.ndarray) -> None:
        """Per steady reading: the residual vector and the raw target values."""
        b = int(ts // HOUR)
        if b != self._bucket:
            self._close_hour()
            self._bucket = b
            self._sum = np.zeros_like(residual, dtype=float)
            self._n = np.zeros_like(residual, dtype=float)
            self._hi, self._lo = observed.copy(), observed.copy()
        else:
            self._hi = np.fmax(self._hi, observed)
            self._lo = np.fmin(self._lo, observed)
        ok = ~np.isnan(residual)
        self._sum[ok] += residual[ok]
        self._n[ok] += 1.0

    def update_rows(self, ts: np.ndarray, residual: np.ndarray, observed: np.ndarray) -> None:
        """update() for each row in order (replays): the same sums, extremes and closed hours, an
        hour at a time (the sums added in the same order, so the same numbers)."""
        if not len(ts):
            return
        b = np.floor_divide(ts, HOUR).astype(np.int64)  # int(t // HOUR) of each (numpy's // is Python's)
        R = np.where(np.isnan(residual), 0.0, residual)
        okn = (~np.isnan(residual)).astype(float)
        if batch_kernels.AVAILABLE:
            self._update_hours(b, R, okn, np.ascontiguousarray(observed, dtype=float))
            return
        cuts = (np.flatnonzero(np.diff(b)) + 1).tolist()
        for s, e in zip([0, *cuts], [*cuts, len(b)]):
            bucket = int(b[s])
            if bucket != self._bucket:
                self._close_hour()
                self._bucket = bucket
                sum0, n0 = np.zeros(residual.shape[1]), np.zeros(residual.shape[1])
                hi, lo = observed[s].copy(), observed[s].copy()
            else:
                sum0, n0, hi, lo = self._sum, self._n, self._hi, self._lo
            block = observed[s:e]
            self._hi = np.fmax(hi, np.fmax.reduce(block, axis=0))
            self._lo = np.fmin(lo, np.fmin.reduce(block, axis=0))
            self._sum = np.cumsum(np.vstack([sum0[None, :], R[s:e]]), axis=0)[-1]
            self._n = n0 + okn[s:e].sum(axis=0)

    def _update_hours(self, b: np.ndarray, R: np.ndarray, okn: np.ndarray, observed: np.ndarray) -> None:
        """update_rows' hours in one compiled pass (batch_kernels.hour_sums; a season's replay feeds
        some 5,000 hours per pump, each a dozen numpy calls the other way): the same sums, counts and
        extremes, the closed hours' means as _close_hour makes them."""
        k = R.shape[1]
        open_hour = self._hi is not None
        if open_hour:
            sums, n, hi, lo = (np.array(a, dtype=float) for a in (self._sum, self._n, self._hi, self._lo))
        else:
            sums, n, hi, lo = np.zeros(k), np.zeros(k), np.full(k, np.nan), np.full(k, np.nan)
        cap = int(np.count_nonzero(np.diff(b))) + 1
        out_b = np.empty(cap, dtype=np.int64)
        out_sum, out_n, out_hi, out_lo = (np.empty((cap, k)) for _ in range(4))
        closed, bucket = batch_kernels.hour_sums(b, R, okn, observed, self._bucket, sums, n, hi, lo, open_hour,
                                                 out_b, out_sum, out_n, out_hi, out_lo)
        if closed:
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(out_n[:closed] > 0, out_sum[:closed] / out_n[:closed], np.nan)
            self._hours.extend(zip((out_b[:closed] * HOUR).tolist(), mean, out_hi[:closed], out_lo[:closed]))
            self.generation += int(closed)  # one per hour closed, as update() counts them
        self._bucket = int(bucket)
        self._sum, self._n, self._hi, self._lo = sums, n, hi, lo

    def _close_hour(self) -> None:
        if self._bucket >= 0 and self._hi is not None:
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(self._n > 0, self._sum / self._n, np.nan)
            self._hours.append((self._bucket * HOUR, mean, self._hi, self._lo))
            self.generation += 1

    def state(self) -> dict:
        """The hourly history and the hour being filled, so a restarted agent predicts at once."""
        def arr(a: np.ndarray | None) -> list | None:
            return None if a is None else [None if math.isnan(v) else float(v) for v in a]
        return {
            "limits": {c: [lim.direction, lim.threshold] for c, lim in self.limits.items()},
            "hours": [[t, arr(m), arr(hi), arr(lo)] for t, m, hi, lo in self._hours],
            "bucket": self._bucket, "sum": arr(self._sum), "n": arr(self._n), "hi": arr(self._hi), "lo": arr(self._lo),
            "generation": self.generation,
            "peaks": [[t, arr(hi), arr(lo)] for t, hi, lo in self._peaks],
            "peak_bucket": self._pk_bucket, "peak_hi": arr(self._pk_hi), "peak_lo": arr(self._pk_lo),
        }

    def load_state(self, d: dict) -> None:
        def arr(a: list | None) -> np.ndarray | None:
            return None if a is None else np.array([math.nan if v is None else v for v in a], dtype=float)
        # the pump's own limits (its refrigerant's) win over what the state holds: a state
        # written with other limits (an older agent's, R32's for every pump) must not bring
        # them back; only what was learned from the pump comes from the state
        learned = {c: TripLimit(c, direction, float(th)) for c, (direction, th) in d["limits"].items()
                   if c in LEARNED_LIMITS}
        self.limits = {**learned, **self._given}
        # the generation the state was saved at (a restarted agent skips the refreshes the running one
        # would have); a file from before it was kept: a new one, so every prognosis is made afresh
        self.generation = int(d["generation"]) if "generation" in d else self.generation + 1
        self._hours.clear()
        self._hours.extend((float(t), arr(m), arr(hi), arr(lo)) for t, m, hi, lo in d["hours"])
        self._bucket = int(d["bucket"])
        self._sum, self._n, self._hi, self._lo = arr(d["sum"]), arr(d["n"]), arr(d["hi"]), arr(d["lo"])
        # every reading's hours (a state from before they were kept: none, read afresh from here)
        self._peaks.clear()
        self._peaks.extend((float(t), arr(hi), arr(lo)) for t, hi, lo in d.get("peaks", ()))
        self._pk_bucket = int(d.get("peak_bucket", -1))
        self._pk_hi, self._pk_lo = arr(d.get("peak_hi")), arr(d.get("peak_lo"))

    def carry_over(self, offset: np.ndarray) -> None:
        """The residuals change reference (a fleet prior's model handed over to the pump's own,
        whose predictions differ by ``offset`` per target): the history's residuals are moved by
        it, so a day's excess does not step where the judge changed (NaN offset: left as is)."""
        off = np.nan_to_num(np.asarray(offset, dtype=float))
        self.generation += 1
        self._hours = deque(((t, m - off, hi, lo) for t, m, hi, lo in self._hours), maxlen=self._hours.maxlen)
        if self._sum is not None and self._n is not None:
            self._sum = self._sum - off * self._n

    def predict(self, fault: str, now: float) -> Prognosis | None:
        """The earliest indicator's trip, its interval calibrated (prognosis_calibration) when a table is given."""
        self._daily_last = {} if DAILY_REPEAT else None
        try:
            return self._predict(fault, now)
        finally:
            self._daily_last = None

    def _predict(self, fault: str, now: float) -> Prognosis | None:
        best: Prognosis | None = None
        rows = [h for h in self._hours if h[0] < now]  # the hours before now, read by every indicator
        cols = self._columns(rows)
        self._margins = {}
        self._dated_by = {}
        for ch in FAULT_INDICATORS.get(fault, ()):
            p = self._predict_channel(ch, now, fault, rows, cols)
            if p is not None and (best is None or p.predicted_trip_ts < best.predicted_trip_ts):
                best = p
        # from now too where the worst hour of the last days lies within NEAR_SPREADS of the daily
        # peak's own day-to-day spread of the limit: such a pump trips on any bad enough day
        if best is not None and best.lower_ts > now and NEAR_SPREADS > 0 and best.indicator in self._margins \
                and _near_limit(rows, *self._margins[best.indicator], cols=cols):
            best = best.model_copy(update={"lower_ts": now})
        # a raw interval from now: the indicator's worst hour has reached its limit (it may trip
        # any hour); the calibrated interval keeps that early side
        touching = best is not None and best.lower_ts <= now
        # how far the fault has come, read before the table moves the date (its raw date's band)
        progress_move = _progress_move(best, now, rows, self.limits, fault, self._dated_by.get(best.indicator, ""),
                                       self._daily_cached) \
            if best is not None and self.calibration is not None and USE_PROGRESS else 0.0
        cal = self.calibration
        if best is not None and cal is not None and HORIZON_SLOPE_LOW_PROGRESS is not None \
                and (_low_progress_far(best, now, rows, self.limits, fault, self._daily_cached)
                     or self._wear_before_derate(best, now, fault, cols)):
            cal = _with_horizon_slope(cal, HORIZON_SLOPE_LOW_PROGRESS)
        if best is not None and CONDENSER_SAT_SHARE and fault == "condenser_fouling" and isinstance(cal, CalibrationTable):
            cal = _sat_share_table(cal)  # the row fitted on the share's raw dates
        if best is not None and isinstance(cal, CalibrationTable):
            best = cal.apply(best, now, fault)
        elif best is not None and cal is not None:
            best = cal.apply(best, now)
        if progress_move:
            best = _moved(best, now, progress_move)
        if best is not None and touching and best.lower_ts > now:
            best = best.model_copy(update={"lower_ts": now})
        return best

    def _wear_before_derate(self, best: Prognosis, now: float, fault: str, cols: tuple[np.ndarray, ...] | None) -> bool:
        """WEAR_BEFORE_DERATE's case: a worn compressor's raw date (``best``) of HORIZON_LOW_RAW days or more from its
        discharge while the pump has not been seen held at its derate in its history (its model's derate starts below
        the discharge stop)."""
        stop = self.limits.get("t_discharge")
        if not WEAR_BEFORE_DERATE or fault != "compressor_wear" or best.indicator != "t_discharge" or not USE_DERATE \
                or cols is None or stop is None \
                or self.derate_start_c >= stop.threshold or (best.predicted_trip_ts - now) / DAY < HORIZON_LOW_RAW:
            return False
        return not held_at_derate(cols, now, _IDX["compressor_hz"], _IDX["t_discharge"], self.derate_start_c,
                                  days=math.inf)

    def _columns(self, rows: list) -> tuple[np.ndarray, ...] | None:
        """The hours ``rows`` as arrays (their times, and their means, highs and lows as matrices, an hour
        a row; None for no hours), carried from the last call as _daily_cached carries its sums: the
        rows that left dropped, the new ones stacked, the same values as stacking them all afresh."""
        if not rows:
            return None
        self._cols = _carried(self._cols, rows, _stack_hours)
        return self._cols[1]

    def _daily_cached(self, rows: list, j: int, sign: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """_daily(rows, j, sign), its per-day sums carried from the last call (a prognosis is
        refreshed every few hours over a month of hours): the hours that have left the history
        are taken out by summing their days again from the hours that remain, the new ones added,
        each day's sums in the order _daily adds them, so the very same numbers. Any other change
        of the history (cleared, loaded, refilled) sums it afresh."""
        key = (j, sign)
        memo = self._daily_last
        last = memo.get(key) if memo is not None else None
        if last is not None and last[0] is rows and last[1] == len(rows):
            # the same hours as the last call for this indicator (predict reads its best indicator's days again
            # for the fault's progress): _daily of them, a pure function of the hours, copied as a call makes them
            return tuple(a.copy() for a in last[2])  # type: ignore[return-value]
        cached = self._daily_sums.get(key)
        if cached is not None:
            done, acc, days, in_order = cached
            d = next((q for q, h in enumerate(done) if h is rows[0]), -1) if rows else -1
            kept = len(done) - d
            if d < 0 or kept > len(rows) or not all(map(operator.is_, itertools.islice(done, d, None),
                                                         itertools.islice(rows, 0, kept))):
                cached = None
            elif d > 0:
                gone, last = set(days[:d]), days[d - 1]
                del done[:d], days[:d]
                for k in gone:
                    acc.pop(k, None)
                # the hours left of those days, in their order (each hour's day kept beside it, not divided again):
                # with the days in order, the first ones, those of the last day gone (none later is of a day gone)
                left = done[:bisect.bisect_right(days, last)] if in_order and DAILY_IN_ORDER \
                    else list(itertools.compress(done, map(gone.__contains__, days)))
                _daily_add(acc, left, j, sign)
        if cached is None:
            done, acc, days, in_order = [], {}, [], True
            cached = self._daily_sums[key] = [done, acc, days, in_order]
        new = rows[len(done):]
        _daily_add(acc, new, j, sign)
        done.extend(new)
        added = [int(h[0] // DAY) for h in new]  # each hour's day as _daily_add keys it
        if in_order and added:
            cached[3] = (not days or days[-1] <= added[0]) and all(map(operator.le, added, added[1:]))
        days.extend(added)
        out = _daily_arrays(acc)
        if memo is not None:
            memo[key] = (rows, len(rows), tuple(a.copy() for a in out))
        return out

    def _same_days(self, key: tuple, fn: Callable, *days: np.ndarray):
        """fn(*days), or its value of the last call under ``key`` when its arrays held the very same
        bytes (a pure function of them: the same value). One value kept per key."""
        tag = tuple(a.tobytes() for a in days)
        last = self._days_memo.get(key)
        if last is not None and last[0] == tag:
            return last[1]
        value = fn(*days)
        self._days_memo[key] = (tag, value)
        return value

    def _predict_channel(self, ch: str, now: float, fault: str = "", rows: list | None = None,
                         cols: tuple[np.ndarray, ...] | None = None) -> Prognosis | None:
        stage = ch in STAGE_LIMITS
        limit = STAGE_LIMITS[ch] if stage else self.limits.get(ch)
        if (limit is None and (ch != "compressor_a" or not self.learn_rated_current)) or ch not in _IDX \
                or len(self._hours) < 24:
            return None
        j = _IDX[ch]
        if rows is None:
            rows = [h for h in self._hours if h[0] < now]
            cols = None
        if limit is None:  # over-current without the site's rated current: from the healthy hours
            rated = learned_rated_current(rows, j, _IDX["compressor_hz"]) if cols is None \
                else learned_rated_current_cols(cols, j, _IDX["compressor_hz"])
            if rated is None:
                return None
            # a pump that drew a current and ran on has its relay above it: the limit is at least
            # RUNNING_ABOVE over the most the pump has drawn (the estimate may be low: the heavy
            # hours seen may lift less than a design day)
            drawn = max((h[2][j] for h in rows if not math.isnan(h[2][j])), default=0.0) if cols is None \
                else _most_drawn(cols[2][:, j])
            limit = TripLimit(ch, "up", max(OVERCURRENT_MARGIN * rated, RUNNING_ABOVE * drawn))
        sign = 1.0 if limit.direction == "up" else -1.0
        room, only_room = None, False
        derate = fault in DERATE_FAULTS and ch == "t_discharge" and USE_DERATE and bool(rows)
        full = (cols if cols is not None else _stack_hours(rows)) if derate else None
        # a pump seen at its derate within its history (a pump without a derate, or one that has not
        # reached it, is dated as before)
        start_c, f_min = self.derate_start_c, self.min_frequency_hz
        derate = derate and held_at_derate(full, now, _IDX["compressor_hz"], j, start_c, days=math.inf)
        if derate:
            # the hours whose discharge sat at the derate show the controller's set point, not the
            # fault (its excess went into the frequency): their room used dates the trip, and the
            # discharge is trended on the other hours (prognosis_derate)
            if held_at_derate(full, now, _IDX["compressor_hz"], j, start_c):
                room = derate_room_days(full, now, _IDX["compressor_hz"], j, _room_passage, start_c, f_min)
            # the kept hours' columns are the full ones' kept rows (the same numbers as stacking them again)
            keep = not_derated(full[2][:, j], start_c) if DROP_DERATED else None
            kept = list(itertools.compress(rows, keep.tolist())) if keep is not None else rows
            if kept and kept[-1][0] >= now - DERATE_RECENT_DAYS * DAY:
                rows, cols = kept, (tuple(a[keep] for a in full) if keep is not None else _stack_hours(kept))
            elif room is not None:  # every recent hour at the derate: the room alone tells
                derate = False
                only_room = True
        if ch in LEARNED_LIMITS and RAN_ON_BOUND:
            limit = _past_ran_on(limit, rows, j, sign)
        if cols is not None and WORST_FROM_COLUMNS:  # the last 72 hours' worst from the columns: the same values
            last = (cols[2] if sign > 0 else cols[3])[-72:, j]
            worst = last[~np.isnan(last)]
        else:
            worst = [h[2][j] if sign > 0 else h[3][j] for h in rows[-72:]]
            worst = np.array([w for w in worst if not math.isnan(w)])
        if not len(worst):
            return None
        margin = sign * (limit.threshold - (worst.max() if sign > 0 else worst.min()))
        if margin <= 0 and stage:  # the stage is reached: the indicators after it tell the trip
            return None
        def at_limit() -> Prognosis:  # already at the limit on its worst hour: now
            return Prognosis(indicator=ch, threshold=limit.threshold, predicted_trip_ts=now,
                             lower_ts=now, upper_ts=now + DAY)

        if margin <= 0 and AT_LIMIT_NOW:
            return at_limit()
        # a chain from an earlier indicator (prognosis_chain) and the indicator's own trend: the
        # earlier date (the chain is None with too few days of valve headroom)
        chain = leak_discharge_days(rows, now, _IDX["eev_pct"], j, limit.threshold, CHAIN_BASE_DAYS,
                                    _GRID, _excess_curves, cols=cols,
                                    pick=_rival_days if fault in CHAIN_RIVALS else None) \
            if (fault, ch) in CHAINS and not (derate and not CHAIN_UNDER_DERATE) else None
        if (fault, ch) in EVAP_CHAINS and USE_EVAP_CHAIN:  # the approach's growth, read through the cycle
            hrs = cols if cols is not None else _stack_hours(rows)
            # the fouling index and its growth laws are the same for both indicators of one prediction
            fouling = daily_fouling(hrs, _IDX["evap_approach"], now)
            curves = self._same_days(("evap",), _excess_curves, fouling[0], fouling[1]) if fouling is not None else None
            evap = evap_chain_days(hrs, now, self.refrigerant, _IDX, ch, limit.threshold, EVAP_BASE_DAYS, _GRID,
                                   _excess_curves, pick=_rival_days if EVAP_PICK == "rivals" else None,
                                   fouling=fouling, curves=curves)
            if evap is not None:
                chain = evap if chain is None else min(chain, evap)
        day_t, excess, base = self._daily_cached(rows, j, sign)
        target = sign * limit.threshold
        hours = cols if cols is not None or not rows else _stack_hours(rows)  # the share's and precursor's columns
        # a worn compressor not yet seen at its derate has it ahead all the same (ROOM_AHEAD): its discharge
        # trips past the stop by the same room once it gets there
        # (a pump model whose derate starts at or past the stop has none ahead)
        ahead = ROOM_AHEAD and not derate and fault in ROOM_KELVIN_FAULTS and ch == "t_discharge" and USE_DERATE \
            and sign > 0 and start_c < limit.threshold
        if (derate or ahead) and ROOM_IN_KELVIN and fault in ROOM_KELVIN_FAULTS and hours is not None:
            # a pump at its derate trips once its discharge is past the stop by the kelvin its frequency
            # can still give up (prognosis_derate.DERATE_ROOM_K): each hour's healthy worst less its room
            rt, rb = daily_worst_less_room(hours, _IDX["compressor_hz"], j, self.derate_room_k, f_min)
            if len(rt) == len(day_t) and np.array_equal(rt, day_t):
                base = rb
        if (fault, ch) in SHARE_LOSS and USE_SHARE_LOSS and hours is not None:  # a loss in proportion
            shared = _share_loss_days(hours, j, limit.threshold)
            if shared is not None:
                day_t, excess, base, target = shared
        if fault in WORST_SHARE and len(day_t) >= MIN_DAYS:
            k, base_k = _worst_share(rows, j, sign, excess, *WORST_SHARE[fault], cols=cols)
            if base_k is not None:
                excess, base = k * excess, base_k
        elif (fault, ch) in HELD and USE_HELD and len(day_t) >= HOLD_DAYS:
            k, base_k = _held_share(rows, j, sign, excess, cols)
            if base_k is None and CONDENSER_SAT_SHARE and hours is not None:  # not held: the curve's share
                k, base_k = _saturation_share(rows, j, sign, excess, hours, self.refrigerant, now)
            if base_k is not None:
                excess, base = k * excess, base_k
        near_margin = margin
        if ch in INSTANT and USE_TRANSIENTS and hours is not None:  # the switch sees the passing readings
            peaks = self._peak_columns(now)
            if derate and DROP_DERATED and len(peaks):
                peaks = peaks.kept(not_derated(peaks.hi[:, j], start_c))
            x = _transient_days(hours, peaks, j, sign, day_t)
            if len(x) == len(base):
                base = base + x
            if len(peaks):
                recent = (peaks.hi if sign > 0 else peaks.lo)[:, j][peaks.t >= rows[-1][0] - 71 * HOUR]
                recent = recent[~np.isnan(recent)]
                if len(recent):
                    near_margin = min(margin, sign * (limit.threshold - (recent.max() if sign > 0 else recent.min())))
        # the healthy worst days' spell and kernel widths: pure functions of those days, which seldom move
        # between two refreshes (a day's healthy worst moves only with a worse hour): kept with their days
        rho = self._same_days(("rho", j, sign), _persistence, base[-PERSIST_DAYS:], day_t[-PERSIST_DAYS:])
        h = self._same_days(("h", j, sign), _bandwidth, base[-BASE_DAYS:])
        trend = _first_passage_days((day_t - now) / DAY, excess, base[-BASE_DAYS:], target, rho, h,
                                    _growth_laws(fault, ch, derate)) \
            if len(day_t) >= MIN_DAYS else None
        # a history shorter than the tracker's memory began when the pump was first watched (its
        # installation, a repair): a fault with no calm day since was born after that (_pace_days)
        born = (rows[0][0] - now) / DAY if PACE_FROM_BIRTH and rows and len(self._hours) < (self._hours.maxlen or 0) \
            else None
        pace = _pace_days((day_t - now) / DAY, excess, base[-BASE_DAYS:], target, rho, born, h) \
            if USE_PACE and len(day_t) >= MIN_DAYS else None
        if pace is not None and trend is not None:  # a fresh fault's pace so far (_pace_days): the sooner
            trend = min(trend, pace)
        own = trend  # the indicator's own excess extended (its trend or its pace)
        if (fault, ch) in PRECURSORS and USE_PRECURSOR and hours is not None:  # the flood's first stage
            ahead = _precursor_days(hours, now, _IDX[PRECURSORS[(fault, ch)]], born) if USE_PACE else None
            if ahead is not None:
                trend = ahead if trend is None else min(trend, ahead)
        days = room if only_room or (room is not None and ROOM_WHEN_HELD) \
            else min((d for d in (chain, trend, room) if d is not None), default=None)
        if days is None:
            return at_limit() if margin <= 0 else None
        self._dated_by[ch] = _dated_by(days, own, chain, room)
        # the fit's own spread is not an honest interval (the weather moves every estimate of a
        # week together): a factor 2 each way until the calibration table replaces it; from now
        # where the worst hour has reached the limit already (the pump ran on, so the reading did
        # not trip it, but the next one may: the day's worst is a first passage like any other)
        self._margins[ch] = (j, sign, near_margin)  # predict asks the earliest indicator if it is near (_near_limit)
        return Prognosis(indicator=ch, threshold=limit.threshold, predicted_trip_ts=now + days * DAY,
                         lower_ts=now if margin <= 0 else now + 0.5 * days * DAY, upper_ts=now + 2.0 * days * DAY)


# The date moved by how far the fault has come (its progress: today's excess over the gap from the
# two weeks' median healthy worst day to the limit, on the indicator that dated it). A fault a fifth of
# its way there, dated within days to weeks, rests on its trend extrapolated over four times the distance
# it has shown; the estimator takes the sooner of noisy dates (pace and trend, the earliest indicator,
# the exponential's runaway), so such dates come soon, and the farther the extrapolation the sooner. One
# 70 % of its way there, dated 8 days or more, waits for a day whose worst carries the rest, and the
# polled worst misses the peaks that trip the switch (docs/heatpump.md): it trips sooner than dated.
# Measured on the used fleets 2135-2159 (bench/prognosis_fleets.py replay --features; docs/heatpump.md).
USE_PROGRESS = True  # False: the table's date alone (as before; bench comparisons)
PROGRESS_LOW = 0.2  # under this share of the way, a raw date of PROGRESS_LOW_RAW days or more is lifted
PROGRESS_LOW_RAW = 4.0
PROGRESS_LIFT = 0.5  # log2: x1.41
PROGRESS_HIGH = 0.7  # at or over this share, a raw date of PROGRESS_HIGH_RAW days or more is drawn in
PROGRESS_HIGH_RAW = 8.0
PROGRESS_DRAW = 0.5  # log2: / 1.41
# The lift graded by how little of the way the fault has come: PROGRESS_LIFT at none, shrinking as the
# square root of the share of PROGRESS_LOW still ahead of it (x1.41 at 0, x1.28 at 0.1, x1.19 at 0.15, none at
# 0.2), so a date whose progress is close to the line moves little. The full step of plans 41-42 put a few dates
# of pumps with under 16 days left over twice late on every fresh fleet set (5 of ~1,000 each time); graded, on
# the used fleets 2135-2165 (29 fleets, 17,763 estimates), the lift's own new late dates under 16 days 122 -> 82,
# its far gain 16+ days out +11.8 -> +8.9 points (bench/heldout43_graded.md). False: the full step (plan 42).
PROGRESS_GRADED = True
DATED_OWN = "own"
# The lift where the date extends a growth: the indicator's own excess, or a physics chain's (a leak's or
# a blocked valve's charge read through the valve's opening): a date from the derate's room or from a
# precursor's stage does not extend one. Measured on the used fleets 2135-2162 (26 fleets, 15,929
# estimates, bench/heldout42_progress.md): the chains' lifts are the best of all (leak: 9 more dates
# over twice late under 16 days against 228 more within x2 16+ days out), so "own trend only" is not
# the line. Not a fouled evaporator's low pressure: its excess is a share of the heat drawn through the
# coil, largest on the coldest hours (WORST_SHARE, 1-3 times the day's mean), and its trip comes on the
# cold day that carries the rest, so a small share of the way on the day's mean says nothing of how far
# its trip is (lifted, 33 more late against 28 more within x2 far out, the worst of any pair).
PROGRESS_LIFT_PATHS: frozenset[str] = frozenset({DATED_OWN, "chain"})
PROGRESS_NO_LIFT_MAIN: frozenset[tuple[str, str]] = frozenset({("evaporator_fouling", "p_low")})
# Nor a worn compressor's over-current (its discharge keeps the draw-in, PROGRESS_DRAW_ON): on the used fleets
# 2135-2168 the costliest lift of any pair (lifted 420 estimates, 22 more dates over twice late under 16 days, +164
# weighed cost at k = 7; bench/lateload39.md) and in the whole loop re-dated offline 1,437 -> 1,416 on top of the
# load-share faults'. Held out in bench/heldout46_wearcurrent.md (fleets 2172-2174); PROGRESS_NO_LIFT_MAIN is the
# rule before it (the replay of main's side).
PROGRESS_NO_LIFT_WEAR_CURRENT: frozenset[tuple[str, str]] = frozenset({("compressor_wear", "compressor_a")})
PROGRESS_NO_LIFT: frozenset[tuple[str, str]] = PROGRESS_NO_LIFT_MAIN | PROGRESS_NO_LIFT_WEAR_CURRENT
# Faults the lift leaves alone on every indicator: PROGRESS_NO_LIFT_LOAD_SHARE (empty before the thirty-third
# round; frozenset() gives that rule back for bench comparisons), the two faults whose excess is a share of the
# heat moved (bench/lateload39.md): in the whole loop the lift put 14 more half-days 8-16 days out over twice
# late, on a fouled evaporator's and a fouled condenser's pump, whose progress was low on every reading of it
# (today's, the two weeks' worst day's, at the heaviest day's compressor frequency), so it is not the day's load;
# withheld, on the used fleets 2135-2168 late dates under 16 days 2,087 -> 2,065 and the weighed cost 22,122 ->
# 22,048, 16+ days within x2 47.4 -> 46.5 %. Held out in bench/heldout45_loadshare.md (fleets 2169-2171): passed,
# and set.
PROGRESS_NO_LIFT_LOAD_SHARE: frozenset[str] = frozenset({"evaporator_fouling", "condenser_fouling"})
PROGRESS_NO_LIFT_FAULTS: frozenset[str] = PROGRESS_NO_LIFT_LOAD_SHARE
# The draw-in of far-along dates only for a worn compressor's discharge: on the used fleets it is the one
# indicator whose far-along dates of 8 days or more come over twice late (the draw-in's whole gain under
# 16 days is its own), and elsewhere it only moves dates that are early already (wear's over-current,
# condenser). Why its far-along dates are late is not measured (a guess: the derate holds its discharge
# down on the heavy hours, so the trend of the other hours runs slow while its room is spent).
PROGRESS_DRAW_ON: frozenset[tuple[str, str]] | None = frozenset({("compressor_wear", "t_discharge")})


def fault_progress(rows: list, indicator: str, threshold: float, direction: str,
                   daily: Callable | None = None) -> float | None:
    """Today's excess over the gap between the last two weeks' median healthy worst day and the limit
    (signed toward the trip; None with under 6 days or no gap): how far the fault has come. ``daily``:
    _daily or a tracker's _daily_cached (the same numbers, its per-day sums carried between predicts)."""
    sign = -1.0 if direction == "down" else 1.0
    _, excess, base = (daily or _daily)(rows, _IDX[indicator], sign)
    if len(excess) < 6:
        return None
    healthy = _median(base[-BASE_DAYS:])  # float(np.median(...)) to the bit, without its wrappers
    gap = sign * threshold - healthy
    return float(excess[-1] / gap) if gap > 0.0 else None


def _progress_move(best: Prognosis, now: float, rows: list, limits: dict[str, TripLimit], fault: str = "",
                   dated_by: str = DATED_OWN, daily: Callable | None = None) -> float:
    """log2 of the date's move by the fault's progress (USE_PROGRESS's note); 0: none. ``best`` raw.
    The lift only on the paths PROGRESS_LIFT_PATHS and not PROGRESS_NO_LIFT's pairs; the draw-in only on
    PROGRESS_DRAW_ON's pairs; none for PROGRESS_NO_LIFT_FAULTS."""
    raw = (best.predicted_trip_ts - now) / DAY
    if raw < PROGRESS_LOW_RAW or best.indicator not in _IDX:
        return 0.0
    lift_ok = dated_by in PROGRESS_LIFT_PATHS and (fault, best.indicator) not in PROGRESS_NO_LIFT \
        and fault not in PROGRESS_NO_LIFT_FAULTS
    draw_ok = PROGRESS_DRAW_ON is None or (fault, best.indicator) in PROGRESS_DRAW_ON
    if not lift_ok and not draw_ok:
        return 0.0
    lim = STAGE_LIMITS.get(best.indicator) or limits.get(best.indicator)  # over-current learned: up
    direction = lim.direction if lim is not None else "up"
    progress = fault_progress(rows, best.indicator, best.threshold, direction, daily)
    if progress is None:
        return 0.0
    if progress < PROGRESS_LOW and lift_ok:
        return _graded_lift(progress) if PROGRESS_GRADED else PROGRESS_LIFT
    if progress >= PROGRESS_HIGH and raw >= PROGRESS_HIGH_RAW and draw_ok:
        return -PROGRESS_DRAW
    return 0.0


# A long raw date of a fault that has covered little of its gap, drawn in less by the horizon table (bench/farsoon50.md,
# held out in bench/heldout48_slowhorizon.md): where the raw date is HORIZON_LOW_RAW days or more and the indicator's
# progress under HORIZON_LOW_PROGRESS, the horizon recalibration's slope is HORIZON_SLOPE_LOW_PROGRESS instead of the
# table's (prognosis_calibration.HORIZON_SLOPE, 0.328). The table learnt from fleets whose faults trip 8-60 days after
# onset that a long raw date overshoots; a slow drift (the loop's faults take 49-112 days) is dated near right by its
# raw date. None: the table as it is (main before the thirty-sixth round).
HORIZON_SLOPE_LOW_PROGRESS: float | None = 0.5
HORIZON_LOW_RAW = 16.0
HORIZON_LOW_PROGRESS = 0.1
# The faults it leaves alone. A worn compressor (farsoon50.md's set): its low progress is its over-current's, and it
# trips on its discharge. The load-share faults too (plan 48), as PROGRESS_NO_LIFT_LOAD_SHARE leaves them out of the
# lift: a fouled condenser or evaporator trips on the cold day whose load it cannot carry, so its low progress says
# when the weather comes, not that its drift is slow (in the loop, joined half-days, with them in: late under 16 days
# 111 -> 121, hp-096, hp-141).
HORIZON_LOW_EXCEPT_WEAR: frozenset[str] = frozenset({"compressor_wear"})
HORIZON_LOW_EXCEPT_LOAD_SHARE: frozenset[str] = HORIZON_LOW_EXCEPT_WEAR | PROGRESS_NO_LIFT_LOAD_SHARE
HORIZON_LOW_EXCEPT: frozenset[str] = HORIZON_LOW_EXCEPT_LOAD_SHARE
# A worn compressor not yet seen held at its derate (in the tracker's history) has the derate's whole stage ahead of
# its discharge trip: its discharge must reach the derate, then the controller trades the frequency's room for it
# (prognosis_derate). So a long raw date of its discharge is a drift's, not a stalled trend's, and its horizon slope is
# the slow drift's (HORIZON_SLOPE_LOW_PROGRESS). The table's regression to the mean learnt that a long raw date
# overshoots from the held pumps: near its trip a held pump's discharge sits at the set point, its kept hours' trend
# stalls and dates weeks while the room runs out. On the used wear-only fleets 2172-2174, 2179-2185 (main's dates):
# discharge-dated raw dates of 16+ days of pumps never held, 37 with under 16 days left against 426 with more; of held
# pumps, 311 against 567 (bench/heldout50_wear.md). Not the over-current's date: the relay trips a rubbing compressor
# whether or not its discharge has reached the derate (on fixture 2005's rubbing pump, told by 0.5 too, one more date
# under 16 days over twice late). False: the table's slope (main before the thirty-eighth round).
WEAR_BEFORE_DERATE = True


def _low_progress_far(best: Prognosis, now: float, rows: list, limits: dict[str, TripLimit], fault: str,
                      daily: Callable | None = None) -> bool:
    """HORIZON_SLOPE_LOW_PROGRESS's case: a raw date (``best``) of HORIZON_LOW_RAW days or more whose indicator has
    covered under HORIZON_LOW_PROGRESS of its gap (fault_progress), for a fault not in HORIZON_LOW_EXCEPT."""
    if fault in HORIZON_LOW_EXCEPT or best.indicator not in _IDX \
            or (best.predicted_trip_ts - now) / DAY < HORIZON_LOW_RAW:
        return False
    lim = STAGE_LIMITS.get(best.indicator) or limits.get(best.indicator)
    progress = fault_progress(rows, best.indicator, best.threshold, lim.direction if lim is not None else "up", daily)
    return progress is not None and progress < HORIZON_LOW_PROGRESS


def _graded_lift(progress: float) -> float:
    """log2 of the lift for a progress under PROGRESS_LOW (PROGRESS_GRADED's note): the full step at no progress
    (or a fault read as going back), none at the line."""
    left = 1.0 - min(max(progress, 0.0), PROGRESS_LOW) / PROGRESS_LOW
    return PROGRESS_LIFT * math.sqrt(left)


def _dated_by(days: float, own: float | None, chain: float | None, room: float | None) -> str:
    """Which path gave an indicator's date: its own excess extended (DATED_OWN), a physics chain from
    an earlier indicator ("chain"), the derate's room ("room"), or a precursor's first stage ("precursor")."""
    if own is not None and days == own:
        return DATED_OWN
    if chain is not None and days == chain:
        return "chain"
    if room is not None and days == room:
        return "room"
    return "precursor"


def _moved(p: Prognosis, now: float, log2_move: float) -> Prognosis:
    """The date moved by 2 ** log2_move, kept within its interval (which stays)."""
    days = (p.predicted_trip_ts - now) * 2.0 ** log2_move
    at = min(max(now + days, p.lower_ts), p.upper_ts)
    return p.model_copy(update={"predicted_trip_ts": at})


# faults whose discharge the inverter's derate holds under its stop (prognosis_derate): their
# discharge trip is dated by the frequency's room once the discharge sits at the derate
DERATE_FAULTS = frozenset({"refrigerant_leak", "eev_stuck_closed", "compressor_wear"})
# faults whose discharge trend is read against the stop plus the hour's room in kelvin (prognosis_derate
# .daily_worst_less_room): a worn compressor's off-derate hours, trended to the stop itself, dated it a
# median 3.5 times early (raw, tuning fleets). The leak and the valve stuck closed are left out: measured, the
# room dated them late near the trip and hardly moved their early far dates (their superheat excess grows with
# the hour's load, so the mild hours the trend reads show a fraction of the held hours'): docs/heatpump.md,
# "The leak's and the stuck-closed valve's room in kelvin"; bench/room_by_fault.py
ROOM_KELVIN_FAULTS = frozenset({"compressor_wear"})
ROOM_IN_KELVIN = True  # False: the off-derate hours trended to the stop itself (as before; bench comparisons)
USE_DERATE = True  # False: the discharge trended to its stop as before (bench comparisons)
# the leak's chain (prognosis_chain) runs the discharge away once the valve meets its end stop; a pump
# with a derate does not let it: the chain dates where the derate begins to spend the frequency's room,
# not the trip, so it is not taken as a date of the trip (False)
CHAIN_UNDER_DERATE = False
# A worn compressor whose discharge has not yet reached its derate has the derate ahead all the same: it is the
# pump model's (a pump that reports its frequency steps it down from DERATE_START_C), so its discharge trips past
# the stop by the room its frequency will give up, as once it is held (ROOM_IN_KELVIN). Read against the bare stop
# before the first held hour, a worn compressor's trend met 115 °C weeks early: on the used wear-only fleets
# 2166-2168 the discharge-dated estimates 16+ days out of pumps never held 110 of 112 over twice early (slow 2168),
# the loop's hp-135 dated 5-7 days with 40-55 left (bench/heldout47_wear.md). False: the room only once the pump has
# been seen held (main before this round).
ROOM_AHEAD = True
ROOM_WHEN_HELD = False  # True: a pump held at the derate dated by the room alone, its discharge's trend left out
DROP_DERATED = True  # False: the derated hours' discharge kept in its trend (the room's date only added)


def _room_passage(x: np.ndarray, used: np.ndarray) -> float | None:
    """Days until the day's worst share of the frequency's room used reaches the whole of it."""
    return _first_passage_days(x, used, np.zeros(BASE_DAYS), 1.0)


# (fault, trip indicator) whose fault takes a share of the indicator rather than adding to it
# (_share_loss_days): a valve stuck open floods the compressor with liquid, whose evaporation takes
# the same share of the compression's superheat on every hour, so the low hours lose the least
SHARE_LOSS: set[tuple[str, str]] = {("eev_stuck_open", "discharge_superheat")}
USE_SHARE_LOSS = True  # False: the loss added to the low hours in full (as before; bench comparisons)
SHARE_MIN = 0.5  # an hour whose healthy reading is below this (K) tells no share
# the share lost extended as it is ("share"), or its log ("log": a loss that compounds). Chosen on the
# calibration valve fleets (docs/heatpump.md): the same every estimate (60 %), but a flood-back that
# sets in within days followed by the share itself (fast faults 56 -> 63 %, first estimates 53 -> 61 %)
SHARE_UNITS = "share"


# (fault, trip indicator) -> a channel the fault empties first, on the way to the trip (_precursor_days):
# a valve stuck open passes more liquid than the evaporator boils, so the suction superheat falls in
# proportion to the opening until none is left; only then does liquid reach the compressor, take the
# discharge superheat's last kelvin and trip the flood-back switch. The discharge's share lost grows
# slowly first and fast at the end (dated late on a fault days from its trip); the suction's does not
PRECURSORS: dict[tuple[str, str], str] = {("eev_stuck_open", "discharge_superheat"): "superheat"}
USE_PRECURSOR = True  # False: the discharge's own share alone (as before; bench comparisons)
# a precursor whose last day kept this share or less has done its part: the suction's sensors read a
# few tenths of a kelvin over saturation even wet, so its share stops near 0.1, and dated from there
# it says "now" for the days the liquid takes to collapse the discharge (slow faults: a week)
PRECURSOR_SPENT = 0.2


def _daily_share(cols: tuple[np.ndarray, ...], j: int,
                 min_hours: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Per day with ``min_hours`` hours read: its midday time, the share kept r = sum of readings / sum of
    healthy readings (an hour's reading its middle, (high + low) / 2; its healthy reading that less the
    hour's residual), the day's low and its hours. None: no such day, or a day whose healthy readings
    average SHARE_MIN or less (no share to tell)."""
    t, m, hi, lo = cols[0], cols[1][:, j], cols[2][:, j], cols[3][:, j]
    ok = ~(np.isnan(m) | np.isnan(hi) | np.isnan(lo))
    if not ok.any():
        return None
    t, m, hi, lo = t[ok], m[ok], hi[ok], lo[ok]
    mid = 0.5 * (hi + lo)
    healthy = mid - m
    day = np.floor_divide(t, DAY)
    keys, inv, counts = np.unique(day, return_inverse=True, return_counts=True)
    obs_sum = np.bincount(inv, weights=mid, minlength=len(keys))
    healthy_sum = np.bincount(inv, weights=healthy, minlength=len(keys))
    low = np.full(len(keys), np.inf)
    np.minimum.at(low, inv, lo)
    keep = counts >= min_hours
    if not keep.any():
        return None
    keys, obs_sum, healthy_sum, low = keys[keep], obs_sum[keep], healthy_sum[keep], low[keep]
    if np.any(healthy_sum <= SHARE_MIN * counts[keep]):
        return None
    return (keys + 0.5) * DAY, obs_sum / healthy_sum, low, counts[keep]


def _precursor_days(cols: tuple[np.ndarray, ...], now: float, j: int, born: float | None = None) -> float | None:
    """Days until channel ``j``'s daily share lost (1 - r, _daily_share) reaches 1, the channel emptied,
    at the fault's own pace (_pace_days: a line from the last calm day through today's share lost; the
    steeper of it and the last day's step). Not the trend's growth curves: fitted to a share lost that
    decelerates (a fault grown as s^0.6-0.7) they bent it up and dated slow valves early (calibration
    valve fleets, slow open valves' first estimates within x2 71 % paced, 64 % with the trend as well).
    The healthy days' spread does not enter (the controller held the channel at its setpoint: the day
    the share is gone is the date). None: too few days, no share, none lost, evidence older than
    PACE_MAX_AGE_DAYS (a slow fault: the discharge's own share dates it), or the channel already spent."""
    shared = _daily_share(cols, j)
    if shared is None or len(shared[0]) < MIN_DAYS:
        return None
    day_t, r = shared[0], shared[1]
    if r[-1] <= PRECURSOR_SPENT:  # the stage is passed: the discharge's own share speaks (it now moves)
        return None
    base = np.zeros(len(day_t))
    return _pace_days((day_t - now) / DAY, 1.0 - r, base, 1.0, 0.0, born, _bandwidth(base))


def _share_loss_days(cols: tuple[np.ndarray, ...], j: int, limit: float,
                     min_hours: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray, float] | None:
    """The days of an indicator the fault scales down (a "down" limit above 0), as a first passage:
    per day with ``min_hours`` hours read, the share kept r = sum of readings / sum of healthy readings
    (an hour's reading its middle, (high + low) / 2; its healthy reading that less the hour's residual),
    the excess the share lost 1 - r (up toward the trip), the healthy worst the limit over the day's
    healthy low (its low / r), and the target 1: a day's low scaled by r passes the limit where
    1 - r >= 1 - limit / healthy low. So the trip comes on the day with the lowest healthy low (a mild
    hour's small superheat) and a share of it, not the day's mean loss in kelvin (which dated a
    stuck-open valve early: its low hours flatten toward the limit). With ``SHARE_UNITS`` "log" the
    same in log units (-log r, -log low / r, -log limit). None: a day without a share (a healthy
    reading at or below SHARE_MIN on average, a low at or below 0)."""
    shared = _daily_share(cols, j, min_hours)
    if shared is None:
        return None
    t_day, r, low, _ = shared
    if np.any(r <= 0.0) or np.any(low <= 0.0) or limit <= 0:
        return None
    if SHARE_UNITS == "share":
        return t_day, 1.0 - r, limit * r / low, 1.0
    return t_day, -np.log(r), -np.log(low / r), -math.log(limit)


# channels whose switch opens on the reading of the moment (heatwatch.trips: the discharge stop, the
# high-pressure switch); the low-pressure and flood-back switches wait out a hold of minutes, which a
# passing reading does not
INSTANT: frozenset[str] = frozenset({"t_discharge", "p_high"})
USE_TRANSIENTS = True  # False: the steady hours' worst alone (as before; bench comparisons)
def _day_max(t: np.ndarray, v: np.ndarray) -> dict[int, float]:
    """The largest of v per calendar day (NaN left out)."""
    ok = ~np.isnan(v)
    if not ok.any():
        return {}
    day = np.floor_divide(t[ok], DAY).astype(np.int64)
    keys, inv = np.unique(day, return_inverse=True)
    top = np.full(len(keys), -np.inf)
    np.maximum.at(top, inv, v[ok])
    return dict(zip(keys.tolist(), top.tolist()))


def _transient_days(cols: tuple[np.ndarray, ...], peaks: list | PeakColumns, j: int, sign: float,
                    day_t: np.ndarray) -> np.ndarray:
    """Per day of ``day_t``: how far the day's worst reading of all (a defrost's end, a hot-water
    boost's last minutes) went beyond its worst steady reading, signed toward the trip, at least 0
    (0 for a day with no reading of all kept). The steady hours are what the fault and the weather
    are read from; a switch that opens on the reading of the moment opens at the steady worst plus
    this, so a day ahead is drawn as its steady worst plus the excursion the same past day had."""
    k = 2 if sign > 0 else 3
    steady = _day_max(cols[0], sign * cols[k][:, j])
    if not len(peaks):
        return np.zeros(len(day_t))
    if isinstance(peaks, PeakColumns):
        pt, pv = peaks.t, (peaks.hi if sign > 0 else peaks.lo)[:, j]
    else:
        pt = np.fromiter((h[0] for h in peaks), float, len(peaks))
        pv = np.fromiter(((h[1][j] if sign > 0 else h[2][j]) for h in peaks), float, len(peaks))
    every = _day_max(pt, sign * pv)
    out = np.zeros(len(day_t))
    for i, d in enumerate(np.floor_divide(day_t, DAY).astype(np.int64).tolist()):
        if d in steady and d in every:
            out[i] = max(every[d] - steady[d], 0.0)
    return out


# the daily peak's day-to-day spreads within which a worst hour counts as near its limit (_near_limit);
# 0: only a worst hour at the limit opens the interval at now (as before; bench comparisons)
NEAR_SPREADS = 1.0
NEAR_DAYS = 14  # the days the peak's spread is read from


def _near_limit(rows: list, j: int, sign: float, margin: float, cols: tuple[np.ndarray, ...] | None = None) -> bool:
    """Is the indicator's margin to its limit (from the worst hour of the last three days) within
    NEAR_SPREADS of its daily peak's day-to-day spread (the robust spread of the changes of the day's
    worst reading over the last NEAR_DAYS days)? Such a pump may trip on any day: on the calibration
    fleets 1001-1004 the share that tripped within a day was 12-15 % within one spread, 7 % at 1-2, 3 % at 2-5
    spreads, 0.2 % beyond (docs/heatpump.md). Its date is no better for it (the margin tells the
    days left apart less well than the date does), but its interval must hold a trip tomorrow."""
    spread = peak_spread(rows, j, sign, cols=cols)
    return spread is not None and margin <= NEAR_SPREADS * spread


def peak_spread(rows: list, j: int, sign: float, min_days: int = 4,
                cols: tuple[np.ndarray, ...] | None = None) -> float | None:
    """The robust day-to-day spread of the day's worst reading over the last NEAR_DAYS days (the
    median absolute deviation of its changes, as a standard deviation of one day's); None with fewer
    than ``min_days`` days read or no spread."""
    # the last NEAR_DAYS + 2 days' hours hold the last NEAR_DAYS days read unless hours are missing
    # (the slice's first day may be cut: it is never among them when more days than those are read)
    cut = -(NEAR_DAYS + 2) * 24
    sv, _, starts = _day_runs(rows[cut:], j, sign, None if cols is None else tuple(a[cut:] for a in cols))
    if len(starts) <= NEAR_DAYS:
        sv, _, starts = _day_runs(rows, j, sign, cols)
    if len(starts) < min_days:
        return None
    d = np.diff(np.maximum.reduceat(sv, starts)[-NEAR_DAYS:])
    spread = 1.4826 * _median(np.abs(d - _median(d))) / math.sqrt(2.0)
    return spread if spread > 0.0 else None


def _past_ran_on(limit: TripLimit, rows: list, j: int, sign: float) -> TripLimit:
    """A limit learned from the pump (its commissioned flow's fraction) moved past the worst reading
    the pump ran on: a pump still running after its flow read that low has its switch beyond it."""
    seen = [h[2][j] if sign > 0 else h[3][j] for h in rows]
    seen = [v for v in seen if not math.isnan(v)]
    if not seen:
        return limit
    worst = max(seen) if sign > 0 else min(seen)
    if sign * (worst - limit.threshold) <= 0:
        return limit
    return TripLimit(limit.channel, limit.direction, worst)


def overcurrent_limit(rated_a: float) -> TripLimit:
    """The over-current relay's limit for a compressor of this rated current (A, finite, > 0)."""
    if not (isinstance(rated_a, (int, float)) and math.isfinite(rated_a) and rated_a > 0):
        raise ValueError(f"rated current {rated_a!r}: a positive number of amperes")
    return TripLimit("compressor_a", "up", OVERCURRENT_MARGIN * float(rated_a))


def learned_rated_current(rows: list, j_amps: int, j_hz: int) -> float | None:
    """TOP_HZ x the RATED_QUANTILE of an hour's healthy current (its worst less the fault's mean
    excess) per hertz (its top frequency), over the hours above MIN_RATIO_HZ (None: too few)."""
    ratios = []
    for _, m, hi, _lo in rows:
        amps, hz = hi[j_amps] - m[j_amps], hi[j_hz]
        if hz >= MIN_RATIO_HZ and amps > 0:  # NaN compares false
            ratios.append(amps / hz)
    if len(ratios) < MIN_RATIO_HOURS:
        return None
    return TOP_HZ * float(np.quantile(ratios, RATED_QUANTILE))


def learned_rated_current_cols(cols: tuple[np.ndarray, ...], j_amps: int, j_hz: int) -> float | None:
    """learned_rated_current of the hours as PrognosisTracker._columns gives them (times, means, highs,
    lows): the same hours' ratios in the same order, a pass over two columns instead of a Python loop
    over a month of hours (a refresh of a pump without a rated current makes one per indicator)."""
    m, hi = cols[1], cols[2]
    amps, hz = hi[:, j_amps] - m[:, j_amps], hi[:, j_hz]
    use = (hz >= MIN_RATIO_HZ) & (amps > 0)  # NaN compares false
    if np.count_nonzero(use) < MIN_RATIO_HOURS:
        return None
    return TOP_HZ * float(np.quantile(amps[use] / hz[use], RATED_QUANTILE))


def _most_drawn(col: np.ndarray):
    """max(the column's values less NaN, default 0.0): the largest reading, as a numpy float like the
    hours' own values (only its value is read: the limit is the larger of it and a positive rating)."""
    v = col[~np.isnan(col)]
    return v.max() if len(v) else 0.0


# faults whose excess weighs more on a day's worst hour than on its mean, and the bounds of that
# share (_worst_share). An evaporator's airflow fault (a fouled or iced coil, a weak fan): its
# approach grows with the heat drawn through the coil over the air it passes, most on the
# coldest, heaviest hours, where its discharge and low pressure are worst; the day's mean
# excess, made mostly on milder hours, dated it late (raw estimates on calibration fleets
# 1001-1004, 7 pumps: within a factor 2 41 % -> 52 %, median actual / predicted 0.45 -> 0.75)
WORST_SHARE: dict[str, tuple[float, float]] = {"evaporator_fouling": (1.0, 3.0)}
# (fault, trip indicator) followed by a physics chain from an earlier indicator, and the
# channels the chain reads besides the indicator (prognosis_chain)
# A valve stuck toward closed (partly blocked: it passes less per unit of opening) is the leak's chain
# too: the controller opens it (1 + c) times the healthy opening, and once the cold hours' heavier mass
# flow needs more than its end stop, the evaporator starves and the discharge runs away. Its trip is set
# by the coldest hours to come, which a trend of the discharge's excess does not see (calibration fleets
# 1001-1004, 1014-1015 re-collected with valve faults only, 36 pumps: every estimate within x2 60 -> 64 %)
CHAINS: dict[tuple[str, str], tuple[str, ...]] = {("refrigerant_leak", "t_discharge"): ("eev_pct",),
                                                  ("eev_stuck_closed", "t_discharge"): ("eev_pct",)}
CAP_DAYS = 365.0  # no date beyond a year: "not this season"
MIN_DAYS = 2  # days of history before a trend is extended (fewer than 5: a line through them)
WINDOWS_DAYS = (5, 10, 20, 30)  # trend windows tried, each judged on the days after it
HOLDOUT_DAYS = 2
BASE_DAYS = 14  # the healthy worst days a future day is drawn from: two weeks of weather
# the chain's hours are drawn from a month: a leak trips on the coldest hours, and two weeks
# of early winter hold fewer of them (raw leak estimates within a factor 2 on calibration
# fleets 1001-1005: 14 days 57 %, 30 days 63 %)
CHAIN_BASE_DAYS = 30
# a fouled or iced evaporator's trip indicators from its approach's growth (prognosis_evap_chain): the
# low pressure's saturation and the compression's discharge on the last two weeks' hours
EVAP_CHAINS: set[tuple[str, str]] = {("evaporator_fouling", "p_low"), ("evaporator_fouling", "t_discharge")}
USE_EVAP_CHAIN = True  # False: the trends alone (as before; bench comparisons)
EVAP_BASE_DAYS = 14
# the laws' median date (_rival_days) as the leak's chain, not the earliest ("min"): calibration fleets
# 1001-1004 65 / 66 %, evaluation 2001-2004 64 / 62 %, 2081-2084 67 / 67 % within x2 (evaporator, every estimate)
EVAP_PICK = "rivals"
# faults whose chain's rival growth laws give one date as the trend's do (_rival_days), not the earliest: a
# leak's daily charge index is noisy, and the earliest is the steepest extrapolation of a few days (leak
# calibration fleets 1001-1004 within x2 49.9 -> 52.0 %, beyond 16 days 32 -> 41 %). Not a valve stuck
# closed: nothing on its calibration fleets (68.0 % both), a little lost on the evaluation fleets and the
# whole loop (69.8 -> 69.3 %; 62.5 -> 58.3 % of 72 half-days in force); docs/heatpump.md
CHAIN_RIVALS: set[str] = {"refrigerant_leak"}
GRID_DAYS = 0.25
_GRID = np.arange(GRID_DAYS, CAP_DAYS + GRID_DAYS, GRID_DAYS)
MODELS = ("line", "parabola", "exp")
RIVAL_FACTOR = 2.0
# (fault, trip indicator) -> the growth laws its excess is extended by, where the fault's physics rules
# some out. A condenser's fouling resistance is a deposit that builds up at a steady rate or levels
# off as it sheds (an asymptotic, Kern-Seaton law); it does not take off. A parabola or an exponential
# through a few weeks of noisy daily excess extends a take-off it has not got, and dated condenser
# fouling's high pressure early far from the trip; a line (over the windows, judged and refitted as
# the others) bends no way (docs/heatpump.md: calibration fleets, every estimate within x2 70 -> 73 %,
# beyond 16 days left 80 -> 86 %)
# ("line", "levelling") adds a parabola only where it bends over, a fouling that levels off (the
# Kern-Seaton law), extended along its tangent at now: calibration 72 / 97 % against the lines' 73 / 98 %,
# so not chosen; the whole loop's intervals hold more with it (docs/heatpump.md)
GROWTH_LAWS: dict[tuple[str, str], tuple[str, ...]] = {("condenser_fouling", "p_high"): ("line",)}
# A worn compressor's discharge extended by lines only until the pump is first seen held at its derate (WEAR_LINE;
# False: every law, as before the thirty-seventh round). Wear is abrasion: the material a bearing or a scroll loses
# grows with the load and the distance run (Archard's law), at a steady rate over a season, not a take-off (a
# simulated wear's severity grows in proportion to the days). The discharge's excess in kelvin is that loss times the
# hour's rise, which the cold widens: a cold spell's week reads as a bend, and a parabola or an exponential over 5-10
# days extends it into a take-off (the loop's far wear dates over twice early, bench/farsoon50.md). A line over the
# windows, judged and refitted as the others, bends no way. Once held at its derate the controller trades frequency
# for discharge and the room runs out ever faster (the last stage): every law, as before. Measured on the used fleets
# (bench/heldout49_wearfar.md): lines throughout put 18 more dates under 16 days over twice late (the last stage's),
# lines before the derate 3.
WEAR_LINE = True
WEAR_LINE_HELD = False  # True: lines once held at the derate too (measured, not chosen)
WEAR_LINE_LAWS: dict[tuple[str, str], tuple[str, ...]] = {("compressor_wear", "t_discharge"): ("line",)}


def _growth_laws(fault: str, ch: str, held: bool = False) -> tuple[str, ...]:
    """The growth laws a fault's indicator is extended by (GROWTH_LAWS; WEAR_LINE's lines; ``held``: the pump has
    been seen held at its derate)."""
    laws = GROWTH_LAWS.get((fault, ch))
    if laws is None and WEAR_LINE and (WEAR_LINE_HELD or not held):
        laws = WEAR_LINE_LAWS.get((fault, ch))
    return MODELS if laws is None else laws


Curve = Callable[[np.ndarray], np.ndarray]


def _fit(x: np.ndarray, y: np.ndarray, model: str) -> Curve | None:
    """A line, a parabola, or an exponential (least squares on log y weighted by y squared, so
    the small noise-dominated early excess does not fake a steep growth) through (x, y); "levelling":
    the parabola only where it bends over (None where it bends up)."""
    if model == "exp":
        if len(x) < 4 or np.any(y <= 0):
            return None
        c, a = _polyfit(x, np.log(y), 1, w=y)
        if c <= 0:
            return None
        return lambda g: np.exp(a + c * np.minimum(g, 60.0 / c))
    degree = 1 if model == "line" else 2
    if len(x) < degree + 3:
        return None
    coef = _polyfit(x, y, degree)
    if model == "levelling" and coef[0] > 0:  # a growth that levels off or goes steadily: not one that speeds up
        return None
    if degree == 2 and coef[0] < 0:
        # a parabola bending over would promise that the fault stops: go on along its tangent at now
        coef = coef[1:]
    return lambda g: prognosis_kernels.horner(coef, g)


_EPS = float(np.finfo(float).eps)


def _polyfit(x: np.ndarray, y: np.ndarray, deg: int, w: np.ndarray | None = None) -> np.ndarray:
    """np.polyfit(x, y, deg, w=w) of 1-D float arrays, degree 1 or 2: the same Vandermonde matrix,
    weights, column scaling and LAPACK least squares, so the same coefficients to the bit, without
    the argument checks and conversions that cost more than the solve for a month of days (a
    prognosis refresh fits some twenty of them; tests/edge/heatpump/test_prognosis.py holds them equal)."""
    order = deg + 1
    lhs, rhs, scale = prognosis_kernels.fit_matrix(x, y, w, order)  # one compiled call, the same numbers
    c, rank = _lstsq(lhs, rhs, len(x) * _EPS)
    if rank != order:
        warnings.warn("Polyfit may be poorly conditioned", np.exceptions.RankWarning, stacklevel=2)
    return c / scale


def _lstsq_checked(a: np.ndarray, b: np.ndarray, rcond: float) -> tuple[np.ndarray, int]:
    """np.linalg.lstsq(a, b, rcond)'s solution and rank (b 1-D)."""
    c, _, rank, _ = np.linalg.lstsq(a, b, rcond)
    return c, int(rank)


try:  # the LAPACK least squares np.linalg.lstsq calls, without its argument handling (half its time here)
    from numpy.linalg import _umath_linalg
    from numpy.linalg._linalg import _raise_linalgerror_lstsq

    def _lstsq(a: np.ndarray, b: np.ndarray, rcond: float) -> tuple[np.ndarray, int]:
        """np.linalg.lstsq(a, b, rcond) of a float64 matrix and vector: its gufunc call, with its
        error handling (a LinAlgError where the SVD does not converge), so the same solution."""
        with np.errstate(call=_raise_linalgerror_lstsq, invalid="call", over="ignore", divide="ignore",
                         under="ignore"):
            c, _, rank, _ = _umath_linalg.lstsq(a, b[:, None], rcond, signature="ddd->ddid")
        return c[:, 0], int(rank)

    def _lstsq_many(problems: list[tuple[np.ndarray, np.ndarray, float]]) -> list[tuple[np.ndarray, int]]:
        """_lstsq of each (a, b, rcond), under one error state (the same state each call is made in)."""
        out = []
        with np.errstate(call=_raise_linalgerror_lstsq, invalid="call", over="ignore", divide="ignore",
                         under="ignore"):
            for a, b, rcond in problems:
                c, _, rank, _ = _umath_linalg.lstsq(a, b[:, None], rcond, signature="ddd->ddid")
                out.append((c[:, 0], int(rank)))
        return out
except ImportError:  # another numpy's layout: the public function
    _lstsq = _lstsq_checked

    def _lstsq_many(problems: list[tuple[np.ndarray, np.ndarray, float]]) -> list[tuple[np.ndarray, int]]:
        return [_lstsq_checked(a, b, rcond) for a, b, rcond in problems]


def _excess_curves(x: np.ndarray, y: np.ndarray, models: tuple[str, ...] = MODELS) -> list[Curve]:
    """The fault's excess (per day, signed: up is toward the trip) as functions of days from now.

    The growth law is not known (a leak drifts, ice feeds itself, a valve fault saturates): a
    line, a parabola and an exponential over windows of 5 to 30 days are each fitted without
    the last days and judged on how well they foretold them (a forecast check, not an
    in-sample fit, so a curve wins only where the excess really bends). Those that foretold
    nearly as well as the best (within ``RIVAL_FACTOR`` of its squared error) are refitted on
    the latest days: a long window steadies a slow drift, a short one follows a fault that
    took off lately (a leak once its valve stands open).

    The forecast fits are made together, then the rivals' refits together (:func:`_fits`): the
    curves of :func:`_excess_curves_reference`, fit by fit, to the bit.
    """
    n = len(x)
    # windows longer than the history: one fit
    holdout = list(dict.fromkeys((max(0, n - HOLDOUT_DAYS - w), n - HOLDOUT_DAYS, model)
                                 for w in WINDOWS_DAYS for model in models))
    fits: dict[tuple[int, int, str], Curve | None] = dict(zip(holdout, _fits(x, y, holdout)))
    scored = (_holdout_scores_fast if HOLDOUT_FAST else _holdout_scores)(
        x, y, lambda lo, hi, model: fits[(lo, hi, model)], models)
    if not scored:  # too few days to judge a forecast (just raised after a short commissioning): a line
        return _line_only(x, y)
    best = min(e for e, _, _ in scored)
    rivals = [(max(0, n - w), n, model) for e, w, model in scored if e <= RIVAL_FACTOR * best + 1e-12]
    new = [k for k in dict.fromkeys(rivals) if k not in fits]
    fits.update(zip(new, _fits(x, y, new)))
    curves = [fits[k] for k in rivals]
    return [c for c in dict.fromkeys(curves) if c is not None]  # a fit shared by windows: once


def _fits(x: np.ndarray, y: np.ndarray, specs: list[tuple[int, int, str]]) -> list[Curve | None]:
    """_fit(x[lo:hi], y[lo:hi], model) of each (lo, hi, model), the same curves to the bit: the
    problems' matrices built in one compiled call (prognosis_kernels.fit_matrices), their least squares
    solved under one error state, each LAPACK's own call as _polyfit makes it. A refresh fits some
    thirty windows; one at a time, the calls around each small solve cost more than the solve."""
    use = []
    low = None  # how many days up to each are not positive, counted once for every exponential's window
    for lo, hi, model in specs:
        m = (hi if hi >= 0 else max(hi + len(x), 0)) - lo  # the slice's length, as len(x[lo:hi])
        if model == "exp":
            if m >= 4 and low is None:
                low = list(itertools.accumulate((y <= 0).tolist(), initial=0))
            use.append(m >= 4 and low[lo + m] == low[lo])  # none of y[lo:hi] <= 0 (NaN is not)
        else:
            use.append(m >= (4 if model == "line" else 5))
    out: list[Curve | None] = [None] * len(specs)
    todo = [i for i, u in enumerate(use) if u]
    if not todo:
        return out
    # each problem's window, columns and weighting, as Python ints and in one array (a numpy call, not four)
    los_l = [specs[i][0] for i in todo]
    his_l = [specs[i][1] if specs[i][1] >= 0 else specs[i][1] + len(x) for i in todo]
    orders_l = [3 if specs[i][2] in ("parabola", "levelling") else 2 for i in todo]
    exp_l = [specs[i][2] == "exp" for i in todo]
    table = np.array([los_l, his_l, orders_l], dtype=np.int64)
    logy = y
    if any(exp_l):  # numpy's log of the exponential windows' values (positive: checked above)
        a = min(lo for lo, e in zip(los_l, exp_l) if e)
        b = max(hi for hi, e in zip(his_l, exp_l) if e)
        logy = np.zeros_like(y)
        with np.errstate(divide="ignore", invalid="ignore"):  # days between windows are not read
            logy[a:b] = np.log(y[a:b])
    lhs, rhs, scale = prognosis_kernels.fit_matrices(x, y, logy, table[0], table[1], table[2], np.array(exp_l))
    problems, r0 = [], 0
    for lo, hi, order in zip(los_l, his_l, orders_l):
        problems.append((lhs[r0:r0 + hi - lo, :order], rhs[r0:r0 + hi - lo], (hi - lo) * _EPS))
        r0 += hi - lo
    for q, (i, (c, rank)) in enumerate(zip(todo, _lstsq_many(problems))):
        order = orders_l[q]
        if rank != order:
            warnings.warn("Polyfit may be poorly conditioned", np.exceptions.RankWarning, stacklevel=2)
        coef = c / scale[q, :order]
        out[i] = _curve(coef, specs[i][2])
    return out


def _curve(coef: np.ndarray, model: str) -> Curve | None:
    """_fit's curve of its fitted coefficients (numpy's scalars, as _polyfit gives them)."""
    if model == "exp":
        c, a = coef
        if c <= 0:
            return None
        return lambda g: np.exp(a + c * np.minimum(g, 60.0 / c))
    if model == "levelling" and coef[0] > 0:
        return None  # a levelling law that bends up: none (_fit)
    if model in ("parabola", "levelling") and coef[0] < 0:
        coef = coef[1:]  # a parabola bending over: along its tangent at now (_fit)
    curve = lambda g: prognosis_kernels.horner(coef, g)  # noqa: E731
    curve.terms = coef.tolist()  # type: ignore[attr-defined]  # its coefficients as floats (_holdout_scores_fast)
    return curve


def _excess_curves_reference(x: np.ndarray, y: np.ndarray) -> list[Curve]:
    """_excess_curves as it was, one fit at a time (_fit): the reference its batched fits are held to (tests)."""
    n = len(x)
    fits: dict[tuple[int, int, str], Curve | None] = {}  # windows longer than the history: one fit

    def fit(lo: int, hi: int, model: str) -> Curve | None:
        if (lo, hi, model) not in fits:
            fits[(lo, hi, model)] = _fit(x[lo:hi], y[lo:hi], model)
        return fits[(lo, hi, model)]

    scored = _holdout_scores(x, y, fit)
    if not scored:  # too few days to judge a forecast (just raised after a short commissioning): a line
        return _line_only(x, y)
    best = min(e for e, _, _ in scored)
    curves = [fit(max(0, n - w), n, model) for e, w, model in scored if e <= RIVAL_FACTOR * best + 1e-12]
    return [c for c in dict.fromkeys(curves) if c is not None]  # a fit shared by windows: once


def _holdout_scores(x: np.ndarray, y: np.ndarray, fit: Callable[[int, int, str], Curve | None],
                    models: tuple[str, ...] = MODELS,
                    error: Callable[[Curve], float] | None = None) -> list[tuple[float, int, str]]:
    """(mean squared error on the held-out last days, window, model) of each window's fit before them:
    ``fit(lo, hi, model)`` gives the fit of x[lo:hi] (None: no fit). A window longer than the
    history is the same fit as the whole history and scored once for all of them. ``error``: a fit's
    error on the held-out days (None: numpy's steps, the reference; _holdout_scores_fast passes its own)."""
    n = len(x)
    xh, yh = x[n - HOLDOUT_DAYS:], y[n - HOLDOUT_DAYS:]
    error = error or (lambda f: _numpy_error(f, xh, yh))
    errors: dict[tuple[int, str], float] = {}
    scored: list[tuple[float, int, str]] = []
    for w in WINDOWS_DAYS:
        for model in models:
            lo = max(0, n - HOLDOUT_DAYS - w)
            f = fit(lo, n - HOLDOUT_DAYS, model)
            if f is not None:
                if (lo, model) not in errors:
                    errors[(lo, model)] = error(f)
                scored.append((errors[(lo, model)], w, model))
    return scored


def _numpy_error(f: Curve, xh: np.ndarray, yh: np.ndarray) -> float:
    """A fit's mean squared error on the held-out days by numpy's steps."""
    d = f(xh) - yh
    return float(np.add.reduce(d * d)) / len(d)  # np.mean(d ** 2): the same sum


HOLDOUT_FAST = True  # False: every fit's forecast error by numpy's steps (_holdout_scores; the reference, tests)


def _holdout_scores_fast(x: np.ndarray, y: np.ndarray, fit: Callable[[int, int, str], Curve | None],
                         models: tuple[str, ...] = MODELS) -> list[tuple[float, int, str]]:
    """_holdout_scores, the same numbers: a polynomial fit's (_curve's ``terms``) error on the two held-out
    days in Python floats, Horner's steps from 0.0 as prognosis_kernels.horner takes them and the two
    squares added as numpy's sum of two adds them (a + b: the zero it starts from, -0.0 or 0.0, leaves a
    square, never -0.0, as it is), each step one rounded IEEE operation as numpy's; an exponential's by
    numpy's steps. Twelve fits a refresh, each some six numpy calls on two numbers, cost more than the solves."""
    n = len(x)
    xh, yh = x[n - HOLDOUT_DAYS:], y[n - HOLDOUT_DAYS:]
    if len(xh) != 2:
        return _holdout_scores(x, y, fit, models)
    (g0, g1), (y0, y1) = xh.tolist(), yh.tolist()

    def float_error(f: Curve) -> float:
        terms = getattr(f, "terms", None)
        if terms is None:  # an exponential: numpy's steps
            return _numpy_error(f, xh, yh)
        v0 = v1 = 0.0
        for c in terms:
            v0 = v0 * g0 + c
            v1 = v1 * g1 + c
        d0, d1 = v0 - y0, v1 - y1
        return (d0 * d0 + d1 * d1) / 2

    return _holdout_scores(x, y, fit, models, float_error)


def _line_only(x: np.ndarray, y: np.ndarray) -> list[Curve]:
    """A line through all the days (none under two days): too few days to hold any out."""
    if len(x) < 2:
        return []
    coef = _polyfit(x, y, 1)
    return [lambda g: prognosis_kernels.horner(coef, g)]


def _first_passage_days(x: np.ndarray, excess: np.ndarray, base: np.ndarray, target: float,
                        rho: float = 0.0, h: np.ndarray | None = None,
                        models: tuple[str, ...] = MODELS) -> float | None:
    """Median days until the first day whose worst reading reaches ``target``.

    A day's worst reading is its healthy worst (weather, hot-water cycles: drawn from the last
    two weeks' ``base``) plus the fault's excess, extended by :func:`_excess_curves`. Each future
    day trips with the share of those healthy days that the excess would carry over the target
    (kernel-smoothed), and the pump survives a day with one minus that: a pump whose worst
    days already graze the limit is given the wait for a bad enough day, a drift far from it
    the time to eat its margin. Fitting the trend on the weather-free excess rather than on the
    daily worst reading keeps one cold spell from tilting it. The growth laws that foretold the
    last days about equally well each give a date; :func:`_rival_days` makes one of them.
    ``models``: the growth laws tried (GROWTH_LAWS: a fault whose physics rules some out).
    """
    h = _bandwidth(base) if h is None else h  # given: _bandwidth(base), made once per indicator
    return _rival_days([_passage_days(curve, _GRID, base, h, target, rho)
                        for curve in _excess_curves(x, excess, models)])


DAILY_REPEAT = True  # False: _daily_cached carries its sums again for the same hours (the reference; tests)
WORST_FROM_COLUMNS = True  # False: the last 72 hours' worst read hour by hour from the rows (the reference; tests)
_DERIVED: dict[tuple, tuple[Calibration | CalibrationTable, Calibration | CalibrationTable]] = {}


def _derived_table(cal: Calibration | CalibrationTable, key: tuple, make) -> Calibration | CalibrationTable:
    """make(cal), made once per table and key: the tables are frozen, and rebuilding every row of one (some 0.7 ms)
    at each refresh of a fault was a few per cent of a season's prognoses. Kept by the table's identity (checked)."""
    hit = _DERIVED.get((id(cal), *key))
    if hit is not None and hit[0] is cal:
        return hit[1]
    if len(_DERIVED) > 16:
        _DERIVED.clear()
    out = make(cal)
    _DERIVED[(id(cal), *key)] = (cal, out)
    return out


def _with_horizon_slope(cal: Calibration | CalibrationTable, slope: float) -> Calibration | CalibrationTable:
    """with_horizon_slope(cal, slope), made once per table and slope."""
    return _derived_table(cal, ("slope", slope), lambda c: with_horizon_slope(c, slope))


DAILY_IN_ORDER = True  # False: the hours left of a day that rolled out found by scanning them all (the reference; tests)
RAN_ON_BOUND = True  # a learned limit past the worst reading the pump ran on (_past_ran_on)
AT_LIMIT_NOW = False  # True: a worst reading at the limit dates the trip now (as before; bench comparisons)
USE_PACE = True  # False: the trend alone (as before _pace_days; bench comparisons)
PACE_FROM_BIRTH = True  # False: no pace date without a calm day (as before; bench comparisons)
PACE_LAST_DAY = True  # the last day's step may set the pace (a fault that speeds up: low flow)
PACE_Z = 2.0  # healthy spreads within which a day's excess counts as before the fault's evidence
PACE_MAX_AGE_DAYS = 14.0  # evidence older than this: the trend windows see the fault alone


def _pace_days(x: np.ndarray, excess: np.ndarray, base: np.ndarray, target: float, rho: float = 0.0,
               born: float | None = None, h: np.ndarray | None = None) -> float | None:
    """The first passage of a line from the fault's evidence start through today's excess.

    A fault found days after its evidence began has moved its indicator that far in those days:
    the trend windows (5 days and more) still hold healthy days then and draw a fast fault's
    line too flat. The evidence start is the last day whose excess lay within ``z`` healthy
    spreads (the robust spread of the day-to-day changes); none within ``PACE_MAX_AGE_DAYS``
    (an old or slow fault): no pace date. The slope is the steeper of the average since the start
    and the last day's step (``PACE_LAST_DAY``: a fault that speeds up). The sooner of this and the
    trend is the raw date: on the calibration fleets the first interval of a fault 4-14 days from
    its trip held 65 -> 94 % (docs/heatpump.md).

    ``born``: where the pump's history began, when it began within the tracker's memory (the pump
    watched from its installation or a repair). A pump faulty from its installation has no calm day:
    its evidence starts no later than the history does, so it is paced from the first day's excess
    (not from none: a pump's offset from its fleet's model, or a fault present as a step, would read
    as growth); without ``born`` it had no pace date at all."""
    if len(excess) < 4:
        return None
    d = np.diff(excess)
    sigma = 1.4826 * _median(np.abs(d - _median(d))) / math.sqrt(2.0)
    if not sigma > 0.0:
        return None
    calm = np.nonzero(excess[:-1] <= PACE_Z * sigma)[0]
    if len(calm):
        i = int(calm[-1])
        x0, e0 = float(x[i]), float(excess[i])
    elif born is not None:  # faulty since the history began: from its first day (at least that fast since)
        i, x0, e0 = 0, float(x[0]), float(excess[0])
    else:
        return None
    age = x[-1] - x0
    if age <= 0.0 or age > PACE_MAX_AGE_DAYS or excess[-1] <= PACE_Z * sigma:
        return None
    rate = (excess[-1] - e0) / age
    if PACE_LAST_DAY and i < len(excess) - 2:  # the last day's step, where the fault speeds up
        rate = max(rate, (excess[-1] - excess[-2]) / max(x[-1] - x[-2], 1.0))
    if rate <= 0.0:
        return None
    x_now, e_now = x[-1], excess[-1]
    return _passage_days(lambda g: e_now + rate * (g - x_now), _GRID, base, _bandwidth(base) if h is None else h,
                         target, rho)


def _passage_days(curve: Curve, grid: np.ndarray, base: np.ndarray, h: np.ndarray, target: float,
                  rho: float = 0.0) -> float | None:
    """The first-passage median of one growth curve (its excess as a function of days ahead, on
    ``grid``); None: it does not grow toward the limit."""
    # the survival product a block of days at a time, stopping at the first day it is halved
    # (most trips are weeks away, not a year): each day's terms and the running product are
    # the same operations as over the whole grid at once, so the same numbers; the curve too is
    # read a block at a time (element by element: the same values as over the whole grid)
    hit, survive = -1, 1.0
    free = prognosis_kernels.AVAILABLE and len(base) <= 128 and PASSAGE_FREE
    rest = top = None  # the curve past the first block, and the largest of it from each day on
    whole = None  # PASSAGE_BOUND_FIRST: the curve on the whole grid, and the largest of it from each day on
    if PASSAGE_BOUND and PASSAGE_BOUND_FIRST and len(grid):
        # the bound before any block (survive 1, every day left): two in three curves that never halve
        # the product are found so here, their first block unread; a curve is read element by element,
        # so the whole grid's values are each block's (and the ends'), the suffix maxima rest's
        # its largest value by np.maximum.reduce (NaN if any is NaN, as the suffix maxima's first; a zero's
        # sign aside, which no share reads); the suffix maxima themselves only once a block is read
        whole = curve(grid)
        if _survives_rest(base, h, target, float(np.maximum.reduce(whole)), len(grid), survive):
            return CAP_DAYS if whole[-1] > whole[0] else None  # as after the last block, with no hit
    for s in range(0, len(grid), PASSAGE_BLOCK):
        # np.clip((base + e - target) / h, -30, 30) and the logistic 1 / (1 + exp(-1.702 z)), the same
        # operations in the same order (prognosis_kernels: the steps around numpy's exp and power compiled)
        if whole is not None:
            e = whole[s:s + PASSAGE_BLOCK]
        else:
            e = curve(grid[s:s + PASSAGE_BLOCK]) if rest is None else rest[s - PASSAGE_BLOCK:s]
        # the spell the weather is in: the last days weigh rho^t on a day t ahead
        w = _spell_weights(rho, grid, s) if rho > 0.0 else None
        if free:  # numpy's exp of the elements not at a clip only (passage_free: the clips' values are constants)
            z, u = prognosis_kernels.passage_free(base, e, target, h)
            np.exp(u, out=u)
            q = prognosis_kernels.passage_q_free(z, u, w, SPELL_DAYS)
        else:
            z = prognosis_kernels.passage_z(base, e, target, h)
            np.exp(z, out=z)
            q = prognosis_kernels.passage_q(z, w, SPELL_DAYS)
        at, survive = prognosis_kernels.survival(q ** GRID_DAYS, survive)
        if at >= 0:
            hit = s + int(at)
            break
        nxt = s + PASSAGE_BLOCK
        if PASSAGE_BOUND and nxt < len(grid):
            if whole is not None:
                if top is None:
                    top = np.maximum.accumulate(whole[::-1])[::-1]  # NaN: NaN from there back
                e_max = float(top[nxt])
            else:
                if rest is None:
                    rest = curve(grid[PASSAGE_BLOCK:])
                    top = np.maximum.accumulate(rest[::-1])[::-1]  # NaN: NaN from there back
                e_max = float(top[nxt - PASSAGE_BLOCK])
            if _survives_rest(base, h, target, e_max, len(grid) - nxt, survive):
                break  # the product cannot reach one half on the days left: no passage this year
    if hit >= 0:
        return float(grid[hit])
    ends = curve(grid[[0, -1]]) if whole is None else whole[[0, -1]]
    return CAP_DAYS if ends[1] > ends[0] else None  # toward it, not this year


PASSAGE_FREE = True  # False: numpy's exp of every element, the clipped ones too (the reference; tests)
PASSAGE_BOUND = True  # False: every block read to the year's end when no day halves the product (the reference)
PASSAGE_BOUND_FIRST = True  # the bound also before the first block (False: after each block only, as before)
_BOUND_SLACK = 1e-9  # relative: far more than the rounding of the logistic, the sums, the power and the product


def _survives_rest(base: np.ndarray, h: np.ndarray, target: float, e_max: float, n_left: int,
                   survive: float) -> bool:
    """Can the survival product stay above one half over the ``n_left`` days left, whatever they
    hold? Each day's trip share is at most the logistic at the largest (base + e - target) / h of the
    healthy days at ``e_max``, the largest excess left (the clip, the exponent's sign and the
    divisions by h > 0 are monotone, each operation rounded monotonically; numpy's exp and this one's
    math.exp, a sum, a mix of two means, 1 - p, the power and the product each err by far less than
    _BOUND_SLACK), so the product stays at least survive x ((1 - K) ** GRID_DAYS) ** n_left, taken
    with that slack. True: it cannot reach one half, and reading the days left (half of a season's
    blocks, on laws that never reach the limit this year) would find no passage. NaN anywhere, a
    largest share above one half: False, read them."""
    if not (n_left > 0 and survive > 0.5 and e_max < math.inf):
        return False  # NaN compares false
    v = prognosis_kernels.largest_v(base, e_max, target, h)
    if not v == v:
        return False
    share = 1.0 / (1.0 + math.exp(-1.702 * min(max(v, -30.0), 30.0))) * (1.0 + _BOUND_SLACK)
    if not (0.0 <= share <= 0.5):
        return False
    low = survive * math.exp(n_left * (GRID_DAYS * math.log1p(-share) - 1e-12))
    return low > 0.5 * (1.0 + _BOUND_SLACK)
_SPELL_MEMO: dict[tuple[int, int], tuple[float, np.ndarray, np.ndarray]] = {}


def _spell_weights(rho: float, grid: np.ndarray, s: int) -> np.ndarray:
    """rho ** grid[s:s + PASSAGE_BLOCK], kept for the last rho per (grid, block): one indicator's
    passages (its rival laws, its pace) read the same rho on the same blocks of the same grid, and
    the same power of the same values is the same array."""
    key = (id(grid), s)
    last = _SPELL_MEMO.get(key)
    if last is not None and last[0] == rho and last[1] is grid:
        return last[2]
    w = rho ** grid[s:s + PASSAGE_BLOCK]
    _SPELL_MEMO[key] = (rho, grid, w)
    return w


def _median(a) -> float:
    """float(np.median(a)) of a 1-D sequence of floats, without its wrappers (a refresh takes some
    dozen medians of a few to a few hundred numbers): the middle of the sorted values, or the mean of
    the two middle ones as np.mean sums them (from 0.0, a run from -0.0) and divides; the same
    order statistics as np.median's partition, so the same number. Empty or with a NaN: np.median's."""
    s = np.sort(np.asarray(a, dtype=float))
    n = len(s)
    if n == 0 or s[-1] != s[-1]:  # NaN sorts last
        return float(np.median(a))
    h = n // 2
    if n % 2:
        return 0.0 + (-0.0 + float(s[h]))
    return (0.0 + ((-0.0 + float(s[h - 1])) + float(s[h]))) / 2.0


def _rival_days(days: list[float | None]) -> float | None:
    """One date from the dates of the rival growth laws (None: no law grows toward the limit).

    Their median: the earliest of several noisy extrapolations is their most extreme one (an
    exponential through a few noisy days soon runs off), so it dated early, and more so the more
    laws were rivals (calibration fleets 1001-1013, the table refitted, every estimate of a fleet
    left out within a factor 2: 57 % -> 60 %; long dates, 16 days or more ahead, 49 % -> 61 %).
    But when any rival law foretells a trip within URGENT_DAYS (the gateway's most urgent band,
    "fails within 2 days"), that earliest date is kept: a pump due tomorrow must not lose its
    urgency because another law, fitting the days about as well, gives it a week (an early date
    costs a visit a few days sooner, a late one a customer without heat)."""
    ok = [d for d in days if d is not None]
    if not ok:
        return None
    earliest = min(ok)
    return earliest if earliest <= URGENT_DAYS else _median(ok)




def _worst_share(rows: list, j: int, sign: float, excess: np.ndarray, k_min: float,
                 k_max: float, last: int = 0, cols: tuple[np.ndarray, ...] | None = None) -> tuple[float, np.ndarray | None]:
    """How much of the fault's mean excess reaches a day's worst hour, and the healthy worst days
    with that share taken out: (k, base), base None with too few days to tell.

    k is the Theil-Sen slope (the median of the pairwise slopes: one cold day does not tilt it)
    of the daily worst reading on the daily mean excess, bounded to [k_min, k_max]; a day's
    healthy worst is then its worst of (reading - k x the hour's residual) and the worst day
    to come that healthy worst + k x the excess extended.
    """
    sv, sr, starts = _day_runs(rows, j, sign, cols)
    if len(starts) != len(excess):
        return 1.0, None
    worst = np.maximum.reduceat(sv, starts) if len(starts) else np.zeros(0)
    s0 = max(len(excess) - last, 0) if last else 0  # the slope from the last ``last`` days only
    i, q = np.triu_indices(len(excess) - s0, 1)
    i, q = i + s0, q + s0
    de = excess[q] - excess[i]
    ok = np.abs(de) > 1e-9
    if ok.sum() < 3:
        return 1.0, None
    k = min(max(_median((worst[q] - worst[i])[ok] / de[ok]), k_min), k_max)
    return k, np.maximum.reduceat(sv - k * sr, starts)


def _day_runs(rows: list, j: int, sign: float,
              cols: tuple[np.ndarray, ...] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The hours of the days _daily keeps (at least 12 hours read), as arrays: the signed worst
    reading and mean residual of each hour read (neither NaN), day by day, and where each day's run
    of them starts (the tracker's hours are in time order; hours out of it are put in order of day).

    A day's largest of these is np.maximum.reduceat over its run: the same largest as Python's max
    over its hours (NaN left out), so _worst_share's numbers are those of its former per-day lists.
    ``cols``: the rows as PrognosisTracker._columns gives them (the same values, not read again)."""
    k = 2 if sign > 0 else 3
    if cols is not None:
        t, v, r = cols[0], cols[k][:, j], cols[1][:, j]
    else:
        n = len(rows)
        t = np.fromiter((h[0] for h in rows), float, n)
        v = np.fromiter((h[k][j] for h in rows), float, n)
        r = np.fromiter((h[1][j] for h in rows), float, n)
    ok = ~(np.isnan(v) | np.isnan(r))
    day = np.floor_divide(t[ok], DAY)  # int(t // DAY) of each (numpy's // is Python's)
    sv, sr = sign * v[ok], sign * r[ok]
    if len(day) > 1 and (np.diff(day) < 0).any():
        order = np.argsort(day, kind="stable")
        day, sv, sr = day[order], sv[order], sr[order]
    starts = np.flatnonzero(np.r_[True, day[1:] != day[:-1]]) if len(day) else np.zeros(0, dtype=np.int64)
    counts = np.diff(np.r_[starts, len(day)])
    keep = counts >= 12
    if keep.all():
        return sv, sr, starts
    take = np.repeat(keep, counts)  # the hours of the days kept
    sv, sr = sv[take], sr[take]
    counts = counts[keep]
    return sv, sr, np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64) if len(counts) else np.zeros(0, dtype=np.int64)


# (fault, trip indicator) whose peak a controller holds back (_held_share): a fouled condenser's
# hot-water hour is held under the high-pressure switch by cutting the compressor's frequency
HELD: set[tuple[str, str]] = {("condenser_fouling", "p_high")}
USE_HELD = True  # False: the peak taken to follow the whole excess (as before; bench comparisons)
HOLD_DAYS = 10  # the recent days the hold is read from (a hold that ends shows within them)
# the share never taken below this: a held peak still creeps up (the hold point is not a wall, and
# the peaks between polls grow with the fault); with no floor the held calibration pumps were told
# 35-52 days with 13-21 left (docs/heatpump.md)
HOLD_KMIN = 0.25
HOLD_SHARE = 0.5  # a peak that follows less than this share of the excess is held
HOLD_GROWTH = 0.5  # ... while the excess grew by at least this many of the indicator's MIN_SHIFT


# A fouled condenser's peak not held by the controller carries more bar of its excess than the day's mean hour
# (condenser_share: the saturation curve steepens with the condensing temperature, and the worst hour condenses
# hottest). True: the day's mean excess times that share reaches the worst hour, and the condenser's calibration row is
# the one refitted on the raw dates it gives (prognosis_calibration.with_condenser_sat_share_row; bench/heldout49_condfar.md);
# False: the whole mean excess, no more, and the table's row (before the thirty-seventh round).
CONDENSER_SAT_SHARE = True


def _sat_share_table(cal: CalibrationTable) -> CalibrationTable:
    """with_condenser_sat_share_row(cal), made once per table (a tracker asks it at every refresh)."""
    return _derived_table(cal, ("sat_share",), with_condenser_sat_share_row)  # type: ignore[return-value]


def _saturation_share(rows: list, j: int, sign: float, excess: np.ndarray, cols: tuple[np.ndarray, ...],
                      refrigerant: str, now: float) -> tuple[float, np.ndarray | None]:
    """(k, healthy worst days with k x each hour's residual taken out) for condenser_share's k; (1, None) where it
    cannot be read (too few days) or the days do not line up with ``excess``."""
    k = saturation_share(cols, j, refrigerant, now, BASE_DAYS)
    if k is None or k <= 1.0:
        return 1.0, None
    sv, sr, starts = _day_runs(rows, j, sign, cols)
    if len(starts) != len(excess):
        return 1.0, None
    return k, np.maximum.reduceat(sv - k * sr, starts)


def _held_share(rows: list, j: int, sign: float, excess: np.ndarray,
                cols: tuple[np.ndarray, ...] | None = None) -> tuple[float, np.ndarray | None]:
    """A peak held by the controller: the share of the fault's excess that reaches the day's worst
    hour over the last HOLD_DAYS days, and the healthy worst days with that share taken out;
    (1, None) where the peak follows the excess (not held, or too little growth to tell)."""
    k, base_k = _worst_share(rows, j, sign, excess, HOLD_KMIN, 1.0, last=HOLD_DAYS, cols=cols)
    recent = excess[-HOLD_DAYS:]
    grown = _median(recent[-3:]) - _median(recent[:3])
    if base_k is None or k >= HOLD_SHARE or grown < HOLD_GROWTH * float(MIN_SHIFT[j]):
        return 1.0, None
    return k, base_k


def _bandwidth(base: np.ndarray) -> np.ndarray:
    """The kernel width of each healthy worst day: its distance to its NEIGHBOURS-th nearest day
    (a sample-point nearest-neighbour kernel density estimate: a tight group of days keeps a
    tight kernel, a lone day a wide one), at least a tenth of a quarter of the days' standard
    deviation. Not one width for all days (a quarter of their standard deviation, as before): a
    pump's worst days often fall in two groups (days whose worst hour is a hot-water cycle held
    at the controller's condensing limit, tight together, and days without one, far below), and
    the gap between the groups is no uncertainty of either; smeared over it, a fouled
    condenser's hot-water days grazed its high-pressure limit weeks early (raw condenser fouling
    estimates on calibration fleets 1001-1004 and 1008-1010, 21 pumps, within a factor 2:
    40 % -> 58 %, median actual / predicted 1.34 -> 0.98; a robust spread (MAD) for all days,
    tried first, 54 %, and none where half the days have no hot-water cycle)."""
    if not len(base):  # no healthy worst day: no kernel (np.std of nothing warns and is NaN)
        return np.zeros(0)
    spread = 0.25 * float(np.std(base))
    if len(base) <= NEIGHBOURS:
        return np.full(len(base), max(spread, 1e-6))
    gaps = np.sort(np.abs(base[:, None] - base[None, :]), axis=1)[:, NEIGHBOURS]  # column 0: the day itself
    return np.maximum(gaps, max(0.1 * spread, 1e-6))


NEIGHBOURS = 3
PERSIST_DAYS = 30  # the month of healthy worst days a spell's persistence is read from
SPELL_DAYS = 2  # the last days that stand for the spell the weather is in
MAX_PERSISTENCE = 0.95


def _persistence(base: np.ndarray, day_t: np.ndarray | None = None) -> float:
    """How much of a day's weather carries to the next: the lag-1 autocorrelation of the healthy
    worst days (0 with fewer than a week of day-to-day pairs or no spread; at most MAX_PERSISTENCE).
    ``day_t``: the days' times; only days a calendar day apart make a pair (a day left out for
    too few hours read, or a gap in the readings, would make days apart look like neighbours).

    Weather comes in spells (a cold week, a mild one), so the days ahead are not drawn alike
    from the last two weeks: tomorrow resembles the last days most, a day a week ahead hardly
    more than any. As a first-order Markov chain (an AR(1) in the daily worst) the last days'
    weight on a day t ahead is rho^t (:func:`_passage_days`). A pump in a bad spell near its
    trip was told the wait for a day as bad as the two weeks' worst; one in a mild spell was
    dated as if the cold days were as likely tomorrow."""
    a, b = base[:-1], base[1:]
    if day_t is not None:
        next_day = np.abs(np.diff(day_t) - DAY) < 0.5 * DAY
        a, b = a[next_day], b[next_day]
    if len(a) < 6:
        return 0.0
    if not PERSISTENCE_LEAN:
        if np.std(a) <= 0 or np.std(b) <= 0:
            return 0.0
        return min(max(float(np.corrcoef(a, b)[0, 1]), 0.0), MAX_PERSISTENCE)
    r = _lag_correlation(np.ascontiguousarray(a, dtype=np.float64), np.ascontiguousarray(b, dtype=np.float64))
    return 0.0 if r is None else min(max(r, 0.0), MAX_PERSISTENCE)


PERSISTENCE_LEAN = True  # False: np.std twice and np.corrcoef (the reference; tests)


def _lag_correlation(a: np.ndarray, b: np.ndarray) -> float | None:
    """np.corrcoef(a, b)[0, 1] of two 1-D float64 arrays of one length, None where np.std(a) or
    np.std(b) is not above 0 (_persistence's guard): the same numbers, without the wrappers (np.std's
    and np.cov's checks, weights and copies cost four times the arithmetic). The steps each takes:
    a row's mean (np.add.reduce, the pairwise sum np.std's and np.cov's means take over a row), the
    deviations (np.std squares them, sums them and divides by n: its sqrt is not above 0 just when that
    quotient is not), the two rows as np.cov's matrix X of deviations, its Gram matrix by the one
    ``np.dot(X, X.T)`` np.cov makes (the same BLAS call), times 1 / (n - 1), and np.corrcoef's
    division of the cross term by each row's root (IEEE's sqrt, math's or numpy's: the same) and its
    clip to [-1, 1] (NaN stays NaN)."""
    n = len(a)
    X = np.empty((2, n))
    np.subtract(a, np.add.reduce(a) / n, out=X[0])
    np.subtract(b, np.add.reduce(b) / n, out=X[1])
    sq = X * X
    if np.add.reduce(sq[0]) / n <= 0.0 or np.add.reduce(sq[1]) / n <= 0.0:
        return None  # np.std <= 0 (a NaN quotient is neither: np.corrcoef's NaN below)
    c = np.dot(X, X.T.conj())  # np.cov's product (its matrix C-ordered, its transpose's conjugate: one BLAS call)
    c *= np.true_divide(1, n - 1)
    d0, d1 = math.sqrt(c[0, 0]), math.sqrt(c[1, 1])
    if not (d0 > 0.0 and d1 > 0.0):  # a zero or NaN root: numpy's own division (its inf or NaN)
        return float(np.corrcoef(a, b)[0, 1])
    r = float(c[0, 1]) / d0 / d1
    return r if r != r else min(max(r, -1.0), 1.0)


PASSAGE_BLOCK = 120  # grid days (30 days) per block of _first_passage_days


@dataclass(frozen=True)
class PeakColumns:
    """Every reading's hours (PrognosisTracker._peak_rows) as columns: their times, and their highs and
    lows as matrices, an hour a row. Its length is its hours' (an empty one is false, as a list is)."""
    t: np.ndarray
    hi: np.ndarray
    lo: np.ndarray

    def __len__(self) -> int:
        return len(self.t)

    def kept(self, mask: np.ndarray) -> PeakColumns:
        """The hours where ``mask`` holds."""
        return PeakColumns(self.t[mask], self.hi[mask], self.lo[mask])


def _stack_peaks(peaks) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # noqa: ANN001 (a list or deque)
    """Every reading's hours (t, high, low) as arrays: their times, and the highs and lows as matrices."""
    return (np.fromiter((h[0] for h in peaks), float, len(peaks)), np.array([h[1] for h in peaks], dtype=float),
            np.array([h[2] for h in peaks], dtype=float))


def _carried(cached: tuple[list, tuple[np.ndarray, ...]] | None, rows, stack: Callable) -> tuple[list, tuple]:  # noqa: ANN001
    """(rows as a list, stack(rows)), the arrays carried from ``cached`` (the rows and arrays of the last
    call) when the rows continue them (the same objects, some dropped at the front, new ones at the end):
    the dropped rows cut off, the new ones stacked and appended, the same values as stacking all afresh."""
    if cached is not None:
        done, arrays = cached
        first = rows[0]
        d = next((q for q, h in enumerate(done) if h is first), -1)
        kept = len(done) - d
        if d >= 0 and kept <= len(rows) and all(map(operator.is_, itertools.islice(done, d, None),
                                                    itertools.islice(rows, 0, kept))):
            new = list(itertools.islice(rows, kept, None))
            arrays = tuple(a[d:] for a in arrays)
            if new:
                arrays = tuple(np.concatenate([a, b]) for a, b in zip(arrays, stack(new)))
            return done[d:] + new, arrays
    return list(rows), stack(rows)


def _stack_hours(rows: list) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The hours (t, mean residual, high, low) as arrays: their times, and the other three as matrices."""
    return (np.fromiter((h[0] for h in rows), float, len(rows)), np.array([h[1] for h in rows], dtype=float),
            np.array([h[2] for h in rows], dtype=float), np.array([h[3] for h in rows], dtype=float))


def _daily(rows: list, j: int, sign: float, min_hours: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per day with at least ``min_hours`` hours read (a day's start alone has not seen its
    worst hour): the mean residual (the fault's excess, the weather taken out by the healthy
    model) and the day's worst of (reading less its hour's residual), the healthy worst; both
    signed so that up is toward the trip."""
    acc: dict[int, list] = {}
    _daily_add(acc, rows, j, sign)
    return _daily_arrays(acc, min_hours)


DAILY_ITEMS = True  # False: each hour's values read as numpy scalars (the reference; tests)


def _daily_add(acc: dict[int, list], rows: list, j: int, sign: float) -> None:
    """Add hours to the per-day sums of _daily: [Σ signed residual, hours, worst healthy reading].
    The hours' values read as Python floats (``ndarray.item``: the same doubles, and the same IEEE
    sums, products and comparisons as numpy's scalars make of them, at a fraction of their cost)."""
    if DAILY_ITEMS and rows and isinstance(rows[0][1], np.ndarray) and rows[0][1].dtype == np.float64:
        for t, m, hi, lo in rows:
            v, r = (hi.item(j) if sign > 0 else lo.item(j)), m.item(j)
            if v != v or r != r:  # math.isnan of either
                continue
            a = acc.setdefault(int(t // DAY), [0.0, 0, -math.inf])
            a[0] += sign * r
            a[1] += 1
            a[2] = max(a[2], sign * (v - r))
        return
    for t, m, hi, lo in rows:
        v, r = (hi[j] if sign > 0 else lo[j]), m[j]
        if math.isnan(v) or math.isnan(r):
            continue
        a = acc.setdefault(int(t // DAY), [0.0, 0, -math.inf])
        a[0] += sign * r
        a[1] += 1
        a[2] = max(a[2], sign * (v - r))


def _daily_arrays(acc: dict[int, list], min_hours: int = 12) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    keys = [k for k in sorted(acc) if acc[k][1] >= min_hours]
    return (np.array([(k + 0.5) * DAY for k in keys]), np.array([acc[k][0] / acc[k][1] for k in keys]),
            np.array([acc[k][2] for k in keys]))
