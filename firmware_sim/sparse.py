"""Evaluating a costly formula only where it applies: at the (step, pump) positions of a mask.

The refrigerant cycle matters only where a compressor runs, the reverse cycle
only while a pump defrosts, frost grows only below +6 °C: most positions of a
chunk need none of them. Every formula of the simulator is element-wise, so it
can be evaluated on the positions a mask selects, gathered into flat blocks
small enough to stay in cache, and scattered back; each value is computed by
the same operations as on the whole (n, D) arrays, so the result is bit for bit
the same, in a fraction of the time.

    for idx, cols in blocks(mask):
        at = Picker(idx, cols, D)
        out.reshape(-1)[idx] = formula(at(a), at(b), ...)
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

BLOCK = 16384  # values per block of the compressed element-wise formulas (fits in L2 cache)

_COLMAP: dict[tuple[int, int], np.ndarray] = {}


def blocks(mask: np.ndarray, size: int = BLOCK) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(flat indices, columns) of the True values of a (n, D) mask, ``size`` at a time."""
    idx = np.flatnonzero(mask)
    if not len(idx):
        return
    n, D = mask.shape
    cols = _column_map(n, D).take(idx)  # a gather: cheaper than idx % D
    for b in range(0, len(idx), size):
        yield idx[b:b + size], cols[b:b + size]


def _column_map(n: int, D: int) -> np.ndarray:
    """The column of each flat position of an (n, D) array."""
    m = _COLMAP.get((n, D))
    if m is None:
        if len(_COLMAP) > 8:
            _COLMAP.clear()
        m = _COLMAP[(n, D)] = np.tile(np.arange(D), n)
    return m


class Picker:
    """The values of a scalar, (D,), (n, 1) or (n, D) operand at flat positions of an (n, D) array."""

    def __init__(self, idx: np.ndarray, cols: np.ndarray, D: int):
        self.idx, self.cols, self.D = idx, cols, D

    def __call__(self, a):
        if np.ndim(a) == 0:
            return a
        if a.ndim == 1:
            return a[self.cols]
        if a.shape[1] == 1:
            return a[self.idx // self.D, 0]
        return np.take(a, self.idx)
