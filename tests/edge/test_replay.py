"""`heatwatch replay`: logged readings through the agent's pipeline, findings with their times.

A simulated leak exported by `heatwatch sim export` (the project's own log format, two pumps told
apart by the device column) is named before its trip, and the replay's events are the ones a live
agent (EdgeAgent, reading by reading) makes on the same readings.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from heatwatch.channels import INDEX
from heatwatch.cli import app
from heatwatch.contract import COMMISSIONED, EventKind
from heatwatch.edge.agent import EdgeAgent
from heatwatch.edge.config import load_config
from heatwatch.edge.replay import parse_mapping, read_log

# a leak tripping in ~5 days: since s-detect's discharge model (firmware_sim) this seed's leak with
# time_to_trip 3d trips (day 3.3) before any rule names it, streaming and batch alike; at 5d it is
# named at day ~4.7, ~9 h before its trip at ~5.1 (was 22 h before the trip at 3d before s-detect)
LEAK = """name: replay_leak
fleet:
  size: 2
climate: stockholm
start: 2025-01-10
duration: 6d
step: 60s
seed: 3
refrigerant: R32
devices:
  hp-001:
    faults:
      - type: refrigerant_leak
        onset: 12h
        time_to_trip: 5d
"""
WINDOW = ["--commissioning-days", "0.5", "--min-training-rows", "240"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> tuple[Path, dict]:
    d = tmp_path_factory.mktemp("replay")
    (d / "leak.yaml").write_text(LEAK)
    res = CliRunner().invoke(app, ["sim", "export", str(d / "leak.yaml"), "-o", str(d / "leak.csv"), "-q"])
    assert res.exit_code == 0, res.output
    return d / "leak.csv", json.loads((d / "leak.truth.json").read_text())


@pytest.fixture(scope="module")
def replayed(exported, tmp_path_factory) -> tuple[dict, str, Path]:
    csv_path, _ = exported
    out = tmp_path_factory.mktemp("out") / "events.json"
    res = CliRunner().invoke(app, ["replay", str(csv_path), *WINDOW, "--out", str(out)])
    assert res.exit_code == 0, (res.output, res.exception)
    return json.loads(out.read_text()), res.stdout, out


def test_replay_names_the_leak_before_the_trip(exported, replayed):
    _, truth = exported
    doc, printed, _ = replayed
    trip_ts = next(f["trip_ts"] for f in truth["faults"] if f["device"] == "hp-001")
    by_dev = {d["device"]: d for d in doc["devices"]}
    assert set(by_dev) == {"hp-000", "hp-001"}, "two pumps, told apart by the device column"
    assert doc["columns_left_out"] == ["fault", "fault_active", "tripped"]
    leak = [e for e in by_dev["hp-001"]["events"] if e["kind"] == "fault"]
    assert leak and leak[0]["fault"] == "refrigerant_leak"
    assert leak[0]["event"]["ts"] < trip_ts, "named before the trip"
    assert leak[0]["predicted_trip"], "with a predicted trip"
    trips = [e for e in by_dev["hp-001"]["events"] if e["kind"] == "trip"]
    assert trips and abs(trips[0]["event"]["ts"] - trip_ts) <= 60
    assert not [e for e in by_dev["hp-000"]["events"] if e["kind"] == "fault"], "the healthy twin raises nothing"
    assert "hp-001: 8640 readings" in printed and "refrigerant_leak" in printed
    assert by_dev["hp-001"]["learned_at"].startswith("2025-01-10T12:")


def test_replay_gives_the_live_agents_events_on_the_same_readings(exported, replayed, tmp_path):
    """An EdgeAgent fed the file's readings one by one (as from its source) says what replay said."""
    csv_path, _ = exported
    doc, _, _ = replayed
    log = read_log(csv_path)
    pump = next(d for d in log.devices if d.device == "hp-001")
    toml = tmp_path / "edge.toml"
    toml.write_text(f"[device]\nid = 'hp-001'\n[source]\nkind = 'mqtt'\nurl = 'mqtt://127.0.0.1:1'\n"
                    f"[outbox]\npath = '{tmp_path / 'o.db'}'\n[telemetry]\ninterval = 3600\n"
                    "[detector]\ncommissioning_days = 0.5\nmin_training_rows = 240\n")
    live: list = []
    agent = EdgeAgent(load_config(toml), on_event=live.append)
    for t, x in zip(pump.ts, pump.X):
        agent.handle(float(t), x)
    agent.outbox.close()
    replayed_dev = next(d for d in doc["devices"] if d["device"] == "hp-001")
    replay_events = replayed_dev["events"]
    # the live agent also hands its learned model to the gateway's fleet (an agent event carrying it,
    # no judgement); replay reports the same moment as learned_at
    sent_models = [e for e in live if e.fault == COMMISSIONED]
    assert len(sent_models) == 1 and sent_models[0].commissioned
    learned_at = datetime.fromisoformat(replayed_dev["learned_at"]).timestamp()
    assert 0 <= learned_at - sent_models[0].ts <= 60  # sent with the fit; the next reading is the first judged
    live = [e for e in live if e.fault != COMMISSIONED]
    assert [(e.ts, str(e.kind), e.fault) for e in live] == \
        [(e["event"]["ts"], e["kind"], e["fault"]) for e in replay_events]
    assert any(e.kind is EventKind.FAULT for e in live), "the comparison covers a diagnosis"
    for a, b in zip(live, replay_events):
        pb = b["event"]["prognosis"]
        assert (a.prognosis is None) == (pb is None)
        if a.prognosis is not None:
            pa = a.prognosis.model_dump()
            assert pa.pop("indicator") == pb.pop("indicator")
            assert pa == pytest.approx(pb, rel=1e-9)
        assert a.explanation == b["explanation"] and a.confidence == pytest.approx(b["event"]["confidence"])


