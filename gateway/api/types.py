"""Wire types that keep bad input at the door with a 422, before it can reach the database.

The database would refuse much of it too, but as a 500: PostgreSQL rejects a
NUL character in text and an id beyond its integer range, SQLite one beyond
64 bits, and an instant far in the past cannot even be turned into UTC.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator, AwareDatetime, StringConstraints

MAX_ID = 2**31 - 1  # PostgreSQL's integer: every serial id fits
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2200, 1, 1, tzinfo=timezone.utc)

RowId = Annotated[int, Path(ge=1, le=MAX_ID, description="a row's id")]
RowIdQuery = Annotated[int, Query(ge=1, le=MAX_ID)]


def _single_line(value: str) -> str:
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ValueError("no control characters (line breaks, tabs, NUL) in a name or one-line field")
    return value


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("no NUL characters")
    return value


def Line(max_length: int, min_length: int = 0):  # noqa: N802 - a type, named as one
    """One line of text (a name, a city) of at most ``max_length`` characters."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length),
                     AfterValidator(_single_line)]


def Note(max_length: int = 10_000):  # noqa: N802
    """Free text over several lines (a resolution note)."""
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_no_nul)]


def _utc_in_range(value: datetime) -> datetime:
    if not EARLIEST <= value <= LATEST:  # aware datetimes compare as instants
        raise ValueError(f"an instant between {EARLIEST:%Y} and {LATEST:%Y}")
    return value.astimezone(timezone.utc)


# an instant with its offset (ISO 8601, "Z" or "+01:00"); a naive time would mean the server's clock settings
Instant = Annotated[AwareDatetime, AfterValidator(_utc_in_range)]
