"""Where a message's sequence number stands in its device's stream: new, late, duplicate, or an
agent that numbers afresh. Gaps are recorded as lost data.

Any worker may get any message, in any order, more than once. So the judge
keeps nothing between transactions: a ``SeqBook`` reads the positions of a
batch's devices once, under a lock (``SELECT ... FOR UPDATE`` on PostgreSQL;
on SQLite the transaction already holds the write lock), judges the batch's
messages in memory in the order they came, and writes each changed position
and gap once before the commit. Two workers judging messages of one stream
take turns, and a gap is opened and filled exactly once. A device's gaps are
read only when one of its messages is not above the highest seq seen (rare:
late and duplicate messages).

Within one numbering a stream's seqs and times rise together, so:

- above the highest seq seen: new; the seqs skipped are a gap. A jump no
  agent could have made in the time that passed (more than ``MAX_RATE``
  messages a second) is a new numbering: an outbox lost and started again
  at its time-based floor.
- below the lowest seen (the first message a worker took was not the
  first sent): late; the seqs between are a gap.
- inside a recorded gap: late; the gap shrinks or splits.
- otherwise seen before, unless its time is newer than the highest seen
  message's: then the agent numbers afresh from below (a lost outbox).
- a message older than the start of the current numbering belongs to an
  earlier one: its seq means nothing now and it is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from heatwatch.gateway.ingest.models import SeqStream, SequenceGap, StreamPosition

MAX_RATE = 10.0  # messages a second one agent stream can carry, at most
JUMP_SLACK = 1000  # seqs an agent may skip with no time passing (a burst, a clock that stands still)

StreamKey = tuple[str, SeqStream]  # (device, stream)
_POSITION_COLUMNS = ("numbering", "numbering_since", "first_seq", "last_seq", "last_ts", "last_downsampled",
                     "received", "duplicates", "updated_at")


class SeqVerdict(StrEnum):
    FIRST = "first"  # the first message ever on this stream
    NEW = "new"
    LATE = "late"
    RENUMBERED = "renumbered"  # the first message of a new numbering
    DUPLICATE = "duplicate"
    OLD_NUMBERING = "old_numbering"  # from before the agent numbered afresh

    @property
    def accepted(self) -> bool:
        return self not in (SeqVerdict.DUPLICATE, SeqVerdict.OLD_NUMBERING)


@dataclass(frozen=True)
class SeqJudgement:
    verdict: SeqVerdict
    gap: tuple[int, int] | None = None  # seqs found missing by this message (inclusive)


def upsert_ignore(session: Session):
    """The dialect's INSERT with ON CONFLICT DO NOTHING (both backends have it)."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


@dataclass
class _Position:
    """One stream_positions row as the batch sees it."""

    numbering: int
    numbering_since: datetime | None
    first_seq: int
    last_seq: int
    last_ts: datetime
    last_downsampled: bool
    received: int
    duplicates: int
    stored: bool  # the row exists in the database (else: inserted at flush)
    changed: bool = False


@dataclass
class _Gap:
    id: int | None  # None: opened in this batch
    numbering: int
    first_seq: int
    last_seq: int
    downsampled: bool
    detected_at: datetime
    changed: bool = False
    deleted: bool = False


