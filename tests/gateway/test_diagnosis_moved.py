"""A withdrawn fault whose better notice had a ticket of its own: the withdrawn fault's ticket is
cancelled into that one (incidents/service.py ``_revise``). The customer told the withdrawn fault
("too little water is flowing ... check the valves") hears once, on the ticket that speaks for it,
that it is a faulty sensor; a message of the cancelled ticket not gone yet never goes; and the
cancelled ticket's status page says where the diagnosis went instead of "everything is OK".
Real SMTP server (aiosmtpd), SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from heatwatch.contract import REVISES, revision_finding
from heatwatch.gateway.incidents.service import Incidents
from heatwatch.gateway.ingest.service import Ingest
from heatwatch.gateway.notifications import outbox as outbox_module
from heatwatch.gateway.notifications.delivery import NotificationWorker
from heatwatch.gateway.notifications.models import NotificationState
from heatwatch.gateway.tickets.models import TicketStatus
from tests.gateway.incidents_support import JANUARY, Clock, event
from tests.gateway.incidents_support import tickets as tickets_of
from tests.gateway.notification_support import add_customer, outbox, resolve, schedule, settings_for
from tests.gateway.test_diagnosis_update import SENSOR, UPDATE, UPDATED, VALVES, letter, status_page
from tests.gateway.test_revised_diagnosis import deliver

pytest_plugins = ["tests.gateway.api_world"]  # make_api

H = timedelta(hours=1)
METER_AT = JANUARY + timedelta(hours=7)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def world(db, clock, **customer) -> tuple[Ingest, int]:
    customer_id, _ = add_customer(db, **customer)
    return Ingest(db, clock=clock, incidents=Incidents()), customer_id


def two_tickets(ingest: Ingest) -> None:
    """A drifting low-pressure transducer (a sensor ticket), then low water flow (its own ticket)."""
    deliver(ingest, [event("sensor_fault", fault="sensor_drift", severity="info", channels=["p_low"], device="hp-0")])
    deliver(ingest, [event("fault", fault="low_water_flow", severity="warning", at=JANUARY + H,
                           channels=["flow_lpm"], device="hp-0")])


def meter_notice(ingest: Ingest, clock: Clock) -> None:
    """The flow meter's notice: the same sensor ticket's fault, withdrawing low water flow."""
    clock.now = METER_AT
    meter = event("sensor_fault", fault="sensor_drift", severity="info", at=METER_AT, channels=["flow_lpm"],
                  device="hp-0")
    deliver(ingest, [meter.model_copy(update={"findings": [*meter.findings, revision_finding(
        REVISES, "low_water_flow", None, "revised: flow meter reads low, not low water flow")]})])


def sensor_and_water_tickets(db) -> tuple[int, int]:
    sensor, water = tickets_of(db, "hp-0")
    return sensor.id, water.id


@pytest.mark.parametrize("language", ["en", "sv"])
def test_a_customer_told_both_hears_once_on_the_sensor_ticket_that_the_water_advice_is_withdrawn(
        db, mailbox, clock, language):
    ingest, _ = world(db, clock, language=language)
    worker = NotificationWorker(db, settings_for(mailbox))
    two_tickets(ingest)
    assert worker.run_once(clock.now + H) == 2
    assert any(VALVES[language] in letter(m) for m in mailbox.received)
    meter_notice(ingest, clock)
    sensor_id, water_id = sensor_and_water_tickets(db)
    assert {t.id: t.status for t in tickets_of(db, "hp-0")}[water_id] == TicketStatus.CANCELLED
    [update] = [n for n in outbox(db) if n.step == UPDATE]
    assert (update.ticket_id, update.params) == (sensor_id, {"from": "low_water_flow"})
    assert worker.run_once(clock.now) == 1 and mailbox.count() == 3
    subject, advice = UPDATED[language]
    text = letter(mailbox.received[2])
    assert subject in mailbox.received[2]["Subject"]
    assert SENSOR[language] in text and advice in text and VALVES[language] not in text
    # once: the notice's repeats and the worker's later rounds add nothing
    meter_notice(ingest, clock)
    assert worker.run_once(clock.now + H) == 0 and mailbox.count() == 3
    assert [n.step for n in outbox(db)].count(UPDATE) == 1


def test_a_first_message_of_the_cancelled_ticket_still_waiting_never_goes(db, mailbox, clock):
    """Quiet hours hold both first messages; the revision comes before they end: the water ticket's
    is cancelled (counted), and the customer reads of the sensor only."""
    ingest, _ = world(db, clock, quiet=(time(6), time(16)))  # 07:00-14:00 in Stockholm: quiet
    worker = NotificationWorker(db, settings_for(mailbox))
    two_tickets(ingest)
    assert worker.run_once(clock.now + H) == 0
    cancelled = outbox_module.COUNTERS.get("diagnosis_cancelled")
    meter_notice(ingest, clock)
    _, water_id = sensor_and_water_tickets(db)
    [water_message] = [n for n in outbox(db) if n.ticket_id == water_id]
    assert water_message.state == NotificationState.CANCELLED
    assert outbox_module.COUNTERS.get("diagnosis_cancelled") == cancelled + 1
    quiet_end = datetime(2025, 1, 10, 15, 0, tzinfo=JANUARY.tzinfo)  # 16:00 in Stockholm
    assert worker.run_once(quiet_end) == 1
    assert worker.run_once(quiet_end + H) == 0
    texts = [letter(m) for m in mailbox.received]
    assert len(texts) == 1 and SENSOR["en"] in texts[0] and VALVES["en"] not in texts[0]
    assert not any(n.step == UPDATE for n in outbox(db))  # never told the water: nothing to take back


def test_a_water_message_rendered_while_the_revision_committed_is_followed_on_the_sensor_ticket(db, mailbox, clock):
    """The worker rendered the water ticket's first message and sent it; the revision committed (and
    cancelled the ticket) before the send was recorded: the record queues the update on the sensor
    ticket, which speaks for the water one now."""
    ingest, _ = world(db, clock)
    worker = NotificationWorker(db, settings_for(mailbox))
    deliver(ingest, [event("sensor_fault", fault="sensor_drift", severity="info", channels=["p_low"], device="hp-0")])
    assert worker.run_once(clock.now) == 1
    deliver(ingest, [event("fault", fault="low_water_flow", severity="warning", at=JANUARY + H,
                           channels=["flow_lpm"], device="hp-0")])
    [claimed] = worker.claim(clock.now + H)
    outcome, subject, text, told = worker.send(claimed, clock.now + H)
    assert outcome.delivered and told == {claimed.id: "low_water_flow"}
    meter_notice(ingest, clock)
    worker.record(claimed, outcome, subject, text, clock.now, told)
    sensor_id, _ = sensor_and_water_tickets(db)
    [update] = [n for n in outbox(db) if n.step == UPDATE]
    assert update.ticket_id == sensor_id and update.params == {"from": "low_water_flow"}
    assert worker.run_once(clock.now) == 1
    assert SENSOR["en"] in letter(mailbox.received[-1]) and VALVES["en"] not in letter(mailbox.received[-1])


@pytest.mark.parametrize("language, updated, earlier, step", [
    ("en", "Diagnosis updated Fri, Jan 10, 2:00", "we thought your heat pump “Värmis” has too little water flow",
     "Closed here: we go on with it in your other open case"),
    ("sv", "Diagnosen uppdaterad fre 10 jan., 14:00", "trodde vi att din värmepump ”Värmis” har för lågt vattenflöde",
     "Avslutat här: vi fortsätter i ditt andra pågående ärende"),
])
def test_the_cancelled_tickets_status_page_says_where_the_diagnosis_went(
        db, db_url, make_api, mailbox, clock, language, updated, earlier, step):
    """The water ticket's link still works: it shows the pump's problem as it stands (the faulty
    sensor), that the diagnosis was updated and from what, not "everything is OK"."""
    ingest, customer_id = world(db, clock, language=language)
    two_tickets(ingest)
    assert NotificationWorker(db, settings_for(mailbox)).run_once(clock.now + H) == 2
    meter_notice(ingest, clock)
    _, water_id = sensor_and_water_tickets(db)
    page = status_page(make_api, db_url, db, water_id, customer_id)
    assert SENSOR[language] in page
    assert updated in page and earlier in page and step in page
    assert VALVES[language] not in page
    ok = {"en": "Everything is OK", "sv": "Allt är i sin ordning"}[language]
    assert ok not in page


def test_once_the_sensor_ticket_is_resolved_the_cancelled_ones_page_says_all_is_well_and_where_it_went(
        db, db_url, make_api, mailbox, clock):
    ingest, customer_id = world(db, clock)
    two_tickets(ingest)
    meter_notice(ingest, clock)
    sensor_id, water_id = sensor_and_water_tickets(db)
    schedule(db, sensor_id, METER_AT + 20 * H, METER_AT + H)
    resolve(db, sensor_id, METER_AT + 24 * H, note="Replaced the flow meter.")
    page = status_page(make_api, db_url, db, water_id, customer_id)
    assert "Everything is OK" in page and "Diagnosis updated" not in page
    assert "Closed here: we go on with it in your other open case" in page and VALVES["en"] not in page
