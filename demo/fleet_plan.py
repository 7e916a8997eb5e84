"""The scenario a demo run plays: the chosen one, cut to ``--pumps``, starting today, long enough.

Pump time starts at the wall clock's now, so what the gateway does by its own
clock (telemetry retention, priorities, message dates) sees recent data; the
weather keeps the scenario's season (``season``: its own start date), so a
demo run in July plays the same winter as one in January, and the faults
develop and trip at the same pump times. The scenario's duration is stretched to cover ``--minutes`` at ``--speed``:
a longer run is a longer simulated season, never an early end. The pumps the
demo leaves out (past ``--pumps``) take their faults with them.

A scenario with ``sites`` (its ``fleet.size`` may be left out, as the loader
allows) keeps its pumps' ids, sites and seeds: ``--pumps`` takes its first
pumps in site order (the sites past them are left out, the last one kept is
cut), and can add none (which site would they stand at?).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

from heatwatch.edge.heatpump.design import PumpDesign
from heatwatch.sim.data_sheet import design_table, site_design_c
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import SCENARIO_DIR, Scenario, ScenarioError, builtin_scenarios, parse_scenario

DEFAULT_SCENARIO = "demo_fleet"


def _raw(name_or_path: str) -> tuple[dict, Path]:
    path = Path(name_or_path)
    if not path.is_file():  # a built-in name, as load_scenario takes it
        path = SCENARIO_DIR / f"{path.stem}.yaml"
        if not path.is_file():
            known = ", ".join(builtin_scenarios())
            raise ScenarioError(f"{name_or_path}: no such file or built-in scenario (built-in: {known})")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{name_or_path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path.name}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise ScenarioError(f"{path.name}: expected a mapping")
    return raw, path


def _first_sites(raw: dict, source: str, pumps: int | None) -> tuple[list[dict], int]:
    """The sites of a scenario with sites cut to its first ``pumps`` pumps in site order, and their
    count (checked as the loader checks the file: its errors name it)."""
    whole = parse_scenario({**raw, "devices": {}}, source, raw["name"])
    left = whole.size if pumps is None else min(pumps, whole.size)
    kept = []
    for site in raw["sites"]:
        if left == 0:
            break
        kept.append({**site, "pumps": min(site["pumps"], left)})
        left -= kept[-1]["pumps"]
    return kept, sum(s["pumps"] for s in kept)


def plan(name_or_path: str, pumps: int | None, minutes: float, speed: float, out: Path,
         now: float | None = None) -> tuple[Scenario, Path]:
    """The scenario to play and the YAML file the simulator reads it from (in ``out``)."""
    raw, source = _raw(name_or_path)
    stem = source.stem
    raw.setdefault("name", stem)
    fleet = dict(raw.get("fleet") or {})
    if raw.get("sites"):
        raw["sites"], fleet["size"] = _first_sites(raw, str(source), pumps)
    else:
        fleet["size"] = pumps if pumps is not None else fleet.get("size")
    raw["fleet"] = fleet
    devices = raw.get("devices") or {}
    first = parse_scenario({**raw, "devices": {}}, str(source), stem)  # the size and the rest, checked
    kept = set(first.device_ids)
    raw["devices"] = {dev: spec for dev, spec in devices.items() if dev in kept}
    now = time.time() if now is None else now
    raw.setdefault("season", raw["start"])  # the scenario's own weather, whatever day the demo runs
    raw["start"] = datetime.fromtimestamp(now - now % 60, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    wanted_s = minutes * 60.0 * speed * 1.1 + 6 * 3600.0  # a margin: the run ends on the clock, not the data
    raw["duration"] = f"{int(max(first.duration_s, wanted_s))}s"
    parse_scenario(raw, str(source), stem)  # a fault of a kept pump, checked: its error names the file
    path = out / "scenario.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return parse_scenario(raw, str(path), stem), path


def pump_designs(scen: Scenario) -> dict[str, PumpDesign]:
    """Each pump's [design] table as its installer fills edge.toml: its model's capacity and superheat
    setpoint (the data sheet's) and its site's design outdoor temperature (the heat-loss calculation's).
    The agent judges its first hours against the design bands and its compressor's headroom on the
    design day, as in the field and in ``heatwatch eval``."""
    designs: dict[str, PumpDesign] = {}
    for site in scen.site_scenarios():
        q_nom = Fleet(site).params.q_nom
        design_c = site_design_c(site)
        designs.update({d: PumpDesign.from_dict(design_table(float(q_nom[j]), design_c))
                        for j, d in enumerate(site.device_ids)})
    return designs


def pump_refrigerants(scen: Scenario) -> dict[str, str]:
    """Each pump's refrigerant, as its agent's edge.toml and its device record say: its site's (an
    R290 pump judged as R32 looks broken)."""
    return {d: site.refrigerant for d, site in scen.site_of().items()}
