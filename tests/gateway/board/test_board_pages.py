"""The board's pages through the TestClient, on SQLite and PostgreSQL: sign-in, refusals and bad
input answered with a page and the right status, never a 500."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from heatwatch.gateway.db import utcnow
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.settings import BoardSettings, DatabaseSettings, GatewaySettings, SettingsError, parse_settings
from heatwatch.gateway.tickets.models import Ticket, TicketStatus
from heatwatch.gateway.users.models import ApiToken

pytest_plugins = ["tests.gateway.api_world"]  # its fixtures: world, make_api

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def client(make_api, db_url, world):
    settings = GatewaySettings(database=DatabaseSettings(url=db_url), board=BoardSettings(session_secret="s" * 32))
    return make_api(settings)


def sign_in(client, token: str):
    form = client.get("/board/login")
    response = client.post("/board/login", data={"token": token, "csrf_token": CSRF.search(form.text)[1]},
                           follow_redirects=False)
    return response


def csrf_of(client, path: str = "/board") -> str:
    return CSRF.search(client.get(path).text)[1]


def test_without_a_session_the_board_sends_to_the_login(client):
    response = client.get("/board", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/board/login"
    poll = client.get("/board/rows", headers={"HX-Request": "true"}, follow_redirects=False)
    assert poll.status_code == 401 and poll.headers["HX-Redirect"] == "/board/login"
    client.cookies.set("heatwatch_board", "forged.cookie.value", path="/board")
    assert client.get("/board", follow_redirects=False).status_code == 303


def test_sign_in_sets_a_safe_cookie(client, world):
    response = sign_in(client, world.tokens["dispatcher"])
    assert response.status_code == 303 and response.headers["location"] == "/board"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("heatwatch_board="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/board" in cookie
    assert world.tokens["dispatcher"] not in cookie  # the token itself is never in the cookie
    assert client.get("/board").status_code == 200


def board_metric(client, name: str) -> float:
    """A heatwatch_board_* sample from /metrics ("heatwatch_board_refused_total{reason=\"csrf\"}")."""
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def test_sign_in_refusals(client, world):
    assert sign_in(client, "hwt_not-a-token").status_code == 401
    assert sign_in(client, world.tokens["customer_b"]).status_code == 403
    assert sign_in(client, "x" * 5000).status_code == 422  # longer than any token: refused before a lookup
    # a sign-in form posted without the login page's CSRF cookie (a login CSRF)
    client.cookies.clear()
    forged = client.post("/board/login", data={"token": world.tokens["dispatcher"], "csrf_token": "guess"},
                         follow_redirects=False)
    assert forged.status_code == 403 and "heatwatch_board=" not in forged.headers.get("set-cookie", "")
    assert board_metric(client, 'heatwatch_board_refused_total{reason="bad_token"}') == 1
    assert board_metric(client, 'heatwatch_board_refused_total{reason="customer"}') == 1
    assert board_metric(client, 'heatwatch_board_refused_total{reason="login_csrf"}') == 1
    assert board_metric(client, "heatwatch_board_sign_ins_total") == 0


def test_revoking_the_token_ends_the_session(client, db, world):
    sign_in(client, world.tokens["dispatcher"])
    with db.transaction() as s:
        for token in s.query(ApiToken).filter(ApiToken.user_id == world.user_ids["dispatcher"]):
            token.revoked_at = utcnow()
    assert client.get("/board", follow_redirects=False).status_code == 303


def test_a_technician_reads_but_does_not_act(client, db, world):
    sign_in(client, world.tokens["technician"])
    ticket_id = world.tickets["a2 urgent"]
    page = client.get(f"/board/tickets/{ticket_id}")
    assert page.status_code == 200 and 'id="acknowledge"' not in page.text
    response = client.post(f"/board/tickets/{ticket_id}/acknowledge",
                           data={"version": 1, "csrf_token": csrf_of(client)})
    assert response.status_code == 403 and "dispatchers and admins change tickets" in response.text
    with db.sessions() as s:
        assert s.get(Ticket, ticket_id).status == TicketStatus.OPEN


def test_the_device_page_names_the_emitters(client, db, world):
    sign_in(client, world.tokens["technician"])
    assert "fan coils" not in client.get("/board/devices/hp-a1").text  # not known: not shown
    with db.sessions() as s:
        s.get(Device, "hp-a1").emitters = "fan_coils"
        s.commit()
    assert "fan coils" in client.get("/board/devices/hp-a1").text


def test_a_post_without_csrf_is_refused(client, world):
    sign_in(client, world.tokens["dispatcher"])
    ticket_id = world.tickets["a2 urgent"]
    for data in ({"version": 1}, {"version": 1, "csrf_token": "wrong"}):
        response = client.post(f"/board/tickets/{ticket_id}/acknowledge", data=data)
        assert response.status_code == 403 and "CSRF" in response.text
    ok = client.post(f"/board/tickets/{ticket_id}/acknowledge", headers={"X-CSRF-Token": csrf_of(client)},
                     data={"version": 1}, follow_redirects=False)
    assert ok.status_code == 303
    assert board_metric(client, 'heatwatch_board_refused_total{reason="csrf"}') == 2
    assert board_metric(client, "heatwatch_board_actions_total") == 1


@pytest.mark.parametrize("query", ["priority=9", "status=resolved", "technician=abc", "priority=1'--"])
def test_a_bad_filter_is_a_400_page(client, world, query):
    sign_in(client, world.tokens["dispatcher"])
    response = client.get(f"/board/rows?{query}")
    assert response.status_code == 400 and "Unknown filter" in response.text


def test_bad_actions_are_explained(client, db, world):
    sign_in(client, world.tokens["dispatcher"])
    token = csrf_of(client)
    ticket_id = world.tickets["a2 urgent"]
    day = (utcnow() + timedelta(days=1)).strftime("%Y-%m-%d")
    cases = [
        ("schedule", {"window_start": "tomorrow", "window_end": f"{day}T10:00"}, 422, "a date and time"),
        ("schedule", {"window_start": f"{day}T10:00", "window_end": f"{day}T08:00"}, 409, "must end after it starts"),
        ("schedule", {"window_start": f"{day}T08:00", "window_end": f"{day}T10:00",
                      "technician": str(world.user_ids["dispatcher"])}, 409, "not an active technician"),
        ("resolve", {"code": "fault_confirmed"}, 409, "fault_confirmed needs a note"),
        ("resolve", {"code": "no_fault_found"}, 409, "cannot go from open to resolved"),
        ("resolve", {"code": "made_up"}, 409, "resolution code"),
    ]
    for action, data, status, words in cases:
        response = client.post(f"/board/tickets/{ticket_id}/{action}", data={"version": 1, "csrf_token": token, **data})
        assert response.status_code == status, (action, data, response.text[:300])
        assert words in response.text
    assert client.get("/board/tickets/999999").status_code == 404
    assert client.post("/board/tickets/999999/acknowledge", data={"version": 1, "csrf_token": token}).status_code == 404
    assert client.get("/board/devices/no-such-pump").status_code == 404
    assert client.get("/board/devices/hp-a1?days=3").status_code == 400
    assert client.get("/board/devices/hp-a1?channel=nonsense").status_code == 400
    with db.sessions() as s:
        assert s.get(Ticket, ticket_id).status == TicketStatus.OPEN  # nothing half-done


def test_sign_out(client, world):
    sign_in(client, world.tokens["admin"])
    response = client.post("/board/logout", data={"csrf_token": csrf_of(client)}, follow_redirects=False)
    assert response.status_code == 303
    assert client.get("/board", follow_redirects=False).status_code == 303


def test_board_settings_are_checked():
    assert parse_settings({"board": {"session_secret": "k" * 40, "poll_seconds": 2}}).board.poll_seconds == 2.0
    with pytest.raises(SettingsError, match="session_secret: at least 32"):
        parse_settings({"board": {"session_secret": "short"}})
    with pytest.raises(SettingsError, match=r"\[board\] session_hours and poll_seconds must be > 0"):
        parse_settings({"board": {"poll_seconds": 0}})
