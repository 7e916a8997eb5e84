"""The board in a real browser: Debian's chromium, driven by Playwright, against uvicorn serving
create_app over a populated SQLite database (conftest.py). Every test fails on a console error."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from heatwatch.gateway.db import utcnow
from heatwatch.gateway.tickets import service
from heatwatch.gateway.tickets.models import Ticket, TicketStatus


def sign_in(page, token: str):
    page.goto("/board")
    assert page.url.endswith("/board/login")
    page.fill("input[name=token]", token)
    page.click("form.login button[type=submit]")
    return page


def board_ids(page) -> list[int]:
    return [int(i) for i in page.locator("#rows tr.ticket").evaluate_all("rows => rows.map(r => r.dataset.ticket)")]


def test_sign_in_and_the_board_is_in_the_api_order(page, server, board_world):
    sign_in(page, board_world.api.tokens["dispatcher"])
    expect(page).to_have_url(re.compile(r"/board$"))
    expect(page.locator("header .who")).to_contain_text("dispatcher")
    shown = board_ids(page)
    api = page.request.get("/tickets", params={"active": "true", "limit": 200},
                           headers=board_world.api.auth("dispatcher")).json()
    assert api["next_cursor"] is None
    assert shown == [t["id"] for t in api["items"]]
    assert len(shown) > 20
    # the leak ticket: its response deadline shown in words, and it stands out until acknowledged
    row = page.locator(f'#rows tr[data-ticket="{board_world.leak_ticket}"]')
    expect(row.locator("td.sla")).to_have_text(re.compile(r"respond in 3 h (19|20) min"))
    bulk = page.locator("#rows tr.ticket td.sla.breached").first
    expect(bulk).to_have_text(re.compile(r"breached \d+ d( \d+ h)? ago"))


def test_filters_narrow_the_board(page, board_world):
    sign_in(page, board_world.api.tokens["dispatcher"])
    page.select_option("select[name=priority]", "4")
    expect(page.locator("#rows tr.ticket.p1")).to_have_count(0)
    expect(page.locator(f'#rows tr[data-ticket="{board_world.quiet_ticket}"]')).to_have_count(1)
    page.select_option("select[name=priority]", "")
    page.select_option("select[name=technician]", str(board_world.api.user_ids["technician"]))
    expect(page.locator("#rows tr.ticket")).to_have_count(1)  # only "a1 leak" is assigned and still open
    expect(page.locator("#rows tr.ticket")).to_contain_text("a1 leak")


def test_acknowledging_takes_the_highlight_away(page, board_db, board_world):
    sign_in(page, board_world.api.tokens["dispatcher"])
    row = page.locator(f'#rows tr[data-ticket="{board_world.leak_ticket}"]')
    expect(row).to_have_class(re.compile(r"\bunacked\b"))
    row.locator("a").first.click()
    page.click("#acknowledge button")
    expect(page.locator("#status")).to_have_text("acknowledged")
    expect(page.locator("#history")).to_contain_text("open → acknowledged")
    page.click("text=← Board")
    row = page.locator(f'#rows tr[data-ticket="{board_world.leak_ticket}"]')
    expect(row).not_to_have_class(re.compile(r"\bunacked\b"))
    expect(row.locator("td.sla")).to_have_text(re.compile(r"resolve in \d+ h"))
    with board_db[0].sessions() as s:
        assert s.get(Ticket, board_world.leak_ticket).status == TicketStatus.ACKNOWLEDGED


def test_scheduling_a_visit_shows_in_the_history(page, board_world):
    sign_in(page, board_world.api.tokens["dispatcher"])
    page.goto(f"/board/tickets/{board_world.quiet_ticket}")
    day = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%d")
    page.fill("input[name=window_start]", f"{day}T08:00")
    page.fill("input[name=window_end]", f"{day}T10:00")
    page.select_option("select[name=technician]", label="technician2")
    page.click("#schedule button")
    expect(page.locator("#status")).to_have_text("scheduled")
    # typed in the customer's zone (Anna: Europe/Berlin, the form says so), stored and shown in UTC
    berlin = ZoneInfo("Europe/Berlin")
    start, end = (datetime.fromisoformat(f"{day}T{h}").replace(tzinfo=berlin).astimezone(timezone.utc)
                  for h in ("08:00", "10:00"))
    expect(page.locator("#visit")).to_have_text(f"{start:%Y-%m-%d %H:%M} UTC – {end:%Y-%m-%d %H:%M} UTC")
    expect(page.locator("#visit-local")).to_have_text(f"({day} 08:00 – 10:00 Europe/Berlin)")
    history = page.locator("#history")
    expect(history.locator("tr.schedule")).to_contain_text(f"{start:%Y-%m-%d %H:%M}..{end:%Y-%m-%d %H:%M} UTC")
    expect(history.locator("tr.assign")).to_contain_text("technician2")


def test_the_ticket_page_explains_and_draws_the_chart(page, board_world):
    sign_in(page, board_world.api.tokens["dispatcher"])
    page.goto(f"/board/tickets/{board_world.leak_ticket}")
    expect(page.locator("p.fault")).to_contain_text("Refrigerant leak (undercharge)")
    expect(page.locator("#confidence")).to_have_text("82 %")
    expect(page.locator("ul.evidence")).to_contain_text("Suction superheat 14.2 K where 6.0 K is expected")
    expect(page.locator("table.kit")).to_contain_text("electronic leak detector")
    expect(page.locator("#customer")).to_contain_text("Anna Albers")
    expect(page.locator("section")).to_contain_text(["sms: +49 561 000000 (preferred)"])
    chart = page.locator("#ticket-chart")
    expect(chart).to_have_attribute("data-points", re.compile(r"^[1-9]\d*$"))
    assert int(chart.get_attribute("data-points")) >= 3 * 400 * 0.5  # three panels, about 400 points each
    panels = chart.locator(".panel")
    expect(panels.first).to_have_attribute("data-channel", "superheat")
    # the canvas has been drawn on: count painted pixels of the superheat panel
    painted = panels.first.locator("canvas").evaluate(
        "c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }")
    assert painted > 2000
    # the predicted trend reaches the trip threshold at the predicted time: a third series in the legend
    expect(panels.first).to_contain_text("predicted trend")


def test_device_page_shows_channels_and_incidents(page, board_world):
    sign_in(page, board_world.api.tokens["dispatcher"])
    page.goto("/board/devices/hp-a1")
    expect(page.locator("#incidents")).to_contain_text("Refrigerant leak (undercharge)")
    expect(page.locator("#incidents")).to_contain_text("closed (fault cleared)")
    page.goto("/board/devices/hp-a2?days=7&channel=superheat&channel=p_low")
    chart = page.locator("#device-chart")
    expect(chart.locator(".panel")).to_have_count(2)
    expect(chart).to_have_attribute("data-points", re.compile(r"^[1-9]\d*$"))


def test_a_new_ticket_appears_without_reload(page, board_db, board_world):
    sign_in(page, board_world.api.tokens["dispatcher"])
    page.evaluate("window.boardNotReloaded = true")
    with board_db[0].transaction() as s:
        ticket = service.open_ticket(s, device_id="hp-b1", title="b1 brand new", priority=1)
        new_id = ticket.id
    row = page.locator(f'#rows tr[data-ticket="{new_id}"]')
    expect(row).to_have_count(1, timeout=10_000)
    expect(row).to_have_class(re.compile(r"\bunacked\b"))
    assert page.evaluate("window.boardNotReloaded") is True


def test_a_stale_version_is_a_message_not_an_error(page, board_db, board_world, console):
    ticket_id = board_world.api.tickets["bulk 03"]
    sign_in(page, board_world.api.tokens["dispatcher"])
    page.goto(f"/board/tickets/{ticket_id}")
    with board_db[0].transaction() as s:  # someone else acts meanwhile
        service.acknowledge(s, ticket_id, version=s.get(Ticket, ticket_id).version, actor=service.Actor("other"))
    console.expect("409")
    with page.expect_navigation() as nav:
        page.click("#acknowledge button")
    response = nav.value
    assert response.status == 409
    expect(page.locator("#message")).to_contain_text("Someone changed this ticket")
    expect(page.locator("#status")).to_have_text("acknowledged")  # the page shows it as it is now


def test_a_customer_token_is_refused(page, board_world, console):
    console.expect("403")  # the refused sign-in answers 403, which chromium reports
    sign_in(page, board_world.api.tokens["customer_a"])
    expect(page.locator(".message")).to_contain_text("belongs to a customer")
    page.goto("/board")
    assert page.url.endswith("/board/login")


def test_a_forged_post_without_the_csrf_token_is_refused(page, server, board_db, board_world, console):
    ticket_id = board_world.api.tickets["bulk 05"]
    sign_in(page, board_world.api.tokens["dispatcher"])
    expect(page.locator("#rows")).to_be_visible()
    # another site on this host (same-site for the cookie: SameSite alone would let it through)
    evil = f"http://127.0.0.1:{server.port + 1 if server.port < 65535 else 1}/prize"
    page.route(evil, lambda route: route.fulfill(content_type="text/html", body=(
        f'<form id="f" method="post" action="{server.url}/board/tickets/{ticket_id}/acknowledge">'
        '<input name="version" value="1"></form>')))
    console.expect("403")
    page.goto(evil)
    with page.expect_navigation() as nav:
        page.evaluate("document.getElementById('f').submit()")
    assert nav.value.status == 403
    expect(page.locator(".message")).to_contain_text("CSRF")
    with board_db[0].sessions() as s:
        assert s.get(Ticket, ticket_id).status == TicketStatus.OPEN
