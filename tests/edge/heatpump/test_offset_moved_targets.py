"""offset_kernel.offset_estimate computes each perturbed copy's residual only on the targets its
sensor's step moves; held byte for byte to offset_estimate_all_targets (every target computed, the
moved ones read), its four outputs, on random readings with NaN, off-table pressures, hot water,
per-row and per-target levels, an unbounded level and rows without drift."""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.edge.heatpump import offset_kernel
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from tests.edge.heatpump.test_offset_kernel import _models, _residuals, _rows


def test_the_moved_targets_are_those_of_moves() -> None:
    for k in range(len(offset_kernel.SENSOR_COLS)):
        got = offset_kernel.MV_T[offset_kernel.MV_PTR[k]:offset_kernel.MV_PTR[k + 1]]
        assert got.tolist() == np.flatnonzero(offset_kernel.MOVES[k]).tolist()
    assert offset_kernel.IS_OP.sum() == 2  # t_outdoor and t_flow: their copies are predicted again
    assert 0 < offset_kernel.SRC_DER.sum() < len(TARGET_NAMES)


@pytest.mark.parametrize("ref", ["R32", "R290"])
@pytest.mark.parametrize("per_row_scale", [False, True])
def test_moved_targets_only_is_every_target_byte_for_byte(ref: str, per_row_scale: bool) -> None:
    rng = np.random.default_rng(31 + per_row_scale)
    m = 900
    SX, models = _rows(rng, m), _models(rng, 3)
    per_row = [models[j] for j in rng.integers(0, 3, m)]
    R = _residuals(rng, m)
    scale = rng.uniform(0.2, 4.0, (m, len(TARGET_NAMES))) if per_row_scale else rng.uniform(0.2, 4.0, len(TARGET_NAMES))
    if per_row_scale:
        scale[3::53, 2] = np.inf
    want = offset_kernel.shares_compiled(SX, per_row, R, scale, ref, all_targets=True)
    got = offset_kernel.shares_compiled(SX, per_row, R, scale, ref)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.tobytes() == w.tobytes()
    sig, share = want[0], want[1]
    assert np.isnan(sig).any() and (sig == 0.0).any() and np.isfinite(share).any() and (share == -np.inf).any()
