"""The healthy model learns a pump whose commissioning never moved a target (one compressor speed)."""

from __future__ import annotations

import numpy as np

from heatwatch.edge.heatpump.healthy_model import FEATURE_NAMES, TARGET_NAMES, fit


def test_a_target_constant_through_commissioning_is_learned_not_a_singular_matrix() -> None:
    # seen in the demo fleet started on 2 December: a pump ran at one compressor frequency (and one
    # condensing temperature) for nearly all its commissioning; the residuals' median deviation was 0,
    # sigma sat on its 1e-9 floor, every row lost its weight and np.linalg.solve raised "Singular
    # matrix" on every later reading (the pump was never judged)
    rng = np.random.default_rng(5)
    n = 400
    F = rng.normal(size=(n, len(FEATURE_NAMES)))
    F[:, 0] = 1.0  # the intercept
    Y = F @ rng.normal(size=(len(FEATURE_NAMES), len(TARGET_NAMES))) + rng.normal(scale=0.1, size=(n, len(TARGET_NAMES)))
    hz = TARGET_NAMES.index("compressor_hz")
    F[:, 1], F[:, 2], F[:, 6] = -5.0, 45.0, 0.0  # one operating point: outdoor, flow, no hot water
    Y[:, hz] = 52.0
    Y[::20, hz] = 53.0  # a few readings one step away: the median deviation is 0, sigma sits on its floor
    model = fit(F, Y)
    assert np.abs(model.predict(F)[:, hz] - 52.05).max() < 0.5
    assert np.isfinite(model.coef).all()
