"""The shift rules' conditions as one table, read on many rows at once (PumpPipeline._shift_candidates).

The pipeline asks, per rule row of a chunk, which shift rules might match: every rule's require,
exclude and support conditions against the row's levels. Read rule by rule, condition by
condition, that was some 200 numpy passes a chunk (8-10 % of the pipeline on a season). Here each
distinct condition (channel, direction, level) is one column and each rule lists its required,
excluded and support columns; one numba pass (_candidates_rows) reads them row by row with the
comparisons of RuleEngine's _meets_level, so the same booleans. Without numba the same table is
read in numpy passes (a gather, one comparison, 0/1 matrix products, exact in float64 for such
small counts); ``candidates_reference`` is the rule-by-rule path both replaced, kept to hold them to.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from heatwatch.edge.heatpump.batch_kernels import AVAILABLE, njit
from heatwatch.rules.engine import min_support_on


@dataclass(frozen=True)
class RuleTable:
    """The shift rules (not sensor-check nor isolated ones) in the rules' order, their conditions as columns."""

    rules: tuple  # the shift rules, in order
    channels: tuple[str, ...]  # per condition column: the channel it reads
    sign: np.ndarray  # per column: +1 up, -1 down (the level negated, exactly), 0 either (its absolute value)
    level: np.ndarray  # per column: the condition's level
    require: np.ndarray  # columns x rules, 1.0 where the rule requires the column
    exclude: np.ndarray  # columns x rules
    support: np.ndarray  # columns x rules
    n_require: np.ndarray  # per rule: how many columns it requires
    min_support: np.ndarray  # per rule
    prior_min_support: np.ndarray  # per rule (its min_support where it has none)
    fleet_min_support: np.ndarray  # per rule (its min_support where it has none)
    isolated_levels: tuple[float, ...]  # the isolated-shift rules' levels (after no sensor-check rule)
    parts: tuple  # the kernel's: per rule its require, exclude and support columns (start/stop, columns)


def compile_rules(rules) -> RuleTable:
    """The table of these rules' shift conditions."""
    shift = tuple(r for r in rules if not r.sensor_check and not r.isolated_shift)
    cols: dict[tuple[str, str, float], int] = {}
    for r in shift:
        for part in (r.require, r.exclude, r.support):
            for ch, c in part.items():
                cols.setdefault((ch, c.direction, float(c.level)), len(cols))
    mats = [np.zeros((len(cols), len(shift))) for _ in range(3)]
    for k, r in enumerate(shift):
        for m, part in zip(mats, (r.require, r.exclude, r.support)):
            for ch, c in part.items():
                m[cols[(ch, c.direction, float(c.level))], k] = 1.0
    keys = list(cols)
    return RuleTable(
        rules=shift, channels=tuple(ch for ch, _, _ in keys),
        sign=np.array([{"up": 1.0, "down": -1.0, "either": 0.0}[d] for _, d, _ in keys]),
        level=np.array([lv for _, _, lv in keys], dtype=float),
        require=mats[0], exclude=mats[1], support=mats[2],
        n_require=mats[0].sum(axis=0),
        min_support=np.array([r.min_support for r in shift], dtype=float),
        prior_min_support=np.array([r.min_support if r.prior_min_support is None else r.prior_min_support
                                    for r in shift], dtype=float),
        fleet_min_support=np.array([r.min_support if r.fleet_min_support is None else r.fleet_min_support
                                    for r in shift], dtype=float),
        isolated_levels=tuple(r.isolated_level for r in rules if not r.sensor_check and r.isolated_shift),
        parts=tuple(_csr(m) for m in mats))


