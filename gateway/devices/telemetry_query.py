"""What the API asks of the telemetry store: one device's readings over a time range, as a series
of at most ``max_points`` points for a chart or a ticket's evidence.

The API reads the store only through ``TelemetryReader``, so it does not care
how the store keeps the readings. The embedded store's read module
(``heatwatch.gateway.telemetry.series``, whose ``series(session, device,
channels, start, end, max_points)`` picks a round bucket width and merges
every resolution it holds into it) fits the protocol as it is: the app gets
it at start (``create_app(..., telemetry=...)``); without one the route
answers 501.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from heatwatch.channels import CHANNEL_NAMES, DERIVED_NAMES

CHANNELS = CHANNEL_NAMES + DERIVED_NAMES  # what a series may be asked for: measured and derived
MAX_POINTS = 10_000  # a chart needs a few hundred; more is a mistake or an attempt to read the table out


class ChannelSummaryLike(Protocol):
    mean: float
    min: float
    max: float
    n: int


class SeriesPointLike(Protocol):
    start: datetime
    end: datetime
    intervals: int
    readings: int
    health: float | None
    channels: Mapping[str, ChannelSummaryLike]


class SeriesLike(Protocol):
    bucket_s: int
    channels: Sequence[str]
    points: Sequence[SeriesPointLike]


class TelemetryReader(Protocol):
    def series(self, session: Session, device: str, channels: Sequence[str] | None, start: datetime,
               end: datetime, max_points: int) -> SeriesLike:
        """``device``'s readings from ``start`` to ``end``, at most ``max_points`` points, oldest first;
        ``channels`` None: every one stored. Raises ValueError for what it cannot answer."""
        ...


class ChannelSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    mean: float
    min: float
    max: float
    n: int = Field(description="readings behind the numbers")


class TelemetryPoint(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    start: datetime = Field(description="the first reading merged into the point (the data's own span)")
    end: datetime = Field(description="the end of the last one")
    intervals: int = Field(description="the agent's intervals merged into this point")
    readings: int
    health: float | None = Field(description="the detector's worst anomaly score in the span")
    channels: dict[str, ChannelSummary]


class TelemetrySeries(BaseModel):
    device_id: str
    start: datetime
    end: datetime
    bucket_seconds: int = Field(description="the width of one point's bucket (UTC-aligned)")
    channels: list[str]
    points: list[TelemetryPoint]
