"""The detector's stateful loops over a whole chunk of readings, compiled (replay speed).

The agent judges one reading at a time with small numpy operations over channels
(sensor_checks.SensorChecks.update, persistent_shift.PersistentShift.update); a
replay of a fleet season runs the same recurrences over millions of rows, where a
dozen numpy calls per reading cost more than the arithmetic. These kernels run the
very same recurrences row by row in compiled code: the same IEEE operations in the
same order (no fused multiply-add, no reassociation; numba's default), and every
``exp`` computed outside them with ``math.exp`` as the streaming code does, so the
results are bit for bit the streaming ones (tests/edge/heatpump/test_batch_kernels.py).

numba is optional (the ``replay`` extra): without it ``AVAILABLE`` is False and the
detector replays row by row through the streaming code, with the same results.
Whoever changes a streaming recurrence changes its kernel here too; the tests
comparing batch and streaming fail otherwise.
"""

from __future__ import annotations

import math

import numpy as np

try:  # pragma: no cover - depends on the install
    from numba import njit

    AVAILABLE = True
except ImportError:  # pragma: no cover
    AVAILABLE = False

    def njit(*args, **kwargs):  # type: ignore[no-redef]
        if args and callable(args[0]):
            return args[0]
        return lambda f: f


STUCK, NOISE, JUMP, DROPOUT = 1, 2, 4, 8  # bits of a sensor-check flag, in CHECK_NAMES order


MAX_DISTINCT = 32  # distinct steps distinct_steps looks up one by one; more, and np.unique sorts them


def exp_weights(dt: np.ndarray, tau: float, cap: float = math.inf) -> np.ndarray:
    """1 - exp(-min(dt, cap) / tau) per element, each by math.exp as the streaming code computes it.

    Readings come at a fixed poll, so the distinct steps are few and this costs a few calls. They
    are found in one compiled pass (distinct_steps) rather than by sorting the chunk's steps (what
    exp_weights_sorted does, the reference and the path without numba or with many distinct steps)."""
    dt = np.ascontiguousarray(dt, dtype=np.float64)
    if not AVAILABLE or not len(dt):
        return exp_weights_sorted(dt, tau, cap)
    uniq, inv, m = distinct_steps(dt, MAX_DISTINCT)
    if m < 0:
        return exp_weights_sorted(dt, tau, cap)
    vals = np.array([1.0 - math.exp(-min(d, cap) / tau) for d in uniq[:m].tolist()])
    return vals[inv]


def exp_weights_sorted(dt: np.ndarray, tau: float, cap: float = math.inf) -> np.ndarray:
    """exp_weights through np.unique: the reference for distinct_steps, and its fallback."""
    out = np.empty(len(dt))
    uniq, inv = np.unique(dt, return_inverse=True)
    vals = np.array([1.0 - math.exp(-min(float(d), cap) / tau) for d in uniq])
    out[:] = vals[inv.reshape(-1)]
    return out


@njit(cache=True)
def distinct_steps(dt, most):
    """The distinct values of dt in order of first appearance (all NaN one value; 0.0 and -0.0 one,
    as np.unique has them: their weights are the same), each element's index among them, and how
    many there are; (_, _, -1) once more than ``most`` are met (the caller then sorts)."""
    n = len(dt)
    uniq = np.empty(most)
    inv = np.empty(n, np.int64)
    m = 0
    nan_at = -1
    last = -1
    for i in range(n):
        d = dt[i]
        if d != d:
            if nan_at < 0:
                if m == most:
                    return uniq, inv, -1
                nan_at = m
                uniq[m] = d
                m += 1
            inv[i] = nan_at
            continue
        if last >= 0 and uniq[last] == d:  # a fixed poll: mostly the step before
            inv[i] = last
            continue
        j = 0
        while j < m and not uniq[j] == d:
            j += 1
        if j == m:
            if m == most:
                return uniq, inv, -1
            uniq[m] = d
            m += 1
        inv[i] = j
        last = j
    return uniq, inv, m


@njit(cache=True)
def _nan_max(a: float, b: float) -> float:
    """np.maximum's rule: NaN if either is NaN."""
    if a != a or b != b:
        return math.nan
    return a if a >= b else b


