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


def _trips(refrigerant, ch, defrosting=None, steps0=100, dhw=None):
    limits = trip_limits(refrigerant)
    n, D = ch["p_high"].shape
    p = _pumps(refrigerant, D)
    running = np.ones((n, D), bool)
    defrosting = np.zeros((n, D), bool) if defrosting is None else defrosting
    dhw = np.zeros((n, D), bool) if dhw is None else dhw
    h = protection.holds(limits, protection.HoldState.zeros(D), running & ~defrosting, running,
                         defrosting, np.zeros((n, D), bool), ch, DT, dhw)
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


def test_flood_back_is_masked_after_a_mode_change_as_after_a_start_but_a_lasting_one_still_trips():
    """Heating 8 min, then hot water: the condensing pressure jumps within a minute while the discharge
    pipe warms over minutes, so a healthy pump's discharge superheat dips below 3 K for a few minutes
    (pump 0, 6 min: longer than the 5-min hold, so without a mask after the switch it trips at step 12).
    A valve stuck open keeps it low (pump 1): it trips once the mask and the hold have passed."""
    n, switch = 30, 8
    p_high = np.full((n, 3), 30.0)
    low = t_sat(30.0, "R32") + 1.0
    t_dis = np.full((n, 3), low + 8.0)
    t_dis[switch:switch + 6, 0] = low  # the healthy transient
    t_dis[switch:, 1] = low  # lasting: liquid floods back
    t_dis[switch:switch + 6, 2] = low  # pump 2: the same dip while heating on, no mode change: trips
    dhw = np.zeros((n, 3), bool)
    dhw[switch:, :2] = True
    trips = _trips("R32", _channels(_pumps("R32", 3), n, p_high=p_high, t_discharge=t_dis), dhw=dhw)
    # pump 1: the mask restarts at the switch (step 8), ends 6 min later (step 14), held 5 min: step 18
    assert trips == [(1, 118, "flood_back"), (2, 112, "flood_back")]
    # back from hot water to heating restarts it too
    back = ~dhw
    back[:, 2] = False
    trips = _trips("R32", _channels(_pumps("R32", 3), n, p_high=p_high, t_discharge=t_dis), dhw=back)
    assert trips == [(1, 118, "flood_back"), (2, 112, "flood_back")]


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


def test_a_healthy_fleet_rides_through_its_hot_water_switches_and_stuck_open_valves_still_trip():
    """The propane site of bench/scenarios/eev_open_from_install_baerum_r290.yaml, its first 28 days.

    Its healthy pumps switch from heating to hot water with the discharge superheat below 3 K
    for minutes (the condensing pressure jumps, the discharge pipe lags); one of them (hp-015,
    hp-120 in service_area_200) tripped on flood-back at day 26.6 when only a start was masked.
    Its three valves stuck open from installation (5, 12 and 20 days to trip) still trip on
    flood-back within 25 % of that."""
    import dataclasses
    from pathlib import Path

    from heatwatch.channels import MODE_DHW
    from heatwatch.refrigerant import t_sat_array
    from heatwatch.sim.fleet import Fleet
    from heatwatch.sim.scenario import load_scenario

    sc = load_scenario(Path(__file__).parents[2] / "bench/scenarios/eev_open_from_install_baerum_r290.yaml")
    sc = dataclasses.replace(sc, duration_s=28 * 86400.0)
    fleet = Fleet(sc)
    faulty = {t.device: t for t in fleet.truth}
    healthy = [d for d, name in enumerate(fleet.devices) if name not in faulty]
    dips = 0
    for ch in fleet.chunks(1440):
        t = ch.truth
        dhw = t["mode"][:, healthy] == MODE_DHW
        on = t["running"][:, healthy].astype(bool) & (t["defrost"][:, healthy] == 0)
        switched = np.zeros_like(dhw)
        switched[1:] = dhw[1:] & ~dhw[:-1] & on[:-1]
        dsh = t["t_discharge"][:, healthy] - t_sat_array(t["p_high"][:, healthy], sc.refrigerant)
        dips += int((switched[:-3] & on[3:] & (dsh[3:] < trip_limits(sc.refrigerant).floodback_superheat_k)).sum())
    assert dips >= 10, "the healthy pumps' hot water switches should dip below the flood-back limit"
    assert not [t for t in fleet.trips if t.device not in faulty and t.kind == "flood_back"]
    for name, ttt in (("hp-000", 5), ("hp-008", 12), ("hp-021", 20)):
        t = faulty[name]
        assert t.trip_kind == "flood_back" and 0.75 <= (t.trip_ts - t.onset_ts) / (ttt * 86400.0) <= 1.25, (name, t)
