"""Event -> incident -> ticket on SQLite and PostgreSQL, through ingest as the broker hands messages over:
re-delivery and bursts make one incident and one ticket, fault_update moves the prediction, a rising
severity or a nearer failure escalates, a recovery proposes closing, a returning fault opens a linked
incident, a trip records the lead time, a silent device is its own incident."""

from __future__ import annotations

import random
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from heatwatch.gateway.incidents.models import DEVICE_OFFLINE, PUMP_TRIP, Incident, IncidentEvent, IncidentState
from heatwatch.gateway.incidents.service import Incidents, NoCloseProposed
from heatwatch.gateway.incidents.sweeps import SweepSchedule, run_sweeps
from heatwatch.gateway.ingest.service import Ingest
from heatwatch.gateway.tickets import service as tickets
from heatwatch.gateway.tickets.models import DeviceCommand, Ticket, TicketChange, TicketStatus
from heatwatch.gateway.users.models import Role
from tests.gateway.incidents_support import (
    DAY,
    JANUARY,
    Clock,
    add_user,
    count,
    event,
    history,
    incidents,
    message,
    place_devices,
    status,
)
from tests.gateway.incidents_support import tickets as tickets_of

DISPATCHER = tickets.Actor("Dana Dispatcher")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ingest(db, clock) -> Ingest:
    place_devices(db, "hp-001", "hp-002")
    return Ingest(db, clock=clock, incidents=Incidents())


def test_the_same_event_twice_is_one_incident_one_ticket(db, ingest):
    ev = event(failure_in=10 * DAY)
    assert ingest.handle(*message(ev)).accepted
    assert ingest.handle(*message(ev)).reason == "duplicate"
    [incident] = incidents(db)
    assert (incident.state, incident.event_count, incident.fault) == (IncidentState.OPEN, 1, "refrigerant_leak")
    [ticket] = tickets_of(db)
    assert ticket.incident_id == incident.id and ticket.status == TicketStatus.OPEN
    assert history(db, ticket.id)[0] == ("gateway", "created", None, "open")
    # the service itself is idempotent on the event id too (a replay that bypasses ingest)
    with db.transaction() as s:
        assert ingest.incidents.record_event(s, ev, JANUARY).action == "ignored"
    assert incidents(db)[0].event_count == 1


def test_a_burst_of_one_fault_out_of_order_is_one_incident_with_the_newest_prognosis(db, ingest, clock):
    first = event("fault", at=JANUARY, failure_in=20 * DAY, seq=0)
    updates = [event("fault_update", at=JANUARY + i * timedelta(hours=6), failure_in=(20 - i / 2) * DAY, seq=i)
               for i in range(1, 25)]
    burst = [first, *updates]
    random.Random(7).shuffle(burst)
    for ev in burst:
        assert ingest.handle(*message(ev)).accepted
    [incident] = incidents(db)
    assert incident.event_count == 25
    newest = updates[-1]
    assert incident.prognosis_ts.timestamp() == newest.ts
    assert incident.predicted_failure_ts.timestamp() == newest.prognosis.predicted_trip_ts
    assert incident.first_event_ts == JANUARY and incident.last_event_ts.timestamp() == newest.ts
    assert count(db, Ticket) == 1
    assert count(db, IncidentEvent, IncidentEvent.incident_id == incident.id) == 25
    counted = ingest.incidents.counters.snapshot()
    assert counted.get("fault.opened", 0) + counted.get("fault_update.opened", 0) == 1
    assert sum(n for k, n in counted.items() if k.endswith(".updated")) == 24


