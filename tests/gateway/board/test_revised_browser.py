"""A revised diagnosis in headless Chromium: the agent's rules name low water flow, the customer's
email asks them to check the valves; the flow meter's notice revises it, and the update email goes
(the real SMTP server). The customer opens its link on a phone, in Swedish: the page names the
faulty sensor, says the diagnosis was updated (when, from what) and that the valve advice no longer
holds. The dispatcher's board marks the ticket revised, the ticket names the first diagnosis and
lists the update sent. Screenshots go to artifacts/board/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from heatwatch.gateway.customers.models import Customer, Site
from heatwatch.gateway.db import utcnow
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.incidents.service import Incidents
from heatwatch.gateway.ingest.service import Ingest
from heatwatch.gateway.notifications.delivery import NotificationWorker
from heatwatch.gateway.settings import NotificationSettings
from heatwatch.gateway.tickets.models import Ticket
from tests.gateway.board.conftest import ARTIFACTS, customer_phone
from tests.gateway.board.serve import BoardServer
from tests.gateway.board.test_board_browser import sign_in
from tests.gateway.incidents_support import Clock
from tests.gateway.notification_support import Mailbox, settings_for
from tests.gateway.test_revised_diagnosis import Agent, deliver

LINK = re.compile(r"https?://\S+/s/[A-Za-z0-9_-]{32}")
SECRET = "revised-secret-" + "r" * 30
DEVICE = "hp-revised-1"


@pytest.fixture(scope="module")
def server(board_db, board_world):
    notifications = NotificationSettings(status_link_secret=SECRET, company="Nordvärme Service")
    srv = BoardServer(*board_db, poll_seconds=1.0, notifications=notifications).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def mailbox():
    box = Mailbox().start()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def revised(board_db, server, mailbox) -> int:
    """The story up to the update email; returns the ticket id."""
    db = board_db[0]
    with db.transaction() as s:
        customer = Customer(name="Sara Lind", language="sv", time_zone="Europe/Stockholm",
                            preferred_channels=["email"], contact_addresses={"email": "sara@example.se"})
        s.add(Device(id=DEVICE, nickname="Värmis", site=Site(customer=customer, city="Uppsala", country="SE",
                                                              latitude=59.9, longitude=17.6)))
    start = utcnow().replace(microsecond=0) - timedelta(days=1)
    clock = Clock(start)
    ingest, agent = Ingest(db, clock=clock, incidents=Incidents()), Agent(DEVICE)
    worker = NotificationWorker(db, settings_for(mailbox, status_base_url=server.url, status_link_secret=SECRET))
    deliver(ingest, agent.run(start, 7, flow_lpm=-3.2))  # deep: named on the flow alone
    assert worker.run_once(clock.now) == 1
    clock.now = later = start + timedelta(hours=7, minutes=10)
    deliver(ingest, agent.run(later, 8, flow_lpm=-3.5, flow_meter_low=1.5))
    assert worker.run_once(clock.now) == 1 and mailbox.count() == 2
    with db.sessions() as s:
        return s.scalars(select(Ticket.id).where(Ticket.device_id == DEVICE)).one()


def _shot(name: str):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"


def test_the_customer_reads_the_updated_diagnosis_and_the_board_marks_it_revised(
        page, browser, server, board_world, mailbox, revised, console):
    first, update = (m.get_body(("plain",)).get_content() for m in mailbox.received)
    assert "ventilerna på element" in first and "ventilerna" not in update
    assert "Du kan bortse från vårt tidigare råd" in update
    link = LINK.search(update)[0]
    assert link.startswith(server.url)

    with customer_phone(browser, console) as customer:
        customer.goto(link)
        health = customer.locator("#health")
        expect(health).to_contain_text("temperatur- eller tryckgivare visar fel värden")
        expect(customer.locator("#revised")).to_contain_text("Diagnosen uppdaterad")
        expect(customer.locator("#revised")).to_contain_text("trodde vi att din värmepump ”Värmis” har för lågt vattenflöde")
        expect(customer.locator("#revised")).to_contain_text("Vårt tidigare råd gäller inte längre.")
        expect(customer.locator("#timeline li.revised")).to_contain_text(
            "Vi uppdaterade diagnosen: din värmepump ”Värmis” har en felaktig givare")
        assert "ventilerna" not in customer.locator("main").inner_text()
        customer.screenshot(path=str(_shot("status_page_revised")), full_page=True)

    sign_in(page, board_world.api.tokens["dispatcher"])
    row = page.locator(f'#rows tr.ticket[data-ticket="{revised}"]')
    expect(row.locator(".badge.revised")).to_have_text("diagnosis revised")
    page.goto(f"/board/tickets/{revised}")
    expect(page.locator("p.revised")).to_contain_text("Diagnosis revised")
    expect(page.locator("p.revised")).to_contain_text("withdrawn by the agent")
    expect(page.locator('#history tr[data-step="diagnosis_updated"]')).to_contain_text("diagnosis updated")
    expect(page.locator('#history tr[data-step="diagnosis_updated"]')).to_contain_text("sent")
    expect(page.locator("#history")).to_contain_text("revised")