@njit(cache=True)
def sensor_checks(ts, V, REL, steady, a_fast, a_drop, a_rough, a_slow,  # noqa: C901 - one recurrence, kept whole
                  present, rel_move, running_only, jump_at, floor0, proc, cold_ok, stop_lo, stop_hi,
                  witnesses, noise_local,
                  value, prev_step, same_since, rel_min, rel_max, rough_fast, rough_slow, rough_since,
                  missing, jumps, last_ts, last_steady,
                  stuck_s, max_gap, floor_max_step, warmup_s, noise_ratio, jumps_flagged, dropout_share):
    """SensorChecks.update over rows; the state arrays are updated in place. Returns (flags (n, k)
    uint8 of STUCK|NOISE|JUMP|DROPOUT for present channels, the last ts, whether the last row was steady)."""
    n, k = V.shape
    flags = np.zeros((n, k), np.uint8)
    n_present = 0
    for c in range(k):
        if present[c]:
            n_present += 1
    step = np.empty(k)
    d2 = np.empty(k)
    usable = np.zeros(k, np.bool_)
    smooth = np.zeros(k, np.bool_)
    rough = np.zeros(k, np.bool_)
    ratio = np.empty(k)
    floor = np.empty(k)
    floor_over_ratio = np.empty(k)
    noisy = np.zeros(k, np.bool_)
    n_wit = witnesses.shape[1]
    for i in range(n):
        t = ts[i]
        if last_ts != last_ts:
            dt = math.inf
        else:
            dt = t - last_ts
        last_ts = t
        af = a_fast[i]
        dtc = dt if dt < floor_max_step else floor_max_step
        for c in range(k):  # this poll's floor (SensorChecks.update)
            floor[c] = floor0[c] + proc[c] * dtc
            floor_over_ratio[c] = floor[c] / noise_ratio
        ad = a_drop[i]
        if n_present > 0:
            n_valid = 0
            for c in range(k):
                if present[c] and V[i, c] == V[i, c]:
                    n_valid += 1
            if n_valid / n_present >= 0.5:
                for c in range(k):
                    if present[c]:
                        u = 0.0 if V[i, c] == V[i, c] else 1.0
                        if u == 1.0 and cold_ok[i, c]:  # a coil colder than its thermistor's scale, or run off it
                            continue
                        missing[c] += ad * (u - missing[c])
        decay = 1.0 - af
        for c in range(k):
            jumps[c] *= decay
        use_steps = steady[i] and dt <= max_gap
        pair = last_steady  # the step between two steady readings (SensorChecks.update)
        last_steady = steady[i]
        any_rough = False
        for c in range(k):
            v = V[i, c]
            valid = v == v
            # stuck
            if valid and (v != value[c] or same_since[c] != same_since[c]):
                same_since[c] = t
                rel_min[c] = math.inf
                rel_max[c] = -math.inf
            r = REL[i, c]
            if valid and r == r and (steady[i] or not running_only[c]):
                if r < rel_min[c]:
                    rel_min[c] = r
                if r > rel_max[c]:
                    rel_max[c] = r
            if valid and (t - same_since[c] >= stuck_s) and (rel_max[c] - rel_min[c] >= rel_move[c]) \
                    and v > stop_lo[c] and v < stop_hi[c]:  # an actuator held at its end stop is not stuck
                flags[i, c] |= STUCK
            # roughness and jumps
            s = v - value[c]
            step[c] = s
            usable[c] = use_steps and valid and value[c] == value[c]
            jmp = usable[c] and abs(s) >= jump_at[c]
            if jmp:
                jumps[c] += 1.0
            smooth[c] = usable[c] and not jmp and pair
            d2[c] = abs(s - prev_step[c])
            rough[c] = smooth[c] and d2[c] == d2[c]
            if rough[c]:
                any_rough = True
        if any_rough:
            # SensorChecks._roughness, channel by channel (each channel's update is its own)
            a = a_rough[i]
            for c in range(k):
                if not rough[c]:
                    continue
                if rough_fast[c] != rough_fast[c]:  # new: the averages start here
                    rough_fast[c] = d2[c]
                    rough_slow[c] = d2[c]
                    rough_since[c] = t
                    continue
                rough_fast[c] += a * (d2[c] - rough_fast[c])
                elapsed = t - rough_since[c]
                if elapsed < warmup_s:
                    rough_slow[c] += (dt / (elapsed + dt)) * (d2[c] - rough_slow[c])
                elif rough_fast[c] <= noise_ratio * _nan_max(rough_slow[c], floor_over_ratio[c]):
                    rough_slow[c] += a_slow[i] * (d2[c] - rough_slow[c])
        for c in range(k):
            prev_step[c] = step[c] if smooth[c] else math.nan
            if V[i, c] == V[i, c]:
                value[c] = V[i, c]
        any_noisy = False
        for c in range(k):
            formed = rough_slow[c] == rough_slow[c] and (t - rough_since[c] >= warmup_s)
            noisy[c] = formed and rough_fast[c] > _nan_max(noise_ratio * rough_slow[c], floor[c])
            any_noisy = any_noisy or noisy[c]
            ratio[c] = rough_fast[c] / _nan_max(rough_slow[c], floor_over_ratio[c]) if formed else math.nan
        for c in range(k):
            if not present[c]:
                flags[i, c] = 0
                continue
            if any_noisy and noisy[c]:
                wm = math.nan  # the most its witnesses rose (NaN-ignoring max, as np.fmax)
                for w in range(n_wit):
                    j = witnesses[c, w]
                    if j >= 0:
                        rj = ratio[j]
                        if rj == rj and (wm != wm or rj > wm):
                            wm = rj
                if not (ratio[c] <= noise_local * wm):
                    flags[i, c] |= NOISE
            if jumps[c] >= jumps_flagged:
                flags[i, c] |= JUMP
            if missing[c] > dropout_share:
                flags[i, c] |= DROPOUT
    return flags, last_ts, last_steady