def test_fault_update_moves_the_prediction_and_an_older_one_does_not(db, ingest, clock):
    ingest.handle(*message(event("fault", at=JANUARY, failure_in=40 * DAY)))
    later = event("fault_update", at=JANUARY + DAY, failure_in=60 * DAY)
    ingest.handle(*message(later))
    [incident] = incidents(db)
    assert incident.predicted_failure_ts == JANUARY + 61 * DAY
    assert incident.predicted_failure_earliest <= incident.predicted_failure_ts <= incident.predicted_failure_latest
    # delivered late: an update the agent sent before the one held changes nothing
    ingest.handle(*message(event("fault_update", at=JANUARY + DAY / 2, failure_in=2 * DAY)))
    assert incidents(db)[0].predicted_failure_ts == JANUARY + 61 * DAY
    [ticket] = tickets_of(db)
    moves = [h for h in history(db, ticket.id) if h[1] == "prognosis"]
    assert moves == [("gateway", "prognosis", "2025-02-19 06:00", "2025-03-12 06:00")]


def test_rising_severity_escalates_the_ticket(db, ingest, clock):
    ingest.handle(*message(event("fault", severity="warning", failure_in=20 * DAY)))
    [ticket] = tickets_of(db)
    before = ticket.priority
    clock.advance(timedelta(hours=1))
    ingest.handle(*message(event("fault_update", at=JANUARY + timedelta(hours=1), severity="critical",
                                 failure_in=20 * DAY)))
    [ticket] = tickets_of(db)
    assert ticket.priority < before, (before, ticket.priority)
    actions = [h[1:] for h in history(db, ticket.id)]
    assert ("severity", "warning", "critical") in actions
    assert ("priority", str(before), str(ticket.priority)) in actions
    assert ticket.response_by <= clock.now + ingest.incidents.sla.response_time(ticket.priority)


def test_a_nearer_failure_escalates_and_a_later_one_does_not_lower_the_ticket(db, ingest, clock):
    ingest.handle(*message(event("fault", failure_in=60 * DAY)))
    [ticket] = tickets_of(db)
    far = ticket.priority
    ingest.handle(*message(event("fault_update", at=JANUARY + DAY, failure_in=1.5 * DAY)))
    [ticket] = tickets_of(db)
    assert ticket.priority < far and incidents(db)[0].priority == ticket.priority
    near = ticket.priority
    ingest.handle(*message(event("fault_update", at=JANUARY + 2 * DAY, failure_in=90 * DAY)))
    [ticket] = tickets_of(db)
    assert ticket.priority == near  # the formula says less urgent; only a person lowers a ticket
    assert incidents(db)[0].priority > near


def test_time_passing_escalates_without_an_event(db, ingest, clock):
    ingest.handle(*message(event("fault", failure_in=20 * DAY)))
    [ticket] = tickets_of(db)
    first = ticket.priority
    clock.advance(19 * DAY)
    with db.transaction() as s:
        escalated = ingest.incidents.reprioritize(s, clock.now)
    assert escalated == [ticket.id]
    assert tickets_of(db)[0].priority < first


def test_recovery_proposes_closing_and_a_dispatcher_confirms(db, ingest, clock):
    ingest.handle(*message(event("fault", failure_in=30 * DAY)))
    ingest.handle(*message(event("fault_cleared", at=JANUARY + DAY, severity="info")))
    [incident] = incidents(db)
    assert incident.state == IncidentState.OPEN and incident.close_proposed_at is not None
    [ticket] = tickets_of(db)
    assert ticket.status == TicketStatus.OPEN
    assert ("gateway", "close_proposed", None, None) in history(db, ticket.id)
    with db.transaction() as s:
        ingest.incidents.confirm_close(s, incident.id, DISPATCHER, clock.now)
    [incident] = incidents(db)
    assert (incident.state, incident.close_reason) == (IncidentState.CLOSED, "recovered")
    [ticket] = tickets_of(db)
    assert ticket.status == TicketStatus.CANCELLED
    assert history(db, ticket.id)[-1][:2] == ("Dana Dispatcher", "status")


