"""Workers racing on one fault: one incident, one ticket, every event counted once.

Three races: worker threads going through ingest (each its own session and
connection, as workers on a shared subscription); threads calling the incident
logic directly with overlapping transactions, so on PostgreSQL their inserts
really collide on the partial unique index (ingest's device row lock would
otherwise make them take turns); and, on PostgreSQL, two worker processes.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text

from heatwatch.contract import Event
from heatwatch.gateway.db import Database, from_unix
from heatwatch.gateway.incidents.models import Incident, IncidentEvent
from heatwatch.gateway.incidents.service import Incidents
from heatwatch.gateway.ingest.models import ProcessedEvent
from heatwatch.gateway.ingest.service import Ingest
from heatwatch.gateway.tickets.models import Ticket
from tests.gateway.incidents_support import DAY, JANUARY, Clock, count, event, message, place_devices

REPO = Path(__file__).resolve().parents[2]
WORKERS = 4


def _one_fault(n: int) -> list[Event]:
    return [event("fault" if i == 0 else "fault_update", at=JANUARY + i * DAY / 8, failure_in=(20 - i / 8) * DAY,
                  seq=i) for i in range(n)]


def _assert_one_incident_one_ticket(db: Database, events: int) -> Incident:
    with db.transaction() as s:
        [incident] = s.scalars(select(Incident)).all()
    assert incident.event_count == events
    assert count(db, IncidentEvent) == events
    assert count(db, Ticket) == 1
    return incident


def _run_threads(n: int, work) -> list[BaseException]:
    start = threading.Barrier(n)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            start.wait(timeout=30)
            work(i)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def test_worker_threads_through_ingest_make_one_incident_and_one_ticket(db):
    place_devices(db, "hp-001")
    events = _one_fault(WORKERS * 5)
    workers = [Ingest(db, clock=Clock(), incidents=Incidents()) for _ in range(WORKERS)]
    # each event delivered twice, to two different workers (QoS 1 re-delivery on a shared subscription)
    shares = [[message(ev) for j, ev in enumerate(events) if j % WORKERS in (i, (i + 1) % WORKERS)]
              for i in range(WORKERS)]
    outcomes: list[list[str]] = [[] for _ in range(WORKERS)]
    errors = _run_threads(WORKERS, lambda i: outcomes[i].extend(workers[i].handle(*m).reason for m in shares[i]))
    assert errors == []
    reasons = [r for per in outcomes for r in per]
    assert reasons.count("duplicate") == len(events)
    _assert_one_incident_one_ticket(db, len(events))


def test_overlapping_transactions_collide_on_the_open_incident_and_the_loser_updates(db, caplog):
    """Each thread's transaction is open before any inserts, and the first to insert holds its
    transaction a while: on PostgreSQL the others' inserts wait on the unique index, fail when it
    commits, and must take the winner's incident (the log says so)."""
    place_devices(db, "hp-001")
    events = _one_fault(WORKERS)
    with db.transaction() as s:
        s.execute(insert(ProcessedEvent), [
            {"event_id": ev.event_id, "device_id": ev.device, "seq": ev.seq, "kind": ev.kind, "fault": ev.fault,
             "ts": from_unix(ev.ts), "payload": ev.model_dump(mode="json")} for ev in events])
    overlap = db.engine.dialect.name == "postgresql"
    begun = threading.Barrier(WORKERS)
    service = Incidents()

    def work(i: int) -> None:
        with db.sessions() as session, session.begin():
            session.execute(text("SELECT 1"))
            if overlap:
                begun.wait(timeout=30)
            service.record_event(session, events[i], JANUARY)
            session.flush()
            time.sleep(0.3)

    with caplog.at_level(logging.INFO, logger="heatwatch.gateway.incidents.service"):
        errors = _run_threads(WORKERS, work)
    assert errors == []
    incident = _assert_one_incident_one_ticket(db, WORKERS)
    if overlap:
        lost = [r for r in caplog.records if "another worker opened incident" in r.getMessage()]
        assert lost, "no insert lost the race: the test did not make the workers collide"
        assert all(f"incident {incident.id} first" in r.getMessage() for r in lost)


def _worker_main(url: str, payloads: str, start_at: float) -> None:
    """A gateway worker process: handle these messages, starting at the given wall-clock time."""
    db = Database.open(url)
    ingest = Ingest(db, clock=Clock(), incidents=Incidents())
    messages = [(m["topic"], m["payload"].encode()) for m in json.loads(Path(payloads).read_text())]
    time.sleep(max(start_at - time.time(), 0.0))
    reasons = [ingest.handle(*m).reason for m in messages]
    db.close()
    print(json.dumps(reasons))


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_worker_processes_make_one_incident_and_one_ticket(db, db_url, tmp_path):
    place_devices(db, "hp-001")
    events = _one_fault(30)
    files = []
    for i in range(2):
        share = [ev for j, ev in enumerate(events) if j % 2 == i or j % 5 == 0]  # every 5th to both
        path = tmp_path / f"worker{i}.json"
        path.write_text(json.dumps([{"topic": t, "payload": p.decode()} for t, p in map(message, share)]))
        files.append(path)
    start_at = time.time() + 4.0  # both processes imported and connected by then
    procs = [subprocess.Popen([sys.executable, "-c", "import sys; from tests.gateway.test_incidents_race import "
                               "_worker_main; _worker_main(sys.argv[1], sys.argv[2], float(sys.argv[3]))",
                               db_url, str(path), repr(start_at)], cwd=REPO, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for path in files]
    results = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, results):
        assert p.returncode == 0, err
    reasons = [r for out, _ in results for r in json.loads(out.strip().splitlines()[-1])]
    assert reasons.count("duplicate") == len([j for j in range(30) if j % 5 == 0])
    _assert_one_incident_one_ticket(db, len(events))


def test_a_dispatcher_resolving_while_a_worker_updates_the_incident_do_not_deadlock(db):
    """Both lock the incident and its ticket: the ticket service takes the incident first, as ingest
    does, so neither waits for the other in a cycle (PostgreSQL would abort one as a deadlock)."""
    from heatwatch.gateway.tickets import service as tickets

    place_devices(db, "hp-001")
    worker = Ingest(db, clock=Clock(), incidents=Incidents())
    worker.handle(*message(event("fault", at=JANUARY, failure_in=10 * DAY)))
    with db.transaction() as s:
        ticket = s.scalars(select(Ticket)).one()
        tickets.acknowledge(s, ticket.id, version=ticket.version, actor=tickets.Actor("Dana"), now=JANUARY)
    locked = threading.Event()
    errors: list[BaseException] = []

    def dispatcher() -> None:
        try:
            with db.transaction() as s:
                t = tickets.get_ticket(s, ticket.id, lock=True)
                locked.set()
                time.sleep(0.5)  # the worker's event arrives meanwhile
                tickets.resolve(s, t.id, version=t.version, actor=tickets.Actor("Dana"), code="no_fault_found",
                                now=JANUARY)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
            locked.set()

    def ingest_worker() -> None:
        try:
            locked.wait(timeout=30)
            worker.handle(*message(event("fault_update", at=JANUARY + DAY, failure_in=2 * DAY)))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=dispatcher), threading.Thread(target=ingest_worker)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with db.transaction() as s:
        assert s.scalars(select(Ticket)).one().status.value == "resolved"
        assert s.scalars(select(Incident)).one().state.value == "closed"
