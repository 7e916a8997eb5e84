"""Keeping one accepted telemetry interval in the embedded store, inside ingest's transaction.

Ingest deduplicates by seq already; the store does not rely on it: the row's
key (device, resolution, start) makes a second insert of the same interval a
no-op, so a message that two workers both accepted (or a retry after a commit
whose acknowledgement was lost) is still kept once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from heatwatch.contract import Telemetry
from heatwatch.gateway.db import from_unix
from heatwatch.gateway.ingest.sequence import upsert_ignore
from heatwatch.gateway.telemetry.models import Resolution, TelemetryInterval
from heatwatch.gateway.telemetry.stats import IntervalReadings, readings_of


@dataclass(frozen=True)
class Stored:
    kept: bool  # False: already there, or older than the store keeps
    reason: str  # stored | duplicate | expired
    readings: IntervalReadings


def record(session: Session, message: Telemetry, now: datetime, retention: timedelta) -> Stored:
    """Insert ``message`` as a raw row. An interval that ended before the retention horizon is not
    kept (compaction would drop it at once)."""
    readings = readings_of(message)
    end = from_unix(message.ts_end)
    if end <= now - retention:
        return Stored(False, "expired", readings)
    kept = session.connection().execute(_insert(session), _row(message, readings, end)).first() is not None
    return Stored(kept, "stored" if kept else "duplicate", readings)


def record_many(session: Session, messages: Sequence[Telemetry], now: datetime,
                retention: timedelta) -> list[Stored]:
    """``record`` for each message, all rows in one INSERT (an ingest batch: one statement instead of
    one per message)."""
    readings = [readings_of(m) for m in messages]
    ends = [from_unix(m.ts_end) for m in messages]
    horizon = now - retention
    rows = [_row(m, r, end) for m, r, end in zip(messages, readings, ends) if end > horizon]
    kept: set[tuple[str, datetime]] = set()
    if rows:
        result = session.connection().execute(_insert_many(session), rows)
        kept = {(r.device_id, r.ts_start) for r in result}
    return [Stored(False, "expired", r) if end <= horizon else
            Stored(True, "stored", r) if (m.device, from_unix(m.ts_start)) in kept else
            Stored(False, "duplicate", r)
            for m, r, end in zip(messages, readings, ends)]


def _row(message: Telemetry, readings: IntervalReadings, end: datetime) -> dict[str, Any]:
    return dict(device_id=message.device, resolution=Resolution.RAW, ts_start=from_unix(message.ts_start),
                ts_end=end, seq=message.seq, intervals=1, readings=message.n, health=readings.health,
                downsampled=message.downsampled, channels={k: v.to_row() for k, v in readings.channels.items()})


_INSERTS: dict[str, Any] = {}


def _insert(session: Session) -> Any:
    """One constant statement per backend, run on the session's connection: building the INSERT
    for each message through the ORM cost four times the insert itself."""
    dialect = session.get_bind().dialect.name
    if dialect not in _INSERTS:
        _INSERTS[dialect] = (upsert_ignore(session)(TelemetryInterval).on_conflict_do_nothing()
                             .returning(TelemetryInterval.seq))
    return _INSERTS[dialect]


def _insert_many(session: Session) -> Any:
    dialect = f"{session.get_bind().dialect.name}-many"
    if dialect not in _INSERTS:
        t = TelemetryInterval
        _INSERTS[dialect] = (upsert_ignore(session)(t).on_conflict_do_nothing().returning(t.device_id, t.ts_start))
    return _INSERTS[dialect]
