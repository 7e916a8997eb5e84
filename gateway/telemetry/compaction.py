"""Downsampling by age: raw rows into hours, hours into days, and dropping what is past retention.

``compact(db, now, policy)`` is idempotent (a second run with the same
``now`` finds nothing to do) and safe when several workers run it at once, or
while ingest stores: each device is compacted in its own short transactions,
each starting with a lock on the device's row, the lock ingest takes first for
every message of that device. So for one device, compaction and ingest take
turns, and two compactions never merge the same rows twice; different
devices go side by side. A late interval (an agent that was offline for days
sends its backlog) lands as a raw row in an hour already merged: the next run
merges it into that hour's row, or the day's.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.orm import Session

from heatwatch.gateway.db import Database, utcnow
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.telemetry.models import Resolution, TelemetryInterval
from heatwatch.gateway.telemetry.retention import RetentionPolicy, floor_to
from heatwatch.gateway.telemetry.stats import max_health, merge_rows

log = logging.getLogger(__name__)
T = TelemetryInterval
BATCH_ROWS = 5000  # finer rows merged per transaction: bounds how long one device's ingest waits
_STEPS = ((Resolution.RAW, Resolution.HOUR), (Resolution.HOUR, Resolution.DAY))


@dataclass
class CompactionResult:
    devices: int = 0  # devices that had something to do
    expired: int = 0  # rows dropped past retention
    merged: dict[str, int] = field(default_factory=lambda: {"hour": 0, "day": 0})  # finer rows merged into ...
    written: dict[str, int] = field(default_factory=lambda: {"hour": 0, "day": 0})  # ... rows created or updated
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.expired or any(self.merged.values()))


def compact(db: Database, now: datetime, policy: RetentionPolicy, batch_rows: int = BATCH_ROWS) -> CompactionResult:
    """Downsample and drop by age as of ``now``; returns what it did."""
    started = time.perf_counter()
    result = CompactionResult()
    with db.transaction() as s:
        devices = _devices_with_work(s, now, policy)
    for device in devices:
        if _compact_device(db, device, now, policy, batch_rows, result):
            result.devices += 1
    result.seconds = time.perf_counter() - started
    return result


def _devices_with_work(s: Session, now: datetime, policy: RetentionPolicy) -> list[str]:
    horizon = policy.horizon(now)
    found: set[str] = set()
    for resolution in Resolution:  # one range per resolution: the (resolution, ts_start) index serves each
        found.update(s.scalars(select(T.device_id).distinct().where(
            T.resolution == resolution, T.ts_start <= horizon, T.ts_end <= horizon)))
    for source, target in _STEPS:
        found.update(s.scalars(select(T.device_id).distinct().where(
            T.resolution == source, T.ts_start < policy.merge_before(target, now))))
    return sorted(found)


def _compact_device(db: Database, device: str, now: datetime, policy: RetentionPolicy, batch_rows: int,
                    result: CompactionResult) -> bool:
    did = False
    with db.transaction() as s:
        if not _lock_device(s, device):
            return False  # deleted meanwhile: its rows went with it
        expired = s.execute(delete(T).where(T.device_id == device, T.ts_end <= policy.horizon(now))).rowcount
        result.expired += expired
        did = expired > 0
    for source, target in _STEPS:
        before = policy.merge_before(target, now)
        while True:
            with db.transaction() as s:
                if not _lock_device(s, device):
                    return did
                merged, written = _merge_batch(s, device, source, target, before, batch_rows)
            result.merged[target.value] += merged
            result.written[target.value] += written
            did = did or merged > 0
            if merged < batch_rows:
                break
    return did


def _lock_device(s: Session, device: str) -> bool:
    """The lock ingest takes first for each of the device's messages (a no-op on SQLite, where the
    transaction holds the database's write lock already)."""
    return s.execute(select(Device.id).where(Device.id == device).with_for_update()).first() is not None


def _merge_batch(s: Session, device: str, source: Resolution, target: Resolution, before: datetime,
                 limit: int) -> tuple[int, int]:
    """Merge up to ``limit`` of the device's oldest ``source`` rows starting before ``before`` into
    ``target`` rows (adding to those already there); returns (rows merged, target rows written)."""
    mine = and_(T.device_id == device, T.resolution == source, T.ts_start < before)
    rows = s.execute(select(T.ts_start, T.ts_end, T.intervals, T.readings, T.health, T.channels)
                     .where(mine).order_by(T.ts_start).limit(limit)).all()
    if not rows:
        return 0, 0
    buckets: dict[datetime, list[Any]] = defaultdict(list)
    for row in rows:
        buckets[floor_to(row.ts_start, target)].append(row)
    held = {r.ts_start: r for r in s.execute(
        select(T.ts_start, T.ts_end, T.intervals, T.readings, T.health, T.channels)
        .where(T.device_id == device, T.resolution == target, T.ts_start.in_(list(buckets))))}
    for start, members in buckets.items():
        existing = held.get(start)
        values = _combine(members + ([existing] if existing is not None else []))
        if existing is None:
            s.execute(insert(T).values(device_id=device, resolution=target, ts_start=start, seq=None,
                                       downsampled=False, **values))
        else:
            s.execute(update(T).where(T.device_id == device, T.resolution == target, T.ts_start == start)
                      .values(**values))
    # rows are unique per start and the device is locked: everything up to the last start read is
    # exactly what was merged
    s.execute(delete(T).where(mine, T.ts_start <= rows[-1].ts_start))
    return len(rows), len(buckets)


def _combine(rows: Sequence[Any]) -> dict[str, Any]:
    per_channel: dict[str, list[list[float | int]]] = defaultdict(list)
    for row in rows:
        for name, summary in row.channels.items():
            per_channel[name].append(summary)
    return {
        "ts_end": max(r.ts_end for r in rows),
        "intervals": sum(r.intervals for r in rows),
        "readings": sum(r.readings for r in rows),
        "health": max_health(r.health for r in rows),
        "channels": {name: merge_rows(summaries) for name, summaries in sorted(per_channel.items())},
    }


class CompactionSchedule:
    """Runs ``compact`` every ``every`` seconds in a daemon thread until ``stop()``.

    Every worker may run one: they take turns per device. The first run comes
    after a random part of ``every``, so workers started together do not all
    compact at the same moment. A failed run is logged and counted; the next
    one retries (compaction picks up where it stopped).
    """

    def __init__(self, db: Database, policy: RetentionPolicy, every: float,
                 clock: Callable[[], datetime] = utcnow, first_after: float | None = None) -> None:
        self.db = db
        self.policy = policy
        self.every = every
        self.clock = clock
        self.first_after = random.uniform(0, every) if first_after is None else first_after
        self.runs = 0
        self.failures = 0
        self.last: CompactionResult | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="telemetry-compaction", daemon=True)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def start(self) -> CompactionSchedule:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        wait = self.first_after
        while not self._stop.wait(wait):
            wait = self.every
            try:
                self.last = compact(self.db, self.clock(), self.policy)
                self.runs += 1
                if self.last.changed:
                    log.info("telemetry compaction: %d devices, %d rows dropped by age, %s merged, %.2f s",
                             self.last.devices, self.last.expired, self.last.merged, self.last.seconds)
            except Exception:  # the database is down or busy: try again at the next turn
                self.failures += 1
                log.exception("telemetry compaction failed (%d so far); retrying in %.0f s", self.failures,
                              self.every)
