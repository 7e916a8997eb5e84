"""The device page says how the agent judges its pump and what it counted as refused or failed, in headless
Chromium: the status sent as an agent sends it (an MQTT payload through the gateway's ingest). A later
status replaces the words; a device whose agent never sent counters shows no such lines. No console
errors (conftest's page fixture checks)."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from playwright.sync_api import expect

from heatwatch.contract import Status, agent_topic
from heatwatch.gateway.incidents.service import Incidents
from heatwatch.gateway.ingest.service import Ingest
from tests.gateway.board.test_board_browser import sign_in


def _send(ingest: Ingest, ts: float, counters: dict) -> None:
    msg = Status(device="hp-b1", online=True, ts=ts, counters=counters)
    assert ingest.handle(agent_topic("hp-b1", "status"), msg.to_json()).accepted


def test_the_device_page_tells_the_agents_state(page, board_db, board_world):
    ingest = Ingest(board_db[0], incidents=Incidents())
    t0 = datetime(2026, 11, 21, 8, 0, tzinfo=timezone.utc).timestamp()
    _send(ingest, t0, {"agent": {"starts": 2, "readings": 4210, "ready": False, "last_ts": t0 - 60.0,
                                 "state_unreadable": 1},
                       "fleet": {"own_model": False, "judged_by_fleet": False, "judged_by_own_start": False,
                                 "window_rows": 1312},
                       "pipeline": {"out_of_range[t_flow]": 7, "out_of_range[p_low]": 2, "processing_errors": 0},
                       "source": {"crc_errors": 3}})
    sign_in(page, board_world.api.tokens["technician"])
    page.goto("/board/devices/hp-b1")
    state = page.locator("#agent-state")
    expect(state).to_contain_text("the physics bands while it learns its own model")
    expect(state).to_contain_text("1,312 steady readings collected for its own model")
    expect(state).to_contain_text("4,210 readings")
    expect(state).to_contain_text("restarted 1 time")
    problems = page.locator("#agent-problems li")
    expect(problems).to_have_count(3)
    expect(problems.nth(0)).to_have_text("9 readings out of range (t_flow 7, p_low 2)")  # the most first
    expect(problems.nth(1)).to_have_text("3 × serial frame with a bad CRC")
    expect(problems.nth(2)).to_have_text("1 × state file unreadable at a start (learned afresh)")

    _send(ingest, t0 + 3600.0, {"agent": {"starts": 2, "readings": 4270, "ready": True},
                                "fleet": {"own_model": True, "window_rows": 0}})
    page.goto("/board/devices/hp-b1")
    expect(state).to_contain_text("its own learned healthy model")
    expect(page.locator("#agent-state .learning")).to_have_count(0)
    expect(page.locator("#agent-problems")).to_contain_text("nothing refused or failed")
    page.goto("/board/devices/hp-a2")  # never sent counters
    expect(page.locator("#agent-state")).to_have_count(0)


def test_the_agents_page_puts_the_agents_to_look_at_on_top(page, board_db, board_world):
    """Every device's agent at a glance (Agents in the header): the one that counted refused readings
    first, a device that never sent counters says so, each row links to its device page."""
    ingest = Ingest(board_db[0], incidents=Incidents())
    t0 = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc).timestamp()
    msg = Status(device="hp-a2", online=True, ts=t0, counters={
        "agent": {"starts": 5, "readings": 900, "ready": False},
        "fleet": {"judged_by_fleet": True, "prior_members": 12, "window_rows": 400},
        "source": {"rejected_payloads": 17, "crc_errors": 2}, "outbox": {"pending_events": 3}})
    assert ingest.handle(agent_topic("hp-a2", "status"), msg.to_json()).accepted
    sign_in(page, board_world.api.tokens["dispatcher"])
    page.goto("/board")
    page.locator("header a.nav", has_text="Agents").click()
    expect(page).to_have_url(re.compile(r"/board/agents$"))
    rows = page.locator("#agents tbody tr")
    first = rows.nth(0)
    expect(first).to_have_attribute("data-device", "hp-a2")
    expect(first).to_contain_text("its fleet's prior (12 pumps) while it learns its own")
    expect(first).to_contain_text("400 steady readings collected")
    expect(first.locator("td.counted")).to_have_text("17 × payload refused; 3 events waiting to be sent; "
                                                     "2 × serial frame with a bad CRC")
    expect(page.locator("#agents")).to_contain_text("no status with counters yet")
    first.locator("a").click()
    expect(page.locator("h1")).to_contain_text("hp-a2")
