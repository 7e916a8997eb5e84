"""Scenario files: which pumps, where, when, for how long, and what breaks.

A scenario is a small YAML file (format in docs/scenarios.md). ``load_scenario``
takes a path or the name of a built-in file in ``firmware_sim/scenarios`` and
returns a validated :class:`Scenario`; anything wrong raises
:class:`ScenarioError` whose message names the file and the field, e.g.
``one_leak.yaml: devices.hp-003.faults[0].onset: 90d is after the end (60d)``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import yaml

from heatwatch.channels import CHANNEL_NAMES
from heatwatch.faults import FAULTS, SENSOR_FAULTS
from heatwatch.fleet_prior import EMITTERS  # as the gateway's device records name them
from heatwatch.refrigerant import REFRIGERANTS
from heatwatch.sim.climate import CLIMATE_PRESETS, ClimatePreset
from heatwatch.sim.pump_faults import FAULT_MODES
from heatwatch.sim.scenario_climate import parse_climate
from heatwatch.textfile import NotTextError, read_text
from heatwatch.units import DAY, HOUR, MINUTE

SCENARIO_DIR = Path(__file__).parent / "scenarios"
CLIMATES = tuple(CLIMATE_PRESETS)  # the named ones; a scenario may also give a climate's numbers
# channels a sensor fault may hit: the measured ones, not controller states
SENSOR_CHANNELS = tuple(c for c in CHANNEL_NAMES if c not in ("defrost", "mode", "error_code"))
_UNITS = {"s": 1.0, "m": MINUTE, "min": MINUTE, "h": HOUR, "d": DAY, "w": 7 * DAY, "y": 365 * DAY}
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(s|min|m|h|d|w|y)\s*$")


class ScenarioError(ValueError):
    """A scenario file is wrong; the message names the file and the field."""


@dataclass(frozen=True)
class FaultSpec:
    """One fault on one pump.

    ``rate`` is in severity per day for pump faults (severity 1 = the pump is
    at its protection limits in typical weather, so ``time_to_trip = 1/rate``)
    and in the channel's units for sensor faults (drift per day, noise σ,
    dropout fraction); ``magnitude`` is the same as ``rate`` for sensor faults.
    """

    type: str
    onset_s: float  # seconds after the scenario start
    rate: float  # see above
    channel: str | None = None
    mode: str = ""  # a pump fault's way of growing (pump_faults.FAULT_MODES); "" = its first

    @property
    def sensor_fault(self) -> bool:
        return self.type in SENSOR_FAULTS


@dataclass(frozen=True)
class DeviceSpec:
    faults: tuple[FaultSpec, ...] = ()
    capacity_kw: float | None = None
    emitters: str | None = None


@dataclass(frozen=True)
class SiteSpec:
    """A group of pumps in one place: its own weather (climate normals and its own cold and mild
    spells, as towns apart have), and the refrigerant its installer fitted."""

    name: str
    climate: str  # a preset's name, or the label of climate_spec
    refrigerant: str
    pumps: int
    climate_spec: ClimatePreset | None = None  # a climate given by its numbers (None: the preset `climate`)


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    size: int
    prefix: str
    climate: str
    start_ts: float
    duration_s: float
    step_s: float
    seed: int
    refrigerant: str
    devices: dict[str, DeviceSpec] = field(default_factory=dict)
    source: str = "<dict>"
    sites: tuple[SiteSpec, ...] = ()  # empty: every pump in `climate` with `refrigerant`
    first_index: int = 0  # a site's part of a fleet: the number of its first pump
    id_width: int | None = None  # ... and the digits of the whole fleet's ids
    season_ts: float | None = None  # the weather's season starts at this date's (None: the start's own)
    climate_spec: ClimatePreset | None = None  # a climate given by its numbers; `climate` is then its label

    @property
    def weather_climate(self) -> ClimatePreset:
        """The numbers the weather and the houses' sizing are drawn from."""
        return self.climate_spec or CLIMATE_PRESETS[self.climate]

    @property
    def device_ids(self) -> list[str]:
        width = self.id_width or max(3, len(str(self.size - 1)))
        return [f"{self.prefix}{i:0{width}d}" for i in range(self.first_index, self.first_index + self.size)]

    def site_scenarios(self) -> list[Scenario]:
        """The fleet as one plain scenario per site (their pumps keep the fleet's ids); a scenario
        without sites is its own one site. Each site gets its own seed, so its own weather."""
        if not self.sites:
            return [self]
        width = max(3, len(str(self.size - 1)))
        out, first = [], 0
        for k, site in enumerate(self.sites):
            part = Scenario(**{**self.__dict__, "name": f"{self.name}/{site.name}", "size": site.pumps,
                               "climate": site.climate, "climate_spec": site.climate_spec, "refrigerant": site.refrigerant,
                               "seed": self.seed * 1000 + k + 1, "sites": (), "first_index": first,
                               "id_width": width, "devices": {}})
            ids = part.device_ids
            out.append(Scenario(**{**part.__dict__, "devices": {d: self.devices[d] for d in ids
                                                                 if d in self.devices}}))
            first += site.pumps
        return out

    @property
    def site_name(self) -> str:
        """The site this scenario is (one of site_scenarios(): "inland" of "fleet/inland"; a scenario
        without sites: its own name)."""
        return self.name.rsplit("/", 1)[-1]

    def site_of(self) -> dict[str, SiteSpec]:
        """Device id -> its site (a scenario without sites: one site named after the scenario)."""
        return {d: SiteSpec(s.site_name, s.climate, s.refrigerant, s.size, s.climate_spec)
                for s in self.site_scenarios() for d in s.device_ids}

    @property
    def n_steps(self) -> int:
        return int(round(self.duration_s / self.step_s))


