"""What ingest does with an accepted telemetry interval: store it, then (when configured) export it.

``store`` runs inside ingest's transaction, so the interval is kept exactly
when its seq is recorded: a failing database loses neither, and a
redelivered message finds both done. ``export`` runs after the commit and
only queues the interval for InfluxDB (never waits), so InfluxDB sees only
what the gateway kept.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from heatwatch.contract import Telemetry
from heatwatch.gateway.ingest.counters import IngestCounters
from heatwatch.gateway.settings import TelemetrySettings
from heatwatch.gateway.telemetry.retention import RetentionPolicy
from heatwatch.gateway.telemetry.store import Stored, record, record_many

if TYPE_CHECKING:  # influxdb-client takes half a second to import: only a gateway that exports pays it
    from heatwatch.gateway.telemetry.influx import InfluxExporter

log = logging.getLogger(__name__)
_LOG_EVERY = 1000


class TelemetrySink:
    def __init__(self, policy: RetentionPolicy | None = None, exporter: InfluxExporter | None = None,
                 counters: IngestCounters | None = None) -> None:
        self.policy = policy or RetentionPolicy()
        self.exporter = exporter
        self.counters = counters or IngestCounters()

    @classmethod
    def from_settings(cls, t: TelemetrySettings, counters: IngestCounters | None = None) -> TelemetrySink:
        """The embedded store always; InfluxDB too with ``store = "influxdb"`` (its writer started)."""
        exporter = None
        if t.store == "influxdb":
            from heatwatch.gateway.telemetry.influx import InfluxExporter

            exporter = InfluxExporter.from_settings(t).start()
        return cls(RetentionPolicy.from_settings(t), exporter, counters)

    def store(self, session: Session, message: Telemetry, now: datetime) -> Stored:
        stored = record(session, message, now, self.policy.retention)
        self._count(message, stored)
        return stored

    def _count(self, message: Telemetry, stored: Stored) -> None:
        self.counters.add(f"telemetry.{stored.reason}")
        for reason, names in (("unknown_channel", stored.readings.unknown),
                              ("invalid_channel", stored.readings.invalid)):
            if names:
                self._refused(reason, message, names)

    def store_many(self, session: Session, messages: list[Telemetry], now: datetime) -> list[Stored]:
        """``store`` for an ingest batch's accepted intervals: one INSERT."""
        stored = record_many(session, messages, now, self.policy.retention)
        for message, one in zip(messages, stored):
            self._count(message, one)
        return stored

    def export(self, message: Telemetry) -> None:
        if self.exporter is not None:
            self.exporter.submit(message)

    def close(self, timeout: float = 10.0) -> None:
        if self.exporter is not None:
            self.exporter.close(timeout)

    def _refused(self, reason: str, message: Telemetry, names: tuple[str, ...]) -> None:
        key = f"telemetry.{reason}"
        self.counters.add(key, len(names))
        n = self.counters.get(key)
        if n <= len(names) or n // _LOG_EVERY > (n - len(names)) // _LOG_EVERY:
            what = "not a heatwatch channel" if reason == "unknown_channel" else "numbers not finite or min > max"
            log.warning("telemetry of %s seq %d: channel(s) %s left out (%s; %d so far)", message.device,
                        message.seq, ", ".join(names[:5]), what, n)
