"""The energy balance as a witness that does not read the discharge thermistor.

A discharge reading above the isentropic rise of its pressures and suction says the
gas left the compressor with extra enthalpy: the compression loss s. If that is wear,
the extra enthalpy was drawn as electrical work: per unit of heat delivered to the
water the compressor draws more, so its heat per electrical input, set against the
Carnot limit of its own pressures,

    eff = Q / P_comp · (T_c - T_e) / T_c,   Q = flow · c_p · (t_flow - t_return)

falls. With the loss heat going into the gas (and so into the water) COP - 1 scales with
the isentropic efficiency, so a loss s lowers eff by k·s with k = 1 - 1/COP (0.5-0.7
on cold days; a compressor whose shell rejects part of that heat loses more, up to s).
A discharge thermistor reading δ K high raises the computed loss by δ/(T_d - T_s) and
moves none of Q, P_comp or the pressures: eff stays. So

    u = (shift of eff) + k · (shift of the loss)

is about 0 (or below: a compressor that rejects loss heat through its shell) for wear
and +k·s for a thermistor that reads high. P_comp is the compressor current (the unit's
power includes the fan and the controls, a tenth of it at 20 Hz); the supply voltage
and the power factor are the pump's constants and fall into its learned reference.

eff is learned per pump against ln(pressure ratio) and frequency, as the efficiency
measures are (compressor_efficiency.fit_blocks: 6-hour block means, a physical prior on
the slopes: a compressor's total efficiency varies some 25 % over its map), over the
same baseline. The prediction's uncertainty grows beyond the operating points the
baseline saw (its slope prior, per unit of distance). The shifts of eff and of the loss
are averaged over TAU_SECONDS (three days: the loss that matters grows over weeks, and a
day's average still swings with a cold spell's hot-water hours), each reading weighted by
its prediction's precision (never above that of MIN_SIGMA): a hot-water hour at twice the
baseline's frequency, whose reference is a guess, does not outweigh the heating hours.

The witness is the likelihood ratio of the two causes, which both predict u: a thermistor
u = k·l, wear u = 0 (the most thermistor-like wear: one whose shell rejects loss heat
gives u < 0). With sigma the standard deviation of u (the baseline's own spread of the
averaged eff and the averaged prediction uncertainty in quadrature, never below
MIN_SIGMA), ln LR = k·l (2u - k·l) / (2 sigma²). Its level is ln LR over ln STRONG_ODDS,
signed as the loss (a negative loss: a thermistor reading low against a better compressor):
at 1 the energy balance says "a thermistor reading high" with odds of 20 to 1. It says
nothing while the loss is small (both causes predict about the same u), and it is
negative where the power does follow the loss.
"""

from __future__ import annotations

import math

import numpy as np

from heatwatch.channels import WATER_KW_PER_LPM_K
from heatwatch.edge.heatpump.batch_kernels import njit
from heatwatch.units import DAY, HOUR

NAME = "discharge_unexplained"
TAU_SECONDS = 3 * DAY
# the odds for a thermistor over wear at which the witness reaches 1: "strong" evidence (odds of 20
# to 150 on Kass and Raftery's scale), from even prior odds
STRONG_ODDS = 20.0
# the least standard deviation it is judged with: a day's heat per input is not known better than
# half a percent (the water's temperature difference of 3-8 K read to a few hundredths of a kelvin,
# the flow meter's drift), however quiet the baseline was
MIN_SIGMA = 0.005
PRIOR_REL_SLOPE = 0.25  # a compressor's heat per input over Carnot varies some 25 % over its map
MIN_HEAT_KW = 0.3  # below this the water's temperature difference is noise
MIN_LIFT_K = 8.0
BLOCK_SECONDS = 6 * HOUR
MIN_BLOCK_ROWS = 6
K_RANGE = (0.3, 0.9)  # 1 - 1/COP over COP 1.4-10: outside, a reading is not a heating one
K0 = 273.15


def efficiency(t_c: float, t_e: float, flow: float, t_fl: float, t_rt: float, amps: float,
               power_w: float) -> tuple[float, float]:
    """(eff, k) of one reading (NaN where undefined): the heat per compressor current over the
    Carnot COP of the saturation temperatures, and k = 1 - 1/COP of the unit."""
    heat = flow * WATER_KW_PER_LPM_K * (t_fl - t_rt)
    lift = t_c - t_e
    if not (heat >= MIN_HEAT_KW and amps > 0.0 and power_w > 0.0 and lift >= MIN_LIFT_K):
        return math.nan, math.nan
    k = 1.0 - power_w / (1000.0 * heat)
    if not (K_RANGE[0] <= k <= K_RANGE[1]):
        return math.nan, math.nan
    return heat / amps * lift / (t_c + K0), k


