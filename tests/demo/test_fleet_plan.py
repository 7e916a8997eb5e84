"""The scenario a demo plays: pump time is the day it runs, the weather the scenario's own season.

The gateway keeps wall-clock promises, so pump time starts now; but the demo
fleet is a Stockholm winter, and a demo run in July must not play a summer in
which the pumps hardly heat and the first faults trip later than the demo
lasts (before: hp-002's leak tripped at +3.7 pump days in July, +2.7 in January).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import numpy as np
import pytest
from sqlalchemy import select

from heatwatch.channels import INDEX
from heatwatch.demo.fleet_plan import plan, pump_designs, pump_refrigerants
from heatwatch.demo.world import seed
from heatwatch.gateway.db import Database
from heatwatch.gateway.devices.models import Device
from heatwatch.sim.climate import resolve_climate
from heatwatch.sim.data_sheet import MODEL_CAPACITIES_KW, SUPERHEAT_SETPOINT_K as SIMULATED_SUPERHEAT_SETPOINT_K
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import ScenarioError, load_scenario, parse_scenario
from heatwatch.units import DAY

JANUARY = datetime(2026, 1, 3, 12, 0, tzinfo=timezone.utc).timestamp()
JULY = datetime(2026, 7, 3, 12, 0, tzinfo=timezone.utc).timestamp()


def _played(now: float, out) -> tuple:
    out.mkdir()
    _, path = plan("demo_fleet", 4, 2.0, 1800.0, out, now=now)
    sc = load_scenario(path)  # as the demo's simulator processes read it
    fleet = Fleet(dataclasses.replace(sc, duration_s=3 * DAY))
    t_out = np.concatenate([c.values[:, :, INDEX["t_outdoor"]] for c in fleet.chunks(1440)])
    trips = {t.device: t.trip_ts - sc.start_ts for t in fleet.truth if t.trip_ts is not None}
    return sc, t_out, trips


def test_a_demo_in_july_plays_the_scenarios_winter_on_julys_clock(tmp_path):
    jan, t_jan, trips_jan = _played(JANUARY, tmp_path / "january")
    jul, t_jul, trips_jul = _played(JULY, tmp_path / "july")
    assert (jan.start_ts, jul.start_ts) == (JANUARY, JULY)  # pump time is the day the demo runs
    assert jul.season_ts == load_scenario("demo_fleet").start_ts
    np.testing.assert_array_equal(t_jul, t_jan)  # the same weather, hour by hour
    assert t_jul.mean() < 6.0  # a Stockholm January (a mild spell: 1.3 °C), not its July (about 16 °C)
    assert set(trips_jul) == {"hp-001", "hp-002"} and trips_jul == trips_jan
    assert max(trips_jul.values()) < 3 * DAY


def test_a_scenario_without_a_season_has_its_starts_and_a_bad_one_is_refused():
    base = {"fleet": {"size": 1}, "climate": "milan", "start": "2025-07-01", "duration": "1d", "seed": 3}
    summer = Fleet(parse_scenario(base))
    winter = Fleet(parse_scenario({**base, "season": "2025-01-01"}))
    t = [np.concatenate([c.values[:, 0, INDEX["t_outdoor"]] for c in f.chunks(1440)]).mean() for f in (summer, winter)]
    assert t[0] > t[1] + 12.0  # Milan: about 25 °C in July, 3 in January
    with pytest.raises(ScenarioError, match="season: expected a date"):
        parse_scenario({**base, "season": "midwinter"})


SITES = ("name: two_towns\nstart: 2024-12-01\nduration: 2d\nseed: 3\nrefrigerant: R32\n"
         "climate: {monthly_c: [-6, -6, -2, 5, 11, 15, 18, 16, 11, 5, 0, -4]}\n"
         "sites:\n  - {name: inland, pumps: 3}\n  - {name: lake, refrigerant: R290, pumps: 2}\n"
         "devices:\n  hp-001: {faults: [{type: low_water_flow, onset: 4h, time_to_trip: 36h}]}\n"
         "  hp-004: {faults: [{type: refrigerant_leak, onset: 4h, time_to_trip: 36h}]}\n")


def test_a_scenario_with_sites_and_no_fleet_size_is_played_as_the_loader_reads_it(tmp_path):
    """docs/scenarios.md: with sites, fleet.size may be left out (the sites add up to it). The demo
    refused such a file (the sites hold 5 pumps, the fleet 20). It plays the sites: each pump keeps
    its id, its site, its refrigerant and its weather; --pumps takes the first pumps in site order."""
    src = tmp_path / "two_towns.yaml"
    src.write_text(SITES)
    (tmp_path / "all").mkdir()
    sc, path = plan(str(src), 20, 2.0, 1800.0, tmp_path / "all", now=JANUARY)  # the demo's 20: all 5 pumps
    whole = load_scenario(src)
    assert sc.device_ids == whole.device_ids == ["hp-000", "hp-001", "hp-002", "hp-003", "hp-004"]
    refrigerants = {"hp-000": "R32", "hp-001": "R32", "hp-002": "R32", "hp-003": "R290", "hp-004": "R290"}
    assert pump_refrigerants(sc) == refrigerants  # the agents' edge.toml
    db = Database.open(f"sqlite:///{tmp_path / 'gateway.db'}")
    try:
        seed(db, pump_refrigerants(sc))
        with db.transaction() as session:  # the gateway's device records
            assert {d.id: d.refrigerant for d in session.scalars(select(Device))} == refrigerants
    finally:
        db.close()
    assert set(load_scenario(path).devices) == {"hp-001", "hp-004"}
    # each site its own weather, as in the file: its seed and climate
    assert [(s.seed, s.climate_spec) for s in sc.site_scenarios()] == [(s.seed, s.climate_spec) for s in whole.site_scenarios()]
    t = next(Fleet(dataclasses.replace(load_scenario(path), duration_s=DAY)).chunks(1440)).values[:, :, INDEX["t_outdoor"]]
    assert abs(t[:, 0].mean() - t[:, 3].mean()) > 0.1  # inland and the lake: other cold and mild spells

    (tmp_path / "four").mkdir()
    sc, path = plan(str(src), 4, 2.0, 1800.0, tmp_path / "four", now=JANUARY)
    assert [(s.name, s.size, s.refrigerant) for s in sc.site_scenarios()] == \
        [("two_towns/inland", 3, "R32"), ("two_towns/lake", 1, "R290")]
    assert set(load_scenario(path).devices) == {"hp-001"}  # hp-004 left out with its fault


def test_a_bad_scenario_with_sites_is_refused_naming_its_file(tmp_path):
    src = tmp_path / "bad_towns.yaml"
    src.write_text(SITES.replace("pumps: 2}", "pumps: 0}"))
    (tmp_path / "out").mkdir()
    with pytest.raises(ScenarioError, match=r"bad_towns\.yaml: sites\[1\]"):
        plan(str(src), 20, 2.0, 1800.0, tmp_path / "out", now=JANUARY)


def test_each_demo_agent_is_given_its_pump_s_design_data_and_its_site_s_design_temperature(tmp_path):
    """The field's edge.toml carries a [design] table (the data sheet's capacity and superheat setpoint,
    the heat-loss calculation's design outdoor temperature); ``heatwatch eval`` configures its agents so.
    The demo's agents had none: no design bands in their first hours, no design-day headroom. Each pump
    now gets its simulated model's capacity class and its own site's design temperature."""
    src = tmp_path / "two_climates.yaml"
    src.write_text("name: two_climates\nstart: 2024-12-01\nduration: 2d\nseed: 3\nrefrigerant: R32\n"
                   "sites:\n  - {name: north, climate: oslo, pumps: 3}\n"
                   "  - {name: south, climate: milan, refrigerant: R290, pumps: 2}\n")
    (tmp_path / "run").mkdir()
    sc, _ = plan(str(src), 20, 2.0, 1800.0, tmp_path / "run", now=JANUARY)
    designs = pump_designs(sc)
    assert sorted(designs) == sc.device_ids
    oslo, milan = resolve_climate("oslo").design_c, resolve_climate("milan").design_c
    assert oslo < milan - 10  # two sites the design temperature must tell apart
    assert [designs[d].design_outdoor_c for d in sc.device_ids] == [oslo] * 3 + [milan] * 2
    q_nom = np.concatenate([Fleet(s).params.q_nom for s in sc.site_scenarios()])
    for d, q in zip(sc.device_ids, q_nom):
        assert designs[d].capacity_kw in MODEL_CAPACITIES_KW
        assert abs(designs[d].capacity_kw - q) == min(abs(c - q) for c in MODEL_CAPACITIES_KW)
        assert designs[d].superheat_setpoint_k == SIMULATED_SUPERHEAT_SETPOINT_K
