"""The compiled offset estimate (offset_kernel.offset_estimate) against its numpy reference and
against the plain single-row path (sensor_offset.signatures_rows, best_offset).

The pipeline skips a rule row's exact single-sensor offset where the estimate says no sensor can
reach a rule's threshold, and hands the estimate's signatures to the exact offsets: the
signatures must be the reference's bit for bit, the shares and levels within a relative 1e-12
(the margins kept against the thresholds are 1e-6). Without numba the kernel runs as plain Python,
the same code, and is held to the same."""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.channels import CHANNEL_NAMES, INDEX, MODE_DHW, MODE_HEATING
from heatwatch.edge.heatpump import offset_kernel
from heatwatch.edge.heatpump.detector import targets_from
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES, HealthyModel
from heatwatch.edge.heatpump.operating_point import FEATURE_NAMES, features
from heatwatch.edge.heatpump.sensor_offset import SENSOR_STEPS, best_offset, signatures_rows

NT = len(TARGET_NAMES)


def _rows(rng: np.random.Generator, m: int) -> np.ndarray:
    """Plausible readings with the edges: NaN channels (a sensor missing, every channel of some
    rows), off-table and non-positive pressures, power at and below COP's 0.2 kW, hot water."""
    SX = rng.normal(20, 15, (m, len(CHANNEL_NAMES)))
    SX[:, INDEX["p_high"]] = rng.uniform(-2, 60, m)
    SX[:, INDEX["p_low"]] = rng.uniform(-1, 12, m)
    SX[:, INDEX["power_w"]] = rng.choice([0.0, 150.0, 200.0, 200.0001, 2500.0], m) + rng.uniform(0, 1, m) * (rng.random(m) < .5)
    SX[:, INDEX["compressor_hz"]] = rng.uniform(0, 110, m)
    SX[:, INDEX["mode"]] = rng.choice([MODE_HEATING, MODE_DHW], m)
    SX[rng.random(SX.shape) < 0.08] = np.nan
    SX[::37] = np.nan
    return SX


def _models(rng: np.random.Generator, k: int) -> list[HealthyModel]:
    return [HealthyModel(rng.normal(0, 5, (len(FEATURE_NAMES), NT)), np.ones(NT)) for _ in range(k)]


def _residuals(rng: np.random.Generator, m: int) -> np.ndarray:
    R = rng.normal(0, 3, (m, NT))
    R[rng.random(R.shape) < 0.1] = np.nan
    R[5::41] = 0.0  # no drift at all: energy 0
    return R


@pytest.mark.parametrize("ref", ["R32", "R290"])
@pytest.mark.parametrize("per_row_scale", [False, True])
def test_compiled_is_numpy(ref: str, per_row_scale: bool) -> None:
    rng = np.random.default_rng(13 + per_row_scale)
    m = 600
    SX, models = _rows(rng, m), _models(rng, 3)
    per_row = [models[j] for j in rng.integers(0, 3, m)]
    R = _residuals(rng, m)
    scale = rng.uniform(0.2, 4.0, (m, NT)) if per_row_scale else rng.uniform(0.2, 4.0, NT)
    if per_row_scale:
        scale[3::53, 2] = np.inf  # an envelope-widened level without bound
    want = offset_kernel.shares(SX, per_row, R, scale, ref, compiled=False)
    got = offset_kernel.shares(SX, per_row, R, scale, ref, compiled=True)
    sig, share, level, energy = want
    # the signatures bit for bit (the exact offsets read them), NaN where the reference has NaN
    assert np.array_equal(np.isnan(got[0]), np.isnan(sig))
    assert got[0][~np.isnan(sig)].tobytes() == sig[~np.isnan(sig)].tobytes()
    live = energy > 0
    assert live.sum() > m // 2 and (~live).any()
    np.testing.assert_allclose(got[3], energy, rtol=1e-12, atol=0)
    for g, w in ((got[1], share), (got[2], level)):
        assert np.array_equal(np.isfinite(g[live]), np.isfinite(w[live]))
        fin = live[:, None] & np.isfinite(w)
        np.testing.assert_allclose(g[fin], w[fin], rtol=1e-12, atol=1e-300)
        assert np.array_equal(g[live & ~np.isfinite(w).all(axis=1)] == -np.inf,
                              w[live & ~np.isfinite(w).all(axis=1)] == -np.inf)
    # some sensors usable, some not, on rows with drift
    assert (share[live] == -np.inf).any() and np.isfinite(share[live]).any()


def test_compiled_signatures_are_one_rows() -> None:
    """Each row's signatures are what signatures_rows makes for that reading alone, and the share
    of the sensor best_offset picks is the estimate's for that sensor."""
    rng = np.random.default_rng(5)
    m = 200
    SX, (model,) = _rows(rng, m), _models(rng, 1)
    SX[::37] = rng.normal(20, 15, (len(SX[::37]), len(CHANNEL_NAMES)))  # rows with every sensor
    R = _residuals(rng, m)
    alarm = rng.uniform(0.2, 4.0, NT)
    sig, share, level, energy = offset_kernel.shares(SX, [model] * m, R, alarm, "R32", compiled=True)
    names = list(SENSOR_STEPS)
    checked = 0
    for r in range(m):
        present, one = signatures_rows(SX[r:r + 1], lambda X: targets_from(X, "R32"),
                                       lambda X: model.predict(features(X)))
        for k in np.flatnonzero(present[0]):
            assert sig[r, k].tobytes() == one[0, k].tobytes()
        sigs = {n: one[0, k] for k, n in enumerate(names) if present[0, k]}
        so = best_offset(R[r], alarm, sigs, TARGET_NAMES)
        if so is None:
            continue
        k = names.index(so.channel)
        assert share[r, k] == pytest.approx(so.explained, rel=1e-9, abs=1e-12)
        assert level[r, k] == pytest.approx(so.level, rel=1e-9, abs=1e-12)
        # the best explains at least as much as any other usable sensor, to the estimate's rounding
        assert share[r, k] >= share[r][np.isfinite(share[r])].max() - 1e-9
        checked += 1
    assert checked > m // 2
