"""gateway.toml: defaults, the shipped examples, and errors that name the section and the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from heatwatch.gateway.settings import (DEFAULT_DATABASE_URL, DEFAULT_SLA, CommandSettings, SettingsError, load_settings,
                                        parse_settings)

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_without_a_file_a_gateway_for_one_site():
    s = load_settings(None)
    assert s.database.url == DEFAULT_DATABASE_URL == "sqlite:///heatwatch-gateway.db"
    assert s.telemetry.store == "embedded"
    assert s.broker.shared_group == "heatwatch-gateway"
    assert s.sla == DEFAULT_SLA


def test_shipped_examples_load():
    site = load_settings(DEPLOY / "gateway-site.toml")
    assert site.database.url.startswith("sqlite:///") and site.telemetry.store == "embedded"
    fleet = load_settings(DEPLOY / "gateway-fleet.toml")
    assert fleet.database.url.startswith("postgresql://") and fleet.telemetry.store == "influxdb"
    assert fleet.broker.tls and fleet.database.pool_size == 10
    assert fleet.sla[1].resolution_hours == 12 and fleet.sla[3] == DEFAULT_SLA[3]  # unset priorities keep defaults
    assert site.commands == fleet.commands == CommandSettings()  # the examples spell out the defaults


@pytest.mark.parametrize("body, message", [
    ("[database]\nurl = 'mysql://x/y'\n", "[database] url 'mysql://x/y'"),
    ("[database]\npool_size = 'many'\n", "[database] pool_size = 'many': expected int"),
    ("[database]\nurl = 'sqlite:///x.db'\nechoo = true\n", "[database] unknown key(s): echoo"),
    ("[databse]\nurl = 'sqlite:///x.db'\n", "unknown section(s): databse"),
    ("[sweeps]\nevery_s = 0\n", "[sweeps] every_s must be > 0 seconds"),
    ("[sweeps]\nforecast = 'dwd'\n", "[sweeps] forecast 'dwd': expected \"none\" or \"open-meteo\""),
    ("[sweeps]\nforecast_url = 'ftp://x'\n", "[sweeps] forecast_url 'ftp://x'"),
    ("[commands]\nmax_attempts = 0\n", "[commands] max_attempts must be >= 1"),
    ("[commands]\nfirst_retry_seconds = 90000\n", "[commands] first_retry_seconds must be > 0 and <= max_retry"),
    ("[commands]\npublish_timeout_seconds = -1\n", "[commands] publish_timeout_seconds must be > 0"),
    ("database = 'sqlite:///x.db'\n", "[database] must be a table"),
    ("[broker]\nurl = 'http://x'\n", "[broker] url 'http://x'"),
    ("[broker]\nshared_group = 'a/b'\n", "[broker] shared_group 'a/b'"),
    ("[broker]\ntls = 'yes'\n", "[broker] tls = 'yes': expected bool"),
    ("[broker]\nkeepalive = true\n", "[broker] keepalive = True: expected int"),
    ("[broker]\ncert_file = '/etc/x.pem'\n", "[broker] cert_file and key_file go together"),
    ("[broker]\nca_file = '/nonexistent/ca.pem'\n", "[broker] ca_file '/nonexistent/ca.pem': no such file"),
    ("[telemetry]\nstore = 'csv'\n", "[telemetry] store 'csv'"),
    ("[telemetry]\nstore = 'influxdb'\n", "[telemetry] influx_url ''"),
    ("[telemetry]\nretention_days = 0\n", "[telemetry] retention_days must be > 0"),
    ("[sla]\n9 = { response_hours = 1, resolution_hours = 2 }\n", "[sla] 9: priority must be one of 1, 2, 3, 4"),
    ("[sla]\n1 = 4\n", "[sla] 1 must be a table"),
    ("[sla]\n1 = { response_hours = 'soon' }\n", "[sla.1] response_hours = 'soon': expected float"),
    ("[sla]\n2 = { response_hours = 8, resolution_hours = 4 }\n", "[sla.2] resolution_hours (4) must be >= "),
    ("[sla]\n2 = { respond_hours = 8 }\n", "[sla.2] unknown key(s): respond_hours"),
    ("[database\nurl = 'x'\n", "not valid TOML"),
])
def test_errors_name_section_and_key(tmp_path, body, message):
    f = tmp_path / "gateway.toml"
    f.write_text(body)
    with pytest.raises(SettingsError) as exc:
        load_settings(f)
    assert message in str(exc.value)
    assert str(exc.value).startswith("gateway.toml: ")


def test_missing_and_binary_files_are_named(tmp_path):
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(tmp_path / "absent.toml")
    f = tmp_path / "gateway.toml"
    f.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(SettingsError, match="gateway.toml: not UTF-8 text"):
        load_settings(f)


def test_migrate_with_bad_settings_exits_2_with_one_line(tmp_path):
    f = tmp_path / "gateway.toml"
    f.write_text("[telemetry]\nstore = 'csv'\n")
    p = subprocess.run([sys.executable, "-m", "heatwatch.cli", "gateway", "migrate", "--config", str(f)],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert p.returncode == 2
    assert p.stderr.strip().splitlines() == [
        "config error: gateway.toml: [telemetry] store 'csv': expected \"embedded\" or \"influxdb\""]
    assert not (tmp_path / "heatwatch-gateway.db").exists()


def test_the_forecast_provider_is_the_one_gateway_toml_names():
    from heatwatch.gateway.background import forecast_provider
    from heatwatch.gateway.weather.open_meteo import DEFAULT_BASE_URL

    assert forecast_provider(parse_settings({})) is None  # by default: readings and monthly normals only
    assert forecast_provider(parse_settings({"sweeps": {"forecast": "open-meteo"}})).base_url == DEFAULT_BASE_URL
    own = forecast_provider(parse_settings({"sweeps": {"forecast": "open-meteo",
                                                       "forecast_url": "http://weather.internal:8080"}}))
    assert own.url(59.33, 18.07).startswith("http://weather.internal:8080/v1/forecast?latitude=59.3300")
