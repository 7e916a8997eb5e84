"""Robust location and scale: medians and MADs, so a few faulty training rows cannot move the baseline.

A mean/std baseline is pulled toward any fault that slipped into the training
window; the median and the median absolute deviation (MAD) are not (50 %
breakdown point). Quantized sensors (flow meters in 1 l/min steps, pressure
transducers in 0.3 bar steps) often have MAD = 0, so the scale falls back to
wider, still robust, spreads before it gives up to a tiny floor.

The median and the MAD answer "where is the bulk", which is not always what a
detector needs. A quantized sensor that reads 32 on 70 % of samples and 33 on
the rest has a median of 32 and a MAD of (nearly) 0, but a mean of 32.3 and a
standard deviation of 0.46: an EWMA or a CUSUM of residuals about the median
drifts by itself, and a per-sample z about a collapsed MAD calls every 33 a
many-sigma event. :func:`trimmed_location_scale` gives the trimmed mean and
trimmed standard deviation (the central 95 % by default, so a few wild rows
still cannot move them), which are what accumulating statistics need.

:func:`student_t_isf` is the Student-t tail quantile (no scipy on the Pi): the
predictive distribution of a new value judged against a mean and a scale that
were estimated from few independent observations.
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
    # np.median where nothing is missing: the same values as np.nanmedian (which, under 600 rows, goes
    # through masked arrays at ~7x the cost); the fallbacks only where a MAD is 0. A robust regression
    # (given.py's Huber fit) calls this once per iteration per column: the generic detector's fit time.
    median = np.nanmedian if X.size == 0 or np.isnan(X).any() else np.median
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns: handled below
        loc = median(X, axis=0)
        dev = np.abs(X - loc)
        scale = MAD_TO_SIGMA * median(dev, axis=0)
        if not np.all((scale > 0) & np.isfinite(scale)):
            q10, q90 = np.nanpercentile(X, [10.0, 90.0], axis=0)
            idr = IDR_TO_SIGMA * (q90 - q10)
            meanad = MEANAD_TO_SIGMA * np.nanmean(dev, axis=0)
            for fallback in (idr, meanad):
                scale = np.where((scale > 0) & np.isfinite(scale), scale, fallback)
    loc = np.where(np.isfinite(loc), loc, 0.0)
    tiny = floor * np.maximum(1.0, np.abs(loc))
    scale = np.where((scale > 0) & np.isfinite(scale), scale, tiny)
    return loc, np.maximum(scale, tiny)


def robust_quantile(values: np.ndarray, q: float) -> float:
    """The q-quantile of the finite values (0.0 when there are none)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    return float(np.quantile(v, q)) if v.size else 0.0


def trimmed_location_scale(X: np.ndarray, trim: float = 0.025) -> tuple[np.ndarray, np.ndarray]:
    """Per column the mean and the standard deviation of the values between the ``trim`` and
    1 - ``trim`` quantiles (NaN ignored); the deviation is rescaled so that a normal column
    gets its sigma back (the central part of a normal is narrower than the whole).

    Values tied with a cut point stay in, so a quantized column keeps all of its levels
    that hold more than ``trim`` of the rows. Columns without finite values give (0, 0)."""
    X = np.atleast_2d(np.asarray(X, dtype=np.float64))
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = np.nanpercentile(X, [100.0 * trim, 100.0 * (1.0 - trim)], axis=0)
        M = np.where((X >= lo) & (X <= hi), X, np.nan)
        loc = np.nanmean(M, axis=0)
        sd = np.nanstd(M, axis=0)
    c = 1.0
    if trim > 0.0:
        from math import exp, pi, sqrt
        zq = normal_quantile(1.0 - trim)
        c = sqrt(1.0 - 2.0 * zq * exp(-0.5 * zq * zq) / sqrt(2.0 * pi) / (1.0 - 2.0 * trim))
    loc = np.where(np.isfinite(loc), loc, 0.0)
    sd = np.where(np.isfinite(sd), sd / c, 0.0)
    return loc, sd


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


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularized incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)), -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1.0 + aa * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-14:
            break
    return h


def _betai(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta function I_x(a, b)."""
    from math import exp, lgamma, log

    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log(1.0 - x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def student_t_sf(t: float, dof: float) -> float:
    """P(T > t) for Student's t with ``dof`` degrees of freedom, t >= 0."""
    return 0.5 * _betai(0.5 * dof, 0.5, dof / (dof + t * t))


def student_t_isf(p: float, dof: float) -> float:
    """The t with P(T > t) = p (0 < p < 0.5), by bisection on :func:`student_t_sf`."""
    lo, hi = 0.0, 1.0
    while student_t_sf(hi, dof) > p and hi < 1e12:
        hi *= 2.0
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        if student_t_sf(mid, dof) > p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
