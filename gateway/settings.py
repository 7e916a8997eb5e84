"""gateway.toml: the gateway's settings, checked on load.

Errors name the file, the section and the key, and say what is expected; the
commands print them as one line and exit 2. Every key has a default, so a
gateway for one site runs without a file: SQLite next to it, Mosquitto on
localhost, telemetry in its own database. Example files are in deploy/
(gateway-site.toml, gateway-fleet.toml).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from heatwatch.mqtt import BrokerAccount

DEFAULT_DATABASE_URL = "sqlite:///heatwatch-gateway.db"
DATABASE_BACKENDS = ("sqlite", "postgresql")
TELEMETRY_STORES = ("embedded", "influxdb")
FORECAST_PROVIDERS = ("none", "open-meteo")
# an MQTT 5 shared-subscription group name: no wildcards or separators ($share/<group>/<filter>)
_SHARE_GROUP = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class SettingsError(ValueError):
    """The gateway's settings file is wrong; the message says where and how."""


@dataclass
class DatabaseSettings:
    url: str = DEFAULT_DATABASE_URL  # sqlite:///path.db or postgresql://user@host/db (psycopg 3)
    pool_size: int = 5  # PostgreSQL connections per worker process
    busy_timeout: float = 10.0  # SQLite: seconds a writer waits for another one before giving up


@dataclass
class BrokerSettings(BrokerAccount):
    url: str = "mqtt://127.0.0.1:1883"
    client_id: str = "heatwatch-gateway"  # each worker appends its own suffix
    keepalive: int = 30
    # MQTT 5 shared subscription ($share/<group>/...): every worker of one gateway uses the same
    # group, so the broker hands each message to one of them; "" = a plain subscription (one worker)
    shared_group: str = "heatwatch-gateway"


@dataclass
class TelemetrySettings:
    # embedded: recent weeks in the gateway's database | influxdb: that, and the full history to InfluxDB
    store: str = "embedded"
    full_resolution_days: float = 2.0  # embedded store: every interval as the agent sent it, this long;
    hourly_days: float = 14.0  # then one row per device and hour up to this age, then one per day (UTC)
    retention_days: int = 28  # and dropped after this
    compact_every_s: float = 600.0  # how often a worker downsamples and drops by age
    influx_url: str = ""  # InfluxDB v2 write API, e.g. http://127.0.0.1:8086
    influx_org: str = ""
    influx_bucket: str = "heatwatch"
    influx_token: str = ""
    influx_queue_size: int = 10000  # intervals waiting for InfluxDB; beyond it new ones are dropped, counted
    influx_batch_size: int = 1000  # points per write
    influx_flush_s: float = 1.0  # a batch waits at most this long to fill
    influx_timeout_s: float = 10.0  # one write's HTTP timeout


@dataclass
class ApiSettings:
    host: str = "127.0.0.1"  # where `heatwatch gateway run` listens; 0.0.0.0 behind a reverse proxy only
    port: int = 8000


@dataclass
class WebhookSettings:
    """Outgoing webhooks: how hard a delivery is tried before it is given up (marked failed)."""

    max_attempts: int = 12
    first_retry_seconds: float = 10.0  # then doubling: 10 s, 20 s, 40 s ... up to max_retry_seconds
    max_retry_seconds: float = 3600.0
    timeout_seconds: float = 10.0  # one attempt: connect and answer


@dataclass
class SweepSettings:
    """The periodic jobs every worker runs beside ingest (incidents/sweeps.py): silent devices,
    re-prioritising open incidents as their failure nears or the cold comes, the SLA clock."""

    every_s: float = 60.0  # how often; several workers may run them at once (each job is safe to)
    forecast: str = "none"  # "open-meteo": ask it for the sites at risk; "none": readings and monthly normals
    forecast_url: str = ""  # Open-Meteo's API base (default https://api.open-meteo.com; a paid or own server)