def _csr(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A columns x rules 0/1 matrix as per rule its columns (ptr, idx)."""
    idx = [np.flatnonzero(m[:, k]) for k in range(m.shape[1])]
    ptr = np.zeros(m.shape[1] + 1, dtype=np.int64)
    ptr[1:] = np.cumsum([len(i) for i in idx])
    return ptr, (np.concatenate(idx) if idx else np.zeros(0)).astype(np.int64)


_gathers: dict[tuple[int, int], tuple] = {}  # per table and column map (held, so their ids stay theirs): the gather


def candidates(table: RuleTable, col: dict[str, int], L: np.ndarray, seen: np.ndarray,
               extra: dict[str, np.ndarray], prior: bool, compiled: bool = AVAILABLE,
               fleet: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Per row and shift rule: does it match (rows x rules, bool) and how many of its support
    conditions are met (rows x rules, int). ``L``/``seen``: the target channels' levels and which
    the evidence has (``col`` their columns), ``extra``: other channels' levels (NaN: none).
    ``compiled``: one numba pass (_candidates_rows), else these numpy passes, its reference; ``fleet``:
    rows judged against a fleet's model (a rule's fleet_min_support)."""
    got = _gathers.get((id(table), id(col)))
    if got is None or got[0] is not table or got[1] is not col or got[2] != col:
        # which columns read a target channel (the others: extra's, or never)
        key = tuple(col.get(ch, -1) for ch in table.channels)
        got = _gathers[(id(table), id(col))] = (table, col, dict(col), key, (
            np.array([k for k, j in enumerate(key) if j >= 0], dtype=np.int64), np.array([j for j in key if j >= 0], dtype=np.int64)))
        if len(_gathers) > 64:
            _gathers.clear()
    key, idx = got[3], got[4]
    if compiled and len(L):
        return _candidates_kernel(table, key, L, seen, extra, prior, fleet)
    V = np.zeros((len(L), len(table.channels)))
    ok = np.zeros(V.shape, dtype=bool)
    V[:, idx[0]], ok[:, idx[0]] = L[:, idx[1]], seen[:, idx[1]]
    for k, j in enumerate(key):
        if j < 0 and table.channels[k] in extra:
            lv = extra[table.channels[k]]
            V[:, k], ok[:, k] = lv, ~np.isnan(lv)
        # else: a channel the evidence never has, never met
    with np.errstate(invalid="ignore"):
        W = np.where(table.sign == 0.0, np.abs(V), V * table.sign)  # -V is exact: V <= -lv iff -V >= lv
        met = (ok & (W >= table.level)).astype(float)
    req, exc, sup = met @ table.require, met @ table.exclude, met @ table.support
    need = _need(table, prior, fleet)
    match = (req == table.n_require) & (exc == 0.0) & (sup >= need)
    return match, sup.astype(int)


def candidates_reference(rules, col: dict[str, int], L: np.ndarray, seen: np.ndarray,
                         extra: dict[str, np.ndarray], prior: bool, fleet: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``candidates`` rule by rule, condition by condition (the path it replaced): the reference."""
    shift = [r for r in rules if not r.sensor_check and not r.isolated_shift]
    never = np.zeros(len(L), dtype=bool)

    def meets(ch: str, cond) -> np.ndarray:
        j = col.get(ch)
        if j is None:
            if ch not in extra:
                return never
            lv, ok = extra[ch], ~np.isnan(extra[ch])
        else:
            lv, ok = L[:, j], seen[:, j]
        with np.errstate(invalid="ignore"):
            if cond.direction == "either":
                return ok & (np.abs(lv) >= cond.level)
            return ok & ((lv >= cond.level) if cond.direction == "up" else (lv <= -cond.level))

    match = np.zeros((len(L), len(shift)), dtype=bool)
    sup = np.zeros((len(L), len(shift)), dtype=int)
    for k, rule in enumerate(shift):
        ok = np.ones(len(L), dtype=bool)
        for ch, c in rule.require.items():
            ok &= meets(ch, c)
        for ch, c in rule.exclude.items():
            ok &= ~meets(ch, c)
        met = np.zeros(len(L), dtype=int)
        for ch, c in rule.support.items():
            met += meets(ch, c)
        ok &= met >= min_support_on(rule, "prior" if prior else "fleet prior" if fleet else "model")
        match[:, k], sup[:, k] = ok, met
    return match, sup


def _need(table: RuleTable, prior: bool, fleet: bool) -> np.ndarray:
    """Each rule's least number of support conditions on rows of this basis."""
    return table.prior_min_support if prior else table.fleet_min_support if fleet else table.min_support


def _candidates_kernel(table: RuleTable, key: tuple, L: np.ndarray, seen: np.ndarray,
                       extra: dict[str, np.ndarray], prior: bool, fleet: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``candidates`` in one compiled pass (the numpy passes above are its reference and the path without numba)."""
    names = [ch for k, ch in enumerate(table.channels) if key[k] < 0 and ch in extra]
    E = np.empty((len(L), len(names)))
    for x, ch in enumerate(names):
        E[:, x] = extra[ch]
    src = np.array([j if j >= 0 else (-2 - names.index(ch) if ch in names else -1)
                    for j, ch in zip(key, table.channels)], dtype=np.int64)
    (rp, ri), (ep, ei), (sp, si) = table.parts
    need = _need(table, prior, fleet)
    match = np.empty((len(L), len(table.rules)), dtype=np.bool_)
    sup = np.empty((len(L), len(table.rules)), dtype=np.int64)
    _candidates_rows(np.ascontiguousarray(L, dtype=np.float64), np.ascontiguousarray(seen, dtype=np.bool_), E, src,
                     table.sign, table.level, rp, ri, ep, ei, sp, si, need, match, sup)
    return match, sup


@njit(cache=True)
def _candidates_rows(L, seen, E, src, sign, level, rp, ri, ep, ei, sp, si, need, match, sup):  # pragma: no cover
    """Per row: each column met (the same comparisons as the numpy passes), then per rule its counts."""
    n, c, nr = L.shape[0], src.shape[0], match.shape[1]
    met = np.zeros(c, dtype=np.bool_)
    for i in range(n):
        changed = i == 0
        for k in range(c):
            j = src[k]
            if j >= 0:
                ok = seen[i, j]
                v = L[i, j]
            elif j == -1:
                ok = False
                v = 0.0
            else:
                v = E[i, -2 - j]
                ok = not np.isnan(v)
            if ok:
                w = abs(v) if sign[k] == 0.0 else v * sign[k]
                m = w >= level[k]
            else:
                m = False
            if m != met[k]:
                met[k] = m
                changed = True
        if not changed:  # the columns met as on the row before (a season's rows: 99 %): its counts
            for r in range(nr):
                sup[i, r] = sup[i - 1, r]
                match[i, r] = match[i - 1, r]
            continue
        for r in range(nr):
            good = True
            for q in range(rp[r], rp[r + 1]):
                if not met[ri[q]]:
                    good = False
            for q in range(ep[r], ep[r + 1]):
                if met[ei[q]]:
                    good = False
            s = 0
            for q in range(sp[r], sp[r + 1]):
                if met[si[q]]:
                    s += 1
            sup[i, r] = s
            match[i, r] = good and s >= need[r]
    return 0
