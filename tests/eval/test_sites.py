"""Per-site climate in the scenario format: sites load, change the weather, and old scenarios
load as before; a wrong site is one clear line."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest

from heatwatch.channels import INDEX
from heatwatch.eval.worker import agent_pipelines
from heatwatch.sim.climate import resolve_climate
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


def test_a_site_in_a_climate_given_by_numbers_has_a_place_for_the_gateway():
    """The eval's gateway puts each pump at its climate's city (the priority's cold ahead reads the
    site's normals by latitude); a climate given by its numbers sits at the latitude whose normals
    are nearest to its own, in its fixed-offset time zone, labelled by its name."""
    from zoneinfo import ZoneInfo

    from heatwatch.eval.gateway_side import PrivateGateway, place_of

    cold = {"name": "helsinki-like", "utc_offset_h": 2,
            "monthly_c": [-4.5, -5.0, -1.5, 4.0, 10.0, 14.5, 17.5, 16.0, 11.5, 6.5, 2.0, -1.5]}
    mild = {"monthly_c": [3.0, 5.0, 9.5, 13.3, 17.8, 22.1, 24.7, 24.1, 19.6, 14.3, 8.4, 3.8]}  # Milan's
    sc = parse_scenario({**BASE, "sites": [{"name": "north", "climate": cold, "pumps": 2},
                                          {"name": "south", "climate": mild, "pumps": 2}]})
    north, south = sc.site_scenarios()
    city, country, lat, lon, tz, lang = place_of(north.climate, north.climate_spec)
    assert (city, tz, lon) == ("helsinki-like", "Etc/GMT-2", 30.0) and 59.0 <= lat <= 62.0
    assert ZoneInfo(tz).utcoffset(datetime(2025, 1, 1)) == timedelta(hours=2)
    assert abs(place_of(south.climate, south.climate_spec)[2] - 45.5) <= 1.0
    assert place_of("oslo") == ("Oslo", "NO", 59.91, 10.75, "Europe/Oslo", "nb")
    gw = PrivateGateway(north.device_ids, north.climate, north.refrigerant, north.climate_spec)
    gw.close()


def test_lead_time_runs_a_fleet_with_sites_each_site_with_its_refrigerant(monkeypatch, tmp_path):
    """bench/lead_time.py configures each agent as its edge.toml would: a site's pumps with the
    site's refrigerant (an R290 pump judged as R32 looks broken)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import lead_time

    seen: dict[str, str] = {}
    real = lead_time.PumpPipeline.with_config

    def spy(device, config):
        seen[device] = config.refrigerant
        return real(device, config)

    monkeypatch.setattr(lead_time.PumpPipeline, "with_config", spy)
    p = tmp_path / "two_sites.yaml"
    p.write_text("start: 2024-12-01\nduration: 1d\nseed: 3\nclimate: {monthly_c: [-6, -6, -2, 5, 11, 15, 18, 16, 11, 5, 0, -4]}\n"
                 "sites:\n  - {name: a, pumps: 2}\n  - {name: b, refrigerant: R290, pumps: 1}\n"
                 "devices:\n  hp-002: {faults: [{type: refrigerant_leak, onset: 12h}]}\n")
    outcomes = lead_time.run_scenario(str(p), step_stride=5)
    assert seen == {"hp-000": "R32", "hp-001": "R32", "hp-002": "R290"}
    assert [(o.device, o.fault) for o in outcomes] == [("hp-000", ""), ("hp-001", ""), ("hp-002", "refrigerant_leak")]


TWO_TOWNS = ("start: 2024-12-01\nduration: 10d\nseed: 3\nclimate: {monthly_c: [-6, -6, -2, 5, 11, 15, 18, 16, 11, 5, 0, -4]}\n"
             "sites:\n  - {name: inland, pumps: 3}\n  - {name: lake, refrigerant: R290, pumps: 3}\n")


def test_fleet_priors_forms_each_sites_priors_from_its_own_pumps_and_lead_time_hands_them_out(monkeypatch, tmp_path):
    """bench/fleet_priors.py on a scenario with sites (it failed: SitesFleet has no params): each
    site's pumps are a fleet of their own, commissioned with their site's refrigerant; the file
    gives each site's priors under its name, and lead_time.py starts each site's agents with theirs."""
    import json
    import sys
    from pathlib import Path

    import heatwatch.eval.fleet_prior as fp

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import fleet_priors
    import lead_time

    monkeypatch.setattr(fp, "MODEL_CAPACITIES_KW", (7.0,))  # one model and emitters: two fleets, not 24
    monkeypatch.setattr(fp, "SIM_EMITTERS", ("underfloor",))
    seen: list[str] = []
    real = fp.HeatPumpDetector

    def spy(config):
        seen.append(config.refrigerant)
        return real(config)

    monkeypatch.setattr(fp, "HeatPumpDetector", spy)
    sc, out = tmp_path / "two_towns.yaml", tmp_path / "priors.json"
    sc.write_text(TWO_TOWNS)
    monkeypatch.setattr(sys, "argv", ["fleet_priors.py", str(out), "--scenario", str(sc), "--pumps", "3", "--days", "8"])
    fleet_priors.main()
    doc = json.loads(out.read_text())
    assert {site: {k: v["members"] for k, v in priors.items()} for site, priors in doc.items()} == \
        {"inland": {"7/underfloor": 3}, "lake": {"7/underfloor": 3}}
    assert seen == ["R32"] * 3 + ["R290"] * 3

    # lead_time: each site's agents start with their site's prior (here the one prior for every model)
    priors = lead_time._priors({site: {kw: p["7/underfloor"] for kw in ("5", "7", "9", "12")} for site, p in doc.items()})
    given: list = []
    monkeypatch.setattr(lead_time.PumpPipeline, "with_config", lambda d, c: type("P", (), {"detector": type(
        "D", (), {"use_fleet_prior": lambda self, prior: given.append((d, prior))})()})())
    monkeypatch.setattr(lead_time, "Fleet", lambda part: type("F", (), {"devices": part.device_ids, "truth": [],
                                                                         "params": Fleet(part).params,
                                                                         "chunks": lambda self, steps: iter(())})())
    lead_time.run_scenario(str(sc), fleet_prior=priors, days=1)
    site_of = {id(p): site for site, ps in priors.items() for p in ps.values()}
    assert [(d, site_of[id(p)]) for d, p in given] == [("hp-000", "inland"), ("hp-001", "inland"), ("hp-002", "inland"),
                                                       ("hp-003", "lake"), ("hp-004", "lake"), ("hp-005", "lake")]
    with pytest.raises(ScenarioError, match="two_towns.yaml: the priors by site have no site 'inland'"):
        lead_time.run_scenario(str(sc), fleet_prior={"north": priors["inland"]}, days=1)


def test_a_prior_of_a_fleet_with_sites_is_formed_per_site_not_across_them():
    from heatwatch.eval.fleet_prior import simulated_members

    sc = parse_scenario({**BASE, "sites": [{"name": "a", "pumps": 2}, {"name": "b", "refrigerant": "R290", "pumps": 2}]})
    with pytest.raises(ValueError, match="has sites: form a prior per site"):
        simulated_members(sc, days=1)


def test_prior_margins_and_replay_events_judge_each_site_with_its_refrigerant(monkeypatch, tmp_path):
    """bench/prior_margins.py failed on a scenario with sites (SitesFleet has no params);
    bench/replay_events.py ran but judged every pump as R32. Both now configure a pump as its
    edge.toml would: with its site's refrigerant."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    import prior_margins
    import replay_events

    sc = tmp_path / "two_towns.yaml"
    sc.write_text(TWO_TOWNS.replace("duration: 10d", "duration: 1d")
                  + "devices:\n  hp-004: {faults: [{type: refrigerant_leak, onset: 6h}]}\n")
    seen: list[str] = []
    real_det = prior_margins.HeatPumpDetector
    monkeypatch.setattr(prior_margins, "HeatPumpDetector", lambda config: seen.append(config.refrigerant) or real_det(config))
    assert prior_margins.margins(str(sc), days=1)["pumps"] == 5  # the healthy ones, hp-004 left out
    assert seen == ["R32"] * 3 + ["R290"] * 2

    given: dict[str, str] = {}
    real_pipe = replay_events.PumpPipeline.with_config
    monkeypatch.setattr(replay_events.PumpPipeline, "with_config",
                        lambda d, config: given.setdefault(d, config.refrigerant) and real_pipe(d, config))
    assert len(replay_events.record(str(sc), max_devices=4)["devices"]) == 4
    assert given == {"hp-000": "R32", "hp-001": "R32", "hp-002": "R32", "hp-003": "R290"}


def test_the_loops_agents_are_configured_as_the_field_does_site_by_site():
    """Each site's agents carry their refrigerant and their site's design outdoor temperature (the
    compressor's design-day headroom is judged at it), as an installer's edge.toml would."""
    sc = parse_scenario({**BASE, "sites": [{"name": "north", "climate": "oslo", "pumps": 2},
                                          {"name": "south", "climate": "milan", "refrigerant": "R290", "pumps": 2}]})
    got = {}
    for part in sc.site_scenarios():
        for dev, pipe in agent_pipelines(part, Fleet(part)).items():
            cfg = pipe.detector.config
            got[dev] = (cfg.refrigerant, cfg.design.design_outdoor_c)
    oslo, milan = resolve_climate("oslo").design_c, resolve_climate("milan").design_c
    assert oslo < milan - 5.0
    assert got == {"hp-000": ("R32", oslo), "hp-001": ("R32", oslo), "hp-002": ("R290", milan), "hp-003": ("R290", milan)}
