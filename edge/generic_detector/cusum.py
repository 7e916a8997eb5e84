"""Two-sided CUSUM of standardized residuals: accumulates small persistent shifts.

Page's CUSUM ``S_t = max(0, S_{t-1} + z_t - k)`` (and the mirror for
downward shifts) adds up evidence for a shift larger than ``k`` sigma and
forgets noise, so a slow drift crosses its threshold long before a single
sample's z does. Plain CUSUM never forgets a long fault (it needs S/k samples
to come back down after the fault is gone, and a fault that lasted hours
keeps the alarm on for hours after the repair); this one leaks: ``S`` is
multiplied by ``decay`` = 1 - 1/memory each step, which bounds it at
(shift - k) * memory and lets it return to zero within a few memories after
the shift ends. With memory -> infinity it is Page's CUSUM. The detector
gives it the EWMA's memory (decay = 1 - lambda), one time scale for both.

:func:`cusum_block` computes the identical recursion for an array at once:
``S_t = g^t (D_t - min(-S_0, min_{j<=t} D_j))`` with ``D_t = sum_{i<=t} g^-i a_i``
(a reflected random walk is a running maximum of partial sums).
"""

from __future__ import annotations

import numpy as np

from heatwatch.edge.generic_detector.ewma import block_length


def cusum_step(s: np.ndarray, a: np.ndarray, decay: float) -> np.ndarray:
    """One leaky Lindley step ``max(0, decay * s + a)``; ``a`` = z - k (or -z - k)."""
    return np.maximum(0.0, decay * s + a)


def cusum_block(s0: np.ndarray, A: np.ndarray, decay: float) -> np.ndarray:
    """All states of the leaky Lindley recursion over the rows of A, from s0."""
    n = len(A)
    out = np.empty_like(A, dtype=np.float64)
    B = block_length(decay)
    s = np.asarray(s0, dtype=np.float64)
    for b in range(0, n, B):
        blk = A[b:b + B]
        t = np.arange(1, len(blk) + 1, dtype=np.float64)[:, None]
        gt = decay ** t
        D = np.cumsum(blk / gt, axis=0)
        low = np.minimum(-s, np.minimum.accumulate(D, axis=0))
        out[b:b + B] = np.maximum(0.0, gt * (D - low))
        s = out[b + len(blk) - 1]
    return out