@dataclass
class NotificationSettings:
    """Customer notifications (docs/notifications.md): where each channel kind goes (an Apprise URL
    template; ``{address}`` is the customer's address, URL-quoted), the status link, quiet hours'
    digests, the daily cap, and how hard a message is tried."""

    # channel kind -> Apprise URL, e.g. email = "mailtos://user:pw@smtp.example.com?to={address}"
    channels: dict = field(default_factory=dict)
    status_base_url: str = "http://127.0.0.1:8000"  # the status page's origin (links: <base>/s/<token>)
    status_link_secret: str = ""  # signs the links; needed once a channel is configured
    status_link_days: float = 30.0  # how long a link in a message stays valid
    daily_cap: int = 6  # messages per customer, channel and local day; more wait for the next digest
    digest_at: str = "08:00"  # local time a capped customer's digest goes (with quiet hours: when they end)
    cold_spell_c: float = 0.0  # a P1 problem overrides quiet hours unless the cold ahead is known warmer
    company: str = "heatwatch service"  # who signs the messages
    max_attempts: int = 8
    first_retry_seconds: float = 30.0  # then doubling up to max_retry_seconds
    max_retry_seconds: float = 3600.0
    timeout_seconds: float = 20.0  # one attempt on one channel


@dataclass
class BoardSettings:
    """The dispatcher board (gateway/board): its session cookie and how often it refreshes."""

    # signs the session cookie; "" = a random one per process (sessions end on restart; set it when
    # several workers serve the board, so each accepts the others' cookies)
    session_secret: str = ""
    session_hours: float = 12.0  # a sign-in lasts this long
    secure_cookie: bool = False  # true when the board is served over HTTPS (the cookie is then never sent in clear)
    poll_seconds: float = 5.0  # the board's list refreshes this often


@dataclass
class CommandSettings:
    """Commands to the agents (``repaired``): how often one is sent again while unanswered."""

    max_attempts: int = 10  # sends before an unanswered command is given up (logged, counted)
    first_retry_seconds: float = 300.0  # then doubling: 5 min, 10 min ... up to max_retry_seconds
    max_retry_seconds: float = 6 * 3600.0
    publish_timeout_seconds: float = 10.0  # the broker's PUBACK for one send


@dataclass(frozen=True)
class SlaTarget:
    """How soon a ticket of one priority must be answered and resolved."""

    response_hours: float
    resolution_hours: float


# Placeholder targets until the priority model (severity, time to failure, cold ahead) lands;
# priority 1 is the most urgent. Overridden per priority by gateway.toml's [sla] table.
DEFAULT_SLA: dict[int, SlaTarget] = {
    1: SlaTarget(response_hours=1, resolution_hours=24),
    2: SlaTarget(response_hours=4, resolution_hours=72),
    3: SlaTarget(response_hours=24, resolution_hours=168),
    4: SlaTarget(response_hours=72, resolution_hours=336),
}
PRIORITIES = tuple(DEFAULT_SLA)


@dataclass
class GatewaySettings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    broker: BrokerSettings = field(default_factory=BrokerSettings)
    telemetry: TelemetrySettings = field(default_factory=TelemetrySettings)
    api: ApiSettings = field(default_factory=ApiSettings)
    webhooks: WebhookSettings = field(default_factory=WebhookSettings)
    sweeps: SweepSettings = field(default_factory=SweepSettings)
    notifications: NotificationSettings = field(default_factory=NotificationSettings)
    board: BoardSettings = field(default_factory=BoardSettings)
    commands: CommandSettings = field(default_factory=CommandSettings)
    sla: dict[int, SlaTarget] = field(default_factory=lambda: dict(DEFAULT_SLA))


_SECTIONS: dict[str, type] = {"database": DatabaseSettings, "broker": BrokerSettings, "telemetry": TelemetrySettings,
                              "api": ApiSettings, "webhooks": WebhookSettings, "sweeps": SweepSettings,
                              "notifications": NotificationSettings, "board": BoardSettings,
                              "commands": CommandSettings}


def load_settings(path: str | Path | None) -> GatewaySettings:
    """Read gateway.toml; ``None`` gives the defaults (a gateway for one site)."""
    if path is None:
        return GatewaySettings()
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise SettingsError(f"{path.name}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path.name}: not valid TOML ({exc})") from None
    return parse_settings(doc, path.name)


def parse_settings(doc: dict[str, Any], name: str = "gateway.toml") -> GatewaySettings:
    top = dict(doc)
    settings = GatewaySettings()
    for section, cls in _SECTIONS.items():
        setattr(settings, section, _section(top.pop(section, {}), cls, section, name))
    settings.sla = _sla(top.pop("sla", {}), name)
    if top:
        raise SettingsError(f"{name}: unknown section(s): {', '.join(sorted(top))}")
    _check(settings, name)
    return settings


