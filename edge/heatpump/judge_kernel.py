"""The detector's judgement of one block of a chunk (HeatPumpDetector._judge) in one compiled pass.

_judge's numpy passes (the envelope test, the persistent shift and the uncertainty's shift, the
leverage, the levels and the score, the growing envelope's observe) are some twenty calls over a
block of about 72 rows (6 hours at a 5-minute poll): a season's replay made millions of them, and
their overhead, not their arithmetic, was a sixth of the pipeline. ``judge_block`` runs the same
IEEE operations in the same order row by row (no fused multiply-add, no reassociation: numba's
default), so its results are the numpy path's to the last bit (tests/edge/heatpump/test_judge_kernel.py),
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

from heatwatch.edge.heatpump.batch_kernels import AVAILABLE, njit
from heatwatch.edge.heatpump.persistent_shift import MAX_STEP

CAPACITY = 64  # distinct steps a table holds (a fixed poll and its gaps up to MAX_STEP: some 13)

OK, MISSING, FALLBACK = 0, 1, 2  # judge_rows' status: judged; steps to add first; use the numpy path


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


@njit(cache=True)
def _find(table, n, d, hint):
    """Index of step d in table[:n] (the last one found tried first), -1 if absent."""
    if 0 <= hint < n and table[hint] == d:
        return hint
    for j in range(n):
        if table[j] == d:
            return j
    return -1


@njit(cache=True)
def _steps(lo, ts, rows, n_rows, last_ts, max_step, table, n_tab, idx, miss, n_miss):
    """Each judged row's step from the one before (batch_kernels.shift_steps) and its weight's index
    in the table; a step not there is added to miss (once). Returns (n_miss, NaN met)."""
    prev = last_ts
    hint = -1
    for j in range(n_rows):
        t = ts[lo + rows[j]]
        if prev != prev:
            d = max_step
        else:
            d = t - prev
            if d > max_step:
                d = max_step
        if d < 0.0:
            d = 0.0
        prev = t
        if d != d:
            return n_miss, True
        k = _find(table, n_tab, d, hint)
        if k < 0:
            if _find(miss, n_miss, d, -1) < 0:
                if n_miss == len(miss):
                    return n_miss, True
                miss[n_miss] = d
                n_miss += 1
        else:
            hint = k
        idx[j] = k
    return n_miss, False


@njit(cache=True, error_model="numpy")
def judge_rows(lo, hi, ts, F, Y, P, steady, env, env_cols, has_env,  # noqa: C901 - one pass, kept whole
               res, obs, last_ts, has_growth, u_res, u_obs, u_last_ts, M, h_ref, alarm,
               table, alpha, n_tab, max_step, R, O, S, score, rows, far, miss):
    """HeatPumpDetector._judge of rows lo..hi-1 (see there); the shifts' states (res, obs; u_res, u_obs)
    updated in place, R, O, S, score filled at lo..hi-1, ``rows`` the judged rows (offsets from lo),
    ``far`` the steady rows beyond the reference leverage (observe keeps them).
    Returns (status, judged rows, steady rows outside the envelope, the shift's last_ts, the
    uncertainty's, the judged rows' highest score (NaN if one is NaN), far rows, missing steps).
    status MISSING: the steps in miss[:missing] have no weight yet, FALLBACK: a NaN step or too many
    new ones; either way nothing was changed."""
    n_t = Y.shape[1]
    n_f = F.shape[1]
    n_rows = 0
    outside = 0
    for i in range(lo, hi):
        inside = True
        if has_env:
            for q in range(len(env_cols)):
                v = F[i, env_cols[q]]
                if not (v >= env[0, q] and v <= env[1, q]):
                    inside = False
                    break
        if steady[i]:
            if inside:
                rows[n_rows] = i - lo
                n_rows += 1
            else:
                outside += 1
    idx = np.empty(n_rows, np.int64)
    u_idx = np.empty(n_rows, np.int64)
    n_miss, bad = _steps(lo, ts, rows, n_rows, last_ts, max_step, table, n_tab, idx, miss, 0)
    if not bad and has_growth:
        n_miss, bad = _steps(lo, ts, rows, n_rows, u_last_ts, max_step, table, n_tab, u_idx, miss, n_miss)
    if bad:
        return FALLBACK, 0, 0, last_ts, u_last_ts, 0.0, 0, n_miss
    if n_miss:
        return MISSING, 0, 0, last_ts, u_last_ts, 0.0, 0, n_miss
    g = np.empty(n_f)
    j = 0
    worst = -math.inf
    n_far = 0
    for i in range(lo, hi):
        h = math.nan
        if has_growth and steady[i]:  # envelope.leverage_rows' sums, in their order
            for k in range(n_f):
                acc = 0.0
                for m in range(n_f):
                    acc = acc + F[i, m] * M[k, m]
                g[k] = acc
            acc = 0.0
            for k in range(n_f):
                acc = acc + F[i, k] * g[k]
            h = acc
        judged = j < n_rows and rows[j] == i - lo
        if judged:  # PersistentShift.update (batch_kernels.ewma_rows)
            a = alpha[idx[j]]
            for c in range(n_t):
                r = Y[i, c] - P[i, c]
                if r != r:
                    continue
                res[c] += a * (r - res[c])
                if obs[c] != obs[c]:
                    obs[c] = Y[i, c]
                else:
                    obs[c] += a * (Y[i, c] - obs[c])
            if has_growth:  # GrowingEnvelope.excess, then the uncertainty's shift against zero
                e = h - h_ref
                if not (e != e) and not (e >= 0.0):  # np.maximum(e, 0.0): NaN kept
                    e = 0.0
                u = math.sqrt(e / h_ref)
                r = u - 0.0
                if r == r:
                    au = alpha[u_idx[j]]
                    u_res[0] += au * (r - u_res[0])
                    if u_obs[0] != u_obs[0]:
                        u_obs[0] = u
                    else:
                        u_obs[0] += au * (u - u_obs[0])
            j += 1
        widen = math.sqrt(1.0 + u_res[0] * u_res[0]) if has_growth else 1.0  # HeatPumpDetector._scale
        best = -math.inf
        known = False
        for c in range(n_t):
            R[i, c] = res[c]
            O[i, c] = obs[c]
            s = alarm[c] * widen if has_growth else alarm[c]
            S[i, c] = s
            if obs[c] == obs[c]:  # the levels' max over the known targets (NaN, as np.max, wins)
                lv = abs(res[c]) / s
                if not known or best == best:
                    if lv != lv or lv > best:
                        best = lv
                known = True
        sc = (best if best == best else math.nan) if known else 0.0  # a NaN as np.max's SIMD pass gives it
        score[i] = sc
        if judged and worst == worst and (sc != sc or sc > worst):  # np.max of the judged rows' scores
            worst = sc
        if has_growth and steady[i] and h > h_ref:
            far[i - lo] = True
            n_far += 1
        else:
            far[i - lo] = False
    if n_rows:
        last_ts = ts[lo + rows[n_rows - 1]]
        if has_growth:
            u_last_ts = last_ts
    return OK, n_rows, outside, last_ts, u_last_ts, worst, n_far, 0


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
        if status == OK:
            break
        if status == FALLBACK or not tab.add(miss[:n_miss].tolist()):
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
