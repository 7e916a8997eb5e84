"""Table: telemetry_intervals, the embedded store's readings per device, coarser with age.

One row is one span of one device's readings at one resolution: ``raw`` (an
interval as the agent sent it, typically a minute), ``hour`` or ``day`` (the
merge of the rows before it, by UTC hour or day). The three never hold the
same reading twice: compaction writes the coarser row and deletes the finer
ones in one transaction.

The primary key (device, resolution, start) is also what makes storing
idempotent: a telemetry message delivered twice carries the same interval
start and is kept once. It is keyed by start rather than by seq because an
agent that lost its outbox numbers afresh from 0: its new seq 0 is new data.

``channels`` is ``{name: [mean, min, max, n]}`` (stats.ChannelSummary): one
row per interval instead of one per channel keeps ingest at one insert per
message.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Double, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from heatwatch.gateway.db import Base, enum_type


class Resolution(StrEnum):
    RAW = "raw"  # as the agent sent it
    HOUR = "hour"
    DAY = "day"

    @property
    def bucket(self) -> timedelta | None:
        """The span one row covers (raw: whatever the agent's interval was)."""
        return _BUCKETS[self]


_BUCKETS = {Resolution.RAW: None, Resolution.HOUR: timedelta(hours=1), Resolution.DAY: timedelta(days=1)}


class TelemetryInterval(Base):
    __tablename__ = "telemetry_intervals"

    device_id: Mapped[str] = mapped_column(String(64), ForeignKey("devices.id", ondelete="CASCADE"),
                                           primary_key=True)
    resolution: Mapped[Resolution] = mapped_column(enum_type(Resolution, "telemetry_resolution"), primary_key=True)
    ts_start: Mapped[datetime] = mapped_column(primary_key=True)  # raw: the agent's; hour/day: the bucket's
    ts_end: Mapped[datetime]  # the end of the last reading merged in
    seq: Mapped[int | None] = mapped_column(BigInteger)  # raw: the agent's seq (evidence); merged: none
    intervals: Mapped[int] = mapped_column(default=1)  # agent intervals merged into this row
    readings: Mapped[int] = mapped_column(BigInteger)  # the agent's readings behind it (the contract's n)
    health: Mapped[float | None] = mapped_column(Double)  # the detector's worst anomaly score in the span
    downsampled: Mapped[bool] = mapped_column(default=False)  # raw: the agent's outbox merged intervals
    channels: Mapped[dict[str, Any]]  # {name: [mean, min, max, n]}

    __table_args__ = (
        CheckConstraint("ts_start <= ts_end", name="span_order"),
        CheckConstraint("intervals >= 1", name="intervals_positive"),
        CheckConstraint("readings >= 0", name="readings_non_negative"),
        CheckConstraint("(resolution = 'raw') = (seq IS NOT NULL)", name="seq_only_raw"),
        # compaction finds the rows old enough to merge, across devices
        Index("ix_telemetry_intervals_resolution_ts_start", "resolution", "ts_start"),
    )
