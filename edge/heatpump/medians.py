"""numpy's nanmedian of a fit's columns, the same digits with less of its machinery.

A commissioning window's fit (detector._fit: the fit itself, the alarm's calibration, the fleet's
admission) takes a dozen medians of a few thousand rows, and a fleet-judged pump refits every
week its window is refused: in a season's replay about a third of the fit's CPU went to
``np.nanmedian``'s dispatch (masked arrays below 600 rows, ``apply_along_axis`` above), not to
the medians. nanmedian of a column is np.median of its non-NaN values (its masked median below
600 rows takes the same middle value, or adds the same two and halves the sum), and a median's
value does not depend on the order of the values, but for one thing: equal values of another
sign, -0.0 and 0.0. A column whose median is zero is therefore taken by np.nanmedian itself,
and so is a median near the largest float (the masked median adds the middle value to itself).
"""

from __future__ import annotations

import warnings

import numpy as np

_HUGE = 2.0 ** 1022  # beyond this, x + x overflows to inf where np.median keeps x


def nanmedian_columns(A: np.ndarray) -> np.ndarray:
    """``np.nanmedian(A, axis=0)`` of a 2-D array, the same digits (an all-NaN column: NaN, without
    nanmedian's warning)."""
    nan = np.isnan(A)
    if not nan.any():
        out = np.median(A, axis=0)
    else:
        out = np.empty(A.shape[1])
        for j in range(A.shape[1]):
            v = A[~nan[:, j], j]
            out[j] = np.median(v) if len(v) else np.nan
    if ((out == 0.0) | (np.abs(out) >= _HUGE)).any():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.nanmedian(A, axis=0)
    return out


def robust_sigma_1d(x: np.ndarray) -> float:
    """``healthy_model.robust_sigma`` of a 1-D array, the same digits: 1.4826 x its median absolute
    deviation (NaN if every value is NaN). The sign of a zero median does not reach the result
    (|x - 0.0| and |x - -0.0| are the same), and the deviations hold no -0.0."""
    if np.isnan(x).any():
        x = x[~np.isnan(x)]
        if not len(x):
            return np.nan
    dev = np.abs(x - _median(x))
    if np.isnan(dev).any():  # inf - inf, where more than half the values are one infinity
        dev = dev[~np.isnan(dev)]
        if not len(dev):
            return np.nan
    return 1.4826 * _median(dev)


def median_1d(x: np.ndarray) -> float:
    """``float(np.median(x))`` of a 1-D array, the same value; the sign of a zero it may not keep
    (for callers that read it through abs, a square or |v - median|)."""
    if not len(x) or np.isnan(x).any():
        return float(np.median(x))
    return _median(x)


def _median(x: np.ndarray) -> float:
    """np.median of a 1-D array without NaN, without its dispatch (a fit takes 46 of them): the
    same partition's middle value, or the two middle values' sum halved as its mean halves it
    (a zero's sign aside: robust_sigma_1d reads it only through |x - median| and of values >= 0)."""
    h = len(x) // 2
    if len(x) % 2:
        return float(np.partition(x, h)[h])
    p = np.partition(x, (h - 1, h))
    return (float(p[h - 1]) + float(p[h])) / 2.0
