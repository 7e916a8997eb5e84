"""DesignHeadroom.update_rows in one compiled call per chunk (batch_kernels.design_headroom_rows: the
blocks' close, push and refit inside it) is update() row by row, to the bit: the upper after every
row, the blocks kept (past the last thirty days' 120, so the oldest go), the fit and the open
block's state, over chunks cut anywhere, with rows the loss is not defined on, blocks too short
to count, gaps of hours and a missing outdoor temperature."""

from __future__ import annotations

import math

import numpy as np
import pytest

from heatwatch.edge.heatpump import batch_kernels
from heatwatch.edge.heatpump.design_headroom import MAX_BLOCKS, DesignHeadroom
from heatwatch.refrigerant import ISENTROPIC_EXPONENT

K = ISENTROPIC_EXPONENT["R32"]
BLOCK, TAU, MIN_LIFT, T_TRIP = 6 * 3600.0, 900.0, 8.0, 115.0


def _season(seed: int, days: float = 40.0):
    """Readings every 5 minutes (some hours missing): C as update_rows reads it, and the shift."""
    rng = np.random.default_rng(seed)
    T = np.arange(0.0, days * 86400.0, 300.0)
    T = T[(T // 3600.0) % 53 != 7]  # an hour's gap now and then
    n = len(T)
    t_out = -8.0 + 6.0 * np.sin(2 * np.pi * T / 86400.0) + rng.normal(0, 1.0, n)
    t_out[rng.random(n) < 0.02] = np.nan
    p_l = 4.0 * np.exp(0.04 * (t_out + 10.0)) + rng.normal(0, 0.03, n)
    p_h = 33.0 + rng.normal(0, 0.3, n)
    t_s = t_out - 8.0 + rng.normal(0, 0.3, n)
    hz = 60.0 - 2.0 * (t_out + 10.0) + rng.normal(0, 2, n)
    hz[rng.random(n) < 0.05] = 10.0  # below the compressor's floor: no loss
    rise = (t_s + 273.15) * ((p_h / p_l) ** ((K - 1) / K) - 1)
    t_d = t_s + 0.9 * rise + rng.normal(0, 0.3, n)
    t_d[rng.random(n) < 0.03] = np.nan  # a discharge dropout
    # whole blocks nearly off: too few rows to count
    off = ((T // BLOCK) % 17 == 3) & (rng.random(n) < 0.98)
    hz[off] = 0.0
    C = np.column_stack([t_s, t_d, p_h, p_l, hz, 0.3 * hz, t_out])
    shift = rng.normal(0.0, 0.02, n)
    shift[rng.random(n) < 0.01] = -1.5
    return T, C, shift


def _defined(c: np.ndarray) -> bool:
    """compressor_efficiency's loss is defined on this reading (design_headroom_steps' first tests)."""
    t_s, t_d, p_h, p_l, hz = c[0], c[1], c[2], c[3], c[4]
    if not (hz >= 15.0 and p_l > 0.0 and p_h > p_l):
        return False
    rise = (t_s + 273.15) * ((p_h / p_l) ** ((K - 1.0) / K) - 1.0)
    if not rise >= MIN_LIFT:
        return False
    return (t_d - t_s) / rise == (t_d - t_s) / rise


@pytest.mark.parametrize("seed", [1, 2])
def test_update_rows_is_update_row_by_row(seed: int) -> None:
    T, C, shift = _season(seed)
    rows = DesignHeadroom(T_TRIP, -24.0, BLOCK, TAU, MIN_LIFT)
    one = DesignHeadroom(T_TRIP, -24.0, BLOCK, TAU, MIN_LIFT)
    rng = np.random.default_rng(seed + 10)
    cuts = np.unique(np.concatenate([[0, len(T)], rng.integers(0, len(T), 60)]))
    got, want = [], []
    for a, b in zip(cuts[:-1], cuts[1:]):
        got.extend(rows.update_rows(T[a:b], C[a:b], shift[a:b], K).tolist())
        for i in range(a, b):
            if _defined(C[i]):
                one.update(float(T[i]), float(C[i, 6]), float(C[i, 0]), float(C[i, 1]), float(shift[i]))
            want.append(one.upper)
    assert len(rows.blocks) == MAX_BLOCKS, "the oldest blocks went"
    assert [repr(v) for v in got] == [repr(v) for v in want]
    assert sum(math.isfinite(v) for v in got) > len(got) // 2
    assert repr(rows.blocks) == repr(one.blocks) and repr(rows.fit) == repr(one.fit)
    assert repr(rows.state()) == repr(one.state())


def test_the_kernel_is_the_python_close_push_and_refit() -> None:
    """The kernel itself (no numba: the same function run as Python) against update()."""
    T, C, shift = _season(3, days=12.0)
    one = DesignHeadroom(T_TRIP, -24.0, BLOCK, TAU, MIN_LIFT)
    want = []
    for i in range(len(T)):
        if _defined(C[i]):
            one.update(float(T[i]), float(C[i, 6]), float(C[i, 0]), float(C[i, 1]), float(shift[i]))
        want.append(one.upper)
    for kernel in (batch_kernels.design_headroom_rows, getattr(batch_kernels.design_headroom_rows, "py_func", None)):
        if kernel is None:
            continue
        st = np.array([-1.0, 0.0, math.inf, math.nan, math.nan, math.nan, math.nan])
        X, Y = np.empty(MAX_BLOCKS), np.empty(MAX_BLOCKS)
        kept, fit, uppers = np.zeros(1, dtype=np.int64), np.array([math.inf, math.nan, math.nan, math.nan, 0.0]), np.empty(len(T))
        cols = [np.ascontiguousarray(C[:, q]) for q in (6, 0, 1, 2, 3, 4)]
        kernel(T, *cols, shift, K, T_TRIP, TAU, BLOCK, MIN_LIFT, st, X, Y, kept, fit, -24.0, 2, 6, 8, uppers)
        assert [repr(v) for v in uppers.tolist()] == [repr(v) for v in want]
        assert repr(list(zip(X[:kept[0]].tolist(), Y[:kept[0]].tolist()))) == repr(one.blocks)
