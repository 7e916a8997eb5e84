"""The ticket page's whole story and its further actions through the TestClient, on SQLite and
PostgreSQL: messages and customer answers in the history, in time order; start, wait, resume, assign,
cancel; visit windows typed in the customer's time zone."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from heatwatch.gateway.board.visit_time import local_to_utc, zone_of
from heatwatch.gateway.db import utcnow
from heatwatch.gateway.incidents.models import Incident
from heatwatch.gateway.settings import BoardSettings, DatabaseSettings, GatewaySettings
from heatwatch.gateway.tickets.models import Ticket, TicketStatus
from tests.gateway.board.story import QUESTION, SMS, add_story
from tests.gateway.board.test_board_pages import csrf_of, sign_in

pytest_plugins = ["tests.gateway.api_world"]
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def client(make_api, db_url, world):
    settings = GatewaySettings(database=DatabaseSettings(url=db_url), board=BoardSettings(session_secret="s" * 32))
    client = make_api(settings)
    sign_in(client, world.tokens["dispatcher"])
    return client


def _post(client, ticket_id: int, action: str, version: int, **data):
    return client.post(f"/board/tickets/{ticket_id}/{action}", follow_redirects=False,
                       data={"version": version, "csrf_token": csrf_of(client), **data})


def _ticket(db, ticket_id: int) -> Ticket:
    with db.sessions() as s:
        return s.get(Ticket, ticket_id)


def test_history_has_the_messages_and_the_customers_answers_in_time_order(client, db, world):
    ticket_id = world.tickets["a2 urgent"]
    add_story(db, ticket_id, world.customers["a"], world.T0)
    page = client.get(f"/board/tickets/{ticket_id}")
    assert page.status_code == 200
    history = page.text[page.text.index('id="history"'):]
    rows = re.findall(r'<tr class="([^"]+)"', history)
    assert rows[:5] == ["action created", "message-sent failed", "customer customer_question", "message-sent sent",
                        "customer survey"]
    assert f"asked: {QUESTION}" in history
    assert "message: <strong>visit booked</strong> by sms · sent" in history
    assert SMS in history and "timeout in 20000 ms (no answer in 20 s)" in history and "sent in 412 ms" in history
    assert "failed: no Apprise URL for channel &#39;email&#39;" in history
    assert "satisfaction 5/5" in history and "would recommend 9/10" in history and "effort 6/7" in history


def test_a_pump_that_already_tripped_says_so_before_its_next_date(client, db, world):
    """After a trip the agent keeps dating the next one: the dispatcher reads that the pump has
    stopped, how often and since when, and that the date is for the next trip, not "predicted to
    trip in 6 hours" for a pump standing still since this morning."""
    ticket_id = world.tickets["a1 leak"]
    now = utcnow().replace(microsecond=0)
    with db.transaction() as s:
        incident = s.get(Incident, _ticket(db, ticket_id).incident_id)
        incident.predicted_failure_ts = now + timedelta(hours=6)
        incident.predicted_failure_earliest, incident.predicted_failure_latest = now, now + timedelta(days=2)
    page = client.get(f"/board/tickets/{ticket_id}").text
    assert 'id="tripped"' not in page and "Predicted to trip <strong>" in page
    with db.transaction() as s:
        incident = s.get(Incident, _ticket(db, ticket_id).incident_id)
        incident.trip_count, incident.first_trip_ts = 2, now - timedelta(hours=5)
    page = client.get(f"/board/tickets/{ticket_id}").text
    tripped = page[page.index('id="tripped"'):]
    assert re.search(r"stopped on protection\s+<strong>2 times</strong>,\s+first", tripped)
    assert "Predicted to trip again <strong>" in page
    device = client.get("/board/devices/hp-a1").text  # the pump's incidents say it too
    assert re.search(r'<span class="tripped">tripped [^<]+ \(2 times\)</span>; again ', device)