# sensor-fault defaults (channel units): drift per day, noise sigma, dropout fraction
SENSOR_DEFAULT_RATE = {"sensor_drift": 0.25, "sensor_stuck": 0.0, "sensor_noise": 2.0, "sensor_dropout": 0.3}
PUMP_DEFAULT_TIME_TO_TRIP_D = 30.0


def builtin_scenarios() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def load_scenario(path_or_name: str | Path) -> Scenario:
    """Load and validate a scenario from a file path or a built-in name (``"healthy_fleet"``)."""
    p = Path(path_or_name)
    if not p.is_file():  # a folder that happens to share a scenario's name (./demo) is not a scenario
        candidate = SCENARIO_DIR / f"{Path(str(path_or_name)).stem}.yaml"
        if p.suffix in ("", ".yaml", ".yml") and p.parent == Path(".") and candidate.exists():
            p = candidate
        else:
            known = ", ".join(builtin_scenarios())
            raise ScenarioError(f"{path_or_name}: no such file or built-in scenario (built-in: {known})")
    try:
        raw = yaml.safe_load(read_text(p, "scenario"))
    except NotTextError as e:  # a binary file given by mistake: one line, not a UnicodeDecodeError
        raise ScenarioError(str(e)) from None
    except yaml.YAMLError as e:
        raise ScenarioError(f"{p.name}: not valid YAML: {' '.join(str(e).split())}") from None  # one line
    return parse_scenario(raw, source=p.name, default_name=p.stem)


def parse_duration(value, where: str) -> float:
    """``"60d"``, ``"12h"``, ``"90min"``, ``"30s"``, ``"1y"`` -> seconds; plain numbers are seconds."""
    if isinstance(value, bool):
        raise ScenarioError(f"{where}: expected a duration such as 30d, 12h, 60s; got {value!r}")
    if isinstance(value, (int, float)):
        secs = float(value)
    else:
        m = _DURATION.match(str(value))
        if not m:
            raise ScenarioError(f"{where}: expected a duration such as 30d, 12h, 60s; got {value!r}")
        secs = float(m.group(1)) * _UNITS[m.group(2)]
    if not secs > 0:
        raise ScenarioError(f"{where}: must be positive, got {value!r}")
    return secs


def _parse_time(value, where: str) -> float:
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    else:
        try:
            dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            raise ScenarioError(f"{where}: expected a date or ISO 8601 time such as 2024-11-01; got {value!r}") from None
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def _fmt_days(secs: float) -> str:
    return f"{secs / DAY:g}d"