@njit(cache=True)
def _follow(T, eff, lnr, f, rel_l, k, coef, V, span, st, tau, hour, min_sigma, out):
    """Day-averaged, precision-weighted (1/var of each reading's prediction): the shifts of eff and
    of the loss, k and the prediction sd, row by row. st: the averages of (w, w·rel, w·rel_l, w·k,
    w·sd) and the last time, updated; out: (n, 4) of (c, l, k, sd) after each row."""
    c0, c1, c2 = coef[0], coef[1], coef[2]
    lo_r, hi_r, lo_f, hi_f, slope_var = span[0], span[1], span[2], span[3], span[4]
    for i in range(len(T)):
        e = eff[i]
        if e == e and rel_l[i] == rel_l[i]:
            r, x = lnr[i], f[i]
            ex = c0 + r * c1 + x * c2
            var = V[0] + 2.0 * r * V[1] + 2.0 * x * V[2] + r * r * V[4] + 2.0 * r * x * V[5] + x * x * V[8]
            d_r = lo_r - r if r < lo_r else (r - hi_r if r > hi_r else 0.0)
            d_f = lo_f - x if x < lo_f else (x - hi_f if x > hi_f else 0.0)
            var += slope_var * (d_r * d_r + d_f * d_f)
            sd = math.sqrt(max(var, 0.0)) / abs(ex)
            floor = max(sd, min_sigma)  # readings the reference knows alike count alike
            w = 1.0 / (floor * floor)
            rel = e / ex - 1.0
            last = st[5]
            dt = hour if last != last else min(max(T[i] - last, 0.0), hour)
            st[5] = T[i]
            a = 1.0 - math.exp(-dt / tau)
            if st[0] != st[0]:  # from nothing: the ratios below are then the weighted means of what came
                st[0], st[1], st[2], st[3], st[4] = 0.0, 0.0, 0.0, 0.0, 0.0
            st[0] += a * (w - st[0])
            st[1] += a * (w * rel - st[1])
            st[2] += a * (w * rel_l[i] - st[2])
            st[3] += a * (w * k[i] - st[3])
            st[4] += a * (w * sd - st[4])
        if st[0] == st[0] and st[0] > 0.0:
            out[i, 0], out[i, 1], out[i, 2], out[i, 3] = st[1] / st[0], st[2] / st[0], st[3] / st[0], st[4] / st[0]
        else:
            out[i, 0], out[i, 1], out[i, 2], out[i, 3] = math.nan, math.nan, math.nan, math.nan


