"""Home Assistant MQTT discovery for the pump's channels (opt-in).

A customer who runs Home Assistant on the same broker gets the pump as a
device with one sensor per channel and a "problem" binary sensor, without
writing YAML. Nothing new goes on the wire for it: every entity reads the
agent's own telemetry topic (``value_template`` picks a channel's mean) and
the status topic drives availability. Config messages are retained under
``<prefix>/<component>/<device>_<object>/config`` and re-sent on every connect.

Field names follow https://www.home-assistant.io/integrations/sensor.mqtt/ and
the MQTT discovery page. Temperature *differences* (superheat, approaches) are
in K without a device class: HA would otherwise "convert" 5 K to -268 °C.
A template that renders ``None`` leaves the state unknown (HA's MQTT sensor
treats the payload "None" as no value), so an interval where a channel had no
valid sample does not show as 0.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

from heatwatch.channels import BY_NAME, CHANNEL_NAMES, DERIVED_NAMES
from heatwatch.contract import agent_topic

# canonical unit -> (HA unit_of_measurement, HA sensor device_class)
_UNITS: dict[str, tuple[str | None, str | None]] = {
    "°C": ("°C", "temperature"),
    "bar": ("bar", "pressure"),
    "Hz": ("Hz", "frequency"),
    "A": ("A", "current"),
    "W": ("W", "power"),
    "l/min": ("L/min", "volume_flow_rate"),
    "rpm": ("rpm", None),
    "%": ("%", None),
}
_ENUMS = {"0/1", "enum", "code"}  # states, not measurements: no unit, no state_class
_DERIVED_UNITS: dict[str, tuple[str | None, str | None]] = {
    "heat_kw": ("kW", "power"),
    "cop": (None, None),
}  # every other derived channel is a temperature difference in K


@dataclass
class HADiscoveryConfig:
    enabled: bool = False
    prefix: str = "homeassistant"
    device_name: str = ""  # default "Heat pump <device>"
    manufacturer: str = "heatwatch"
    model: str = ""
    channels: tuple[str, ...] = field(default_factory=lambda: CHANNEL_NAMES + DERIVED_NAMES)
    problem_threshold: float = 1.0  # health score at or above which "problem" is on


def discovery_messages(device: str, cfg: HADiscoveryConfig, agent_version: str = "") -> list[tuple[str, bytes]]:
    """(topic, retained payload) pairs; empty when discovery is disabled."""
    if not cfg.enabled:
        return []
    state = agent_topic(device, "telemetry")
    common = {
        "state_topic": state,
        "availability_topic": agent_topic(device, "status"),
        "availability_template": "{{ 'online' if value_json.online else 'offline' }}",
        "device": {
            "identifiers": [f"heatwatch_{device}"],
            "name": cfg.device_name or f"Heat pump {device}",
            "manufacturer": cfg.manufacturer,
            **({"model": cfg.model} if cfg.model else {}),
            **({"sw_version": agent_version} if agent_version else {}),
        },
        "origin": {"name": "heatwatch", **({"sw_version": agent_version} if agent_version else {})},
    }
    out: list[tuple[str, bytes]] = []
    for name in cfg.channels:
        cfg_msg = dict(common)
        cfg_msg.update(
            name=_title(name),
            unique_id=f"heatwatch_{device}_{name}",
            value_template=(
                "{{ value_json.channels['%s'].mean if '%s' in value_json.channels "
                "and value_json.channels['%s'].mean is defined else None }}" % (name, name, name)
            ),
        )
        unit, device_class, measured = _unit(name)
        if unit:
            cfg_msg["unit_of_measurement"] = unit
        if device_class:
            cfg_msg["device_class"] = device_class
        if measured:
            cfg_msg["state_class"] = "measurement"
        out.append((f"{cfg.prefix}/sensor/{device}_{name}/config", _json(cfg_msg)))
    health = dict(common, name="Health score", unique_id=f"heatwatch_{device}_health",
                  value_template="{{ value_json.health if value_json.health is defined else None }}",
                  state_class="measurement")
    out.append((f"{cfg.prefix}/sensor/{device}_health/config", _json(health)))
    problem = dict(
        common,
        name="Problem",
        unique_id=f"heatwatch_{device}_problem",
        device_class="problem",
        payload_on="ON",
        payload_off="OFF",
        value_template=(
            "{{ 'ON' if (value_json.health if value_json.health is defined else 0) >= %s else 'OFF' }}"
            % repr(float(cfg.problem_threshold))
        ),
    )
    out.append((f"{cfg.prefix}/binary_sensor/{device}_problem/config", _json(problem)))
    return out


def on_connect_hook(device: str, cfg: HADiscoveryConfig, agent_version: str = "") -> Callable[[object], None]:
    """A ``Publisher`` on-connect hook that (re)publishes the discovery configs."""
    messages = discovery_messages(device, cfg, agent_version)

    def publish(publisher: object) -> None:
        for topic, payload in messages:
            publisher.publish_retained(topic, payload)  # type: ignore[attr-defined]

    return publish


def _unit(name: str) -> tuple[str | None, str | None, bool]:
    if name in BY_NAME:
        unit = BY_NAME[name].unit
        if unit in _ENUMS:
            return None, None, False
        ha_unit, device_class = _UNITS.get(unit, (unit, None))
        return ha_unit, device_class, True
    ha_unit, device_class = _DERIVED_UNITS.get(name, ("K", None))
    return ha_unit, device_class, True


def _title(name: str) -> str:
    if name in BY_NAME:
        d = BY_NAME[name].description
        return d[0].upper() + d[1:]
    return name.replace("_", " ").capitalize()


def _json(d: dict[str, object]) -> bytes:
    return json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode()
