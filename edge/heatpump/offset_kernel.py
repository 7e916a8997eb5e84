"""The pre-judgement's offset estimate in one compiled pass (replay speed).

PumpPipeline._estimate_offsets asks, for every rule row that might read it, whether the best
single-sensor offset could change what a rule says. In numpy that is 16 copies of each row (the
reading and one perturbed copy per sensor of SENSOR_STEPS) through the operating-point features,
the healthy model's prediction, the derived channels and the targets, then a least squares per
sensor: two dozen array passes over (rows, 16, channels) arrays, a sixth of a milano season's
pipeline. ``offset_estimate`` does it row by row in compiled code:

- the signatures with the same IEEE operations in the same order as the numpy path (features,
  ``HealthyModel.predict``'s products summed in its order, ``derived.derive``'s formulas, the
  saturation temperatures computed outside by ``refrigerant.t_sat``), so bit for bit the same:
  detector.sensor_offsets reuses them for the exact offsets;
- each sensor's share of the drift and level as the numpy estimate computes them, but its sums
  over targets run in order (numpy's sum is pairwise): they differ in the last bits, far below the
  1e-6 margins _estimate_offsets keeps against the rules' thresholds.

Without numba (``batch_kernels.AVAILABLE`` False) the pipeline keeps its numpy path.
tests/edge/heatpump/test_offset_kernel.py holds the two together.
"""

from __future__ import annotations

import math

import numpy as np

from heatwatch.channels import CHANNEL_NAMES, DERIVED_FROM, DERIVED_NAMES, INDEX, MODE_DHW, WATER_KW_PER_LPM_K
from heatwatch.edge.heatpump.batch_kernels import AVAILABLE, njit
from heatwatch.edge.heatpump.detector import _DER_I, _DER_T, _RAW_I, _RAW_T, targets_from
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES, HealthyModel
from heatwatch.edge.heatpump.operating_point import features
from heatwatch.edge.heatpump.sensor_offset import SENSOR_STEPS
from heatwatch.refrigerant import t_sat_array as t_sat  # t_sat's numbers to the bit, by fewer passes

# derive's outputs, in the order the kernel computes them
assert DERIVED_NAMES == ("superheat", "subcooling", "delta_t", "heat_kw", "cop", "evap_approach", "cond_approach",
                         "discharge_superheat", "cond_sat_gap", "evap_sat_gap")

# the channels the kernel reads, by position in CH
_CH_NAMES = ("t_suction", "t_liquid", "t_flow", "t_return", "flow_lpm", "power_w", "t_outdoor", "t_evap", "t_cond",
             "t_discharge", "compressor_hz", "mode", "p_high", "p_low")
CH = np.array([INDEX[n] for n in _CH_NAMES], dtype=np.int64)
SENSOR_COLS = np.array([INDEX[n] for n in SENSOR_STEPS], dtype=np.int64)
STEPS = np.array(list(SENSOR_STEPS.values()), dtype=np.float64)
# the copies whose saturation temperatures are their own (1 + the sensor's position)
K_P_HIGH = 1 + list(SENSOR_STEPS).index("p_high")
K_P_LOW = 1 + list(SENSOR_STEPS).index("p_low")
_I_HIGH, _I_LOW = INDEX["p_high"], INDEX["p_low"]
# which targets each sensor's step can move: its own channel, the derived channels computed from it
# (DERIVED_FROM), and every target for an operating-point input (the model's expectation moves)
_FEATURE_INPUTS = ("t_outdoor", "t_flow", "compressor_hz", "mode")
MOVES = np.array([[s in _FEATURE_INPUTS or t == s or s in DERIVED_FROM.get(t, ()) for t in TARGET_NAMES]
                  for s in SENSOR_STEPS], dtype=np.bool_)
