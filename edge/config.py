"""edge.toml: one pump's agent configuration, checked on load.

Errors name the file, the section and the key, and say what is expected.
Example files are in deploy/ (edge-serial.toml, edge-mqtt.toml).
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from heatwatch.contract import DEVICE_ID_PATTERN
from heatwatch.edge.heatpump.design import DesignError, PumpDesign
from heatwatch.edge.outbox import DEFAULT_MAX_TELEMETRY_ROWS
from heatwatch.mqtt import KEEPALIVE, PROTOCOLS, BrokerAccount, BrokerLink, BrokerUrlError, check_tls_files
from heatwatch.refrigerant import REFRIGERANTS

import re

PARITIES = ("N", "E", "O")  # none, even, odd: what Modbus RTU allows
# the rates an RS-485 adapter and a pump controller can agree on; anything else is a typo
BAUDRATES = (1200, 2400, 4800, 9600, 14400, 19200, 38400, 57600, 115200, 230400)


class ConfigError(ValueError):
    """The agent's config file is wrong; the message says where and how."""


@dataclass
class SourceConfig(BrokerAccount):  # kind = "mqtt": url..key_file are the pump-side broker (mqtt:// or mqtts://)
    kind: str = "modbus"  # modbus | mqtt
    transport: str = "rtu"  # kind = "modbus": rtu (serial port) | tcp (host:tcp_port, a pump or an RS-485 gateway)
    port: str = "/dev/ttyUSB0"
    host: str = ""  # transport = "tcp"
    tcp_port: int = 502
    baudrate: int = 9600
    parity: str = "N"
    slave_id: int = 1
    poll_interval: float = 10.0
    timeout: float = 1.0
    retries: int = 2
    register_map: str = "heatwatch_generic"
    use_pump_clock: bool = False  # stamp readings with the controller's clock (simulated pumps)
    topic: str = ""  # default pumps/<device id>/state
    payload: str = "heatwatch"  # heatwatch (PumpState JSON) | json (the pump's own object, read by [source.fields])
    ts_field: str = ""  # payload = "json": the field with the time (unix s or ms, ISO 8601); none: arrival time
    fields: dict = field(default_factory=dict)  # payload = "json": channel = "field" | { field, unit, scale, ... }


@dataclass
class BrokerConfig(BrokerAccount):
    url: str = "mqtt://127.0.0.1:1883"
    protocol: str = "auto"  # auto | 5 | 3.1.1
    keepalive: int = KEEPALIVE
    status_interval: float = 60.0  # seconds between retained status messages carrying the counters
    reconnect_max_delay: float = 5.0  # the longest wait between reconnect attempts (jittered): back that soon


@dataclass
class OutboxConfig:
    path: str = "/var/lib/heatwatch/outbox.db"
    max_telemetry_rows: int = DEFAULT_MAX_TELEMETRY_ROWS


@dataclass
class DetectorSection:
    # the learning window: at least commissioning_days AND min_training_rows steady rows (commissioning
    # goes on until both); max_training_rows steady rows end it early (a pump that runs all day). A row is
    # one steady reading, at most one per minute: steady minutes at a poll of a minute or faster, 1500
    # readings standing for 125 h at a 5-minute poll (docs/edge.md, "The learning window")
    commissioning_days: float = 7.0
    min_training_rows: int = 1500
    max_training_rows: int = 30000
    state_path: str = ""  # where the learned model, raised faults and prognosis history survive restarts
    rule_files: list[str] = field(default_factory=list)
    # a fleet prior (JSON, `heatwatch fleet-prior`) for a site with no gateway to send one: the pump is
    # judged against it until its own model is learned; "" = the physics bands until then
    fleet_prior: str = ""


@dataclass
class AgentConfig:
    device: str
    refrigerant: str = "R32"
    # the compressor's rated current (A, its data sheet's): the over-current relay opens 25 % above
    # it and the prognosis dates a worn compressor's trip against that; None = learned (prognosis.py)
    rated_current_a: float | None = None
    telemetry_interval: float = 60.0
    home_assistant_discovery: bool = False
    source: SourceConfig = field(default_factory=SourceConfig)
    broker: BrokerConfig = field(default_factory=BrokerConfig)
    outbox: OutboxConfig = field(default_factory=OutboxConfig)
    detector: DetectorSection = field(default_factory=DetectorSection)
    # [design]: what the installer and the manufacturer know (superheat setpoint, capacity, design
    # delta-T or flow, the compressor's discharge-superheat floor); the prior judges the first days on it
    design: PumpDesign = field(default_factory=PumpDesign)


