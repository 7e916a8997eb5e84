"""How the database's refusals reach a client: a 4xx that says what conflicts, never a 500.

Most bad input is refused by the schemas first (api/types.py); these are the
rules only the database can judge at the moment of writing (a unique key,
a foreign key still in use, a ticket changed by someone else meanwhile).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm.exc import StaleDataError

log = logging.getLogger(__name__)


class Detail(BaseModel):
    """Why a request was refused (every 4xx but 422, which lists what is wrong where)."""

    detail: str


def _documented(description: str) -> dict[str, Any]:
    return {"model": Detail, "description": description}


# the refusals every route with a token may answer, for the OpenAPI spec
AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _documented("no token, or one that is unknown, revoked or expired"),
    403: _documented("the token's role may not do this"),
}
NOT_FOUND = {404: _documented("no such row, or not one the caller may see")}
CONFLICT = {409: _documented("conflicts with the data held (a key in use, changed by someone else)")}


def invalid(loc: tuple[str | int, ...], msg: str, value: Any = None) -> RequestValidationError:
    """A 422 shaped as FastAPI's own (a list of what is wrong where), for the rules a schema cannot
    check alone (an id that must exist, a pair of fields of which one is stored)."""
    return RequestValidationError([{"type": "value_error", "loc": loc, "msg": msg, "input": value}])


def _unprocessable(loc: list[str], msg: str) -> JSONResponse:
    return JSONResponse({"detail": [{"type": "value_error", "loc": loc, "msg": msg}]}, status_code=422)


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
    return _unprocessable(["body"], f"a value the database cannot store: {_first_line(exc)}")


async def _bad_cursor(_request: Request, exc: BadCursor) -> JSONResponse:
    return _unprocessable(["query", "cursor"], str(exc))


def install(app: FastAPI) -> None:
    app.add_exception_handler(IntegrityError, _conflict)
    app.add_exception_handler(StaleDataError, _stale)
    app.add_exception_handler(DataError, _bad_data)
    app.add_exception_handler(BadCursor, _bad_cursor)
