"""A building's demand follows the air through its thermal mass: the given driver's lagged view (lagged.py).

A synthetic heated house at hourly rows through an autumn: the air cools from a
mild October into December, the day-night swing shrinks (sunny afternoons, dull
days), and multi-day spells come and go; the judged hours' air stays mostly
inside the range the training fortnight saw.
The building feels a first-order lag of the air (time constant ``TAU_H``, not the
detector's 24 h: real buildings range from hours to days); the heat demand, and so
the power and the flow temperature (a heating curve), follow the building; the
evaporator follows the hour's air and the load. Trained on the first fortnight,
its cold hours are nights after mild afternoons (a warm building); judged through
the weeks after, the same hourly air comes with a colder building and more
demand. With the hour's air alone as the driver that reads as a fault.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from heatwatch.edge.generic_detector import HealthyBehaviourConfig, ThresholdConfig
from heatwatch.edge.generic_detector.adaptive import AdaptConfig, AdaptiveDetector
from heatwatch.edge.generic_detector.lagged import LaggedDrivers

DAY = 24  # hourly rows
TRAIN = 14 * DAY
DAYS = 56
TAU_H = 30.0


def _house(seed: int, fault_from: int | None = None, size: float = 1.5, tau_h: float = TAU_H) -> tuple[np.ndarray, np.ndarray]:
    """Rows [t_outdoor, power_w, t_flow, t_evap] and their times. ``fault_from``: from that day on the
    evaporator reads ``size`` K colder for the same air and load (a fouled coil)."""
    rng = np.random.default_rng(seed)
    n = DAYS * DAY
    t = np.arange(n)
    spell = np.zeros(n)  # a multi-day anomaly (~3-day memory)
    for i in range(1, n):
        spell[i] = 0.986 * spell[i - 1] + rng.normal(0.0, 0.25)
    season = 12.0 - 7.0 * t / n  # mid-October into December
    amp = 7.0 - 5.5 * t / n  # sunny October afternoons, dull December days
    air = season + spell + amp * np.sin(2 * np.pi * ((t % DAY) - 9.0) / 24.0) + rng.normal(0.0, 0.3, n)
    b = np.empty(n)
    b[0] = air[0]
    a = 1.0 - np.exp(-1.0 / tau_h)
    for i in range(1, n):
        b[i] = b[i - 1] + a * (air[i] - b[i - 1])
    q = 0.45 * np.maximum(18.0 - b, 0.0)  # kW
    cop = 3.2 + 0.06 * air
    power = 1000.0 * q / cop * (1.0 + rng.normal(0.0, 0.02, n))
    evap = air - 3.0 - 0.4 * q + rng.normal(0.0, 0.3, n)
    if fault_from is not None:  # the evaporator fouling: colder by ``size`` K for the same air and load
        evap[fault_from * DAY:] -= size
    flow = 27.0 + 0.7 * (18.0 - b) + rng.normal(0.0, 0.3, n)
    return np.column_stack([air, power, flow, evap]), 1.7e9 + 3600.0 * t


def _flagged(X: np.ndarray, ts: np.ndarray, lag_hours: float) -> np.ndarray:
    cfg = HealthyBehaviourConfig(warmup=TRAIN, threshold=replace(ThresholdConfig(), confidence=0.95))
    det = AdaptiveDetector(cfg, AdaptConfig(enabled=False, lag_hours=lag_hours), given=[0])
    det.fit(ts[:TRAIN], X[:TRAIN])
    return det.score(ts[TRAIN:], X[TRAIN:]).anomaly


def test_an_autumn_whose_building_cools_is_judged_healthy() -> None:
    for seed in (1, 2, 3):
        X, ts = _house(seed)
        off, on = _flagged(X, ts, 0.0), _flagged(X, ts, 24.0)
        assert off.mean() > 0.05  # the hour's air alone: the cooled building's demand reads as a fault
        assert on.mean() <= 0.005


def test_a_fault_inside_the_autumn_is_still_seen() -> None:
    for seed in (1, 2, 3):
        X, ts = _house(seed, fault_from=35)
        on = _flagged(X, ts, 24.0)
        before, after = on[:35 * DAY - TRAIN], on[35 * DAY - TRAIN:]
        assert before.mean() <= 0.005
        assert after.mean() > 0.5
        assert np.argmax(after) < 2 * DAY


def test_the_lag_is_causal_and_the_same_in_blocks() -> None:
    rng = np.random.default_rng(0)
    ts = np.cumsum(rng.uniform(300.0, 3600.0, 500))
    ts[200:] += 5 * 86400.0  # a five-day gap
    V = rng.normal(0.0, 1.0, (500, 2))
    V[10:20, 1] = np.nan
    whole = LaggedDrivers(2, 86400.0).apply(ts, V)
    lag = LaggedDrivers(2, 86400.0)
    parts = np.vstack([lag.apply(ts[i:i + 37], V[i:i + 37]) for i in range(0, 500, 37)])
    np.testing.assert_allclose(parts, whole)
    # a short history is the mean of what was seen, not a start value's pull
    np.testing.assert_allclose(whole[1, 0], np.average(V[:2, 0], weights=[np.exp(-(ts[1] - ts[0]) / 86400.0), 1.0]))
    # a missing value decays the history and adds nothing
    np.testing.assert_allclose(whole[10:20, 1], whole[9, 1])
    # after a gap of five time constants the past weighs < 1 %
    assert abs(whole[200, 0] - V[200, 0]) < 0.01 * (abs(V[200, 0]) + abs(whole[199, 0]))
    # streaming the detector gives the block results
    X, ts2 = _house(4)
    cfg = HealthyBehaviourConfig(warmup=TRAIN, threshold=replace(ThresholdConfig(), confidence=0.95))
    a = AdaptiveDetector(cfg, AdaptConfig(enabled=False), given=[0])
    b = AdaptiveDetector(cfg, AdaptConfig(enabled=False), given=[0])
    a.fit(ts2[:TRAIN], X[:TRAIN])
    b.fit(ts2[:TRAIN], X[:TRAIN])
    block = a.score(ts2[TRAIN:], X[TRAIN:]).score
    rows = np.array([b.update(t, x)[0] for t, x in zip(ts2[TRAIN:TRAIN + 200], X[TRAIN:TRAIN + 200])])
    np.testing.assert_allclose(rows, block[:200])


def test_no_lag_without_dates_or_for_a_level_coded_driver() -> None:
    X, ts = _house(5)
    mode = (np.arange(len(X)) % 7 < 3).astype(float)  # a status on two levels
    X2 = np.column_stack([X, mode])
    cfg = HealthyBehaviourConfig(warmup=TRAIN, threshold=replace(ThresholdConfig(), confidence=0.95))
    det = AdaptiveDetector(cfg, AdaptConfig(enabled=False), given=[0, 4])
    det.fit(ts[:TRAIN], X2[:TRAIN])
    assert det.lag_cols == [det.derived[0]]  # the air's lagged view, not the mode's
    undated = AdaptiveDetector(cfg, AdaptConfig(enabled=False), given=[0])
    undated.fit(None, X[:TRAIN])
    assert undated.lag_cols == []  # a time constant in hours needs times
