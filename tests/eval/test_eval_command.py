"""``heatwatch eval`` on a small fleet whose ground truth is known: the figures it prints and
writes follow from that truth (worked out here, from the scenario and an independent simulator
run), the report folder holds the markdown and its plots, and bad input is one line and exit 2."""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone

import pytest
from typer.testing import CliRunner

from heatwatch.cli import app
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import load_scenario
from heatwatch.units import DAY

# hp-000 healthy; hp-001 leaks from day 9 and should trip about 6 days later; hp-002's return
# sensor sticks on day 10 (never trips). The agent learns its pump for 7 days first.
SMALL = """\
name: small_truth
fleet: {size: 3}
climate: stockholm
start: 2024-12-01
duration: 20d
seed: 7
devices:
  hp-001:
    faults: [{type: refrigerant_leak, onset: 9d, time_to_trip: 6d}]
  hp-002:
    faults: [{type: sensor_stuck, channel: t_return, onset: 10d}]
"""
START = datetime(2024, 12, 1, tzinfo=timezone.utc).timestamp()


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("eval")
    path = d / "small_truth.yaml"
    path.write_text(SMALL)
    result = CliRunner().invoke(app, ["eval", str(path), "--workers", "1", "--report", str(d / "report")],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return path, d / "report", result.stdout


def _truth(path):
    """The simulator alone: when hp-001 really tripped."""
    fleet = Fleet(load_scenario(path))
    for _ in fleet.chunks(1440):
        pass
    (leak,) = [t for t in fleet.truth if t.fault == "refrigerant_leak"]
    return leak


@pytest.mark.timeout(240)
def test_figures_follow_the_ground_truth(small_run):
    path, report, out = small_run
    leak = _truth(path)
    assert leak.onset_ts == START + 9 * DAY and leak.trip_ts is not None  # the leak trips within the run
    md = (report / "report.md").read_text()
    opened = re.search(r"### hp-001 .*?ticket opened (\d{4}-\d\d-\d\d \d\d:\d\d)", md, re.S)
    assert opened, md
    t_open = datetime.strptime(opened.group(1), "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc).timestamp()
    assert leak.onset_ts <= t_open < leak.trip_ts  # found after the onset, before the trip
    lead = (leak.trip_ts - t_open) / DAY
    share = lead / ((leak.trip_ts - leak.onset_ts) / DAY)
    # the leak's row: 1 pump, tripped, caught (recall 100 %), lead median = p10 = the one lead, its share,
    # none after the trip, none missed
    row = re.search(r"\| refrigerant_leak \| 1 \| 1 \| 1 \(100%\) \| ([\d.]+) \| ([\d.]+) \| (\d+)% \| 0 \| 0 \|", md)
    assert row, md
    assert float(row.group(1)) == pytest.approx(lead, abs=0.051)  # report to 0.1 d, ticket time to the minute
    assert float(row.group(2)) == pytest.approx(lead, abs=0.051)
    assert int(row.group(3)) == pytest.approx(100 * share, abs=1)
    # the stuck sensor is found; nothing is blamed on a wrong fault, nothing on the healthy pump
    assert re.search(r"\| sensor_stuck \| 1 \| 1 \|", md)
    # 3 pumps x 20 days = 0.164 device-years; 0 false tickets
    assert "false tickets: 0 = 0.0 per 100 device-years" in md
    assert "sensor faults taken for pump faults: 0; pump faults taken for sensor faults: 0" in md
    # two tickets (the leak, the sensor), each tells its customer once by e-mail (problem_found): 2/3 per customer;
    # the trip attaches to the open leak ticket (no second ticket, no unwarned trip)
    assert "tickets: 2;" in md and "trips with no warning ticket: 0" in md
    assert "notifications per customer: 0.67" in md
    assert "refrigerant_leak" in out and "0.67" in out


def test_the_report_folder_holds_markdown_and_plots(small_run):
    _, report, _ = small_run
    md = (report / "report.md").read_text()
    for png in ("lead_times.png", "false_tickets.png", "example_1.png"):
        assert (report / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"({png})" in md
    # each part's raw results, kept as it ended
    (part,) = (report / "parts").glob("*.json")
    raw = json.loads(part.read_text())
    assert [p["device"] for p in raw["pumps"]] == ["hp-000", "hp-001", "hp-002"]
    # the leaking pump keeps its hourly outdoor air (a date is judged against the weather that brought its
    # trip); the healthy pump, with no ticket and no trip, keeps none
    healthy, leak = raw["pumps"][0], raw["pumps"][1]
    assert healthy["outdoor_c"] == [] and len(leak["outdoor_c"]) == len(leak["series_ts"]) >= 19 * 24
    assert -35.0 < min(leak["outdoor_c"]) < max(leak["outdoor_c"]) < 16.0  # a Stockholm December (mild spells)
    assert leak["outdoor_c"] != raw["pumps"][2]["outdoor_c"]  # each pump reads its own sensor


@pytest.mark.parametrize("content, message", [
    (SMALL.replace("climate: stockholm", "climate: atlantis"), "climate: unknown climate 'atlantis'"),
    (SMALL + "sites:\n  - {climate: oslo, pumps: 2}\n", "sites: the sites hold 2 pumps, the fleet 3"),
    ("fleet: [", "not valid YAML"),
])
def test_bad_scenario_is_one_line_and_exit_2(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    result = CliRunner().invoke(app, ["eval", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: bad.yaml") and message in lines[0], result.stderr


def test_a_missing_scenario_is_one_line_and_exit_2(tmp_path):
    result = CliRunner().invoke(app, ["eval", str(tmp_path / "nowhere.yaml")])
    assert result.exit_code == 2 and "no such file or built-in scenario" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
