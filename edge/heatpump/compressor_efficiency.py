"""Compressor wear from its efficiency: how far it falls short of an ideal compression.

A worn compressor (leaking valves, worn scrolls, bearings) needs more work for
the same lift: its isentropic efficiency falls. Two measures of it, each
normalized by the physics of the operating point rather than learned against it:

* compression_loss = (T_d - T_s) / (T_is - T_s): the discharge temperature rise
  over an ideal compression's, T_is = T_s (p_h/p_l)^((n-1)/n) with the
  refrigerant's exponent (heatwatch.refrigerant.isentropic_discharge). About
  c/η_is: constant over weather and load for a healthy compressor, up as η_is
  falls. A leak's hot discharge (high suction superheat, high pressure ratio)
  is the same compression and leaves it alone.
* compression_current = I / (f · p_low · ((p_h/p_l)^((n-1)/n) - 1)): current per
  unit of ideal compression work (mass flow ∝ frequency × suction density,
  work per kg ∝ T_s (r^x - 1); T_s cancels): up as the compressor wears.

Both are learned per pump against ln(pressure ratio) and frequency over the
first BASELINE_SECONDS of steady running, then followed as a relative shift
averaged over hours, in units of an alarm level calibrated on the baseline's
own averaged series and never below MIN_REL_SHIFT (a few percent of
efficiency: what a technician would act on). The rules read them as the
channels ``compression_loss`` and ``compression_current``.

The operating envelope. A pump commissioned in mild autumn weather runs at
its lowest frequency and a low pressure ratio; in the first cold spell it runs
two or three times faster. A slope of the measure on frequency learned from
those days is mostly the low-lift days' quirks (a discharge line not yet warm
through in short cycles, a thermistor's offset over a small rise): extrapolated
to 65 Hz it predicted a healthy compressor's loss 5-17 % too low and named wear
on 24 of 40 healthy Milan pumps (their measured loss stayed flat within 1 %).
So the reference is fitted the way the evidence allows:

* on block means of BLOCK_SECONDS (one averaging time): minutes of one
  afternoon are one piece of evidence, not hundreds;
* Bayesian linear regression with a physical prior: a healthy compressor's
  efficiency varies by some PRIOR_REL_SLOPE over its whole map, so a slope
  the blocks do not support shrinks towards "constant";
* the posterior covariance gives each reading's prediction uncertainty, which
  grows with the distance from what the baseline saw (its leverage); beyond the
  range of ln r and frequency the blocks span, the data say nothing about how
  the slope goes on, so the prior's slope uncertainty is added for the distance
  beyond it (a slope well fitted on mild days is not known at 65 Hz); the
  averaged shift is judged against the alarm and that uncertainty together
  (ALARM_K standard deviations of each, in quadrature), so an extrapolated
  point is judged, only less sharply. The shift averages the readings'
  residuals, so its prediction error is the same average of theirs, whose
  standard deviation is at most the average of their standard deviations: that
  is what is averaged (not their variances, whose root is larger where a few
  readings are far out: a cold pump's hot-water half hours at 100 Hz, beyond
  the 6-hour block means, widened the scale to 7-15 % after every cycle);
* the envelope grows: a block judged healthy (every level below
  HEALTHY_LEVEL) whose operating point is less certain than anything the fit
  was made of is added to the fit, and the reference refitted; at most
  MAX_LEARNED_BLOCKS are kept beside the baseline's. Blocks inside what was
  learned never are: a slow wear at known operating points is not learned away.
"""

from __future__ import annotations

import math

import numpy as np

from heatwatch.channels import INDEX
from heatwatch.edge.heatpump import batch_kernels
from heatwatch.edge.heatpump.design_headroom import DesignHeadroom
from heatwatch.edge.heatpump import energy_balance
from heatwatch.edge.heatpump.energy_balance import EnergyBalance
from heatwatch.edge.heatpump.medians import median_1d
from heatwatch.refrigerant import ISENTROPIC_EXPONENT, t_sat_array, t_sat_scalar
from heatwatch.trips import trip_limits
from heatwatch.rules.engine import ChannelShift, Evidence
from heatwatch.units import DAY, HOUR

