"""Run lengths of a condition, carried across calls: the building block of persistence rules."""

from __future__ import annotations

import numpy as np


def run_lengths(cond: np.ndarray, carry: np.ndarray | int) -> np.ndarray:
    """r_t = r_{t-1} + 1 where cond else 0, along axis 0, starting from ``carry``.

    Vectorized: r_t is the distance to the last row where cond was false (the
    carried run counts as that many true rows before the first one).
    """
    cond = np.asarray(cond, dtype=bool)
    n = cond.shape[0]
    idx = np.arange(n).reshape((n,) + (1,) * (cond.ndim - 1))
    start = -1 - np.asarray(carry, dtype=np.int64)
    last_false = np.maximum.accumulate(np.where(cond, start, idx), axis=0)
    return (idx - last_false).astype(np.int64)
