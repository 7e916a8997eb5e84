"""Chart data for uPlot, from the embedded telemetry store (gateway/telemetry/series.py).

One small panel per channel, stacked and sharing the time axis (static/board.js draws them):
channels of different units never share a y-axis. uPlot wants aligned columns, so every panel's
values follow one ``x`` (epoch seconds); the ticket chart adds the predicted trip time to ``x`` and
a ``trend`` column on the prognosis' indicator: a straight line from its last measured value to
the trip threshold at the predicted time, which is what the agent's prognosis extrapolates.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from heatwatch.gateway.board.evidence import Prognosis, describe
from heatwatch.gateway.telemetry import series as store
from heatwatch.gateway.telemetry.stats import KNOWN_CHANNELS

MAX_POINTS = 400  # a panel is a few hundred pixels wide
MAX_PANELS = 5


def channels_for(wanted: Sequence[str]) -> list[str]:
    """Known channel names, once each, at most MAX_PANELS."""
    return [c for c in dict.fromkeys(wanted) if c in KNOWN_CHANNELS][:MAX_PANELS]


def chart(session: Session, device: str, channels: Sequence[str], start: datetime, end: datetime,
          prognosis: Prognosis | None = None, marks: Sequence[tuple[datetime, str]] = ()) -> dict[str, Any]:
    """The JSON document static/board.js draws: ``x``, ``panels`` (channel, label, unit, values,
    trend, threshold), ``marks`` (vertical lines: the fault raised, the predicted trip)."""
    names = channels_for(channels)
    found = store.series(session, device, names, start, end, max_points=MAX_POINTS) if names else None
    points = found.points if found is not None else []
    x = [p.start.timestamp() for p in points]
    panels = []
    for name in names:
        words, unit = describe(name)
        values = [_mean(p, name) for p in points]
        panels.append({"channel": name, "label": f"{words} ({unit})" if unit else words, "unit": unit,
                       "values": values, "trend": None, "threshold": None})
    if prognosis is not None:
        _add_trend(x, panels, prognosis)
    marked = [{"x": at.timestamp(), "label": label} for at, label in marks]
    return {"x": x, "panels": panels, "start": start.timestamp(),
            "end": max([end.timestamp(), *x, *(m["x"] for m in marked)]), "marks": marked}


def _mean(point: store.SeriesPoint, name: str) -> float | None:
    summary = point.channels.get(name)
    return None if summary is None else round(summary.mean, 3)


def _add_trend(x: list[float], panels: list[dict[str, Any]], prognosis: Prognosis) -> None:
    """The indicator's straight line from its last measured point to the threshold at the trip."""
    panel = next((p for p in panels if p["channel"] == prognosis.indicator), None)
    if panel is None:
        return
    panel["threshold"] = prognosis.threshold
    last = max((i for i, v in enumerate(panel["values"]) if v is not None), default=None)
    trip = prognosis.trip_at.timestamp()
    if last is None or trip <= x[last]:
        return
    if trip not in x:  # a column of its own, where it falls in time
        at = bisect.bisect(x, trip)
        x.insert(at, trip)
        for p in panels:
            p["values"].insert(at, None)
    trend: list[float | None] = [None] * len(x)
    trend[last] = panel["values"][last]
    trend[x.index(trip)] = prognosis.threshold
    panel["trend"] = trend


def window_around(first: datetime, last: datetime, now: datetime, before: timedelta = timedelta(days=2),
                  after: timedelta = timedelta(days=1)) -> tuple[datetime, datetime]:
    """From a while before the finding to a while after its latest event, not past now (there is no
    data yet), and at least an hour long."""
    start = first - before
    end = min(now, last + after)
    return start, max(end, last + timedelta(hours=1), start + timedelta(hours=1))