def parse_scenario(raw, source: str = "<dict>", default_name: str = "scenario") -> Scenario:
    """Validate a scenario mapping (as read from YAML)."""

    def err(where: str, msg: str) -> ScenarioError:
        return ScenarioError(f"{source}: {where}: {msg}")

    if not isinstance(raw, dict):
        raise ScenarioError(f"{source}: expected a mapping at the top level")
    known = {"name", "description", "fleet", "climate", "start", "duration", "step", "seed", "refrigerant", "devices",
             "sites", "season"}
    for key in raw:
        if key not in known:
            raise err(str(key), f"unknown field (known: {', '.join(sorted(known))})")

    fleet = raw.get("fleet", {})
    if not isinstance(fleet, dict):
        raise err("fleet", "expected a mapping with 'size' (and optionally 'prefix')")
    for key in fleet:
        if key not in ("size", "prefix"):
            raise err(f"fleet.{key}", "unknown field (known: size, prefix)")
    refrigerant = raw.get("refrigerant", "R32")
    if refrigerant not in REFRIGERANTS:
        raise err("refrigerant", f"unknown refrigerant {refrigerant!r} (known: {', '.join(REFRIGERANTS)})")
    climate, climate_spec = parse_climate(raw.get("climate", "stockholm"), "climate", err)
    sites = _parse_sites(raw.get("sites"), (climate, climate_spec), refrigerant, err)
    if sites and "size" not in fleet:
        fleet = {**fleet, "size": sum(s.pumps for s in sites)}
    size = fleet.get("size")
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 100_000:
        raise err("fleet.size", f"expected a whole number of pumps 1..100000, got {size!r}")
    prefix = str(fleet.get("prefix", "hp-"))
    if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,40}$", prefix):
        raise err("fleet.prefix", f"letters, digits, '_', '.', '-' only; got {prefix!r}")
    if sites and sum(s.pumps for s in sites) != size:
        raise err("sites", f"the sites hold {sum(s.pumps for s in sites)} pumps, the fleet {size}")
    if "start" not in raw:
        raise err("start", "missing (a date such as 2024-11-01)")
    start_ts = _parse_time(raw["start"], f"{source}: start")
    season_ts = None if raw.get("season") is None else _parse_time(raw["season"], f"{source}: season")
    if "duration" not in raw:
        raise err("duration", "missing (such as 60d)")
    duration_s = parse_duration(raw["duration"], f"{source}: duration")
    step_s = parse_duration(raw.get("step", "60s"), f"{source}: step")
    if not 1.0 <= step_s <= 600.0:
        raise err("step", f"must be between 1s and 10min, got {raw.get('step')!r}")
    if duration_s < step_s:
        raise err("duration", f"shorter than one step ({raw['duration']!r} < {raw.get('step', '60s')!r})")
    if duration_s > 5 * 365 * DAY:
        raise err("duration", f"at most 5 years, got {raw['duration']!r}")
    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise err("seed", f"expected a non-negative whole number, got {seed!r}")

    scen = Scenario(
        name=str(raw.get("name", default_name)), description=str(raw.get("description", "")).strip(),
        size=size, prefix=prefix, climate=climate, start_ts=start_ts, duration_s=duration_s,
        step_s=step_s, seed=seed, refrigerant=refrigerant, source=source, sites=sites, season_ts=season_ts,
        climate_spec=climate_spec,
    )
    ids = set(scen.device_ids)
    devices_raw = raw.get("devices") or {}
    if not isinstance(devices_raw, dict):
        raise err("devices", "expected a mapping of device id -> settings")
    devices: dict[str, DeviceSpec] = {}
    for dev, spec in devices_raw.items():
        where = f"devices.{dev}"
        if dev not in ids:
            first, last = scen.device_ids[0], scen.device_ids[-1]
            raise err(where, f"no such device in a fleet of {size} ({first} .. {last})")
        if spec is None:
            spec = {}
        if not isinstance(spec, dict):
            raise err(where, "expected a mapping with 'faults', 'capacity_kw', 'emitters'")
        for key in spec:
            if key not in ("faults", "capacity_kw", "emitters"):
                raise err(f"{where}.{key}", "unknown field (known: faults, capacity_kw, emitters)")
        cap = spec.get("capacity_kw")
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, (int, float)) or not 3 <= cap <= 20):
            raise err(f"{where}.capacity_kw", f"expected a number of kW between 3 and 20, got {cap!r}")
        emitters = spec.get("emitters")
        if emitters is not None and emitters not in EMITTERS:
            raise err(f"{where}.emitters", f"unknown emitters {emitters!r} (known: {', '.join(EMITTERS)})")
        faults_raw = spec.get("faults") or []
        if not isinstance(faults_raw, list):
            raise err(f"{where}.faults", "expected a list of faults")
        if len(faults_raw) > 1:
            raise err(f"{where}.faults", "at most one fault per pump is supported")
        faults = tuple(_parse_fault(f, f"{where}.faults[{i}]", scen, err) for i, f in enumerate(faults_raw))
        devices[dev] = DeviceSpec(faults=faults, capacity_kw=None if cap is None else float(cap), emitters=emitters)
    return Scenario(**{**scen.__dict__, "devices": devices})


