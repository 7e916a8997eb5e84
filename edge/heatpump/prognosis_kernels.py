"""The prognosis' small array steps, compiled (replay speed).

A season's replay makes some 90,000 least-squares fits of growth laws through a month of days and
reads each fitted curve some 90,000 times; each fit's matrix (np.polyfit's Vandermonde matrix,
weights and column scaling) and each curve's value (np.polyval's Horner steps) were a dozen numpy
calls on arrays of a few dozen numbers, where the calls cost more than the arithmetic. These run
the very same IEEE operations in the same order (no fused multiply-add, no reassociation: numba's
default; a column's sum of squares row after row, as numpy reduces the rows of a C-ordered
matrix), so the same bits (tests/edge/heatpump/test_prognosis_exact.py). The least squares itself
stays numpy's LAPACK call, and every ``exp``, ``log`` and power stays numpy's.

Without numba (``AVAILABLE`` False) the same steps run through numpy.
"""

from __future__ import annotations

import numpy as np

from heatwatch.edge.heatpump.batch_kernels import AVAILABLE, njit


@njit(cache=True)
def _fit_matrix_nb(x, y, w, weighted, order):  # pragma: no cover - compiled
    m = len(x)
    lhs = np.empty((m, order))
    rhs = np.empty(m)
    for i in range(m):
        lhs[i, order - 1] = 1.0
        lhs[i, order - 2] = x[i]
        if order == 3:
            lhs[i, 0] = x[i] * x[i]
        rhs[i] = y[i] + 0.0
        if weighted:
            for j in range(order):
                lhs[i, j] = lhs[i, j] * w[i]
            rhs[i] = rhs[i] * w[i]
    ss = np.zeros(order)
    for i in range(m):
        for j in range(order):
            ss[j] = ss[j] + lhs[i, j] * lhs[i, j]
    scale = np.sqrt(ss)
    for i in range(m):
        for j in range(order):
            lhs[i, j] = lhs[i, j] / scale[j]
    return lhs, rhs, scale


