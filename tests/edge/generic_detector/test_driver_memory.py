"""A warm spell that stops the machine is judged by the days, not the hour (aftermath.DriverMemory).

A synthetic heated house at 15-minute rows. The demand follows the building, a
one-day lag of the air, and the air itself; above the heating limit it is zero
and the circulation stops (flow 20 -> 0.05 l/min). Trained on a cool fortnight
(the building never near the limit, the flow always on), then a warm week: the
afternoons go beyond the training range, the pump stops, and on the mild
evenings after (the air back inside the range, the building still warm) it
stays stopped. On main those evenings read as the flow at -400 sigma: the
excursion ended, for the detector, when the hour's air came back.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from heatwatch.edge.generic_detector import HealthyBehaviourConfig, ThresholdConfig
from heatwatch.edge.generic_detector.adaptive import AdaptConfig, AdaptiveDetector
from heatwatch.edge.generic_detector.aftermath import DriverMemory
from heatwatch.edge.generic_detector.given import DriverModel

DAY = 96  # 15-minute rows
TRAIN = 14 * DAY
LIMIT = 12.0  # the demand: LIMIT - 0.3 building - 0.7 air (a heating curve on both)


def _house(seed: int, fault: str | None = None, days: int = 34) -> tuple[np.ndarray, np.ndarray]:
    """Rows [t_outdoor, flow_lpm, power_w, t_lift] and times. A warm week from day 20 to 27, a cold
    snap below the training range from day 30. ``fault``: 'lift' (+1.5 K, ~8 sigma, from day 17: a
    fault from before the spell) or 'cold' (+250 W, ~8 sigma, in the cold snap: no stop there)."""
    rng = np.random.default_rng(seed)
    n = days * DAY
    t = np.arange(n)
    slow = np.zeros(n)
    for i in range(1, n):
        slow[i] = 0.995 * slow[i - 1] + rng.normal(0.0, 0.08)
    warm = 9.0 * np.clip((t - 20 * DAY) / DAY, 0, 1) * np.clip((27 * DAY - t) / DAY, 0, 1)
    cold = -9.0 * np.clip((t - 30 * DAY) / DAY, 0, 1)
    air = 6.0 + np.clip(slow, -2.0, 2.0) + 5.0 * np.sin(2 * np.pi * ((t % DAY) / 4.0 - 9.0) / 24.0) + warm + cold
    b = np.empty(n)  # the building: a one-day lag of the air
    b[0] = air[0]
    for i in range(1, n):
        b[i] = b[i - 1] + (air[i] - b[i - 1]) / DAY
    q = np.maximum(0.0, LIMIT - 0.3 * b - 0.7 * air)  # the demand, kW-ish
    on = q > 0.0
    flow = np.where(on, 20.0, 0.05) + rng.normal(0.0, 0.05, n)
    power = 100.0 * q + rng.normal(0.0, 30.0, n)
    lift = 30.0 - 0.5 * air + rng.normal(0.0, 0.2, n)
    if fault == "lift":
        lift[17 * DAY:] += 1.5
    if fault == "cold":
        power[31 * DAY:] += 250.0
    X = np.column_stack([air, np.maximum(flow, 0.0), np.maximum(power, 0.0), lift])
    return X, 1.7e9 + 900.0 * t


def _run(X: np.ndarray, ts: np.ndarray, memory: bool = True) -> np.ndarray:
    cfg = HealthyBehaviourConfig(warmup=TRAIN, threshold=replace(ThresholdConfig(), confidence=0.95))
    det = AdaptiveDetector(cfg, AdaptConfig(enabled=False), given=[0])
    det.fit(ts[:TRAIN], X[:TRAIN])
    assert det.aftermath is not None and det.aftermath.memory is not None  # dated rows: a day-mean
    if not memory:
        det.aftermath.memory = None  # main: the excursion ends when the hour's air is back inside
        # nor is a stop at a low expected load out of the envelope (it catches these evenings too: test_unseen_state)
        det.driver.unseen = lambda D, Y, E: np.zeros(len(E), dtype=bool)  # type: ignore[method-assign]
    return det.score(ts[TRAIN:], X[TRAIN:]).anomaly


def test_the_evenings_after_a_stop_are_not_faults() -> None:
    for seed in (1, 2, 3):
        X, ts = _house(seed)
        spell = slice(20 * DAY - TRAIN, 30 * DAY - TRAIN)
        now, main = _run(X, ts), _run(X, ts, memory=False)
        # main: 4.6-21 % of the rows from the warm week to the cold snap flagged (the stopped
        # evenings inside the range); now none. (Seed 2's cold snap is flagged either way: the
        # building's lag below the range, a driver the fortnight does not hold.)
        assert main[spell].mean() > 0.04
        assert now[spell].mean() < 0.005


def test_a_fault_from_before_the_spell_is_flagged_after_it() -> None:
    """Held at its level while the excursion is not judged, the fault is there when judging
    resumes. (Beyond the range the extrapolation allowance shrinks it, on main as now: seed 1
    loses it on the warm afternoons and in the cold snap either way.)"""
    for seed in (1, 2):
        X, ts = _house(seed, fault="lift")
        now = _run(X, ts)
        assert now[18 * DAY - TRAIN:20 * DAY - TRAIN].mean() > 0.8  # before the spell
        assert now[27 * DAY - TRAIN:30 * DAY - TRAIN].mean() > 0.8  # and after it


def test_a_cold_spell_does_not_stop_judging() -> None:
    """Beyond the cold edge the demand grows (no stop): the rows are judged as on main, with the
    extrapolation allowance (which, 6 K beyond the range, shrinks even this fault below the
    threshold: main's behaviour, unchanged here)."""
    for seed in (1, 2):
        X, ts = _house(seed, fault="cold")
        now, main = _run(X, ts), _run(X, ts, memory=False)
        cold = slice(30 * DAY - TRAIN, None)
        assert np.array_equal(now[cold], main[cold])


def test_a_speed_that_idles_at_zero_at_low_load_counts_for_the_stop() -> None:
    """A compressor that cycles to 0 Hz on some of the training's mildest rows is still the
    machine running; its expectation below 0 past the warm edge is a stop (main: only a
    column positive on every training row counted, and a cycling compressor never did)."""
    rng = np.random.default_rng(4)
    air = rng.uniform(-1.0, 18.0, 1500)
    hz = np.maximum(0.0, 40.0 - 2.5 * air + rng.normal(0.0, 2.0, 1500))
    assert (hz == 0.0).sum() > 5
    m = DriverModel().fit(air[:, None], np.column_stack([hz, np.zeros(1500) + rng.normal(0, 1e-3, 1500)]))
    assert list(m.positive) == [True, False]  # the defrost-like column at ~0 is not a running level
    E = m.expected(np.array([[10.0], [24.0]]))
    assert list(m.stops(E)) == [False, True]


def test_day_mean_row_by_row_equals_blocks() -> None:
    X, ts = _house(5)
    a = DriverMemory.learn(X[:TRAIN, :1], ts[:TRAIN], [0])
    b = DriverMemory.learn(X[:TRAIN, :1], ts[:TRAIN], [0])
    assert a is not None and b is not None and a.hi > a.lo
    whole = a.side(X[TRAIN:, :1], ts[TRAIN:])
    rows = np.concatenate([b.side(X[i:i + 1, :1], ts[i:i + 1]) for i in range(TRAIN, len(X))])
    assert np.array_equal(whole, rows)
    assert (whole[21 * DAY - TRAIN:26 * DAY - TRAIN] == 1).all()  # the warm week's days are above
    assert (whole[32 * DAY - TRAIN:] == -1).all()  # the cold snap's below
    assert DriverMemory.learn(X[:DAY, :1], ts[:DAY], [0]) is None  # a day cannot show a day-mean's range
