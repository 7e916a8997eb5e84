"""What a request needs, as FastAPI dependencies: a database session, and who is calling.

The session lives around the path operation (``scope="function"``): it is
closed, and anything not committed rolled back, before the response goes
out. A route that writes commits itself, so a refusal at commit time (a
unique key, a stale version) becomes its 409 instead of a failure after the
client was told 201.

Every route but /healthz, /metrics and the OpenAPI pages asks for a bearer
token; a role check is one more dependency (``require(Role.ADMIN, ...)``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from heatwatch.gateway.db import Database
from heatwatch.gateway.users.models import Role
from heatwatch.gateway.users.service import Principal, authenticate

_bearer = HTTPBearer(auto_error=False, description="an API token (heatwatch gateway user add NAME --role ROLE)")


def database(request: Request) -> Database:
    return request.app.state.db


def db_session(request: Request) -> Iterator[Session]:
    with database(request).sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(db_session, scope="function")]


def current_principal(session: SessionDep,
                      credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or len(credentials.credentials) > 200:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "a bearer token is needed",
                            headers={"WWW-Authenticate": "Bearer"})
    principal = authenticate(session, credentials.credentials)
    if principal is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "unknown, revoked or expired token",
                            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    return principal


CurrentUser = Annotated[Principal, Depends(current_principal)]


def require(*roles: Role):
    """A dependency that lets only ``roles`` through (403 for the others: the route, not a row, is refused)."""
    allowed = frozenset(roles)

    def check(principal: CurrentUser) -> Principal:
        if principal.role not in allowed:
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"{principal.role.value} may not do this (needs {', '.join(sorted(allowed))})")
        return principal

    return Depends(check)


STAFF = (Role.ADMIN, Role.DISPATCHER, Role.TECHNICIAN)
OFFICE = (Role.ADMIN, Role.DISPATCHER)
Office = Annotated[Principal, require(*OFFICE)]
Staff = Annotated[Principal, require(*STAFF)]
Admin = Annotated[Principal, require(Role.ADMIN)]
