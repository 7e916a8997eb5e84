"""EWMA of standardized residuals: small persistent shifts stand out of the noise.

``e_t = (1 - lam) e_{t-1} + lam z_t``. For white noise the EWMA has standard
deviation sqrt(lam / (2 - lam)) (0.16 at lam = 0.05), so a 0.5 sigma shift
that is invisible per sample becomes a 3 sigma EWMA excursion in ~30 samples.
Real sensors are autocorrelated (a temperature wanders slowly): the EWMA scale
is therefore the larger of that white-noise value and the EWMA's own robust
spread over the training window, so slow healthy wander is not a "shift".

:func:`ewma_block` computes the same recursion for a whole array at once,
exactly (up to rounding), by a discounted cumulative sum in blocks short
enough that the discount factors stay well conditioned.
"""

from __future__ import annotations

import numpy as np


def block_length(decay: float, max_gain: float = 1e3, cap: int = 4096) -> int:
    """Rows per block so that decay**-block <= max_gain (keeps cumsums accurate)."""
    if decay >= 1.0 or decay <= 0.0:
        return cap
    return int(max(1, min(cap, np.floor(np.log(max_gain) / -np.log(decay)))))


def ewma_step(e: np.ndarray, z: np.ndarray, lam: float) -> np.ndarray:
    """One EWMA step (the streaming entry point)."""
    return (1.0 - lam) * e + lam * z


def ewma_block(e0: np.ndarray, Z: np.ndarray, lam: float) -> np.ndarray:
    """EWMA over the rows of Z starting from state e0; returns all (n, F) states."""
    if lam >= 1.0:  # no memory: the EWMA is the residual itself
        return np.array(Z, dtype=np.float64, copy=True)
    n = len(Z)
    out = np.empty_like(Z, dtype=np.float64)
    g = 1.0 - lam
    B = block_length(g)
    e = np.asarray(e0, dtype=np.float64)
    for s in range(0, n, B):
        blk = Z[s:s + B]
        t = np.arange(1, len(blk) + 1, dtype=np.float64)[:, None]
        gt = g ** t
        # e_t = g^t (e0 + lam * sum_{i<=t} g^-i z_i)
        out[s:s + B] = gt * (e + np.cumsum(lam * blk / gt, axis=0))
        e = out[s + len(blk) - 1]
    return out
