"""The detector's judgement of one block of a chunk (HeatPumpDetector._judge) in one compiled pass.

_judge's numpy passes (the envelope test, the persistent shift and the uncertainty's shift, the
leverage, the levels and the score, the growing envelope's observe) are some twenty calls over a
block of about 72 rows (6 hours at a 5-minute poll): a season's replay made millions of them, and
their overhead, not their arithmetic, was a sixth of the pipeline. ``judge_block`` runs them in one
compiled pass (batch_kernels.judge_rows: beside the shift's and the leverage's kernels, whose row
steps it shares, as numba's cache sees a kernel's own file only), the same IEEE operations in the
same order (no fused multiply-add, no reassociation: numba's default), so its results are the numpy
path's to the last bit (tests/edge/heatpump/test_judge_kernel.py),
but for the sign and payload of a NaN score: np.max gives the canonical NaN from its SIMD pass and the
NaN element itself from its tail, by position; the kernel always the canonical one. Nothing reads a
NaN's bits (a NaN score is NaN to every comparison and in every event).

The shift's weights 1 - exp(-dt / tau) stay Python's ``math.exp`` of the same doubles, as
batch_kernels.exp_weights computes them; they are a function of the step alone, and a fixed poll
makes few distinct steps, so they are kept in a table (``Weights``) shared by every detector: a
block whose steps are all in it needs no Python call per step. A step not yet in it is computed
and added before the block is judged (the kernel changes nothing until every step is known); a NaN
step, or more distinct steps than the table holds, sends the block down the numpy path.
"""

from __future__ import annotations

import math

import numpy as np

from heatwatch.edge.heatpump.batch_kernels import AVAILABLE, JUDGE_FALLBACK, JUDGED, judge_rows
from heatwatch.edge.heatpump.persistent_shift import MAX_STEP

CAPACITY = 64  # distinct steps a table holds (a fixed poll and its gaps up to MAX_STEP: some 13)



class Weights:
    """1 - exp(-min(d, inf) / tau) of the steps d met so far, by math.exp as exp_weights computes them
    (0.0 and -0.0 one step, as there: their weights are equal)."""

    def __init__(self, tau: float) -> None:
        self.tau = tau
        self.dt = np.empty(CAPACITY)
        self.alpha = np.empty(CAPACITY)
        self.n = 0

    def add(self, steps: list[float]) -> bool:
        """Add these steps' weights; False if they do not fit (the table is emptied first when full)."""
        if self.n + len(steps) > CAPACITY:
            self.n = 0
            if len(steps) > CAPACITY:
                return False
        for d in steps:
            self.dt[self.n] = d
            self.alpha[self.n] = 1.0 - math.exp(-min(d, math.inf) / self.tau)
            self.n += 1
        return True


_TABLES: dict[float, Weights] = {}


def weights_for(tau: float) -> Weights:
    """The table of one time constant (every detector's shift has the configured one)."""
    w = _TABLES.get(tau)
    if w is None:
        w = _TABLES[tau] = Weights(tau)
    return w


def judge_block(det, lo: int, hi: int, ts, F, Y, steady, P, R, O, S, score, env_cols: np.ndarray) -> np.ndarray | None:
    """judge_rows for a HeatPumpDetector (its shifts, envelope over the features ``env_cols``, growing
    envelope and alarm levels), its state updated as _judge updates it; the judged rows (offsets from
    lo), or None: the numpy path must judge this block (no numba, or see judge_rows' FALLBACK),
    nothing was changed."""
    shift, unc, growth = det.shift, det.uncertainty, det.growth
    if not AVAILABLE or (growth is not None and unc.tau != shift.tau):
        return None
    tab = weights_for(shift.tau)
    has_env = det.envelope is not None
    env = det.envelope if has_env else _NO_ENV
    has_growth = growth is not None
    M, h_ref = (growth.M, float(growth.h_ref)) if has_growth else (_NO_M, math.nan)
    n = hi - lo
    rows = np.empty(n, np.int64)
    far = np.empty(n, np.bool_)
    miss = np.empty(CAPACITY)
    for _ in range(2):
        status, n_rows, outside, last, u_last, worst, n_far, n_miss = judge_rows(
            lo, hi, ts, F, Y, P, steady, env, env_cols, has_env,
            shift.residual, shift.observed, float(shift.last_ts), has_growth, unc.residual, unc.observed,
            float(unc.last_ts), M, h_ref, det.alarm, tab.dt, tab.alpha, tab.n, MAX_STEP, R, O, S, score,
            rows, far, miss)
        if status == JUDGED:
            break
        if status == JUDGE_FALLBACK or not tab.add(miss[:n_miss].tolist()):
            return None
    else:  # pragma: no cover - the second call has every step
        return None
    det.outside_envelope += outside
    if n_rows:
        shift.last_ts = float(last)
        if has_growth:
            unc.last_ts = float(u_last)
    if has_growth:  # GrowingEnvelope.observe
        if n_rows:
            growth.block.worst = max(growth.block.worst, float(worst))
            growth.block.judged += n_rows
        if n_far:
            keep = far[:n]
            growth._rows_f.append(F[lo:hi][keep])
            growth._rows_y.append(Y[lo:hi][keep])
    return rows[:n_rows].copy()


_NO_ENV = np.zeros((2, 3))
_NO_M = np.zeros((1, 1))