@njit(cache=True)
def _ewma_row(a, Y, E, i, residual, observed):
    """PersistentShift.update of row i of Y (observed) against E (expected) with weight a, in place."""
    for c in range(Y.shape[1]):
        r = Y[i, c] - E[i, c]
        if r != r:
            continue
        residual[c] += a * (r - residual[c])
        if observed[c] != observed[c]:
            observed[c] = Y[i, c]
        else:
            observed[c] += a * (Y[i, c] - observed[c])


@njit(cache=True)
def _leverage_at(M, F, i, g):
    """envelope.leverage of row i of F (g: scratch of n_f): g_k the sum over m of M[k, m] f_m from 0.0 in
    order m = 0, 1, ..., then the sum over k of f_k g_k from 0.0 in order."""
    n_f = F.shape[1]
    for k in range(n_f):
        acc = 0.0
        for m in range(n_f):
            acc = acc + F[i, m] * M[k, m]
        g[k] = acc
    acc = 0.0
    for k in range(n_f):
        acc = acc + F[i, k] * g[k]
    return acc


@njit(cache=True)
def _step_from(prev, t, max_step):
    """One reading's step as PersistentShift.update takes it (see shift_steps)."""
    if prev != prev:
        d = max_step
    else:
        d = t - prev
        if d > max_step:
            d = max_step
    if d < 0.0:
        d = 0.0
    return d


@njit(cache=True)
def ewma_rows(rows, alphas, Y, E, residual, observed, R_out, O_out):
    """PersistentShift.update at ``rows`` (ascending) of Y (observed) and E (expected), with their
    ``alphas``; state updated in place. R_out/O_out[i] = the state after row i (every row i up to
    the last: rows not updated repeat the state)."""
    n = R_out.shape[0]
    k = Y.shape[1]
    j = 0
    for i in range(n):
        if j < len(rows) and rows[j] == i:
            _ewma_row(alphas[j], Y, E, i, residual, observed)
            j += 1
        for c in range(k):
            R_out[i, c] = residual[c]
            O_out[i, c] = observed[c]


@njit(cache=True)
def leverage_rows(M, F):
    """envelope.leverage of each row of F (n, n_f) in one compiled pass: per row, g_k the sum over
    m of M[k, m] f_m from 0.0 in order m = 0, 1, ..., then h the sum over k of f_k g_k from 0.0 in
    order: the very operations of the numpy passes (and of leverage_row), so the same digits."""
    n, n_f = F.shape
    h = np.empty(n)
    g = np.empty(n_f)
    for i in range(n):
        h[i] = _leverage_at(M, F, i, g)
    return h


def shift_alphas(shift, ts_rows: np.ndarray) -> np.ndarray:
    """The weights PersistentShift.update gives readings at ``ts_rows`` (its MAX_STEP and tau); updates last_ts."""
    from heatwatch.edge.heatpump.persistent_shift import MAX_STEP

    if not len(ts_rows):
        return np.empty(0)
    if AVAILABLE:
        dt = shift_steps(float(shift.last_ts), np.ascontiguousarray(ts_rows, dtype=np.float64), MAX_STEP)
    else:
        dt = shift_steps_numpy(float(shift.last_ts), ts_rows, MAX_STEP)
    shift.last_ts = float(ts_rows[-1])
    return exp_weights(dt, shift.tau)


def shift_steps_numpy(last_ts: float, ts_rows: np.ndarray, max_step: float) -> np.ndarray:
    """shift_steps in numpy passes: the reference, and the path without numba."""
    prev = np.concatenate([[last_ts], ts_rows[:-1]])
    dt = np.where(np.isnan(prev), max_step, np.minimum(ts_rows - prev, max_step))
    return np.maximum(dt, 0.0)