def _section(raw: Any, cls: type, section: str, name: str) -> Any:
    if not isinstance(raw, dict):
        raise SettingsError(f"{name}: [{section}] must be a table")
    known = {f.name for f in fields(cls)}
    unknown = set(raw) - known
    if unknown:
        raise SettingsError(f"{name}: [{section}] unknown key(s): {', '.join(sorted(unknown))}")
    obj = cls()
    for key, value in raw.items():
        setattr(obj, key, _typed(value, type(getattr(obj, key)), section, key, name))
    return obj


def _typed(value: Any, kind: type, section: str, key: str, name: str) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (kind in (int, float) and isinstance(value, bool)):
        raise SettingsError(f"{name}: [{section}] {key} = {value!r}: expected {kind.__name__}")
    return value


def _sla(raw: Any, name: str) -> dict[int, SlaTarget]:
    """``[sla]`` maps a priority to its targets: ``1 = { response_hours = 1, resolution_hours = 24 }``."""
    if not isinstance(raw, dict):
        raise SettingsError(f"{name}: [sla] must be a table")
    table = dict(DEFAULT_SLA)
    for key, targets in raw.items():
        if not key.isdigit() or int(key) not in PRIORITIES:
            raise SettingsError(f"{name}: [sla] {key}: priority must be one of {', '.join(map(str, PRIORITIES))}")
        where = f"sla.{key}"
        if not isinstance(targets, dict):
            raise SettingsError(f"{name}: [sla] {key} must be a table "
                                "(e.g. { response_hours = 4, resolution_hours = 72 })")
        unknown = set(targets) - {"response_hours", "resolution_hours"}
        if unknown:
            raise SettingsError(f"{name}: [{where}] unknown key(s): {', '.join(sorted(unknown))}")
        default = table[int(key)]
        response = _typed(targets.get("response_hours", default.response_hours), float, where, "response_hours", name)
        resolution = _typed(targets.get("resolution_hours", default.resolution_hours), float, where,
                            "resolution_hours", name)
        if response <= 0:
            raise SettingsError(f"{name}: [{where}] response_hours must be > 0")
        if resolution < response:
            raise SettingsError(f"{name}: [{where}] resolution_hours ({resolution:g}) must be >= "
                                f"response_hours ({response:g})")
        table[int(key)] = SlaTarget(float(response), float(resolution))
    return table


