"""One function per KPI, each over a ``Period`` of the database, each returning the figure and the
number of tickets or answers it stands on (a rate over 3 tickets is not a rate over 300).

Which timestamp puts a row in a period:

- the failure KPIs (lead time, opened before/after the failure): the pump's first trip
  (``incidents.first_trip_ts``, which the incident logic sets from ``trip`` events);
- first-time fix, no fault found, resolution SLA: when the ticket was resolved;
- response SLA: when the ticket was opened;
- CSAT, NPS, effort: when the customer answered.

Arithmetic is done here in Python over the selected rows (a year of tickets is thousands of rows), so
SQLite and PostgreSQL give the same figures to the last digit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, aliased

from heatwatch.gateway.feedback.models import SurveyResponse
from heatwatch.gateway.incidents.models import Incident
from heatwatch.gateway.tickets.models import ResolutionCode, Ticket, TicketChange, TicketStatus

PERIOD_DAYS = (30, 90, 365)  # the periods the board offers
RETURN_WINDOW = timedelta(days=30)  # a new ticket for the same device and fault within this undoes a fix
REPAIRED = (ResolutionCode.FAULT_CONFIRMED, ResolutionCode.OTHER_FAULT)  # codes that mean a repair was made


@dataclass(frozen=True)
class Period:
    """[start, end): the rows a KPI counts."""

    start: datetime
    end: datetime

    @classmethod
    def last(cls, days: int, now: datetime) -> Period:
        return cls(now - timedelta(days=days), now)


@dataclass(frozen=True)
class Share:
    """``part`` of ``n``; ``value`` is the fraction (None over nothing)."""

    part: int
    n: int

    @property
    def value(self) -> float | None:
        return self.part / self.n if self.n else None

    def to_json(self) -> dict[str, float | int | None]:
        return {"value": _round(self.value), "part": self.part, "n": self.n}


@dataclass(frozen=True)
class LeadTime:
    """Seconds from the ticket opening to the pump's first trip, over the tickets whose pump tripped;
    a ticket opened at or after the trip counts 0 (no warning)."""

    median_s: float | None
    p10_s: float | None
    n: int

    def to_json(self) -> dict[str, float | int | None]:
        return {"median_s": _round(self.median_s), "p10_s": _round(self.p10_s), "n": self.n}


@dataclass(frozen=True)
class Score:
    """A survey score over ``n`` answers: a share (CSAT), a difference of shares (NPS) or a mean (CES)."""

    value: float | None
    n: int

    def to_json(self) -> dict[str, float | int | None]:
        return {"value": _round(self.value), "n": self.n}


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def quantile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile with linear interpolation between the closest ranks (numpy's default): the
    sorted values v, position h = (n - 1) q, v[floor h] + (h - floor h) (v[floor h + 1] - v[floor h])."""
    if not values:
        return None
    v = sorted(values)
    h = (len(v) - 1) * q
    lo = math.floor(h)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (h - lo) * (v[hi] - v[lo])


# ---- failures: how early heatwatch warned -----------------------------------------------------------

def tripped_tickets(session: Session, period: Period) -> list[tuple[datetime, datetime]]:
    """(ticket opened, first trip) for each ticket whose pump's first trip falls in the period."""
    rows = session.execute(
        select(Ticket.created_at, Incident.first_trip_ts).join(Incident, Ticket.incident_id == Incident.id)
        .where(Incident.first_trip_ts >= period.start, Incident.first_trip_ts < period.end))
    return [(opened, trip) for opened, trip in rows]


def lead_time(session: Session, period: Period) -> LeadTime:
    """Median and 10th percentile of max(0, first trip - ticket opened) over the tripped tickets."""
    leads = [max((trip - opened).total_seconds(), 0.0) for opened, trip in tripped_tickets(session, period)]
    return LeadTime(quantile(leads, 0.5), quantile(leads, 0.1), len(leads))


def opened_before_failure(session: Session, period: Period) -> Share:
    """Of the tickets whose pump tripped, those opened before the trip (the rest the trip opened, or
    came later): the share of failures heatwatch saw coming."""
    pairs = tripped_tickets(session, period)
    return Share(sum(opened < trip for opened, trip in pairs), len(pairs))


# ---- the work ----------------------------------------------------------------------------------

def _resolved_in(period: Period):
    return and_(Ticket.resolved_at >= period.start, Ticket.resolved_at < period.end,
                Ticket.status.in_([TicketStatus.RESOLVED, TicketStatus.CLOSED]))