def test_an_interval_from_now_reads_could_trip_any_time(client, db, world):
    """A spent derate's interval opens at the estimate's time: the dispatcher reads that the pump can
    trip any time and by when at the latest, not "between" a moment already past and the latest."""
    ticket_id = world.tickets["a1 leak"]
    now = utcnow().replace(microsecond=0)
    latest = now + timedelta(days=3)
    with db.transaction() as s:
        incident = s.get(Incident, _ticket(db, ticket_id).incident_id)
        incident.predicted_failure_ts = now + timedelta(days=1)
        incident.predicted_failure_earliest, incident.predicted_failure_latest = now - timedelta(hours=1), latest
    page = client.get(f"/board/tickets/{ticket_id}").text
    assert f"could trip any time now, at the latest {latest:%Y-%m-%d %H:%M} UTC" in page
    assert "between" not in page[page.index("Predicted to trip"):page.index("</p>", page.index("Predicted to trip"))]
    with db.transaction() as s:  # an earliest bound still ahead reads as before
        incident = s.get(Incident, _ticket(db, ticket_id).incident_id)
        incident.predicted_failure_earliest = now + timedelta(hours=12)
    page = client.get(f"/board/tickets/{ticket_id}").text
    assert f"between {now + timedelta(hours=12):%Y-%m-%d %H:%M} UTC and {latest:%Y-%m-%d %H:%M} UTC" in page


def test_start_wait_resume_assign_cancel(client, db, world):
    ticket_id = world.tickets["a2 urgent"]  # open, version 1
    tech = world.user_ids["technician2"]
    assert _post(client, ticket_id, "acknowledge", 1).status_code == 303
    assert _post(client, ticket_id, "start", 2).status_code == 303
    assert _ticket(db, ticket_id).status == TicketStatus.IN_PROGRESS
    assert 'id="start"' not in client.get(f"/board/tickets/{ticket_id}").text  # already in progress
    assert _post(client, ticket_id, "wait", 3, note="the customer sends a photo of the display").status_code == 303
    t = _ticket(db, ticket_id)
    assert t.status == TicketStatus.WAITING_ON_CUSTOMER and t.sla_paused_at is not None
    page = client.get(f"/board/tickets/{ticket_id}").text
    assert 'id="resume"' in page and "Resume (in progress again)" in page and 'id="wait"' not in page
    assert _post(client, ticket_id, "resume", 4).status_code == 303
    assert _ticket(db, ticket_id).status == TicketStatus.IN_PROGRESS
    assert _post(client, ticket_id, "assign", 5, technician=str(tech)).status_code == 303
    assert _ticket(db, ticket_id).technician_id == tech
    v = _ticket(db, ticket_id).version
    assert _post(client, ticket_id, "assign", v, technician="").status_code == 303  # nobody again
    assert _ticket(db, ticket_id).technician_id is None
    v = _ticket(db, ticket_id).version
    refused = _post(client, ticket_id, "cancel", v, reason="  ")
    assert refused.status_code == 409 and "say why it is cancelled" in refused.text
    assert _post(client, ticket_id, "cancel", v, reason="duplicate of a1 leak").status_code == 303
    t = _ticket(db, ticket_id)
    assert t.status == TicketStatus.CANCELLED and t.closed_at is not None
    page = client.get(f"/board/tickets/{ticket_id}").text
    assert "duplicate of a1 leak" in page
    for form in ('id="start"', 'id="wait"', 'id="cancel"', 'id="assign"'):
        assert form not in page


def test_refused_further_actions_are_explained(client, db, world):
    ticket_id = world.tickets["a2 urgent"]
    cases = [("resume", {}, 409, "not waiting on the customer"),
             ("assign", {"technician": "abc"}, 422, "pick one from the list"),
             ("assign", {"technician": str(world.user_ids["dispatcher"])}, 409, "not an active technician"),
             ("start", {}, 409, "cannot go from open to in_progress")]
    for action, data, status, words in cases:
        response = _post(client, ticket_id, action, 1, **data)
        assert response.status_code == status, (action, response.text[:300])
        assert words in response.text
    stale = _post(client, ticket_id, "cancel", 7, reason="old page")
    assert stale.status_code == 409 and "Someone changed this ticket" in stale.text
    assert _ticket(db, ticket_id).status == TicketStatus.OPEN


