"""``--lag-allowance joint`` (given.DriverModel.joint_shrink): the lagged view's allowance with the
correlation the followers' extrapolation errors had in training.

The per-column allowance shrinks each following column by its own expected extrapolation error, as if
those errors were independent; a fault that moves one column and not its partner (a condensing
temperature leaving its pressure) is shrunk as much as the partners' healthy common drift. Whitening
with the errors' measured correlation (shrunk toward the identity, Ledoit-Wolf) shrinks the directions
the errors took and leaves a contrast more of its size; with the identity it is the per-column one."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from typer.testing import CliRunner

from heatwatch.cli import app
from heatwatch.edge.generic_detector import HealthyBehaviourConfig, ThresholdConfig
from heatwatch.edge.generic_detector.adaptive import AdaptConfig, AdaptiveDetector
from heatwatch.edge.generic_detector.given import DriverModel

DAY = 24
TRAIN = 14 * DAY


def _house(seed: int, n: int = 900) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hourly air, its 24-h lagged view, and three columns: two that follow the building (both fall as
    it cools, so their extrapolation errors move together) and one that follows only the hour's air."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    air = 6.0 + 4.0 * np.sin(2 * np.pi * t / DAY) + np.cumsum(rng.normal(0.0, 0.25, n))
    lag = np.empty(n)
    m = air[0]
    for i, a in enumerate(air):
        m += (a - m) / DAY
        lag[i] = m
    Y = np.column_stack([35.0 - 0.6 * air - 0.5 * lag + rng.normal(0.0, 0.3, n),
                         12.0 - 0.2 * air - 0.25 * lag + rng.normal(0.0, 0.15, n),
                         3.0 + 0.1 * air + rng.normal(0.0, 0.4, n)])
    return air, lag, Y


def _fit(seed: int, joint: bool) -> tuple[DriverModel, np.ndarray, np.ndarray]:
    air, lag, Y = _house(seed)
    return DriverModel(joint_lag=joint).fit(air[:TRAIN, None], Y[:TRAIN], lag[:TRAIN, None]), air, lag


def test_with_the_identity_it_is_the_per_column_allowance() -> None:
    column, air, lag = _fit(1, False)
    joint, _, _ = _fit(1, True)
    for e in joint.edges:
        if e.get("lagged"):
            e["rho"] = [np.eye(3).tolist()] * 2
    D, L = air[TRAIN:, None] - 8.0, lag[TRAIN:, None] - 8.0  # beyond both ranges
    Y = column.expected(D) + np.array([1.0, -0.5, 0.3])
    np.testing.assert_allclose(joint.residuals(D, Y, lagged=L), column.residuals(D, Y, lagged=L), atol=1e-12)


def test_a_contrast_keeps_more_of_itself_than_the_common_drift() -> None:
    """Beyond the lagged view's range (the building 6 K colder than any training day, at an hour's air
    the training saw): a move of the two followers together is shrunk at least as much as per column,
    one of them against the other keeps at least 1.5 times what the per-column allowance leaves it, and
    the column that follows only the air is not touched either way. On bc956fe there is no joint option."""
    for seed in range(1, 6):
        models = {j: _fit(seed, j) for j in (False, True)}
        e = next(e for e in models[True][0].edges if e.get("lagged"))
        assert e["follows"] == [True, True, False]
        assert np.asarray(e["rho"][0])[0, 1] > 0.5  # their held-out errors moved together
        D = np.full((1, 1), float(np.median(models[True][1][:TRAIN])))
        L = np.full((1, 1), e["lo"] - 6.0)
        out = {}
        for j, (dm, _, _) in models.items():
            E = dm.expected(D)
            common = dm.residuals(D, E + np.array([1.0, 0.5, 0.2]), lagged=L)[0] / dm.sigma
            contrast = dm.residuals(D, E + np.array([1.0, -0.5, 0.2]), lagged=L)[0] / dm.sigma
            out[j] = common, contrast
        assert np.all(np.abs(out[True][0][:2]) <= np.abs(out[False][0][:2]) + 1e-12)
        assert np.all(np.abs(out[True][1][:2]) >= 1.5 * np.abs(out[False][1][:2]))
        np.testing.assert_allclose(out[True][0][2], out[False][0][2])
        np.testing.assert_allclose(out[True][1][2], out[False][1][2])


def test_missing_cells_stay_missing_and_the_state_keeps_the_choice() -> None:
    dm, air, lag = _fit(2, True)
    D, L = air[TRAIN:TRAIN + 5, None], lag[TRAIN:TRAIN + 5, None] - 8.0
    Y = dm.expected(D) + 0.4
    Y[1, 0] = np.nan
    R = dm.residuals(D, Y, lagged=L)
    assert np.isnan(R[1, 0]) and np.all(np.isfinite(np.delete(R.ravel(), 3)))
    twin = DriverModel()
    twin.load_state(dm.state())
    assert twin.joint_lag
    np.testing.assert_allclose(twin.residuals(D, Y, lagged=L), R)


def test_the_detector_and_the_command_take_it(tmp_path) -> None:
    air, lag, Y = _house(3)
    ts = 1.7e9 + 3600.0 * np.arange(len(air))
    X = np.column_stack([air, Y])
    cfg = HealthyBehaviourConfig(warmup=TRAIN, threshold=replace(ThresholdConfig(), confidence=0.95))
    det = AdaptiveDetector(cfg, AdaptConfig(enabled=False, lag_allowance="joint"), given=[0])
    det.fit(ts[:TRAIN], X[:TRAIN])
    assert det.driver.joint_lag and any("rho" in e for e in det.driver.edges if e.get("lagged"))
    path = tmp_path / "rows.csv"
    path.write_text("timestamp,t_outdoor,a,b,c\n" + "".join(
        f"{t:.0f},{r[0]:.4f},{r[1]:.4f},{r[2]:.4f},{r[3]:.4f}\n" for t, r in zip(ts, X)))
    runner = CliRunner()
    ok = runner.invoke(app, ["detect", str(path), "--out", str(tmp_path / "s.csv"), "--train-rows", str(TRAIN),
                             "--given", "t_outdoor", "--lag-allowance", "joint"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(app, ["detect", str(path), "--out", str(tmp_path / "s.csv"), "--train-rows", str(TRAIN),
                              "--given", "t_outdoor", "--lag-allowance", "pairwise"])
    assert bad.exit_code == 2 and "joint" in bad.output
