"""Run lengths of a condition, carried across chunks: the building block of persistence.

A trip that needs a low pressure held for 10 minutes (the simulator), a sensor
that reads the same value for an hour, an alarm that must hold for N samples
(the detectors): each is "how many rows in a row has this been true",
continued from the chunk before.
"""

from __future__ import annotations

import numpy as np


def run_lengths(cond: np.ndarray, carry: np.ndarray | int) -> np.ndarray:
    """r_t = r_{t-1} + 1 where ``cond`` else 0, along axis 0, starting from ``carry``.

    ``carry`` is the run length just before the first row (one per column, or
    one number for all). Vectorized: r_t is the distance to the last row where
    the condition was false; with no false row yet, the carried run adds on.
    """
    cond = np.asarray(cond, dtype=bool)
    n = cond.shape[0]
    if not cond.any():
        return np.zeros(cond.shape, np.int64)
    idx = np.arange(1, n + 1, dtype=np.int64).reshape((n,) + (1,) * (cond.ndim - 1))
    last_false = np.where(cond, 0, idx)
    np.maximum.accumulate(last_false, axis=0, out=last_false)
    run = idx - last_false
    carried = np.broadcast_to(np.asarray(carry, dtype=np.int64), cond.shape[1:])
    np.add(run, carried[None, ...], out=run, where=last_false == 0)
    return run