def test_visit_windows_are_typed_in_the_customers_zone(client, db, world):
    ticket_id = world.tickets["a2 urgent"]  # Anna: Europe/Berlin
    page = client.get(f"/board/tickets/{ticket_id}").text
    assert "times in <span class=\"zone\">Europe/Berlin</span>" in page
    summer = "2026-07-03"  # CEST, UTC+2
    assert _post(client, ticket_id, "schedule", 1, window_start=f"{summer}T08:00",
                 window_end=f"{summer}T10:00").status_code == 303
    t = _ticket(db, ticket_id)
    assert t.visit_window_start == datetime(2026, 7, 3, 6, 0, tzinfo=timezone.utc)
    assert t.visit_window_end == datetime(2026, 7, 3, 8, 0, tzinfo=timezone.utc)
    page = client.get(f"/board/tickets/{ticket_id}").text
    assert "(2026-07-03 08:00 – 10:00 Europe/Berlin)" in page
    assert 'value="2026-07-03T08:00"' in page  # the form starts from the booked window, in local time
    gap = _post(client, ticket_id, "schedule", t.version, window_start="2026-03-29T02:30",
                window_end="2026-03-29T04:00")
    assert gap.status_code == 422 and "does not exist in Europe/Berlin" in gap.text


def test_local_times_to_utc():
    assert local_to_utc("2026-01-05T08:00", BERLIN, "start") == datetime(2026, 1, 5, 7, 0, tzinfo=timezone.utc)
    # the hour that happens twice (clocks back, 25 Oct 2026): the first of the two, still CEST
    assert local_to_utc("2026-10-25T02:30", BERLIN, "start") == datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)
    assert local_to_utc("2026-01-05T08:00+00:00", BERLIN, "start") == datetime(2026, 1, 5, 8, tzinfo=timezone.utc)
    with pytest.raises(ValueError, match="does not exist in Europe/Berlin"):
        local_to_utc("2026-03-29T02:30", BERLIN, "start")
    with pytest.raises(ValueError, match="a date and time"):
        local_to_utc("next friday", BERLIN, "end")
    assert zone_of("Mars/Olympus").key == "UTC" and zone_of(None).key == "UTC" and zone_of("../etc").key == "UTC"
    assert utcnow() - timedelta(seconds=5) < datetime.now(timezone.utc)


def test_a_pump_fault_without_a_date_says_so_until_one_comes(client, db, world):
    """A fault raised before the agent could date it: the ticket says plainly that no trip date is known
    yet, and the date once an update brings it. Fails on main (424163e): the page said nothing of a date."""
    ticket_id = world.tickets["a1 leak"]
    now = utcnow().replace(microsecond=0)
    with db.transaction() as s:
        incident = s.get(Incident, _ticket(db, ticket_id).incident_id)
        incident.predicted_failure_ts = incident.predicted_failure_earliest = incident.predicted_failure_latest = None
    page = client.get(f"/board/tickets/{ticket_id}").text
    assert 'id="no-date"' in page and "No trip date yet." in page and "Predicted to trip" not in page
    with db.transaction() as s:
        incident = s.get(Incident, _ticket(db, ticket_id).incident_id)
        incident.predicted_failure_ts = now + timedelta(days=9)
        incident.predicted_failure_earliest, incident.predicted_failure_latest = now + timedelta(days=4), now + timedelta(days=20)
    page = client.get(f"/board/tickets/{ticket_id}").text
    assert 'id="no-date"' not in page and "Predicted to trip <strong>" in page
