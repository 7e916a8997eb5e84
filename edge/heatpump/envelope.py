"""The operating envelope grows: the healthy model judges where it can defend its prediction,
and learns the new operating points a healthy pump shows it.

A pump commissioned in a mild October runs its heating at the compressor's lowest speed; its
only faster minutes are hot-water runs at 50 degC flow. The ridge model then has no evidence
of how the expansion valve, the current or the suction pressure move with frequency at a
space-heating flow temperature: in January, at 45 Hz and 31 degC, it extrapolates along the
hot-water direction, and the valve opening a healthy pump needs there reads as a leak (the
opening follows mass flow, ~ frequency x suction density / sqrt(pressure drop): its frequency
slope depends on both temperatures, which one autumn week cannot separate). The box of
``learned_envelope`` (each feature's range on its own) admits such points; the prediction's
leverage does not:

* a steady reading is judged only where f' M f, M = (F'F + ridge)^-1 over the rows the model
  was fitted on, is at most LEVERAGE_GATE times the commissioning's 99th percentile of it
  (twice as uncertain as the least certain point learned, a prediction's variance being
  sigma^2 f' M f);
* the envelope grows, as compressor_efficiency.py's reference does: in a block of
  BLOCK_SECONDS (one averaging time) whose judged readings (at least MIN_BLOCK_ROWS) all
  stayed below HEALTHY_LEVEL (no channel half way to an alarm), the steady readings beyond
  the commissioning's leverage are kept; they are learned once the next block closed healthy
  too (far from any alarm on both sides), and the model is refitted from the commissioning's
  normal equations plus the learned ones. What is learned are new operating points only: a
  slow fault at points already known is never taught to the model. The learned rows never
  weigh more than the commissioning's (MAX_LEARNED_SHARE): their normal equations are scaled
  down as more are added, so memory is a fixed set of sums and the oldest weigh least.

Streaming and batch replay make the same decisions on the same rows: the leverage is computed
elementwise in a fixed order (the same digits for one row or many), blocks close on the first
reading of the next block, and a learned block's sums are taken over the same row array.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from heatwatch.edge.heatpump.healthy_model import HealthyModel, NormalEquations, solve
from heatwatch.units import HOUR

LEVERAGE_GATE = 2.0
REFERENCE_PERCENTILE = 99.0
BLOCK_SECONDS = 6 * HOUR
MIN_BLOCK_ROWS = 6
HEALTHY_LEVEL = 0.5
MAX_LEARNED_SHARE = 1.0  # learned rows' total weight at most this times the commissioning's


def leverage(M: np.ndarray, F: np.ndarray) -> np.ndarray:
    """f' M f for each row of F (..., n_f): elementwise, in a fixed order, so that one row and a
    chunk of rows give the same digits (a matrix product's blocking would not). NaN rows: NaN."""
    n = M.shape[0]
    h = np.zeros(F.shape[:-1])
    for k in range(n):
        g = np.zeros(F.shape[:-1])
        for m in range(n):
            g = g + M[k, m] * F[..., m]
        h = h + F[..., k] * g
    return h


@dataclass
class _Block:
    index: int = -1
    worst: float = 0.0
    judged: int = 0


class GrowingEnvelope:
    """Where the model's prediction is defended, and what it learns beyond its commissioning."""

    def __init__(self, commissioning: NormalEquations, F: np.ndarray, ridge: float) -> None:
        self.ridge = ridge
        self.base = commissioning
        self.learned = commissioning.zeros_like()
        ok = ~np.isnan(F).any(axis=1)
        Fo = F[ok]
        self.gram = Fo.T @ Fo  # all fitted rows, for the leverage
        self.rows = float(len(Fo))
        self.learned_gram = np.zeros_like(self.gram)
        self.learned_rows = 0.0
        self.M = self._inverse()
        self.h_ref = float(np.percentile(leverage(self.M, Fo), REFERENCE_PERCENTILE)) if len(Fo) else math.inf
        self.refits = 0
        self.last_learned: np.ndarray | None = None  # the feature rows of the last block learned
        self.block = _Block()
        self._rows_f: list[np.ndarray] = []  # this block's steady rows beyond the reference leverage
        self._rows_y: list[np.ndarray] = []
        self._pending: tuple[np.ndarray, np.ndarray] | None = None  # the last healthy block's rows

    def _inverse(self) -> np.ndarray:
        n_f = self.gram.shape[0]
        total = self.rows + self.learned_rows
        mask = np.diag([0.0] + [1.0] * (n_f - 1))
        return np.linalg.inv(self.gram + self.learned_gram + self.ridge * max(total, 1.0) * mask)

    # -- judging ----------------------------------------------------------------
    def defended(self, F: np.ndarray) -> np.ndarray:
        """Rows whose prediction the model can defend (leverage within the gate); NaN rows: False."""
        h = leverage(self.M, F)
        return h <= LEVERAGE_GATE * self.h_ref

    # -- growing ----------------------------------------------------------------
    block_size = BLOCK_SECONDS

    def block_of(self, ts: float) -> int:
        return int(ts // BLOCK_SECONDS)

    def observe(self, F: np.ndarray, Y: np.ndarray, steady: np.ndarray, judged: np.ndarray,
                levels: np.ndarray) -> None:
        """Rows of the current block: steady ones beyond the reference leverage are kept, the
        judged ones' levels (max over channels, after each row) make the block's worst."""
        if judged.any():
            self.block.worst = max(self.block.worst, float(np.max(levels[judged])))
            self.block.judged += int(np.count_nonzero(judged))
        if steady.any():
            Fs, Ys = F[steady], Y[steady]
            far = leverage(self.M, Fs) > self.h_ref
            if far.any():
                self._rows_f.append(Fs[far])
                self._rows_y.append(Ys[far])

    def close(self, next_block: int) -> HealthyModel | None:
        """The block ended (a reading of ``next_block`` came): returns the refitted model if a
        healthy block's rows were learned, else None."""
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
        if self.learned_rows > cap:  # bounded pull: the oldest learned rows fade
            s = cap / self.learned_rows
            self.learned.scale(s)
            self.learned_gram = self.learned_gram * s
            self.learned_rows = cap
        self.M = self._inverse()
        self.refits += 1
        return self.model()

    def model(self) -> HealthyModel:
        return solve(self.base, self.learned, self.ridge)

    # -- across restarts --------------------------------------------------------
    def state(self) -> dict:
        """The sums and the reference (the block being collected is not kept: a restart loses it)."""
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
        g.M = g._inverse()
        g.h_ref, g.refits = float(d["h_ref"]), int(d["refits"])
        g.block, g._rows_f, g._rows_y, g._pending, g.last_learned = _Block(), [], [], None, None
        return g

