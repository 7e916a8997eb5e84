"""The agent's reading-by-reading paths in plain floats give the arrays' digits.

``HeatPumpDetector.update`` derives a reading's channels, features and the growing envelope's
numbers in Python floats (derive_row, features_row, the envelope's and the shift's ``_one``
methods): one reading through 1-row numpy arrays cost more than the rest of the detector. Replay
(``score``) takes the array paths; streaming and replay must make the same decisions on the same
numbers, so each scalar path is checked here against its array path to the last bit, on simulated
readings of both refrigerants and on the values that take the rare branches (gaps, pressures at
and beyond the table's ends or not positive, a compressor at the COP's power threshold).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from heatwatch.channels import INDEX
from heatwatch.derived import derive_matrix, derive_row
from heatwatch.edge.heatpump.detector import derived_and_targets, derived_and_targets_row
from heatwatch.edge.heatpump.envelope import GrowingEnvelope
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES, fit_equations
from heatwatch.edge.heatpump.operating_point import features, features_row
from heatwatch.edge.heatpump.persistent_shift import PersistentShift
from heatwatch.refrigerant import t_sat, t_sat_scalar
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import parse_scenario


def _readings(climate: str, refrigerant: str) -> np.ndarray:
    sc = parse_scenario({"fleet": {"size": 3}, "climate": climate, "start": "2025-01-10", "duration": "2d",
                         "seed": 11, "refrigerant": refrigerant,
                         "devices": {"hp-001": {"faults": [{"type": "refrigerant_leak", "onset": "1h",
                                                             "time_to_trip": "2d"}]}}})
    return np.concatenate([c.values for c in Fleet(sc).chunks(1440)]).reshape(-1, 21)[::3]


def _with_rare_values(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    E = X[rng.integers(0, len(X), 6000)].copy()
    for ch in ("p_low", "p_high"):
        E[:1500, INDEX[ch]] = rng.choice([np.nan, 0.0, -1.0, 0.01, 0.5, 1.77, 48.7, 60.0, np.inf], 1500)
        E[1500:3000, INDEX[ch]] = rng.uniform(1e-3, 80.0, 1500)
    E[3000:4000, INDEX["power_w"]] = rng.choice([np.nan, 0.0, 199.9, 200.0, 200.1, 1e4], 1000)
    E[4000:5000] = np.where(rng.random((1000, E.shape[1])) < 0.2, np.nan, E[4000:5000])
    E[5000:, INDEX["mode"]] = rng.choice([np.nan, 0.0, 1.0, 2.0, 3.0], 1000)
    return np.concatenate([X, E])


@pytest.mark.parametrize("climate,refrigerant", [("oslo", "R290"), ("milan", "R32")])
def test_one_reading_in_floats_is_the_arrays_row_bit_for_bit(climate: str, refrigerant: str) -> None:
    X = _with_rare_values(_readings(climate, refrigerant), np.random.default_rng(3))
    D, Y = derived_and_targets(X, refrigerant)
    F = features(X)
    assert np.isnan(D).any() and not np.isnan(D).all(), "gaps and real values both judged"
    rows = X.tolist()
    D1 = np.array([derive_row(r, refrigerant) for r in rows])
    pairs = [derived_and_targets_row(r, refrigerant) for r in rows]
    F1 = np.array([features_row(r) for r in rows])
    # bytes, not values: a different NaN or a signed zero would show too
    assert D1.tobytes() == D.tobytes() == derive_matrix(X, refrigerant).tobytes()
    assert np.array([d for d, _ in pairs]).tobytes() == D.tobytes()
    assert np.array([y for _, y in pairs]).tobytes() == Y.tobytes()
    assert F1.tobytes() == F.tobytes()


def test_saturation_of_one_pressure_is_the_tables_to_the_last_bit() -> None:
    rng = np.random.default_rng(8)
    p = np.concatenate([rng.uniform(1e-3, 80.0, 20000), rng.lognormal(1.0, 2.0, 20000),
                        [np.nan, 0.0, -2.0, np.inf, 1.77, 48.7, 1.11, 25.9]])
    for ref in ("R32", "R290"):
        arr = t_sat(p, ref)
        one = np.array([t_sat_scalar(v, ref) for v in p.tolist()])
        np.testing.assert_array_equal(one, arr)
        assert math.isnan(t_sat_scalar(0.0, ref)) and t_sat_scalar(np.inf, ref) == math.inf
    with pytest.raises(ValueError):
        t_sat_scalar(5.0, "R404A")


def test_the_envelope_of_one_reading_in_floats_is_the_arrays() -> None:
    rng = np.random.default_rng(4)
    n = 800
    F = np.column_stack([np.ones(n), rng.normal(0.5, 0.4, n), rng.normal(0, 0.3, n), rng.normal(-0.8, 0.1, n),
                         np.zeros(n), np.zeros(n), (rng.random(n) < 0.2).astype(float)])
    F[:, 4], F[:, 5] = F[:, 1] * F[:, 3], F[:, 3] ** 2
    Y = F @ rng.normal(size=(7, len(TARGET_NAMES))) + rng.normal(0, 0.1, (n, len(TARGET_NAMES)))
    _, eq = fit_equations(F, Y)
    g = GrowingEnvelope(eq, F, 1e-2)
    far = F.copy()
    far[:, 3] = rng.uniform(-0.8, 0.6, n)  # beyond the commissioning's speeds: positive excess
    far[:, 4], far[:, 5] = far[:, 1] * far[:, 3], far[:, 3] ** 2
    far[::50, 2] = np.nan
    h = g.leverage(far)
    e = g.excess(h)
    assert (e > 0).sum() > n // 2 and np.isnan(e).any()
    np.testing.assert_array_equal([g.leverage_one(r) for r in far.tolist()], h)
    np.testing.assert_array_equal([g.excess_one(v) for v in h.tolist()], e)
    # observe_one keeps the rows, and makes the worst level, that observe makes of the same readings
    a, b = GrowingEnvelope(eq, F, 1e-2), GrowingEnvelope(eq, F, 1e-2)
    steady, judged = rng.random(n) < 0.8, rng.random(n) < 0.6
    levels = rng.uniform(0, 0.7, n)
    a.observe(far, Y, steady, judged & steady, levels, h)
    for i in range(n):
        b.observe_one(far[i], Y[i], bool(steady[i]), bool(judged[i] and steady[i]), float(levels[i]), float(h[i]))
    assert (a.block.worst, a.block.judged) == (b.block.worst, b.block.judged)
    np.testing.assert_array_equal(np.concatenate(a._rows_f), np.concatenate(b._rows_f))
    np.testing.assert_array_equal(np.concatenate(a._rows_y), np.concatenate(b._rows_y))


def test_a_one_channel_shift_in_floats_is_the_arrays() -> None:
    rng = np.random.default_rng(6)
    ts = np.cumsum(rng.choice([10.0, 60.0, 600.0, 7200.0], 3000))
    v = rng.exponential(0.5, 3000)
    v[rng.random(3000) < 0.1] = np.nan
    v[:3] = np.nan  # the first readings are gaps: the average starts later
    arr, one = PersistentShift(1, 6 * 3600.0), PersistentShift(1, 6 * 3600.0)
    for t, x in zip(ts.tolist(), v.tolist()):
        arr.update(t, np.array([x]), np.zeros(1))
        assert one.update_one(t, x) == float(arr.residual[0])
        assert one.observed.tobytes() == arr.observed.tobytes()
    assert one.state() == arr.state()


def test_the_leak_chains_worst_hours_are_those_of_every_hour() -> None:
    """prognosis_chain._worst_days takes whole only the hours short of valve: the same numbers as
    the worst of every hour, on valves from far below to beyond their end stop."""
    from heatwatch.edge.heatpump.prognosis_chain import _worst_days

    rng = np.random.default_rng(9)
    hits = 0
    for _ in range(60):
        days = rng.integers(3, 31)
        d_days = np.sort(rng.choice(np.arange(20000, 20000 + days), rng.integers(30, 700)))
        starts = np.flatnonzero(np.r_[True, np.diff(d_days) != 0])
        base_eev = rng.uniform(5.0, 99.0, len(d_days))
        base_dis = rng.normal(70.0, 8.0, len(d_days))
        c = np.sort(rng.uniform(-0.3, 1.5, 120))[:, None] * rng.uniform(0.0, 1.0)
        beta = float(rng.uniform(0.0, 30.0))
        short = np.maximum(base_eev[None, :] * (1.0 + c) / 100.0 - 1.0, 0.0)
        every = np.maximum.reduceat(base_dis[None, :] + beta * c + 40.0 * short, starts, axis=1)
        fast = _worst_days(c, base_eev, base_dis, beta, 40.0, starts, d_days)
        assert fast.tobytes() == every.tobytes()
        hits += bool((short > 0).any()) and not (short > 0).all()
    assert hits > 20, "blocks with some hours short of valve and some not were judged"