@njit(cache=True)
def shift_steps(last_ts, ts_rows, max_step):
    """Each reading's step from the one before (the first's from last_ts) as PersistentShift.update
    takes it: max_step after a NaN time, at most max_step, at least 0, NaN where the difference is
    NaN (np.minimum and np.maximum keep it); one pass instead of shift_steps_numpy's six arrays."""
    n = len(ts_rows)
    dt = np.empty(n)
    prev = last_ts
    for i in range(n):
        t = ts_rows[i]
        dt[i] = _step_from(prev, t, max_step)
        prev = t
    return dt


# judge_rows' status: judged; steps whose weights are not in the table yet; a block for the numpy path
JUDGED, JUDGE_MISSING, JUDGE_FALLBACK = 0, 1, 2


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
        d = _step_from(prev, t, max_step)
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
    status JUDGE_MISSING: the steps in miss[:missing] have no weight yet, JUDGE_FALLBACK: a NaN step or too many
    new ones; either way nothing was changed."""
    n_t = Y.shape[1]
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
        return JUDGE_FALLBACK, 0, 0, last_ts, u_last_ts, 0.0, 0, n_miss
    if n_miss:
        return JUDGE_MISSING, 0, 0, last_ts, u_last_ts, 0.0, 0, n_miss
    g = np.empty(F.shape[1])
    j = 0
    worst = -math.inf
    n_far = 0
    for i in range(lo, hi):
        h = math.nan
        if has_growth and steady[i]:
            h = _leverage_at(M, F, i, g)
        judged = j < n_rows and rows[j] == i - lo
        if judged:  # PersistentShift.update
            _ewma_row(alpha[idx[j]], Y, P, i, res, obs)
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
    return JUDGED, n_rows, outside, last_ts, u_last_ts, worst, n_far, 0


def run_shift(shift, rows: np.ndarray, ts: np.ndarray, Y: np.ndarray, E: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """PersistentShift.update at ``rows`` of a chunk; the state after every row of the chunk."""
    n = len(ts)
    R, O = np.empty((n, Y.shape[1])), np.empty((n, Y.shape[1]))
    alphas = shift_alphas(shift, ts[rows])
    ewma_rows(rows.astype(np.int64), alphas, Y, E, shift.residual, shift.observed, R, O)
    return R, O


def run_sensor_checks(checks, ts: np.ndarray, X: np.ndarray, steady: np.ndarray,
                      beyond: "np.ndarray | None" = None) -> np.ndarray:
    """SensorChecks.update over a chunk: flags (n, len(CHECKED)) uint8; the state ends as streaming leaves it.
    ``beyond``: (n, len(CHECKED)) values run off their scale (SensorChecks.beyond), as update takes them."""
    from heatwatch.edge.heatpump import sensor_checks as sc
    from heatwatch.refrigerant import t_sat

    n = len(ts)
    if n == 0:
        return np.zeros((0, len(sc.CHECKED)), np.uint8)
    prev = np.concatenate([[checks.last_ts], ts[:-1]])
    dt = ts - prev
    first_inf = math.isnan(checks.last_ts)
    dt_f = np.where(np.isnan(dt), 0.0, dt)
    a_fast = exp_weights(dt_f, sc.FAST_TAU, sc.MAX_GAP)
    a_drop = np.minimum(exp_weights(np.where(np.isnan(dt), np.inf, dt), sc.DROPOUT_TAU, sc.MAX_GAP), sc.DROPOUT_MAX_WEIGHT)
    a_rough = np.minimum(exp_weights(dt_f, sc.FAST_TAU), sc.FAST_MAX_WEIGHT)
    a_slow = exp_weights(dt_f, sc.SLOW_TAU)
    if first_inf:
        a_fast[0] = 1.0
    for name in ("value", "prev_step", "same_since", "rel_min", "rel_max", "rough_fast", "rough_slow",
                 "rough_since", "missing", "jumps"):
        setattr(checks, name, np.ascontiguousarray(getattr(checks, name), dtype=np.float64))
    V = np.ascontiguousarray(X[:, sc._IDX])
    REL = np.ascontiguousarray(X[:, sc._REL_IDX])
    # per row and channel: a missing value here is an iced coil, not a dropout (SensorChecks.update)
    cold_ok = np.zeros(V.shape, dtype=np.bool_)
    p_low = X[:, sc._I_PLOW]
    maybe = np.flatnonzero((p_low > 0) & np.isnan(V[:, sc._COLD]).any(axis=1))
    if len(maybe):
        tsat = np.array([float(t_sat(p_low[i], checks.refrigerant)) for i in maybe.tolist()])
        cold_ok[maybe] = sc._COLD[None, :] & (tsat[:, None] <= sc._COLD_LIMIT[None, :])
    if beyond is not None:
        cold_ok |= beyond
    flags, last, last_steady = sensor_checks(
        np.ascontiguousarray(ts, dtype=np.float64), V, REL, np.ascontiguousarray(steady, dtype=np.bool_),
        a_fast, a_drop, a_rough, a_slow,
        np.ascontiguousarray(checks._present, dtype=np.bool_), sc._REL_MOVE.astype(np.float64),
        sc._RUNNING_ONLY.astype(np.bool_), sc._JUMP.astype(np.float64), sc._FLOOR.astype(np.float64),
        sc._PROC.astype(np.float64), cold_ok,
        sc._STOP_LO.astype(np.float64), sc._STOP_HI.astype(np.float64),
        sc._WIT, sc.NOISE_LOCAL,
        checks.value, checks.prev_step, checks.same_since, checks.rel_min, checks.rel_max, checks.rough_fast,
        checks.rough_slow, checks.rough_since, checks.missing, checks.jumps, float(checks.last_ts),
        bool(checks.last_steady > 0.5), sc.STUCK_SECONDS, sc.MAX_GAP, sc.FLOOR_MAX_STEP, sc.WARMUP_SECONDS, sc.NOISE_RATIO,
        float(sc.JUMPS_FLAGGED), sc.DROPOUT_SHARE)
    checks.last_ts = float(last)
    checks.last_steady = 1.0 if last_steady else 0.0
    return flags


def findings_of(flags_row: np.ndarray) -> dict[str, list[str]]:
    """One row of sensor-check flags -> {channel: [failed checks]} as SensorChecks.update returns it."""
    if not flags_row.any():  # the common row: nothing failed (asked per rule row of a replay)
        return {}
    from heatwatch.edge.heatpump.sensor_checks import CHECK_NAMES, CHECKED

    out: dict[str, list[str]] = {}
    for c in np.flatnonzero(flags_row):
        f = int(flags_row[c])
        out[CHECKED[c]] = [name for b, name in zip((STUCK, NOISE, JUMP, DROPOUT), CHECK_NAMES) if f & b]
    return out


@njit(cache=True)
def compressor_steps(T, TS, TD, PH, PL, HZ, AMP, start, k_exp, c_start, c, V, has_v, span, has_span, alarm, st, sums,
                     blkv, v_max, healthy, min_rows, out, block_seconds, tau, alarm_k, min_lift, hour, hs, hp
                     ):  # noqa: C901 - one recurrence, kept whole
    """CompressorEfficiency.step (with _measures and _variance) over rows start.. of a fitted tracker.

    ``st`` = (shift0, shift1, observed0, observed1, uncertainty0, uncertainty1, expected0, expected1,
    last_ts, block_worst), ``sums`` (2, 4) the block's sums and ``blkv[0]`` the block, updated in
    place; ``out[i]`` = the first nine of ``st`` after row i and ``alarm[0]`` (compression_loss's
    alarm, which follows the discharge headroom: _headroom_step, state ``hs`` = (averaged loss to
    the trip, its time, its least) in place, ``hp`` = (trip °C, share, floor, least floor, the
    baseline's spread alarm, averaging time)). A block that ends is closed here when
    _close_block would learn nothing from it (a level reached ``healthy``, or per measure fewer than
    ``min_rows`` rows, no covariance, or its mean point's variance within ``v_max``): its sums and
    worst level start again, as _close_block leaves them. Returns the row where a block ends that
    would grow the envelope (the caller closes it, which refits, and calls again from there) or
    len(T). Row ``start`` is expected on ``c_start``: step() reads the coefficients before it closes
    a block, so the reading that closes one (and refits) is expected on the old ones, its variance
    on the new. The same operations in the same order as the Python step (math.log, ``**`` and
    math.exp are libm's in both)."""
    n = len(T)
    blk = blkv[0]
    for i in range(start, n):
        ts, t_s, t_d, p_h, p_l, hz, amps = T[i], TS[i], TD[i], PH[i], PL[i], HZ[i], AMP[i]
        valid = hz >= 15.0 and p_l > 0.0 and p_h > p_l
        if valid:
            grow = (p_h / p_l) ** ((k_exp - 1.0) / k_exp)
            rise = (t_s + 273.15) * (grow - 1.0)
            loss = (t_d - t_s) / rise if rise >= min_lift else math.nan
            work = hz * p_l * (grow - 1.0)
            cur = amps / work if work > 0 else math.nan
            valid = not (loss != loss and cur != cur)
        if valid:
            b = int(ts // block_seconds)
            if b != blk:
                if _block_grows(st[9], sums, V, has_v, span, has_span, v_max, healthy, min_rows):
                    blkv[0] = blk
                    return i
                for j in range(2):  # _close_block with nothing learned: a new block's sums
                    for q in range(4):
                        sums[j, q] = 0.0
                st[9] = 0.0
                blk = b
            ln_r = math.log(p_h / p_l)
            f = hz / 60.0
            cc = c_start if i == start else c
            e0 = cc[0, 0] + ln_r * cc[1, 0] + f * cc[2, 0]
            e1 = cc[0, 1] + ln_r * cc[1, 1] + f * cc[2, 1]
            last = st[8]
            if last != last:
                dt = hour
            else:
                dt = ts - last
                if 0.0 > dt:
                    dt = 0.0
                if hour < dt:
                    dt = hour
            st[8] = ts
            a = 1.0 - math.exp(-dt / tau)
            for j in range(2):
                mj = loss if j == 0 else cur
                ej = e0 if j == 0 else e1
                rel = mj / ej - 1.0 if ej != 0.0 else math.nan
                if rel != rel:
                    continue
                if has_v[j]:
                    v = V[j]
                    var = v[0] + 2.0 * ln_r * v[1] + 2.0 * f * v[2] + ln_r * ln_r * v[4] + 2.0 * ln_r * f * v[5] \
                        + f * f * v[8]
                    if has_span[j]:
                        lo_r, hi_r, lo_f, hi_f, slope_var = span[j, 0], span[j, 1], span[j, 2], span[j, 3], span[j, 4]
                        d_r = lo_r - ln_r if ln_r < lo_r else (ln_r - hi_r if ln_r > hi_r else 0.0)
                        d_f = lo_f - f if f < lo_f else (f - hi_f if f > hi_f else 0.0)
                        var += slope_var * (d_r * d_r + d_f * d_f)
                    sd = math.sqrt(var) / abs(ej)
                    st[4 + j] += a * (sd - st[4 + j])
                st[j] += a * (rel - st[j])
                if st[2 + j] != st[2 + j]:
                    st[2 + j] = mj
                else:
                    st[2 + j] += a * (mj - st[2 + j])
                scale = math.sqrt(alarm[j] * alarm[j] + alarm_k * alarm_k * st[4 + j] * st[4 + j])
                lv = abs(st[j]) / scale
                if lv > st[9]:
                    st[9] = lv
                sums[j, 0] += 1.0
                sums[j, 1] += ln_r
                sums[j, 2] += f
                sums[j, 3] += mj
            st[6] = e0
            st[7] = e1
            if loss == loss:  # _headroom_step
                hr = (t_d - t_s) / loss * e0 if loss != 0.0 else math.nan
                if hr > 0.0:
                    allowed = (hp[0] - t_s) / hr - 1.0
                    last_h = hs[1]
                    hs[1] = ts
                    if hs[0] != hs[0]:
                        hs[0] = allowed
                    else:
                        dt_h = ts - last_h
                        if 0.0 > dt_h:
                            dt_h = 0.0
                        if hour < dt_h:
                            dt_h = hour
                        hs[0] += (1.0 - math.exp(-dt_h / hp[5])) * (allowed - hs[0])
                        if hs[0] < hs[2]:
                            hs[2] = hs[0]
                            alarm[0] = max(hp[4], min(hp[2], max(hp[3], hp[1] * hs[2])))
        for q in range(9):
            out[i, q] = st[q]
        out[i, 9] = alarm[0]
    blkv[0] = blk
    return n


@njit(cache=True)
def design_headroom_steps(T, TOUT, TS, TD, PH, PL, HZ, SHIFT, start, k_exp, t_trip, tau, block_seconds,
                          min_lift, st):  # pragma: no cover - compiled
    """DesignHeadroom.update over rows start.. where compressor_efficiency._measures defines the loss
    (the same tests and operations, in the same order), until a row opens a new block: returns its
    index, unprocessed (the caller closes the block, refits and comes back), or len(T).
    ``st`` = (block, n, least, least_t, hot, t_out, ts), updated in place."""
    n = len(T)
    for i in range(start, n):
        t_s, t_d, p_h, p_l, hz = TS[i], TD[i], PH[i], PL[i], HZ[i]
        if not (hz >= 15.0 and p_l > 0.0 and p_h > p_l):
            continue
        grow = (p_h / p_l) ** ((k_exp - 1.0) / k_exp)
        rise = (t_s + 273.15) * (grow - 1.0)
        if not rise >= min_lift:
            continue
        loss = (t_d - t_s) / rise
        if loss != loss:
            continue
        t_out, shift, ts = TOUT[i], SHIFT[i], T[i]
        if not (t_out == t_out and t_d - t_s >= min_lift and shift > -1.0):
            continue
        if ts // block_seconds != st[0]:
            return i
        allowed = (t_trip - t_s) * (1.0 + shift) / (t_d - t_s) - 1.0
        last = st[6]
        st[6] = ts
        if st[4] != st[4]:
            st[4], st[5] = allowed, t_out
        else:
            a = 1.0 - math.exp(-min(max(ts - last, 0.0), 3600.0) / tau)
            st[4] += a * (allowed - st[4])
            st[5] += a * (t_out - st[5])
        st[1] += 1.0
        if st[4] < st[2]:
            st[2], st[3] = st[4], st[5]
    return n


@njit(cache=True)
def design_headroom_rows(T, TOUT, TS, TD, PH, PL, HZ, SHIFT, k_exp, t_trip, tau, block_seconds, min_lift,
                         st, X, Y, kept, fit, design_c, trims, min_rows, min_blocks, uppers):  # pragma: no cover - compiled
    """DesignHeadroom.update_rows over all of a chunk's rows in one call: design_headroom_steps up to
    each row that opens a new block, then what _close, _push and _refit do there (the same tests and
    operations in the same order), rather than a return to Python per six-hour block. ``st`` as
    design_headroom_steps'; X, Y the blocks kept (their capacity the most kept), ``kept`` = [how
    many]; ``fit`` = (upper, prediction, sd, slope, 1.0 once fitted), all updated in place;
    ``uppers`` gets ``upper`` as it stands after each row."""
    n = len(T)
    most = len(X)
    i = 0
    while True:
        j = design_headroom_steps(T, TOUT, TS, TD, PH, PL, HZ, SHIFT, i, k_exp, t_trip, tau, block_seconds,
                                  min_lift, st)
        for r in range(i, j):
            uppers[r] = fit[0]
        if j >= n:
            return
        # _close: the block's least, if it had its rows, joins the kept ones (the oldest goes when full)
        cnt, least, at = st[1], st[2], st[3]
        if not (cnt < min_rows or not math.isfinite(least)):
            m = kept[0]
            if m == most:
                for q in range(most - 1):
                    X[q] = X[q + 1]
                    Y[q] = Y[q + 1]
                m -= 1
            X[m], Y[m] = at, least
            m += 1
            kept[0] = m
            if m >= min_blocks:  # _refit
                pred, sd, slope = envelope_line(X[:m], Y[:m], design_c, trims)
                fit[0], fit[1], fit[2], fit[3], fit[4] = pred + sd, pred, sd, slope, 1.0
        # row j opens a new block, as update() finds it
        st[0] = float(np.int64(T[j] // block_seconds))
        st[1], st[2], st[3] = 0.0, math.inf, math.nan
        i = j


@njit(cache=True)
def envelope_line(X, Y, at, trims):  # pragma: no cover - compiled
    """DesignHeadroom._refit's line along the lower envelope of the points (X, Y), predicted at
    ``at``: (prediction, its standard deviation, the slope). Least squares, its slope not negative,
    refitted ``trims`` times on the points at or below it (while 3 or more are); plain loops, summed
    in the points' order."""
    keep = np.ones(len(X), dtype=np.bool_)
    xm = ym = sxx = slope = 0.0
    for trim in range(trims + 1):
        n = 0
        sx = sy = 0.0
        for i in range(len(X)):
            if keep[i]:
                n += 1
                sx += X[i]
                sy += Y[i]
        xm, ym = sx / n, sy / n
        sxx = sxy = 0.0
        for i in range(len(X)):
            if keep[i]:
                sxx += (X[i] - xm) ** 2
                sxy += (X[i] - xm) * (Y[i] - ym)
        slope = max(sxy / sxx, 0.0) if sxx > 0.0 else 0.0
        below = 0
        for i in range(len(X)):
            if keep[i] and Y[i] - ym - slope * (X[i] - xm) <= 0.0:
                below += 1
        if trim == trims or below < 3:
            break
        for i in range(len(X)):
            if keep[i] and not Y[i] - ym - slope * (X[i] - xm) <= 0.0:
                keep[i] = False
    n = 0
    res = 0.0
    for i in range(len(X)):
        if keep[i]:
            n += 1
            res += (Y[i] - ym - slope * (X[i] - xm)) ** 2
    s2 = res / max(n - 2, 1)
    dx = at - xm
    sd = math.sqrt(s2 * (1.0 + 1.0 / n + (dx * dx / sxx if sxx > 0.0 else 0.0)))
    return ym + slope * dx, sd, slope


@njit(cache=True)
def _variance(V, has_span, span, j, ln_r, f):  # pragma: no cover - compiled
    """CompressorEfficiency._variance of measure j at (ln r, f): the same operations in the same order."""
    v = V[j]
    var = v[0] + 2.0 * ln_r * v[1] + 2.0 * f * v[2] + ln_r * ln_r * v[4] + 2.0 * ln_r * f * v[5] + f * f * v[8]
    if has_span[j]:
        lo_r, hi_r, lo_f, hi_f, slope_var = span[j, 0], span[j, 1], span[j, 2], span[j, 3], span[j, 4]
        d_r = lo_r - ln_r if ln_r < lo_r else (ln_r - hi_r if ln_r > hi_r else 0.0)
        d_f = lo_f - f if f < lo_f else (f - hi_f if f > hi_f else 0.0)
        var += slope_var * (d_r * d_r + d_f * d_f)
    return var


@njit(cache=True)
def _block_grows(worst, sums, V, has_v, span, has_span, v_max, healthy, min_rows):  # pragma: no cover - compiled
    """Would CompressorEfficiency._close_block learn the block of these sums (and refit)? Its tests,
    in its order, on the same numbers."""
    if worst >= healthy:
        return False
    for j in range(2):
        n = sums[j, 0]
        if n < min_rows or not has_v[j]:
            continue
        if _variance(V, has_span, span, j, sums[j, 1] / n, sums[j, 2] / n) <= v_max[j]:
            continue
        return True
    return False


@njit(cache=True)
def hour_sums(b, R, okn, obs, bucket, sums, n, hi, lo, has_hour, out_b, out_sum, out_n, out_hi, out_lo):
    """PrognosisTracker.update_rows over a chunk's rows: per hour ``b`` (consecutive rows), the running
    sum of R (NaN already 0) added row after row from 0 (as np.cumsum adds), the count of ``okn`` and
    the hour's highest and lowest ``obs`` (NaN ignored, as np.fmax / np.fmin). ``sums``, ``n``, ``hi``,
    ``lo`` are the open hour ``bucket``'s (``has_hour``: one is open), updated in place; each hour
    closed (a row of a later hour came) is written to ``out_*``. Returns (hours closed, open bucket)."""
    m, k = R.shape
    closed = 0
    for i in range(m):
        if b[i] != bucket:
            if bucket >= 0 and has_hour:
                out_b[closed] = bucket
                for j in range(k):
                    out_sum[closed, j] = sums[j]
                    out_n[closed, j] = n[j]
                    out_hi[closed, j] = hi[j]
                    out_lo[closed, j] = lo[j]
                closed += 1
            bucket = b[i]
            has_hour = True
            for j in range(k):
                sums[j] = 0.0
                n[j] = 0.0
                hi[j] = obs[i, j]
                lo[j] = obs[i, j]
        for j in range(k):
            v = obs[i, j]
            if v == v:
                if hi[j] != hi[j] or v > hi[j]:
                    hi[j] = v
                if lo[j] != lo[j] or v < lo[j]:
                    lo[j] = v
            sums[j] = sums[j] + R[i, j]
            n[j] = n[j] + okn[i, j]
    return closed, bucket


@njit(cache=True)
def clock_rows(ts, last, period):
    """The rows where a clock that fires ``period`` seconds after it last fired fires (``ts - last >=
    period``, the very comparison PumpPipeline._after makes reading by reading), and its last firing:
    at a 5-minute poll every row of a chunk, a per-row Python loop over a season's millions."""
    out = np.empty(len(ts), dtype=np.int64)
    k = 0
    for i in range(len(ts)):
        if ts[i] - last >= period:
            last = ts[i]
            out[k] = i
            k += 1
    return out[:k], last


@njit(cache=True, error_model="numpy")
def offset_scaled(sig, alarm, ok):  # pragma: no cover - compiled
    """sensor_offset.best_offsets' scaled signatures in one pass: per row r, sensor k, target t,
    sig / alarm where the drift (``ok``) and the signature are finite there, else 0.0: the value
    np.where(ok[:, None, :] & np.isfinite(sig), sig / alarm[:, None, :], 0.0) picks, the same
    division (sig (m, sensors, targets), alarm and ok (m, targets), C-contiguous)."""
    m, ns, nt = sig.shape
    a = np.empty((m, ns, nt))
    for r in range(m):
        for k in range(ns):
            for t in range(nt):
                s = sig[r, k, t]
                a[r, k, t] = s / alarm[r, t] if ok[r, t] and math.isfinite(s) else 0.0
    return a


@njit(cache=True, error_model="numpy")
def offset_parts(a, d, b):  # pragma: no cover - compiled
    """best_offsets' explained parts a * d[:, :, None] and what is left of the drift
    b[:, None, :] - part, in one pass: the same products and differences, element by element."""
    m, ns, nt = a.shape
    part = np.empty((m, ns, nt))
    rest = np.empty((m, ns, nt))
    for r in range(m):
        for k in range(ns):
            dk = d[r, k]
            for t in range(nt):
                p = a[r, k, t] * dk
                part[r, k, t] = p
                rest[r, k, t] = b[r, t] - p
    return part, rest