def test_a_fault_back_after_its_clear_withdraws_the_proposal(db, ingest, clock):
    ingest.handle(*message(event("fault", failure_in=30 * DAY)))
    ingest.handle(*message(event("fault_cleared", at=JANUARY + DAY, severity="info")))
    # a clear delivered after a newer raise does not propose anything
    ingest.handle(*message(event("fault_update", at=JANUARY + 2 * DAY, failure_in=20 * DAY)))
    [incident] = incidents(db)
    assert incident.close_proposed_at is None and incident.state == IncidentState.OPEN
    ingest.handle(*message(event("fault_cleared", at=JANUARY + 1.5 * DAY, severity="info")))
    assert incidents(db)[0].close_proposed_at is None
    with db.transaction() as s, pytest.raises(NoCloseProposed):
        ingest.incidents.confirm_close(s, incident.id, DISPATCHER, clock.now)
    ingest.handle(*message(event("fault_cleared", at=JANUARY + 3 * DAY, severity="info")))
    with db.transaction() as s:
        ingest.incidents.reject_close(s, incident.id, DISPATCHER, clock.now, "pressure still low on site")
    assert incidents(db)[0].close_proposed_at is None and incidents(db)[0].state == IncidentState.OPEN


def test_a_fault_returning_after_its_ticket_was_resolved_opens_a_linked_incident(db, ingest, clock):
    ingest.handle(*message(event("fault", failure_in=10 * DAY)))
    [ticket] = tickets_of(db)
    clock.advance(DAY)
    with db.transaction() as s:
        t = tickets.acknowledge(s, ticket.id, version=ticket.version, actor=DISPATCHER, now=clock.now)
        tickets.resolve(s, t.id, version=t.version, actor=DISPATCHER, code="fault_confirmed",
                        note="leak at the flare nut brazed, 1.2 kg R32 charged", now=clock.now)
    [old] = incidents(db)
    assert (old.state, old.close_reason) == (IncidentState.CLOSED, "fault_confirmed")
    # an update the agent sent before it heard of the repair: evidence of the closed incident only
    late = event("fault_update", at=JANUARY + DAY, failure_in=9 * DAY)
    assert ingest.handle(*message(late)).accepted
    assert len(incidents(db)) == 1
    with db.transaction() as s:
        assert s.get(IncidentEvent, late.event_id).incident_id == old.id
    # weeks later the leak is back: a new incident and ticket, linked to the old one
    clock.advance(20 * DAY)
    ingest.handle(*message(event("fault", at=clock.now, failure_in=15 * DAY)))
    old, new = incidents(db)
    assert new.state == IncidentState.OPEN and new.previous_incident_id == old.id
    first, second = tickets_of(db)
    assert first.status == TicketStatus.RESOLVED and second.status == TicketStatus.OPEN
    assert second.incident_id == new.id and "returned" in second.title


def test_a_trip_records_the_lead_time_on_the_open_pump_fault(db, ingest, clock):
    ingest.handle(*message(event("sensor_fault", fault="sensor_drift", severity="info", channels=["t_flow"])))
    ingest.handle(*message(event("fault", at=JANUARY, failure_in=12 * DAY)))
    trip_at = JANUARY + 10.5 * DAY
    clock.now = trip_at
    ingest.handle(*message(event("trip", at=trip_at, fault="discharge_overtemp")))
    ingest.handle(*message(event("trip", at=trip_at + timedelta(hours=1), fault="lockout")))
    leak = next(i for i in incidents(db) if i.fault == "refrigerant_leak")
    assert leak.trip_count == 2 and leak.first_trip_ts == trip_at
    assert leak.lead_time_s == pytest.approx(10.5 * 86400)
    sensor = next(i for i in incidents(db) if i.fault == "sensor_drift")
    assert sensor.trip_count == 0  # a trip is a pump's, not a sensor's
    leak_ticket = next(t for t in tickets_of(db) if t.incident_id == leak.id)
    assert leak_ticket.priority == 1  # stopped, in January
    with db.transaction() as s:  # the dispatcher sees the pump's other open incident: one visit for both
        created = s.scalars(select(TicketChange).where(TicketChange.ticket_id == leak_ticket.id)).first()
        assert f"Also open on this device: incident {sensor.id} (sensor_drift)" in created.note
    assert any(h[1] == "trip" for h in history(db, leak_ticket.id))