def load_config(path: str | Path) -> AgentConfig:
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML ({exc})") from None
    return parse_config(doc, path.name)


def parse_config(doc: dict[str, Any], name: str = "edge.toml") -> AgentConfig:
    top = dict(doc)
    device = top.pop("device", None)
    if not isinstance(device, dict) or "id" not in device:
        raise ConfigError(f"{name}: [device] id is required (e.g. id = \"hp-000\")")
    dev_id = str(device["id"])
    if not re.fullmatch(DEVICE_ID_PATTERN, dev_id):  # fullmatch: "$" alone lets a trailing newline through
        raise ConfigError(f"{name}: [device] id {dev_id!r}: letters, digits, '_', '.', '-' only, at most 64")
    refrigerant = device.get("refrigerant", "R32")
    if refrigerant not in REFRIGERANTS:
        raise ConfigError(f"{name}: [device] refrigerant {refrigerant!r}: one of {', '.join(REFRIGERANTS)}")
    cfg = AgentConfig(device=dev_id, refrigerant=refrigerant, rated_current_a=_rated_current(device, name))
    extra = set(device) - {"id", "refrigerant", "rated_current_a"}
    if extra:
        raise ConfigError(f"{name}: [device] unknown key(s): {', '.join(sorted(extra))}")
    sections = {"source": SourceConfig, "broker": BrokerConfig, "outbox": OutboxConfig, "detector": DetectorSection}
    for section, cls in sections.items():
        setattr(cfg, section, _section(top.pop(section, {}), cls, section, name))
    design = top.pop("design", {})
    if not isinstance(design, dict):
        raise ConfigError(f"{name}: [design] must be a table")
    try:
        cfg.design = PumpDesign.from_dict(design)
    except DesignError as exc:
        raise ConfigError(f"{name}: [design] {exc}") from None
    tel = top.pop("telemetry", {})
    cfg.telemetry_interval = float(_typed(tel.get("interval", 60.0), float, "telemetry", "interval", name))
    ha = top.pop("home_assistant", {})
    cfg.home_assistant_discovery = bool(_typed(ha.get("discovery", False), bool, "home_assistant", "discovery", name))
    if top:
        raise ConfigError(f"{name}: unknown section(s): {', '.join(sorted(top))}")
    _check(cfg, name)
    return cfg


# a domestic heat pump's compressor draws a few to some 60 A; a value outside this is a typo
# (milliamperes, a power in watts) rather than a compressor
RATED_CURRENT_RANGE_A = (0.5, 200.0)


def _rated_current(device: dict, name: str) -> float | None:
    """[device] rated_current_a: a number of amperes in RATED_CURRENT_RANGE_A, or absent."""
    if "rated_current_a" not in device:
        return None
    v = device["rated_current_a"]
    lo, hi = RATED_CURRENT_RANGE_A
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ConfigError(f"{name}: [device] rated_current_a = {v!r}: expected a number of amperes "
                          "(the compressor's rated current, e.g. 16.5)")
    if not lo <= v <= hi:
        raise ConfigError(f"{name}: [device] rated_current_a = {v!r}: the compressor's rated current in A, "
                          f"{lo:g}..{hi:g}")
    return float(v)


def source_link(s: SourceConfig) -> BrokerLink:
    """The pump-side broker of an MQTT source: its URL, credentials and TLS files."""
    return s.link()


def _section(raw: Any, cls: type, section: str, name: str) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"{name}: [{section}] must be a table")
    known = {f.name: f for f in fields(cls)}
    unknown = set(raw) - set(known)
    if unknown:
        raise ConfigError(f"{name}: [{section}] unknown key(s): {', '.join(sorted(unknown))}")
    obj = cls()
    for key, value in raw.items():
        default = getattr(obj, key)
        setattr(obj, key, _typed(value, type(default), section, key, name))
    return obj


def _typed(value: Any, kind: type, section: str, key: str, name: str) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ConfigError(f"{name}: [{section}] {key} = {value!r}: expected {kind.__name__}")
    return value


