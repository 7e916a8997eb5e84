"""What a warm spell beyond the training range leaves in a building is let relax, not flagged (aftermath.py).

A synthetic heated house at 15-minute rows, trained on a cool fortnight
(air -1..11 °C): the room is held at its set point, the pump's power follows
the air. A warm spell takes the air to ~25 °C for an afternoon, beyond the
training range: above the heating limit the pump stops and the room floats
up by ~1.5 K, then relaxes over days (a building's time constant of 36 h) after
the air is back inside the range and the pump heats again. Every one of those rows read as a
fault on main (the room at tens of sigma, power 0 where ~700 W was expected).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from heatwatch.edge.generic_detector import HealthyBehaviourConfig, ThresholdConfig
from heatwatch.edge.generic_detector.adaptive import AdaptConfig, AdaptiveDetector
from heatwatch.edge.generic_detector.aftermath import Aftermath

DAY = 96  # 15-minute rows
TRAIN = 14 * DAY
SET_POINT = 21.5


def _house(seed: int, fault: str | None = None, days: int = 36) -> tuple[np.ndarray, np.ndarray, dict]:
    """Rows [t_outdoor, t_indoor, power_w, t_lift] and times; ``fault``: 'power' (+160 W, ~8 sigma,
    from day 20 on, before the spell) or 'lift' (+1.2 K, ~8 sigma, from 12 h after the air is back, at a
    row inside the range: a fault that starts while the air is beyond it is taken for the excursion's
    doing where it reads on the excursion's side, until it grows; aftermath.py)."""
    rng = np.random.default_rng(seed)
    n = days * DAY
    t = np.arange(n)
    hour = (t % DAY) / 4.0
    slow = np.zeros(n)
    for i in range(1, n):  # weather's multi-day swings
        slow[i] = 0.998 * slow[i - 1] + rng.normal(0.0, 0.12)
    spell = 14.0 * np.exp(-0.5 * ((t - 26.6 * DAY) / (0.5 * DAY)) ** 2)  # a warm day
    air = 7.0 + np.clip(slow, -2.0, 2.0) + 4.0 * np.sin(2 * np.pi * (hour - 9.0) / 24.0) + spell
    # above the heating limit (17.5 °C) the pump stops and the room gains heat; below it the
    # weather-compensated heating runs again and the room's excess decays with the building's
    # time constant (36 h): the pump cannot cool it
    excess = np.zeros(n)
    e = 0.0
    for i in range(n):
        e = e + max(0.0, air[i] - 17.5) / (4 * 60.0) if air[i] > 17.5 else e * np.exp(-1.0 / (36.0 * 4))
        excess[i] = e
    room = SET_POINT + excess
    power = np.where(air < 17.5, 80.0 * (17.5 - air), 0.0) + rng.normal(0.0, 20.0, n)
    lift = 30.0 - 0.5 * air + rng.normal(0.0, 0.15, n)
    back = int(np.flatnonzero(air > 13.0)[-1]) + 1  # the air back inside the training range
    if fault == "power":
        power[20 * DAY:] += 160.0
    hi = air[:TRAIN].max()
    start = back + 12 * 4 + int(np.argmax(air[back + 12 * 4:] <= hi))  # 12 h on, the air inside the range
    if fault == "lift":
        lift[start:] += 1.2
    X = np.column_stack([air, room + rng.normal(0.0, 0.015, n), power, lift])
    ts = 1.7e9 + 900.0 * t
    return X, ts, {"back": back, "start": start}


def _run(X: np.ndarray, ts: np.ndarray, aftermath: bool, lag_hours: float = 0.0) -> np.ndarray:
    cfg = HealthyBehaviourConfig(warmup=TRAIN, threshold=replace(ThresholdConfig(), confidence=0.95))
    det = AdaptiveDetector(cfg, AdaptConfig(enabled=False, aftermath=aftermath, lag_hours=lag_hours), given=[0])
    det.fit(ts[:TRAIN], X[:TRAIN])
    return det.score(ts[TRAIN:], X[TRAIN:]).anomaly


def test_the_room_relaxing_after_a_warm_spell_is_not_a_fault() -> None:
    for seed in (1, 2, 3):
        X, ts, info = _house(seed)
        hi = X[:TRAIN, 0].max()
        inside = X[TRAIN:, 0] <= hi
        after = np.zeros(len(inside), dtype=bool)
        after[info["back"] - TRAIN:] = True
        now, main = _run(X, ts, True), _run(X, ts, False)
        flagged_main, flagged_now = (main & inside & after).sum(), (now & inside & after).sum()
        assert flagged_main > 0.5 * (inside & after).sum()  # main: most of the relaxation flagged (73-79 %)
        # now 2.7-5.0 %: the accumulators' memory of the rows beyond the range (a MEWMA of z ~ 50
        # takes ~30 rows to decay) and the relaxation's last sigma after the envelope closes
        # (0-10 % since the days hold the spell: seed 1's mild afternoons days later, where the
        # power expected is ~50 W and its noise 20 W, read as idle now and then, and the envelope
        # re-opens after each; main 73-79 %)
        assert flagged_now < 0.12 * (inside & after).sum()
        assert flagged_now < 0.15 * flagged_main
        assert not now[:int(24 * DAY) - TRAIN].any()  # before the spell: quiet either way


def test_a_fault_from_before_the_spell_stays_flagged_after_it() -> None:
    for seed in (1, 2):
        X, ts, info = _house(seed, fault="power")
        now = _run(X, ts, True)
        late = slice(info["back"] + 3 * DAY - TRAIN, None)  # once the room is back at its set point
        assert now[6 * DAY:10 * DAY].mean() > 0.8  # seen before the spell
        assert now[late].mean() > 0.8  # and after it: the envelope is the excursion's, not the fault's


def test_a_fault_that_starts_while_the_room_relaxes_is_caught() -> None:
    for seed in (1, 2):
        X, ts, info = _house(seed, fault="lift")
        now = _run(X, ts, True, lag_hours=0.0)
        start = info["start"] - TRAIN
        hit = np.flatnonzero(now[start:])
        # the fault starts 12 h after the air is back, while the day-mean still holds the
        # excursion (not judged for up to a day after the last stop: DriverMemory); at the
        # release it is taken for the excursion's doing until the envelope stops coming down
        # (aftermath.PATIENCE): caught after 34 h (main: 1 h, seed 2 11 h)
        assert hit.size and hit[0] <= 40 * 4
        assert now[start:].mean() > 0.75
        # with the lagged view's allowance (--lag-hours 24): the air's 24-h mean is above its training
        # range for days after the warm day, and the allowance measured there hides the lift
        # fault longer: caught after 64 h at most (docs/generic-detector.md, the cost)
        lagged = _run(X, ts, True, lag_hours=24.0)
        hit = np.flatnonzero(lagged[start:])
        assert hit.size and hit[0] <= 72 * 4
        assert lagged[start:].mean() > 0.6


def test_row_by_row_equals_blocks() -> None:
    rng = np.random.default_rng(5)
    R = rng.normal(0.0, 1.0, (300, 3))
    R[100:200, 0] += np.linspace(8.0, 0.0, 100)  # a relaxation after an excursion
    beyond = np.zeros(300, dtype=bool)
    beyond[90:100] = True
    a, b = Aftermath(np.ones(3), 0.1), Aftermath(np.ones(3), 0.1)
    whole = a.apply(R, beyond)
    rows = np.vstack([b.apply(R[i:i + 1], beyond[i:i + 1]) for i in range(300)])
    assert np.array_equal(whole, rows)
    assert np.abs(whole[100:200, 0]).max() < 4.0  # the relaxation's excess removed up to the margin
    assert np.array_equal(whole[:90], R[:90])  # nothing changes before an excursion


def test_only_an_excursion_that_stops_the_machine_opens_an_envelope() -> None:
    """Past the warm edge the power's expectation falls to zero (the heating limit): the machine
    stops, a regime the training never showed. Past the cold edge it only grows: more of the
    same, left to the extrapolation allowance, and a residual that lingers there is judged."""
    X, ts, _ = _house(1)
    cfg = HealthyBehaviourConfig(warmup=TRAIN)
    det = AdaptiveDetector(cfg, AdaptConfig(enabled=False), given=[0])
    det.fit(ts[:TRAIN], X[:TRAIN])
    m = det.driver
    assert list(m.positive) == [True, True, True]  # the room, the power and the lift are positive
    air = np.array([-15.0, -5.0, 5.0, 25.0])
    E = m.loc + np.zeros((4, 3))
    E[:, 1] = 80.0 * (17.5 - air)  # the power the heating curve asks for
    assert list(m.stops(E)) == [False, False, False, True]
    a = Aftermath(np.ones(2), 0.1)
    R = np.zeros((40, 2))
    R[10:, 0] = 10.0  # a cold spell's lingering residual
    beyond = np.zeros(40, dtype=bool)
    beyond[5:10] = True
    assert np.array_equal(a.apply(R, beyond, np.zeros(40, dtype=bool)), R)  # no stop: nothing removed
    b = Aftermath(np.ones(2), 0.1)
    assert np.abs(b.apply(R, beyond, beyond)[10:, 0]).max() < 4.0  # a stop: the lingering part removed