def test_a_trip_without_warning_opens_a_critical_incident(db, ingest, clock):
    ingest.handle(*message(event("trip", fault="discharge_overtemp", device="hp-002")))
    ingest.handle(*message(event("trip", at=JANUARY + timedelta(hours=2), fault="lockout", device="hp-002")))
    [incident] = incidents(db, "hp-002")
    assert (incident.fault, incident.severity.value, incident.trip_count, incident.lead_time_s) == (
        PUMP_TRIP, "critical", 2, 0.0)
    [ticket] = tickets_of(db, "hp-002")
    assert ticket.priority <= 2
    # a trip whose protection the agent could not name still counts
    assert ingest.handle(*message(event("trip", at=JANUARY + timedelta(hours=3), fault=None, device="hp-002"))).accepted
    assert incidents(db, "hp-002")[0].trip_count == 3


def test_a_sensor_fault_gets_a_low_priority_ticket(db, ingest):
    ingest.handle(*message(event("sensor_fault", fault="sensor_drift", severity="info", channels=["t_outdoor"])))
    [incident] = incidents(db)
    [ticket] = tickets_of(db)
    assert ticket.priority >= 3 and "t_outdoor" in ticket.title
    assert incident.priority == ticket.priority


def test_the_last_will_opens_a_device_offline_incident_and_coming_back_closes_it(db, ingest, clock):
    assert ingest.handle(*status(True, JANUARY)).accepted
    assert incidents(db) == []
    clock.advance(timedelta(minutes=1))
    assert ingest.handle(*status(False, JANUARY - DAY)).accepted  # the will: stamped at connect
    [incident] = incidents(db)
    assert (incident.fault, incident.state) == (DEVICE_OFFLINE, IncidentState.OPEN)
    assert incident.priority >= 3
    assert count(db, Ticket) == 0  # a silent device is watched, not a visit
    clock.advance(timedelta(minutes=30))
    ingest.handle(*status(True, clock.now))
    [incident] = incidents(db)
    assert (incident.state, incident.close_reason) == (IncidentState.CLOSED, "back_online")


def test_a_device_with_no_message_for_a_while_is_found_by_the_sweep(db, ingest, clock):
    ingest.handle(*status(True, JANUARY, device="hp-001"))
    ingest.handle(*status(True, JANUARY, device="hp-002"))
    clock.advance(timedelta(minutes=4))
    ingest.handle(*status(True, clock.now, device="hp-002"))
    clock.advance(timedelta(minutes=2))  # hp-001 silent for 6 min, hp-002 for 2
    with db.transaction() as s:
        first = ingest.incidents.sweep_silent_devices(s, clock.now)
    with db.transaction() as s:
        again = ingest.incidents.sweep_silent_devices(s, clock.now)
    assert len(first.opened) == 1 and again.opened == []
    [incident] = incidents(db, "hp-001")
    assert incident.fault == DEVICE_OFFLINE and incident.first_event_ts == JANUARY
    assert incidents(db, "hp-002") == []
    clock.advance(timedelta(minutes=10))
    ingest.handle(*message(event("fault", device="hp-001", at=clock.now, failure_in=30 * DAY)))
    with db.transaction() as s:
        back = ingest.incidents.sweep_silent_devices(s, clock.now)
    assert back.closed == [incident.id]
    offline, leak = incidents(db, "hp-001")
    assert offline.state == IncidentState.CLOSED and leak.state == IncidentState.OPEN


