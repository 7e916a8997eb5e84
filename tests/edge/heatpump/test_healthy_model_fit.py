"""The healthy model learns a pump whose commissioning never moved a target (one compressor speed)."""

from __future__ import annotations

import numpy as np

from heatwatch.edge.heatpump import healthy_model as hm
from heatwatch.edge.heatpump.healthy_model import FEATURE_NAMES, TARGET_NAMES, fit, fit_equations


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
    # pass whose weights stayed all ones; _fit_equations_reference runs every target's two passes
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
        b, eb = _fit_equations_reference(F, Y)
        for x, y in [(a.coef, b.coef), (a.residual_scale, b.residual_scale), (ea.gram, eb.gram),
                     (ea.moment, eb.moment), (ea.rows, eb.rows)]:
            assert x.tobytes() == y.tobytes()
    assert skipped and shared_differs


def _fit_equations_reference(F: np.ndarray, Y: np.ndarray, ridge: float = 1e-2) -> tuple[hm.HealthyModel, hm.NormalEquations]:
    """``fit_equations`` target by target, both passes each (as it was): the reference its shared
    first pass and skipped repeat are held to, to the bit (tests)."""
    n_f, n_t = F.shape[1], Y.shape[1]
    coef = np.zeros((n_f, n_t))
    scale = np.zeros(n_t)
    eq = hm.NormalEquations(np.zeros((n_t, n_f, n_f)), np.zeros((n_t, n_f)), np.zeros(n_t), scale)
    known: dict[bool, np.ndarray] = {}
    for j, target in enumerate(hm.TARGETS):
        cols = list(range(n_f)) if target.uses_frequency else hm._HZ_FEATURES
        if target.uses_frequency not in known:
            known[target.uses_frequency] = ~np.isnan(F[:, cols]).any(axis=1)
        ok = ~np.isnan(Y[:, j]) & known[target.uses_frequency]
        if ok.sum() < 10 * len(cols):
            coef[:, j] = np.nan
            scale[j] = np.nan
            continue
        A, y = F[ok][:, cols], Y[ok, j]
        w = np.ones(len(y))
        for _ in range(2):
            Aw = A * w[:, None]
            G, b = Aw.T @ A, Aw.T @ y
            beta = np.linalg.solve(G + ridge * len(y) * np.eye(len(cols)) * hm._ridge_mask(cols), b)
            r = y - A @ beta
            s = max(float(hm.robust_sigma_1d(r)), 1e-9)
            w = (np.abs(r) <= 4 * s).astype(float)
            if w.sum() < 2 * len(cols):
                w = np.ones(len(y))
        coef[cols, j] = beta
        scale[j] = s
        eq.gram[j][np.ix_(cols, cols)] = G
        eq.moment[j][cols] = b
        eq.rows[j] = float(len(y))
    return hm.HealthyModel(coef, scale), eq
