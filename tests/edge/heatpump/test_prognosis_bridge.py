"""The peak between two polls (prognosis.USE_BRIDGE; measured and left off, docs/heatpump.md).

The discharge stop and the high-pressure switch judge every instant, the agent every poll: the day's
worst over every instant lies above its polled worst by about 0.5826 x the true movement of one poll
(a discretely watched walk's continuity shift). That movement is read from the pump's own readings with
the sensor noise taken out: a change over two polls carries twice the movement of one and the same
noise, so the difference of their variances is the movement alone (robust scales: the compressor's
starts and stops are steps, not a walk).
"""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.edge.heatpump import prognosis as P
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.units import DAY

J = TARGET_NAMES.index("t_discharge")
POLL_S = 300.0


def _polls(step_sd: float, noise_sd: float, days: int, seed: int = 1, steps_k: float = 0.0) -> np.ndarray:
    """Polled discharge readings: a walk of ``step_sd`` per poll plus white noise; with ``steps_k``,
    a compressor that starts and stops every 45 minutes (a step of that many K)."""
    rng = np.random.default_rng(seed)
    n = int(days * DAY / POLL_S)
    obs = np.full((n, len(TARGET_NAMES)), np.nan)
    obs[:, J] = 80.0 + np.cumsum(rng.normal(0.0, step_sd, n)) + rng.normal(0.0, noise_sd, n)
    obs[:, J] += steps_k * ((np.arange(n) // 9) % 2)
    return obs


@pytest.fixture(autouse=True)
def _record(monkeypatch: pytest.MonkeyPatch) -> None:
    """The changes are kept (RECORD_BRIDGE, as the bench fleets keep them) while the lift is off."""
    monkeypatch.setattr(P, "RECORD_BRIDGE", True)


def _day_sds(obs: np.ndarray, batch: int = 37) -> list[float]:
    tracker = P.PrognosisTracker()
    ts = np.arange(len(obs)) * POLL_S
    for a in range(0, len(obs), batch):  # the pipeline feeds batches that cut hours
        tracker.update_peak_rows(ts[a:a + batch], obs[a:a + batch])
    c = int(np.searchsorted(P._BRIDGE_COLS, J))
    days: dict[int, list[np.ndarray]] = {}
    for t, scales in tracker._bridge:
        days.setdefault(int(t // DAY), []).append(scales[:, c])
    return [P._bridge_sd(np.array(h)) for h in days.values()]


def test_the_movement_of_one_poll_leaves_the_sensor_noise_out() -> None:
    walk = np.median(_day_sds(_polls(1.0, 0.5, 8)))
    assert 0.7 < walk < 1.3, walk
    # noise alone: no movement between polls, though its changes spread by 0.7 K
    still = np.median(_day_sds(_polls(0.0, 0.5, 8)))
    assert still < 0.2, still


def test_starts_and_stops_are_not_a_walk() -> None:
    """A 15 K step every 45 minutes (the moment-based spread reads some 5 K): the robust scales keep
    the movement near the walk's own."""
    sds = _day_sds(_polls(0.3, 0.2, 8, steps_k=15.0))
    assert np.median(sds) < 1.5, sds


def _peak_days(bridge: bool, monkeypatch: pytest.MonkeyPatch) -> np.ndarray:
    """_transient_days of a tracker whose polled discharge wanders 1 K a poll, its steady hours far under it."""
    monkeypatch.setattr(P, "USE_BRIDGE", bridge)
    tracker = P.PrognosisTracker()
    obs = _polls(1.0, 0.3, 4)
    ts = np.arange(len(obs)) * POLL_S
    tracker.update_peak_rows(ts, obs)
    day_t = np.arange(3) * DAY + 12 * 3600.0
    hours_t = np.arange(0.0, 3 * DAY, 3600.0)
    hi = np.full((len(hours_t), len(TARGET_NAMES)), np.nan)
    hi[:, J] = 0.0  # the steady worst far under the walk: every day has an excursion
    cols = (hours_t, hi, hi, hi)
    now = 3 * DAY
    return P._transient_days(cols, tracker._peak_rows(now), J, 1.0, day_t,
                             tracker._bridge_hours(now) if bridge else None)


def test_a_day_is_drawn_with_the_peak_its_polls_missed(monkeypatch: pytest.MonkeyPatch) -> None:
    without = _peak_days(False, monkeypatch)
    with_bridge = _peak_days(True, monkeypatch)
    lift = with_bridge - without
    # 0.5826 x about 1 K a poll
    assert np.all(lift > 0.3) and np.all(lift < 0.9), lift


def test_the_movement_survives_a_restart() -> None:
    tracker = P.PrognosisTracker()
    obs = _polls(1.0, 0.5, 2)
    tracker.update_peak_rows(np.arange(len(obs)) * POLL_S, obs)
    again = P.PrognosisTracker()
    again.load_state(tracker.state())
    assert len(again._bridge) == len(tracker._bridge) > 0
    for (t0, a), (t1, b) in zip(tracker._bridge, again._bridge):
        assert t0 == t1
        np.testing.assert_array_equal(a, b)


def test_nothing_is_kept_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """Off (the shipped default): the agent keeps no changes and spends no time on them."""
    monkeypatch.setattr(P, "RECORD_BRIDGE", False)
    monkeypatch.setattr(P, "USE_BRIDGE", False)
    tracker = P.PrognosisTracker()
    obs = _polls(1.0, 0.5, 1)
    tracker.update_peak_rows(np.arange(len(obs)) * POLL_S, obs)
    assert not tracker._bridge and len(tracker._peaks) > 0
