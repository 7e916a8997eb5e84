"""The durable outbox between reading and publishing.

Every telemetry interval and every event is written here, with its sequence
number, *before* anything tries to send it; the publisher deletes a row only
when the broker has acknowledged it (PUBACK). So a broker outage, a dead
network or a crashed agent loses nothing that ``put_*`` returned for.

Storage: one SQLite file in WAL mode. ``synchronous=FULL`` by default: a put
is on disk (WAL fsynced) when it returns, which is the promise; ``NORMAL``
survives a crash of the process but may lose the last puts on power loss, and
is offered for SD cards where fsyncs are slow. The file is checked on open;
a corrupt file is moved aside (``<name>.corrupt-<unix time>``), logged, and a
fresh outbox starts: losing a backlog is bad, an agent that never starts again
is worse. Sequences in the fresh file start at a time-based floor (ms since
the epoch) so the gateway never mistakes new messages for duplicates of old.

Order: ``next_batch`` hands out events before telemetry (after an outage the
gateway hears of a leak before hours of routine readings), each stream in its
own seq order.

Bound: pending telemetry is kept under ``max_telemetry_rows`` (and optionally
``max_telemetry_bytes``) by *downsampling* the oldest unsent rows: adjacent
intervals are merged in pairs (mean weighted by n, min of mins, max of maxes,
n summed, health max) and marked ``downsampled=True``. The merged row keeps
the seq of the first row of its run; the seqs of the rows it absorbed are
never sent (the gateway sees a seq gap covered by a downsampled row whose
``ts_start..ts_end`` spans it). Rows already handed to the publisher are never
rewritten, so a seq the gateway may already hold never changes meaning.
Events are never merged and never dropped.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from pydantic import ValidationError

from heatwatch.contract import ChannelStats, Event, EventBody, Telemetry, agent_topic

log = logging.getLogger(__name__)

# Pending telemetry rows kept before the oldest are downsampled: about 70 days of
# one-minute intervals. What an edge.toml without [outbox] max_telemetry_rows gets.
DEFAULT_MAX_TELEMETRY_ROWS = 100_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seqs (
    device TEXT NOT NULL, stream TEXT NOT NULL, next_seq INTEGER NOT NULL,
    PRIMARY KEY (device, stream)
);
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    device TEXT NOT NULL,
    stream TEXT NOT NULL CHECK (stream IN ('event', 'telemetry')),
    seq INTEGER NOT NULL,
    created REAL NOT NULL,
    sent INTEGER NOT NULL DEFAULT 0,
    level INTEGER NOT NULL DEFAULT 0,  -- times merged: 0 = as aggregated
    payload BLOB NOT NULL,
    UNIQUE (device, stream, seq)
);
CREATE INDEX IF NOT EXISTS items_order ON items (stream, device, seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class OutboxError(ValueError):
    """Input the outbox refuses (not a valid Event/Telemetry); the text says why."""


@dataclass(frozen=True)
class OutboxItem:
    """One pending message: what to publish where, and how to ack it."""

    id: int
    device: str
    stream: str  # "event" | "telemetry"
    seq: int
    created: float  # wall-clock time of the put
    payload: bytes  # contract JSON, seq included

    @property
    def topic(self) -> str:
        return agent_topic(self.device, self.stream)


@dataclass
class OutboxCounters:
    events_queued: int = 0
    telemetry_queued: int = 0
    acked: int = 0
    downsampled_rows: int = 0  # rows absorbed into a merged row
    rejected: int = 0  # put_* calls refused as invalid
    corrupt_files_moved: int = 0
    pending_events: int = 0
    pending_telemetry: int = 0
    pending_telemetry_bytes: int = 0
    oldest_pending_age: float = 0.0  # seconds, 0 when empty

    def as_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


@dataclass
class Outbox:
    """Durable, bounded, ordered store of messages waiting for a PUBACK.

    Thread-safe: the reading loop puts, the publisher's thread takes and acks.
    """

    path: str | Path
    max_telemetry_rows: int = DEFAULT_MAX_TELEMETRY_ROWS
    max_telemetry_bytes: int | None = None
    synchronous: str = "FULL"
    # after a downsample, pending telemetry is brought to this share of the bound
    # so merging happens in runs, not on every put
    low_water: float = 0.9
    counters: OutboxCounters = field(default_factory=OutboxCounters)

    def __post_init__(self) -> None:
        if self.synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError(f"synchronous must be FULL, NORMAL or EXTRA, not {self.synchronous!r}")
        if self.max_telemetry_rows < 4:
            raise ValueError("max_telemetry_rows must be at least 4")
        self.path = Path(self.path)
        self._lock = threading.RLock()
        self._leased: set[int] = set()  # ids handed out and not yet acked, this process
        self.changed = threading.Event()  # set on every put; the publisher waits on it
        self._db = self._open()
        row = self._db.execute("SELECT value FROM meta WHERE key='seq_floor'").fetchone()
        self._seq_floor = int(row[0]) if row else 0
        self._refresh_pending()

    # ---- opening -------------------------------------------------------
    def _open(self) -> sqlite3.Connection:
        try:
            return self._connect_and_check()
        except sqlite3.DatabaseError as exc:
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            log.error("outbox %s is corrupt (%s); moved aside to %s, starting empty", self.path, exc, aside)
            for suffix in ("", "-wal", "-shm"):
                src = Path(f"{self.path}{suffix}")
                if src.exists():
                    os.replace(src, f"{aside}{suffix}")
            self.counters.corrupt_files_moved += 1
            db = self._connect_and_check()
            # the gateway already holds seqs from the lost file: restarting at 0 would make
            # new messages look like duplicates, so new sequences start at a time-based floor
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('seq_floor', ?)",
                       (int(time.time() * 1000),))
            return db

    def _connect_and_check(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        try:
            mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise sqlite3.DatabaseError(f"cannot enable WAL (journal_mode={mode})")
            db.execute(f"PRAGMA synchronous={self.synchronous.upper()}")
            result = db.execute("PRAGMA integrity_check").fetchall()
            if result != [("ok",)]:
                raise sqlite3.DatabaseError(f"integrity_check: {result[:3]}")
            db.executescript(_SCHEMA)
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ---- putting -------------------------------------------------------
    def put_event(self, event: EventBody | Mapping[str, Any]) -> int:
        """Store an event durably; returns its seq. ``seq`` given by the caller is
        replaced (the outbox owns the numbering); a missing ``event_id`` is made."""
        fields = self._fields(event)
        fields.setdefault("event_id", uuid.uuid4().hex)
        return self._put("event", Event, fields)

    def put_telemetry(self, telemetry: Telemetry | Mapping[str, Any]) -> int:
        """Store one aggregated interval durably; returns its seq."""
        seq = self._put("telemetry", Telemetry, self._fields(telemetry))
        self._enforce_bound()
        return seq

    def _fields(self, msg: Any) -> dict[str, Any]:
        if hasattr(msg, "model_dump"):
            return msg.model_dump()
        if isinstance(msg, Mapping):
            return dict(msg)
        self.counters.rejected += 1
        raise OutboxError(f"expected a contract model or a mapping of fields, got {type(msg).__name__}")

    def _put(self, stream: str, model: type[Event] | type[Telemetry], fields: dict[str, Any]) -> int:
        device = fields.get("device")
        fields["seq"] = 0  # placeholder: validate everything before taking a seq
        try:
            msg = model.model_validate(fields)
        except ValidationError as exc:
            self.counters.rejected += 1
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(root)"
            raise OutboxError(f"{stream} refused: field {where!r}: {first['msg']}") from None
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute(
                    "SELECT next_seq FROM seqs WHERE device=? AND stream=?", (device, stream)
                ).fetchone()
                seq = row[0] if row else self._seq_floor
                msg.seq = seq
                payload = msg.to_json()
                db.execute(
                    "INSERT INTO items (device, stream, seq, created, payload) VALUES (?,?,?,?,?)",
                    (device, stream, seq, time.time(), payload),
                )
                db.execute(
                    "INSERT INTO seqs (device, stream, next_seq) VALUES (?,?,?) "
                    "ON CONFLICT (device, stream) DO UPDATE SET next_seq=excluded.next_seq",
                    (device, stream, seq + 1),
                )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
            if stream == "event":
                self.counters.events_queued += 1
                self.counters.pending_events += 1
            else:
                self.counters.telemetry_queued += 1
                self.counters.pending_telemetry += 1
                self.counters.pending_telemetry_bytes += len(payload)
        self.changed.set()
        return seq

    # ---- taking and acking ---------------------------------------------
    def next_batch(self, limit: int) -> list[OutboxItem]:
        """Up to ``limit`` pending items not already handed out: events first.

        Handed-out items are marked ``sent`` on disk (so downsampling never
        rewrites them) and leased in memory until acked or ``release()``d.
        """
        if limit <= 0:
            return []
        with self._lock:
            out: list[OutboxItem] = []
            for stream in ("event", "telemetry"):
                want = limit - len(out)
                if want <= 0:
                    break
                # leased ids are excluded in Python: the lease set is small (the in-flight window)
                rows = self._db.execute(
                    "SELECT id, device, stream, seq, created, payload FROM items "
                    "WHERE stream=? ORDER BY device, seq LIMIT ?",
                    (stream, want + len(self._leased)),
                ).fetchall()
                out.extend(OutboxItem(*r) for r in rows if r[0] not in self._leased)
            out = out[:limit]
            if out:
                ids = [it.id for it in out]
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany("UPDATE items SET sent=1 WHERE id=?", [(i,) for i in ids])
                self._db.execute("COMMIT")
                self._leased.update(ids)
            return out

    def ack(self, items: Iterable[OutboxItem | int]) -> int:
        """Mark items delivered (deleted); returns how many were still pending."""
        ids = [it.id if isinstance(it, OutboxItem) else int(it) for it in items]
        if not ids:
            return 0
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            gone = 0
            for i in ids:
                row = db.execute("SELECT stream, length(payload) FROM items WHERE id=?", (i,)).fetchone()
                if row is None:
                    continue
                db.execute("DELETE FROM items WHERE id=?", (i,))
                gone += 1
                if row[0] == "event":
                    self.counters.pending_events -= 1
                else:
                    self.counters.pending_telemetry -= 1
                    self.counters.pending_telemetry_bytes -= row[1]
            db.execute("COMMIT")
            self._leased.difference_update(ids)
            self.counters.acked += gone
            return gone

    def release(self, items: Iterable[OutboxItem | int] | None = None) -> None:
        """Return leased items to the pending pool (all when ``items`` is None),
        e.g. when the MQTT client that held them in flight is thrown away."""
        with self._lock:
            if items is None:
                self._leased.clear()
            else:
                self._leased.difference_update(it.id if isinstance(it, OutboxItem) else int(it) for it in items)
        self.changed.set()

    # ---- observing -----------------------------------------------------
    def pending(self, stream: str | None = None) -> list[OutboxItem]:
        """All pending items in publish order (for tests and diagnostics)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, device, stream, seq, created, payload FROM items "
                + ("WHERE stream=? " if stream else "")
                + "ORDER BY stream='telemetry', device, seq",
                (stream,) if stream else (),
            ).fetchall()
        return [OutboxItem(*r) for r in rows]

    def stats(self) -> dict[str, float]:
        with self._lock:
            oldest = self._db.execute("SELECT min(created) FROM items").fetchone()[0]
            self.counters.oldest_pending_age = max(0.0, time.time() - oldest) if oldest else 0.0
            return self.counters.as_dict()

    def _refresh_pending(self) -> None:
        with self._lock:
            c = self.counters
            c.pending_events = self._db.execute("SELECT count(*) FROM items WHERE stream='event'").fetchone()[0]
            c.pending_telemetry, c.pending_telemetry_bytes = self._db.execute(
                "SELECT count(*), coalesce(sum(length(payload)), 0) FROM items WHERE stream='telemetry'"
            ).fetchone()

    # ---- the disk bound ------------------------------------------------
    def _over_bound(self, rows: int, nbytes: int) -> bool:
        return rows > self.max_telemetry_rows or (
            self.max_telemetry_bytes is not None and nbytes > self.max_telemetry_bytes
        )

    def _enforce_bound(self) -> None:
        c = self.counters
        if not self._over_bound(c.pending_telemetry, c.pending_telemetry_bytes):
            return
        with self._lock:
            target_rows = int(self.max_telemetry_rows * self.low_water)
            target_bytes = (
                int(self.max_telemetry_bytes * self.low_water) if self.max_telemetry_bytes else None
            )
            while c.pending_telemetry > target_rows or (
                target_bytes is not None and c.pending_telemetry_bytes > target_bytes
            ):
                want = c.pending_telemetry - target_rows
                if target_bytes is not None and c.pending_telemetry_bytes > target_bytes:
                    share = 1.0 - target_bytes / c.pending_telemetry_bytes
                    want = max(want, int(c.pending_telemetry * share) + 1)
                if not self._merge_oldest_pairs(want):
                    log.warning("outbox over its telemetry bound but nothing left to merge (all rows in flight)")
                    break

    def _merge_oldest_pairs(self, want_fewer: int) -> bool:
        """Merge ``want_fewer`` pairs of unsent telemetry rows, each pair adjacent in
        seq order and at the lowest merge level present, oldest first. Finest rows
        go first, so the backlog's resolution stays even (no row swallows the rest).
        Returns False when nothing could be merged."""
        want_fewer = max(1, want_fewer)
        db = self._db
        rows = db.execute(
            "SELECT id, device, seq, level FROM items WHERE stream='telemetry' AND sent=0 "
            "ORDER BY device, seq"
        ).fetchall()
        pairs: list[tuple[int, int]] = []
        levels = sorted({r[3] for r in rows})
        for level in levels:
            i = 0
            while i + 1 < len(rows) and len(pairs) < want_fewer:
                a, b = rows[i], rows[i + 1]
                if a[1] == b[1] and a[3] == level and b[3] == level:
                    pairs.append((a[0], b[0]))
                    i += 2
                else:
                    i += 1
            if pairs:
                break  # one level per round: the next round sees the new levels
        if not pairs:
            return False
        db.execute("BEGIN IMMEDIATE")
        try:
            for ida, idb in pairs:
                (pa, la), (pb, lb) = (
                    db.execute("SELECT payload, level FROM items WHERE id=?", (i,)).fetchone() for i in (ida, idb)
                )
                merged = merge_telemetry(Telemetry.model_validate_json(pa), Telemetry.model_validate_json(pb))
                payload = merged.to_json()
                db.execute("UPDATE items SET payload=?, level=? WHERE id=?", (payload, max(la, lb) + 1, ida))
                db.execute("DELETE FROM items WHERE id=?", (idb,))
                self.counters.pending_telemetry -= 1
                self.counters.pending_telemetry_bytes += len(payload) - len(pa) - len(pb)
                self.counters.downsampled_rows += 1
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            self._refresh_pending()
            raise
        return True