# per target its source (a derived channel: src_der, its index in DERIVED_NAMES; or a raw channel),
# per sensor the targets it moves in increasing order (MV_T[MV_PTR[k]:MV_PTR[k + 1]]), and whether
# it is an operating-point input (its copy is predicted again)
assert sorted([*_RAW_T.tolist(), *_DER_T.tolist()]) == list(range(len(TARGET_NAMES)))
SRC_DER = np.zeros(len(TARGET_NAMES), dtype=np.bool_)
SRC_DER[_DER_T] = True
SRC = np.zeros(len(TARGET_NAMES), dtype=np.int64)
SRC[_RAW_T], SRC[_DER_T] = _RAW_I, _DER_I
MV_PTR = np.concatenate([[0], np.cumsum(MOVES.sum(axis=1))]).astype(np.int64)
MV_T = np.concatenate([np.flatnonzero(row) for row in MOVES]).astype(np.int64)
IS_OP = np.array([INDEX[s] in (INDEX["t_outdoor"], INDEX["t_flow"], INDEX["compressor_hz"], INDEX["mode"])
                  for s in SENSOR_STEPS], dtype=np.bool_)


@njit(cache=True)
def _derived(x, ch, t_hi, t_lo, wk, out):  # pragma: no cover - compiled
    """derived.derive of one reading into out (DERIVED_NAMES order): the same operations."""
    delta_t = x[ch[2]] - x[ch[3]]
    heat_kw = wk * x[ch[4]] * delta_t
    power_kw = x[ch[5]] / 1000.0
    out[0] = x[ch[0]] - t_lo
    out[1] = t_hi - x[ch[1]]
    out[2] = delta_t
    out[3] = heat_kw
    out[4] = heat_kw / power_kw if power_kw > 0.2 else math.nan
    out[5] = x[ch[6]] - x[ch[7]]
    out[6] = x[ch[8]] - x[ch[2]]
    out[7] = x[ch[9]] - t_hi
    out[8] = x[ch[8]] - t_hi
    out[9] = x[ch[7]] - t_lo


@njit(cache=True)
def _predict(x, ch, coef, dhw, f, out):  # pragma: no cover - compiled
    """HealthyModel.predict(features(x)) of one reading into out: the same features, each product
    and sum in predict's order (f[0] * coef[0], then += f[k] * coef[k])."""
    t_out = x[ch[6]] / 10.0
    hz = (x[ch[10]] - 50.0) / 30.0
    f[0] = 1.0
    f[1] = t_out
    f[2] = (x[ch[2]] - 35.0) / 10.0
    f[3] = hz
    f[4] = t_out * hz
    f[5] = hz * hz
    f[6] = 1.0 if x[ch[11]] == dhw else 0.0
    nt = coef.shape[1]
    for t in range(nt):
        out[t] = f[0] * coef[0, t]
    for k in range(1, coef.shape[0]):
        for t in range(nt):
            out[t] += f[k] * coef[k, t]


