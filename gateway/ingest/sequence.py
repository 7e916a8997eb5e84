"""Where a message's sequence number stands in its device's stream: new, late, duplicate, or an
agent that numbers afresh. Gaps are recorded as lost data.

Any worker may get any message, in any order, more than once. So the judge
reads and writes only the database, under a lock on the (device, stream)
position row (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the
transaction already holds the write lock): two workers judging messages of
one stream take turns, and a gap is opened and filled exactly once.

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

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from heatwatch.gateway.ingest.models import SeqStream, SequenceGap, StreamPosition

MAX_RATE = 10.0  # messages a second one agent stream can carry, at most
JUMP_SLACK = 1000  # seqs an agent may skip with no time passing (a burst, a clock that stands still)


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


def judge_seq(session: Session, device: str, stream: SeqStream, seq: int, ts: datetime, now: datetime,
              downsampled: bool = False) -> SeqJudgement:
    """Record ``seq`` of ``device``'s ``stream`` (agent time ``ts``) and say what it was. A message
    not accepted changes nothing here: the caller counts it (count_message)."""
    p = StreamPosition
    key = and_(p.device_id == device, p.stream == stream)
    first = upsert_ignore(session)(p).values(
        device_id=device, stream=stream, numbering=0, first_seq=seq, last_seq=seq, last_ts=ts,
        last_downsampled=downsampled, received=1, duplicates=0, updated_at=now,
    ).on_conflict_do_nothing().returning(p.last_seq)  # (rowcount is -1 on PostgreSQL here)
    if session.execute(first).first() is not None:
        return SeqJudgement(SeqVerdict.FIRST)
    pos = session.execute(select(p.numbering, p.numbering_since, p.first_seq, p.last_seq, p.last_ts,
                                 p.last_downsampled).where(key).with_for_update()).one()
    accepted = {"received": p.received + 1, "updated_at": now}

    if pos.numbering_since is not None and ts < pos.numbering_since:
        return SeqJudgement(SeqVerdict.OLD_NUMBERING)

    renumbered = {"numbering": pos.numbering + 1, "numbering_since": ts, "first_seq": seq, "last_seq": seq,
                  "last_ts": ts, "last_downsampled": downsampled, **accepted}
    if seq > pos.last_seq:
        elapsed = max(0.0, (ts - pos.last_ts).total_seconds())
        if seq - pos.last_seq > JUMP_SLACK + MAX_RATE * elapsed:
            session.execute(update(p).where(key).values(**renumbered))
            return SeqJudgement(SeqVerdict.RENUMBERED)
        gap = None
        if seq > pos.last_seq + 1:
            gap = (pos.last_seq + 1, seq - 1)
            _open_gap(session, device, stream, pos.numbering, gap, pos.last_downsampled, now)
        session.execute(update(p).where(key).values(last_seq=seq, last_ts=ts, last_downsampled=downsampled,
                                                    **accepted))
        return SeqJudgement(SeqVerdict.NEW, gap)

    if seq < pos.first_seq:
        if ts > pos.last_ts:
            session.execute(update(p).where(key).values(**renumbered))
            return SeqJudgement(SeqVerdict.RENUMBERED)
        gap = None
        if seq < pos.first_seq - 1:
            gap = (seq + 1, pos.first_seq - 1)
            _open_gap(session, device, stream, pos.numbering, gap, downsampled, now)
        session.execute(update(p).where(key).values(first_seq=seq, **accepted))
        return SeqJudgement(SeqVerdict.LATE, gap)

    if _fill_gap(session, device, stream, pos.numbering, seq, downsampled):
        session.execute(update(p).where(key).values(**accepted))
        return SeqJudgement(SeqVerdict.LATE)

    if ts > pos.last_ts:
        session.execute(update(p).where(key).values(**renumbered))
        return SeqJudgement(SeqVerdict.RENUMBERED)

    return SeqJudgement(SeqVerdict.DUPLICATE)


def count_message(session: Session, device: str, stream: SeqStream, accepted: bool, now: datetime) -> None:
    """Count a message judge_seq did not take (refused: a duplicate; or kept anyway, as an event
    with a new id is) on the stream's position."""
    p = StreamPosition
    counter = p.received if accepted else p.duplicates
    session.execute(update(p).where(p.device_id == device, p.stream == stream)
                    .values({counter: counter + 1, p.updated_at: now}))


def _open_gap(session: Session, device: str, stream: SeqStream, numbering: int, gap: tuple[int, int],
              downsampled: bool, now: datetime) -> None:
    session.execute(insert(SequenceGap).values(device_id=device, stream=stream, numbering=numbering,
                                               first_seq=gap[0], last_seq=gap[1], downsampled=downsampled,
                                               detected_at=now))


def _fill_gap(session: Session, device: str, stream: SeqStream, numbering: int, seq: int,
              downsampled: bool) -> bool:
    g = SequenceGap
    gap = session.execute(
        select(g.id, g.first_seq, g.last_seq, g.downsampled, g.detected_at)
        .where(g.device_id == device, g.stream == stream, g.numbering == numbering,
               g.first_seq <= seq, g.last_seq >= seq)
    ).first()
    if gap is None:
        return False
    # seqs right after a downsampled interval were merged into it (the readings came, coarser); a
    # merged run is contiguous, so the rest of the gap after this message follows *this* message
    if gap.first_seq == seq == gap.last_seq:
        session.execute(delete(g).where(g.id == gap.id))
    elif seq == gap.first_seq:
        session.execute(update(g).where(g.id == gap.id).values(first_seq=seq + 1, downsampled=downsampled))
    elif seq == gap.last_seq:
        session.execute(update(g).where(g.id == gap.id).values(last_seq=seq - 1))
    else:
        session.execute(update(g).where(g.id == gap.id).values(last_seq=seq - 1))
        _open_gap(session, device, stream, numbering, (seq + 1, gap.last_seq), downsampled, gap.detected_at)
    return True
