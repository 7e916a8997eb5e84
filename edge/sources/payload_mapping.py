"""Read a pump's (or a bridge's) own JSON: which field holds which channel, in which unit.

``MqttSource`` reads heatwatch's own ``PumpState`` by default. A pump with a
Wi-Fi module, or a bridge (ebusd, a vendor relay, Node-RED), publishes its
own JSON object instead; ``[source.fields]`` in edge.toml says, per canonical
channel, where its value is and how to read it:

    t_flow = "FlowTemp"                                  # a top-level field, canonical unit
    t_outdoor = { field = "sensors.outdoor", unit = "°F" }   # a dotted path; converted
    p_high = { field = "hp.0.pressure", unit = "kPag" }      # list index; gauge -> absolute
    power_w = { field = "power", scale = 1000 }               # value * scale + offset
    mode = { field = "state", values = { heat = "heating", ww = "dhw", standby = "off" } }

Units are ``heatwatch.conversions``; a ``values`` table maps text (or numbers)
to the canonical ones (``mode`` by name: off, heating, dhw; ``error_code``
by trip name or number; ``defrost``: true/false work as they are). The time
is ``ts_field`` (unix seconds, milliseconds, or ISO 8601 text; text without
a zone is UTC), or, without one, the time the message arrived.

A field that is absent is a missing value (counted per channel as
``field_missing[channel]``), not a rejection: pumps leave out what they do
not measure right now. A payload that is not a JSON object, or whose time
cannot be read, is rejected whole by the source.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from heatwatch.channels import BY_NAME, MODES, TRIP_CODES
from heatwatch.conversions import UnitError, conversion

_MISSING = object()
MS_THRESHOLD = 1e11  # a unix time above this is in milliseconds (1e11 s is the year 5138)
# names a values table may give for these channels
_CANONICAL_NAMES: dict[str, dict[str, float]] = {
    "mode": {name: float(v) for v, name in MODES.items()},
    "error_code": {**{k: float(v) for k, v in TRIP_CODES.items()}, "none": 0.0},
}


class MappingError(ValueError):
    """A mapping that cannot be used; the message names the channel and the key."""


class PayloadRejected(ValueError):
    """This payload cannot be read as a whole (not an object, unreadable time)."""


@dataclass(frozen=True)
class FieldSpec:
    """Where one channel's value is, and how it becomes the canonical unit."""

    path: tuple[str, ...]
    scale: float = 1.0
    offset: float = 0.0
    values: dict[str, float] = field(default_factory=dict)  # text (or number as text) -> canonical value

    def read(self, doc: Any) -> Any:
        """The value at the path in ``doc``, or ``_MISSING``."""
        cur = doc
        for key in self.path:
            if isinstance(cur, dict):
                cur = cur.get(key, _MISSING)
            elif isinstance(cur, list) and key.isdigit() and int(key) < len(cur):
                cur = cur[int(key)]
            else:
                return _MISSING
            if cur is _MISSING:
                return _MISSING
        return cur

    def convert(self, raw: Any) -> Any:
        """The canonical value; a value the table does not know, or a non-number, is handed on as it is
        (the source counts it as not a number)."""
        if self.values:
            key = str(raw).lower() if not isinstance(raw, bool) else str(raw).lower()
            if key in self.values:
                return self.values[key]
        if isinstance(raw, bool):
            return float(raw) * self.scale + self.offset
        if isinstance(raw, (int, float)):
            return float(raw) * self.scale + self.offset
        if isinstance(raw, str):
            try:
                return float(raw) * self.scale + self.offset  # "21.5": bridges often send numbers as text
            except ValueError:
                return raw
        return raw


