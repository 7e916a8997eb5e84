"""The eval's private gateway reports the tickets the agent's revisions moved (gateway_side.revisions),
from the real incident code on SQLite: a ticket handed over to the better notice, and one cancelled
into the better notice's own ticket."""

from __future__ import annotations

from datetime import timedelta

from heatwatch.contract import REVISES, Event, EventBody, revision_finding
from heatwatch.eval.gateway_side import PrivateGateway
from tests.gateway.incidents_support import JANUARY, event

H = timedelta(hours=1)


def meter(at, device: str):
    ev = event("sensor_fault", fault="sensor_drift", severity="info", at=at, channels=["flow_lpm"], device=device)
    return ev.model_copy(update={"findings": [*ev.findings, revision_finding(
        REVISES, "low_water_flow", None, "revised: flow meter reads low, not low water flow")]})


def body(ev: Event) -> EventBody:
    """The event as the agent's pipeline makes it: the private gateway numbers it as the outbox would."""
    return EventBody(**ev.model_dump(exclude={"seq", "event_id"}))


def test_handed_over_and_cancelled_into_are_both_reported():
    gw = PrivateGateway(["hp-a", "hp-b"], "oslo", "R32")
    try:
        water_a = gw.record(body(event("fault", fault="low_water_flow", severity="warning", at=JANUARY,
                                  channels=["flow_lpm"], device="hp-a"))).outcome.ticket_id
        gw.record(body(meter(JANUARY + 3 * H, "hp-a")))
        sensor_b = gw.record(body(event("sensor_fault", fault="sensor_drift", severity="info", at=JANUARY,
                                   channels=["p_low"], device="hp-b"))).outcome.ticket_id
        water_b = gw.record(body(event("fault", fault="low_water_flow", severity="warning", at=JANUARY + H,
                                  channels=["flow_lpm"], device="hp-b"))).outcome.ticket_id
        gw.record(body(meter(JANUARY + 5 * H, "hp-b")))
        found = {r.ticket_id: r for r in gw.revisions()}
    finally:
        gw.close()
    a, b = found[water_a], found[water_b]
    assert (a.first_fault, a.fault, a.cancelled_into) == ("low_water_flow", "sensor_drift", None)
    assert a.at == (JANUARY + 3 * H).timestamp()
    assert (b.first_fault, b.fault, b.cancelled_into) == ("low_water_flow", "low_water_flow", sensor_b)
    assert b.at == (JANUARY + 5 * H).timestamp() and set(found) == {water_a, water_b}
