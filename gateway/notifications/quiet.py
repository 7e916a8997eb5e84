"""Quiet hours and the daily cap: when a message may go now, and when a held one goes instead.

Quiet hours are local times in the customer's time zone and may wrap
midnight (22:00-07:00). A message that falls in them is held until they end;
everything held for one customer and channel then goes as one digest. Each
channel may carry ``daily_cap`` messages per local day (a digest is one);
beyond it messages wait for the next digest: the end of the next quiet hours,
or ``digest_at`` for a customer without quiet hours, on a later day, when
the count starts again. A critical problem in a cold spell goes at once,
through both.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

QUIET_HOURS = "quiet_hours"
DAILY_CAP = "daily_cap"


def in_quiet_hours(local: time, start: time | None, end: time | None) -> bool:
    if start is None or end is None or start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end  # wraps midnight


def _next_local(now: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The first moment after ``now`` when the local clock shows ``at``."""
    local = now.astimezone(tz)
    candidate = datetime.combine(local.date(), at, tz)
    while candidate <= now:
        candidate = datetime.combine(candidate.date() + timedelta(days=1), at, tz)
    return candidate


def quiet_until(now: datetime, time_zone: str, start: time | None, end: time | None) -> datetime | None:
    """When the quiet hours ``now`` falls in end; None when ``now`` is not in them."""
    tz = ZoneInfo(time_zone)
    if end is None or not in_quiet_hours(now.astimezone(tz).time(), start, end):
        return None
    return _next_local(now, end, tz)


def local_day_start(now: datetime, time_zone: str) -> datetime:
    tz = ZoneInfo(time_zone)
    return datetime.combine(now.astimezone(tz).date(), time(0), tz)


def next_digest(now: datetime, time_zone: str, quiet_end: time | None, digest_at: time) -> datetime:
    """When a capped message goes: the next digest moment on a later local day than ``now``."""
    tz = ZoneInfo(time_zone)
    at = quiet_end if quiet_end is not None else digest_at
    today = now.astimezone(tz).date()
    moment = _next_local(now, at, tz)
    while moment.astimezone(tz).date() <= today:
        moment = _next_local(moment, at, tz)
    return moment


def parse_hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))