@njit(cache=True)
def offset_estimate_all_targets(SX, sat, coefs, midx, R, scale, ch, cols, steps, raw_t, raw_i, der_t, der_i, moves,
                                k_hi, k_lo, wk, dhw):  # pragma: no cover - compiled
    """offset_estimate as it was first written, every copy's residual on every target (the moved
    ones read): kept as its reference (test_offset_moved_targets.py). Per row of SX (m, channels):
    every sensor's offset signature (m, sensors, targets), its share of the drift and its level
    (m, sensors: -inf share where the sensor is not usable) and the drift's energy (m). ``sat``
    (m, 4): t_sat of p_high, of p_high + its step, of p_low, of
    p_low + its step; ``coefs[midx[r]]`` the model row r was judged by; R, scale (m, targets) the
    residuals and the levels they were judged against; ch the channels of _CH_NAMES; cols, steps
    the sensors' columns and steps; raw_t/raw_i and der_t/der_i the targets read from a channel
    and from a derived channel; moves (sensors, targets): the targets a sensor's step can move
    (elsewhere the perturbed copy's residual is the reading's own, bit for bit)."""
    m, nch = SX.shape
    ns = len(cols)
    nt = coefs.shape[2]
    sig = np.empty((m, ns, nt))
    share = np.empty((m, ns))
    level = np.empty((m, ns))
    energy = np.empty(m)
    x = np.empty(nch)
    f = np.empty(coefs.shape[1])
    p0 = np.empty(nt)
    p = np.empty(nt)
    d = np.empty(10)
    r0 = np.empty(nt)
    rc = np.empty(nt)
    b = np.empty(nt)
    okb = np.empty(nt, dtype=np.bool_)
    for r in range(m):
        coef = coefs[midx[r]]
        for j in range(nch):
            x[j] = SX[r, j]
        # the reading itself: its residual against the model
        _predict(x, ch, coef, dhw, f, p0)
        _derived(x, ch, sat[r, 0], sat[r, 2], wk, d)
        for q in range(len(raw_t)):
            r0[raw_t[q]] = x[raw_i[q]] - p0[raw_t[q]]
        for q in range(len(der_t)):
            r0[der_t[q]] = d[der_i[q]] - p0[der_t[q]]
        # the drift in alarm units (a channel not finite there counts nothing)
        e = 0.0
        for t in range(nt):
            v = R[r, t] / scale[r, t]
            okb[t] = math.isfinite(v)
            b[t] = v if okb[t] else 0.0
            e += b[t] * b[t]
        energy[r] = e
        for k in range(ns):
            col = cols[k]
            x0 = x[col]
            x[col] = x0 + steps[k]
            # a sensor that is no operating-point input leaves the features, so the prediction
            if col == ch[6] or col == ch[2] or col == ch[10] or col == ch[11]:
                _predict(x, ch, coef, dhw, f, p)
            else:
                for t in range(nt):
                    p[t] = p0[t]
            t_hi = sat[r, 1] if k + 1 == k_hi else sat[r, 0]
            t_lo = sat[r, 3] if k + 1 == k_lo else sat[r, 2]
            _derived(x, ch, t_hi, t_lo, wk, d)
            for q in range(len(raw_t)):
                rc[raw_t[q]] = x[raw_i[q]] - p[raw_t[q]]
            for q in range(len(der_t)):
                rc[der_t[q]] = d[der_i[q]] - p[der_t[q]]
            x[col] = x0
            aa = 0.0
            ab = 0.0
            amax = 0.0
            for t in range(nt):
                if not moves[k, t]:  # rc[t] is r0[t]: (r0 - r0) / step, and nothing to the sums
                    sig[r, k, t] = 0.0 if math.isfinite(r0[t]) else math.nan
                    continue
                s = (rc[t] - r0[t]) / steps[k]
                sig[r, k, t] = s
                if okb[t] and math.isfinite(s):
                    a = s / scale[r, t]
                    aa += a * a
                    ab += a * b[t]
                    if abs(a) > amax or a != a:
                        amax = abs(a)
            usable = (x0 == x0) and aa > 0.0
            dd = ab / aa if usable else ab / 1.0
            share[r, k] = ab * dd / (e if e > 0.0 else math.inf) if usable else -math.inf
            level[r, k] = amax * abs(dd)
    return sig, share, level, energy


