"""A diagnosis revised, end to end: the agent's rules (the shipped file) withdraw low_water_flow when
the flow meter's own notice is raised, its events go through ingest (as the broker hands them over)
to the incidents and the ticket on SQLite and PostgreSQL. The dispatcher sees one ticket, its
diagnosis revised; the customer was told of one problem, once."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from heatwatch.contract import EXPLAINED_BY, REVISES, Event, EventBody, agent_topic, revisions
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.gateway.customers.models import Customer, Site
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.incidents.models import IncidentState
from heatwatch.gateway.incidents.service import Incidents
from heatwatch.gateway.ingest.service import Ingest
from heatwatch.gateway.notifications.models import Notification
from heatwatch.gateway.notifications.steps import PROBLEM_FOUND
from heatwatch.gateway.tickets.models import TicketChange, TicketStatus
from heatwatch.rules.engine import ChannelShift, Evidence
from tests.gateway.incidents_support import JANUARY, Clock, incidents
from tests.gateway.incidents_support import tickets as tickets_of

HOUR = 3600.0
# the keys an event had on the wire before revisions existed: a gateway of then reads every event
V1_EVENT_KEYS = {"v", "device", "seq", "event_id", "ts", "kind", "fault", "severity", "confidence", "explanation",
                 "parts", "findings", "prognosis", "commissioned"}
V1_FINDING_KEYS = {"kind", "channels", "expected", "observed", "score", "message"}


class Agent:
    """A pump's pipeline judged on evidence the test gives (its rules, one voice, events as it
    makes them), numbered as the outbox numbers them."""

    def __init__(self, device: str = "hp-001") -> None:
        self.pipe = PumpPipeline(device=device)
        self.seq = 0

    def run(self, start: datetime, hours: float, **levels: float) -> list[Event]:
        shifts = {ch: ChannelShift(level=lv, expected=20.0, observed=20.0 + lv) for ch, lv in levels.items()}
        out: list[EventBody] = []
        t = start.timestamp()
        while t <= start.timestamp() + hours * HOUR:
            ds = self.pipe._one_voice(self.pipe.rules.evaluate(Evidence(ts=t, shifts=shifts)))
            out += [self.pipe._event(d) for d in ds]
            t += 600.0
        events = []
        for body in out:
            self.seq += 1
            events.append(Event(**body.model_dump(), seq=self.seq, event_id=f"agent-{self.seq:08d}"))
        return events


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ingest(db, clock) -> Ingest:
    with db.transaction() as s:
        customer = Customer(name="A. Customer", preferred_channels=["email"],
                            contact_addresses={"email": "customer@example.org"})
        s.add(Device(id="hp-001", site=Site(customer=customer, city="Kassel", country="DE",
                                            latitude=51.3, longitude=9.5)))
    return Ingest(db, clock=clock, incidents=Incidents())


def deliver(ingest: Ingest, events: list[Event]) -> None:
    for ev in events:
        payload = ev.to_json()
        doc = json.loads(payload)
        assert set(doc) <= V1_EVENT_KEYS and all(set(f) <= V1_FINDING_KEYS for f in doc.get("findings", []))
        assert ingest.handle(agent_topic(ev.device, "event"), payload).accepted


def told(db, step: str) -> int:
    with db.transaction() as s:
        return len(s.scalars(select(Notification).where(Notification.step == step)).all())


def revision_notes(db, ticket_id: int) -> list[tuple[str | None, str | None, str]]:
    with db.transaction() as s:
        return [(c.from_value, c.to_value, c.note) for c in s.scalars(
            select(TicketChange).where(TicketChange.ticket_id == ticket_id, TicketChange.action == "revised"))]


def test_a_flow_meter_reading_low_revises_the_low_water_flow_ticket(db, ingest, clock):
    agent = Agent()
    first = agent.run(JANUARY, 7, flow_lpm=-3.2)  # deep: named on the flow alone
    assert [(e.kind, e.fault) for e in first] == [("fault", "low_water_flow")]
    deliver(ingest, first)
    [ticket] = tickets_of(db)
    assert told(db, PROBLEM_FOUND) == 1
    later = JANUARY + timedelta(hours=7, minutes=10)
    clock.now = later
    meter = agent.run(later, 8, flow_lpm=-3.5, flow_meter_low=1.5)
    # the meter's notice, and the water-side fault withdrawn in the same round, each naming the other
    assert [(e.kind, e.fault) for e in meter] == [("sensor_fault", "sensor_drift"), ("fault_cleared", "low_water_flow")]
    raised, withdrawn = meter
    assert withdrawn.ts == raised.ts
    assert [(r.fault, r.channel) for r in revisions(raised.findings, REVISES)] == [("low_water_flow", None)]
    [by] = revisions(withdrawn.findings, EXPLAINED_BY)
    assert (by.fault, by.channel) == ("sensor_drift", "flow_lpm")
    assert "withdrawn" in withdrawn.explanation
    deliver(ingest, meter)

    water, sensor = incidents(db)
    assert (water.fault, water.state, water.close_reason) == ("low_water_flow", IncidentState.CLOSED, "revised")
    assert (sensor.fault, sensor.state) == ("sensor_drift", IncidentState.OPEN)
    [same] = tickets_of(db)  # one ticket: the diagnosis revised on it, not a second problem
    assert same.id == ticket.id and same.incident_id == sensor.id and same.status == TicketStatus.OPEN
    assert "flow_lpm" in same.title and same.title != ticket.title
    [(before, after, note)] = revision_notes(db, ticket.id)
    assert (before, after) == (ticket.title, same.title)
    assert "revised: flow meter reads low, not low water flow" in note
    assert "deep" not in note  # the deep rule is a variant of low water flow: named by its fault, not its rule
    # a sensor fault is at most P3: the dispatcher is told, the gateway does not lower the ticket itself
    assert same.priority == ticket.priority and sensor.priority > ticket.priority
    assert f"Priority stays P{ticket.priority}" in note and f"is P{sensor.priority}" in note
    assert water.close_proposed_at is None  # no "the pump recovered" for the dispatcher to confirm
    assert told(db, PROBLEM_FOUND) == 1  # the customer is not told of a second problem


def test_a_withdrawal_arriving_before_the_better_notice_proposes_closing_then_hands_over(db, ingest, clock):
    """Two workers may take the round's two events out of order: the withdrawal proposes closing
    with the revision as its reason; the meter's raise then takes the ticket over."""
    agent = Agent()
    deliver(ingest, agent.run(JANUARY, 7, flow_lpm=-3.2))
    later = JANUARY + timedelta(hours=7, minutes=10)
    clock.now = later
    raised, withdrawn = agent.run(later, 8, flow_lpm=-3.5, flow_meter_low=1.5)
    deliver(ingest, [withdrawn])
    [water] = incidents(db)
    assert water.state == IncidentState.OPEN and water.close_proposed_at is not None
    [ticket] = tickets_of(db)
    with db.transaction() as s:
        notes = [c.note for c in s.scalars(select(TicketChange).where(TicketChange.action == "close_proposed"))]
    assert len(notes) == 1 and "revised: flow meter reads low" in notes[0] and "recovered" not in notes[0]
    deliver(ingest, [raised])
    water, sensor = incidents(db)
    assert (water.state, water.close_reason, sensor.state) == (IncidentState.CLOSED, "revised", IncidentState.OPEN)
    [same] = tickets_of(db)
    assert same.id == ticket.id and same.incident_id == sensor.id
    assert told(db, PROBLEM_FOUND) == 1


