"""``AdaptConfig.profile_drivers``: the MEWMA judged with "the machine answers its driver as if it read a
little differently" profiled out (``heatwatch detect --profile-drivers``).

A synthetic hourly machine: four columns follow the air (one of them bent), one does not. For three days it
answers as if the air were 0.3 K colder (a building that cooled more than the hour's air says): every
following column is off by a fraction of its sigma, together, along the expectation's own slope. A fault
on the column that does not follow the air is across that direction.
"""

from __future__ import annotations

import numpy as np

from heatwatch.edge.generic_detector import HealthyBehaviourConfig
from heatwatch.edge.generic_detector.adaptive import AdaptConfig, AdaptiveDetector

HOUR = 3600.0
TRAIN = 14 * 24
SPELL = slice(20 * 24 - TRAIN, 26 * 24 - TRAIN)  # judged rows from the spell's start to three days after it
ONSET = 30 * 24


def machine(seed: int, off: float = 0.0, fault: float = 0.0, days: int = 40) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = days * 24
    t = np.arange(n) * HOUR
    slow = np.zeros(n)
    e = rng.standard_normal(n)
    for i in range(1, n):
        slow[i] = 0.97 * slow[i - 1] + 0.5 * e[i]
    air = 5.0 + 4.0 * np.sin(2.0 * np.pi * (t / 86400.0 - 0.4)) + slow
    felt = air.copy()
    felt[20 * 24:23 * 24] += off
    Y = np.column_stack([60.0 - 2.0 * felt, 30.0 - 1.2 * felt + 0.02 * felt**2, -5.0 + 0.8 * felt,
                         2000.0 - 60.0 * felt, np.full(n, 40.0)])
    Y += rng.standard_normal(Y.shape) * np.array([0.5, 0.4, 0.3, 25.0, 0.3])
    Y[ONSET:, 4] += fault
    return t, np.column_stack([air, Y])


def judge(t: np.ndarray, X: np.ndarray, profile: bool, chunk: int | None = None):
    det = AdaptiveDetector(HealthyBehaviourConfig(warmup=TRAIN), AdaptConfig(enabled=False, profile_drivers=profile), [0])
    det.fit(t[:TRAIN], X[:TRAIN])
    if chunk is None:
        return det.score(t[TRAIN:], X[TRAIN:])
    parts = [det.score(t[s:s + chunk], X[s:s + chunk]) for s in range(TRAIN, len(X), chunk)]
    return np.concatenate([p.score for p in parts])


def test_a_drift_the_driver_explains_is_absorbed() -> None:
    flagged = {False: 0, True: 0}
    for seed in (1, 2, 3, 4, 5):
        t, X = machine(seed, off=-0.3)
        top = {}
        for profile in flagged:
            res = judge(t, X, profile)
            flagged[profile] += int(res.anomaly[SPELL].sum())
            top[profile] = float(res.score[SPELL].max())
            assert not res.anomaly[:SPELL.start].any()  # healthy before the spell either way
        assert top[True] < 0.75 * top[False]
    assert flagged[True] < 0.6 * flagged[False]


def test_a_fault_across_it_is_seen_as_before() -> None:
    for seed in (1, 2, 3):
        t, X = machine(seed, fault=1.0)  # about 3 sigma on the column the air does not move
        first = {}
        for profile in (False, True):
            a = judge(t, X, profile).anomaly
            assert not a[:ONSET - TRAIN].any()
            assert a[ONSET - TRAIN:].mean() > 0.9
            first[profile] = int(np.argmax(a[ONSET - TRAIN:]))
        assert first[True] <= first[False]


def test_the_same_scores_whatever_the_calls() -> None:
    t, X = machine(4, off=-0.3)
    whole = judge(t, X, True).score
    np.testing.assert_allclose(judge(t, X, True, chunk=37), whole, rtol=1e-9, atol=1e-12)
