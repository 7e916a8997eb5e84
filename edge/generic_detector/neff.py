"""How many independent rows a training window holds, and what that costs the alarm level.

A feature's scale and level are estimated from the training window; a 1e-4
alarm level taken from a normal distribution assumes they are known. They are
not, and for a slowly varying feature far less is known than the row count
suggests: 400 rows of a motor temperature that takes two minutes to change
are a handful of independent observations of it, 400 rows of vibration noise
are 400.

The integrated autocorrelation time ``tau = 1 + 2 sum_k rho_k`` says how
many rows make one independent observation; ``n_eff = n / tau``. It is
estimated with Geyer's initial monotone sequence (sums of adjacent
autocorrelation pairs, cut at the first that is not positive, made
non-increasing), which needs no lag window to tune.

A new value judged against a mean and a scale estimated from n_eff
independent observations follows Student's t with n_eff - 1 degrees of
freedom and scale sigma * sqrt(1 + 1 / n_eff) (the normal predictive
distribution with both parameters unknown). The detector keeps working in
normal units and instead divides each feature's standardized residual by
:func:`predictive_inflation`: the ratio of that t quantile to the normal one
at the feature's share of the alarm's false-alarm probability (1e-4 / F per
sample: the score is a maximum over features). A feature known from hundreds
of independent rows keeps its sensitivity (ratio ~1.01 at n_eff = 400); one
seen a few times in the window is judged by what a few observations can
support (with 8 features: 1.4 at n_eff = 20, 2.1 at 10, 75 at 3). No feature
is dropped or named; the data decide.

The same tau gives the null model its autocorrelation (:func:`ar1_filter`):
an AR(1) with coefficient (tau - 1) / (tau + 1) has integrated
autocorrelation time tau, which is what sets how far an EWMA or a CUSUM of
the feature wanders.
"""

from __future__ import annotations

import numpy as np

from heatwatch.edge.generic_detector.robust import normal_quantile, student_t_isf


def autocorrelation_time(Z: np.ndarray) -> np.ndarray:
    """Per column the integrated autocorrelation time (>= 1) by Geyer's initial monotone
    sequence estimator; constant columns give 1."""
    Z = np.asarray(Z, dtype=np.float64)
    n, F = Z.shape
    if n < 4:
        return np.ones(F)
    D = Z - Z.mean(axis=0)
    f = np.fft.rfft(D, 2 * n, axis=0)
    acov = np.fft.irfft(f * np.conj(f), 2 * n, axis=0)[:n]
    var = acov[0]
    ok = var > 0
    rho = acov / np.where(ok, var, 1.0)
    m = n // 2
    gamma = rho[0:2 * m:2] + rho[1:2 * m:2]  # (m, F): rho_2k + rho_2k+1
    positive = np.cumprod(gamma > 0, axis=0).astype(bool)  # up to the first non-positive pair
    gamma = np.minimum.accumulate(np.where(positive, gamma, 0.0), axis=0)  # non-increasing
    tau = -1.0 + 2.0 * np.sum(np.where(positive, gamma, 0.0), axis=0)
    return np.where(ok, np.maximum(tau, 1.0), 1.0)


def predictive_inflation(n_eff: np.ndarray, prob: float) -> np.ndarray:
    """Per feature: how much wider the two-sided ``prob`` predictive quantile is than the
    normal one when mean and scale come from ``n_eff`` independent rows (>= 1)."""
    n_eff = np.maximum(np.asarray(n_eff, dtype=np.float64), 1.0)
    p = 0.5 * prob
    zn = normal_quantile(1.0 - p)
    out = np.empty_like(n_eff)
    cache: dict[float, float] = {}
    for i, ne in enumerate(n_eff):
        dof = round(max(ne - 1.0, 1.0), 2)  # t quantiles change slowly in dof: cache by 0.01
        if dof not in cache:
            cache[dof] = student_t_isf(p, dof) / zn
        out[i] = cache[dof] * np.sqrt(1.0 + 1.0 / ne)
    return out


def ar1_filter(E: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Unit-variance innovations E (rows) -> stationary AR(1) rows with per-column coefficient
    ``rho`` (0 <= rho < 1) and unit variance: the simplest process with a given integrated
    autocorrelation time, tau = (1 + rho) / (1 - rho). Cross-column correlation of E is kept
    at lag 0 for columns with equal rho."""
    E = np.asarray(E, dtype=np.float64)
    rho = np.clip(np.asarray(rho, dtype=np.float64), 0.0, 0.9999)
    out = np.empty_like(E)
    if len(E) == 0:
        return out
    gain = np.sqrt(1.0 - rho**2)
    prev = E[0].copy()  # started in the stationary distribution
    out[0] = prev
    for t in range(1, len(E)):
        prev = rho * prev + gain * E[t]
        out[t] = prev
    return out