def test_a_plain_clear_still_proposes_closing_as_a_recovery(db, ingest, clock):
    agent = Agent()
    deliver(ingest, agent.run(JANUARY, 7, flow_lpm=-2.0, delta_t=1.2, flow_meter_low=-1.0))
    later = JANUARY + timedelta(hours=7, minutes=10)
    clock.now = later
    cleared = agent.run(later, 7 * 24 + 1)
    assert [(e.kind, e.fault, revisions(e.findings, EXPLAINED_BY)) for e in cleared] == [
        ("fault_cleared", "low_water_flow", [])]
    deliver(ingest, cleared)
    [water] = incidents(db)
    assert water.state == IncidentState.OPEN and water.close_proposed_at is not None


def test_a_notice_withdrawn_for_another_of_the_same_fault_leaves_the_ticket_standing(db, ingest, clock):
    """The notice on delta-T, then the flow thermistor's own (both sensor_drift, one incident): the
    withdrawal of the first is noted on the ticket as a revision, and proposes no closing while the
    thermistor's notice stands (main proposed it when the delta-T notice cleared a day later)."""
    agent = Agent()
    first = agent.run(JANUARY, 13, heat_deficit=1.5)
    assert [(e.kind, e.fault) for e in first] == [("sensor_fault", "sensor_drift")]
    deliver(ingest, first)
    later = JANUARY + timedelta(hours=13, minutes=10)
    clock.now = later
    named = agent.run(later, 30, heat_deficit=1.5, flow_below_condenser=1.2)
    assert [(e.kind, e.fault) for e in named] == [("sensor_fault", "sensor_drift"), ("fault_cleared", "sensor_drift")]
    deliver(ingest, named)
    [incident] = incidents(db)
    assert incident.state == IncidentState.OPEN and incident.close_proposed_at is None
    [ticket] = tickets_of(db)
    [(_, _, note)] = revision_notes(db, ticket.id)
    assert "revised: flow sensor below condenser, not water delta t below heat" in note
    assert told(db, PROBLEM_FOUND) == 1


