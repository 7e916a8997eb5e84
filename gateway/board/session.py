"""Who is looking at the board: a signed session cookie, and a CSRF token for its forms.

A dispatcher signs in with an API token once; the cookie then holds the id of that token (not the
token), a random CSRF token and when it was signed, signed with itsdangerous (HMAC-SHA1 over the
gateway's ``[board] session_secret``). Each request looks the token up again, so revoking the token,
deactivating the user or the token expiring ends the session at once. The cookie is HttpOnly
(scripts cannot read it) and SameSite=Lax (other sites' forms do not carry it); every POST also
carries the CSRF token of the session, in a hidden field or the ``X-CSRF-Token`` header, so a
forged form from anywhere is refused.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from heatwatch.gateway.db import utcnow
from heatwatch.gateway.deps import SessionDep
from heatwatch.gateway.settings import BoardSettings
from heatwatch.gateway.users.models import ApiToken, Role, User
from heatwatch.gateway.users.service import Principal
from heatwatch.gateway.users.tokens import hash_token

log = logging.getLogger(__name__)

COOKIE = "heatwatch_board"
LOGIN_COOKIE = "heatwatch_board_login"  # the login form's CSRF token, before there is a session
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
STAFF = frozenset({Role.ADMIN, Role.DISPATCHER, Role.TECHNICIAN})
ACTORS = frozenset({Role.ADMIN, Role.DISPATCHER})  # may change tickets; a technician reads
MAX_TOKEN = 200


class LoginNeeded(Exception):
    """No valid session: the board answers with the login page (mount.py)."""


class Refused(Exception):
    """Signed in, but not allowed (a missing CSRF token, a technician acting): an HTML 403."""


class NotStaff(Exception):
    """The token belongs to a customer: the board is for staff (login.py says so)."""


@dataclass(frozen=True)
class BoardUser:
    principal: Principal
    token_id: int
    csrf: str

    @property
    def may_act(self) -> bool:
        return self.principal.role in ACTORS


class Signer:
    """Signs and checks the board's cookies with the gateway's secret."""

    def __init__(self, settings: BoardSettings) -> None:
        secret = settings.session_secret
        if not secret:
            secret = secrets.token_urlsafe(32)
            log.warning("[board] session_secret is not set: a random one for this process (sign-ins end "
                        "when it restarts, and other workers do not accept its cookies)")
        self.max_age = int(settings.session_hours * 3600)
        self.secure = settings.secure_cookie
        self._session = URLSafeTimedSerializer(secret, salt="heatwatch.board.session")
        self._login = URLSafeTimedSerializer(secret, salt="heatwatch.board.login")

    def session_cookie(self, token_id: int) -> str:
        return self._session.dumps({"t": token_id, "c": secrets.token_urlsafe(24)})

    def read_session(self, cookie: str | None) -> tuple[int, str] | None:
        if not cookie or len(cookie) > 500:
            return None
        try:
            data = self._session.loads(cookie, max_age=self.max_age)
        except BadSignature:  # also SignatureExpired
            return None
        if not isinstance(data, dict) or not isinstance(data.get("t"), int) or not isinstance(data.get("c"), str):
            return None
        return data["t"], data["c"]

    def login_cookie(self) -> tuple[str, str]:
        """(cookie, the CSRF token the login form carries)."""
        token = secrets.token_urlsafe(24)
        return self._login.dumps(token), token

    def read_login(self, cookie: str | None) -> str | None:
        if not cookie or len(cookie) > 500:
            return None
        try:
            token = self._login.loads(cookie, max_age=3600)
        except BadSignature:
            return None
        return token if isinstance(token, str) else None

    def set_cookie(self, response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(name, value, max_age=max_age, path="/board", httponly=True, samesite="lax",
                            secure=self.secure)


def signer(request: Request) -> Signer:
    return request.app.state.board_signer


def count(request: Request, key: str) -> None:
    """One more of ``key`` in /metrics' heatwatch_board_* ("refused.csrf", "sign_ins", ...)."""
    request.app.state.board_counters.add(key)


def token_login(session: Session, token: str, now: datetime | None = None) -> tuple[Principal, int] | None:
    """The staff member a token belongs to and the token's id; None when the token is unknown,
    revoked, expired or its user inactive. Raises NotStaff for a customer's token."""
    if not token or len(token) > MAX_TOKEN:
        return None
    found = _principal(session, ApiToken.token_hash == hash_token(token), now or utcnow())
    if found is not None and found[0].role not in STAFF:
        raise NotStaff()
    return found


def _principal(session: Session, which, now: datetime) -> tuple[Principal, int] | None:
    row = session.execute(
        select(ApiToken.id, User.id, User.name, User.role, User.customer_id)
        .join(User, ApiToken.user_id == User.id)
        .where(which, ApiToken.revoked_at.is_(None), User.active.is_(True),
               or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now))
    ).one_or_none()
    if row is None:
        return None
    token_id, user_id, name, role, customer_id = row
    return Principal(user_id=user_id, name=name, role=role, customer_id=customer_id), token_id


def board_user(request: Request, session: SessionDep) -> BoardUser:
    read = signer(request).read_session(request.cookies.get(COOKIE))
    if read is None:
        raise LoginNeeded()
    token_id, csrf = read
    found = _principal(session, ApiToken.id == token_id, utcnow())
    if found is None or found[0].role not in STAFF:
        raise LoginNeeded()
    return BoardUser(found[0], token_id, csrf)


Viewer = Annotated[BoardUser, Depends(board_user)]


async def check_csrf(request: Request, user: BoardUser) -> None:
    """Refuse a POST whose form field or header does not carry the session's CSRF token."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), user.csrf.encode()):
        count(request, "refused.csrf")
        raise Refused("this form is out of date or did not come from the board (no valid CSRF token): "
                      "reload the page and try again")


async def acting_user(request: Request, user: Viewer) -> BoardUser:
    """A POST from the board by someone who may change tickets, CSRF-checked."""
    await check_csrf(request, user)
    if not user.may_act:
        count(request, "refused.not_allowed")
        raise Refused(f"a {user.principal.role.value} reads the board; dispatchers and admins change tickets")
    return user


Actor = Annotated[BoardUser, Depends(acting_user)]
