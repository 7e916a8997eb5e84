"""The operating envelope grows: how sure the healthy model is of a prediction, and what it
learns beyond its commissioning.

A pump commissioned in a mild October heats at the compressor's lowest speed; its only fast
minutes are hot-water runs at 50 degC flow. In January, at 45 Hz and a 31 degC flow (inside the
box of each feature's range), the ridge model can only extrapolate, and the valve opening, the
current and the frequency a healthy pump shows there drift from it by one to three alarm levels:
read as a leak. A prediction's own uncertainty says how much of that to believe:

* the leverage h = f'Mf, M = (F'F + ridge)^-1 over the rows the model was fitted on, measures how
  far a reading's operating point lies from them; a prediction's error variance grows in
  proportion to it (sigma^2 h for least squares; the ridge fit's is at most that). The
  commissioning's 99th percentile of it is the reference h_ref;
* the alarm level A is k standard deviations of the shift as calibrated on the commissioning's own
  points: whatever error the prediction made there, up to h_ref, lay within that spread, so at
  h_ref it is at most one such standard deviation (A / k), and beyond it grows as sqrt(h / h_ref).
  A reading adds the excess e = sqrt((h - h_ref)+ / h_ref) of them;
* the shift averages residuals at several operating points; its prediction error is the same
  average of theirs, whose standard deviation is at most the average of theirs (Minkowski; equal
  when they are perfectly correlated, as errors of one coefficient vector at nearby points are).
  So the shift is judged against A sqrt(1 + u^2), u the average of e with the shift's own weights,
  the noise the level was calibrated on and the prediction's excess error in quadrature.

Inside what commissioning saw nothing changes; at nine times h_ref a level is about three times
wider (a drift of one or two levels is within what the model cannot know there, a leak's valve at
six still stands out). Every reading is judged: none is skipped for being far out (skipping them
named a leak that began during a half-day commissioning only after its trip). The statistics of
the fit alone (the residuals' long-run variance per row, by batch means over 6-hour blocks, times
h) are far below the alarm floors (the valve: k^2 c h about 1 %^2 against a 5 % floor at 10 h_ref):
what goes wrong beyond the commissioning is the model's form, which its own rows cannot show, only
bound.

The envelope grows, as compressor_efficiency.py's reference does: in a block of BLOCK_SECONDS
whose judged readings (at least MIN_BLOCK_ROWS) all stayed below HEALTHY_LEVEL, the steady
readings beyond the reference leverage are kept; they are learned once the next block closed
healthy too (a slowly starting fault does not teach itself), and the model is refitted from the
commissioning's normal equations plus the learned ones: sums F'F and F'y, no rows kept. Only new
operating points are learned, so a slow fault at points already known is never taught to the
model, and the learned rows never weigh more than the commissioning's (MAX_LEARNED_SHARE: their
sums are scaled down as more come, the oldest fading first).

Streaming and batch replay make the same decisions on the same numbers: the leverage is
computed elementwise in a fixed order (the same digits for one row or many), blocks close on
the first reading of the next block, and a learned block's sums are taken over the same rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from heatwatch.edge.heatpump import batch_kernels
from heatwatch.edge.heatpump.healthy_model import HealthyModel, NormalEquations, solve
from heatwatch.units import HOUR

REFERENCE_PERCENTILE = 99.0
BLOCK_SECONDS = 6 * HOUR  # one averaging time of the shift: one piece of evidence
MIN_BLOCK_ROWS = 6
HEALTHY_LEVEL = 0.5  # a block is learned only if no judged level reached this while it ran
MAX_LEARNED_SHARE = 1.0  # learned rows' total weight at most this times the commissioning's


def leverage(M: np.ndarray, F: np.ndarray) -> np.ndarray:
    """f'Mf for each row of F (..., n_f): elementwise, in a fixed order, so that one row and a
    chunk of rows give the same digits (a matrix product's blocking would not). NaN rows: NaN."""
    n = M.shape[0]
    # g_k = sum_m M[k, m] f_m for every k at once (column k of G): the same products and sums per
    # element as one k at a time, in a seventh of the numpy calls
    G = np.zeros(F.shape[:-1] + (n,))
    for m in range(n):
        G = G + F[..., m, None] * M[:, m]
    h = np.zeros(F.shape[:-1])
    for k in range(n):
        h = h + F[..., k] * G[..., k]
    return h


def leverage_row(M: list[list[float]], f: list[float]) -> float:
    """``leverage`` of one row in plain floats (the agent's reading by reading): the same operations
    in the same order, so the same digits, without a numpy call per term."""
    n = len(M)
    h = 0.0
    for k in range(n):
        g = 0.0
        row = M[k]
        for m in range(n):
            g = g + row[m] * f[m]
        h = h + f[k] * g
    return h


@dataclass
class _Block:
    index: int = -1
    worst: float = 0.0
    judged: int = 0


class GrowingEnvelope:
    """How sure the model is at an operating point, and what it learns beyond its commissioning."""

    def __init__(self, commissioning: NormalEquations, F: np.ndarray, ridge: float) -> None:
        self.ridge = ridge
        self.base = commissioning
        self.learned = commissioning.zeros_like()
        Fo = F[~np.isnan(F).any(axis=1)]
        self.gram = Fo.T @ Fo  # every fitted row, for the leverage
        self.rows = float(len(Fo))
        self.learned_gram = np.zeros_like(self.gram)
        self.learned_rows = 0.0
        self._set_inverse()
        self.h_ref = float(np.percentile(leverage(self.M, Fo), REFERENCE_PERCENTILE)) if len(Fo) else math.inf
        self.refits = 0
        self._reset_blocks()

    def _reset_blocks(self, index: int = -1) -> None:
        self.last_learned: np.ndarray | None = None  # the feature rows of the last block learned
        self.block = _Block(index)
        self._rows_f: list[np.ndarray] = []  # this block's steady rows beyond the reference leverage
        self._rows_y: list[np.ndarray] = []
        self._pending: tuple[np.ndarray, np.ndarray] | None = None  # the last healthy block's rows

    def _set_inverse(self) -> None:
        n_f = self.gram.shape[0]
        total = self.rows + self.learned_rows
        mask = np.diag([0.0] + [1.0] * (n_f - 1))  # the intercept is not shrunk (healthy_model.fit)
        self.M = np.linalg.inv(self.gram + self.learned_gram + self.ridge * max(total, 1.0) * mask)
        self._M_rows = self.M.tolist()

    def leverage(self, F: np.ndarray) -> np.ndarray:
        """h of each row of F (n, n_f); one row goes through plain floats, a chunk through the compiled
        leverage_rows (the same digits as the numpy passes of ``leverage``)."""
        if len(F) == 1:
            return np.array([self.leverage_one(F[0].tolist())])
        if batch_kernels.AVAILABLE and F.ndim == 2:
            return batch_kernels.leverage_rows(self.M, np.ascontiguousarray(F, dtype=np.float64))
        return leverage(self.M, F)

    def leverage_one(self, f: list[float]) -> float:
        """h of one feature row given as floats (the agent's reading by reading)."""
        return leverage_row(self._M_rows, f)

    # -- judging ----------------------------------------------------------------
    def excess(self, h: np.ndarray) -> np.ndarray:
        """Per row of leverages h, the prediction's error beyond what the calibrated level covers,
        in standard deviations of that level: sqrt((h - h_ref)+ / h_ref). NaN rows: NaN."""
        return np.sqrt(np.maximum(h - self.h_ref, 0.0) / self.h_ref)

    def excess_one(self, h: float) -> float:
        """``excess`` of one leverage, in plain floats: the same digits (sqrt is correctly rounded
        either way; max keeps a NaN as np.maximum does)."""
        if not self.h_ref > 0.0:  # no reference (never from a fit: its bias feature is 1): numpy's inf/NaN
            return float(self.excess(np.array([h]))[0])
        e = h - self.h_ref
        return math.sqrt((e if e >= 0.0 or e != e else 0.0) / self.h_ref)

    # -- growing ----------------------------------------------------------------
    @staticmethod
    def block_of(ts: float) -> int:
        return int(ts // BLOCK_SECONDS)

    def observe(self, F: np.ndarray, Y: np.ndarray, steady: np.ndarray, judged: np.ndarray,
                levels: np.ndarray, h: np.ndarray) -> None:
        """Rows of the current block (and their leverages h): steady ones beyond the reference
        leverage are kept; the judged ones' levels (max over channels, after each row) make the
        block's worst."""
        if judged.any():
            self.block.worst = max(self.block.worst, float(np.max(levels[judged])))
            self.block.judged += int(np.count_nonzero(judged))
        if steady.any():
            Fs, Ys = F[steady], Y[steady]
            far = h[steady] > self.h_ref
            if far.any():
                self._rows_f.append(Fs[far])
                self._rows_y.append(Ys[far])

    def observe_one(self, f: np.ndarray, y: np.ndarray, steady: bool, judged: bool, level: float, h: float) -> None:
        """``observe`` of one reading (the agent's): the same block, the same rows kept."""
        if judged:
            self.block.worst = max(self.block.worst, level)
            self.block.judged += 1
        if steady and h > self.h_ref:
            self._rows_f.append(f[None, :].copy())
            self._rows_y.append(y[None, :].copy())

    def close(self, next_block: int) -> HealthyModel | None:
        """The block ended (a reading of ``next_block`` came): the refitted model if the block
        before it was healthy and so was this one, and its rows were learned; else None."""
        blk, rows_f, rows_y = self.block, self._rows_f, self._rows_y
        self.block, self._rows_f, self._rows_y = _Block(next_block), [], []
        if blk.index < 0:
            return None
        if blk.judged < MIN_BLOCK_ROWS or blk.worst >= HEALTHY_LEVEL:
            self._pending = None  # near an alarm (or not seen): neither it nor the one before is learned
            return None
        pending = self._pending
        self._pending = (np.concatenate(rows_f), np.concatenate(rows_y)) if rows_f else None
        if pending is None:
            return None
        return self._learn(*pending)

    def _learn(self, F: np.ndarray, Y: np.ndarray) -> HealthyModel | None:
        ok = ~np.isnan(F).any(axis=1)
        F, Y = F[ok], Y[ok]
        if len(F) < MIN_BLOCK_ROWS:
            return None
        self.last_learned = F
        self.learned.add(F, Y)
        self.learned_gram = self.learned_gram + F.T @ F
        self.learned_rows += float(len(F))
        cap = MAX_LEARNED_SHARE * self.rows
        if self.learned_rows > cap:  # a bounded pull: the oldest learned rows fade
            s = cap / self.learned_rows
            self.learned.scale(s)
            self.learned_gram = self.learned_gram * s
            self.learned_rows = cap
        self._set_inverse()
        self.refits += 1
        return self.model()

    def model(self) -> HealthyModel:
        return solve(self.base, self.learned, self.ridge)

    # -- across restarts --------------------------------------------------------
    def state(self) -> dict:
        """The sums and the reference; the block being collected is not kept (a restart loses at
        most that block and the healthy one pending)."""
        return {"base": self.base.state(), "learned": self.learned.state(), "gram": self.gram.tolist(),
                "rows": self.rows, "learned_gram": self.learned_gram.tolist(), "learned_rows": self.learned_rows,
                "h_ref": self.h_ref, "refits": self.refits, "ridge": self.ridge}

    @classmethod
    def from_state(cls, d: dict) -> "GrowingEnvelope":
        g = cls.__new__(cls)
        g.ridge = float(d["ridge"])
        g.base, g.learned = NormalEquations.from_state(d["base"]), NormalEquations.from_state(d["learned"])
        g.gram, g.rows = np.asarray(d["gram"], dtype=float), float(d["rows"])
        g.learned_gram, g.learned_rows = np.asarray(d["learned_gram"], dtype=float), float(d["learned_rows"])
        g._set_inverse()
        g.h_ref, g.refits = float(d["h_ref"]), int(d["refits"])
        g._reset_blocks()
        return g


class BlockBounds:
    """Where a chunk's readings change block (ts // BLOCK_SECONDS), found once per chunk: the detector
    judges a chunk block by block, and looking for each block's end over the rest of the chunk again
    (a floor_divide of the whole tail per block) cost more than the judging of short blocks."""

    def __init__(self, ts: np.ndarray) -> None:
        self.blocks = np.floor_divide(ts, BLOCK_SECONDS)
        self.changes = np.flatnonzero(self.blocks[1:] != self.blocks[:-1]) + 1

    def end(self, pos: int, block: int) -> int:
        """The first row from pos on not in ``block`` (the chunk's length if none): the row after pos
        where the block changes when pos is in it; otherwise (pos not in it) the tail is searched
        as block_end_reference does, with the same answer."""
        if self.blocks[pos] == block:
            k = int(np.searchsorted(self.changes, pos, side="right"))
            return int(self.changes[k]) if k < len(self.changes) else len(self.blocks)
        return block_end_reference(self.blocks, pos, block)


def block_end_reference(blocks: np.ndarray, pos: int, block: int) -> int:
    """The first row from pos on whose block differs from ``block``, by a pass over the tail."""
    later = np.flatnonzero(blocks[pos:] != block)
    return pos + int(later[0]) if len(later) else len(blocks)
