"""How urgent an incident is: points for severity, time to failure and the cold ahead, summed.

A pump failing at -15 °C leaves a family without heat in a house that cools
by a degree an hour; the same pump failing in May costs hot water and
comfort. So urgency has three parts, each worth 0-3 points (severity 0-2):

========================  =====================================================
part                      points
========================  =====================================================
severity                  info 0, warning 1, critical 2
time to failure           the pump stopped (a trip) or fails within 2 days 3;
                          within 7 days 2; within 30 days 1; later 0;
                          a pump fault with no prognosis yet 1 (not known to
                          be far); not a failure of the heating (a sensor
                          fault, a silent device) 0
cold ahead                coldest daily mean expected around the failure:
                          <= -10 °C 3; <= 0 °C 2; <= 12 °C 1 (still heating
                          weather); warmer 0; unknown (no location, no
                          readings) 1
========================  =====================================================

The sum (0-8) gives the priority: 6 or more P1, 4-5 P2, 2-3 P3, 0-1 P4.
A broken sensor or a silent device is at most P3: the pump still heats, and
a sensor is a cheap visit. Examples: a critical leak failing in 3 days in a
-15 °C cold spell is 2 + 2 + 3 = 7, P1; the same leak in May (15 °C) is
2 + 2 + 0 = 4, P2; a leak failing in 78 days with late-February normals of
1 °C is 2 + 0 + 1 = 3, P3.

The "cold ahead" is measured around the predicted failure (``cold_window``):
the days from 3 days before it to 3 days after (a repair takes days), not
today's weather for a failure two months out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from heatwatch.units import DAY

P1, P2, P3, P4 = 1, 2, 3, 4
PRIORITY_NAMES = {P1: "P1 critical", P2: "P2 high", P3: "P3 normal", P4: "P4 low"}
SEVERITY_POINTS = {"info": 0, "warning": 1, "critical": 2}
# (upper bound of the time to failure in days, points), checked in order
TTF_POINTS: tuple[tuple[float, int], ...] = ((2.0, 3), (7.0, 2), (30.0, 1))
UNKNOWN_TTF_POINTS = 1
# (upper bound of the coldest daily mean in °C, points), checked in order
COLD_POINTS: tuple[tuple[float, int], ...] = ((-10.0, 3), (0.0, 2), (12.0, 1))
UNKNOWN_COLD_POINTS = 1
# (lowest score, priority), checked in order
LEVELS: tuple[tuple[int, int], ...] = ((6, P1), (4, P2), (2, P3), (0, P4))
NOT_HEATING_BEST = P3  # a sensor fault or a silent device: at most this urgent
WINDOW_MARGIN = timedelta(days=3)  # days before and after the predicted failure that count
UNKNOWN_TTF_WINDOW = timedelta(days=7)  # no prognosis: the coming week


@dataclass(frozen=True)
class Urgency:
    """What the formula was given: the incident's facts at one moment."""

    severity: str  # info | warning | critical
    heating_at_risk: bool  # a pump fault or a trip (not a sensor fault, not a silent device)
    tripped: bool = False  # the pump already stopped on protection
    time_to_failure_s: float | None = None  # None: no prognosis
    cold_ahead_c: float | None = None  # None: nothing known about the weather


@dataclass(frozen=True)
class Priority:
    level: int  # 1 (most urgent) .. 4
    score: int
    reason: str  # the sum as a dispatcher reads it

    @property
    def name(self) -> str:
        return PRIORITY_NAMES[self.level]


def severity_points(severity: str) -> int:
    try:
        return SEVERITY_POINTS[severity]
    except KeyError:
        raise ValueError(f"severity {severity!r}: one of {', '.join(SEVERITY_POINTS)}") from None


def ttf_points(u: Urgency) -> int:
    if not u.heating_at_risk:
        return 0
    if u.tripped:
        return TTF_POINTS[0][1]
    if u.time_to_failure_s is None:
        return UNKNOWN_TTF_POINTS
    days = u.time_to_failure_s / DAY
    return next((points for bound, points in TTF_POINTS if days <= bound), 0)


def cold_points(cold_ahead_c: float | None) -> int:
    if cold_ahead_c is None:
        return UNKNOWN_COLD_POINTS
    return next((points for bound, points in COLD_POINTS if cold_ahead_c <= bound), 0)


def priority(u: Urgency) -> Priority:
    """The priority of an incident with these facts, and the sum that gave it."""
    parts = (severity_points(u.severity), ttf_points(u), cold_points(u.cold_ahead_c))
    score = sum(parts)
    level = next(level for lowest, level in LEVELS if score >= lowest)
    capped = not u.heating_at_risk and level < NOT_HEATING_BEST
    if capped:
        level = NOT_HEATING_BEST
    reason = (f"{PRIORITY_NAMES[level]}: {u.severity} ({parts[0]}) + {_ttf_words(u)} ({parts[1]}) + "
              f"{_cold_words(u.cold_ahead_c)} ({parts[2]}) = {score}")
    if capped:
        reason += "; at most P3 while the pump still heats"
    return Priority(level, score, reason)


def cold_window(now: datetime, predicted_failure: datetime | None, tripped: bool) -> tuple[datetime, datetime]:
    """The days whose cold counts: around the predicted failure, never before now."""
    if tripped:
        return now, now + WINDOW_MARGIN
    if predicted_failure is None:
        return now, now + UNKNOWN_TTF_WINDOW
    start = max(now, predicted_failure - WINDOW_MARGIN)
    return start, max(start, predicted_failure) + WINDOW_MARGIN


def _ttf_words(u: Urgency) -> str:
    if not u.heating_at_risk:
        return "heating not at risk"
    if u.tripped:
        return "pump stopped"
    if u.time_to_failure_s is None:
        return "failure time unknown"
    return f"failure in {max(u.time_to_failure_s, 0.0) / DAY:.1f} d"


def _cold_words(c: float | None) -> str:
    return "cold ahead unknown" if c is None else f"coldest day {c:.0f} °C"