@dataclass
class SeqBook:
    """The sequence positions of one transaction's devices: read once, judged in memory, written
    once (``flush``) before the commit. Lock the devices' rows before (ingest does)."""

    session: Session
    now: datetime
    _positions: dict[StreamKey, _Position | None] = field(default_factory=dict)
    _gaps: dict[StreamKey, list[_Gap]] = field(default_factory=dict)

    def load(self, keys: Iterable[StreamKey]) -> SeqBook:
        wanted = {key for key in keys if key not in self._positions}
        if not wanted:
            return self
        p = StreamPosition
        rows = self.session.execute(
            select(p.device_id, p.stream, p.numbering, p.numbering_since, p.first_seq, p.last_seq, p.last_ts,
                   p.last_downsampled, p.received, p.duplicates)
            .where(p.device_id.in_(sorted({d for d, _ in wanted}))).order_by(p.device_id, p.stream)
            .with_for_update())
        for r in rows:
            key = (r.device_id, SeqStream(r.stream))
            if key in wanted:
                self._positions[key] = _Position(r.numbering, r.numbering_since, r.first_seq, r.last_seq, r.last_ts,
                                                 r.last_downsampled, r.received, r.duplicates, stored=True)
        for key in wanted:
            self._positions.setdefault(key, None)
        return self

    def judge(self, device: str, stream: SeqStream, seq: int, ts: datetime,
              downsampled: bool = False) -> SeqJudgement:
        """Record ``seq`` of ``device``'s ``stream`` (agent time ``ts``) and say what it was. A message
        not accepted changes nothing here: the caller counts it (``count``)."""
        key = (device, stream)
        self.load([key])
        pos = self._positions[key]
        if pos is None:
            self._positions[key] = _Position(0, None, seq, seq, ts, downsampled, received=1, duplicates=0,
                                             stored=False, changed=True)
            return SeqJudgement(SeqVerdict.FIRST)
        if pos.numbering_since is not None and ts < pos.numbering_since:
            return SeqJudgement(SeqVerdict.OLD_NUMBERING)

        if seq > pos.last_seq:
            elapsed = max(0.0, (ts - pos.last_ts).total_seconds())
            if seq - pos.last_seq > JUMP_SLACK + MAX_RATE * elapsed:
                return self._renumber(pos, seq, ts, downsampled)
            gap = None
            if seq > pos.last_seq + 1:
                gap = (pos.last_seq + 1, seq - 1)
                self._open_gap(key, pos.numbering, gap, pos.last_downsampled, self.now)
            pos.last_seq, pos.last_ts, pos.last_downsampled = seq, ts, downsampled
            self._accept(pos)
            return SeqJudgement(SeqVerdict.NEW, gap)

        if seq < pos.first_seq:
            if ts > pos.last_ts:
                return self._renumber(pos, seq, ts, downsampled)
            gap = None
            if seq < pos.first_seq - 1:
                gap = (seq + 1, pos.first_seq - 1)
                self._open_gap(key, pos.numbering, gap, downsampled, self.now)
            pos.first_seq = seq
            self._accept(pos)
            return SeqJudgement(SeqVerdict.LATE, gap)

        if self._fill_gap(key, pos.numbering, seq, downsampled):
            self._accept(pos)
            return SeqJudgement(SeqVerdict.LATE)

        if ts > pos.last_ts:
            return self._renumber(pos, seq, ts, downsampled)
        return SeqJudgement(SeqVerdict.DUPLICATE)

    def count(self, device: str, stream: SeqStream, accepted: bool) -> None:
        """Count a message ``judge`` did not take (refused: a duplicate; or kept anyway, as an event
        with a new id is) on the stream's position, if it has one."""
        key = (device, stream)
        self.load([key])
        pos = self._positions[key]
        if pos is None:
            return
        if accepted:
            pos.received += 1
        else:
            pos.duplicates += 1
        pos.changed = True

    def flush(self) -> None:
        """Write what changed: one statement per kind of change, each with all its rows."""
        conn = self.session.connection()
        p, g = StreamPosition, SequenceGap
        new, changed = [], []
        for (device, stream), pos in self._positions.items():
            if pos is None or not pos.changed:
                continue
            row = {c: self.now if c == "updated_at" else getattr(pos, c) for c in _POSITION_COLUMNS}
            if pos.stored:
                changed.append({"b_device": device, "b_stream": stream, **{f"b_{k}": v for k, v in row.items()}})
            else:
                new.append(dict(device_id=device, stream=stream, **row))
            pos.stored, pos.changed = True, False
        if changed:
            conn.execute(update(p).where(p.device_id == bindparam("b_device"), p.stream == bindparam("b_stream"))
                         .values({c: bindparam(f"b_{c}") for c in _POSITION_COLUMNS}), changed)
        if new:
            conn.execute(insert(p), new)
        gaps = [(key, gap) for key, kept in self._gaps.items() for gap in kept]
        gone = [gap.id for _, gap in gaps if gap.deleted and gap.id is not None]
        if gone:
            conn.execute(delete(g).where(g.id.in_(gone)))
        moved = [{"b_id": gap.id, "b_first_seq": gap.first_seq, "b_last_seq": gap.last_seq,
                  "b_downsampled": gap.downsampled}
                 for _, gap in gaps if gap.changed and not gap.deleted and gap.id is not None]
        if moved:
            conn.execute(update(g).where(g.id == bindparam("b_id")).values(
                first_seq=bindparam("b_first_seq"), last_seq=bindparam("b_last_seq"),
                downsampled=bindparam("b_downsampled")), moved)
        opened = [dict(device_id=device, stream=stream, numbering=gap.numbering, first_seq=gap.first_seq,
                       last_seq=gap.last_seq, downsampled=gap.downsampled, detected_at=gap.detected_at)
                  for (device, stream), gap in gaps if gap.id is None and not gap.deleted]
        if opened:
            conn.execute(insert(g), opened)
        self._gaps.clear()  # read afresh if the book is used again (ids of the new rows are unknown)

    # ---- in memory ---------------------------------------------------------------------------
    def _accept(self, pos: _Position) -> None:
        pos.received += 1
        pos.changed = True

    def _renumber(self, pos: _Position, seq: int, ts: datetime, downsampled: bool) -> SeqJudgement:
        pos.numbering += 1
        pos.numbering_since, pos.first_seq, pos.last_seq, pos.last_ts, pos.last_downsampled = (
            ts, seq, seq, ts, downsampled)
        self._accept(pos)
        return SeqJudgement(SeqVerdict.RENUMBERED)

    def _gaps_of(self, key: StreamKey) -> list[_Gap]:
        if key not in self._gaps:
            g = SequenceGap
            rows = self.session.execute(
                select(g.id, g.numbering, g.first_seq, g.last_seq, g.downsampled, g.detected_at)
                .where(g.device_id == key[0], g.stream == key[1]).order_by(g.numbering, g.first_seq))
            self._gaps[key] = [_Gap(r.id, r.numbering, r.first_seq, r.last_seq, r.downsampled, r.detected_at)
                               for r in rows]
        return self._gaps[key]

    def _open_gap(self, key: StreamKey, numbering: int, gap: tuple[int, int], downsampled: bool,
                  detected_at: datetime) -> None:
        self._gaps_of(key).append(_Gap(None, numbering, gap[0], gap[1], downsampled, detected_at))

    def _fill_gap(self, key: StreamKey, numbering: int, seq: int, downsampled: bool) -> bool:
        gap = next((gap for gap in self._gaps_of(key) if not gap.deleted and gap.numbering == numbering
                    and gap.first_seq <= seq <= gap.last_seq), None)
        if gap is None:
            return False
        # seqs right after a downsampled interval were merged into it (the readings came, coarser); a
        # merged run is contiguous, so the rest of the gap after this message follows *this* message
        gap.changed = True
        if gap.first_seq == seq == gap.last_seq:
            gap.deleted = True
        elif seq == gap.first_seq:
            gap.first_seq, gap.downsampled = seq + 1, downsampled
        elif seq == gap.last_seq:
            gap.last_seq = seq - 1
        else:
            rest = (seq + 1, gap.last_seq)
            gap.last_seq = seq - 1
            self._open_gap(key, numbering, rest, downsampled, gap.detected_at)
        return True


def judge_seq(session: Session, device: str, stream: SeqStream, seq: int, ts: datetime, now: datetime,
              downsampled: bool = False) -> SeqJudgement:
    """One message's judgement in its own book (written at once): for callers outside a batch."""
    book = SeqBook(session, now)
    judgement = book.judge(device, stream, seq, ts, downsampled)
    book.flush()
    return judgement