NAMES = ("compression_loss", "compression_current")
# the loss over what the design day's discharge can still take (design_headroom.py): at 1 the loss
# already seen takes the discharge to its trip on a design-temperature day
DESIGN_NAME = "design_discharge"
BASELINE_SECONDS = 7 * DAY  # of the pump's life, steady running sampled once a minute
MIN_BASELINE_SAMPLES = 200
TAU_SECONDS = 6 * HOUR
ALARM_K = 5.0
MIN_REL_SHIFT = np.array([0.05, 0.05])  # 5 % less efficient
# The discharge headroom (compression_loss only). The discharge rise T_d - T_s is the measure
# times the ideal rise, so a relative loss s raises the discharge by s (T_d - T_s): on a reading
# whose healthy rise is the reference's (its expected measure times the ideal rise: the learned
# pump at this operating point, not the discharge thermistor now), the loss that takes it to the
# trip is (T_trip - T_s)/that rise - 1. Its least over the pump's running (averaged over
# HEADROOM_TAU, so a glitch is not a cold hour) is the loss that eats the headroom, and
# HEADROOM_SHARE of it is the floor when that is below MIN_REL_SHIFT: the trip comes on the
# hottest minutes while the shift is the loss averaged over hours, the worst hours are those seen
# so far (colder ones come), and the half left is the time to act. Never below
# MIN_HEADROOM_FLOOR: a discharge thermistor's drift of 1-1.5 K over a 60-80 K rise is some 2 %.
# A drifting discharge thermistor moves the measure, not the reference: the headroom stays.
HEADROOM_TAU = 5 * 60.0
HEADROOM_SHARE = 0.5
MIN_HEADROOM_FLOOR = 0.02
MIN_LIFT_K = 8.0  # below this ideal rise the ratio is noise over noise
BLOCK_SECONDS = TAU_SECONDS  # one piece of evidence: the averaging time
MIN_BLOCK_ROWS = 6  # steady minutes a block needs (half an hour at a 5-minute poll)
# prior sd of a slope per unit of ln r and of hz/60, relative to the measure's level: a healthy
# compressor's discharge rise over the ideal (1/η_is and the line's heat loss) varies by some 10 %
# over its map; its current per ideal work (also the motor's, the inverter's and the volumetric
# efficiency) by some 30 % (a scroll's total efficiency 0.45-0.7)
PRIOR_REL_SLOPE = (0.08, 0.25)
HEALTHY_LEVEL = 0.5  # a block is learned only if no level reached this while it ran
MAX_LEARNED_BLOCKS = 120  # 30 days of 6-hour blocks beyond the baseline's
_I = [INDEX[c] for c in ("t_suction", "t_discharge", "p_high", "p_low", "compressor_hz", "compressor_a", "t_outdoor",
                         "flow_lpm", "t_flow", "t_return", "power_w")]
# the energy balance's witness (energy_balance.py): the loss the discharge shows and the power does not
ENERGY_NAME = energy_balance.NAME
N_STATE = 12


def measures(x: np.ndarray, refrigerant: str) -> np.ndarray | None:
    """(compression_loss, compression_current) of one running reading, or None where undefined."""
    m = _measures(*(float(x[i]) for i in _I[:6]), ISENTROPIC_EXPONENT[refrigerant])
    return None if m is None else np.array(m)


def _measures(t_s: float, t_d: float, p_h: float, p_l: float, hz: float, amps: float,
              k: float) -> tuple[float, float] | None:
    """measures() in plain floats: the one arithmetic of the streaming and the batch path."""
    if not (hz >= 15.0 and p_l > 0.0 and p_h > p_l):
        return None
    grow = (p_h / p_l) ** ((k - 1.0) / k)  # isentropic_discharge, in plain floats: per reading
    rise = (t_s + 273.15) * (grow - 1.0)
    loss = (t_d - t_s) / rise if rise >= MIN_LIFT_K else math.nan
    work = hz * p_l * (grow - 1.0)
    current = amps / work if work > 0 else math.nan
    return loss, current


def fit_blocks(B: np.ndarray, prior_rel_slope: float) -> tuple[np.ndarray, np.ndarray, float] | None:
    """Bayesian linear fit of block means B (rows: ln r, hz/60, y) on (1, ln r, hz/60).

    Returns (coefficients, their posterior covariance, the block residual variance), or
    None with too few blocks. The intercept is free; each slope has a prior N(0, (s·level)²).
    Two passes: the block noise is estimated robustly from the first fit's residuals and a
    block beyond 4 sigma (a glitch) gets no say in the second.
    """
    if len(B) < 3:
        return None
    A = np.column_stack([np.ones(len(B)), B[:, 0], B[:, 1]])
    y = B[:, 2]
    level = abs(median_1d(y))  # np.median's value (medians.py): a refit's medians, without its dispatch
    prec = np.diag([0.0, 1.0, 1.0]) / max(prior_rel_slope * level, 1e-12) ** 2
    keep = np.ones(len(y), dtype=bool)
    var = max(float(np.var(y)), (1e-4 * level) ** 2)
    beta = cov = None
    for _ in range(3):
        Ak, yk = A[keep], y[keep]
        cov = np.linalg.inv(Ak.T @ Ak / var + prec)
        beta = cov @ (Ak.T @ yk) / var
        r = y - A @ beta
        s = 1.4826 * median_1d(np.abs(r[keep] - median_1d(r[keep])))
        var = max(s * s, (1e-4 * level) ** 2)
        keep = np.abs(r) <= 4.0 * math.sqrt(var)
        if keep.sum() < 3:
            keep[:] = True
    Ak, yk = A[keep], y[keep]
    cov = np.linalg.inv(Ak.T @ Ak / var + prec)
    beta = cov @ (Ak.T @ yk) / var
    return beta, cov, var


