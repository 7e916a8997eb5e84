"""Signing in and out: a staff member pastes their API token once; the board keeps a session cookie."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from heatwatch.gateway.board.session import (
    COOKIE,
    CSRF_FIELD,
    LOGIN_COOKIE,
    MAX_TOKEN,
    NotStaff,
    Viewer,
    check_csrf,
    count,
    signer,
    token_login,
)
from heatwatch.gateway.board.templates import page
from heatwatch.gateway.deps import SessionDep

router = APIRouter()


def _login_page(request: Request, message: str = "", status_code: int = 200) -> Response:
    sign = signer(request)
    cookie, csrf = sign.login_cookie()
    response = page(request, "login.html", {"csrf": csrf, "message": message}, status_code)
    sign.set_cookie(response, LOGIN_COOKIE, cookie, 3600)
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
def login(request: Request, session: SessionDep, token: Annotated[str, Form(max_length=MAX_TOKEN)] = "",
          csrf_token: Annotated[str, Form(alias=CSRF_FIELD, max_length=200)] = "") -> Response:
    sign = signer(request)
    expected = sign.read_login(request.cookies.get(LOGIN_COOKIE))
    if expected is None or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
        count(request, "refused.login_csrf")
        return _login_page(request, "The sign-in form expired or did not come from this page: try again.", 403)
    try:
        found = token_login(session, token.strip())
    except NotStaff:
        count(request, "refused.customer")
        return _login_page(request, "This token belongs to a customer. The board is for staff; customers "
                                    "follow their tickets on the status page linked in every message.", 403)
    if found is None:
        count(request, "refused.bad_token")
        return _login_page(request, "Unknown, revoked or expired token.", 401)
    count(request, "sign_ins")
    response = RedirectResponse("/board", status_code=303)
    sign.set_cookie(response, COOKIE, sign.session_cookie(found[1]), sign.max_age)
    response.delete_cookie(LOGIN_COOKIE, path="/board")
    return response


@router.post("/logout")
async def logout(request: Request, user: Viewer) -> Response:
    await check_csrf(request, user)
    response = RedirectResponse("/board/login", status_code=303)
    response.delete_cookie(COOKIE, path="/board")
    return response