def first_time_fix(session: Session, period: Period) -> Share:
    """Of the tickets resolved in the period with a repair (fault_confirmed or other_fault), those fixed
    in one visit (the ticket never went back from in_progress to scheduled) that stayed fixed: no new
    ticket for the same device and the same fault (both customer calls: no fault) opened within 30
    days after the resolution."""
    second_visit = exists().where(TicketChange.ticket_id == Ticket.id, TicketChange.action == "status",
                                  TicketChange.from_value == TicketStatus.IN_PROGRESS.value,
                                  TicketChange.to_value == TicketStatus.SCHEDULED.value)
    rows = session.execute(
        select(Ticket.device_id, Ticket.resolved_at, Incident.fault, second_visit)
        .outerjoin(Incident, Ticket.incident_id == Incident.id)
        .where(_resolved_in(period), Ticket.resolution_code.in_(REPAIRED))).all()
    if not rows:
        return Share(0, 0)
    # the tickets opened on the same devices since the period began, compared here (NULL fault matches NULL)
    later, later_incident = aliased(Ticket), aliased(Incident)
    opened = session.execute(
        select(later.device_id, later.created_at, later_incident.fault)
        .outerjoin(later_incident, later.incident_id == later_incident.id)
        .where(later.device_id.in_({r.device_id for r in rows}), later.created_at > period.start)).all()
    fixed = 0
    for device, resolved_at, fault, went_back in rows:
        came_back = any(d == device and f == fault and resolved_at < created <= resolved_at + RETURN_WINDOW
                        for d, created, f in opened)
        fixed += not went_back and not came_back
    return Share(fixed, len(rows))


def no_fault_found(session: Session, period: Period) -> Share:
    """Of the tickets resolved in the period, those resolved as no_fault_found."""
    codes = session.scalars(select(Ticket.resolution_code).where(_resolved_in(period))).all()
    return Share(sum(c == ResolutionCode.NO_FAULT_FOUND for c in codes), len(codes))


def response_sla(session: Session, period: Period) -> Share:
    """Of the tickets opened in the period whose response is settled (someone responded, or the
    deadline was missed), those responded to in time (no response breach)."""
    rows = session.execute(
        select(Ticket.responded_at, Ticket.response_breached_at)
        .where(Ticket.created_at >= period.start, Ticket.created_at < period.end,
               (Ticket.responded_at.is_not(None)) | (Ticket.response_breached_at.is_not(None)))).all()
    return Share(sum(breached is None for _responded, breached in rows), len(rows))


def resolution_sla(session: Session, period: Period) -> Share:
    """Of the tickets resolved in the period, those resolved in time (no resolution breach; the time
    waiting on the customer does not count, sla.py moves the deadline by it)."""
    rows = session.scalars(select(Ticket.resolution_breached_at).where(_resolved_in(period))).all()
    return Share(sum(b is None for b in rows), len(rows))


# ---- what customers say --------------------------------------------------------------------------

def _answers(session: Session, period: Period, column) -> list[int]:
    return list(session.scalars(
        select(column).where(SurveyResponse.answered_at >= period.start, SurveyResponse.answered_at < period.end,
                             column.is_not(None))))


def csat(session: Session, period: Period) -> Share:
    """CSAT: the share of 4 and 5 among the 1-5 answers."""
    scores = _answers(session, period, SurveyResponse.csat)
    return Share(sum(s >= 4 for s in scores), len(scores))


def nps_of(scores: Sequence[int]) -> float | None:
    """100 x (promoters (9-10) - detractors (0-6)) / answers: -100 .. 100."""
    if not scores:
        return None
    return 100.0 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)


def nps(session: Session, period: Period) -> Score:
    """NPS over the 0-10 answers."""
    scores = _answers(session, period, SurveyResponse.nps)
    return Score(nps_of(scores), len(scores))


def effort(session: Session, period: Period) -> Score:
    """Customer effort (CES): the mean of the 1-7 answers (7: very easy)."""
    scores = _answers(session, period, SurveyResponse.ces)
    return Score(sum(scores) / len(scores) if scores else None, len(scores))


def all_figures(session: Session, period: Period) -> dict[str, Share | LeadTime | Score]:
    """Every KPI by name (the JSON endpoint's and the page's order)."""
    return {"lead_time": lead_time(session, period), "opened_before_failure": opened_before_failure(session, period),
            "first_time_fix": first_time_fix(session, period), "no_fault_found": no_fault_found(session, period),
            "response_sla": response_sla(session, period), "resolution_sla": resolution_sla(session, period),
            "csat": csat(session, period), "nps": nps(session, period), "effort": effort(session, period)}
