"""Keyset pagination: a page ends with a cursor that holds the sort key of its last row.

Ticket lists change while a dispatcher pages through them (new tickets,
priorities moving); an offset would then skip or repeat rows, a keyset does
not: the next page is "everything after this key in this order". The last
sort key is always a unique id, so the order is total. The cursor is opaque
to clients (base64 of JSON) and names the list it belongs to, so a cursor
of one list handed to another is refused instead of paging nonsense.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Generic, Literal, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.orm import Session

from heatwatch.gateway.api.errors import BadCursor
from heatwatch.gateway.api.types import MAX_ID

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR = 1000  # characters: far more than any key this API writes

Limit = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="rows per page")
Cursor = Query(None, max_length=MAX_CURSOR, description="next_cursor of the previous page")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null on the last page")


@dataclass(frozen=True)
class SortKey:
    expr: ColumnElement[Any]
    kind: Literal["int", "str", "time"]
    descending: bool = False


def page(session: Session, stmt: Select, keys: Sequence[SortKey], *, cursor: str | None, limit: int,
         name: str) -> tuple[list[Any], str | None]:
    """Run ``stmt`` (selecting one entity) for the page after ``cursor``; returns (rows, next cursor)."""
    stmt = stmt.add_columns(*(k.expr for k in keys))
    if cursor:
        stmt = stmt.where(_after(keys, _decode(cursor, keys, name)))
    stmt = stmt.order_by(*(k.expr.desc() if k.descending else k.expr.asc() for k in keys)).limit(limit + 1)
    rows = session.execute(stmt).all()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = _encode(name, [_dump(v, k) for v, k in zip(rows[-1][1:], keys)]) if more else None
    return [row[0] for row in rows], next_cursor


def _after(keys: Sequence[SortKey], values: list[Any]) -> ColumnElement[bool]:
    """(k1, k2, ...) after (v1, v2, ...) in the keys' own directions."""
    terms = []
    for i, key in enumerate(keys):
        beyond = key.expr < values[i] if key.descending else key.expr > values[i]
        terms.append(and_(*(keys[j].expr == values[j] for j in range(i)), beyond))
    return or_(*terms)


def _encode(name: str, values: list[Any]) -> str:
    raw = json.dumps({"list": name, "after": values}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, keys: Sequence[SortKey], name: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        doc = json.loads(raw)
    except (binascii.Error, ValueError):
        raise BadCursor("not a cursor this API handed out") from None
    if not isinstance(doc, dict) or doc.get("list") != name:
        raise BadCursor(f"not a cursor of this list ({name})")
    values = doc.get("after")
    if not isinstance(values, list) or len(values) != len(keys):
        raise BadCursor("not a cursor this API handed out")
    return [_load(v, k) for v, k in zip(values, keys)]


def _dump(value: Any, key: SortKey) -> Any:
    if key.kind == "time":
        return value.astimezone(timezone.utc).isoformat()
    return value


def _load(value: Any, key: SortKey) -> Any:
    if key.kind == "int" and isinstance(value, int) and not isinstance(value, bool) and -MAX_ID <= value <= MAX_ID:
        return value
    if key.kind == "str" and isinstance(value, str) and len(value) <= 200 and "\x00" not in value:
        return value
    if key.kind == "time" and isinstance(value, str):
        try:
            t = datetime.fromisoformat(value)
            if t.tzinfo is not None:
                return t.astimezone(timezone.utc)
        except (ValueError, OverflowError):
            raise BadCursor("not a cursor this API handed out") from None
    raise BadCursor("not a cursor this API handed out")