def test_an_update_repeating_a_revision_revises_nothing_again(db, ingest, clock):
    """A fault_update repeats its raise's findings, REVISES too: the fault it names, raised again
    since as a new incident, stays open."""
    from heatwatch.contract import Finding, revision_finding
    from tests.gateway.incidents_support import event

    ingest.handle(*message_of(event("fault", fault="low_water_flow", severity="warning")))
    stale = event("fault_update", fault="refrigerant_leak", failure_in=timedelta(days=10))
    stale = stale.model_copy(update={"findings": [Finding(kind="residual", channels=["eev_pct"], score=3.0),
                                                  revision_finding(REVISES, "low_water_flow", None, "revised: x, not y")]})
    deliver(ingest, [stale])
    assert {(i.fault, i.state) for i in incidents(db)} == {("low_water_flow", IncidentState.OPEN),
                                                           ("refrigerant_leak", IncidentState.OPEN)}


def message_of(ev: Event) -> tuple[str, bytes]:
    return agent_topic(ev.device, "event"), ev.to_json()


def test_revision_findings_read_back_and_a_garbled_one_is_counted_not_acted_on(db, ingest, clock):
    from heatwatch.contract import Finding, revision_finding

    f = revision_finding(EXPLAINED_BY, "sensor_drift", "flow_lpm", "revised: flow meter reads low, not low water flow")
    assert f.channels == [] and f.message.startswith("sensor_drift (flow_lpm): ")
    [r] = revisions([f], EXPLAINED_BY)
    assert (r.fault, r.channel, r.text) == ("sensor_drift", "flow_lpm", "revised: flow meter reads low, not low water flow")
    assert revisions([f], REVISES) == []
    with pytest.raises(ValueError, match="not a revision finding kind"):
        revision_finding("residual", "sensor_drift", None, "x")
    agent = Agent()
    deliver(ingest, agent.run(JANUARY, 7, flow_lpm=-3.2))
    garbled = Event(device="hp-001", seq=99, event_id="agent-garbled", ts=(JANUARY + timedelta(hours=8)).timestamp(),
                    kind="fault_cleared", fault="low_water_flow", severity="info",
                    findings=[Finding(kind=EXPLAINED_BY, channels=[], message="no notice named here")])
    before = ingest.incidents.counters.get("explained_by.unreadable")
    deliver(ingest, [garbled])
    assert ingest.incidents.counters.get("explained_by.unreadable") == before + 1
    [water] = incidents(db)  # what a plain clear does: a closing proposed for the dispatcher
    assert water.state == IncidentState.OPEN and water.close_proposed_at is not None


def test_a_withdrawn_fault_whose_better_notice_has_a_ticket_already_is_cancelled_naming_it(db, ingest, clock):
    """The pump's sensor_drift incident is open already (its low-pressure transducer): the meter's
    notice joins it, so the low water flow ticket has nothing to become: it is cancelled, naming the
    ticket that speaks for it, and the customer hears nothing more."""
    from heatwatch.contract import revision_finding
    from tests.gateway.incidents_support import event

    deliver(ingest, [event("sensor_fault", fault="sensor_drift", severity="info", channels=["p_low"])])
    deliver(ingest, [event("fault", fault="low_water_flow", severity="warning", at=JANUARY + timedelta(hours=1),
                           channels=["flow_lpm"])])
    drift, water = tickets_of(db)
    meter = event("sensor_fault", fault="sensor_drift", severity="info", at=JANUARY + timedelta(days=2),
                  channels=["flow_lpm"])
    meter = meter.model_copy(update={"findings": [*meter.findings, revision_finding(
        REVISES, "low_water_flow", None, "revised: flow meter reads low, not low water flow")]})
    notified = told(db, PROBLEM_FOUND)
    deliver(ingest, [meter])
    incident_drift, incident_water = incidents(db)
    assert (incident_water.state, incident_water.close_reason) == (IncidentState.CLOSED, "revised")
    assert incident_drift.state == IncidentState.OPEN
    drift_now, water_now = tickets_of(db)
    assert water_now.status == TicketStatus.CANCELLED and drift_now.status == TicketStatus.OPEN
    [(_, _, note)] = revision_notes(db, drift.id)
    assert f"ticket {water.id} cancelled" in note and "revised: flow meter reads low" in note
    assert told(db, PROBLEM_FOUND) == notified