def merge_telemetry(a: Telemetry, b: Telemetry) -> Telemetry:
    """One interval covering ``a`` then ``b``; keeps ``a``'s seq (see module doc)."""
    channels: dict[str, ChannelStats] = {}
    for name in list(a.channels) + [k for k in b.channels if k not in a.channels]:
        sa, sb = a.channels.get(name, ChannelStats()), b.channels.get(name, ChannelStats())
        n = sa.n + sb.n
        if n == 0:
            channels[name] = ChannelStats()
            continue
        total = (sa.mean or 0.0) * sa.n + (sb.mean or 0.0) * sb.n
        channels[name] = ChannelStats(
            mean=total / n,
            min=_opt(min, sa.min, sb.min),
            max=_opt(max, sa.max, sb.max),
            n=n,
        )
    return Telemetry(
        device=a.device,
        seq=min(a.seq, b.seq),
        ts_start=min(a.ts_start, b.ts_start),
        ts_end=max(a.ts_end, b.ts_end),
        n=a.n + b.n,
        channels=channels,
        health=_opt(max, a.health, b.health),
        downsampled=True,
    )


def _opt(fn: Any, x: float | None, y: float | None) -> float | None:
    vals = [v for v in (x, y) if v is not None and not math.isnan(v)]
    return fn(vals) if vals else None




def load_payload(item: OutboxItem) -> dict[str, Any]:
    """The item's message as a dict (diagnostics)."""
    return json.loads(item.payload)
