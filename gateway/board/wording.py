"""Times and numbers as a dispatcher reads them: "in 3 h 20 min", "breached 40 min ago"."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


def span(delta: timedelta) -> str:
    """A duration, rounded to what matters at its size: "40 min", "3 h 20 min", "4 d 6 h"."""
    minutes = int(abs(delta).total_seconds() // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def deadline(at: datetime, now: datetime) -> str:
    """An SLA deadline against now: "in 3 h 20 min" or "breached 40 min ago"."""
    left = _aware(at) - _aware(now)
    return f"in {span(left)}" if left >= timedelta(0) else f"breached {span(left)} ago"


def relative(at: datetime, now: datetime) -> str:
    """A moment against now: "in 2 d 3 h" or "5 h ago"."""
    delta = _aware(at) - _aware(now)
    return f"in {span(delta)}" if delta >= timedelta(0) else f"{span(delta)} ago"


def moment(at: datetime | None) -> str:
    """A timestamp for a page: "2025-01-10 06:00 UTC"."""
    return "" if at is None else f"{_aware(at):%Y-%m-%d %H:%M} UTC"


def trip_window(earliest: datetime, latest: datetime, now: datetime) -> str:
    """The prognosis interval for a dispatcher. An earliest bound at or before now (a pump whose worst
    hour reached its limit, or whose derate has no stage left) is no "between <a past moment> and ...":
    the pump can trip any hour, and what is left to plan by is the latest bound."""
    if _aware(earliest) <= _aware(now):
        return f"could trip any time now, at the latest {moment(latest)}"
    return f"between {moment(earliest)} and {moment(latest)}"


def number(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)