class EnergyBalance:
    """Streaming: the baseline's rows, then the day-averaged witness. Fitted with the compressor's
    reference (``fit`` when CompressorEfficiency fits its own)."""

    def __init__(self) -> None:
        self._rows: list[tuple[float, float, float, float]] = []  # ts, ln r, hz/60, eff
        self._last_bucket = -1
        self.coef: np.ndarray | None = None
        self._V = np.zeros(9)
        self._span = np.zeros(5)
        self.spread = math.inf  # sd of the day-averaged relative eff over the baseline
        self.st = np.full(6, math.nan)  # day averages of w, w·c, w·l, w·k, w·sd (w = 1/var), last_ts

    @property
    def ready(self) -> bool:
        return self.coef is not None and math.isfinite(self.spread)

    def collect(self, ts: float, ln_r: float, f: float, eff: float) -> None:
        """A baseline reading (one a minute)."""
        if eff != eff:
            return
        bucket = int(ts // 60)
        if bucket != self._last_bucket:
            self._last_bucket = bucket
            self._rows.append((ts, ln_r, f, eff))

    def fit(self) -> None:
        """The reference of eff on the baseline's block means, and the spread of its day average."""
        from heatwatch.edge.heatpump.compressor_efficiency import _ewma, fit_blocks
        if len(self._rows) < 2 * MIN_BLOCK_ROWS:
            self._rows = []
            return
        R = np.array(self._rows)
        self._rows = []
        blk = (R[:, 0] // BLOCK_SECONDS).astype(np.int64)
        B = [(float(R[blk == b, 1].mean()), float(R[blk == b, 2].mean()), float(R[blk == b, 3].mean()))
             for b in np.unique(blk) if (blk == b).sum() >= MIN_BLOCK_ROWS]
        fitted = fit_blocks(np.array(B).reshape(-1, 3), PRIOR_REL_SLOPE)
        if fitted is None:
            return
        beta, cov, _ = fitted
        Bm = np.array(B)
        self.coef = beta
        self._V = cov.ravel().copy()
        self._span = np.array([Bm[:, 0].min(), Bm[:, 0].max(), Bm[:, 1].min(), Bm[:, 1].max(),
                               (PRIOR_REL_SLOPE * float(np.median(Bm[:, 2]))) ** 2])
        rel = R[:, 3] / (beta[0] + beta[1] * R[:, 1] + beta[2] * R[:, 2]) - 1.0
        series = _ewma(R[:, 0], rel, TAU_SECONDS)
        settled = series[R[:, 0] >= R[0, 0] + TAU_SECONDS / 2]
        if len(settled) >= MIN_BLOCK_ROWS:
            self.spread = float(1.4826 * np.median(np.abs(settled - np.median(settled))))

    def follow(self, T: np.ndarray, eff: np.ndarray, lnr: np.ndarray, f: np.ndarray, rel_l: np.ndarray,
               k: np.ndarray) -> np.ndarray:
        """The witness's level after each row (NaN until it is known)."""
        n = len(T)
        if not self.ready or n == 0:
            return np.full(n, math.nan)
        out = np.empty((n, 4))
        _follow(np.ascontiguousarray(T, dtype=float), np.ascontiguousarray(eff, dtype=float),
                np.ascontiguousarray(lnr, dtype=float), np.ascontiguousarray(f, dtype=float),
                np.ascontiguousarray(rel_l, dtype=float), np.ascontiguousarray(k, dtype=float),
                np.asarray(self.coef, dtype=float), self._V, self._span, self.st, TAU_SECONDS, HOUR, MIN_SIGMA, out)
        return self.levels(out)

    def step(self, ts: float, eff: float, lnr: float, f: float, rel_l: float, k: float) -> float:
        """follow() of one reading in plain floats (the agent's reading-by-reading path: the kernel's
        arithmetic without its arrays): the level after it, NaN until it is known."""
        if not self.ready:
            return math.nan
        st = self.st
        if eff == eff and rel_l == rel_l:
            c, V, (lo_r, hi_r, lo_f, hi_f, slope_var) = self.coef, self._V, self._span
            ex = c[0] + lnr * c[1] + f * c[2]
            var = V[0] + 2.0 * lnr * V[1] + 2.0 * f * V[2] + lnr * lnr * V[4] + 2.0 * lnr * f * V[5] + f * f * V[8]
            d_r = lo_r - lnr if lnr < lo_r else (lnr - hi_r if lnr > hi_r else 0.0)
            d_f = lo_f - f if f < lo_f else (f - hi_f if f > hi_f else 0.0)
            var += slope_var * (d_r * d_r + d_f * d_f)
            sd = math.sqrt(max(var, 0.0)) / abs(ex)
            floor = max(sd, MIN_SIGMA)
            w = 1.0 / (floor * floor)
            rel = eff / ex - 1.0
            last = st[5]
            dt = HOUR if last != last else min(max(ts - last, 0.0), HOUR)
            st[5] = ts
            a = 1.0 - math.exp(-dt / TAU_SECONDS)
            if st[0] != st[0]:
                st[0:5] = 0.0
            st[0] += a * (w - st[0])
            st[1] += a * (w * rel - st[1])
            st[2] += a * (w * rel_l - st[2])
            st[3] += a * (w * k - st[3])
            st[4] += a * (w * sd - st[4])
        if not (st[0] == st[0] and st[0] > 0.0):
            return math.nan
        c, l, k, sd = st[1] / st[0], st[2] / st[0], st[3] / st[0], st[4] / st[0]
        u = c + k * l  # levels() in plain floats
        sigma = max(math.sqrt(self.spread ** 2 + sd ** 2), MIN_SIGMA)
        kl = k * l
        return float(abs(kl) * (2.0 * u - kl) / (2.0 * sigma * sigma) / math.log(STRONG_ODDS))

    def levels(self, S: np.ndarray) -> np.ndarray:
        """ln LR (a thermistor over wear) over ln STRONG_ODDS, per row of (c, l, k, sd)."""
        u = S[:, 0] + S[:, 2] * S[:, 1]
        sigma = np.maximum(np.sqrt(self.spread ** 2 + S[:, 3] ** 2), MIN_SIGMA)
        kl = S[:, 2] * S[:, 1]  # what a thermistor's offset would leave in u; wear leaves about 0
        # signed by the loss: up, a thermistor reading high (over wear); down, one reading low (over a
        # compressor doing better than it did)
        return np.abs(kl) * (2.0 * u - kl) / (2.0 * sigma * sigma) / math.log(STRONG_ODDS)

    def state(self) -> dict:
        def num(v):
            return None if not math.isfinite(v) else float(v)
        return {"coef": None if self.coef is None else [float(v) for v in self.coef], "V": self._V.tolist(),
                "span": self._span.tolist(), "spread": num(self.spread), "st": [num(v) for v in self.st]}

    def load_state(self, d: dict | None) -> None:
        if not d or d.get("coef") is None:
            return
        self.coef = np.array(d["coef"], dtype=float)
        self._V = np.array(d["V"], dtype=float)
        self._span = np.array(d["span"], dtype=float)
        self.spread = math.inf if d.get("spread") is None else float(d["spread"])
        self.st = np.array([math.nan if v is None else v for v in d["st"]], dtype=float)