def _check(cfg: AgentConfig, name: str) -> None:
    s = cfg.source
    if s.kind not in ("modbus", "mqtt"):
        raise ConfigError(f"{name}: [source] kind {s.kind!r}: expected \"modbus\" or \"mqtt\"")
    if s.kind == "mqtt":
        try:
            BrokerLink.from_url(s.url)
        except BrokerUrlError as exc:
            raise ConfigError(f"{name}: [source] url: {exc}") from None
        try:
            check_tls_files(source_link(s))
        except BrokerUrlError as exc:
            raise ConfigError(f"{name}: [source] {exc}") from None
        if s.payload not in ("heatwatch", "json"):
            raise ConfigError(f"{name}: [source] payload {s.payload!r}: \"heatwatch\" or \"json\"")
        if s.payload == "json":
            from heatwatch.edge.sources.payload_mapping import MappingError, PayloadMapping

            try:
                PayloadMapping.from_config(s.fields, s.ts_field)
            except MappingError as exc:
                raise ConfigError(f"{name}: [source.fields] {exc}") from None
        elif s.fields or s.ts_field:
            raise ConfigError(f"{name}: [source] fields and ts_field need payload = \"json\"")
        if s.topic and any(c in s.topic for c in "+#"):
            raise ConfigError(f"{name}: [source] topic {s.topic!r}: one pump's topic, no wildcards")
    if s.kind == "modbus":
        if s.transport not in ("rtu", "tcp"):
            raise ConfigError(f"{name}: [source] transport {s.transport!r}: expected \"rtu\" or \"tcp\"")
        if s.transport == "tcp" and not s.host:
            raise ConfigError(f"{name}: [source] host is required with transport = \"tcp\"")
        if not 1 <= s.tcp_port <= 65535:
            raise ConfigError(f"{name}: [source] tcp_port {s.tcp_port}: 1..65535")
        from heatwatch.registers import RegisterMap, RegisterMapError

        try:
            RegisterMap.load(s.register_map)
        except RegisterMapError as exc:
            raise ConfigError(f"{name}: [source] register_map: {exc}") from None
    if s.kind == "modbus" and s.transport == "rtu":
        if s.parity not in PARITIES:
            raise ConfigError(f"{name}: [source] parity {s.parity!r}: one of {', '.join(PARITIES)} "
                              "(none, even, odd)")
        if s.baudrate not in BAUDRATES:
            raise ConfigError(f"{name}: [source] baudrate {s.baudrate}: one of {', '.join(map(str, BAUDRATES))}")
    if s.poll_interval <= 0:
        raise ConfigError(f"{name}: [source] poll_interval must be > 0 seconds")
    if not s.timeout > 0:
        raise ConfigError(f"{name}: [source] timeout must be > 0 seconds")
    if s.retries < 0:
        raise ConfigError(f"{name}: [source] retries must be >= 0")
    if not 1 <= s.slave_id <= 247:
        raise ConfigError(f"{name}: [source] slave_id {s.slave_id}: Modbus allows 1..247")
    b = cfg.broker
    try:
        BrokerLink.from_url(b.url)
    except BrokerUrlError as exc:
        raise ConfigError(f"{name}: [broker] url: {exc}") from None
    try:
        check_tls_files(b.link())
    except BrokerUrlError as exc:
        raise ConfigError(f"{name}: [broker] {exc}") from None
    if cfg.broker.protocol not in PROTOCOLS:
        raise ConfigError(f"{name}: [broker] protocol {cfg.broker.protocol!r}: {', '.join(PROTOCOLS)}")
    if not 0.5 <= cfg.broker.reconnect_max_delay <= 300:
        raise ConfigError(f"{name}: [broker] reconnect_max_delay must be 0.5..300 seconds")
    if cfg.broker.status_interval <= 0:
        raise ConfigError(f"{name}: [broker] status_interval must be > 0 seconds")
    if cfg.telemetry_interval <= 0:
        raise ConfigError(f"{name}: [telemetry] interval must be > 0 seconds")
    if cfg.detector.commissioning_days <= 0:
        raise ConfigError(f"{name}: [detector] commissioning_days must be > 0")
    if cfg.detector.min_training_rows < 1:
        raise ConfigError(f"{name}: [detector] min_training_rows must be >= 1")
    if cfg.detector.max_training_rows < cfg.detector.min_training_rows:
        raise ConfigError(f"{name}: [detector] max_training_rows {cfg.detector.max_training_rows} must be >= "
                          f"min_training_rows {cfg.detector.min_training_rows}")
