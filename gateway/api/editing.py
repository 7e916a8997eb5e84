"""Applying a PATCH: only the fields the client sent, and the rules that tie two fields together
judged on the row as it will be (one of a pair may come from the request, the other from the row)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from heatwatch.gateway.api.errors import invalid


def apply_changes(row: Any, changes: BaseModel, *, pairs: tuple[tuple[str, str], ...] = ()) -> None:
    for field, value in changes.model_dump(exclude_unset=True).items():
        setattr(row, field, value)
    for first, second in pairs:
        if (getattr(row, first) is None) != (getattr(row, second) is None):
            raise invalid(("body", first), f"{first} and {second} go together (one is set, the other not)")
