"""What the KPI page's charts draw (uPlot's aligned columns): per week, the failures seen coming and
not; the lead times in bands; per week, CSAT and NPS. Weeks start on Monday 00:00 UTC; ``x`` is epoch
seconds of each week's start. The same selections as figures.py, so the charts add up to the figures."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from heatwatch.gateway.feedback.models import SurveyResponse
from heatwatch.gateway.kpis.figures import Period, nps_of, tripped_tickets

WEEK = timedelta(days=7)
DAY = 86400.0
# lead-time bands in days: [low, high), the first is "no warning" (opened at or after the trip)
LEAD_BANDS: tuple[tuple[str, float, float], ...] = (
    ("no warning", 0.0, 0.0), ("< 1 d", 0.0, 1.0), ("1-3 d", 1.0, 3.0), ("3-7 d", 3.0, 7.0),
    ("7-14 d", 7.0, 14.0), ("14-30 d", 14.0, 30.0), ("30 d +", 30.0, float("inf")))


def week_of(at: datetime) -> datetime:
    day = at.replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=day.weekday())


def weeks(period: Period) -> list[datetime]:
    first, out = week_of(period.start), []
    while first < period.end:
        out.append(first)
        first += WEEK
    return out


def weekly_failures(session: Session, period: Period) -> dict[str, Any]:
    """Per week of the first trip: tickets opened before it, and at or after it."""
    starts = weeks(period)
    index = {w: i for i, w in enumerate(starts)}
    before, after = [0] * len(starts), [0] * len(starts)
    for opened, trip in tripped_tickets(session, period):
        (before if opened < trip else after)[index[week_of(trip)]] += 1
    return {"x": [w.timestamp() for w in starts], "before": before, "after": after}


def lead_bands(session: Session, period: Period) -> dict[str, Any]:
    """How many tripped tickets fall in each lead-time band (LEAD_BANDS)."""
    counts = [0] * len(LEAD_BANDS)
    for opened, trip in tripped_tickets(session, period):
        days = (trip - opened).total_seconds() / DAY
        if days <= 0:
            counts[0] += 1
            continue
        counts[next(i for i, (_, lo, hi) in enumerate(LEAD_BANDS) if i and lo <= days < hi)] += 1
    return {"labels": [b[0] for b in LEAD_BANDS], "counts": counts}


def weekly_feedback(session: Session, period: Period) -> dict[str, Any]:
    """Per week of the answer: CSAT in % (share of 4-5), NPS, and how many answers each stands on."""
    starts = weeks(period)
    index = {w: i for i, w in enumerate(starts)}
    csats: list[list[int]] = [[] for _ in starts]
    npss: list[list[int]] = [[] for _ in starts]
    rows = session.execute(select(SurveyResponse.answered_at, SurveyResponse.csat, SurveyResponse.nps)
                           .where(SurveyResponse.answered_at >= period.start, SurveyResponse.answered_at < period.end))
    for at, c, n in rows:
        i = index[week_of(at)]
        if c is not None:
            csats[i].append(c)
        if n is not None:
            npss[i].append(n)
    return {"x": [w.timestamp() for w in starts],
            "csat": [round(100.0 * sum(c >= 4 for c in cs) / len(cs), 1) if cs else None for cs in csats],
            "nps": [round(v, 1) if (v := nps_of(ns)) is not None else None for ns in npss],
            "csat_n": [len(cs) for cs in csats], "nps_n": [len(ns) for ns in npss]}


def all_series(session: Session, period: Period) -> dict[str, Any]:
    return {"failures": weekly_failures(session, period), "lead_bands": lead_bands(session, period),
            "feedback": weekly_feedback(session, period)}
