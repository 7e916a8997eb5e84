"""PumpPipeline._offset_matches reads a rule row's levels from the chunk's levels divided at once
(_levels_row): each row's bytes are R[i] / scale(i) (the alarm where a row has no scale of its own),
on ready and unready rows, NaN and infinite residuals, NaN and infinite levels, with and without
per-row levels, and again after the alarm changed."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from heatwatch.edge.heatpump.detector import BatchResults
from heatwatch.edge.pipeline import PumpPipeline


@pytest.mark.parametrize("per_row", [False, True])
def test_levels_row_is_the_row_divided_alone(per_row: bool) -> None:
    rng = np.random.default_rng(5 + per_row)
    n, nt = 700, 23
    R = rng.normal(0, 3, (n, nt))
    R[rng.random(R.shape) < 0.05] = np.nan
    R[rng.random(R.shape) < 0.01] = -np.inf
    ready = rng.random(n) < 0.8
    S = None
    if per_row:
        S = rng.uniform(0.1, 5.0, (n, nt))
        S[~ready] = np.nan
        S[rng.random(S.shape) < 0.01] = np.inf
    res = SimpleNamespace(R=R, S=S, ready=ready)
    pipe = SimpleNamespace(_offset_levels=None, detector=SimpleNamespace(alarm=rng.uniform(0.5, 2.0, nt)))
    for _ in range(2):
        alarm = pipe.detector.alarm
        for i in range(n):
            scale = BatchResults.scale(res, i)  # type: ignore[arg-type]
            want = R[i] / (alarm if scale is None else scale)
            with np.errstate(invalid="ignore"):
                got = PumpPipeline._levels_row(pipe, res, i)  # type: ignore[arg-type]
            assert got.tobytes() == want.tobytes()
        pipe.detector.alarm = alarm * 1.5  # a refit's alarm: the chunk's levels made again
