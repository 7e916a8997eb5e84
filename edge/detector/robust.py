"""Robust location and scale: medians and MADs, so a few faulty training rows cannot move the baseline.

A mean/std baseline is pulled toward any fault that slipped into the training
window; the median and the median absolute deviation (MAD) are not (50 %
breakdown point). Quantized sensors (flow meters in 1 l/min steps, pressure
transducers in 0.3 bar steps) often have MAD = 0, so the scale falls back to
wider, still robust, spreads before it gives up to a tiny floor.
"""

from __future__ import annotations

import warnings

import numpy as np

MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution is 0.6745 sigma
IDR_TO_SIGMA = 1.0 / 2.5631  # (q90 - q10) of a normal distribution is 2.5631 sigma
MEANAD_TO_SIGMA = 1.2533  # mean absolute deviation of a normal distribution is 0.7979 sigma


def robust_location_scale(X: np.ndarray, floor: float = 1e-9) -> tuple[np.ndarray, np.ndarray]:
    """Per column median and a sigma-equivalent robust scale, ignoring NaN.

    Scale chain: 1.4826 MAD, else (q90 - q10) / 2.5631, else 1.2533 x mean
    absolute deviation, else ``floor`` x max(1, |median|). Each step is only
    used when the previous one is exactly zero (a quantized or constant column).
    """
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: handled below
        loc = np.nanmedian(X, axis=0)
        dev = np.abs(X - loc)
        scale = MAD_TO_SIGMA * np.nanmedian(dev, axis=0)
        q10, q90 = np.nanpercentile(X, [10.0, 90.0], axis=0)
        idr = IDR_TO_SIGMA * (q90 - q10)
        meanad = MEANAD_TO_SIGMA * np.nanmean(dev, axis=0)
    loc = np.where(np.isfinite(loc), loc, 0.0)
    for fallback in (idr, meanad):
        scale = np.where((scale > 0) & np.isfinite(scale), scale, fallback)
    tiny = floor * np.maximum(1.0, np.abs(loc))
    scale = np.where((scale > 0) & np.isfinite(scale), scale, tiny)
    return loc, np.maximum(scale, tiny)


def robust_quantile(values: np.ndarray, q: float) -> float:
    """The q-quantile of the finite values (0.0 when there are none)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    return float(np.quantile(v, q)) if v.size else 0.0


def normal_quantile(p: float) -> float:
    """Inverse of the standard normal CDF by bisection on erf (no scipy on the Pi)."""
    from math import erf, sqrt

    lo, hi = -10.0, 10.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if 0.5 * (1.0 + erf(mid / sqrt(2.0))) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def chi2_quantile(p: float, dof: int) -> float:
    """Wilson-Hilferty approximation of the chi-square p-quantile (good to ~1 % for dof >= 2)."""
    c = 2.0 / (9.0 * dof)
    return float(dof * (1.0 - c + normal_quantile(p) * np.sqrt(c)) ** 3)