def test_replay_writes_csv(exported, tmp_path):
    csv_path, _ = exported
    out = tmp_path / "events.csv"
    res = CliRunner().invoke(app, ["replay", str(csv_path), *WINDOW, "-q", "--out", str(out)])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(out.open()))
    assert {"device", "time", "kind", "fault", "predicted_trip", "explanation"} <= set(rows[0])
    assert any(r["device"] == "hp-001" and r["fault"] == "refrigerant_leak" and r["kind"] == "fault" for r in rows)


def test_a_column_mapping_reads_foreign_names_and_units(tmp_path):
    f = tmp_path / "log.csv"
    f.write_text("Zeit;AussenF;VorlaufC;HD_kPa;Status\n"
                 "2025-01-10 00:00:00;23.0;35.0;2400;ok\n"
                 "2025-01-10 00:01:00;;35.5;x;ok\n")
    log = read_log(f, parse_mapping(["AussenF=t_outdoor:°F", "VorlaufC=t_flow", "HD_kPa=p_high:kPag"]),
                   device="pump 1")
    (pump,) = log.devices
    assert pump.device == "pump-1" and log.renamed == {"pump 1": "pump-1"}
    assert pump.ts[0] == 1736467200.0 and pump.ts[1] == 1736467260.0
    assert pump.X[0, INDEX["t_outdoor"]] == pytest.approx(-5.0)
    assert pump.X[0, INDEX["p_high"]] == pytest.approx(25.01325)
    assert np.isnan(pump.X[1, INDEX["t_outdoor"]]) and np.isnan(pump.X[1, INDEX["p_high"]])
    assert (log.missing_cells, log.unreadable_cells) == (1, 1)
    assert log.ignored == ["Status"] and set(log.channels) == {"t_outdoor", "t_flow", "p_high"}


@pytest.mark.parametrize("content, args, message", [
    (b"\x00\x01binary", [], "not text"),
    (b"a,b\n1,2\n", [], "no column is a heatwatch channel"),
    (b"timestamp,t_flow\n2025-01-10T00:00:00Z,30\n", ["--column", "t_flow=t_flw"], "'t_flw' is not a heatwatch channel"),
    (b"timestamp,Out\n2025-01-10T00:00:00Z,30\n", ["--column", "Out=t_outdoor:bar"], "unit 'bar'"),
    (b"timestamp,t_flow\n2025-01-10T00:00:00Z,30\n", ["--column", "Nope=t_flow"], "'Nope', which is not in"),
    (b"timestamp,t_flow\nsoon,30\n", [], "no readable times"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, content, args, message):
    f = tmp_path / "in.csv"
    f.write_bytes(content)
    res = CliRunner().invoke(app, ["replay", str(f), *args])
    assert res.exit_code == 2 and isinstance(res.exception, SystemExit), (res.output, res.exception)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], res.stderr
