"""An agent's notices about itself on the device page, in headless Chromium: sent as an agent sends them
(MQTT payloads through the gateway's ingest and incident service), shown newest first with the agent's
words, and no ticket opened for them (a held commissioning window or a wrong refrigerant is a
configuration to look at, not a visit). No console errors (conftest's page fixture checks)."""

from __future__ import annotations

from datetime import datetime, timezone

from playwright.sync_api import expect
from sqlalchemy import func, select

from heatwatch.contract import Event, agent_topic
from heatwatch.gateway.incidents.service import Incidents
from heatwatch.gateway.ingest.service import Ingest
from heatwatch.gateway.tickets.models import Ticket
from tests.gateway.board.test_board_browser import sign_in

HELD = ("Commissioning is held open: its 1,512 steady readings stand outside the bands of any healthy pump "
        "(evap_approach averaged 18.2 K, above 13.0 K by 2.6 tolerances); the pump is judged by its own start.")
MISMATCH = "Configured R32, but the pressures fit R290's saturation curve: check edge.toml's refrigerant."


def _tickets(db, device: str) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(Ticket).where(Ticket.device_id == device))


def test_the_device_page_shows_what_the_agent_said_and_no_ticket_is_opened(page, board_db, board_world):
    db = board_db[0]
    before = _tickets(db, "hp-b1")
    ingest = Ingest(db, incidents=Incidents())
    t0 = datetime(2026, 11, 20, 8, 0, tzinfo=timezone.utc).timestamp()
    for seq, (name, text) in enumerate((("commissioning_held", HELD), ("refrigerant_mismatch", MISMATCH))):
        msg = Event(device="hp-b1", seq=900 + seq, event_id=f"ev-board-notice-{seq}", ts=t0 + 3600.0 * seq,
                    kind="agent", fault=name, severity="warning", confidence=1.0, explanation=text)
        assert ingest.handle(agent_topic("hp-b1", "event"), msg.to_json()).accepted
    assert _tickets(db, "hp-b1") == before

    sign_in(page, board_world.api.tokens["technician"])
    page.goto("/board/devices/hp-b1")
    rows = page.locator("#notices tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-notice", "refrigerant_mismatch")  # newest first
    expect(rows.nth(0)).to_contain_text("Pressures do not fit the configured refrigerant")
    expect(rows.nth(0)).to_contain_text("check edge.toml's refrigerant")
    expect(rows.nth(1)).to_contain_text("Commissioning held open by the physics bands")
    expect(rows.nth(1)).to_contain_text("above 13.0 K by 2.6 tolerances")
    # a device whose agent said nothing of itself says so
    page.goto("/board/devices/hp-a2")
    expect(page.locator("#notices")).to_contain_text("No notices from the agent.")