def test_resolving_queues_the_repaired_command(db, ingest, clock):
    technician = add_user(db, "Tomas Technician", Role.TECHNICIAN)
    ingest.handle(*message(event("fault", failure_in=10 * DAY)))
    [ticket] = tickets_of(db)
    with db.transaction() as s:
        t = tickets.schedule(s, ticket.id, version=ticket.version, actor=DISPATCHER, technician_id=technician,
                             window_start=clock.now + DAY, window_end=clock.now + DAY + timedelta(hours=4),
                             now=clock.now)
        t = tickets.start_work(s, t.id, version=t.version, actor=tickets.Actor("Tomas Technician", technician),
                               now=clock.now + DAY)
        tickets.resolve(s, t.id, version=t.version, actor=tickets.Actor("Tomas Technician", technician),
                        code="fault_confirmed", note="leak fixed, recharged", now=clock.now + DAY)
    with db.transaction() as s:
        [command] = s.scalars(select(DeviceCommand)).all()
        assert (command.device_id, command.command, command.ticket_id) == ("hp-001", "repaired", ticket.id)
        assert command.payload["fault"] == "refrigerant_leak"
        assert command.payload["resolution_code"] == "fault_confirmed"
        assert command.sent_at is None
        assert s.scalars(select(Incident)).one().state == IncidentState.CLOSED


def test_the_sweeps_find_silence_nearer_failures_and_missed_deadlines_in_one_call(db, ingest, clock):
    ingest.handle(*status(True, JANUARY, device="hp-002"))
    ingest.handle(*message(event("fault", failure_in=20 * DAY)))
    [ticket] = tickets_of(db)
    clock.advance(18 * DAY)
    report = run_sweeps(db, ingest.incidents, clock.now)
    assert sorted(report.silent.opened) == sorted(i.id for d in ("hp-001", "hp-002") for i in incidents(db, d)
                                                  if i.fault == DEVICE_OFFLINE)
    assert len(report.silent.opened) == 2  # neither device spoke for 18 days
    assert report.escalated == [ticket.id]
    assert report.sla.response_breaches == [ticket.id]  # nobody answered in 18 days
    assert report.forecasts is None  # no provider: normals and readings only
    again = run_sweeps(db, ingest.incidents, clock.now)
    assert (again.silent.opened, again.escalated, again.sla.response_breaches) == ([], [], [])


def test_the_sweep_schedule_runs_and_stops(db, ingest):
    schedule = SweepSchedule(db, ingest.incidents, every=0.05).start()
    try:
        for _ in range(100):
            if schedule.runs >= 2:
                break
            time.sleep(0.05)
    finally:
        schedule.stop()
    assert schedule.runs >= 2 and schedule.failures == 0


def test_another_check_failing_on_an_already_ticketed_sensor_updates_its_ticket(db, ingest, clock):
    # a low-pressure transducer drifts (a drift ticket), weeks later its readings go: one sensor,
    # one visit, one ticket (the service area's eval: 3 drifted pumps got a second, dropout ticket)
    ingest.handle(*message(event("sensor_fault", fault="sensor_drift", severity="info", channels=["p_low"])))
    later = JANUARY + 30 * DAY
    clock.now = later
    ingest.handle(*message(event("sensor_fault", at=later, fault="sensor_dropout", severity="info", channels=["p_low"])))
    [incident] = incidents(db)
    [ticket] = tickets_of(db)
    assert incident.fault == "sensor_drift" and incident.event_count == 2
    assert any(h[1:] == ("sensor", None, "sensor_dropout") for h in history(db, ticket.id)), \
        history(db, ticket.id)
    # another sensor of the pump is another problem: its own ticket
    ingest.handle(*message(event("sensor_fault", at=later, fault="sensor_dropout", severity="info", channels=["t_flow"])))
    assert sorted(i.fault for i in incidents(db)) == ["sensor_drift", "sensor_dropout"]
    assert len(tickets_of(db)) == 2
