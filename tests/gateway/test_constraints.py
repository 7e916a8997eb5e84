"""The constraints that keep racing workers correct, on SQLite and a real PostgreSQL.

Each race starts several threads, each with its own connection and its own
transaction, and lets them insert the same key at once; the database must
let exactly one through.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from heatwatch.gateway.customers.models import Customer, Site
from heatwatch.gateway.db import Database, from_unix, utcnow
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.incidents.models import Incident, IncidentState, Severity
from heatwatch.gateway.ingest.models import ProcessedEvent, SeqStream, StreamPosition
from heatwatch.gateway.tickets.models import ResolutionCode, Ticket, TicketStatus
from heatwatch.gateway.users.models import ApiToken, Role, User
from heatwatch.gateway.users.tokens import hash_token, issue_token

T0 = datetime(2025, 1, 10, 6, 0, tzinfo=timezone.utc)


@pytest.fixture
def device(db: Database) -> str:
    with db.transaction() as s:
        customer = Customer(name="A. Customer", language="de", time_zone="Europe/Berlin",
                            preferred_channels=["sms", "email"],
                            contact_addresses={"sms": "+4915112345678", "email": "a@example.org"})
        site = Site(customer=customer, city="Kassel", country="DE", latitude=51.3, longitude=9.5)
        s.add(Device(id="hp-001", site=site, model="Generic 8 kW", refrigerant="R32",
                     install_date=date(2021, 10, 1), nickname="cellar"))
        s.add(Device(id="hp-002", site=site))
    return "hp-001"


def _event_row(event_id: str, device: str = "hp-001", seq: int = 0) -> dict:
    return {"event_id": event_id, "device_id": device, "seq": seq, "kind": "fault", "fault": "refrigerant_leak",
            "ts": T0, "payload": {"event_id": event_id, "kind": "fault"}}


def _incident(device: str = "hp-001", fault: str = "refrigerant_leak", **kw) -> Incident:
    return Incident(device_id=device, fault=fault, **(dict(first_event_ts=T0, last_event_ts=T0) | kw))


def _race(db: Database, n: int, work: Callable[[Session], None], hold: float = 0.3) -> tuple[int, list[BaseException]]:
    """Run ``work`` in ``n`` threads at once, each in its own transaction; the winner keeps its
    transaction open for ``hold`` s so the others really wait on it. Returns (commits, errors)."""
    start, begun = threading.Barrier(n), threading.Barrier(n)
    # PostgreSQL: all transactions are open before anyone inserts. SQLite has one writer at a
    # time (BEGIN IMMEDIATE), so there they start together and queue for the lock.
    overlap = db.engine.dialect.name == "postgresql"
    results: list[BaseException | None] = [None] * n
    committed = [False] * n

    def worker(i: int) -> None:
        try:
            start.wait(timeout=30)
            with db.sessions() as session, session.begin():
                session.execute(text("SELECT 1"))  # connection checked out, transaction begun
                if overlap:
                    begun.wait(timeout=30)
                work(session)
                session.flush()
                time.sleep(hold)
            committed[i] = True
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    return sum(committed), [r for r in results if r is not None]


# ---- ingest: an event id is processed once -------------------------------------------------

def test_a_duplicate_event_id_is_refused(db, device):
    with db.transaction() as s:
        s.execute(insert(ProcessedEvent), [_event_row("ev-0000001")])
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.execute(insert(ProcessedEvent), [_event_row("ev-0000001", seq=1)])
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ProcessedEvent)) == 1


def test_workers_inserting_one_event_id_at_once_make_one_row(db, device):
    commits, errors = _race(db, 4, lambda s: s.execute(insert(ProcessedEvent), [_event_row("ev-raced-01")]))
    assert commits == 1
    assert len(errors) == 3 and all(isinstance(e, IntegrityError) for e in errors), errors
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(ProcessedEvent)) == 1


def test_an_event_for_an_unknown_device_is_refused(db, device):
    """Foreign keys hold on SQLite too (off by default there)."""
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.execute(insert(ProcessedEvent), [_event_row("ev-0000002", device="hp-unknown")])


def test_one_position_per_device_and_stream(db, device):
    with db.transaction() as s:
        s.add(StreamPosition(device_id=device, stream=SeqStream.EVENT, first_seq=0, last_seq=3, last_ts=T0))
        s.add(StreamPosition(device_id=device, stream=SeqStream.TELEMETRY, first_seq=0, last_seq=9, last_ts=T0))
    with pytest.raises(IntegrityError):
        with db.transaction() as s:
            s.execute(insert(StreamPosition), [{"device_id": device, "stream": "event", "first_seq": 0,
                                                "last_seq": 4, "last_ts": T0}])


# ---- incidents: at most one open per (device, fault) ----------------------------------------

def test_a_second_open_incident_for_one_device_and_fault_is_refused(db, device):
    with db.transaction() as s:
        s.add(_incident())
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.add(_incident())
    with db.transaction() as s:  # another fault, another device: their own incidents
        s.add(_incident(fault="compressor_wear"))
        s.add(_incident(device="hp-002"))
        assert s.scalar(select(func.count()).select_from(Incident)) == 3


def test_a_closed_incident_allows_a_new_open_one(db, device):
    with db.transaction() as s:
        s.add(_incident())
    with db.transaction() as s:
        incident = s.scalars(select(Incident)).one()
        incident.state, incident.closed_at, incident.close_reason = IncidentState.CLOSED, utcnow(), "repaired"
    with db.transaction() as s:  # the fault returns
        s.add(_incident())
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.add(_incident())
    with db.transaction() as s:
        states = sorted(s.scalars(select(Incident.state)))
        assert states == [IncidentState.CLOSED, IncidentState.OPEN]


def test_reopening_while_another_is_open_is_refused(db, device):
    """A fault that returns reopens its incident; never while a newer one is open."""
    with db.transaction() as s:
        s.add(_incident(state=IncidentState.CLOSED, closed_at=utcnow()))
        s.add(_incident())
    with pytest.raises(IntegrityError), db.transaction() as s:
        old = s.scalars(select(Incident).where(Incident.state == IncidentState.CLOSED)).one()
        old.state, old.closed_at = IncidentState.OPEN, None


def test_workers_opening_one_incident_at_once_make_one(db, device):
    commits, errors = _race(db, 4, lambda s: s.add(_incident()))
    assert commits == 1
    assert len(errors) == 3 and all(isinstance(e, IntegrityError) for e in errors), errors
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 1


def test_incident_states_and_prognosis_are_checked(db, device):
    for bad in (dict(state=IncidentState.CLOSED),  # closed without closed_at
                dict(closed_at=utcnow()),  # open with closed_at
                dict(predicted_failure_ts=T0 + timedelta(days=9), predicted_failure_earliest=T0 + timedelta(days=10)),
                dict(confidence=1.5)):
        with pytest.raises(IntegrityError), db.transaction() as s:
            s.add(_incident(**bad))
    with pytest.raises(IntegrityError):  # an unknown state word
        with db.transaction() as s:
            s.execute(text("INSERT INTO incidents (device_id, fault, state, severity, confidence, first_event_ts, "
                           "last_event_ts, event_count, opened_at) VALUES ('hp-001', 'x', 'pending', 'warning', 0, "
                           ":t, :t, 1, :t)"), {"t": T0.replace(tzinfo=None) if db.engine.dialect.name == "sqlite"
                                                else T0})


def test_a_device_names_known_emitters_or_none(db, device):
    with db.transaction() as s:  # the row: the model refuses before the database sees it
        with pytest.raises(ValueError, match="one of underfloor, radiators, fan_coils"):
            s.get(Device, "hp-001").emitters = "floor heating"
    with pytest.raises(IntegrityError), db.transaction() as s:  # written around the model
        s.execute(text("UPDATE devices SET emitters = 'stove' WHERE id = 'hp-001'"))
    with db.transaction() as s:
        s.execute(text("UPDATE devices SET emitters = 'fan_coils' WHERE id = 'hp-001'"))
        s.execute(text("UPDATE devices SET emitters = NULL WHERE id = 'hp-001'"))  # not known


# ---- tickets --------------------------------------------------------------------------------

def _ticket(incident_id: int | None, **kw) -> Ticket:
    fields = dict(device_id="hp-001", title="Refrigerant leak", priority=2, response_by=T0 + timedelta(hours=4),
                  resolution_by=T0 + timedelta(hours=72))
    return Ticket(incident_id=incident_id, **(fields | kw))


def test_one_ticket_per_incident(db, device):
    with db.transaction() as s:
        incident = _incident()
        s.add(incident)
        s.flush()
        incident_id = incident.id
        s.add(_ticket(incident_id))
        s.add(_ticket(None))  # a ticket from a phone call: no incident, allowed
        s.add(_ticket(None))
    commits, errors = _race(db, 3, lambda s: s.add(_ticket(incident_id)), hold=0.1)
    assert commits == 0 and len(errors) == 3
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Ticket).where(Ticket.incident_id == incident_id)) == 1


def test_ticket_rules_held_by_the_database(db, device):
    for bad in (dict(status=TicketStatus.RESOLVED),  # resolved without a resolution code
                dict(status=TicketStatus.SCHEDULED),  # scheduled without a visit
                dict(visit_window_start=T0 + timedelta(hours=5)),  # half a window
                dict(visit_window_start=T0 + timedelta(hours=5), visit_window_end=T0 + timedelta(hours=3)),
                dict(priority=9)):
        with pytest.raises(IntegrityError), db.transaction() as s:
            s.add(_ticket(None, **bad))
    with db.transaction() as s:
        s.add(_ticket(None, status=TicketStatus.RESOLVED, resolution_code=ResolutionCode.FAULT_CONFIRMED))


def test_a_stale_ticket_update_fails_instead_of_undoing_another(db, device):
    with db.transaction() as s:
        s.add(_ticket(None))
    first, second = db.sessions(), db.sessions()  # two dispatchers
    try:
        a = first.scalars(select(Ticket)).one()
        first.commit()  # ends the read (on SQLite a transaction holds the write lock)
        b = second.scalars(select(Ticket)).one()
        second.commit()
        a.status = TicketStatus.ACKNOWLEDGED
        first.commit()
        b.priority = 1  # based on what the second one read before the first one's change
        with pytest.raises(StaleDataError):
            second.commit()
    finally:
        first.close()
        second.close()
    with db.transaction() as s:
        ticket = s.scalars(select(Ticket)).one()
        assert (ticket.status, ticket.priority, ticket.version) == (TicketStatus.ACKNOWLEDGED, 2, 2)


# ---- people ---------------------------------------------------------------------------------

def test_a_customer_user_needs_a_customer_and_staff_have_none(db, device):
    with db.transaction() as s:
        customer_id = s.scalars(select(Customer.id)).one()
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.add(User(name="c", role=Role.CUSTOMER))
    with pytest.raises(IntegrityError), db.transaction() as s:
        s.add(User(name="d", role=Role.DISPATCHER, customer_id=customer_id))
    issued = issue_token()
    with db.transaction() as s:
        user = User(name="c", role=Role.CUSTOMER, customer_id=customer_id)
        s.add(ApiToken(user=user, token_hash=issued.token_hash, prefix=issued.prefix))
    with db.transaction() as s:
        token = s.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(issued.token))).one()
        assert token.user.role is Role.CUSTOMER and issued.token not in (token.token_hash, token.prefix)


def test_values_checked_before_they_reach_the_database():
    with pytest.raises(ValueError, match="device id 'hp 1'"):
        Device(id="hp 1")
    with pytest.raises(ValueError, match="time zone 'Berlin'"):
        Customer(name="x", time_zone="Berlin")
    with pytest.raises(ValueError, match="language 'German'"):
        Customer(name="x", language="German")


def test_instants_come_back_aware_and_in_utc(db, device):
    berlin = timezone(timedelta(hours=1))
    with db.transaction() as s:
        s.add(_incident(first_event_ts=from_unix(1_736_488_800.25), last_event_ts=datetime(2025, 1, 10, 7, 0, 0, 250000,
                                                                                           tzinfo=berlin)))
    with db.transaction() as s:
        incident = s.scalars(select(Incident)).one()
        assert incident.first_event_ts == incident.last_event_ts == datetime(2025, 1, 10, 6, 0, 0, 250000,
                                                                             tzinfo=timezone.utc)
        assert incident.first_event_ts.tzinfo == timezone.utc and incident.severity is Severity.WARNING
    with pytest.raises(Exception, match="naive datetime"), db.transaction() as s:
        s.add(_incident(fault="x", first_event_ts=datetime(2025, 1, 1), last_event_ts=datetime(2025, 1, 1)))
