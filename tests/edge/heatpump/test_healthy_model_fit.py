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


def test_the_fit_with_its_shared_first_pass_is_the_reference_to_the_bit() -> None:
    # fit_equations shares the first pass among targets with the same known rows and skips a second
    # pass whose weights stayed all ones; fit_equations_reference runs every target's two passes
    from heatwatch.edge.heatpump.healthy_model import fit_equations, fit_equations_reference

    rng = np.random.default_rng(7)
    nf, nt = len(FEATURE_NAMES), len(TARGET_NAMES)
    skipped = shared_differs = 0
    for trial in range(40):
        n = int(rng.integers(150, 3000))
        F = np.column_stack([np.ones(n), rng.normal(size=(n, nf - 1))])
        Y = F @ rng.normal(size=(nf, nt))
        if trial % 2:  # heavy tails: some rows lose their weight in the second pass
            Y += rng.standard_t(3, size=(n, nt)) * rng.uniform(0.01, 1.0)
        else:  # no residual beyond 4 sigma: the second pass would repeat the first
            Y += rng.uniform(-0.1, 0.1, size=(n, nt))
            skipped += 1
        if trial % 3 == 0:  # rows missing for every target, and cells for one target only
            Y[rng.random(n) < 0.05] = np.nan
            Y[rng.random((n, nt)) < 0.02] = np.nan
            shared_differs += 1
        if trial % 5 == 0:
            F[rng.random(n) < 0.03, nf - 1] = np.nan  # a frequency feature unknown: compressor_hz keeps the rows
        a, ea = fit_equations(F, Y)
        b, eb = fit_equations_reference(F, Y)
        for x, y in [(a.coef, b.coef), (a.residual_scale, b.residual_scale), (ea.gram, eb.gram),
                     (ea.moment, eb.moment), (ea.rows, eb.rows)]:
            assert x.tobytes() == y.tobytes()
    assert skipped and shared_differs
