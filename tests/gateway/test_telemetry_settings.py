"""[telemetry] in gateway.toml: the embedded store's ages, the InfluxDB export's bounds, checked on load."""

from __future__ import annotations

from datetime import timedelta

import pytest

from heatwatch.gateway.settings import SettingsError, parse_settings
from heatwatch.gateway.telemetry.retention import RetentionPolicy
from heatwatch.gateway.telemetry.sink import TelemetrySink


def test_defaults_keep_two_days_whole_then_hours_then_days_for_four_weeks():
    t = parse_settings({}).telemetry
    policy = RetentionPolicy.from_settings(t)
    assert policy == RetentionPolicy(timedelta(days=2), timedelta(days=14), timedelta(days=28))
    sink = TelemetrySink.from_settings(t)
    assert sink.exporter is None and sink.policy == policy  # embedded only: no InfluxDB thread


def test_ages_from_the_file():
    t = parse_settings({"telemetry": {"full_resolution_days": 0.5, "hourly_days": 30, "retention_days": 365}}).telemetry
    assert RetentionPolicy.from_settings(t) == RetentionPolicy(timedelta(hours=12), timedelta(days=30),
                                                               timedelta(days=365))


@pytest.mark.parametrize("telemetry, message", [
    ({"full_resolution_days": 0}, "expected 0 < full_resolution_days (0)"),
    ({"hourly_days": 1}, "full_resolution_days (2) <= hourly_days (1)"),
    ({"hourly_days": 30}, "hourly_days (30) <= retention_days (28)"),
    ({"influx_queue_size": 0}, "influx_queue_size must be > 0"),
    ({"influx_batch_size": -1}, "influx_batch_size must be > 0"),
    ({"compact_every_s": 0}, "compact_every_s must be > 0"),
    ({"influx_flush_s": "soon"}, "influx_flush_s = 'soon': expected float"),
])
def test_mistakes_name_the_key(telemetry, message):
    with pytest.raises(SettingsError) as err:
        parse_settings({"telemetry": telemetry}, "gateway.toml")
    assert str(err.value).startswith("gateway.toml: [telemetry] ") and message in str(err.value)


def test_a_policy_in_the_wrong_order_is_refused():
    with pytest.raises(ValueError, match="full_resolution"):
        RetentionPolicy(timedelta(days=3), timedelta(days=2), timedelta(days=28))