@njit(cache=True)
def offset_estimate(SX, sat, coefs, midx, R, scale, ch, cols, steps, src_der, src, is_op, mv_ptr, mv_t,
                    k_hi, k_lo, wk, dhw):  # pragma: no cover - compiled
    """offset_estimate_all_targets' four outputs, bit for bit, with each perturbed copy's residual
    computed only on the targets its sensor's step moves (``mv_t[mv_ptr[k]:mv_ptr[k + 1]]``, in
    increasing order: the sums run in the same order over the same terms) and its prediction made
    again only for an operating-point input (``is_op``); elsewhere the signature is 0.0 (NaN where
    the reading's own residual is not finite), as there. ``src_der[t]``/``src[t]``: target t is
    derived channel src[t] or raw channel src[t]. A milano season: 960,000 rows, two in three of
    the estimate's time was residuals on targets no step moves."""
    m, nch = SX.shape
    ns = len(cols)
    nt = coefs.shape[2]
    sig = np.empty((m, ns, nt))
    share = np.empty((m, ns))
    level = np.empty((m, ns))
    energy = np.empty(m)
    x = np.empty(nch)
    f = np.empty(coefs.shape[1])
    p0 = np.empty(nt)
    p = np.empty(nt)
    d = np.empty(10)
    r0 = np.empty(nt)
    z = np.empty(nt)
    b = np.empty(nt)
    okb = np.empty(nt, dtype=np.bool_)
    for r in range(m):
        coef = coefs[midx[r]]
        for j in range(nch):
            x[j] = SX[r, j]
        # the reading itself: its residual against the model
        _predict(x, ch, coef, dhw, f, p0)
        _derived(x, ch, sat[r, 0], sat[r, 2], wk, d)
        for t in range(nt):
            r0[t] = (d[src[t]] if src_der[t] else x[src[t]]) - p0[t]
            z[t] = 0.0 if math.isfinite(r0[t]) else math.nan
        # the drift in alarm units (a channel not finite there counts nothing)
        e = 0.0
        for t in range(nt):
            v = R[r, t] / scale[r, t]
            okb[t] = math.isfinite(v)
            b[t] = v if okb[t] else 0.0
            e += b[t] * b[t]
        energy[r] = e
        for k in range(ns):
            col = cols[k]
            x0 = x[col]
            x[col] = x0 + steps[k]
            pk = p0
            if is_op[k]:
                _predict(x, ch, coef, dhw, f, p)
                pk = p
            t_hi = sat[r, 1] if k + 1 == k_hi else sat[r, 0]
            t_lo = sat[r, 3] if k + 1 == k_lo else sat[r, 2]
            _derived(x, ch, t_hi, t_lo, wk, d)
            for t in range(nt):
                sig[r, k, t] = z[t]
            aa = 0.0
            ab = 0.0
            amax = 0.0
            for q in range(mv_ptr[k], mv_ptr[k + 1]):
                t = mv_t[q]
                rc = (d[src[t]] if src_der[t] else x[src[t]]) - pk[t]
                s = (rc - r0[t]) / steps[k]
                sig[r, k, t] = s
                if okb[t] and math.isfinite(s):
                    a = s / scale[r, t]
                    aa += a * a
                    ab += a * b[t]
                    if abs(a) > amax or a != a:
                        amax = abs(a)
            x[col] = x0
            usable = (x0 == x0) and aa > 0.0
            dd = ab / aa if usable else ab / 1.0
            share[r, k] = ab * dd / (e if e > 0.0 else math.inf) if usable else -math.inf
            level[r, k] = amax * abs(dd)
    return sig, share, level, energy