class CompressorEfficiency:
    """Streaming, per steady reading; ``add_to`` puts the two shifts into the rules' evidence."""

    def __init__(self, refrigerant: str, baseline_seconds: float = BASELINE_SECONDS,
                 design_outdoor_c: float | None = None) -> None:
        self.refrigerant = refrigerant
        self.baseline_seconds = baseline_seconds
        self.start_ts = math.nan
        self._last_bucket = -1
        self._rows: list[tuple[float, float, float, float, float]] = []  # ts, ln r, hz, loss, current
        self.coef: np.ndarray | None = None  # (3, 2): 1, ln r, hz/60 -> the two measures
        self.cov: list[np.ndarray | None] = [None, None]  # posterior covariance of each measure's coef
        self.v_max = [math.inf, math.inf]  # the largest prediction variance among the blocks fitted
        # per measure: (lowest ln r, highest ln r, lowest f, highest f) of its blocks, and the prior's
        # slope variance, added per unit of distance beyond that range
        self._span: list[tuple[float, float, float, float, float] | None] = [None, None]
        self.alarm: np.ndarray | None = None
        self.alarm_spread: np.ndarray | None = None  # ALARM_K x the baseline's spread, without the floor
        self.headroom = math.inf  # the least relative loss that took a reading's discharge to the trip
        self._hot = math.nan  # that loss, averaged over HEADROOM_TAU
        self._hot_ts = math.nan
        self._t_trip = trip_limits(refrigerant).discharge_c
        self.design = DesignHeadroom(self._t_trip, design_outdoor_c, BLOCK_SECONDS, HEADROOM_TAU, MIN_LIFT_K)
        self.energy = EnergyBalance()
        self.energy_level = math.nan  # the energy balance's witness after the last reading
        # block means (ln r, hz/60, y) per measure: the baseline's, and those learned since (bounded)
        self.blocks: list[list[tuple[float, float, float]]] = [[], []]
        self.learned: list[list[tuple[float, float, float]]] = [[], []]
        self.refits = 0
        # plain floats: updated reading by reading (process_batch feeds a chunk's steady rows)
        self.shift = [0.0, 0.0]
        self.observed = [math.nan, math.nan]
        self.expected = [math.nan, math.nan]
        self.uncertainty = [0.0, 0.0]  # averaged relative prediction standard deviation
        self.last_ts = math.nan
        self._k = ISENTROPIC_EXPONENT[refrigerant]
        self._c: list[list[float]] | None = None  # coef as plain floats
        self._v: list[list[float] | None] = [None, None]  # cov as 9 plain floats each
        # the block being collected after the baseline: index, worst level, and per measure n, Σln r, Σf, Σy
        self._blk = -1
        self._blk_worst = 0.0
        self._blk_sums = [[0.0] * 4, [0.0] * 4]

    @property
    def ready(self) -> bool:
        return self.coef is not None

    def update(self, ts: float, x: np.ndarray) -> None:
        self.step(float(ts), *(float(x[i]) for i in _I))

    def step(self, ts: float, t_s: float, t_d: float, p_h: float, p_l: float, hz: float, amps: float,
             t_out: float = math.nan, flow: float = math.nan, t_fl: float = math.nan, t_rt: float = math.nan,
             power_w: float = math.nan) -> None:
        """update() on the reading's channels (_I order) as plain floats."""
        if self.start_ts != self.start_ts:
            self.start_ts = ts
        m = _measures(t_s, t_d, p_h, p_l, hz, amps, self._k)
        if m is None:
            return
        loss, cur = m
        if loss != loss and cur != cur:
            return
        ln_r = math.log(p_h / p_l)
        c = self._c
        f = hz / 60.0
        if c is None:
            bucket = int(ts // 60)
            if bucket != self._last_bucket:
                self._last_bucket = bucket
                self._rows.append((ts, ln_r, hz, loss, cur))
                if flow == flow:
                    eff, _ = energy_balance.efficiency(t_sat_scalar(p_h, self.refrigerant),
                                                       t_sat_scalar(p_l, self.refrigerant), flow, t_fl, t_rt, amps,
                                                       power_w)
                    self.energy.collect(ts, ln_r, f, eff)
            if ts - self.start_ts >= self.baseline_seconds and len(self._rows) >= MIN_BASELINE_SAMPLES:
                self._fit()
            return
        blk = int(ts // BLOCK_SECONDS)
        if blk != self._blk:
            self._close_block()
            self._blk = blk
        e0 = c[0][0] + ln_r * c[1][0] + f * c[2][0]
        e1 = c[0][1] + ln_r * c[1][1] + f * c[2][1]
        last = self.last_ts
        dt = HOUR if last != last else min(max(ts - last, 0.0), HOUR)
        self.last_ts = ts
        a = 1.0 - math.exp(-dt / TAU_SECONDS)
        shift, obs, unc, alarm, sums = self.shift, self.observed, self.uncertainty, self.alarm, self._blk_sums
        for j, mj, ej in ((0, loss, e0), (1, cur, e1)):
            rel = mj / ej - 1.0 if ej != 0.0 else math.nan
            if rel != rel:
                continue
            v = self._v[j]
            if v is not None:
                sd = math.sqrt(self._variance(j, ln_r, f)) / abs(ej)
                unc[j] += a * (sd - unc[j])
            shift[j] += a * (rel - shift[j])
            if obs[j] != obs[j]:
                obs[j] = mj
            else:
                obs[j] += a * (mj - obs[j])
            scale = math.sqrt(alarm[j] * alarm[j] + ALARM_K * ALARM_K * unc[j] * unc[j])  # type: ignore[index]
            lv = abs(shift[j]) / scale
            if lv > self._blk_worst:
                self._blk_worst = lv
            s = sums[j]
            s[0] += 1.0
            s[1] += ln_r
            s[2] += f
            s[3] += mj
        self.expected = [e0, e1]
        if self.energy.ready and flow == flow:
            eff, k = energy_balance.efficiency(t_sat_scalar(p_h, self.refrigerant), t_sat_scalar(p_l, self.refrigerant),
                                               flow, t_fl, t_rt, amps, power_w)
            rel_l = loss / e0 - 1.0
            if eff == eff and rel_l == rel_l:
                lv = self.energy.step(ts, eff, ln_r, f, rel_l, k)
                if lv == lv:
                    self.energy_level = lv
        if loss == loss:
            self._headroom_step(ts, t_s, t_d, loss, e0)
            self.design.update(ts, t_out, t_s, t_d, shift[0])

    def _headroom_step(self, ts: float, t_s: float, t_d: float, loss: float, expected: float) -> None:
        """The loss that takes this reading's healthy discharge to the trip, averaged; its least is kept.
        The healthy rise is the reference's at this operating point ((T_d - T_s)/loss is the ideal rise)."""
        rise = (t_d - t_s) / loss * expected if loss != 0.0 else math.nan
        if not rise > 0.0:
            return
        allowed = (self._t_trip - t_s) / rise - 1.0
        last = self._hot_ts
        self._hot_ts = ts
        if self._hot != self._hot:
            self._hot = allowed
            return
        a = 1.0 - math.exp(-min(max(ts - last, 0.0), HOUR) / HEADROOM_TAU)
        self._hot += a * (allowed - self._hot)
        if self._hot < self.headroom:
            self.headroom = self._hot
            self.alarm[0] = self.alarm_loss()  # type: ignore[index]

    def alarm_loss(self) -> float:
        """compression_loss's alarm now: the baseline's spread, or the floor scaled by the headroom."""
        if self.alarm is None or self.alarm_spread is None or not math.isfinite(self.alarm[0]):
            return math.inf if self.alarm is None else float(self.alarm[0])
        # the kernel's arithmetic (batch_kernels.compressor_steps), for the same float
        return max(float(self.alarm_spread[0]), min(float(MIN_REL_SHIFT[0]),
                                                    max(MIN_HEADROOM_FLOOR, HEADROOM_SHARE * self.headroom)))

    def judged_alarm_loss(self) -> float:
        """alarm_loss() lowered to the design day's headroom where that is less (never below
        MIN_HEADROOM_FLOOR nor the baseline's spread): the alarm compression_loss is judged against.
        The envelope learns against alarm_loss() (the kernel's), so a block is learned as before."""
        return self._design_alarm(self.alarm_loss(), self.design.upper)

    def _design_alarm(self, a: float, upper: float) -> float:
        if upper == math.inf or self.alarm_spread is None:
            return a
        return max(float(self.alarm_spread[0]), min(a, max(MIN_HEADROOM_FLOOR, upper)))

    def steps(self, ts: np.ndarray, C: np.ndarray) -> np.ndarray:
        """step() on each row of (ts, C) (C: the _I channels; t_outdoor may be left off), in order
        (replays): the state after each row, (shift0, shift1, observed0, observed1, uncertainty0,
        uncertainty1, expected0, expected1, last_ts, compression_loss's judged alarm, the design
        day's headroom), for :meth:`snapshot_of`. Until the baseline is fitted, step() itself;
        then the compiled mirror of step() (batch_kernels.compressor_steps), which closes a block
        itself when _close_block would learn nothing from it and returns at one that grows the
        envelope, so that _close_block and its refit run here, as step() would run them."""
        n = len(ts)
        out = np.empty((n, N_STATE))
        T = np.ascontiguousarray(ts, dtype=float)
        if C.shape[1] < len(_I):  # t_outdoor and the energy balance's channels may be left off
            C = np.column_stack([C, np.full((n, len(_I) - C.shape[1]), np.nan)])
        cols = [np.ascontiguousarray(C[:, q], dtype=float) for q in range(6)]
        i = 0
        if self._c is None:
            rows = np.column_stack([T, C]).tolist()
            while i < n and self._c is None:
                self.step(*rows[i])
                out[i] = [*self.shift, *self.observed, *self.uncertainty, *self.expected, self.last_ts,
                          self.judged_alarm_loss(), self.design.upper, self.energy_level]
                i += 1
        if i >= n:
            return out
        i0 = i
        st = np.array([*self.shift, *self.observed, *self.uncertainty, *self.expected, self.last_ts,
                       self._blk_worst])
        c_start: np.ndarray | None = None
        blk = np.empty(1, dtype=np.int64)
        spread0 = math.inf if self.alarm_spread is None else float(self.alarm_spread[0])
        hp = np.array([self._t_trip, HEADROOM_SHARE, float(MIN_REL_SHIFT[0]), MIN_HEADROOM_FLOOR, spread0, HEADROOM_TAU])
        while i < n:
            V = np.array([v if v is not None else [0.0] * 9 for v in self._v], dtype=float)
            span = np.array([s if s is not None else (0.0,) * 5 for s in self._span], dtype=float)
            sums = np.array(self._blk_sums, dtype=float)
            st[9] = self._blk_worst
            blk[0] = self._blk
            c = np.array(self._c, dtype=float)
            alarm = np.array(self.alarm, dtype=float)
            hs = np.array([self._hot, self._hot_ts, self.headroom])
            i = batch_kernels.compressor_steps(
                T, *cols, i, self._k, c if c_start is None else c_start, c, V,
                np.array([v is not None for v in self._v]), span, np.array([s is not None for s in self._span]),
                alarm, st, sums, blk, np.asarray(self.v_max, dtype=float),
                HEALTHY_LEVEL, MIN_BLOCK_ROWS, out, BLOCK_SECONDS, TAU_SECONDS, ALARM_K, MIN_LIFT_K, HOUR, hs, hp)
            self.alarm = alarm
            self._hot, self._hot_ts, self.headroom = (float(v) for v in hs)
            self.shift, self.observed = st[0:2].tolist(), st[2:4].tolist()
            self.uncertainty, self.expected = st[4:6].tolist(), st[6:8].tolist()
            self.last_ts, self._blk_worst = float(st[8]), float(st[9])
            self._blk_sums = sums.tolist()
            self._blk = int(blk[0])
            c_start = None
            if i < n:  # a new block: as step() does on its first valid reading (expected on the old coef)
                c_start = c
                self._close_block()
                self._blk = int(T[i] // BLOCK_SECONDS)
        self._design_rows(T, C, out, i0)
        out[i0:, 11] = self._energy_rows(T[i0:], C[i0:], out[i0:, 6])
        return out

    def _energy_rows(self, T: np.ndarray, C: np.ndarray, expected: np.ndarray) -> np.ndarray:
        """The energy balance's witness after each row (the level before the rows where it has none)."""
        lv = self._energy_levels(T, C, expected)
        # carried forward: the state after each row (the level before the chunk until the first)
        at = np.maximum.accumulate(np.where(lv == lv, np.arange(len(lv)), -1))
        out = np.where(at >= 0, lv[np.maximum(at, 0)], self.energy_level)
        if len(out):
            self.energy_level = float(out[-1])
        return out

    def _energy_levels(self, T: np.ndarray, C: np.ndarray, expected: np.ndarray) -> np.ndarray:
        """EnergyBalance.follow on rows (C: _I channels) whose loss is defined; NaN on the others."""
        n = len(T)
        if not self.energy.ready or n == 0:
            return np.full(n, math.nan)
        t_s, t_d, p_h, p_l, hz, amps = (C[:, q] for q in range(6))
        flow, t_fl, t_rt, pw = (C[:, q] for q in range(7, 11))
        with np.errstate(divide="ignore", invalid="ignore"):
            ok = (hz >= 15.0) & (p_l > 0.0) & (p_h > p_l)
            grow = (p_h / p_l) ** ((self._k - 1.0) / self._k)
            rise = (t_s + 273.15) * (grow - 1.0)
            loss = np.where(ok & (rise >= MIN_LIFT_K), (t_d - t_s) / rise, np.nan)
            rel_l = loss / expected - 1.0
            t_c, t_e = t_sat_array(p_h, self.refrigerant), t_sat_array(p_l, self.refrigerant)  # t_sat's numbers
            heat = flow * energy_balance.WATER_KW_PER_LPM_K * (t_fl - t_rt)
            lift = t_c - t_e
            k = 1.0 - pw / (1000.0 * heat)
            good = (heat >= energy_balance.MIN_HEAT_KW) & (amps > 0.0) & (pw > 0.0) & (lift >= energy_balance.MIN_LIFT_K) \
                & (k >= energy_balance.K_RANGE[0]) & (k <= energy_balance.K_RANGE[1])
            eff = np.where(good, heat / amps * lift / (t_c + energy_balance.K0), np.nan)
            lnr = np.log(p_h / p_l)
        live = (eff == eff) & (rel_l == rel_l)
        out = np.full(n, math.nan)
        if live.any():
            lv = self.energy.follow(T[live], eff[live], lnr[live], hz[live] / 60.0, rel_l[live], k[live])
            out[live] = lv
        return out

    def _design_rows(self, T: np.ndarray, C: np.ndarray, out: np.ndarray, start: int) -> None:
        """The design day's headroom over the kernel's rows start.. (DesignHeadroom.update on each
        row step() would give it, with the shift after it) and the judged alarm with it, in place."""
        design = self.design
        if design.design_c is None:
            out[start:, 10] = math.inf
            return
        upper = design.update_rows(T[start:], C[start:], out[start:, 0], self._k)
        out[start:, 10] = upper
        if self.alarm_spread is not None:  # _design_alarm, row by row
            lowered = np.maximum(float(self.alarm_spread[0]),
                                 np.minimum(out[start:, 9], np.maximum(MIN_HEADROOM_FLOOR, upper)))
            out[start:, 9] = np.where(upper == math.inf, out[start:, 9], lowered)

    def _close_block(self) -> None:
        """The block that ended: learned if it was healthy and beyond what the fit has seen."""
        sums, worst = self._blk_sums, self._blk_worst
        self._blk_sums, self._blk_worst = [[0.0] * 4, [0.0] * 4], 0.0
        if worst >= HEALTHY_LEVEL:
            return
        grown = False
        for j in range(2):
            n, sl, sf, sy = sums[j]
            v = self._v[j]
            if n < MIN_BLOCK_ROWS or v is None:
                continue
            lr, f = sl / n, sf / n
            if self._variance(j, lr, f) <= self.v_max[j]:
                continue  # inside what was learned
            self.learned[j].append((lr, f, sy / n))
            del self.learned[j][:-MAX_LEARNED_BLOCKS]
            grown = True
        if grown:
            self.refits += 1
            self._refit()

    def _variance(self, j: int, ln_r: float, f: float) -> float:
        """Variance of measure j's prediction at (ln r, f): x'Σx for x = (1, ln r, f), plus the
        prior's slope variance times the squared distance beyond the range the blocks span."""
        v, span = self._v[j], self._span[j]
        var = v[0] + 2.0 * ln_r * v[1] + 2.0 * f * v[2] + ln_r * ln_r * v[4] + 2.0 * ln_r * f * v[5] + f * f * v[8]
        if span is not None:
            lo_r, hi_r, lo_f, hi_f, slope_var = span
            d_r = lo_r - ln_r if ln_r < lo_r else (ln_r - hi_r if ln_r > hi_r else 0.0)
            d_f = lo_f - f if f < lo_f else (f - hi_f if f > hi_f else 0.0)
            var += slope_var * (d_r * d_r + d_f * d_f)
        return var

    def _fit(self) -> None:
        """The baseline: robust row weights (glitches get no say), block means, the reference."""
        R = np.array(self._rows)
        ts, ln_r, hz, Y = R[:, 0], R[:, 1], R[:, 2], R[:, 3:]
        A = np.column_stack([np.ones(len(R)), ln_r, hz / 60.0])
        blk = (ts // BLOCK_SECONDS).astype(np.int64)
        alarm = np.full(2, np.inf)
        spread_alarm = np.full(2, np.inf)
        for j in range(2):
            ok = ~np.isnan(Y[:, j])
            if ok.sum() < MIN_BASELINE_SAMPLES // 2:
                continue
            w = np.ones(ok.sum())
            for _ in range(2):  # one robust pass: glitches get no say
                Aw = A[ok] * w[:, None]
                beta = np.linalg.lstsq(Aw, Y[ok, j] * w, rcond=None)[0]
                r = Y[ok, j] - A[ok] @ beta
                s = 1.4826 * np.median(np.abs(r - np.median(r))) + 1e-12
                w = (np.abs(r) <= 4 * s).astype(float)
            good = np.flatnonzero(ok)[w > 0]
            blocks = []
            for b in np.unique(blk[good]):
                rows = good[blk[good] == b]
                if len(rows) >= MIN_BLOCK_ROWS:
                    blocks.append((float(ln_r[rows].mean()), float(hz[rows].mean() / 60.0), float(Y[rows, j].mean())))
            self.blocks[j] = blocks
        self.coef = np.full((3, 2), np.nan)
        self._refit()
        for j in range(2):
            if self.cov[j] is None:
                continue
            ok = ~np.isnan(Y[:, j])
            # the alarm: spread of the hours-averaged relative residual over the baseline
            rel = Y[ok, j] / (A[ok] @ self.coef[:, j]) - 1.0
            series = _ewma(ts[ok], rel, TAU_SECONDS)
            settled = series[ts[ok] >= ts[ok][0] + TAU_SECONDS]
            spread = 1.4826 * np.median(np.abs(settled - np.median(settled))) if len(settled) else 0.0
            spread_alarm[j] = ALARM_K * spread
            alarm[j] = max(ALARM_K * spread, MIN_REL_SHIFT[j])
        self.alarm = alarm
        self.alarm_spread = spread_alarm
        self._rows = []
        self.energy.fit()

    def _refit(self) -> None:
        """The reference from the baseline's blocks and those learned since."""
        coef = np.full((3, 2), np.nan) if self.coef is None else self.coef.copy()
        for j in range(2):
            B = np.array(self.blocks[j] + self.learned[j]).reshape(-1, 3)
            fitted = fit_blocks(B, PRIOR_REL_SLOPE[j])
            if fitted is None:
                continue
            beta, cov, _ = fitted
            coef[:, j] = beta
            self.cov[j] = cov
            self._span[j] = (float(B[:, 0].min()), float(B[:, 0].max()), float(B[:, 1].min()),
                             float(B[:, 1].max()), float((PRIOR_REL_SLOPE[j] * median_1d(B[:, 2])) ** 2))
            A = np.column_stack([np.ones(len(B)), B[:, :2]])
            self.v_max[j] = float(np.max(np.einsum("ij,jk,ik->i", A, cov, A)))
        self.coef = coef
        self._c = coef.tolist()
        self._v = [None if c is None else c.ravel().tolist() for c in self.cov]

    def add_to(self, evidence: Evidence) -> None:
        """The two shifts as the rules' channels, once learned and averaged over some hours."""
        evidence.shifts.update(self.shifts())

    def shifts(self) -> dict[str, ChannelShift]:
        """The two shifts as they stand now (what ``add_to`` adds)."""
        return self.shifts_of(self.snapshot())

    def snapshot(self) -> tuple | None:
        """What ``shifts`` reads, cheaply kept (process_batch keeps one per rule row): None, or
        per channel (level, expected, observed) for the channels that have a shift. The level is
        the shift over the alarm and the averaged prediction uncertainty together."""
        return self.snapshot_of([*self.shift, *self.observed, *self.uncertainty, *self.expected, self.last_ts,
                                 self.judged_alarm_loss(), self.design.upper, self.energy_level])

    def snapshot_of(self, state) -> tuple | None:
        """snapshot() of a state as :meth:`steps` returns it per row (compression_loss judged against
        the row's own alarm, column 9: the headroom's floor as it stood there)."""
        if self.alarm is None or state[8] != state[8]:
            return None
        alarm = self.alarm
        out = tuple((name, float(state[j] / math.sqrt((state[9] if j == 0 else alarm[j]) ** 2
                                                      + ALARM_K ** 2 * state[4 + j] ** 2)),
                     float(state[6 + j]), float(state[2 + j]))
                    for j, name in enumerate(NAMES)
                    if state[2 + j] == state[2 + j] and math.isfinite(alarm[j]))
        if len(state) > 10 and state[10] < math.inf and state[2] == state[2] and math.isfinite(alarm[0]):
            # expected: the loss the design day leaves (none below 0: a pump at its trip when healthy)
            out += ((DESIGN_NAME, float(state[0] / max(state[10], MIN_HEADROOM_FLOOR)), max(float(state[10]), 0.0),
                     float(state[0])),)
        if len(state) > 11 and state[11] == state[11]:  # the energy balance's witness, once it has one
            out += ((ENERGY_NAME, float(state[11]), 0.0, float(state[11])),)
        return out or None

    def snapshots_of(self, states: np.ndarray) -> list[tuple | None]:
        """snapshot_of() of each row of ``states``, the levels computed for all rows at once (the
        same operations element by element, so the same numbers)."""
        if self.alarm is None:
            return [None] * len(states)
        alarm = self.alarm
        cols = []
        for j, name in enumerate(NAMES):
            if not math.isfinite(alarm[j]):
                continue
            obs = states[:, 2 + j]
            a = states[:, 9] if j == 0 else alarm[j]
            level = states[:, j] / np.sqrt(a ** 2 + ALARM_K ** 2 * states[:, 4 + j] ** 2)
            cols.append((name, level.tolist(), states[:, 6 + j].tolist(), obs.tolist(), (obs == obs).tolist()))
        if math.isfinite(alarm[0]) and states.shape[1] > 10:  # the design day's headroom, where it is known
            up, obs = states[:, 10], states[:, 2]
            cols.append((DESIGN_NAME, (states[:, 0] / np.maximum(up, MIN_HEADROOM_FLOOR)).tolist(),
                         np.maximum(up, 0.0).tolist(),
                         states[:, 0].tolist(), ((obs == obs) & (up < math.inf)).tolist()))
        if states.shape[1] > 11:
            en = states[:, 11]
            cols.append((ENERGY_NAME, en.tolist(), [0.0] * len(en), en.tolist(), (en == en).tolist()))
        live = (states[:, 8] == states[:, 8]).tolist()
        out: list[tuple | None] = []
        for i, ok in enumerate(live):
            out.append(tuple((name, lv[i], e[i], o[i]) for name, lv, e, o, has in cols if has[i]) or None
                       if ok else None)
        return out

    @staticmethod
    def shifts_of(snap: tuple | None) -> dict[str, ChannelShift]:
        if not snap:
            return {}
        return {name: ChannelShift(lv, e, o) for name, lv, e, o in snap}

    def state(self) -> dict:
        def arr(a):
            return None if a is None else [None if not math.isfinite(v) else float(v) for v in np.ravel(a)]
        return {"start_ts": None if math.isnan(self.start_ts) else self.start_ts,
                "coef": arr(self.coef), "alarm": arr(self.alarm), "alarm_spread": arr(self.alarm_spread),
                "headroom": None if math.isinf(self.headroom) else self.headroom,
                "hot": None if math.isnan(self._hot) else self._hot,
                "hot_ts": None if math.isnan(self._hot_ts) else self._hot_ts,
                "shift": arr(self.shift), "observed": arr(self.observed), "expected": arr(self.expected),
                "uncertainty_sd": list(self.uncertainty), "blocks": self.blocks, "learned": self.learned,
                "refits": self.refits, "block": self._blk, "block_worst": self._blk_worst,
                "block_sums": self._blk_sums, "design": self.design.state(), "energy": self.energy.state(),
                "energy_level": None if math.isnan(self.energy_level) else self.energy_level,
                "last_ts": None if math.isnan(self.last_ts) else self.last_ts}

    def load_state(self, d: dict) -> None:
        """A state without a learned baseline starts the baseline again (its rows are not kept).
        One without blocks (written before the envelope grew) keeps its reference, unrefitted."""
        def arr(a, shape=None, fill=math.nan):
            if a is None:
                return None
            v = np.array([fill if x is None else x for x in a], dtype=float)
            return v.reshape(shape) if shape else v
        if d.get("coef") is None:
            return
        self.start_ts = float(d["start_ts"])
        self.coef = arr(d["coef"], (3, 2))
        self.alarm = arr(d["alarm"], fill=math.inf)
        # a state written before the headroom: its alarm as the spread (the floor is not lowered)
        self.alarm_spread = arr(d["alarm_spread"], fill=math.inf) if d.get("alarm_spread") is not None \
            else self.alarm.copy()
        self.headroom = math.inf if d.get("headroom") is None else float(d["headroom"])
        self._hot = math.nan if d.get("hot") is None else float(d["hot"])
        self._hot_ts = math.nan if d.get("hot_ts") is None else float(d["hot_ts"])
        self._c = self.coef.tolist()
        self.shift = arr(d["shift"], fill=0.0).tolist()
        self.observed, self.expected = arr(d["observed"]).tolist(), arr(d["expected"]).tolist()
        self.last_ts = math.nan if d.get("last_ts") is None else float(d["last_ts"])
        if d.get("blocks") is not None:
            self.blocks = [[tuple(b) for b in bl] for bl in d["blocks"]]
            self.learned = [[tuple(b) for b in bl] for bl in d.get("learned", [[], []])]
            self.refits = int(d.get("refits", 0))
            # a state written while the variance was averaged ("uncertainty"): its square root
            self.uncertainty = [float(u) for u in d["uncertainty_sd"]] if "uncertainty_sd" in d else \
                [math.sqrt(max(float(u), 0.0)) for u in d.get("uncertainty", [0.0, 0.0])]
            self._blk, self._blk_worst = int(d.get("block", -1)), float(d.get("block_worst", 0.0))
            self._blk_sums = [list(map(float, s)) for s in d.get("block_sums", [[0.0] * 4, [0.0] * 4])]
            self.design.load_state(d.get("design"))
            self.energy.load_state(d.get("energy"))
            self.energy_level = math.nan if d.get("energy_level") is None else float(d["energy_level"])
            self._refit()


def _ewma(ts: np.ndarray, v: np.ndarray, tau: float) -> np.ndarray:
    out = np.empty_like(v)
    acc, last = 0.0, math.nan
    for i in range(len(ts)):
        dt = HOUR if math.isnan(last) else min(ts[i] - last, HOUR)
        last = ts[i]
        acc += (1.0 - math.exp(-dt / tau)) * (v[i] - acc)
        out[i] = acc
    return out
