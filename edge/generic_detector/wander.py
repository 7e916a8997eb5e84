"""Healthy wander: how far a feature may stray from its training level h samples later.

A training window of a few hundred samples shows a feature's noise but only
the start of its slow healthy wander (a motor warming up, a room temperature
following the weather). Scoring a wandering feature against a frozen level
with its short-window sigma raises alarms all day.

The variogram says how a feature wanders: gamma(L) = Var(x_{t+L} - x_t) -
Var(x_{t+1} - x_t) is ~0 for noise around a fixed level, grows like L for a
random walk and like L² for a trend. Fitting gamma(L) = g (L / Lb)^alpha
between two lags of the training residuals (alpha clamped to [0, 2]) and
extrapolating it gives the variance a healthy feature may add to its
residual h samples after training. Only the growth beyond the short lag La
counts: ``sigma(h)² = sigma² + g ((h / Lb)^alpha - (La / Lb)^alpha)`` (0 for
h <= La). The window spans 16 La, so whatever the variogram reaches by La is
already in sigma (the robust spread of the whole window); counting it again
would give a stationary but autocorrelated feature (an AR(1) whose variogram
has levelled off at 2 sigma² by La: alpha ~ 0) a constant allowance as big as
its own variance, which blunts it, and double-counts it in the EWMA scale.
White noise and stationary features get no allowance and keep their full
sensitivity; a wanderer is judged by what its own history says is unusual.

Variances of differences are trimmed standard deviations squared (a quantized
sensor's differences are 0 on most rows, and their MAD says nothing), and a
few hundred rows estimate them roughly: any allowance at all needs the
variogram to grow from lag 1 to La by more than ``SIGNIFICANCE`` standard
errors, each variance counted with the independent differences it rests on
((n - L) / tau of the lag-L differences). Otherwise a wobble in the estimates
would be extrapolated, as a trend, for an hour. A conditioned expectation
model (LinearExpectation) that explains the wander leaves g ~ 0, so the allowance
fades by itself. ``max_horizon`` stops it growing forever on a device that
runs for months.
"""

from __future__ import annotations

import numpy as np

from heatwatch.edge.generic_detector.neff import autocorrelation_time
from heatwatch.edge.generic_detector.robust import trimmed_location_scale

SIGNIFICANCE = 2.0  # standard errors the variogram must grow by before any wander is allowed


def spread(D: np.ndarray) -> np.ndarray:
    """Per column the sigma of differences, as the trimmed standard deviation (robust.py):
    a few glitches cannot move it, and it does not collapse on a quantized sensor, whose
    differences are 0 on most rows (their MAD, and the fallbacks after it, say nothing
    about how far the sensor moves, and differ from lag to lag by chance)."""
    return trimmed_location_scale(D)[1]


def _tau(D: np.ndarray) -> np.ndarray:
    D = D - np.nanmean(D, axis=0)
    return autocorrelation_time(np.where(np.isfinite(D), D, 0.0))


class WanderModel:
    """Per-feature power-law variogram of the training residuals, extrapolated to horizon h."""

    def __init__(self, max_horizon: float = 3600.0) -> None:
        self.max_horizon = max_horizon
        self.g = np.zeros(0)
        self.lag = 1.0
        self.lag_a = 1.0
        self.alpha = np.zeros(0)

    def fit(self, R: np.ndarray) -> None:
        R = np.asarray(R, dtype=np.float64)
        n, F = R.shape
        self.g, self.alpha, self.lag, self.lag_a = np.zeros(F), np.ones(F), 1.0, 1.0
        lb = n // 4
        la = max(2, lb // 4)
        if lb <= la:
            return
        diffs = {L: R[L:] - R[:-L] for L in (1, la, lb)}
        v1, va, vb = (spread(diffs[L]) ** 2 for L in (1, la, lb))
        ga, gb = np.maximum(va - v1, 0.0), np.maximum(vb - v1, 0.0)
        # a variance from m independent values has standard error v sqrt(2 / m); lag-L
        # differences overlap, so m = (n - L) / tau of the differences themselves
        se = np.sqrt(2.0 * v1**2 * _tau(diffs[1]) / (n - 1) + 2.0 * va**2 * _tau(diffs[la]) / (n - la))
        gb = np.where(va - v1 > SIGNIFICANCE * se, gb, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = np.log(gb / ga) / np.log(lb / la)
        self.alpha = np.clip(np.where(np.isfinite(alpha), alpha, 1.0), 0.0, 2.0)
        self.g, self.lag, self.lag_a = gb, float(lb), float(la)

    def grid(self, h: np.ndarray | float) -> np.ndarray:
        """The horizon rounded up to a geometric grid (ratio 2^(1/8), capped at max_horizon).

        The allowance changes slowly, so the streaming path only recomputes its
        scales when the grid point changes (a few hundred times in all); the
        batch path uses the same grid, so both give the same numbers."""
        hh = np.maximum(np.asarray(h, dtype=np.float64), 1.0)
        return np.minimum(2.0 ** (np.ceil(np.log2(hh) * 8.0) / 8.0), self.max_horizon)

    def variance(self, h: np.ndarray | float) -> np.ndarray:
        """Extra healthy residual variance h samples after training (h may be an (n, 1) column)."""
        grown = (self.grid(h) / self.lag) ** self.alpha - (self.lag_a / self.lag) ** self.alpha
        return self.g * np.maximum(grown, 0.0)

    def state(self) -> dict:
        """The fitted variogram, JSON-safe (base.py)."""
        return {"g": self.g.tolist(), "alpha": self.alpha.tolist(), "lag": float(self.lag),
                "lag_a": float(self.lag_a), "max_horizon": float(self.max_horizon)}

    def load_state(self, state: dict) -> None:
        self.g, self.alpha = np.array(state["g"], float), np.array(state["alpha"], float)
        self.lag, self.lag_a = float(state["lag"]), float(state["lag_a"])
        self.max_horizon = float(state["max_horizon"])
