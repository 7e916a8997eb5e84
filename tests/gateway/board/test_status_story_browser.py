"""The whole story in headless Chromium: a dispatcher offers visit times on the board, the customer
opens the status page from the queued message's link (on a phone-sized screen, in Swedish), picks a
time, the board shows the ticket scheduled, the dispatcher resolves it, and the customer answers the
survey from the score link in the survey email. Screenshots go to artifacts/board/."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from heatwatch.gateway.customers.models import Customer
from heatwatch.gateway.db import utcnow
from heatwatch.gateway.feedback.models import SurveyResponse, VisitProposal
from heatwatch.gateway.notifications.compose import compose
from heatwatch.gateway.notifications.models import Notification
from heatwatch.gateway.settings import NotificationSettings
from heatwatch.gateway.tickets.models import Ticket, TicketStatus
from tests.gateway.board.conftest import ARTIFACTS, customer_phone
from tests.gateway.board.serve import BoardServer
from tests.gateway.board.test_board_browser import sign_in

LINK = re.compile(r"https?://\S+/s/[A-Za-z0-9_-]{32}")


@pytest.fixture(scope="module")
def server(board_db, board_world):
    with board_db[0].transaction() as s:
        s.get(Customer, board_world.api.customers["a"]).language = "sv"
    notifications = NotificationSettings(status_link_secret="story-secret-" + "s" * 30, company="Nordvärme Service")
    srv = BoardServer(*board_db, poll_seconds=1.0, notifications=notifications).start()
    yield srv
    srv.stop()


def message_of(db, server, ticket_id: int, step: str, channel: str) -> str:
    """The text a queued message would carry now (the email's letter, the SMS's short text)."""
    with db.sessions() as s:
        row = s.scalars(select(Notification).where(Notification.ticket_id == ticket_id, Notification.step == step,
                                                   Notification.channel == channel)).one()
        rendered = compose(s, row, server.settings.notifications, utcnow())
        return rendered.full if channel == "email" else rendered.short


def test_offer_pick_resolve_and_survey(page, browser, server, board_db, board_world, console):
    db, ticket_id = board_db[0], board_world.leak_ticket
    # the dispatcher offers two times
    sign_in(page, board_world.api.tokens["dispatcher"])
    page.goto(f"/board/tickets/{ticket_id}")
    day2, day3 = ((utcnow() + timedelta(days=d)).strftime("%Y-%m-%d") for d in (2, 3))
    windows = page.locator("#propose .window")
    windows.nth(0).locator("input[name=start]").fill(f"{day2}T07:00")
    windows.nth(0).locator("input[name=end]").fill(f"{day2}T09:00")
    windows.nth(1).locator("input[name=start]").fill(f"{day3}T12:00")
    windows.nth(1).locator("input[name=end]").fill(f"{day3}T14:00")
    page.select_option("#propose select[name=technician]", label="technician2")
    page.click("#propose button")
    expect(page.locator("#offered")).to_contain_text("Offered to the customer")
    expect(page.locator("#history")).to_contain_text("propose_visits")

    # the customer opens the link of the SMS the proposal queued, on a phone
    sms = message_of(db, server, ticket_id, "visit_proposed", "sms")
    link = LINK.search(sms)[0]
    assert link.startswith(server.url)
    with customer_phone(browser, console) as customer:
        customer.goto(link)
        expect(customer.locator("#health")).to_contain_text("Vi har hittat ett fel")
        expect(customer.locator("#health")).to_contain_text("långsamt köldmedium")
        options = customer.locator("#proposals label.choice")
        expect(options).to_have_count(2)
        expect(options.nth(1)).to_contain_text("12:00–14:00")  # typed in the customer's zone, shown in it
        customer.screenshot(path=str(_shot("status_page_offer")), full_page=True)
        options.nth(1).click()
        customer.click("#proposals button")
        expect(customer.locator("#message")).to_contain_text("Tack! Ditt besök är bokat")
        expect(customer.locator("#visit")).to_contain_text("12:00–14:00")
        expect(customer.locator("#visit")).to_contain_text("technician2")
        expect(customer.locator("#proposals")).to_have_count(0)
        customer.screenshot(path=str(_shot("status_page_booked")), full_page=True)

        # the board shows the ticket scheduled for the picked window
        page.reload()
        expect(page.locator("#status")).to_have_text("scheduled")
        expect(page.locator("#visit")).to_contain_text(f"{day3}")
        expect(page.locator("#history")).to_contain_text("Anna Albers (customer, status page)")
        with db.sessions() as s:
            ticket = s.get(Ticket, ticket_id)
            assert ticket.status == TicketStatus.SCHEDULED and ticket.technician.name == "technician2"
            chosen = s.scalars(select(VisitProposal).where(VisitProposal.ticket_id == ticket_id,
                                                           VisitProposal.chosen_at.is_not(None))).one()
            typed = datetime.fromisoformat(f"{day3}T12:00").replace(tzinfo=ZoneInfo("Europe/Berlin"))
            assert chosen.window_start == typed.astimezone(timezone.utc)  # stored in UTC

        # the technician starts at the pump (the API, as their app would); the customer sees it
        technician = board_world.api.auth("technician2")
        version = page.request.get(f"/tickets/{ticket_id}", headers=technician).json()["version"]
        started = page.request.post(f"/tickets/{ticket_id}/start", data={"version": version}, headers=technician)
        assert started.status == 200, started.text()
        customer.reload()
        expect(customer.locator("#timeline")).to_contain_text("Din tekniker arbetar med din värmepump")
        # the work is done; the dispatcher resolves it on the board
        page.reload()
        page.select_option("#resolve select[name=code]", "fault_confirmed")
        page.fill("#resolve input[name=note]", "Leak at the service valve brazed, refilled 1.2 kg")
        page.click("#resolve button")
        expect(page.locator("#status")).to_have_text("resolved")

        # the survey email: the customer clicks "5" and sends it with one more answer
        email = message_of(db, server, ticket_id, "survey", "email")
        five = re.search(LINK.pattern + r"/survey\?csat=5", email)[0]
        customer.goto(five)
        expect(customer.locator("#message")).to_contain_text("Tack för ditt betyg")
        expect(customer.locator("#csat input[value='5']")).to_be_checked()
        with db.sessions() as s:
            assert s.scalars(select(SurveyResponse)).all() == []  # opening the link stored nothing
        customer.locator("#nps label", has_text="9").first.click()
        customer.fill("#comment", "Snabbt och vänligt!")
        customer.screenshot(path=str(_shot("status_page_survey")), full_page=True)
        customer.click("#survey-form button")
        expect(customer.locator("#message")).to_have_text("Tack för ditt svar!")
        expect(customer.locator("#health")).to_contain_text("Allt är i sin ordning")
        expect(customer.locator("#timeline")).to_contain_text("Åtgärdat: felet är lagat")
        customer.screenshot(path=str(_shot("status_page_resolved")), full_page=True)
        with db.sessions() as s:
            answer = s.scalars(select(SurveyResponse)).one()
            assert (answer.ticket_id, answer.csat, answer.nps, answer.ces, answer.comment, answer.source) == \
                (ticket_id, 5, 9, None, "Snabbt och vänligt!", "email_click")

        # the dispatcher's KPI page counts the answer: one answer, satisfied (CSAT 100 %), a promoter (NPS +100)
        page.goto("/board/kpis?days=30")
        expect(page.locator('#kpis tr[data-kpi="csat"]')).to_contain_text("1 of 1 answer")
        expect(page.locator('#kpis tr[data-kpi="nps"] td.value')).to_have_text("+100")
        page.screenshot(path=str(_shot("status_story_kpis")), full_page=True)


def _shot(name: str):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"
