"""Per-site climate in the scenario format: sites load, change the weather, and old scenarios
load as before; a wrong site is one clear line."""

from __future__ import annotations

import numpy as np
import pytest

from heatwatch.channels import INDEX
from heatwatch.sim.fleet import Fleet, SitesFleet
from heatwatch.sim.scenario import ScenarioError, load_scenario, parse_scenario

BASE = {"fleet": {"size": 4}, "climate": "stockholm", "start": "2024-12-01", "duration": "2d", "seed": 5}


def test_sites_give_each_its_climate_and_refrigerant():
    sc = parse_scenario({**BASE, "sites": [{"name": "north", "climate": "oslo", "pumps": 2},
                                          {"name": "south", "climate": "milan", "refrigerant": "R290", "pumps": 2}],
                         "devices": {"hp-003": {"faults": [{"type": "refrigerant_leak", "onset": 0}]}}})
    parts = sc.site_scenarios()
    assert [(p.climate, p.refrigerant, p.device_ids) for p in parts] == [
        ("oslo", "R32", ["hp-000", "hp-001"]), ("milan", "R290", ["hp-002", "hp-003"])]
    assert list(parts[1].devices) == ["hp-003"] and not parts[0].devices
    fleet = Fleet(sc)
    assert isinstance(fleet, SitesFleet) and fleet.devices == ["hp-000", "hp-001", "hp-002", "hp-003"]
    t_out = np.concatenate([c.values[:, :, INDEX["t_outdoor"]] for c in fleet.chunks(1440)])
    north, south = np.nanmean(t_out[:, :2]), np.nanmean(t_out[:, 2:])
    # December normals: Oslo -2.6 °C, Milan 3.8 °C; two days of weather swing around them by a few K
    assert south - north > 3.0
    assert [t.device for t in fleet.truth] == ["hp-003"]


def test_the_same_pumps_without_sites_are_unchanged():
    plain = parse_scenario(BASE)
    assert plain.sites == () and plain.site_scenarios() == [plain]
    assert type(Fleet(plain)) is Fleet and plain.device_ids == ["hp-000", "hp-001", "hp-002", "hp-003"]
    demo = load_scenario("demo")
    assert demo.sites == () and demo.device_ids == [f"hp-{i:03d}" for i in range(demo.size)]


@pytest.mark.parametrize("sites, message", [
    ([{"climate": "atlantis", "pumps": 4}], "sites[0].climate: unknown climate 'atlantis'"),
    ([{"climate": "oslo", "pumps": 3}], "sites: the sites hold 3 pumps, the fleet 4"),
    ([{"climate": "oslo", "pumps": 2, "refrigerant": "R22"}, {"pumps": 2}], "sites[0].refrigerant: unknown"),
    ([{"climate": "oslo", "pumps": 4, "height": 3}], "sites[0].height: unknown field"),
    ("oslo", "sites: expected a list of sites"),
])
def test_a_wrong_site_names_the_field(sites, message):
    with pytest.raises(ScenarioError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_scenario({**BASE, "sites": sites}, source="area.yaml")


def test_the_shipped_service_areas_span_climates_refrigerants_and_every_fault():
    from heatwatch.faults import FAULTS

    for name, size in (("service_area_200", 200), ("service_area_1000", 1000)):
        sc = load_scenario(name)
        assert sc.size == size and sc.duration_s >= 200 * 86400
        assert {s.climate for s in sc.sites} == {"stockholm", "oslo", "milan"}
        assert {s.refrigerant for s in sc.sites} == {"R32", "R290"}
        faults = [f for d in sc.devices.values() for f in d.faults]
        assert {f.type for f in faults} == set(FAULTS)
        assert any(f.onset_s == 0 for f in faults)
