"""Scenario files: built-ins load, mistakes are named by file and field; export CLI end to end."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from heatwatch.sim.scenario import ScenarioError, builtin_scenarios, load_scenario
from heatwatch.channels import CHANNEL_NAMES
from heatwatch.cli import app

GOOD = """fleet: {size: 4}
climate: stockholm
start: 2025-01-10
duration: 60d
step: 60s
seed: 1
devices:
  hp-003:
    faults:
      - type: refrigerant_leak
        onset: 14d
        time_to_trip: 30d
"""


def test_builtin_scenarios_load():
    names = builtin_scenarios()
    for required in ["healthy_fleet", "demo", "mixed_fleet_winter", "fault_refrigerant_leak", "fault_sensor_drift"]:
        assert required in names
    for name in names:
        sc = load_scenario(name)
        assert sc.n_steps > 0
        for dev in sc.devices.values():
            for f in dev.faults:
                if name == "fault_from_install":  # present from installation: no healthy weeks first
                    assert f.onset_s <= 4 * 86400
                elif name.startswith("fault_"):
                    assert f.onset_s >= 14 * 86400  # a commissioning period first
    mixed = load_scenario("mixed_fleet_winter")
    assert mixed.size == 100 and 8 <= sum(bool(d.faults) for d in mixed.devices.values()) <= 12


def test_a_sensor_drift_may_drift_down_but_other_sensor_faults_take_no_negative_rate(tmp_path):
    # docs/scenarios.md: sensor_drift's rate is an offset growth per day and may be negative
    drift = GOOD.replace("type: refrigerant_leak", "type: sensor_drift\n        channel: t_outdoor\n        rate: -0.4")
    drift = drift.replace("        time_to_trip: 30d\n", "")
    p = tmp_path / "drift.yaml"
    p.write_text(drift)
    (f,) = load_scenario(p).devices["hp-003"].faults
    assert f.rate == -0.4
    p.write_text(drift.replace("sensor_drift", "sensor_noise"))
    with pytest.raises(ScenarioError, match="faults\\[0\\].rate"):
        load_scenario(p)


@pytest.mark.parametrize("edit,field", [
    (("climate: stockholm", "climate: atlantis"), "one_leak.yaml: climate: unknown climate 'atlantis'"),
    (("duration: 60d", "duration: sixty"), "one_leak.yaml: duration: expected a duration"),
    (("type: refrigerant_leak", "type: gremlins"), "one_leak.yaml: devices.hp-003.faults[0].type: unknown fault type 'gremlins'"),
    (("onset: 14d", "onset: 90d"), "one_leak.yaml: devices.hp-003.faults[0].onset: 90d is after the end"),
    (("type: refrigerant_leak", "type: sensor_drift"), "one_leak.yaml: devices.hp-003.faults[0].channel: missing"),
    (("hp-003:", "hp-007:"), "one_leak.yaml: devices.hp-007: no such device"),
    (("fleet: {size: 4}", "fleet: {size: 0}"), "one_leak.yaml: fleet.size"),
    (("time_to_trip: 30d", "time_to_trip: -3d"), "one_leak.yaml: devices.hp-003.faults[0].time_to_trip"),
    (("seed: 1", "seed: 1\nsurprise: 2"), "one_leak.yaml: surprise: unknown field"),
])
def test_bad_scenarios_name_file_and_field(tmp_path, edit, field):
    p = tmp_path / "one_leak.yaml"
    p.write_text(GOOD.replace(*edit))
    with pytest.raises(ScenarioError) as e:
        load_scenario(p)
    assert field in str(e.value)


def test_sensor_fault_needs_a_measured_channel(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(GOOD.replace("type: refrigerant_leak", "type: sensor_stuck\n        channel: mode").replace("time_to_trip: 30d", "rate: 0"))
    with pytest.raises(ScenarioError, match=r"s.yaml: devices.hp-003.faults\[0\].channel: unknown or unmeasured channel 'mode'"):
        load_scenario(p)


def test_export_cli_end_to_end(tmp_path):
    sc = tmp_path / "short.yaml"
    sc.write_text(GOOD.replace("duration: 60d", "duration: 3d").replace("onset: 14d", "onset: 1d")
                  .replace("time_to_trip: 30d", "time_to_trip: 1d"))
    out = tmp_path / "run.csv"
    res = CliRunner().invoke(app, ["sim", "export", str(sc), "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    with open(out) as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["timestamp", "device", *CHANNEL_NAMES, "fault", "fault_active", "tripped"]
    assert len(rows) == 3 * 1440 * 4
    assert rows[0]["timestamp"] == "2025-01-10T00:00:00Z" and rows[0]["device"] == "hp-000"
    leak = [r for r in rows if r["device"] == "hp-003"]
    assert leak[0]["fault"] == "refrigerant_leak" and leak[0]["fault_active"] == "0" and leak[-1]["fault_active"] == "1"
    truth = json.loads((tmp_path / "run.truth.json").read_text())
    f = truth["faults"][0]
    assert f["device"] == "hp-003" and f["onset"] == "2025-01-11T00:00:00Z"
    assert f["trip"] is not None and f["trip_kind"]
    assert leak[-1]["tripped"] == "1" and leak[0]["tripped"] == "0"


def test_export_bad_scenario_exit_2_without_traceback(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text(GOOD.replace("climate: stockholm", "climate: atlantis"))
    res = CliRunner().invoke(app, ["sim", "export", str(p), "--out", str(tmp_path / "x.csv")])
    assert res.exit_code == 2
    assert "bad.yaml: climate" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "x.csv").exists()
