"""How long the embedded store keeps each resolution: full, then hourly, then daily, then nothing.

A chart of the last hours wants every interval; a chart of the last weeks
wants a few hundred points, and a ticket's evidence wants the days before a
fault. So the store keeps every interval for ``full_resolution`` (2 days by
default), hourly rows up to ``hourly`` (14 days), daily rows up to
``retention`` (28 days), and drops what is older. Buckets are UTC hours and
days; a bucket is merged only once all of it is past its age, so the newest
raw rows may stay up to an hour longer than ``full_resolution``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from heatwatch.gateway.settings import TelemetrySettings
from heatwatch.gateway.telemetry.models import Resolution


@dataclass(frozen=True)
class RetentionPolicy:
    full_resolution: timedelta = timedelta(days=2)
    hourly: timedelta = timedelta(days=14)
    retention: timedelta = timedelta(days=28)

    def __post_init__(self) -> None:
        if not timedelta(0) < self.full_resolution <= self.hourly <= self.retention:
            raise ValueError(f"expected 0 < full_resolution ({self.full_resolution}) <= hourly ({self.hourly}) "
                             f"<= retention ({self.retention})")

    @classmethod
    def from_settings(cls, t: TelemetrySettings) -> RetentionPolicy:
        return cls(timedelta(days=t.full_resolution_days), timedelta(days=t.hourly_days),
                   timedelta(days=t.retention_days))

    def merge_before(self, target: Resolution, now: datetime) -> datetime:
        """Rows starting before this are merged into ``target`` rows: whole buckets past the age."""
        if target is Resolution.HOUR:
            return floor_to(now - self.full_resolution, Resolution.HOUR)
        if target is Resolution.DAY:
            return floor_to(now - self.hourly, Resolution.DAY)
        raise ValueError(f"nothing merges into {target} rows")

    def horizon(self, now: datetime) -> datetime:
        """Rows that ended at or before this are dropped."""
        return now - self.retention


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def floor_to(ts: datetime, resolution: Resolution) -> datetime:
    """The start of the UTC hour or day ``ts`` falls in."""
    bucket = resolution.bucket
    if bucket is None:
        raise ValueError("raw rows have no buckets")
    return _EPOCH + ((ts - _EPOCH) // bucket) * bucket
