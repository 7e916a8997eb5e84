"""Visit windows in the customer's time zone: the dispatcher types the times the customer will hear
("08:00-10:00" where the pump is), the database keeps UTC.

A local time that does not exist (the hour skipped when clocks go forward) is refused with the
reason; one that happens twice (the hour repeated when they go back) is read as the first of the two
(``fold=0``), which the page says by showing the UTC time it stored.
"""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC_NAME = "UTC"


def zone_of(name: str | None) -> ZoneInfo:
    """The IANA zone, UTC for none or an unknown name (a customer row written by hand)."""
    try:
        return ZoneInfo(name or UTC_NAME)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(UTC_NAME)


def local_to_utc(value: str, zone: ZoneInfo, which: str) -> datetime:
    """A datetime-local field ("2025-01-11T08:00") read in ``zone``, as UTC. ValueError says what is
    wrong in words the page shows."""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"visit window {which} {value[:40]!r}: a date and time such as 2025-01-11T08:00") from None
    if at.tzinfo is not None:  # an explicit offset wins (an API-style value)
        return at.astimezone(timezone.utc)
    local = at.replace(tzinfo=zone)
    utc = local.astimezone(timezone.utc)
    if utc.astimezone(zone).replace(tzinfo=None) != at:
        raise ValueError(f"visit window {which} {at:%Y-%m-%d %H:%M} does not exist in {zone.key} "
                         "(the clocks go forward then): pick another time")
    return utc


def in_zone(at: datetime | None, zone: ZoneInfo) -> str:
    """"2025-01-11 08:00" in the zone (the zone's name is shown beside it)."""
    return "" if at is None else f"{at.astimezone(zone):%Y-%m-%d %H:%M}"


def field_value(at: datetime | None, zone: ZoneInfo) -> str:
    """The value a datetime-local field is prefilled with."""
    return "" if at is None else f"{at.astimezone(zone):%Y-%m-%dT%H:%M}"
