"""Persistent shifts: an exponentially weighted mean of residuals over hours.

A slow leak moves superheat by a tenth of a kelvin a day, far below one
reading's noise; averaged over hours it stands out. The weight depends on
elapsed time, not on the number of samples, so a 10 s poll and a 60 s export
give the same shift. Its alarm level is calibrated on the commissioning
window's own shift series (which carries the residuals' autocorrelation) and
never below the smallest drift that matters physically.
"""

from __future__ import annotations

import math

import numpy as np

from heatwatch.edge.heatpump import batch_kernels
from heatwatch.edge.heatpump.medians import nanmedian_columns

MAX_STEP = 3600.0  # a long gap counts as one hour, not as a reset


class PersistentShift:
    def __init__(self, n: int, tau_seconds: float):
        self.tau = tau_seconds
        self.residual = np.zeros(n)  # EWMA of observed - expected
        self.observed = np.full(n, np.nan)  # EWMA of observed (for explanations)
        self.last_ts = math.nan

    def update(self, ts: float, observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
        dt = MAX_STEP if math.isnan(self.last_ts) else min(ts - self.last_ts, MAX_STEP)
        alpha = 1.0 - math.exp(-max(dt, 0.0) / self.tau)
        self.last_ts = ts
        r = observed - expected
        ok = ~np.isnan(r)
        self.residual[ok] += alpha * (r[ok] - self.residual[ok])
        first = ok & np.isnan(self.observed)
        self.observed[first] = observed[first]
        again = ok & ~first
        self.observed[again] += alpha * (observed[again] - self.observed[again])
        return self.residual

    def update_one(self, ts: float, observed: float) -> float:
        """``update`` of a one-channel shift against zero, in plain floats: the same digits."""
        dt = MAX_STEP if math.isnan(self.last_ts) else min(ts - self.last_ts, MAX_STEP)
        alpha = 1.0 - math.exp(-max(dt, 0.0) / self.tau)
        self.last_ts = ts
        r = observed - 0.0
        if r == r:
            res = float(self.residual[0])
            self.residual[0] = res + alpha * (r - res)
            obs = float(self.observed[0])
            self.observed[0] = observed if obs != obs else obs + alpha * (observed - obs)
        return float(self.residual[0])

    def state(self) -> dict:
        return {"residual": self.residual.tolist(), "observed": self.observed.tolist(), "last_ts": self.last_ts}

    def load_state(self, d: dict) -> None:
        self.residual = np.asarray(d["residual"], dtype=float)
        self.observed = np.asarray(d["observed"], dtype=float)
        self.last_ts = float(d["last_ts"])


def calibrate_alarm(ts: np.ndarray, residuals: np.ndarray, tau_seconds: float, k: float,
                    min_shift: np.ndarray) -> np.ndarray:
    """Alarm level per target: k x robust spread of the training shift series, floored."""
    tracker = PersistentShift(residuals.shape[1], tau_seconds)
    if batch_kernels.AVAILABLE:  # the recurrence compiled (update's digits): a fit's thousands of rows at once
        ts = np.ascontiguousarray(ts, dtype=float)
        R = np.ascontiguousarray(residuals, dtype=float)
        series, _ = batch_kernels.run_shift(tracker, np.arange(len(ts)), ts, R, np.zeros_like(R))
    else:
        series = np.empty_like(residuals)
        for i in range(len(ts)):
            series[i] = tracker.update(float(ts[i]), residuals[i], np.zeros(residuals.shape[1]))
    # skip the first tau, while the average is still filling up
    settled = series[ts >= ts[0] + tau_seconds] if len(ts) and ts[-1] - ts[0] > 2 * tau_seconds else series
    med = nanmedian_columns(settled)  # np.nanmedian's digits (medians.py)
    spread = 1.4826 * nanmedian_columns(np.abs(settled - med))
    return np.fmax(k * np.nan_to_num(spread, nan=0.0), min_shift)
