"""sensor_offset.best_offsets with its element-by-element arrays compiled (batch_kernels.offset_scaled,
offset_parts) is its numpy path: every SensorOffset the same, each float to the bit (repr), the
predicted channels the same and in the same order, None where numpy gives None. Random rows with
NaN and infinite signatures and residuals, sensors absent, an unbounded level, rows without drift,
parts of exactly 0.0 and -0.0 (not predicted), per-row and per-target levels."""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.sensor_offset import SENSOR_STEPS, best_offsets

NS, NT = len(SENSOR_STEPS), len(TARGET_NAMES)


def _case(rng: np.random.Generator, m: int, per_row: bool):
    R = rng.normal(0, 3, (m, NT))
    R[rng.random(R.shape) < 0.1] = np.nan
    R[rng.random(R.shape) < 0.01] = np.inf
    R[5::41] = 0.0  # no drift at all
    sig = rng.normal(0, 2, (m, NS, NT))
    sig[rng.random(sig.shape) < 0.5] = 0.0  # a sensor moves few targets: parts of 0.0 and -0.0
    sig[rng.random(sig.shape) < 0.05] = np.nan
    sig[rng.random(sig.shape) < 0.01] = -np.inf
    present = rng.random((m, NS)) < 0.8
    sig[~present] = np.nan
    alarm = rng.uniform(0.2, 4.0, (m, NT) if per_row else NT)
    if per_row:
        alarm[3::53, 2] = np.inf
    return R, alarm, present, sig


@pytest.mark.parametrize("per_row", [False, True])
def test_compiled_best_offsets_are_numpys(per_row: bool) -> None:
    rng = np.random.default_rng(7 + per_row)
    R, alarm, present, sig = _case(rng, 1500, per_row)
    with np.errstate(invalid="ignore"):  # an infinite residual over an unbounded level
        want = best_offsets(R, alarm, present, sig, TARGET_NAMES, compiled=False)
        got = best_offsets(R, alarm, present, sig, TARGET_NAMES, compiled=True)
    assert [repr(x) for x in got] == [repr(x) for x in want]
    assert [list(x.predicted) for x in got if x] == [list(x.predicted) for x in want if x]
    found = [x for x in want if x is not None]
    assert 1000 < len(found) < len(want)  # offsets found, rows without drift or sensor left None
    assert any(len(x.predicted) < NT for x in found) and any(x.explained > 0.3 for x in found)
