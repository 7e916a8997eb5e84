"""The ticket page's story and further actions in headless Chromium: a sent message (its attempts
behind a click) and the survey answer in the history; start work, wait on the customer, resume, assign
and cancel clicked through the page. No console errors (conftest's page fixture checks)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from heatwatch.gateway.tickets.models import Ticket, TicketStatus
from tests.gateway.board.story import QUESTION, SMS, add_story
from tests.gateway.board.test_board_browser import sign_in

H = timedelta(hours=1)


@pytest.fixture(scope="module", autouse=True)
def story(board_db, board_world):
    # the leak ticket opened two hours ago; its customer story: question, messages, the survey answer just now
    add_story(board_db[0], board_world.leak_ticket, board_world.api.customers["a"], board_world.now - 3 * H)


def test_history_shows_the_message_and_the_answer(page, board_world):
    sign_in(page, board_world.api.tokens["dispatcher"])
    page.goto(f"/board/tickets/{board_world.leak_ticket}")
    history = page.locator("#history")
    sent = history.locator('tr.message-sent[data-step="visit_booked"]')
    expect(sent).to_contain_text("visit booked by sms · sent")
    expect(sent.locator("ol.attempts")).not_to_be_visible()  # the attempts wait behind a click
    sent.locator("summary").click()
    expect(sent.locator("ol.attempts li")).to_have_count(2)
    expect(sent.locator("ol.attempts")).to_contain_text("timeout in 20000 ms")
    expect(sent).to_contain_text(SMS)
    expect(history.locator("tr.customer_question")).to_contain_text(QUESTION)
    expect(history.locator("tr.survey")).to_contain_text("satisfaction 5/5 · would recommend 9/10 · effort 6/7")
    kinds = history.locator("tbody tr").evaluate_all("rows => rows.map(r => r.className)")
    assert kinds.index("customer customer_question") < kinds.index("message-sent sent") < kinds.index("customer survey")


def test_the_new_actions_through_the_page(page, board_db, board_world):
    ticket_id = board_world.api.tickets["bulk 07"]
    sign_in(page, board_world.api.tokens["dispatcher"])
    page.goto(f"/board/tickets/{ticket_id}")
    page.click("#acknowledge button")
    expect(page.locator("#status")).to_have_text("acknowledged")
    page.click("#start button")
    expect(page.locator("#status")).to_have_text("in progress")
    page.fill("#wait input[name=note]", "a photo of the display")
    page.click("#wait button")
    expect(page.locator("#status")).to_have_text("waiting on customer")
    expect(page.locator("#history")).to_contain_text("in_progress → waiting_on_customer")
    page.click("#resume button")
    expect(page.locator("#status")).to_have_text("in progress")
    page.select_option("#assign select[name=technician]", label="technician2")
    page.click("#assign button")
    expect(page.locator("#history tr.assign").last).to_contain_text("technician2")
    page.fill("#cancel input[name=reason]", "the customer replaced the pump")
    page.click("#cancel button")
    expect(page.locator("#status")).to_have_text("cancelled")
    expect(page.locator("#history")).to_contain_text("the customer replaced the pump")
    expect(page.locator("#cancel")).to_have_count(0)
    with board_db[0].sessions() as s:
        t = s.get(Ticket, ticket_id)
        assert t.status == TicketStatus.CANCELLED and t.technician.name == "technician2"
    assert re.search(r"/board/tickets/\d+$", page.url)


def test_a_tripped_pump_reads_as_tripped_in_the_browser(page, board_db, board_world):
    """The ticket and device pages of a pump that already stopped on protection, as a dispatcher sees
    them in Chromium: the trip line above the next date, and "again" in the incidents table."""
    from heatwatch.gateway.db import utcnow
    from heatwatch.gateway.incidents.models import Incident

    db = board_db[0]
    with db.transaction() as s:
        incident = s.get(Incident, board_world.leak_incident)
        incident.trip_count, incident.first_trip_ts = 1, utcnow().replace(microsecond=0) - 5 * H
    try:
        sign_in(page, board_world.api.tokens["dispatcher"])
        page.goto(f"/board/tickets/{board_world.leak_ticket}")
        expect(page.locator("#tripped")).to_be_visible()
        when = r"\d{4}-\d\d-\d\d \d\d:\d\d UTC"
        expect(page.locator("#tripped")).to_contain_text(re.compile(r"stopped on protection\s+1 time,\s+first " + when))
        expect(page.get_by_text("Predicted to trip again")).to_be_visible()
        page.goto("/board/devices/hp-a2")
        expect(page.locator("#incidents span.tripped")).to_contain_text(re.compile("tripped " + when))
    finally:
        with db.transaction() as s:
            incident = s.get(Incident, board_world.leak_incident)
            incident.trip_count, incident.first_trip_ts = 0, None


def test_an_interval_opening_now_reads_could_trip_any_time_in_the_browser(page, board_db, board_world):
    """A pump whose earliest bound has passed, as a dispatcher sees its ticket in Chromium: "could trip
    any time now, at the latest ..." with the latest bound, no "between" a moment already past."""
    from heatwatch.gateway.db import utcnow
    from heatwatch.gateway.incidents.models import Incident

    db = board_db[0]
    now = utcnow().replace(microsecond=0)
    latest = now + 72 * H
    with db.transaction() as s:
        incident = s.get(Incident, board_world.leak_incident)
        kept = (incident.predicted_failure_ts, incident.predicted_failure_earliest, incident.predicted_failure_latest)
        incident.predicted_failure_ts = now + 24 * H
        incident.predicted_failure_earliest, incident.predicted_failure_latest = now - H, latest
    try:
        sign_in(page, board_world.api.tokens["dispatcher"])
        page.goto(f"/board/tickets/{board_world.leak_ticket}")
        line = page.locator("p", has_text="Predicted to trip")
        expect(line).to_contain_text(f"could trip any time now, at the latest {latest:%Y-%m-%d %H:%M} UTC")
        expect(line).not_to_contain_text("between")
    finally:
        with db.transaction() as s:
            incident = s.get(Incident, board_world.leak_incident)
            (incident.predicted_failure_ts, incident.predicted_failure_earliest,
             incident.predicted_failure_latest) = kept
