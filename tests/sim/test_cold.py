"""A healthy pump in deep cold stays inside its envelope: the discharge derate near the trip, the lowest
outdoor temperature with the backup heater covering, and faults that still trip."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from heatwatch.sim.fleet import Fleet
from heatwatch.sim.refrigerant_cycle import F_MIN
from heatwatch.sim.scenario import parse_scenario
from heatwatch.trips import trip_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from cold_envelope import cold_fleet  # noqa: E402

# the data sheet's lowest outdoor temperature (demand.LOWEST_OUTDOOR_C): a literal here, so that the test
# fails on code without the limit by its assertion, not by an import
LOWEST_OUTDOOR_C = -25.0


def _cold(t_c: float, refrigerant: str = "R32", days: int = 3, seed: int = 77) -> Fleet:
    """Six healthy pumps (every emitter, small and large) in air held near ``t_c`` (±3 K a day): the
    fleet bench/cold_envelope.py measures the envelope with."""
    return cold_fleet(t_c, refrigerant, days, seed)


def _run(fleet: Fleet) -> dict[str, np.ndarray]:
    chunks = list(fleet.chunks(1440))
    return {k: np.concatenate([c.truth[k] for c in chunks]) for k in ("t_outdoor", "t_discharge", "running",
                                                                     "t_indoor", "compressor_hz")}


@pytest.mark.parametrize("t_c", [-20.0, -24.0])
def test_a_healthy_r32_pump_in_deep_cold_does_not_trip(t_c):
    """Near -20 °C the R32 pumps' hot-water cycles ran a few kelvin over the 115 °C trip (13 trips in
    6 days, every emitter); near -25 °C every one tripped within hours and most locked out. A real unit
    derates near the trip and stops below its lowest outdoor temperature."""
    fleet = _cold(t_c)
    t = _run(fleet)
    assert fleet.trips == []
    run = t["running"].astype(bool)
    assert run.any()
    assert t["t_discharge"][run].max() < trip_limits("R32").discharge_c
    if t_c == -20.0:  # inside the envelope: the derate holds some hot-water cycles at its start, 110 °C
        assert t["t_discharge"][run].max() == pytest.approx(110.0, abs=0.05)


def test_below_the_lowest_outdoor_temperature_the_compressor_stays_off_and_the_backup_heater_keeps_the_house():
    fleet = _cold(-30.0)
    t = _run(fleet)
    cold = t["t_outdoor"] < LOWEST_OUTDOOR_C
    assert cold.mean() > 0.5
    assert not t["running"].astype(bool)[cold].any()
    assert (t["compressor_hz"][cold] == 0.0).all()
    # the backup heater holds the rooms: none more than 3.5 K under the highest set point drawn (22 °C)
    assert t["t_indoor"][-1440:].min() > 18.5


def test_the_derate_steps_the_frequency_down_as_far_as_the_minimum_and_no_further():
    """A real controller steps its frequency down until the discharge falls back or the compressor is at its
    minimum frequency (s-cold26 stopped at a 4 K cut, so a fault's heat in deep cold crossed it in days)."""
    from heatwatch.sim.refrigerant_cycle import DERATE_HZ_SHARE_PER_K, DERATE_START_C, discharge_derate

    t_dis = np.array([100.0, DERATE_START_C + 2.0, DERATE_START_C + 10.0, DERATE_START_C + 40.0, 118.0])
    f = np.array([80.0, 80.0, 80.0, 80.0, F_MIN])
    out, f_new = discharge_derate(t_dis, f)
    assert out[0] == 100.0 and f_new[0] == 80.0  # below the band: untouched
    assert out[1] == pytest.approx(DERATE_START_C) and f_new[1] < 80.0  # inside: held at the band's start
    assert out[2] == pytest.approx(DERATE_START_C)  # 10 K over: still held (a 4 K cap let 6 K through)
    assert f_new[2] == pytest.approx(80.0 * (1.0 - 10.0 * DERATE_HZ_SHARE_PER_K))
    room = (1.0 - F_MIN / 80.0) / DERATE_HZ_SHARE_PER_K  # 25 K at 80 Hz
    assert f_new[3] == pytest.approx(F_MIN) and out[3] == pytest.approx(DERATE_START_C + 40.0 - room)  # then it passes
    assert out[4] == 118.0 and f_new[4] == F_MIN  # at the minimum frequency nothing is left to take off


def test_a_refrigerant_leak_still_trips_on_its_discharge():
    from heatwatch.sim.scenario import load_scenario

    fleet = Fleet(load_scenario("fault_refrigerant_leak"))
    for _ in fleet.chunks(1440):
        pass
    kinds = {t.device: t.trip_kind for t in fleet.truth}
    assert kinds and all(k is not None for k in kinds.values()), kinds


def test_a_worn_r32_compressor_in_a_cold_winter_trips_near_its_time_to_trip_not_on_the_cold():
    """wear_cold_r32's climate (January -9 °C, cold spells near -20): on main its wears tripped at 0.27-0.61 x
    their time_to_trip, on a healthy pump's cold discharge trip; with the limits (and the wear gain re-fitted
    for the derate, pump_faults.FAULT_GAIN) they trip on their own wear, within +-25 %."""
    import yaml

    raw = yaml.safe_load((Path(__file__).parents[2] / "bench/scenarios/wear_cold_r32.yaml").read_text("utf-8"))
    raw.update({"fleet": {"size": 6}, "duration": "58d",
                "devices": {d: raw["devices"][d] for d in ("hp-001", "hp-003", "hp-005")}})
    fleet = Fleet(parse_scenario(raw))
    for _ in fleet.chunks(5 * 1440):
        pass
    sc = fleet.scenario
    ratios = {t.device: None if t.trip_ts is None else
              (t.trip_ts - t.onset_ts) * sc.devices[t.device].faults[0].rate / 86400.0 for t in fleet.truth}
    kinds = {t.device: t.trip_kind for t in fleet.truth}
    assert all(r is not None and 0.75 <= r <= 1.25 for r in ratios.values()), (ratios, kinds)
    healthy = {t.device for t in fleet.trips} - set(ratios)
    assert not healthy, healthy


def test_a_derated_pump_s_expansion_valve_meters_the_gas_of_the_frequency_it_runs_at(monkeypatch):
    """The valve's controller follows the gas the compressor draws: cut from f to f' by the derate, its opening
    falls as an undisturbed pump's would between f and f'. Left at the opening for f (as the derate first
    had it), a worn compressor held at 110 °C read, at the lower frequency it reports, as a starved
    evaporator, and the agent named a leak beside the wear (bench/heldout28_cold.md: two wears, 1.2-1.3 d
    before their trip)."""
    from heatwatch.sim import plant, refrigerant_cycle
    from heatwatch.sim.pump_faults import Severity
    from heatwatch.sim.refrigerant_cycle import F_NOM, WATER_KW_PER_LPM_K, running_cycle

    p = plant.make_params(2, np.random.default_rng(4), "oslo", "R32", [7.0, 7.0], [None, None])
    q_target = np.full((1, 2), 0.5) * p.q_nom
    sev = Severity(wear=np.array([[0.0, 0.5]]))

    def cycle():
        return running_cycle(p, "R32", sev, np.full((1, 2), -20.0), q_target, np.full((1, 2), 45.0),
                             q_target / (WATER_KW_PER_LPM_K * p.v_nom), p.v_nom[None, :], np.zeros((1, 2)))

    derated = cycle()
    monkeypatch.setattr(refrigerant_cycle, "DERATE_START_C", 1000.0)
    free = cycle()
    healthy, worn = 0, 1
    assert derated["t_discharge"][0, worn] == pytest.approx(110.0)  # the wear is held by the derate
    assert derated["compressor_hz"][0, worn] < 0.9 * free["compressor_hz"][0, worn]
    share = (0.45 + 0.55 * derated["compressor_hz"] / F_NOM) / (0.45 + 0.55 * free["compressor_hz"] / F_NOM)
    assert derated["eev_pct"][0, worn] == pytest.approx(free["eev_pct"][0, worn] * share[0, worn])
    # a pump the derate does not touch keeps its opening to the bit
    assert derated["compressor_hz"][0, healthy] == free["compressor_hz"][0, healthy]
    assert derated["eev_pct"][0, healthy] == free["eev_pct"][0, healthy]