def _check(s: GatewaySettings, name: str) -> None:
    scheme = urlparse(s.database.url).scheme.split("+")[0]
    if scheme not in DATABASE_BACKENDS:
        raise SettingsError(f"{name}: [database] url {s.database.url!r}: expected sqlite:///path.db "
                            "or postgresql://user@host/db")
    if s.database.pool_size < 1:
        raise SettingsError(f"{name}: [database] pool_size must be >= 1")
    if s.database.busy_timeout < 0:
        raise SettingsError(f"{name}: [database] busy_timeout must be >= 0 seconds")
    b = s.broker
    if urlparse(b.url).scheme not in ("mqtt", "mqtts"):
        raise SettingsError(f"{name}: [broker] url {b.url!r}: expected mqtt://host:port or mqtts://host:port")
    if b.shared_group and not _SHARE_GROUP.match(b.shared_group):
        raise SettingsError(f"{name}: [broker] shared_group {b.shared_group!r}: letters, digits, '_', '.', '-' "
                            "only (no '/', '+', '#'), at most 64")
    if not b.client_id:
        raise SettingsError(f"{name}: [broker] client_id must not be empty")
    if b.keepalive <= 0:
        raise SettingsError(f"{name}: [broker] keepalive must be > 0 seconds")
    if (b.cert_file == "") != (b.key_file == ""):
        raise SettingsError(f"{name}: [broker] cert_file and key_file go together (client certificate)")
    for key in ("ca_file", "cert_file", "key_file"):
        value = getattr(b, key)
        if value and not Path(value).is_file():
            raise SettingsError(f"{name}: [broker] {key} {value!r}: no such file")
    t = s.telemetry
    if t.store not in TELEMETRY_STORES:
        raise SettingsError(f"{name}: [telemetry] store {t.store!r}: expected \"embedded\" or \"influxdb\"")
    if t.retention_days <= 0:
        raise SettingsError(f"{name}: [telemetry] retention_days must be > 0")
    if not 0 < t.full_resolution_days <= t.hourly_days <= t.retention_days:
        raise SettingsError(f"{name}: [telemetry] expected 0 < full_resolution_days ({t.full_resolution_days:g}) "
                            f"<= hourly_days ({t.hourly_days:g}) <= retention_days ({t.retention_days})")
    for key in ("compact_every_s", "influx_queue_size", "influx_batch_size", "influx_flush_s", "influx_timeout_s"):
        if getattr(t, key) <= 0:
            raise SettingsError(f"{name}: [telemetry] {key} must be > 0")
    if t.store == "influxdb":
        if urlparse(t.influx_url).scheme not in ("http", "https"):
            raise SettingsError(f"{name}: [telemetry] influx_url {t.influx_url!r}: store = \"influxdb\" needs "
                                "http://host:port or https://")
        if not t.influx_bucket:
            raise SettingsError(f"{name}: [telemetry] influx_bucket must not be empty")
    if not s.api.host:
        raise SettingsError(f"{name}: [api] host must not be empty")
    if not 1 <= s.api.port <= 65535:
        raise SettingsError(f"{name}: [api] port must be 1-65535")
    _check_retries(f"{name}: [webhooks]", s.webhooks, "timeout_seconds")
    board = s.board
    if board.session_hours <= 0 or board.poll_seconds <= 0:
        raise SettingsError(f"{name}: [board] session_hours and poll_seconds must be > 0")
    if board.session_secret and len(board.session_secret) < 32:
        raise SettingsError(f"{name}: [board] session_secret: at least 32 characters (e.g. python3 -c "
                            "'import secrets; print(secrets.token_urlsafe(32))')")
    sw = s.sweeps
    if sw.every_s <= 0:
        raise SettingsError(f"{name}: [sweeps] every_s must be > 0 seconds")
    if sw.forecast not in FORECAST_PROVIDERS:
        raise SettingsError(f"{name}: [sweeps] forecast {sw.forecast!r}: expected \"none\" or \"open-meteo\"")
    if sw.forecast_url and urlparse(sw.forecast_url).scheme not in ("http", "https"):
        raise SettingsError(f"{name}: [sweeps] forecast_url {sw.forecast_url!r}: expected http://host or https://")
    _check_retries(f"{name}: [commands]", s.commands, "publish_timeout_seconds")
    _check_notifications(s.notifications, name)


_CHANNEL_KIND = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
_LOCAL_TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def _check_notifications(n: NotificationSettings, name: str) -> None:
    where = f"{name}: [notifications]"
    for kind, url in n.channels.items():
        if not _CHANNEL_KIND.match(kind):
            raise SettingsError(f"{where} channels.{kind}: a channel kind is lower-case letters, digits, '_'")
        if not isinstance(url, str) or ("://" not in url and url != "{address}"):
            raise SettingsError(f"{where} channels.{kind} = {url!r}: an Apprise URL such as "
                                "\"mailtos://user:pw@smtp.example.com?to={address}\"")
    if n.channels and len(n.status_link_secret) < 16:
        raise SettingsError(f"{where} status_link_secret: at least 16 characters once a channel is configured "
                            "(it signs the status links)")
    if urlparse(n.status_base_url).scheme not in ("http", "https"):
        raise SettingsError(f"{where} status_base_url {n.status_base_url!r}: expected http(s)://host[/path]")
    if not _LOCAL_TIME.match(n.digest_at):
        raise SettingsError(f"{where} digest_at {n.digest_at!r}: a local time HH:MM")
    if n.daily_cap < 1:
        raise SettingsError(f"{where} daily_cap must be >= 1")
    _check_retries(where, n, "timeout_seconds")
    if n.status_link_days <= 0:
        raise SettingsError(f"{where} status_link_days must be > 0")


def _check_retries(where: str, section: WebhookSettings | CommandSettings | NotificationSettings,
                   timeout_key: str) -> None:
    """A queue's retry settings (leased_queue.py): at least one attempt, a backoff that starts above
    zero and does not start above its cap, an attempt that may take some time."""
    if section.max_attempts < 1:
        raise SettingsError(f"{where} max_attempts must be >= 1")
    if not 0 < section.first_retry_seconds <= section.max_retry_seconds:
        raise SettingsError(f"{where} first_retry_seconds must be > 0 and <= max_retry_seconds")
    if getattr(section, timeout_key) <= 0:
        raise SettingsError(f"{where} {timeout_key} must be > 0")
