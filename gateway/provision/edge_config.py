"""The Pi's edge.toml, written by the gateway for one device.

It holds what the gateway knows and the Pi needs (device id, refrigerant,
register map, the broker and this device's credentials) and the defaults of
deploy/edge-serial.toml for the rest; the installer adjusts the serial port
on site. Values are written as TOML basic strings (JSON's quoting is valid
TOML), so no value can end a line or open a table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlparse

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class EdgeBroker:
    """The broker as the Pi reaches it."""

    url: str
    tls: bool = False  # TLS on an mqtt:// URL (mqtts:// is TLS anyway)


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def is_loopback(url: str) -> bool:
    """A URL that means "this machine": right for the gateway beside the broker, never for a Pi."""
    return (urlparse(url).hostname or "") in LOOPBACK_HOSTS


def edge_toml(device: str, *, refrigerant: str, register_map: str, broker: EdgeBroker, password: str) -> str:
    tls = broker.tls or urlparse(broker.url).scheme == "mqtts"
    broker_lines = [
        f"url = {_q(broker.url)}",
        f"username = {_q(device)}      # the device's own broker user: its ACL allows only its own topics",
        f"password = {_q(password)}",
    ]
    if broker.tls and urlparse(broker.url).scheme != "mqtts":
        broker_lines.append("tls = true")
    if tls:
        broker_lines.append('# ca_file = "/etc/heatwatch/ca.crt"   # when the broker\'s certificate is from a private CA')
    return "\n".join([
        f"# heatwatch edge agent for device {device}, written by `heatwatch provision`.",
        "# It holds the device's broker password: install it readable by the agent only",
        "#   install -m 600 edge.toml /etc/heatwatch/edge.toml",
        "# Run: heatwatch edge run --config /etc/heatwatch/edge.toml   (see deploy/heatwatch-edge.service)",
        "",
        "[device]",
        f"id = {_q(device)}",
        f"refrigerant = {_q(refrigerant)}",
        "",
        "[source]",
        'kind = "modbus"',
        'port = "/dev/ttyUSB0"    # the USB RS-485 adapter',
        "baudrate = 9600",
        'parity = "N"',
        "slave_id = 1",
        "poll_interval = 10       # seconds",
        f"register_map = {_q(register_map)}",
        "",
        "[broker]",
        *broker_lines,
        'protocol = "auto"        # MQTT 5, falling back to 3.1.1',
        "status_interval = 60     # seconds between retained status messages carrying the agent's counters",
        "",
        "[outbox]",
        'path = "/var/lib/heatwatch/outbox.db"',
        "",
        "[telemetry]",
        "interval = 60            # seconds per aggregated telemetry message",
        "",
        "[detector]",
        "commissioning_days = 7",
        'state_path = "/var/lib/heatwatch/detector.json"',
        "",
        "[home_assistant]",
        "discovery = false        # its topics (homeassistant/...) are outside this device's ACL",
        "",
    ])
