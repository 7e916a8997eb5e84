"""A revised diagnosis told to the customer, on SQLite and PostgreSQL, through the real SMTP server
(aiosmtpd): the agent's rules (the shipped file) name low water flow, the customer is told to check
their valves; days later the flow meter's own notice revises it. The customer hears once, in their
language, that it is a faulty sensor and the valve advice no longer holds; nothing when the first
message had not gone yet (it goes with the new diagnosis), nothing when the words do not change, the
update after a message rendered while the revision committed, and a clear error for a bad row."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from heatwatch.contract import REVISES, Event, revision_finding
from heatwatch.gateway.incidents.service import Incidents
from heatwatch.gateway.ingest.service import Ingest
from heatwatch.gateway.notifications import outbox as outbox_module
from heatwatch.gateway.notifications.delivery import NotificationWorker
from heatwatch.gateway.notifications.models import Notification, NotificationAttempt, NotificationState
from heatwatch.gateway.notifications.status_link import make_token
from heatwatch.gateway.settings import DatabaseSettings, GatewaySettings, NotificationSettings
from heatwatch.gateway.tickets.models import Ticket, TicketChange
from tests.gateway.incidents_support import JANUARY, Clock, event, incidents
from tests.gateway.incidents_support import tickets as tickets_of
from tests.gateway.notification_support import SECRET, add_customer, outbox, schedule, settings_for
from tests.gateway.test_revised_diagnosis import Agent, deliver

pytest_plugins = ["tests.gateway.api_world"]  # make_api

H = timedelta(hours=1)
LATER = JANUARY + timedelta(hours=7, minutes=10)  # the meter's notice, the same morning
UPDATE = "diagnosis_updated"
# what each language's first message asks (faults.toml low_water_flow), and the update's words
VALVES = {"en": "check that the valves", "sv": "ventilerna på element", "nb": "ventilene på radiatorer",
          "it": "le valvole dei termosifoni"}
SENSOR = {"en": "temperature or pressure sensors is giving wrong readings",
          "sv": "temperatur- eller tryckgivare visar fel värden",
          "nb": "temperatur- eller trykkfølerne viser feil verdier",
          "it": "sensori di temperatura o di pressione dà valori sbagliati"}
UPDATED = {"en": ("an update to what we found", "You can disregard our earlier advice"),
           "sv": ("vi har uppdaterat vad vi hittat", "Du kan bortse från vårt tidigare råd"),
           "nb": ("vi har oppdatert det vi fant", "Du kan se bort fra det forrige rådet"),
           "it": ("abbiamo aggiornato la diagnosi", "Puoi ignorare il consiglio")}


@pytest.fixture
def clock() -> Clock:
    return Clock()


def world(db, clock, **customer) -> tuple[Ingest, Agent]:
    _, (device,) = add_customer(db, **customer)
    return Ingest(db, clock=clock, incidents=Incidents()), Agent(device)


def the_ticket(db) -> tuple[int, str, int]:
    """(ticket id, its incident's fault, its customer id) of the one ticket of hp-0."""
    [ticket] = tickets_of(db, "hp-0")
    with db.transaction() as s:
        ticket = s.get(Ticket, ticket.id)
        return ticket.id, ticket.incident.fault, ticket.device.site.customer_id


def letter(message) -> str:
    return message.get_body(("plain",)).get_content()


def steps_of(db) -> list[str]:
    return [n.step for n in outbox(db)]


def water_then_meter(ingest: Ingest, agent: Agent, clock: Clock, worker: NotificationWorker | None) -> None:
    """Low water flow raised (and, with a worker, told), then the flow meter's notice revising it."""
    deliver(ingest, agent.run(JANUARY, 7, flow_lpm=-3.2))  # deep: named on the flow alone
    if worker is not None:
        assert worker.run_once(clock.now) == 1
    clock.now = LATER
    deliver(ingest, agent.run(LATER, 8, flow_lpm=-3.5, flow_meter_low=1.5))


@pytest.mark.parametrize("language", ["en", "sv", "nb", "it"])
def test_a_customer_told_to_check_the_valves_hears_once_that_it_is_a_sensor(db, mailbox, clock, language):
    ingest, agent = world(db, clock, language=language)
    worker = NotificationWorker(db, settings_for(mailbox))
    water_then_meter(ingest, agent, clock, worker)
    assert VALVES[language] in letter(mailbox.received[0])
    ticket_id, fault, _ = the_ticket(db)
    [update] = [n for n in outbox(db) if n.step == UPDATE]
    assert update.params == {"from": "low_water_flow"} and update.ticket_id == ticket_id and fault == "sensor_drift"
    assert worker.run_once(clock.now) == 1
    subject, advice = UPDATED[language]
    second = mailbox.received[1]
    assert subject in second["Subject"]
    text = letter(second)
    assert SENSOR[language] in text and advice in text and VALVES[language] not in text
    assert "https://heat.example/s/" in text
    # once: nothing more, however often the worker looks or the revision's clear arrives again
    assert worker.run_once(clock.now + H) == 0 and mailbox.count() == 2
    sent = {n.step: n for n in outbox(db)}
    assert (sent["problem_found"].told_fault, sent[UPDATE].told_fault) == ("low_water_flow", "sensor_drift")


def test_a_first_message_still_waiting_goes_with_the_new_diagnosis_and_nothing_follows(db, mailbox, clock):
    """Quiet hours hold the problem_found; the revision comes before they end: the customer gets one
    message, naming the faulty sensor, never the valves."""
    ingest, agent = world(db, clock, quiet=(time(6), time(16)))  # 07:00 and 14:10 in Stockholm: quiet
    worker = NotificationWorker(db, settings_for(mailbox))
    deliver(ingest, agent.run(JANUARY, 7, flow_lpm=-3.2))  # deep: named on the flow alone
    assert worker.run_once(clock.now) == 0 and worker.counters.get("held_quiet_hours") == 1
    clock.now = LATER
    before = outbox_module.COUNTERS.get("diagnosis_waiting")
    deliver(ingest, agent.run(LATER, 8, flow_lpm=-3.5, flow_meter_low=1.5))
    assert steps_of(db) == ["problem_found"]
    assert outbox_module.COUNTERS.get("diagnosis_waiting") == before + 1
    quiet_end = datetime(2025, 1, 10, 15, 0, tzinfo=JANUARY.tzinfo)  # 16:00 in Stockholm
    assert worker.run_once(quiet_end) == 1
    assert mailbox.count() == 1
    text = letter(mailbox.received[0])
    assert SENSOR["en"] in text and VALVES["en"] not in text
    assert worker.run_once(quiet_end + H) == 0 and mailbox.count() == 1
    assert outbox(db)[0].told_fault == "sensor_drift"


def test_a_first_message_sent_in_a_digest_is_followed_by_the_update_with_the_visit_kept(db, mailbox, clock):
    """The problem_found and the visit booked went as one digest after quiet hours; the revision
    then comes: the update follows, and says the visit stays."""
    ingest, agent = world(db, clock, quiet=(time(6), time(12)))  # 07:00 in Stockholm: quiet until 12:00
    worker = NotificationWorker(db, settings_for(mailbox))
    deliver(ingest, agent.run(JANUARY, 7, flow_lpm=-3.2))  # deep: named on the flow alone
    ticket_id, _, _ = the_ticket(db)
    schedule(db, ticket_id, JANUARY + timedelta(days=2), JANUARY)
    assert worker.run_once(clock.now) == 0
    quiet_end = datetime(2025, 1, 10, 11, 0, tzinfo=JANUARY.tzinfo)
    assert worker.run_once(quiet_end) == 1 and mailbox.count() == 1
    assert VALVES["en"] in letter(mailbox.received[0])
    assert {n.step: n.told_fault for n in outbox(db)}["problem_found"] == "low_water_flow"
    clock.now = LATER
    deliver(ingest, agent.run(LATER, 8, flow_lpm=-3.5, flow_meter_low=1.5))
    assert worker.run_once(clock.now) == 1 and mailbox.count() == 2
    text = letter(mailbox.received[1])
    assert SENSOR["en"] in text and "The technician's visit stays as booked: Sunday, January 12, 2025" in text


def test_a_message_rendered_while_the_revision_committed_is_followed_by_the_update(db, mailbox, clock):
    """The worker rendered the problem_found (low water flow) and sent it; the revision committed
    before the send was recorded, and saw it still waiting: the record queues the update."""
    ingest, agent = world(db, clock)
    worker = NotificationWorker(db, settings_for(mailbox))
    deliver(ingest, agent.run(JANUARY, 7, flow_lpm=-3.2))  # deep: named on the flow alone
    [claimed] = worker.claim(clock.now)
    outcome, subject, text, told = worker.send(claimed, clock.now)
    assert outcome.delivered and told == {claimed.id: "low_water_flow"}
    clock.now = LATER
    deliver(ingest, agent.run(LATER, 8, flow_lpm=-3.5, flow_meter_low=1.5))
    assert steps_of(db) == ["problem_found"]  # still leased: the revision cannot tell what it said
    worker.record(claimed, outcome, subject, text, clock.now, told)
    assert steps_of(db) == ["problem_found", UPDATE]
    assert worker.run_once(clock.now) == 1 and mailbox.count() == 2
    assert VALVES["en"] in letter(mailbox.received[0]) and SENSOR["en"] in letter(mailbox.received[1])
    assert worker.run_once(clock.now + H) == 0


def raised(fault: str, at: datetime, revises: str | None = None) -> Event:
    ev = event("fault", fault=fault, severity="warning", at=at, device="hp-0")
    if revises is None:
        return ev
    return ev.model_copy(update={"findings": [*ev.findings, revision_finding(
        REVISES, revises, None, f"revised: {fault}, not {revises}")]})


def test_a_revision_the_customer_would_read_the_same_sends_nothing_and_unknown_faults_fall_back(
        db, mailbox, clock):
    """Two faults the templates do not know both read as ``default``: revising one into the other is
    no news. Revised again into a leak, the update says what the customer was told (the default
    words) and what it is now."""
    ingest, _ = world(db, clock)
    worker = NotificationWorker(db, settings_for(mailbox))
    deliver(ingest, [raised("mystery_one", JANUARY)])
    assert worker.run_once(clock.now) == 1
    assert "It is not working as it should." in letter(mailbox.received[0])
    same = outbox_module.COUNTERS.get("diagnosis_same_words")
    deliver(ingest, [raised("mystery_two", JANUARY + H, revises="mystery_one")])
    assert the_ticket(db)[1] == "mystery_two"
    assert steps_of(db) == ["problem_found"] and outbox_module.COUNTERS.get("diagnosis_same_words") == same + 1
    deliver(ingest, [raised("refrigerant_leak", JANUARY + 2 * H, revises="mystery_two")])
    [update] = [n for n in outbox(db) if n.step == UPDATE]
    assert update.params == {"from": "mystery_one"}
    assert worker.run_once(clock.now) == 1
    text = letter(mailbox.received[1])
    assert "it needs a check" in text and "slowly losing refrigerant" in text


def test_an_update_still_waiting_when_the_diagnosis_goes_back_is_cancelled(db, mailbox, clock):
    ingest, _ = world(db, clock)
    worker = NotificationWorker(db, settings_for(mailbox))
    deliver(ingest, [raised("low_water_flow", JANUARY)])
    assert worker.run_once(clock.now) == 1
    deliver(ingest, [raised("sensor_drift", JANUARY + H, revises="low_water_flow")])
    deliver(ingest, [raised("low_water_flow", JANUARY + 2 * H, revises="sensor_drift")])
    states = {n.step: n.state for n in outbox(db)}
    assert states == {"problem_found": NotificationState.SENT, UPDATE: NotificationState.CANCELLED}
    assert worker.run_once(clock.now + H) == 0 and mailbox.count() == 1


def test_a_bad_update_row_is_a_clear_error_and_a_count_never_a_crash(db, mailbox, clock):
    """An update whose "from" is missing (a row written by hand, a bug) fails its attempts with the
    reason and is given up, counted; the worker goes on with the next message."""
    ingest, agent = world(db, clock)
    worker = NotificationWorker(db, settings_for(mailbox, max_attempts=2, first_retry_seconds=1.0))
    water_then_meter(ingest, agent, clock, worker)
    with db.transaction() as s:
        s.scalars(select(Notification).where(Notification.step == UPDATE)).one().params = {"from": None}
    worker.run_once(clock.now)
    worker.run_once(clock.now + H)
    with db.transaction() as s:
        row = s.scalars(select(Notification).where(Notification.step == UPDATE)).one()
        errors = [a.error for a in s.scalars(select(NotificationAttempt).where(
            NotificationAttempt.notification_id == row.id))]
        assert row.state == NotificationState.FAILED
    assert len(errors) == 2 and all("params.from must name the fault the customer was told" in e for e in errors)
    assert worker.counters.get("given_up") == 1 and worker.counters.get("attempts_failed") == 2
    assert mailbox.count() == 1  # only the problem_found went


def test_a_customer_without_channels_is_revised_without_a_message_or_an_error(db, clock):
    ingest, agent = world(db, clock, channels=())
    water_then_meter(ingest, agent, clock, None)
    assert the_ticket(db)[1] == "sensor_drift" and steps_of(db) == []
    with db.transaction() as s:
        assert s.scalar(select(TicketChange.id).where(TicketChange.action == "revised")) is not None
    water, sensor = incidents(db, "hp-0")  # the status page finds what the diagnosis was
    assert (water.fault, water.revised_into_id, sensor.revised_into_id) == ("low_water_flow", sensor.id, None)


# ---- the status page -----------------------------------------------------------------------------------

def status_page(make_api, db_url, db, ticket_id: int, customer_id: int) -> str:
    settings = GatewaySettings(database=DatabaseSettings(url=db_url),
                               notifications=NotificationSettings(status_link_secret=SECRET, company="Nordvärme"))
    client = make_api(settings)
    token = make_token(SECRET, ticket_id, customer_id, datetime.now(JANUARY.tzinfo) + timedelta(days=30))
    page = client.get(f"/s/{token}")
    assert page.status_code == 200, page.text
    return re.sub(r"\s+", " ", page.text)


@pytest.mark.parametrize("language, updated, earlier, advice, step", [
    ("sv", "Diagnosen uppdaterad fre 10 jan., 14:10", "trodde vi att din värmepump ”Värmis” har för lågt vattenflöde",
     "Vårt tidigare råd gäller inte längre.", "Vi uppdaterade diagnosen: din värmepump ”Värmis” har en felaktig givare"),
    ("en", "Diagnosis updated Fri, Jan 10, 2:10", "we thought your heat pump “Värmis” has too little water flow",
     "Our earlier advice no longer applies.", "We updated our diagnosis: your heat pump “Värmis” has a faulty sensor"),
])
def test_the_status_page_shows_the_current_diagnosis_and_that_it_was_updated(
        db, db_url, make_api, mailbox, clock, language, updated, earlier, advice, step):
    ingest, agent = world(db, clock, language=language)
    water_then_meter(ingest, agent, clock, NotificationWorker(db, settings_for(mailbox)))
    ticket_id, _, customer_id = the_ticket(db)
    page = status_page(make_api, db_url, db, ticket_id, customer_id)
    assert SENSOR[language] in page
    assert updated in page and earlier in page and advice in page and step in page
    assert VALVES[language] not in page  # the valve advice is gone from the page too
