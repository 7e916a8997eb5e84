"""judge_kernel.judge_block (one compiled pass over a block) judges as HeatPumpDetector._judge_numpy,
byte for byte: the residuals, averages, levels and scores it fills, the judged rows, the shifts'
and the growing envelope's state, on random blocks (NaN, inf and -0.0 in the features, targets and
predictions, backward and repeated times, gaps, no envelope, no growing envelope)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from heatwatch.edge.heatpump import judge_kernel
from heatwatch.edge.heatpump.detector import _ENVELOPE_FEATURES, HeatPumpDetector
from heatwatch.edge.heatpump.envelope import GrowingEnvelope
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES, fit_equations
from heatwatch.edge.heatpump.operating_point import FEATURE_NAMES

N_T, N_F = len(TARGET_NAMES), len(FEATURE_NAMES)
ODD = [math.nan, math.inf, -math.inf, -0.0, 0.0, 1e300]


def _features(rng: np.random.Generator, n: int) -> np.ndarray:
    F = np.column_stack([np.ones(n), rng.normal(0.5, 1.0, n), rng.normal(0.0, 1.0, n), rng.normal(-0.3, 0.5, n)])
    F = np.column_stack([F, F[:, 1] * F[:, 3], F[:, 3] ** 2, (rng.random(n) < 0.1).astype(float)])
    return F


def _spoil(rng: np.random.Generator, A: np.ndarray, share: float) -> None:
    k = int(rng.binomial(A.size, share))
    A.flat[rng.integers(0, A.size, size=k)] = rng.choice(ODD, size=k)


def _detector(rng: np.random.Generator) -> HeatPumpDetector:
    det = HeatPumpDetector()
    det.alarm = rng.uniform(0.05, 3.0, N_T)
    det.envelope = None if rng.random() < 0.2 else np.array([[-1.0, -1.5, -1.0], [2.0, 1.5, 0.5]])
    if rng.random() < 0.8:
        Fc = _features(rng, 300)
        Yc = Fc @ rng.normal(size=(N_F, N_T)) + rng.normal(0.0, 0.1, (300, N_T))
        det.growth = GrowingEnvelope(fit_equations(Fc, Yc)[1], Fc, 1e-2)
        if rng.random() < 0.2:
            det.growth.h_ref = float(rng.choice([0.0, math.inf, 1e-300]))
        det.growth.block.worst = float(rng.choice([0.0, 0.3, math.nan]))
    for shift in (det.shift, det.uncertainty):
        shift.residual = rng.normal(size=len(shift.residual))
        shift.observed = np.where(rng.random(len(shift.residual)) < 0.3, np.nan, rng.normal(size=len(shift.residual)))
        shift.last_ts = float(rng.choice([math.nan, -600.0, 0.0]))
    if rng.random() < 0.1:
        det.uncertainty.last_ts = 300.0
    return det


def _chunk(rng: np.random.Generator, n: int):
    ts = np.cumsum(rng.choice([300.0, 300.0, 300.0, 600.0, 3300.0, 7200.0, 0.0, -300.0, 299.5], size=n))
    if rng.random() < 0.1:
        ts[rng.integers(0, n)] = rng.choice([math.nan, math.inf, -0.0])
    F = _features(rng, n)
    Y = rng.normal(size=(n, N_T)) * 2.0
    P = Y + rng.normal(0.0, 0.5, (n, N_T)) + (rng.random((n, 1)) < 0.3) * rng.normal(0.0, 5.0, (1, N_T))
    share = float(rng.choice([0.0, 0.01, 0.1]))
    for A in (F, Y, P):
        _spoil(rng, A, share)
    steady = rng.random(n) < rng.uniform(0.0, 1.0)
    return ts, F, Y, P, steady


def _bytes(*arrays) -> list[bytes]:
    return [np.asarray(a, dtype=float).tobytes() for a in arrays]


def _nan_one(a) -> bytes:
    """A score's bytes with every NaN made one: np.max gives a NaN's sign and payload by its position
    in the SIMD pass (judge_kernel's docstring); nothing reads them."""
    a = np.array(a, dtype=float)
    a[np.isnan(a)] = np.nan
    return a.tobytes()


def _state(det: HeatPumpDetector) -> list:
    out = [det.outside_envelope, *_bytes(det.shift.residual, det.shift.observed, [det.shift.last_ts],
                                         det.uncertainty.residual, det.uncertainty.observed, [det.uncertainty.last_ts])]
    g = det.growth
    if g is not None:
        out += [g.block.judged, _nan_one([g.block.worst]), len(g._rows_f)]
        if g._rows_f:
            out += _bytes(np.concatenate(g._rows_f), np.concatenate(g._rows_y))
    return out


@pytest.mark.parametrize("seed", range(80))
def test_judge_block_is_the_numpy_judgement(seed: int) -> None:
    rng = np.random.default_rng(seed)
    det = _detector(rng)
    n = int(rng.integers(1, 300))
    ts, F, Y, P, steady = _chunk(rng, n)
    kern, ref = det, copy.deepcopy(det)
    out = {name: [np.full((n, N_T), -7.0) for _ in range(3)] + [np.full(n, -7.0)] for name in ("kern", "ref")}
    cuts = sorted({0, n, *rng.integers(0, n, size=int(rng.integers(0, 4))).tolist()})
    compiled = 0
    with np.errstate(all="ignore"):
        for lo, hi in zip(cuts[:-1], cuts[1:]):
            rows = judge_kernel.judge_block(kern, lo, hi, ts, F, Y, steady, P, *out["kern"], _ENVELOPE_FEATURES)
            if rows is None:  # a NaN step: the numpy path judges it (and is the reference anyway)
                rows = kern._judge_numpy(lo, hi, ts, F, Y, steady, P, *out["kern"])
            else:
                compiled += 1
            want = ref._judge_numpy(lo, hi, ts, F, Y, steady, P, *out["ref"])
            assert rows.tobytes() == want.tobytes()
            assert _state(kern) == _state(ref)
    assert _bytes(*out["kern"][:3]) == _bytes(*out["ref"][:3])
    assert _nan_one(out["kern"][3]) == _nan_one(out["ref"][3])
    if not np.isnan(ts).any():
        assert compiled == len(cuts) - 1, "every block judged by the kernel"


def test_the_kernel_judged_real_shifts() -> None:
    """The random blocks above reach levels beyond the alarm, NaN scores and far rows kept, so
    every branch is compared (the test would pass vacuously on all-quiet blocks otherwise)."""
    seen = {"alarm": False, "nan": False, "far": False, "outside": False}
    for seed in range(80):
        rng = np.random.default_rng(seed)
        det = _detector(rng)
        n = int(rng.integers(1, 300))
        ts, F, Y, P, steady = _chunk(rng, n)
        R, O, S, score = np.empty((n, N_T)), np.empty((n, N_T)), np.empty((n, N_T)), np.empty(n)
        with np.errstate(all="ignore"):
            rows = judge_kernel.judge_block(det, 0, n, ts, F, Y, steady, P, R, O, S, score, _ENVELOPE_FEATURES)
        if rows is None:
            continue
        seen["alarm"] |= bool((score > 1.0).any())
        seen["nan"] |= bool(np.isnan(score).any())
        seen["far"] |= bool(det.growth is not None and det.growth._rows_f)
        seen["outside"] |= det.outside_envelope > 0
    assert all(seen.values()), seen
