"""deploy/grafana's dashboard is valid JSON and asks for what the gateway writes to InfluxDB."""

from __future__ import annotations

import json
import re
from pathlib import Path

from heatwatch.gateway.telemetry.influx import MEASUREMENT, field_names

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "heatwatch-telemetry.json"


def queries(dashboard: dict) -> list[str]:
    return [t["query"] for p in dashboard["panels"] for t in p.get("targets", [])]


def test_the_dashboard_queries_the_measurement_tag_and_fields_the_exporter_writes():
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    found = queries(dashboard)
    assert len(found) >= 5
    fields: set[str] = set()
    for query in found:
        assert re.findall(r'r\._measurement == "([^"]+)"', query) == [MEASUREMENT]
        assert 'r.device == "${device}"' in query and 'from(bucket: "${bucket}")' in query
        fields.update(re.findall(r'r\._field == "([^"]+)"', query))
    assert fields <= field_names(), fields - field_names()
    # the brief's four views: temperatures, pressures, compressor, COP and health
    assert {"t_flow_mean", "t_return_mean", "t_outdoor_mean", "p_high_mean", "p_low_mean", "compressor_hz_mean",
            "power_w_mean", "cop_mean", "health"} <= fields
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert f'measurement: "{MEASUREMENT}", tag: "device"' in variables["device"]["query"]
    assert [p["repeat"] for p in dashboard["panels"] if p["type"] == "row"] == ["device"]  # a row per device
    assert {p["datasource"]["uid"] for p in dashboard["panels"] if "datasource" in p} == {"${DS_INFLUXDB}"}
    assert [i["name"] for i in dashboard["__inputs"]] == ["DS_INFLUXDB"]


def test_no_two_panels_overlap():
    panels = json.loads(DASHBOARD.read_text(encoding="utf-8"))["panels"]
    taken: set[tuple[int, int]] = set()
    for p in panels:
        g = p["gridPos"]
        cells = {(x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])}
        assert not cells & taken, p["title"]
        assert g["x"] + g["w"] <= 24
        taken |= cells
