"""Tables: ingest's bookkeeping, so any worker can take any device's next message.

A shared subscription hands a device's messages to whichever worker is free,
and QoS 1 may hand the same message over twice (to two workers). So nothing
about what was already received lives in a worker; it lives here, guarded by
keys the database enforces:

- ``processed_events``: one row per event id (the primary key). Whichever
  worker inserts it first handles the event; the other's insert is refused
  and it counts a duplicate.
- ``stream_positions``: per device and stream (the contract numbers
  telemetry and events separately) the lowest and highest sequence number
  received and the agent's time of the highest; a worker locks the row
  while it judges a message's seq.
- ``sequence_gaps``: seqs skipped between two received messages, i.e. data
  lost per device; a late message inside a gap shrinks or splits it. A gap
  behind a downsampled telemetry interval is marked: those readings came,
  merged, not lost.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from heatwatch.gateway.db import Base, enum_type, utcnow


class SeqStream(StrEnum):
    """The agent streams that carry a sequence number (status does not)."""

    TELEMETRY = "telemetry"
    EVENT = "event"


class ProcessedEvent(Base):
    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the contract's event_id
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))  # fault | fault_update | fault_cleared | ...
    fault: Mapped[str | None] = mapped_column(String(64))
    ts: Mapped[datetime]  # the agent's time of the event
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    payload: Mapped[dict[str, Any]]  # the event as received: findings and prognosis are a ticket's evidence

    __table_args__ = (
        CheckConstraint("length(event_id) BETWEEN 8 AND 64", name="event_id_length"),
        Index("ix_processed_events_device_id_ts", "device_id", "ts"),
    )


class StreamPosition(Base):
    """Where one device's stream stands: the seqs received so far in its current numbering.

    An agent that loses its outbox numbers afresh (from 0, or from a time-based
    floor far above): a new *numbering*. Seqs of different numberings are not
    comparable, so the position counts numberings and the gaps say which one
    they belong to.
    """

    __tablename__ = "stream_positions"

    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    stream: Mapped[SeqStream] = mapped_column(enum_type(SeqStream, "seq_stream"), primary_key=True)
    numbering: Mapped[int] = mapped_column(default=0)  # 0, then one more each time the agent numbers afresh
    numbering_since: Mapped[datetime | None]  # the agent's time of the first message of this numbering (>0)
    first_seq: Mapped[int] = mapped_column(BigInteger)  # lowest seq received in this numbering
    last_seq: Mapped[int] = mapped_column(BigInteger)  # highest seq received in this numbering
    last_ts: Mapped[datetime]  # the agent's time of the message at last_seq
    last_downsampled: Mapped[bool] = mapped_column(default=False)  # that message merged later seqs into itself
    received: Mapped[int] = mapped_column(BigInteger, default=0)  # messages accepted on this stream
    duplicates: Mapped[int] = mapped_column(BigInteger, default=0)  # re-deliveries refused
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (CheckConstraint("first_seq <= last_seq", name="seq_order"),)


class SequenceGap(Base):
    """Seqs ``first_seq..last_seq`` (inclusive) of one device's stream that never arrived."""

    __tablename__ = "sequence_gaps"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    stream: Mapped[SeqStream] = mapped_column(enum_type(SeqStream, "seq_stream"))
    numbering: Mapped[int] = mapped_column(default=0)  # the position's numbering these seqs belong to
    first_seq: Mapped[int] = mapped_column(BigInteger)
    last_seq: Mapped[int] = mapped_column(BigInteger)
    # the agent's outbox merged these intervals into the downsampled one before the gap (it keeps
    # the first seq of the run): the readings arrived, only their resolution was lost
    downsampled: Mapped[bool] = mapped_column(default=False)
    detected_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        CheckConstraint("first_seq <= last_seq", name="seq_order"),
        CheckConstraint("first_seq >= 0", name="seq_non_negative"),
        UniqueConstraint("device_id", "stream", "numbering", "first_seq"),
    )
