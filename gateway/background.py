"""What a gateway worker runs on its own clock, beside the API and ingest.

- the incident sweeps (incidents/sweeps.py): silent devices become incidents,
  open incidents are re-prioritised as their failure nears or the cold comes,
  SLA breaches are marked and reminders written; every ``[sweeps] every_s``;
- the embedded telemetry store's compaction (telemetry/compaction.py):
  downsampling with age and dropping past retention; every
  ``[telemetry] compact_every_s``.

Every worker runs both: each job is safe to run on several workers at once
(the database's locks and constraints decide), so no worker is special and
any may die.
"""

from __future__ import annotations

from dataclasses import dataclass

from heatwatch.gateway.db import Database
from heatwatch.gateway.incidents.service import Incidents
from heatwatch.gateway.incidents.sweeps import SweepSchedule
from heatwatch.gateway.settings import GatewaySettings
from heatwatch.gateway.telemetry.compaction import CompactionSchedule
from heatwatch.gateway.telemetry.retention import RetentionPolicy
from heatwatch.gateway.weather.provider import ForecastProvider


def forecast_provider(settings: GatewaySettings) -> ForecastProvider | None:
    """The weather service gateway.toml names, or None (the outlook then uses readings and normals)."""
    if settings.sweeps.forecast == "open-meteo":
        from heatwatch.gateway.weather.open_meteo import DEFAULT_BASE_URL, OpenMeteo

        return OpenMeteo(base_url=settings.sweeps.forecast_url or DEFAULT_BASE_URL)
    return None


@dataclass
class BackgroundJobs:
    sweeps: SweepSchedule
    compaction: CompactionSchedule

    @classmethod
    def start(cls, db: Database, settings: GatewaySettings, incidents: Incidents | None = None) -> BackgroundJobs:
        incidents = incidents or Incidents.from_settings(settings)
        sweeps = SweepSchedule(db, incidents, every=settings.sweeps.every_s, forecast=forecast_provider(settings))
        compaction = CompactionSchedule(db, RetentionPolicy.from_settings(settings.telemetry),
                                        every=settings.telemetry.compact_every_s)
        return cls(sweeps.start(), compaction.start())

    @property
    def alive(self) -> bool:
        return self.sweeps.alive and self.compaction.alive

    def counts(self) -> dict[str, int]:
        """For /metrics: ``runs.<job>`` and ``failures.<job>``."""
        return {"runs.sweeps": self.sweeps.runs, "failures.sweeps": self.sweeps.failures,
                "runs.compaction": self.compaction.runs, "failures.compaction": self.compaction.failures}

    def stop(self, timeout: float = 30.0) -> None:
        self.sweeps.stop(timeout)
        self.compaction.stop(timeout)
