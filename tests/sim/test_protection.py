"""The simulator's protection trips at the core's limits per refrigerant, holds, masks and locks out as documented."""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.channels import ERROR_LOCKOUT, TRIP_CODES
from heatwatch.refrigerant import t_sat
from heatwatch.sim import plant, protection
from heatwatch.trips import trip_limits

DT = 60.0


def _pumps(refrigerant: str, D: int = 2) -> plant.PumpParams:
    return plant.make_params(D, np.random.default_rng(3), "stockholm", refrigerant, [None] * D, [None] * D)


def _channels(p: plant.PumpParams, n: int, **set_) -> dict[str, np.ndarray]:
    """A running pump well inside every limit, then the channels in ``set_`` (n, D)."""
    D = len(p.q_nom)
    ch = {"p_high": np.full((n, D), 15.0), "p_low": np.full((n, D), 4.0), "t_discharge": np.full((n, D), 75.0),
          "compressor_a": np.full((n, D), 5.0), "flow_lpm": np.broadcast_to(p.v_nom, (n, D)).copy()}
    ch.update(set_)
    return ch


def _trips(refrigerant, ch, defrosting=None, steps0=100):
    limits = trip_limits(refrigerant)
    n, D = ch["p_high"].shape
    p = _pumps(refrigerant, D)
    running = np.ones((n, D), bool)
    defrosting = np.zeros((n, D), bool) if defrosting is None else defrosting
    zero = np.zeros(D, np.int64)
    h = protection.holds(limits, protection.HoldState(zero, zero.copy(), zero.copy()), running & ~defrosting, running,
                         defrosting, np.zeros((n, D), bool), ch, DT)
    steps = steps0 + np.arange(n)
    return protection.find_trips(limits, p, ch, h, defrosting, steps, DT, [])


def test_high_pressure_trips_at_the_refrigerants_own_limit():
    p_high = np.full((6, 2), 20.0)
    p_high[2:, 0] = 23.0  # above R290's 22.5 bar switch, far below R32's 41
    ch = _channels(_pumps("R290"), 6, p_high=p_high, t_discharge=np.full((6, 2), 90.0))
    assert trip_limits("R290").high_pressure_bar == 22.5
    assert _trips("R290", ch) == [(0, 102, "high_pressure")]
    assert _trips("R32", ch) == []


def test_low_pressure_trips_when_held_ten_minutes_outside_defrost_or_at_once_below_the_instant_limit():
    n = 16
    p_low = np.full((n, 3), 0.8)  # R32: under the 1.0 bar limit, above the 0.5 bar instant one
    p_low[12:, 2] = 0.4
    p_low[:12, 2] = 3.0
    defrosting = np.zeros((n, 3), bool)
    defrosting[:5, 1] = True  # a defrost does not count towards the hold
    ch = _channels(_pumps("R32", 3), n, p_low=p_low)
    trips = _trips("R32", ch, defrosting)
    assert trips == [(0, 109, "low_pressure"), (1, 114, "low_pressure"), (2, 112, "low_pressure")]


def test_flood_back_is_judged_only_after_the_start_up_mask():
    n = 12
    p_high = np.full((n, 2), 30.0)
    t_dis = np.full((n, 2), 80.0)
    t_dis[:, 0] = t_sat(30.0, "R32") + 1.0  # discharge superheat 1 K from the start
    trips = _trips("R32", _channels(_pumps("R32"), n, p_high=p_high, t_discharge=t_dis))
    # warm after 6 min (step 5), then held 5 min: step 9 (without the mask it would be step 4)
    limits = trip_limits("R32")
    assert (limits.floodback_startup_s, limits.floodback_hold_s) == (360.0, 300.0)
    assert trips == [(0, 109, "flood_back")]


def test_a_trip_holds_the_compressor_for_the_restart_delay_and_three_in_an_hour_lock_out():
    state = protection.TripState(2, DT)
    steps = np.arange(100)
    one = [(0, 5, "high_pressure")]
    blocked, code = state.blocked(steps, one)
    assert blocked[5:15, 0].all() and not blocked[:5, 0].any() and not blocked[15:, 0].any()
    assert (code[5:15, 0] == TRIP_CODES["high_pressure"]).all()
    assert not blocked[:, 1].any()
    trips = one + [(0, 25, "discharge_overtemp"), (0, 45, "low_pressure"), (1, 30, "flood_back")]
    blocked, code = state.blocked(steps, trips)
    assert blocked[45:, 0].all() and (code[45:, 0] == ERROR_LOCKOUT).all()
    assert (code[30:40, 1] == protection.FLOOD_BACK_CODE).all() and not blocked[40:, 1].any()
    recorded = state.record(trips)
    assert [(d, s, lock) for d, s, _, lock in recorded] == [(0, 5, False), (0, 25, False), (1, 30, False), (0, 45, True)]
    assert state.lockout.tolist() == [True, False]
    # the carried state holds the lockout into the next chunk
    blocked, code = state.blocked(np.arange(100, 110), [])
    assert blocked[:, 0].all() and (code[:, 0] == ERROR_LOCKOUT).all() and not blocked[:, 1].any()


@pytest.mark.parametrize("rule", protection.LOCKOUT_RULES)
def test_each_lockout_rule_counts_its_trips_within_its_window(rule):
    k, window_s = rule
    window = int(window_s / DT)
    inside = [round(i * (window - 1) / (k - 1)) for i in range(k)]  # k trips, first to last just inside the window
    assert protection.locks_out(inside, inside[-1], DT)
    assert not protection.locks_out(inside[:-1], inside[-2], DT)  # one fewer: no rule is broken
    spread = [i * window // (k - 1) for i in range(k)]  # the first falls out of the window
    assert not protection.locks_out(spread, spread[-1], DT)
