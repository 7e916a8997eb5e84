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

Both are learned per pump against ln(pressure ratio) and frequency (a real
compressor's efficiency has a mild optimum over the ratio) over the first
BASELINE_SECONDS of steady running, then followed as a relative shift
averaged over hours, in units of an alarm level calibrated on the baseline's
own averaged series and never below MIN_REL_SHIFT (a few percent of
efficiency: what a technician would act on). The rules read them as the
channels ``compression_loss`` and ``compression_current``.
"""

from __future__ import annotations

import math

import numpy as np

from heatwatch.channels import INDEX
from heatwatch.refrigerant import ISENTROPIC_EXPONENT
from heatwatch.rules.engine import ChannelShift, Evidence
from heatwatch.units import DAY, HOUR

NAMES = ("compression_loss", "compression_current")
BASELINE_SECONDS = 7 * DAY  # of the pump's life, steady running sampled once a minute
MIN_BASELINE_SAMPLES = 200
TAU_SECONDS = 6 * HOUR
ALARM_K = 5.0
MIN_REL_SHIFT = np.array([0.05, 0.05])  # 5 % less efficient
MIN_LIFT_K = 8.0  # below this ideal rise the ratio is noise over noise
_I = [INDEX[c] for c in ("t_suction", "t_discharge", "p_high", "p_low", "compressor_hz", "compressor_a")]


def measures(x: np.ndarray, refrigerant: str) -> np.ndarray | None:
    """(compression_loss, compression_current) of one running reading, or None where undefined."""
    m = _measures(*(float(x[i]) for i in _I), ISENTROPIC_EXPONENT[refrigerant])
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


class CompressorEfficiency:
    """Streaming, per steady reading; ``add_to`` puts the two shifts into the rules' evidence."""

    def __init__(self, refrigerant: str, baseline_seconds: float = BASELINE_SECONDS) -> None:
        self.refrigerant = refrigerant
        self.baseline_seconds = baseline_seconds
        self.start_ts = math.nan
        self._last_bucket = -1
        self._rows: list[tuple[float, float, float, float, float]] = []  # ts, ln r, hz, loss, current
        self.coef: np.ndarray | None = None  # (3, 2): 1, ln r, hz/60 -> the two measures
        self.ln_r_range: tuple[float, float] = (0.0, 0.0)
        self.alarm: np.ndarray | None = None
        # plain floats: updated reading by reading (process_batch feeds a chunk's steady rows)
        self.shift = [0.0, 0.0]
        self.observed = [math.nan, math.nan]
        self.expected = [math.nan, math.nan]
        self.last_ts = math.nan
        self._k = ISENTROPIC_EXPONENT[refrigerant]
        self._c: list[list[float]] | None = None  # coef as plain floats

    @property
    def ready(self) -> bool:
        return self.coef is not None

    def update(self, ts: float, x: np.ndarray) -> None:
        self.step(float(ts), *(float(x[i]) for i in _I))

    def step(self, ts: float, t_s: float, t_d: float, p_h: float, p_l: float, hz: float, amps: float) -> None:
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
        if c is None:
            bucket = int(ts // 60)
            if bucket != self._last_bucket:
                self._last_bucket = bucket
                self._rows.append((ts, ln_r, hz, loss, cur))
            if ts - self.start_ts >= self.baseline_seconds and len(self._rows) >= MIN_BASELINE_SAMPLES:
                self._fit()
            return
        lo, hi = self.ln_r_range
        lr = min(max(ln_r, lo), hi)
        f = hz / 60.0
        e0 = c[0][0] + lr * c[1][0] + f * c[2][0]
        e1 = c[0][1] + lr * c[1][1] + f * c[2][1]
        last = self.last_ts
        dt = HOUR if last != last else min(max(ts - last, 0.0), HOUR)
        self.last_ts = ts
        a = 1.0 - math.exp(-dt / TAU_SECONDS)
        shift, obs = self.shift, self.observed
        for j, mj, ej in ((0, loss, e0), (1, cur, e1)):
            rel = mj / ej - 1.0 if ej != 0.0 else math.nan
            if rel != rel:
                continue
            shift[j] += a * (rel - shift[j])
            if obs[j] != obs[j]:
                obs[j] = mj
            else:
                obs[j] += a * (mj - obs[j])
        self.expected = [e0, e1]

    def _design(self, ln_r, hz) -> np.ndarray:
        lo, hi = self.ln_r_range
        return np.column_stack([np.ones(np.size(ln_r)), np.clip(ln_r, lo, hi), np.asarray(hz) / 60.0])

    def _fit(self) -> None:
        R = np.array(self._rows)
        ts, ln_r, hz, Y = R[:, 0], R[:, 1], R[:, 2], R[:, 3:]
        self.ln_r_range = (float(np.percentile(ln_r, 1)), float(np.percentile(ln_r, 99)))
        A = self._design(ln_r, hz)
        coef = np.full((3, 2), np.nan)
        alarm = np.full(2, np.inf)
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
            coef[:, j] = beta
            # the alarm: spread of the hours-averaged relative residual over the baseline
            rel = Y[ok, j] / (A[ok] @ beta) - 1.0
            series = _ewma(ts[ok], rel, TAU_SECONDS)
            settled = series[ts[ok] >= ts[ok][0] + TAU_SECONDS]
            spread = 1.4826 * np.median(np.abs(settled - np.median(settled))) if len(settled) else 0.0
            alarm[j] = max(ALARM_K * spread, MIN_REL_SHIFT[j])
        self.coef, self.alarm = coef, alarm
        self._c = coef.tolist()
        self._rows = []

    def add_to(self, evidence: Evidence) -> None:
        """The two shifts as the rules' channels, once learned and averaged over some hours."""
        evidence.shifts.update(self.shifts())

    def shifts(self) -> dict[str, ChannelShift]:
        """The two shifts as they stand now (what ``add_to`` adds)."""
        return self.shifts_of(self.snapshot())

    def snapshot(self) -> tuple | None:
        """What ``shifts`` reads, cheaply kept (process_batch keeps one per rule row): None, or
        per channel (level, expected, observed) for the channels that have a shift."""
        if self.alarm is None or self.last_ts != self.last_ts:
            return None
        alarm, obs = self.alarm, self.observed
        return tuple((name, float(self.shift[j] / alarm[j]), float(self.expected[j]), float(obs[j]))
                     for j, name in enumerate(NAMES) if obs[j] == obs[j] and math.isfinite(alarm[j])) or None

    @staticmethod
    def shifts_of(snap: tuple | None) -> dict[str, ChannelShift]:
        if not snap:
            return {}
        return {name: ChannelShift(level=lv, expected=e, observed=o) for name, lv, e, o in snap}

    def state(self) -> dict:
        def arr(a):
            return None if a is None else [None if not math.isfinite(v) else float(v) for v in np.ravel(a)]
        return {"start_ts": None if math.isnan(self.start_ts) else self.start_ts,
                "coef": arr(self.coef), "ln_r_range": list(self.ln_r_range), "alarm": arr(self.alarm),
                "shift": arr(self.shift), "observed": arr(self.observed), "expected": arr(self.expected),
                "last_ts": None if math.isnan(self.last_ts) else self.last_ts}

    def load_state(self, d: dict) -> None:
        """A state without a learned baseline starts the baseline again (its rows are not kept)."""
        def arr(a, shape=None, fill=math.nan):
            if a is None:
                return None
            v = np.array([fill if x is None else x for x in a], dtype=float)
            return v.reshape(shape) if shape else v
        if d.get("coef") is None:
            return
        self.start_ts = float(d["start_ts"])
        self.coef = arr(d["coef"], (3, 2))
        self.ln_r_range = tuple(d["ln_r_range"])  # type: ignore[assignment]
        self.alarm = arr(d["alarm"], fill=math.inf)
        self._c = self.coef.tolist()
        self.shift = arr(d["shift"], fill=0.0).tolist()
        self.observed, self.expected = arr(d["observed"]).tolist(), arr(d["expected"]).tolist()
        self.last_ts = math.nan if d.get("last_ts") is None else float(d["last_ts"])


def _ewma(ts: np.ndarray, v: np.ndarray, tau: float) -> np.ndarray:
    out = np.empty_like(v)
    acc, last = 0.0, math.nan
    for i in range(len(ts)):
        dt = HOUR if math.isnan(last) else min(ts[i] - last, HOUR)
        last = ts[i]
        acc += (1.0 - math.exp(-dt / tau)) * (v[i] - acc)
        out[i] = acc
    return out
