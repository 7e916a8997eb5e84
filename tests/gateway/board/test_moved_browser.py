"""A withdrawn fault cancelled into another ticket, in headless Chromium: the pump's low-pressure
transducer is ticketed, then low water flow on a ticket of its own (two emails, one asking to check
the valves); the flow meter's notice joins the sensor ticket and withdraws low water flow, whose
ticket is cancelled into it. The update email goes on the sensor ticket. The customer opens the
link of the valve email on a phone, in Swedish: the page shows the pump's problem as it stands (a
faulty sensor), that the diagnosis was updated and from what, and that the case goes on in the
other one; never "everything is in order". The board marks the sensor ticket revised. Screenshot
in artifacts/board/."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from heatwatch.contract import REVISES, revision_finding
from heatwatch.gateway.tickets.models import Ticket
from tests.gateway.board.conftest import customer_phone, swedish_pump_story
from tests.gateway.board.test_board_browser import sign_in
from tests.gateway.board.test_revised_browser import LINK, SECRET, _shot, mailbox, server  # noqa: F401 - fixtures
from tests.gateway.incidents_support import event
from tests.gateway.test_revised_diagnosis import deliver

DEVICE = "hp-moved-1"


@pytest.fixture(scope="module")
def moved(board_db, server, mailbox) -> tuple[int, int]:  # noqa: F811 - the imported fixtures
    """The story up to the update email; returns (sensor ticket, cancelled water ticket)."""
    db = board_db[0]
    start, clock, ingest, worker = swedish_pump_story(db, DEVICE, "sara.moved@example.se", server.url, SECRET, mailbox)
    deliver(ingest, [event("sensor_fault", fault="sensor_drift", severity="info", at=start, channels=["p_low"],
                           device=DEVICE)])
    deliver(ingest, [event("fault", fault="low_water_flow", severity="warning", at=start + timedelta(hours=1),
                           channels=["flow_lpm"], device=DEVICE)])
    assert worker.run_once(clock.now + timedelta(hours=1)) == 2
    clock.now = later = start + timedelta(hours=7)
    meter = event("sensor_fault", fault="sensor_drift", severity="info", at=later, channels=["flow_lpm"], device=DEVICE)
    deliver(ingest, [meter.model_copy(update={"findings": [*meter.findings, revision_finding(
        REVISES, "low_water_flow", None, "revised: flow meter reads low, not low water flow")]})])
    assert worker.run_once(clock.now) == 1
    with db.sessions() as s:
        sensor, water = s.scalars(select(Ticket.id).where(Ticket.device_id == DEVICE).order_by(Ticket.id)).all()
    return sensor, water


def test_the_cancelled_tickets_link_says_where_the_diagnosis_went(
        page, browser, server, board_world, mailbox, moved, console):  # noqa: F811
    sensor, water = moved
    letters = [m.get_body(("plain",)).get_content() for m in mailbox.received if m["To"] == "sara.moved@example.se"]
    assert len(letters) == 3
    [valves] = [t for t in letters if "ventilerna på element" in t]
    assert "Du kan bortse från vårt tidigare råd" in letters[-1] and "ventilerna" not in letters[-1]
    link = LINK.search(valves)[0]

    with customer_phone(browser, console) as customer:
        customer.goto(link)
        health = customer.locator("#health")
        expect(health).to_contain_text("temperatur- eller tryckgivare visar fel värden")
        expect(health).not_to_contain_text("Allt är i sin ordning")
        expect(customer.locator("#revised")).to_contain_text("trodde vi att din värmepump ”Värmis” har för lågt vattenflöde")
        expect(customer.locator("#timeline")).to_contain_text(
            "Avslutat här: vi fortsätter i ditt andra pågående ärende")
        assert "ventilerna" not in customer.locator("main").inner_text()
        assert "inget besök behövdes" not in customer.locator("main").inner_text()
        customer.screenshot(path=str(_shot("status_page_moved")), full_page=True)

    sign_in(page, board_world.api.tokens["dispatcher"])
    row = page.locator(f'#rows tr.ticket[data-ticket="{sensor}"]')
    expect(row.locator(".badge.revised")).to_have_text("diagnosis revised")
    page.goto(f"/board/tickets/{water}")
    expect(page.locator("main")).to_contain_text(f"ticket {sensor} speaks for it")
    moved = page.locator("#moved")
    expect(moved).to_contain_text("the agent withdrew it for")
    moved.locator(f'a[href="/board/tickets/{sensor}"]').click()  # the dispatcher follows it to the ticket going on
    expect(page).to_have_url(re.compile(rf"/board/tickets/{sensor}$"))
    expect(page.locator("p.revised")).to_contain_text("Diagnosis revised")
