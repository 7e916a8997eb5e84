"""What the API asks of the telemetry store: one device's readings over a time range.

The store (the embedded one in the gateway's database, or InfluxDB) keeps
the agents' telemetry intervals; the API only reads them through this
interface, so it does not care which store is configured. The app gets a
reader at start (``create_app(..., telemetry=...)``); without one the route
answers 501.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, Field

from heatwatch.contract import ChannelStats

MAX_POINTS = 10_000  # per answer: a chart needs far fewer; ask for a coarser step


class TelemetryPoint(BaseModel):
    """One interval of readings: each channel's mean, min, max and valid samples."""

    ts_start: datetime
    ts_end: datetime
    channels: dict[str, ChannelStats]
    downsampled: bool = Field(False, description="merged from finer intervals (by the agent or the store)")


class TelemetrySeries(BaseModel):
    device_id: str
    start: datetime
    end: datetime
    step_seconds: int | None = Field(description="the interval asked for; null: as stored")
    points: list[TelemetryPoint]


class TelemetryReader(Protocol):
    def read(self, device_id: str, start: datetime, end: datetime, channels: Sequence[str],
             step_seconds: int | None, limit: int) -> list[TelemetryPoint]:
        """Intervals of ``device_id`` overlapping [start, end), oldest first, at most ``limit``;
        only ``channels`` (all when empty); merged to ``step_seconds`` when given."""
        ...