def shares(SX: np.ndarray, models: list[HealthyModel], R: np.ndarray, scale: np.ndarray, refrigerant: str,
           compiled: bool | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every sensor's offset signature at each row of SX (m, sensors, targets), its share of the
    drift R / scale and its level (m, sensors), the drift's energy (m); ``models[r]`` judged row r,
    ``scale`` the levels (targets,) or (m, targets). Compiled where numba is installed (``compiled``
    None), numpy otherwise: the same signatures, the shares to the last bits."""
    if compiled is None:
        compiled = AVAILABLE
    return (shares_compiled if compiled else shares_numpy)(SX, models, R, scale, refrigerant)


def shares_compiled(SX: np.ndarray, models: list[HealthyModel], R: np.ndarray, scale: np.ndarray, refrigerant: str,
                    all_targets: bool = False):
    """shares through offset_estimate: the four saturation temperatures per row by t_sat (numpy's
    log and table lookup), the rest in the kernel (``all_targets``: in its reference,
    offset_estimate_all_targets)."""
    uniq = {id(x): x for x in models}
    pos = {k: j for j, k in enumerate(uniq)}
    coefs = np.stack([x.coef for x in uniq.values()])
    midx = np.array([pos[id(x)] for x in models], dtype=np.int64)
    hi, lo = SX[:, _I_HIGH], SX[:, _I_LOW]
    sat = np.stack([t_sat(hi, refrigerant), t_sat(hi + SENSOR_STEPS["p_high"], refrigerant),
                    t_sat(lo, refrigerant), t_sat(lo + SENSOR_STEPS["p_low"], refrigerant)], axis=1)
    args = (np.ascontiguousarray(SX, dtype=np.float64), sat, np.ascontiguousarray(coefs, dtype=np.float64),
            midx, np.ascontiguousarray(R, dtype=np.float64),
            np.ascontiguousarray(np.broadcast_to(scale, R.shape), dtype=np.float64), CH, SENSOR_COLS, STEPS)
    if all_targets:
        return offset_estimate_all_targets(*args, _RAW_T, _RAW_I, _DER_T, _DER_I, MOVES, K_P_HIGH, K_P_LOW,
                                           float(WATER_KW_PER_LPM_K), float(MODE_DHW))
    return offset_estimate(*args, SRC_DER, SRC, IS_OP, MV_PTR, MV_T, K_P_HIGH, K_P_LOW,
                           float(WATER_KW_PER_LPM_K), float(MODE_DHW))


def shares_numpy(SX: np.ndarray, models: list[HealthyModel], R: np.ndarray, scale: np.ndarray, refrigerant: str):
    """shares in numpy: 16 copies of each row (itself and one per sensor, perturbed by its step)
    through the features, the models, the derived channels and the targets, then the least squares
    per sensor. The reference of offset_estimate, and the path without numba."""
    m, n_ch = SX.shape
    steps, cols = STEPS, SENSOR_COLS
    Xp = np.repeat(SX[:, None, :], len(steps) + 1, axis=1)
    Xp[:, np.arange(1, len(steps) + 1), cols] += steps
    flat = Xp.reshape(-1, n_ch)
    Ff = features(flat).reshape(m, len(steps) + 1, -1)
    # a sensor that is no operating-point input leaves the features, so the model's expectation,
    # as they are: predicted once per row, and again only for the copies whose features moved
    # (predict works element by element: the same digits as predicting every copy)
    moved = ~((Ff[:, 1:] == Ff[:, :1]) | (np.isnan(Ff[:, 1:]) & np.isnan(Ff[:, :1]))).all(axis=2)
    Pp = np.empty((m, len(steps) + 1, R.shape[1]))
    for mdl in {id(x): x for x in models}.values():
        sel = np.array([x is mdl for x in models])
        Pp[sel] = mdl.predict(Ff[sel, 0])[:, None, :]
        r, c = np.nonzero(moved & sel[:, None])
        if len(r):
            Pp[r, c + 1] = mdl.predict(Ff[r, c + 1])
    sat = tuple(copies_t_sat(SX, Xp, INDEX[p], refrigerant).reshape(-1) for p in ("p_high", "p_low"))
    Rp = targets_from(flat, refrigerant, sat).reshape(m, len(steps) + 1, -1) - Pp
    with np.errstate(invalid="ignore", divide="ignore"):
        sig = (Rp[:, 1:] - Rp[:, :1]) / steps[None, :, None]
        b = R / scale
        ok = np.isfinite(b)
        b = np.where(ok, b, 0.0)
        energy = (b * b).sum(axis=1)
        a = np.where(ok[:, None, :] & np.isfinite(sig), sig / (scale[:, None, :] if np.ndim(scale) == 2 else scale), 0.0)
        aa = (a * a).sum(axis=2)
        ab = (a * b[:, None, :]).sum(axis=2)
        usable = ~np.isnan(SX[:, cols]) & (aa > 0)
        d = ab / np.where(usable, aa, 1.0)
        share = np.where(usable, ab * d, -np.inf) / np.where(energy > 0, energy, np.inf)[:, None]
        level = np.abs(a).max(axis=2) * np.abs(d)  # (rows, sensors): the largest part explained
    return sig, share, level, energy


def copies_t_sat(SX: np.ndarray, Xp: np.ndarray, col: int, refrigerant: str) -> np.ndarray:
    """t_sat of the pressure in column ``col`` of every perturbed copy Xp (m, sensors + 1, channels)
    of the rows SX: the rows' own, except on the copy that perturbs that sensor (t_sat works element
    by element, so the same numbers as over every copy, with 2 of 16 copies' logs and lookups)."""
    out = np.repeat(t_sat(SX[:, col], refrigerant)[:, None], Xp.shape[1], axis=1)
    k = 1 + list(SENSOR_STEPS).index(CHANNEL_NAMES[col])
    out[:, k] = t_sat(Xp[:, k, col], refrigerant)
    return out