@dataclass(frozen=True)
class PayloadMapping:
    fields: dict[str, FieldSpec]
    ts_path: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, fields: dict[str, Any], ts_field: str = "") -> "PayloadMapping":
        """From ``[source.fields]`` and ``ts_field``; raises MappingError naming the channel."""
        if not fields:
            raise MappingError("no channels mapped: give [source.fields] channel = \"field\" lines")
        specs = {}
        for channel, spec in fields.items():
            specs[channel] = _spec(channel, spec)
        return cls(specs, _path(ts_field) if ts_field else ())

    def read(self, doc: Any, received: float) -> tuple[float, dict[str, Any], list[str]]:
        """(ts, channel -> value, channels whose field was absent) from one decoded payload."""
        if not isinstance(doc, dict):
            raise PayloadRejected(f"expected a JSON object, got {type(doc).__name__}")
        ts = received
        if self.ts_path:
            raw = FieldSpec(self.ts_path).read(doc)
            if raw is _MISSING:
                raise PayloadRejected(f"time field {'.'.join(self.ts_path)!r} is missing")
            ts = parse_time(raw)
        values: dict[str, Any] = {}
        missing: list[str] = []
        for channel, spec in self.fields.items():
            raw = spec.read(doc)
            if raw is _MISSING or raw is None:
                missing.append(channel)
                continue
            values[channel] = spec.convert(raw)
        return ts, values, missing


def parse_time(raw: Any) -> float:
    """Unix seconds from seconds, milliseconds, or ISO 8601 text (UTC when it names no zone)."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        ts = float(raw)
        ts = ts / 1000.0 if abs(ts) > MS_THRESHOLD else ts
    elif isinstance(raw, str):
        try:
            ts = float(raw)
            ts = ts / 1000.0 if abs(ts) > MS_THRESHOLD else ts
        except ValueError:
            try:
                when = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
            except ValueError:
                raise PayloadRejected(f"time {raw[:40]!r} is not unix seconds or ISO 8601") from None
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
            ts = when.timestamp()
    else:
        raise PayloadRejected(f"time {str(raw)[:40]!r} is not unix seconds or ISO 8601")
    if not math.isfinite(ts):
        raise PayloadRejected(f"time {ts} is not a finite time")
    return ts


def _path(text: str) -> tuple[str, ...]:
    parts = tuple(p for p in str(text).split("."))
    if not text or any(not p for p in parts):
        raise MappingError(f"field {text!r}: expected a name or a dotted path such as \"hp.flow.temp\"")
    return parts


def _spec(channel: str, spec: Any) -> FieldSpec:
    if channel not in BY_NAME:
        raise MappingError(f"{channel}: not a heatwatch channel (known: {', '.join(BY_NAME)})")
    if isinstance(spec, str):
        spec = {"field": spec}
    if not isinstance(spec, dict):
        raise MappingError(f"{channel}: expected \"field\" or {{ field = ..., unit = ... }}, got {spec!r}")
    unknown = set(spec) - {"field", "unit", "scale", "offset", "values"}
    if unknown:
        raise MappingError(f"{channel}: unknown key(s) {', '.join(sorted(unknown))} "
                           "(field, unit, scale, offset, values)")
    if "field" not in spec:
        raise MappingError(f"{channel}: 'field' is required")
    try:
        scale, offset = conversion(channel, str(spec.get("unit", "")))
    except UnitError as exc:
        raise MappingError(str(exc)) from None
    for key in ("scale", "offset"):
        v = spec.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)):
            raise MappingError(f"{channel}: {key} = {v!r}: expected a number")
    extra_scale, extra_offset = float(spec.get("scale", 1.0)), float(spec.get("offset", 0.0))
    # value * extra_scale + extra_offset first (the pump's own scaling), then the unit
    values_raw = spec.get("values", {})
    if not isinstance(values_raw, dict):
        raise MappingError(f"{channel}: values must be a table such as {{ heat = \"heating\" }}")
    names = _CANONICAL_NAMES.get(channel, {})
    values: dict[str, float] = {}
    for k, v in values_raw.items():
        if isinstance(v, str):
            if v not in names:
                raise MappingError(f"{channel}: values.{k} = {v!r}: one of {', '.join(names) or 'a number'}")
            values[str(k).lower()] = names[v]
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            values[str(k).lower()] = float(v)
        else:
            raise MappingError(f"{channel}: values.{k} = {v!r}: a name or a number")
    return FieldSpec(_path(spec["field"]), scale=extra_scale * scale, offset=extra_offset * scale + offset,
                     values=values)