def _fit_matrix_np(x: np.ndarray, y: np.ndarray, w: np.ndarray, weighted: bool,
                   order: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lhs = np.empty((len(x), order))
    lhs[:, -1] = 1.0
    lhs[:, -2] = x
    if order == 3:
        lhs[:, 0] = x * x  # vander's column, its running product of x
    rhs = y + 0.0
    if weighted:
        lhs *= w[:, None]
        rhs *= w
    scale = np.sqrt((lhs * lhs).sum(axis=0))
    lhs /= scale
    return lhs, rhs, scale


def fit_matrix(x: np.ndarray, y: np.ndarray, w: np.ndarray | None,
               order: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """np.polyfit's least-squares problem for degree ``order - 1`` (2 or 3 columns): the scaled
    Vandermonde matrix (weighted rows when ``w`` is given), the right-hand side and the columns' scale."""
    if AVAILABLE:
        return _fit_matrix_nb(x, y, x if w is None else w, w is not None, order)
    return _fit_matrix_np(x, y, x if w is None else w, w is not None, order)


@njit(cache=True)
def _horner_nb(coef, g):  # pragma: no cover - compiled
    out = np.empty(len(g))
    for i in range(len(g)):
        y = 0.0
        for c in coef:
            y = y * g[i] + c
        out[i] = y
    return out


def horner(coef: np.ndarray, g: np.ndarray) -> np.ndarray:
    """np.polyval(coef, g) of a float coefficient vector and a 1-D float array: from zeros, y * g + c
    per coefficient, highest first (the same steps, so the same bits)."""
    if AVAILABLE:
        return _horner_nb(coef, np.ascontiguousarray(g, dtype=np.float64))
    return np.polyval(coef, g)


@njit(cache=True)
def _passage_z_nb(base, e, target, h):  # pragma: no cover - compiled
    b, nb = len(e), len(base)
    z = np.empty((b, nb))
    for i in range(b):
        for j in range(nb):
            v = ((base[j] + e[i]) - target) / h[j]
            if v < -30.0:  # np.maximum then np.minimum: NaN stays NaN
                v = -30.0
            if v > 30.0:
                v = 30.0
            z[i, j] = v * -1.702
    return z


def passage_z(base: np.ndarray, e: np.ndarray, target: float, h: np.ndarray) -> np.ndarray:
    """-1.702 x clip((base + e - target) / h, -30, 30) per future day (rows, ``e``) and healthy day
    (columns, ``base``): the logistic's exponent of _passage_days, its operations in its order."""
    if AVAILABLE:
        return _passage_z_nb(base, np.ascontiguousarray(e, dtype=np.float64), float(target), h)
    z = base[None, :] + e[:, None]
    z -= target
    z /= h[None, :]
    np.minimum(np.maximum(z, -30.0, out=z), 30.0, out=z)
    z *= -1.702
    return z


@njit(cache=True)
def _row_sum_nb(k, i, j0, j1):  # pragma: no cover - compiled
    """np.add.reduce over k[i, j0:j1] as numpy sums a contiguous run: its identity 0.0 plus the
    pairwise sum of the run (below 8 in a row from -0.0; up to 128 in eight running sums, then
    their tree, then the rest in a row)."""
    n = j1 - j0
    if n < 8:
        res = -0.0  # numpy's start: -0.0 + x is x
        for q in range(n):
            res += k[i, j0 + q]
        return 0.0 + res
    r0, r1, r2, r3 = k[i, j0], k[i, j0 + 1], k[i, j0 + 2], k[i, j0 + 3]
    r4, r5, r6, r7 = k[i, j0 + 4], k[i, j0 + 5], k[i, j0 + 6], k[i, j0 + 7]
    q = 8
    while q < n - (n % 8):
        r0 += k[i, j0 + q]
        r1 += k[i, j0 + q + 1]
        r2 += k[i, j0 + q + 2]
        r3 += k[i, j0 + q + 3]
        r4 += k[i, j0 + q + 4]
        r5 += k[i, j0 + q + 5]
        r6 += k[i, j0 + q + 6]
        r7 += k[i, j0 + q + 7]
        q += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while q < n:
        res += k[i, j0 + q]
        q += 1
    return 0.0 + res


@njit(cache=True)
def _passage_p_nb(ez, w, spell, use_w):  # pragma: no cover - compiled
    b, nb = ez.shape
    q = np.empty(b)
    s0 = max(nb - spell, 0)
    for i in range(b):
        for j in range(nb):
            ez[i, j] = 1.0 / (ez[i, j] + 1.0)
        p = _row_sum_nb(ez, i, 0, nb) / nb
        if use_w:
            p = (1.0 - w[i]) * p + w[i] * (_row_sum_nb(ez, i, s0, nb) / (nb - s0))
        q[i] = 1.0 - p
    return q


def passage_q(ez: np.ndarray, w: np.ndarray | None, spell: int) -> np.ndarray:
    """From exp(z) (overwritten with the logistic k = 1 / (1 + exp(z))): 1 - the day's trip share,
    the share the mean of k over the healthy days, mixed with the last ``spell`` days' mean by the
    weights ``w`` of the spell (None: none); np.add.reduce's sums, so the same numbers."""
    if AVAILABLE and ez.shape[1] <= 128:  # _row_sum_nb: numpy's sum of a run up to 128 (a prognosis reads 14)
        return _passage_p_nb(ez, ez[:, 0] if w is None else w, spell, w is not None)
    ez += 1.0
    k = np.divide(1.0, ez, out=ez)
    p_day = np.add.reduce(k, axis=1) / k.shape[1]
    if w is not None:
        sp = k[:, -spell:]
        p_day = (1.0 - w) * p_day + w * (np.add.reduce(sp, axis=1) / sp.shape[1])
    return 1.0 - p_day


@njit(cache=True)
def _survival_nb(terms, prev):  # pragma: no cover - compiled
    s = prev
    for i in range(len(terms)):
        s = s * terms[i]
        if s <= 0.5:
            return i, s
    return -1, s


def survival(terms: np.ndarray, prev: float) -> tuple[int, float]:
    """The running product of ``terms`` from ``prev`` (np.multiply.accumulate's order): the index of
    the first product at or below one half (-1: none) and that product, or the last one."""
    if AVAILABLE:
        return _survival_nb(terms, float(prev))
    acc = np.multiply.accumulate(np.concatenate([[prev], terms]))[1:]
    below = np.flatnonzero(acc <= 0.5)
    return (int(below[0]), float(acc[below[0]])) if len(below) else (-1, float(acc[-1]))


# The logistic's exponent at its clip, -1.702 x (-30) and -1.702 x 30 as passage_z makes them, and
# 1 / (1 + exp(.)) of each with numpy's exp: the same number every element clipped there gets (about
# half of a season's elements are, the days far from the limit or far past it), so its exp is taken once
Z_CLIP_LOW = -30.0 * -1.702
Z_CLIP_HIGH = 30.0 * -1.702
_EXP_CLIPS = np.exp(np.array([Z_CLIP_LOW, Z_CLIP_HIGH] * 8))  # a run as long as numpy's vector loops take
K_CLIP_LOW = 1.0 / (float(_EXP_CLIPS[0]) + 1.0)
K_CLIP_HIGH = 1.0 / (float(_EXP_CLIPS[1]) + 1.0)


@njit(cache=True)
def _passage_free_nb(base, e, target, h, z_lo, z_hi):  # pragma: no cover - compiled
    b, nb = len(e), len(base)
    z = np.empty((b, nb))
    u = np.empty(b * nb)
    n = 0
    for i in range(b):
        for j in range(nb):
            v = ((base[j] + e[i]) - target) / h[j]
            if v < -30.0:
                v = -30.0
            if v > 30.0:
                v = 30.0
            zz = v * -1.702
            z[i, j] = zz
            if not (zz == z_lo or zz == z_hi):  # NaN too
                u[n] = zz
                n += 1
    return z, u[:n]


def passage_free(base: np.ndarray, e: np.ndarray, target: float, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """passage_z's exponents ``z`` and, in their order, those not at a clip (a contiguous array for
    numpy's exp; passage_q_free reads the rest from the clips' constants). Compiled only."""
    return _passage_free_nb(base, np.ascontiguousarray(e, dtype=np.float64), float(target), h, Z_CLIP_LOW, Z_CLIP_HIGH)


@njit(cache=True)
def _passage_q_free_nb(z, eu, z_lo, z_hi, k_lo, k_hi, w, spell, use_w, share=False):  # pragma: no cover - compiled
    b, nb = z.shape
    k = np.empty((b, nb))
    q = np.empty(b)
    s0 = max(nb - spell, 0)
    c = 0
    for i in range(b):
        for j in range(nb):
            zz = z[i, j]
            if zz == z_lo:
                k[i, j] = k_lo
            elif zz == z_hi:
                k[i, j] = k_hi
            else:
                k[i, j] = 1.0 / (eu[c] + 1.0)
                c += 1
        p = _row_sum_nb(k, i, 0, nb) / nb
        if use_w:
            p = (1.0 - w[i]) * p + w[i] * (_row_sum_nb(k, i, s0, nb) / (nb - s0))
        q[i] = p if share else 1.0 - p
    return q


def passage_q_free(z: np.ndarray, eu: np.ndarray, w: np.ndarray | None, spell: int) -> np.ndarray:
    """passage_q of exp(z), from passage_free's exponents ``z`` and numpy's exp of those not at a
    clip (``eu``, in their order): each clipped element's logistic is the clip's constant, the same
    number 1 / (1 + exp(z)) makes of it; the same sums, so the same numbers. Compiled only, up to 128
    healthy days (_row_sum_nb)."""
    return _passage_q_free_nb(z, eu, Z_CLIP_LOW, Z_CLIP_HIGH, K_CLIP_LOW, K_CLIP_HIGH,
                              z[:, 0] if w is None else w, spell, w is not None)


def share_free(z: np.ndarray, eu: np.ndarray) -> np.ndarray:
    """The day's trip share itself (the mean of the logistic over the healthy days, as
    ``k.mean(axis=1)``), not 1 - it: passage_q_free's numbers before its last step, no spell. Compiled only."""
    return _passage_q_free_nb(z, eu, Z_CLIP_LOW, Z_CLIP_HIGH, K_CLIP_LOW, K_CLIP_HIGH, z[:, 0], 1, False, True)


@njit(cache=True)
def _fit_matrices_nb(x, y, logy, los, his, orders, weighted):  # pragma: no cover - compiled
    k = len(los)
    total = 0
    for f in range(k):
        total += his[f] - los[f]
    lhs = np.zeros((total, 3))
    rhs = np.empty(total)
    scale = np.ones((k, 3))
    r0 = 0
    for f in range(k):
        order = orders[f]
        for i in range(los[f], his[f]):
            r = r0 + i - los[f]
            lhs[r, order - 1] = 1.0
            lhs[r, order - 2] = x[i]
            if order == 3:
                lhs[r, 0] = x[i] * x[i]
            if weighted[f]:  # the exponential law: log y weighted by y
                rhs[r] = logy[i] + 0.0
                for j in range(order):
                    lhs[r, j] = lhs[r, j] * y[i]
                rhs[r] = rhs[r] * y[i]
            else:
                rhs[r] = y[i] + 0.0
        m = his[f] - los[f]
        ss = np.zeros(order)
        for r in range(r0, r0 + m):
            for j in range(order):
                ss[j] = ss[j] + lhs[r, j] * lhs[r, j]
        for j in range(order):
            scale[f, j] = np.sqrt(ss[j])
        for r in range(r0, r0 + m):
            for j in range(order):
                lhs[r, j] = lhs[r, j] / scale[f, j]
        r0 += m
    return lhs, rhs, scale


def fit_matrices(x: np.ndarray, y: np.ndarray, logy: np.ndarray, los: np.ndarray, his: np.ndarray,
                 orders: np.ndarray, weighted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """fit_matrix of each window x[lo:hi] (order 2 or 3 columns), all in one call: the problems' rows
    one after the other in ``lhs`` (its first ``order`` columns), ``rhs`` and each one's scale (a row of
    ``scale``). ``weighted``: the exponential law's problem, log y (``logy``, numpy's log) weighted by y.
    The same operations in the same order as fit_matrix, so the same numbers; a season's refresh builds
    some thirty of these, each a call and three arrays handed back the other way."""
    if AVAILABLE:
        return _fit_matrices_nb(x, y, logy, los, his, orders, weighted)
    lhs, rhs = np.zeros((int(np.sum(his - los)), 3)), np.empty(int(np.sum(his - los)))
    scale = np.ones((len(los), 3))
    r0 = 0
    for f, (lo, hi, order) in enumerate(zip(los.tolist(), his.tolist(), orders.tolist())):
        w = y[lo:hi] if weighted[f] else None
        a, b, s = fit_matrix(x[lo:hi], logy[lo:hi] if weighted[f] else y[lo:hi], w, order)
        lhs[r0:r0 + hi - lo, :order], rhs[r0:r0 + hi - lo], scale[f, :order] = a, b, s
        r0 += hi - lo
    return lhs, rhs, scale


@njit(cache=True)
def _largest_v_nb(base, e, target, h):  # pragma: no cover - compiled
    top = -np.inf
    for j in range(len(base)):
        if not h[j] > 0.0:
            return np.nan
        v = ((base[j] + e) - target) / h[j]
        if v != v:
            return np.nan
        if v > top:
            top = v
    return top


def largest_v(base: np.ndarray, e: float, target: float, h: np.ndarray) -> float:
    """The largest of passage_z's (base + e - target) / h over the healthy days at one excess ``e``, its
    operations in its order; NaN where one is NaN or a width is not positive (nothing to bound)."""
    if AVAILABLE:
        return float(_largest_v_nb(base, float(e), float(target), h))
    if not (h > 0.0).all():
        return float("nan")
    with np.errstate(all="ignore"):
        return float(((base + e - target) / h).max())  # max: NaN where any is


@njit(cache=True)
def _chain_free_nb(c, base_eev, base_dis, beta, gain, starts, target, h, z_lo, z_hi):  # pragma: no cover - compiled
    n, nh, nd = len(c), len(base_dis), len(starts)
    c_max = c[0]  # c.max(axis=0) of the block (finite)
    for i in range(1, n):
        if c[i] > c_max:
            c_max = c[i]
    active = np.empty(nh, np.bool_)
    for j in range(nh):
        active[j] = base_eev[j] * (1.0 + c_max) / 100.0 - 1.0 > 0.0
    ends = np.empty(nd, np.int64)
    quiet = np.empty(nd)  # np.maximum.reduceat of the day's hours, the short ones at -inf
    for d in range(nd):
        ends[d] = starts[d + 1] if d + 1 < nd else nh
        m = -np.inf if active[starts[d]] else base_dis[starts[d]]
        for j in range(starts[d] + 1, ends[d]):
            v = -np.inf if active[j] else base_dis[j]
            if not (m >= v or m != m):  # np.maximum: the first unless the second is larger (NaN: the NaN)
                m = v
        quiet[d] = m
    z = np.empty((n, nd))
    u = np.empty(n * nd)
    k = 0
    for i in range(n):
        bc = beta * c[i]
        for d in range(nd):
            worst = quiet[d] + bc
            first = True
            top = 0.0
            for j in range(starts[d], ends[d]):
                if active[j]:  # base_dis + beta c + gain * max(base_eev (1 + c) / 100 - 1, 0)
                    s = base_eev[j] * (1.0 + c[i]) / 100.0 - 1.0
                    if not (s >= 0.0 or s != s):
                        s = 0.0
                    w = (base_dis[j] + bc) + gain * s
                    if first:
                        top = w
                        first = False
                    elif not (top >= w or top != top):
                        top = w
            if not first and not (worst >= top or worst != worst):
                worst = top
            v = (worst - target) / h
            if v < -30.0:
                v = -30.0
            if v > 30.0:
                v = 30.0
            zz = v * -1.702
            z[i, d] = zz
            if not (zz == z_lo or zz == z_hi):
                u[k] = zz
                k += 1
    return z, u[:k]


def chain_free(c: np.ndarray, base_eev: np.ndarray, base_dis: np.ndarray, beta: float, gain: float,
               starts: np.ndarray, target: float, h: float) -> tuple[np.ndarray, np.ndarray]:
    """The leak chain's logistic exponents -1.702 x clip((worst - target) / h, -30, 30) per future day
    (rows, the block's finite charge indices ``c``) and past day (the runs of hours from ``starts``), the
    day's worst hour as prognosis_chain._worst_days makes it (the hours short of valve at the block's
    largest c taken whole, the others by their day's largest healthy discharge), each operation of it in
    its order; and, in their order, those exponents not at a clip (passage_free's pair: passage_q_free of
    numpy's exp of them is 1 - the day's trip share). Compiled only."""
    return _chain_free_nb(np.ascontiguousarray(c, dtype=np.float64), base_eev, base_dis, float(beta), float(gain),
                          starts.astype(np.int64), float(target), float(h), Z_CLIP_LOW, Z_CLIP_HIGH)


@njit(cache=True)
def _day_frontier_nb(d_days, base_eev, base_dis):  # pragma: no cover - compiled
    n = len(d_days)
    keep = np.zeros(n, np.bool_)
    for j in range(n):
        if base_eev[j] != base_eev[j] or base_dis[j] != base_dis[j]:
            return False, keep
        if j > 0 and d_days[j] < d_days[j - 1]:
            return False, keep
    order = np.empty(n, np.int64)
    i0 = 0
    while i0 < n:
        i1 = i0 + 1
        while i1 < n and d_days[i1] == d_days[i0]:
            i1 += 1
        # the day's hours by the widest opening, then the worst discharge, then their order (a stable sort)
        for q in range(i0, i1):
            order[q] = q
            p = q
            while p > i0:
                a, b = order[p - 1], order[p]
                if base_eev[b] > base_eev[a] or (base_eev[b] == base_eev[a] and base_dis[b] > base_dis[a]):
                    order[p - 1], order[p] = b, a
                    p -= 1
                else:
                    break
        top = base_dis[order[i0]]
        keep[order[i0]] = True
        for q in range(i0 + 1, i1):
            j = order[q]
            if base_dis[j] > top:  # outdone in discharge by no hour of a wider (or as wide, earlier) opening
                keep[j] = True
                top = base_dis[j]
        i0 = i1
    return True, keep


def day_frontier(d_days: np.ndarray, base_eev: np.ndarray, base_dis: np.ndarray) -> np.ndarray | None:
    """prognosis_chain._day_frontier's hours (indices in time order) for days in order and no NaN: per day,
    in the order of the widest opening, then the worst discharge, then time, the hours whose discharge is
    above every one before them (np.unique's ranks compare as the values do, equal values one rank);
    None where the days are out of order or a value is NaN (the numpy steps decide). Compiled only."""
    ok, keep = _day_frontier_nb(np.ascontiguousarray(d_days, dtype=np.int64), base_eev, base_dis)
    return np.flatnonzero(keep) if ok else None
