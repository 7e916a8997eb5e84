"""Reading the embedded store back: time-bucketed series for charts and a ticket's evidence.

``series`` picks the bucket width from the span and ``max_points``: the
smallest of a few round widths (a minute, 5 minutes, ..., a day, a week)
that gives at most ``max_points`` buckets, aligned to UTC. Rows of every
resolution in the span are merged into those buckets, so a chart of the last
four weeks at 500 points shows 2-hour points throughout, built from raw
minutes where the store still has them and from hourly or daily rows where it
does not (a daily row is one point: the store has nothing finer). Each point
says which span its readings really cover.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from heatwatch.gateway.telemetry.models import Resolution, TelemetryInterval
from heatwatch.gateway.telemetry.stats import KNOWN_CHANNELS, ChannelSummary, max_health, merge_rows

T = TelemetryInterval
MAX_POINTS = 10_000  # a chart needs a few hundred; more is a mistake or an attempt to read the table out
# no row spans more: a day row is a day (and the interval straddling its end); an agent's outbox
# merges its intervals only when it reaches its disk bound (100,000 rows: months without a broker)
LONGEST_ROW = timedelta(days=2)
BUCKET_WIDTHS_S = (60, 120, 300, 600, 900, 1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400,
                   2 * 86400, 7 * 86400)


@dataclass(frozen=True)
class SeriesPoint:
    start: datetime  # the first reading merged in (not the bucket's edge: the data's own span)
    end: datetime  # the end of the last one
    intervals: int  # the agent's intervals merged into this point
    readings: int
    health: float | None  # the detector's worst anomaly score in the span
    channels: dict[str, ChannelSummary]  # the channels asked for that had readings


@dataclass(frozen=True)
class Series:
    device: str
    start: datetime
    end: datetime
    bucket_s: int  # width of one point's bucket; a point holds less where the store has less
    channels: tuple[str, ...]
    points: list[SeriesPoint]


def bucket_seconds(start: datetime, end: datetime, max_points: int) -> int:
    """The smallest round width whose UTC-aligned buckets from ``start`` to ``end`` are at most
    ``max_points``."""
    first, last = start.timestamp(), end.timestamp()
    for width in BUCKET_WIDTHS_S:
        if _buckets(first, last, width) <= max_points:
            return width
    days = math.ceil((last - first) / max_points / 86400)
    while _buckets(first, last, days * 86400) > max_points:
        days += 1
    return days * 86400


def _buckets(first: float, last: float, width: int) -> int:
    return math.ceil(last / width) - math.floor(first / width)


def series(session: Session, device: str, channels: Sequence[str] | None, start: datetime, end: datetime,
           max_points: int = 500) -> Series:
    """``device``'s readings from ``start`` to ``end`` (aware datetimes), at most ``max_points`` points,
    oldest first. ``channels``: names from heatwatch.channels (raw or derived); None: every one stored.
    Raises ValueError for an unknown channel, an empty span, or max_points outside 1..MAX_POINTS."""
    wanted = _check(channels, start, end, max_points)
    width = bucket_seconds(start, end, max_points)
    first = math.floor(start.timestamp() / width)
    rows = _read(session, wanted, _span_query(None if wanted is None else tuple(wanted)),
                 {"device": device, "start": start, "end": end, "lower": start - LONGEST_ROW})
    buckets: dict[int, list] = defaultdict(list)
    for row in rows:
        # UTC-aligned; a row that began before ``start`` goes into the first bucket
        buckets[max(first, math.floor(row[0].timestamp() / width))].append(row)
    points = [_point(members) for _, members in sorted(buckets.items())]
    names = tuple(sorted({n for p in points for n in p.channels})) if wanted is None else tuple(wanted)
    return Series(device, start, end, width, names, points)


def latest(session: Session, device: str) -> SeriesPoint | None:
    """The device's newest interval in the store, every channel (a device page's current values)."""
    rows = _rows(session, None, T.device_id == device, T.resolution.in_(list(Resolution)),
                 order=T.ts_start.desc(), limit=1)
    return _point(rows) if rows else None


_Row = tuple[datetime, datetime, int, int, "float | None", dict[str, list]]


@lru_cache(maxsize=128)
def _span_query(wanted: tuple[str, ...] | None) -> Select:
    """A device's rows overlapping a span, the statement built once per channel list: the priority's
    weather outlook asks for the last two days' t_outdoor on every event judged, and building the
    statement cost more than running it. Binds: device, start, end, lower (``start - LONGEST_ROW``,
    a bound for the index: rows by start)."""
    return _select(None if wanted is None else list(wanted), T.device_id == bindparam("device"),
                   T.resolution.in_(list(Resolution)), T.ts_start < bindparam("end"),
                   T.ts_end > bindparam("start"), T.ts_start >= bindparam("lower"))


def _select(wanted: list[str] | None, *where: Any, order: Any = T.ts_start, limit: int | None = None) -> Select:
    """Only the channels asked for are read out of the JSON, in the database: decoding a row's whole
    document (30 channels) for three of them is most of a chart's time."""
    columns = [T.ts_start, T.ts_end, T.intervals, T.readings, T.health]
    picked = [T.channels] if wanted is None else [T.channels[name] for name in wanted]
    query = select(*columns, *picked).where(*where).order_by(order)
    return query if limit is None else query.limit(limit)


def _rows(session: Session, wanted: list[str] | None, *where: Any, order: Any = T.ts_start,
          limit: int | None = None) -> list[_Row]:
    return _read(session, wanted, _select(wanted, *where, order=order, limit=limit))


def _read(session: Session, wanted: list[str] | None, query: Select,
          params: dict[str, Any] | None = None) -> list[_Row]:
    """(start, end, intervals, readings, health, {channel: [mean, min, max, n]}) per row."""
    found: list[_Row] = []
    for row in session.execute(query, params):
        if wanted is None:
            channels = row[5]
        else:
            channels = {name: value for name, value in zip(wanted, row[5:]) if value is not None}
        found.append((row[0], row[1], row[2], row[3], row[4], channels))
    return found


def _check(channels: Sequence[str] | None, start: datetime, end: datetime, max_points: int) -> list[str] | None:
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end need a time zone (UTC)")
    if end <= start:
        raise ValueError(f"end ({end.isoformat()}) must be after start ({start.isoformat()})")
    if not 1 <= max_points <= MAX_POINTS:
        raise ValueError(f"max_points {max_points}: expected 1 to {MAX_POINTS}")
    if channels is None:
        return None
    if isinstance(channels, str):
        raise ValueError("channels: a list of names, not one string")
    unknown = sorted(set(channels) - KNOWN_CHANNELS)
    if unknown:
        raise ValueError(f"unknown channel(s): {', '.join(unknown)}; known: {', '.join(sorted(KNOWN_CHANNELS))}")
    return list(dict.fromkeys(channels))


def _point(rows: Sequence[_Row]) -> SeriesPoint:
    per_channel: dict[str, list[list]] = defaultdict(list)
    for row in rows:
        for name, summary in row[5].items():
            per_channel[name].append(summary)
    return SeriesPoint(
        start=min(r[0] for r in rows),
        end=max(r[1] for r in rows),
        intervals=sum(r[2] for r in rows),
        readings=sum(r[3] for r in rows),
        health=max_health(r[4] for r in rows),
        channels={name: ChannelSummary.from_row(merge_rows(s)) for name, s in sorted(per_channel.items())},
    )
