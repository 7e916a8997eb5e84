"""Sensor flags: per-feature sensor-fault checks, reported apart from process anomalies.

A broken sensor is a cheap visit; a "leak" that is a drifting sensor is a
wasted one. These checks look at each feature alone, with limits learned
from the healthy window wherever possible, so they work on any series (the
agent's heat-pump checks, heatwatch.edge.heatpump.sensor_checks, know each
channel and the channel that must move with it instead):

- ``RANGE``   outside given plausibility limits (e.g. heatwatch.channels);
- ``STUCK``   unchanged for longer than twice the longest flat run seen in
              training (a quantized, often-constant sensor is not stuck);
- ``JUMP``    a step larger than ``jump_k`` robust sigmas of the healthy
              steps and twice the largest healthy step;
- ``DROPOUT`` the value is missing (NaN);
- ``NOISE``   the EWMA of |step| is ``noise_ratio`` times its healthy mean
              (a loose connector, EMI); steps, not levels, so a real
              process change is not mistaken for noise; each step is capped
              at 2 x noise_ratio x the healthy mean so one spike (a JUMP)
              does not read as a noisy sensor.
Flags are bit masks per feature and per sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from heatwatch.edge.generic_detector.ewma import ewma_block
from heatwatch.edge.generic_detector.robust import robust_location_scale
from heatwatch.runs import run_lengths

RANGE, STUCK, JUMP, DROPOUT, NOISE = 1, 2, 4, 8, 16
FLAG_NAMES: dict[int, str] = {RANGE: "out of range", STUCK: "stuck", JUMP: "jump",
                              DROPOUT: "dropout", NOISE: "noisy"}


def flag_text(mask: int) -> str:
    return ", ".join(name for bit, name in FLAG_NAMES.items() if mask & bit)


@dataclass
class SensorFlagConfig:
    min_stuck: int = 30
    jump_k: float = 12.0
    noise_ratio: float = 3.0
    noise_lambda: float = 0.05


def last_finite(X: np.ndarray) -> np.ndarray:
    """The last non-NaN value of each column (NaN if a column has none)."""
    out = np.full(X.shape[1], np.nan)
    for j in range(X.shape[1]):
        ok = np.flatnonzero(~np.isnan(X[:, j]))
        if ok.size:
            out[j] = X[ok[-1], j]
    return out


class SensorFlags:
    """Learned per-feature limits plus the small streaming state the checks need."""

    def __init__(self, config: SensorFlagConfig | None = None,
                 low: np.ndarray | None = None, high: np.ndarray | None = None) -> None:
        self.config = config or SensorFlagConfig()
        self.low_given, self.high_given = low, high
        self.n_features = 0

    def fit(self, X: np.ndarray) -> None:
        c = self.config
        X = np.asarray(X, dtype=np.float64)
        F = X.shape[1]
        self.n_features = F
        self.low = np.full(F, -np.inf) if self.low_given is None else np.asarray(self.low_given, float)
        self.high = np.full(F, np.inf) if self.high_given is None else np.asarray(self.high_given, float)
        D = np.diff(X, axis=0)
        absd = np.abs(D)
        _, dscale = robust_location_scale(D)
        with np.errstate(invalid="ignore"):
            maxstep = np.nan_to_num(np.nanmax(absd, axis=0, initial=0.0), nan=0.0) if len(D) else np.zeros(F)
            flat = (absd == 0)
        longest = run_lengths(flat, 0).max(axis=0) if len(D) else np.zeros(F, dtype=np.int64)
        self.stuck_len = np.maximum(c.min_stuck, 2 * longest + 1).astype(np.int64)
        self.jump = np.maximum(c.jump_k * dscale, 2.0 * maxstep)
        mean_abs = np.nanmean(absd, axis=0) if len(D) else np.ones(F)
        self.step_mean = np.where(np.isfinite(mean_abs) & (mean_abs > 0), mean_abs, dscale)
        self.step_cap = 2.0 * c.noise_ratio * self.step_mean
        self._derive()
        self.reset_state(last_finite(X))

    def _derive(self) -> None:
        """Constants the streaming step multiplies by (recomputed after a restore)."""
        c = self.config
        self.has_limits = bool(np.isfinite(self.low).any() or np.isfinite(self.high).any())
        self.noise_limit = c.noise_ratio * self.step_mean
        self._keep, self._lam = 1.0 - c.noise_lambda, c.noise_lambda

    def reset_state(self, last: np.ndarray) -> None:
        self.last = np.array(last, dtype=np.float64)  # last finite value per feature
        self.flat_run = np.zeros(self.n_features, dtype=np.int64)
        self.noise = self.step_mean.copy()  # EWMA of |step|, starts at its healthy mean

    def step(self, x: np.ndarray) -> np.ndarray:
        """Flags for one sample; advances the state (about a dozen small-array operations)."""
        absd = np.abs(x - self.last)  # NaN when x (or every earlier value) is missing
        missing = absd != absd
        self.flat_run = (self.flat_run + 1) * (absd == 0)
        self.noise = self._keep * self.noise + self._lam * np.minimum(np.where(missing, self.step_mean, absd), self.step_cap)
        if missing.any():
            missing = x != x
            self.last = np.where(missing, self.last, x)
        else:
            self.last = x.copy()
        flags = (STUCK * (self.flat_run >= self.stuck_len) + JUMP * (absd > self.jump)
                 + DROPOUT * missing + NOISE * (self.noise > self.noise_limit))
        if self.has_limits:
            flags += RANGE * ((x < self.low) | (x > self.high))
        return flags

    def block(self, X: np.ndarray) -> np.ndarray:
        """Flags for every row of X, identical to calling :meth:`step` row by row."""
        c = self.config
        n, F = X.shape
        missing = np.isnan(X)
        # last finite value before each row (carried state for the first)
        idx = np.arange(n)[:, None]
        where_ok = np.maximum.accumulate(np.where(missing, -1, idx), axis=0)
        filled = np.where(where_ok >= 0, X[np.maximum(where_ok, 0), np.arange(F)], self.last)
        prev = np.vstack([self.last[None, :], filled[:-1]])
        absd = np.abs(X - prev)
        with np.errstate(invalid="ignore"):
            flat = absd == 0
        runs = run_lengths(flat, self.flat_run)
        step = np.minimum(np.where(np.isnan(absd), self.step_mean, absd), self.step_cap)
        noise = ewma_block(self.noise, step, c.noise_lambda)
        with np.errstate(invalid="ignore"):
            flags = (np.where((X < self.low) | (X > self.high), RANGE, 0)
                     | np.where(runs >= self.stuck_len, STUCK, 0)
                     | np.where(absd > self.jump, JUMP, 0)
                     | np.where(missing, DROPOUT, 0)
                     | np.where(noise > self.noise_limit, NOISE, 0))
        if n:
            self.last = filled[-1]
            self.flat_run = runs[-1]
            self.noise = noise[-1]
        return flags.astype(np.int64)

    _FLOATS = ("low", "high", "jump", "step_mean", "step_cap", "last", "noise")
    _COUNTS = ("stuck_len", "flat_run")

    def state(self) -> dict:
        """Learned limits and streaming state, JSON-safe (base.py)."""
        return {k: getattr(self, k).tolist() for k in self._FLOATS + self._COUNTS}

    def load_state(self, state: dict) -> None:
        for k in self._FLOATS:
            setattr(self, k, np.array(state[k], dtype=np.float64))
        for k in self._COUNTS:
            setattr(self, k, np.array(state[k], dtype=np.int64))
        self.n_features = len(self.low)
        self._derive()