def _parse_sites(raw, climate: tuple[str, ClimatePreset | None], refrigerant: str, err) -> tuple[SiteSpec, ...]:
    """``sites:``: a list of {name, climate, refrigerant, pumps}; pumps are numbered in site order."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise err("sites", "expected a list of sites, each with climate and pumps")
    sites, names = [], set()
    for i, site in enumerate(raw):
        where = f"sites[{i}]"
        if not isinstance(site, dict):
            raise err(where, "expected a mapping with name, climate, refrigerant, pumps")
        for key in site:
            if key not in ("name", "climate", "refrigerant", "pumps"):
                raise err(f"{where}.{key}", "unknown field (known: name, climate, refrigerant, pumps)")
        name = str(site.get("name", f"site-{i}"))
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,40}$", name) or name in names:
            raise err(f"{where}.name", f"a unique name of letters, digits, '_', '.', '-'; got {name!r}")
        names.add(name)
        c, spec = parse_climate(site["climate"], f"{where}.climate", err) if "climate" in site else climate
        r = site.get("refrigerant", refrigerant)
        if r not in REFRIGERANTS:
            raise err(f"{where}.refrigerant", f"unknown refrigerant {r!r} (known: {', '.join(REFRIGERANTS)})")
        n = site.get("pumps")
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 100_000:
            raise err(f"{where}.pumps", f"expected a whole number of pumps 1..100000, got {n!r}")
        sites.append(SiteSpec(name, c, r, n, spec))
    return tuple(sites)


def _parse_fault(f, where: str, scen: Scenario, err) -> FaultSpec:
    if not isinstance(f, dict):
        raise err(where, "expected a mapping with type, onset and rate or time_to_trip")
    for key in f:
        if key not in ("type", "channel", "onset", "rate", "time_to_trip", "magnitude", "mode"):
            raise err(f"{where}.{key}", "unknown field (known: type, channel, onset, rate, time_to_trip, magnitude, mode)")
    ftype = f.get("type")
    if ftype not in FAULTS:
        raise err(f"{where}.type", f"unknown fault type {ftype!r} (known: {', '.join(FAULTS)})")
    if "onset" not in f:
        raise err(f"{where}.onset", "missing (time after start such as 14d, or a date)")
    onset_raw = f["onset"]
    if isinstance(onset_raw, (date, datetime)) or (isinstance(onset_raw, str) and re.match(r"^\d{4}-\d\d-\d\d", onset_raw)):
        onset_s = _parse_time(onset_raw, f"{scen.source}: {where}.onset") - scen.start_ts
        if onset_s < 0:
            raise err(f"{where}.onset", f"{onset_raw} is before the start of the scenario")
    elif onset_raw == 0:
        onset_s = 0.0
    else:
        onset_s = parse_duration(onset_raw, f"{scen.source}: {where}.onset")
    if onset_s >= scen.duration_s:
        raise err(f"{where}.onset", f"{onset_raw} is after the end ({_fmt_days(scen.duration_s)})")
    sensor = ftype in SENSOR_FAULTS
    channel = f.get("channel")
    if sensor:
        if channel is None:
            raise err(f"{where}.channel", f"missing: a {ftype} needs the channel it hits (one of {', '.join(SENSOR_CHANNELS)})")
        if channel not in SENSOR_CHANNELS:
            raise err(f"{where}.channel", f"unknown or unmeasured channel {channel!r} (one of {', '.join(SENSOR_CHANNELS)})")
    elif channel is not None:
        raise err(f"{where}.channel", f"only sensor faults take a channel; {ftype} is a pump fault")
    if "rate" in f and "time_to_trip" in f:
        raise err(f"{where}.rate", "give either rate or time_to_trip, not both")
    if sensor:
        if "time_to_trip" in f:
            raise err(f"{where}.time_to_trip", "sensor faults never trip the pump; use rate or magnitude")
        val = f.get("rate", f.get("magnitude", SENSOR_DEFAULT_RATE[ftype]))
        if isinstance(val, bool) or not isinstance(val, (int, float)) or not math.isfinite(val):
            raise err(f"{where}.rate", f"expected a number, got {val!r}")
        if val < 0 and ftype != "sensor_drift":  # a drift may run downwards; a noise or dropout cannot be negative
            raise err(f"{where}.rate", f"expected a non-negative number, got {val!r}")
        if ftype == "sensor_dropout" and not 0 < val <= 1:
            raise err(f"{where}.rate", f"dropout is a fraction of readings lost, 0 < rate <= 1; got {val!r}")
        rate = float(val)
    else:
        if "magnitude" in f:
            raise err(f"{where}.magnitude", "pump faults take rate or time_to_trip")
        if "rate" in f:
            val = f["rate"]
            if isinstance(val, bool) or not isinstance(val, (int, float)) or not val > 0:
                raise err(f"{where}.rate", f"expected a positive severity per day (e.g. 0.05), got {val!r}")
            rate = float(val)
        else:
            ttt = parse_duration(f.get("time_to_trip", f"{PUMP_DEFAULT_TIME_TO_TRIP_D}d"), f"{scen.source}: {where}.time_to_trip")
            rate = DAY / ttt
    mode = f.get("mode", "")
    if mode != "":
        modes = FAULT_MODES.get(ftype, ())
        if mode not in modes:
            raise err(f"{where}.mode", f"{mode!r}: {ftype} takes " + (f"one of {', '.join(modes)}" if modes else "no mode"))
    return FaultSpec(type=ftype, onset_s=float(onset_s), rate=rate, channel=channel, mode=str(mode))
