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
    ratios, kinds, healthy = _trip_ratios(raw)
    assert all(r is not None and 0.75 <= r <= 1.25 for r in ratios.values()), (ratios, kinds)
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


def _trip_ratios(raw: dict) -> tuple[dict[str, float | None], dict[str, str | None], set[str]]:
    """Each faulty pump's onset -> first trip / time_to_trip (None: no trip in the run), its trip's kind,
    and the healthy pumps that tripped."""
    fleet = Fleet(parse_scenario(raw))
    for _ in fleet.chunks(5 * 1440):
        pass
    sc = fleet.scenario
    ratios = {t.device: None if t.trip_ts is None else
              (t.trip_ts - t.onset_ts) * sc.devices[t.device].faults[0].rate / 86400.0 for t in fleet.truth}
    kinds = {t.device: t.trip_kind for t in fleet.truth}
    return ratios, kinds, {t.device for t in fleet.trips} - set(ratios)


def test_an_r290_leak_in_a_stockholm_winter_trips_near_its_time_to_trip():
    """time_to_trip means the same for either refrigerant. With the shared leak gain (0.70, fitted on R32)
    R290's cooler discharge (isentropic exponent 1.18 against 1.24) left its leaks at a median 1.64 x
    time_to_trip after the cold-climate limits, 8 of 18 not tripping within their file; with R290's own gain
    (pump_faults.REFRIGERANT_GAIN) they trip on their discharge within +-30 %."""
    raw = {"name": "r290_leak_stockholm", "climate": "stockholm", "start": "2024-12-01", "duration": "45d",
           "step": "60s", "seed": 29290, "refrigerant": "R290", "fleet": {"size": 5},
           "devices": {"hp-001": {"faults": [{"type": "refrigerant_leak", "onset": "2d", "time_to_trip": "20d"}]},
                       "hp-002": {"faults": [{"type": "refrigerant_leak", "onset": "5d", "time_to_trip": "25d"}]},
                       "hp-003": {"faults": [{"type": "refrigerant_leak", "onset": "8d", "time_to_trip": "28d"}]}}}
    ratios, kinds, healthy = _trip_ratios(raw)
    assert all(r is not None and 0.7 <= r <= 1.3 for r in ratios.values()), (ratios, kinds)
    assert set(kinds.values()) == {"discharge_overtemp"}, kinds
    assert not healthy, healthy


def test_an_r290_fouled_condenser_in_an_oslo_winter_trips_near_its_time_to_trip():
    """The same for a fouled condenser, which trips on the high-pressure switch: R290's condensing pressure
    sits further below it than R32's, and with the shared gain (1.00) its fouled condensers tripped at a
    median 1.53 x time_to_trip, 4 of 7 not within their file. Its trip follows the weather more than a
    leak's (0.77-1.42 x on the held-out files, bench/heldout30_r290gain.md), so only the median is held to
    +-30 % and each to 1.6 x: with R290's own gain (1.40) these three trip at 0.98, 1.29 and 1.57 x; on the
    code before only the first does (1.62 x), the others not within the 45 days."""
    raw = {"name": "r290_condenser_oslo", "climate": "oslo", "start": "2024-12-01", "duration": "45d",
           "step": "60s", "seed": 30290, "refrigerant": "R290", "fleet": {"size": 5},
           "devices": {"hp-001": {"faults": [{"type": "condenser_fouling", "onset": "3d", "time_to_trip": "18d"}]},
                       "hp-002": {"faults": [{"type": "condenser_fouling", "onset": "6d", "time_to_trip": "22d"}]},
                       "hp-003": {"faults": [{"type": "condenser_fouling", "onset": "9d", "time_to_trip": "26d"}]}}}
    ratios, kinds, healthy = _trip_ratios(raw)
    assert all(r is not None and r <= 1.6 for r in ratios.values()), (ratios, kinds)
    assert 0.7 <= float(np.median(list(ratios.values()))) <= 1.3, ratios
    assert set(kinds.values()) == {"high_pressure"}, kinds
    assert not healthy, healthy


def test_r290_wears_in_a_cold_winter_trip_near_their_time_to_trip_and_a_rubbing_one_on_its_relay():
    """R290's own wear gain (1.44; the shared 1.10 left its wears at a median 1.31 x time_to_trip, 20 of
    37 not tripping within their file): three wears by efficiency in air near -12 °C trip on their discharge
    within +-30 % (on the code before 1.65, 1.55 and 1.35 x). A rubbing compressor's efficiency loss keeps
    the physical rate its mode was fitted with (gain 0.38), whatever the refrigerant's wear gain, so its
    over-current relay, not the discharge, still trips it (0.76 x, as before)."""
    from heatwatch.sim.pump_faults import fault_gain

    raw = {"name": "r290_wear_cold", "fleet": {"size": 5},
           "climate": {"name": "const", "monthly_c": [-12.0] * 12, "diurnal_amp_c": [4.0, 4.0],
                       "anomaly_sigma_c": [3.0, 1.5], "monthly_rh": [80] * 12, "utc_offset_h": 1, "design_c": -25.0},
           "start": "2030-12-01", "duration": "45d", "step": "60s", "seed": 30292, "refrigerant": "R290",
           "devices": {"hp-001": {"faults": [{"type": "compressor_wear", "onset": "2d", "time_to_trip": "20d"}]},
                       "hp-002": {"faults": [{"type": "compressor_wear", "onset": "4d", "time_to_trip": "24d"}]},
                       "hp-003": {"faults": [{"type": "compressor_wear", "onset": "6d", "time_to_trip": "28d"}]},
                       "hp-004": {"faults": [{"type": "compressor_wear", "onset": "3d", "time_to_trip": "22d",
                                              "mode": "mechanical"}]}}}
    fleet = Fleet(parse_scenario(raw))
    _, rate = fleet.pump_faults["wear"]
    assert rate[fleet.devices.index("hp-004")] * fault_gain("wear", "R290") == pytest.approx(0.38 / 22.0)
    ratios, kinds, healthy = _trip_ratios(raw)
    wears = {d: ratios[d] for d in ("hp-001", "hp-002", "hp-003")}
    assert all(r is not None and 0.7 <= r <= 1.3 for r in wears.values()), (ratios, kinds)
    assert {kinds[d] for d in wears} == {"discharge_overtemp"}, kinds
    assert kinds["hp-004"] == "overcurrent" and ratios["hp-004"] is not None and ratios["hp-004"] <= 1.3, (ratios, kinds)
    assert not healthy, healthy
