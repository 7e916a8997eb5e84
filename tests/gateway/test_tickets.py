"""The ticket service on SQLite and PostgreSQL: the lifecycle with its history, refused transitions,
optimistic locking, and the SLA clock (deadlines, pause, breaches, reminders) on a fixed clock."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from heatwatch.gateway.settings import parse_settings
from heatwatch.gateway.tickets import service as tickets
from heatwatch.gateway.tickets.lifecycle import TRANSITIONS
from heatwatch.gateway.tickets.models import (
    AgreementStatus,
    ReminderRecipient,
    ResolutionCode,
    Ticket,
    TicketReminder,
    TicketStatus,
)
from heatwatch.gateway.tickets.sla import SlaPolicy, effective_deadlines, sweep_sla
from heatwatch.gateway.users.models import Role
from tests.gateway.incidents_support import JANUARY, add_user, history, place_devices

HOUR = timedelta(hours=1)
DANA = tickets.Actor("Dana Dispatcher", None)
POLICY = SlaPolicy.from_settings(parse_settings({"sla": {"2": {"response_hours": 4, "resolution_hours": 48}}}))


@pytest.fixture
def ticket_id(db) -> int:
    place_devices(db, "hp-001")
    with db.transaction() as s:
        return tickets.open_ticket(s, device_id="hp-001", title="Refrigerant leak", priority=2, now=JANUARY,
                                   policy=POLICY).id


def _get(db, ticket_id: int) -> Ticket:
    with db.transaction() as s:
        return tickets.get_ticket(s, ticket_id)


def _do(db, fn, ticket_id: int, **kw) -> Ticket:
    """One action in its own transaction, on the version held now (as a dispatcher's screen would)."""
    version = _get(db, ticket_id).version
    with db.transaction() as s:
        return fn(s, ticket_id, version=version, actor=DANA, **kw)


def _reminders(db) -> list[tuple[int, str, str]]:
    with db.transaction() as s:
        return [(r.number, r.recipient.value, r.reason) for r in s.scalars(
            select(TicketReminder).order_by(TicketReminder.number))]


# ---- lifecycle ----------------------------------------------------------------------------------

def test_the_whole_lifecycle_is_in_the_history_with_who_and_when(db, ticket_id):
    tech = add_user(db, "Tomas Technician", Role.TECHNICIAN)
    tomas = tickets.Actor("Tomas Technician", tech)
    _do(db, tickets.acknowledge, ticket_id, now=JANUARY + HOUR)
    _do(db, tickets.schedule, ticket_id, now=JANUARY + 2 * HOUR, technician_id=tech,
        window_start=JANUARY + 26 * HOUR, window_end=JANUARY + 30 * HOUR)
    with db.transaction() as s:
        t = tickets.start_work(s, ticket_id, version=_get(db, ticket_id).version, actor=tomas, now=JANUARY + 27 * HOUR)
        t = tickets.resolve(s, ticket_id, version=t.version, actor=tomas, code=ResolutionCode.FAULT_CONFIRMED,
                            note="leak at the service valve, brazed, recharged 1.1 kg", now=JANUARY + 29 * HOUR)
    t = _do(db, tickets.close, ticket_id, now=JANUARY + 30 * HOUR)
    assert t.status == TicketStatus.CLOSED and t.closed_at == JANUARY + 30 * HOUR
    assert t.agreement_status == AgreementStatus.MET and t.responded_at == JANUARY + HOUR
    assert history(db, ticket_id) == [
        ("gateway", "created", None, "open"),
        ("Dana Dispatcher", "status", "open", "acknowledged"),
        ("Dana Dispatcher", "schedule", None, "2025-01-11 08:00..2025-01-11 12:00 UTC"),
        ("Dana Dispatcher", "assign", None, "Tomas Technician"),
        ("Dana Dispatcher", "status", "acknowledged", "scheduled"),
        ("Tomas Technician", "status", "scheduled", "in_progress"),
        ("Tomas Technician", "status", "in_progress", "resolved"),
        ("Dana Dispatcher", "status", "resolved", "closed"),
    ]
    with db.transaction() as s:
        whens = [c.at for c in tickets.get_ticket(s, ticket_id).history]
        users = {c.actor: c.user_id for c in tickets.get_ticket(s, ticket_id).history}
    assert whens == sorted(whens) and whens[-1] == JANUARY + 30 * HOUR
    assert users["Tomas Technician"] == tech and users["gateway"] is None


REFUSALS = [
    ([], TicketStatus.IN_PROGRESS),  # open -> in_progress: acknowledge or schedule first
    ([], TicketStatus.RESOLVED),
    ([], TicketStatus.CLOSED),
    (["acknowledge"], TicketStatus.CLOSED),  # closed only after resolved
    (["acknowledge", "resolve", "close"], TicketStatus.ACKNOWLEDGED),  # closed is final
    (["cancel"], TicketStatus.ACKNOWLEDGED),  # cancelled is final
    (["acknowledge", "resolve"], TicketStatus.CANCELLED),  # resolved work is not cancelled
]


def test_invalid_transitions_are_refused_and_change_nothing(db, ticket_id):
    for path, refused in REFUSALS:
        with db.transaction() as s:  # a fresh ticket for each case
            tid = tickets.open_ticket(s, device_id="hp-001", title="case", priority=2, now=JANUARY, policy=POLICY).id
        steps = {"acknowledge": lambda: _do(db, tickets.acknowledge, tid, now=JANUARY),
                 "resolve": lambda: _do(db, tickets.resolve, tid, code="no_fault_found", now=JANUARY),
                 "close": lambda: _do(db, tickets.close, tid, now=JANUARY),
                 "cancel": lambda: _do(db, tickets.cancel, tid, reason="duplicate", now=JANUARY)}
        for step in path:
            steps[step]()
        before = _get(db, tid)
        attempt = {TicketStatus.IN_PROGRESS: lambda: _do(db, tickets.start_work, tid),
                   TicketStatus.RESOLVED: lambda: _do(db, tickets.resolve, tid, code="no_fault_found"),
                   TicketStatus.CLOSED: lambda: _do(db, tickets.close, tid),
                   TicketStatus.ACKNOWLEDGED: lambda: _do(db, tickets.acknowledge, tid),
                   TicketStatus.CANCELLED: lambda: _do(db, tickets.cancel, tid, reason="customer declined")}
        with pytest.raises(tickets.InvalidTransition) as refusal:
            attempt[refused]()
        assert f"cannot go from {before.status.value} to {refused.value}" in str(refusal.value), (path, refused)
        after = _get(db, tid)
        assert (after.status, after.version, len(history(db, tid))) == (
            before.status, before.version, len(history(db, tid))), (path, refused)


def test_every_status_may_only_go_where_the_table_says():
    assert TRANSITIONS[TicketStatus.CLOSED] == frozenset() == TRANSITIONS[TicketStatus.CANCELLED]
    assert TRANSITIONS[TicketStatus.RESOLVED] == {TicketStatus.CLOSED}
    for status, targets in TRANSITIONS.items():
        assert TicketStatus.OPEN not in targets, status  # nothing goes back to open


def test_bad_changes_are_refused_with_a_reason(db, ticket_id):
    dispatcher = add_user(db, "Dana", Role.DISPATCHER)
    with pytest.raises(tickets.InvalidTicketChange, match="must end after it starts"):
        _do(db, tickets.schedule, ticket_id, window_start=JANUARY + HOUR, window_end=JANUARY)
    with pytest.raises(tickets.InvalidTicketChange, match="not an active technician"):
        _do(db, tickets.schedule, ticket_id, window_start=JANUARY, window_end=JANUARY + HOUR,
            technician_id=dispatcher)
    _do(db, tickets.acknowledge, ticket_id, now=JANUARY)
    with pytest.raises(tickets.InvalidTicketChange, match="resolution code 'fixed'"):
        _do(db, tickets.resolve, ticket_id, code="fixed")
    with pytest.raises(tickets.InvalidTicketChange, match="needs a note of what was done"):
        _do(db, tickets.resolve, ticket_id, code="fault_confirmed", note=" ")
    with pytest.raises(tickets.TicketNotFound):
        _do(db, tickets.acknowledge, 9999)
    assert _get(db, ticket_id).status == TicketStatus.ACKNOWLEDGED


# ---- optimistic locking ---------------------------------------------------------------------------

def test_a_change_based_on_a_stale_version_is_refused(db, ticket_id):
    seen = _get(db, ticket_id).version  # two dispatchers open the ticket
    with db.transaction() as s:
        tickets.acknowledge(s, ticket_id, version=seen, actor=tickets.Actor("Dana"), now=JANUARY)
    with db.transaction() as s, pytest.raises(tickets.StaleTicket) as stale:
        tickets.cancel(s, ticket_id, version=seen, actor=tickets.Actor("Erik"), reason="duplicate", now=JANUARY)
    assert stale.value.current == seen + 1
    t = _get(db, ticket_id)
    assert t.status == TicketStatus.ACKNOWLEDGED and t.version == seen + 1


def test_two_dispatchers_at_once_one_wins_the_other_is_told(db, ticket_id):
    seen = _get(db, ticket_id).version
    start = threading.Barrier(2)
    results: list[str] = []

    def act(name: str) -> None:
        start.wait(timeout=30)
        try:
            with db.transaction() as s:
                if name == "Dana":
                    tickets.acknowledge(s, ticket_id, version=seen, actor=tickets.Actor(name), now=JANUARY)
                else:
                    tickets.cancel(s, ticket_id, version=seen, actor=tickets.Actor(name), reason="dup", now=JANUARY)
            results.append(f"{name} ok")
        except tickets.StaleTicket:
            results.append(f"{name} stale")

    threads = [threading.Thread(target=act, args=(n,)) for n in ("Dana", "Erik")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(r.split()[1] for r in results) == ["ok", "stale"], results
    assert _get(db, ticket_id).version == seen + 1
    assert len(history(db, ticket_id)) == 2


# ---- the SLA clock --------------------------------------------------------------------------------

def test_deadlines_come_from_the_sla_table(db, ticket_id):
    t = _get(db, ticket_id)
    assert (t.response_by, t.resolution_by) == (JANUARY + 4 * HOUR, JANUARY + 48 * HOUR)
    assert t.agreement_status == AgreementStatus.DUE
    assert t.next_reminder_at == JANUARY + 2 * HOUR  # half the response time


def test_waiting_on_the_customer_pauses_the_clock_and_moves_the_deadlines(db, ticket_id):
    _do(db, tickets.acknowledge, ticket_id, now=JANUARY + HOUR)
    t = _do(db, tickets.wait_on_customer, ticket_id, now=JANUARY + 10 * HOUR, note="no one home")
    assert t.agreement_status == AgreementStatus.PAUSED and t.resume_status == TicketStatus.ACKNOWLEDGED
    # while paused, the resolution deadline runs away with the pause
    assert effective_deadlines(t, JANUARY + 70 * HOUR)[1] == JANUARY + 108 * HOUR
    with db.transaction() as s:  # the sweep passes a paused ticket by, past its deadline or not
        assert sweep_sla(s, JANUARY + 70 * HOUR, POLICY).resolution_breaches == []
    t = _do(db, tickets.resume, ticket_id, now=JANUARY + 70 * HOUR)
    assert t.status == TicketStatus.ACKNOWLEDGED and t.resume_status is None and t.sla_paused_at is None
    assert t.sla_paused_seconds == 60 * 3600
    assert t.resolution_by == JANUARY + 108 * HOUR  # 48 h + 60 h waited
    assert t.response_by == JANUARY + 4 * HOUR  # met before the pause: stays
    assert t.agreement_status == AgreementStatus.DUE
    with db.transaction() as s:
        assert sweep_sla(s, JANUARY + 107 * HOUR, POLICY).resolution_breaches == []
    with db.transaction() as s:
        assert sweep_sla(s, JANUARY + 109 * HOUR, POLICY).resolution_breaches == [ticket_id]
    assert _get(db, ticket_id).agreement_status == AgreementStatus.BREACHED


def test_a_pause_before_the_response_moves_the_response_deadline_too(db, ticket_id):
    t = _do(db, tickets.wait_on_customer, ticket_id, now=JANUARY + HOUR)  # counts as the response
    assert t.responded_at == JANUARY + HOUR
    t = _do(db, tickets.resume, ticket_id, now=JANUARY + 3 * HOUR)
    assert t.status == TicketStatus.OPEN and t.resolution_by == JANUARY + 50 * HOUR


def test_a_late_response_is_a_breach_even_between_sweeps_and_stays_one(db, ticket_id):
    t = _do(db, tickets.acknowledge, ticket_id, now=JANUARY + 5 * HOUR)
    assert t.agreement_status == AgreementStatus.BREACHED and t.response_breached_at == JANUARY + 5 * HOUR
    t = _do(db, tickets.resolve, ticket_id, code="no_fault_found", now=JANUARY + 6 * HOUR)
    assert t.agreement_status == AgreementStatus.BREACHED  # resolved in time, but the response was late


def test_resolved_in_time_is_met(db, ticket_id):
    _do(db, tickets.acknowledge, ticket_id, now=JANUARY + HOUR)
    t = _do(db, tickets.resolve, ticket_id, code="other_fault", note="flow switch replaced", now=JANUARY + 47 * HOUR)
    assert t.agreement_status == AgreementStatus.MET


def test_reminders_repeat_until_someone_acknowledges_then_go_to_a_lead(db, ticket_id):
    def sweep(hours: float):
        with db.transaction() as s:
            return sweep_sla(s, JANUARY + hours * HOUR, POLICY)

    version = _get(db, ticket_id).version
    assert sweep(1.9).reminders == []
    assert [r[2:] for r in sweep(2.0).reminders] == [(ReminderRecipient.DISPATCHER, "unacknowledged")]
    assert sweep(2.5).reminders == []  # not due again yet, and idempotent
    breach = sweep(4.5)  # the response deadline (4 h) passed: a lead is told at once
    assert breach.response_breaches == [ticket_id]
    assert [r[2:] for r in breach.reminders] == [(ReminderRecipient.LEAD, "response_breached")]
    assert [r[2:] for r in sweep(6.0).reminders] == [(ReminderRecipient.LEAD, "unacknowledged")]
    assert len(sweep(11.0).reminders) == 1  # a late sweep writes one, not one per missed interval
    assert _reminders(db) == [(1, "dispatcher", "unacknowledged"), (2, "lead", "response_breached"),
                              (3, "lead", "unacknowledged"), (4, "lead", "unacknowledged")]
    t = _get(db, ticket_id)
    assert t.version == version  # the clock's bookkeeping does not stale a dispatcher's screen
    assert t.agreement_status == AgreementStatus.BREACHED and t.reminders_sent == 4
    assert ("sla clock", "sla", "due", "breached") in history(db, ticket_id)
    with db.transaction() as s:
        tickets.acknowledge(s, ticket_id, version=version, actor=DANA, now=JANUARY + 11.5 * HOUR)
    assert sweep(20.0).reminders == []  # acknowledged: no more reminders
    assert sweep(49.0).resolution_breaches == [ticket_id]
    assert _reminders(db)[-1] == (5, "lead", "resolution_breached")


def test_escalation_tightens_the_deadlines_a_person_lowers_them(db, ticket_id):
    now = JANUARY + HOUR
    with db.transaction() as s:
        t = tickets.get_ticket(s, ticket_id, lock=True)
        assert tickets.escalate(s, t, 1, "leak nearer", now, POLICY)
        assert not tickets.escalate(s, t, 3, "the gateway never lowers", now, POLICY)
    t = _get(db, ticket_id)
    p1 = POLICY.target(1)
    assert t.priority == 1
    assert t.response_by == min(JANUARY + 4 * HOUR, now + timedelta(hours=p1.response_hours))
    assert t.resolution_by == now + timedelta(hours=p1.resolution_hours)
    t = _do(db, tickets.set_priority, ticket_id, priority=4, note="customer away for a month", now=now, policy=POLICY)
    p4 = POLICY.target(4)
    assert t.resolution_by == JANUARY + timedelta(hours=p4.resolution_hours)  # from creation
    assert ("Dana Dispatcher", "priority", "1", "4") in history(db, ticket_id)
