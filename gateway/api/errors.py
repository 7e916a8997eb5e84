"""How the database's refusals reach a client: a 4xx that says what conflicts, never a 500.

Most bad input is refused by the schemas first (api/types.py); these are the
rules only the database can judge at the moment of writing (a unique key,
a foreign key still in use, a ticket changed by someone else meanwhile).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

log = logging.getLogger(__name__)


class BadCursor(ValueError):
    """A pagination cursor this API did not hand out (or from another sort order)."""


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip()
    return text.splitlines()[0] if text else type(orig).__name__


async def _conflict(_request: Request, exc: IntegrityError) -> JSONResponse:
    return JSONResponse({"detail": f"conflicts with the data held: {_first_line(exc)}"}, status_code=409)


async def _stale(_request: Request, exc: StaleDataError) -> JSONResponse:
    return JSONResponse({"detail": "changed by someone else meanwhile: read it again"}, status_code=409)


async def _bad_data(_request: Request, exc: DataError) -> JSONResponse:
    log.warning("database refused a value the schema let through: %s", _first_line(exc))
    return JSONResponse({"detail": f"a value the database cannot store: {_first_line(exc)}"}, status_code=422)


async def _bad_cursor(_request: Request, exc: BadCursor) -> JSONResponse:
    return JSONResponse({"detail": f"cursor: {exc}"}, status_code=422)


def install(app: FastAPI) -> None:
    app.add_exception_handler(IntegrityError, _conflict)
    app.add_exception_handler(StaleDataError, _stale)
    app.add_exception_handler(DataError, _bad_data)
    app.add_exception_handler(BadCursor, _bad_cursor)
