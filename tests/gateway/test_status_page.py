"""The customer's status page (/s/<token>) and the dispatcher's visit proposals, through the TestClient
on SQLite and PostgreSQL: links (expired, forged, another customer's), language, what never shows
(internal notes, other customers), picking a window (and a stale or withdrawn pick), questions, the
survey's ranges and its one answer per ticket, and the refusals, each a page, never a 500."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from heatwatch.gateway.customers.models import Customer
from heatwatch.gateway.db import utcnow
from heatwatch.gateway.feedback.models import SurveyResponse, VisitProposal
from heatwatch.gateway.notifications.models import Notification
from heatwatch.gateway.notifications.status_link import make_token
from heatwatch.gateway.settings import DatabaseSettings, GatewaySettings, NotificationSettings
from heatwatch.gateway.tickets import service
from heatwatch.gateway.tickets.models import Ticket, TicketChange, TicketStatus

pytest_plugins = ["tests.gateway.api_world"]  # its fixtures: world, make_api

SECRET = "status-page-test-secret-" + "x" * 20
FORM = re.compile(r'name="form_token" value="([^"]+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
OPTION = re.compile(r'name="proposal" value="(\d+)"')
D = timedelta(days=1)


@pytest.fixture
def client(make_api, db_url, world):
    settings = GatewaySettings(database=DatabaseSettings(url=db_url),
                               notifications=NotificationSettings(status_link_secret=SECRET, company="Nordvärme"))
    return make_api(settings)


def link(world, title: str, customer: str = "a", expires: datetime | None = None) -> str:
    token = make_token(SECRET, world.tickets[title], world.customers[customer], expires or utcnow() + 30 * D)
    return f"/s/{token}"


def set_customer(db, world, who: str = "a", **values) -> None:
    with db.transaction() as s:
        customer = s.get(Customer, world.customers[who])
        for k, v in values.items():
            setattr(customer, k, v)


def form_of(client, path: str) -> dict[str, str]:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return {"form_token": FORM.search(page.text)[1]}


def propose(client, world, title: str, starts: list[datetime], who: str = "dispatcher", version: int | None = None):
    if version is None:
        version = client.get(f"/tickets/{world.tickets[title]}", headers=world.auth("dispatcher")).json()["version"]
    body = {"version": version, "windows": [{"start": s.isoformat(), "end": (s + 2 * timedelta(hours=1)).isoformat()}
                                            for s in starts]}
    return client.post(f"/tickets/{world.tickets[title]}/propose-visits", json=body, headers=world.auth(who))


def future(days: int, hour: int = 8) -> datetime:
    return (utcnow() + days * D).replace(hour=hour, minute=0, second=0, microsecond=0)


# ---- links ---------------------------------------------------------------------------------------

def test_expired_forged_and_foreign_links(client, db, world):
    set_customer(db, world, language="sv")
    expired = client.get(link(world, "a2 urgent", expires=utcnow() - timedelta(minutes=1)))
    assert expired.status_code == 410
    assert "Länken har gått ut" in expired.text and "Nordvärme" in expired.text  # the customer's language, who to ask
    good = link(world, "a2 urgent")
    assert client.get(good).status_code == 200
    forged = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    assert client.get(forged).status_code == 404
    assert client.get("/s/not-a-token").status_code == 404
    assert client.get("/s/" + "A" * 500).status_code == 404
    assert "Pagina non trovata" in client.get(forged, headers={"Accept-Language": "it-IT,it;q=0.9"}).text
    # a genuinely signed link that pairs customer a with customer b's ticket
    assert client.get(link(world, "b1 drift", customer="a")).status_code == 404
    other_secret = make_token("another secret", world.tickets["a2 urgent"], world.customers["a"], utcnow() + D)
    assert client.get(f"/s/{other_secret}").status_code == 404
    page = client.get(good)
    assert page.headers["Referrer-Policy"] == "same-origin" and page.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert 'heatwatch_status_page_refused_total{reason="expired"} 1.0' in client.get("/metrics").text


@pytest.mark.parametrize("tag, words", [("sv-FI", "Din värmepump"), ("nb", "Varmepumpen din"),
                                        ("it", "La tua pompa di calore"), ("de", "Your heat pump"),
                                        ("en", "Your heat pump")])
def test_the_page_speaks_the_customers_language(client, db, world, tag, words):
    set_customer(db, world, language=tag)
    page = client.get(link(world, "a1 leak"))
    assert page.status_code == 200 and words in page.text
    assert f'<html lang="{tag[:2] if tag != "de" else "en"}">' in page.text


def test_health_timeline_and_visit_in_plain_words_and_local_time(client, db, world):
    page = client.get(link(world, "a1 leak")).text  # a leak; the visit T0+20h..22h UTC, Berlin: 03:00-05:00 (CET)
    assert "We found a problem" in page and "slowly losing refrigerant" in page
    assert "Your heating keeps working meanwhile." in page
    assert "We noticed a problem with your heat pump “cellar”" in page
    assert "Saturday, January 11, 2025, 3:00\u202fAM–5:00\u202fAM" in page  # the booked window in Berlin time
    assert "refrigerant_leak" not in page and "superheat" not in page  # no sensor jargon
    quiet = client.get(link(world, "a2 urgent")).text  # the customer's own call, no incident
    assert "We are keeping an eye on it" in quiet and "We received your request" in quiet
    assert "No visit is booked yet." in quiet


def test_no_internal_notes_and_no_other_customers_data(client, db, world):
    with db.transaction() as s:
        ticket = s.get(Ticket, world.tickets["a1 leak"])
        service.add_note(s, ticket.id, actor=service.Actor("dispatcher"), note="INTERNAL: she shouts on the phone")
        service.set_priority(s, ticket.id, version=ticket.version, actor=service.Actor("dispatcher"), priority=2,
                             note="PRIORITY-NOTE downgraded")
    page = client.get(link(world, "a1 leak")).text
    for secret in ("INTERNAL", "PRIORITY-NOTE", "dispatcher", "Bert", "Brandt", "hp-a1", "sla", "P1", "breach"):
        assert secret not in page, secret


# ---- visit windows -------------------------------------------------------------------------------

def test_picking_a_window_schedules_the_ticket_and_withdraws_the_others(client, db, world):
    set_customer(db, world, preferred_channels=["email"], contact_addresses={"email": "anna@example.org"})
    starts = [future(3), future(4, 12), future(5)]
    proposed = propose(client, world, "a2 urgent", starts)
    assert proposed.status_code == 200, proposed.text
    assert len(proposed.json()["proposals"]) == 3
    with db.sessions() as s:
        queued = s.scalars(select(Notification).where(Notification.ticket_id == world.tickets["a2 urgent"],
                                                      Notification.step == "visit_proposed")).all()
        assert [n.channel for n in queued] == ["email"] and len(queued[0].params["windows"]) == 3
    path = link(world, "a2 urgent")
    page = client.get(path).text
    options = OPTION.findall(page)
    assert len(options) == 3
    chosen = options[1]
    response = client.post(f"{path}/pick", data={"form_token": FORM.search(page)[1],
                                                 "version": VERSION.search(page)[1], "proposal": chosen},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    after = client.get(response.headers["location"]).text
    assert "Thank you! Your visit is booked" in after and 'name="proposal"' not in after
    with db.sessions() as s:
        ticket = s.get(Ticket, world.tickets["a2 urgent"])
        assert ticket.status == TicketStatus.SCHEDULED
        assert ticket.visit_window_start.replace(tzinfo=timezone.utc) == starts[1]
        rows = s.scalars(select(VisitProposal).where(VisitProposal.ticket_id == ticket.id)).all()
        assert [(r.chosen_at is not None, r.withdrawn_at is not None) for r in rows if r.id == int(chosen)] == \
            [(True, False)]
        assert all(r.withdrawn_at is not None and r.chosen_at is None for r in rows if r.id != int(chosen))
        entry = s.scalars(select(TicketChange).where(TicketChange.ticket_id == ticket.id,
                                                     TicketChange.action == "schedule")).one()
        assert entry.actor == "Anna Albers (customer, status page)" and entry.user_id is None
        booked = s.scalar(select(func.count()).select_from(Notification).where(
            Notification.ticket_id == ticket.id, Notification.step == "visit_booked"))
        assert booked == 1  # the booking's own message, from the ticket service


def test_a_stale_pick_is_explained_and_changes_nothing(client, db, world):
    propose(client, world, "a2 urgent", [future(3), future(4)])
    path = link(world, "a2 urgent")
    page = client.get(path).text
    with db.transaction() as s:  # the dispatcher acts while the customer's page is open
        ticket = s.get(Ticket, world.tickets["a2 urgent"])
        service.acknowledge(s, ticket.id, version=ticket.version, actor=service.Actor("dispatcher"))
    response = client.post(f"{path}/pick", data={"form_token": FORM.search(page)[1], "version": VERSION.search(page)[1],
                                                 "proposal": OPTION.findall(page)[0]})
    assert response.status_code == 409
    assert "Something changed on our side" in response.text and len(OPTION.findall(response.text)) == 2
    with db.sessions() as s:
        assert s.get(Ticket, world.tickets["a2 urgent"]).status == TicketStatus.ACKNOWLEDGED
    # the page it answered carries the new version: picking again works
    again = client.post(f"{path}/pick", data={"form_token": FORM.search(response.text)[1],
                                              "version": VERSION.search(response.text)[1],
                                              "proposal": OPTION.findall(response.text)[0]}, follow_redirects=False)
    assert again.status_code == 303


def test_a_withdrawn_window_and_another_customers_link_cannot_book(client, db, world):
    propose(client, world, "a2 urgent", [future(3)])
    first = client.get(link(world, "a2 urgent")).text
    old_option = OPTION.findall(first)[0]
    propose(client, world, "a2 urgent", [future(6)])  # new offer: the first is withdrawn
    path = link(world, "a2 urgent")
    page = client.get(path).text
    assert OPTION.findall(page) != [old_option]
    gone = client.post(f"{path}/pick", data={"form_token": FORM.search(page)[1], "version": VERSION.search(page)[1],
                                             "proposal": old_option})
    assert gone.status_code == 409 and "no longer available" in gone.text
    for proposal in ("0", str(2**31 - 1)):  # no such window (the largest id the database holds)
        assert client.post(f"{path}/pick", data={"form_token": FORM.search(page)[1], "proposal": proposal,
                                                 "version": VERSION.search(page)[1]}).status_code == 409
    # customer b's own link (a resolved ticket of theirs) with a's window id
    b_path = link(world, "b1 drift", customer="b")
    b_page = client.get(b_path).text
    foreign = client.post(f"{b_path}/pick", data={"form_token": FORM.search(b_page)[1], "version": "1",
                                                  "proposal": OPTION.findall(page)[0]})
    assert foreign.status_code == 409
    # a's form token on b's link
    wrong_form = client.post(f"{b_path}/question", data={"form_token": FORM.search(page)[1], "question": "hi"})
    assert wrong_form.status_code == 403
    with db.sessions() as s:
        assert s.get(Ticket, world.tickets["a2 urgent"]).status == TicketStatus.OPEN
        assert s.get(Ticket, world.tickets["b1 drift"]).status == TicketStatus.OPEN
        assert s.scalar(select(func.count()).select_from(TicketChange).where(
            TicketChange.ticket_id == world.tickets["b1 drift"], TicketChange.action == "customer_question")) == 0


def test_proposing_visits_is_for_dispatchers_and_checks_its_windows(client, db, world):
    assert propose(client, world, "a2 urgent", [future(3)], who="technician").status_code == 403
    assert propose(client, world, "a2 urgent", [future(3)], who="customer_a").status_code == 403
    assert propose(client, world, "a2 urgent", [future(3)], who="customer_b").status_code == 404
    assert propose(client, world, "a2 urgent", [future(d) for d in (2, 3, 4, 5)]).status_code == 422
    assert propose(client, world, "a2 urgent", []).status_code == 422
    assert propose(client, world, "a2 urgent", [utcnow() - D]).status_code == 422  # already begun
    assert propose(client, world, "a2 urgent", [future(3)], version=99).status_code == 409
    assert propose(client, world, "b1 done", [future(3)]).status_code == 422  # resolved: nothing to offer
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(VisitProposal)) == 0
    assert propose(client, world, "a2 urgent", [future(3)], who="admin").status_code == 200


# ---- questions and forms -------------------------------------------------------------------------

def test_a_question_lands_in_the_history_the_dispatcher_sees(client, db, world):
    path = link(world, "a2 urgent")
    form = form_of(client, path)
    response = client.post(f"{path}/question", data=form | {"question": "  Can you come after 15:00?  "},
                           follow_redirects=False)
    assert response.status_code == 303
    assert "We have your question" in client.get(response.headers["location"]).text
    with db.sessions() as s:
        entry = s.scalars(select(TicketChange).where(TicketChange.ticket_id == world.tickets["a2 urgent"],
                                                     TicketChange.action == "customer_question")).one()
        assert entry.note == "Can you come after 15:00?" and entry.actor.startswith("Anna Albers")
    assert "You asked: “Can you come after 15:00?”" in client.get(path).text
    assert client.post(f"{path}/question", data=form | {"question": "   "}).status_code == 422
    assert client.post(f"{path}/question", data=form | {"question": "x" * 2001}).status_code == 422
    for _ in range(9):
        assert client.post(f"{path}/question", data=form | {"question": "again?"},
                           follow_redirects=False).status_code == 303
    too_many = client.post(f"{path}/question", data=form | {"question": "and again?"})
    assert too_many.status_code == 429 and "many questions" in too_many.text


def test_forms_from_elsewhere_are_refused(client, db, world):
    path = link(world, "a2 urgent")
    form = form_of(client, path)
    assert client.post(f"{path}/question", data={"question": "no token"}).status_code == 403
    assert client.post(f"{path}/question", data={"form_token": "guess", "question": "x"}).status_code == 403
    cross = client.post(f"{path}/question", data=form | {"question": "x"}, headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403 and "could not be accepted" in cross.text
    own = client.post(f"{path}/question", data=form | {"question": "x"}, headers={"Origin": "http://testserver"},
                      follow_redirects=False)
    assert own.status_code == 303
    private = client.post(f"{path}/question", data=form | {"question": "y"}, headers={"Origin": "null"},
                          follow_redirects=False)
    assert private.status_code == 303  # a browser that hides the origin: the form token decides
    assert client.post(f"{path}/question", data={"question": "z"}, headers={"Origin": "null"}).status_code == 403
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(TicketChange).where(
            TicketChange.action == "customer_question")) == 2


# ---- the survey ------------------------------------------------------------------------------------

def test_the_survey_opens_once_the_ticket_is_resolved(client, db, world):
    path = link(world, "a2 urgent")
    assert 'id="survey-form"' not in client.get(path).text
    refused = client.post(f"{path}/survey", data=form_of(client, path) | {"csat": "5"})
    assert refused.status_code == 422 and "opens once the work is done" in refused.text
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(SurveyResponse)) == 0


@pytest.mark.parametrize("field, value", [("csat", "0"), ("csat", "6"), ("nps", "11"), ("nps", "-1"), ("ces", "0"),
                                          ("ces", "8"), ("csat", "4.5"), ("nps", "ten"), ("comment", "x" * 4001)])
def test_survey_scores_out_of_range_are_refused(client, db, world, field, value):
    path = link(world, "b1 done", customer="b")
    response = client.post(f"{path}/survey", data=form_of(client, path) | {"ces": "3", field: value})
    assert response.status_code == 422 and "Please" in response.text
    if field != "ces":  # the valid answer stays chosen in the form shown again
        assert 'name="ces" value="3" checked' in response.text
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(SurveyResponse)) == 0


def test_one_survey_per_ticket_a_second_answer_updates_it(client, db, world):
    path = link(world, "b1 done", customer="b")
    form = form_of(client, path)
    assert client.post(f"{path}/survey", data=form).status_code == 422  # nothing answered
    first = client.post(f"{path}/survey", data=form | {"csat": "4", "nps": "9", "ces": "6", "comment": "Quick."},
                        follow_redirects=False)
    assert first.status_code == 303
    assert "Thank you for your answer!" in client.get(first.headers["location"]).text
    second = client.post(f"{path}/survey", data=form | {"csat": "5"}, follow_redirects=False)
    assert second.status_code == 303
    with db.sessions() as s:
        rows = s.scalars(select(SurveyResponse)).all()
        assert len(rows) == 1
        row = rows[0]
        assert (row.csat, row.nps, row.ces, row.comment) == (5, 9, 6, "Quick.")
        assert row.ticket_id == world.tickets["b1 done"] and row.customer_id == world.customers["b"]
        assert row.updated_at is not None and row.source == "status_page"
    assert "You have already answered" in client.get(path).text


def test_the_email_link_with_a_score_stores_nothing_until_sent(client, db, world):
    path = link(world, "b1 done", customer="b")
    for _ in range(3):  # a mail scanner fetching the link, then the customer
        page = client.get(f"{path}/survey?csat=5")
        assert page.status_code == 200
    assert re.search(r'name="csat" value="5" checked', page.text)
    assert "Press “Send” to confirm" in page.text
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(SurveyResponse)) == 0
    assert 'name="csat" value="5" checked' not in client.get(f"{path}/survey?csat=9").text  # out of range: ignored
    sent = client.post(f"{path}/survey", data={"form_token": FORM.search(page.text)[1], "csat": "5",
                                               "source": "email_click"}, follow_redirects=False)
    assert sent.status_code == 303
    with db.sessions() as s:
        row = s.scalars(select(SurveyResponse)).one()
        assert (row.csat, row.nps, row.source) == (5, None, "email_click")


# ---- texts, the board's form, races ----------------------------------------------------------------

def test_every_language_has_every_text_and_its_placeholders():
    from string import Formatter

    from heatwatch.gateway.status_page import texts

    def fields(text: str) -> set[str]:
        return {f for _, f, _, _ in Formatter().parse(text) if f}

    english = texts.table("en")
    assert set(texts.languages()) >= {"en", "sv", "nb", "it"}
    for language in texts.languages():
        table = texts.table(language)
        assert set(table) == set(english), language
        for key, text in table.items():
            assert text.strip() and fields(text) == fields(english[key]), (language, key)
    assert texts.pick("nn") == "nb" and texts.pick("pt-BR") == "en" and texts.pick(None) == "en"


def test_the_board_offers_times_and_refuses_bad_ones(make_api, db_url, db, world):
    from heatwatch.gateway.settings import BoardSettings
    from tests.gateway.board.test_board_pages import csrf_of, sign_in

    settings = GatewaySettings(database=DatabaseSettings(url=db_url), board=BoardSettings(session_secret="s" * 32),
                               notifications=NotificationSettings(status_link_secret=SECRET))
    board = make_api(settings)
    sign_in(board, world.tokens["dispatcher"])
    ticket = world.tickets["a2 urgent"]
    page = board.get(f"/board/tickets/{ticket}").text
    assert 'id="propose"' in page
    csrf, version = csrf_of(board, f"/board/tickets/{ticket}"), VERSION.search(page)[1]
    day = (utcnow() + 2 * D).strftime("%Y-%m-%d")
    bad = board.post(f"/board/tickets/{ticket}/propose", data={"csrf_token": csrf, "version": version,
                                                               "start": ["tomorrow", ""], "end": [f"{day}T10:00", ""]})
    assert bad.status_code == 422 and "Not done" in bad.text
    backwards = board.post(f"/board/tickets/{ticket}/propose", data={
        "csrf_token": csrf, "version": version, "start": [f"{day}T10:00"], "end": [f"{day}T08:00"]})
    assert backwards.status_code == 409 and "must end after it starts" in backwards.text
    forged = board.post(f"/board/tickets/{ticket}/propose", data={"version": version, "start": [f"{day}T08:00"],
                                                                  "end": [f"{day}T10:00"]})
    assert forged.status_code == 403
    good = board.post(f"/board/tickets/{ticket}/propose", data={
        "csrf_token": csrf, "version": version, "start": [f"{day}T08:00", f"{day}T13:00", ""],
        "end": [f"{day}T10:00", f"{day}T15:00", ""], "technician": str(world.user_ids["technician2"])},
        follow_redirects=False)
    assert good.status_code == 303
    assert "Offered to the customer" in board.get(f"/board/tickets/{ticket}").text
    with db.sessions() as s:
        rows = s.scalars(select(VisitProposal).where(VisitProposal.ticket_id == ticket)).all()
        assert len(rows) == 2 and {r.technician_id for r in rows} == {world.user_ids["technician2"]}
        assert {r.proposed_by for r in rows} == {"dispatcher"}


def test_two_tabs_picking_at_once_book_one_visit(client, db, world):
    import threading

    propose(client, world, "a2 urgent", [future(3), future(4)])
    path = link(world, "a2 urgent")
    page = client.get(path).text
    data = [{"form_token": FORM.search(page)[1], "version": VERSION.search(page)[1], "proposal": p}
            for p in OPTION.findall(page)]
    answers: list[int] = []
    start = threading.Barrier(2)

    def pick(form):
        start.wait()
        answers.append(client.post(f"{path}/pick", data=form, follow_redirects=False).status_code)

    threads = [threading.Thread(target=pick, args=(form,)) for form in data]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(answers) == [303, 409]
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(VisitProposal).where(
            VisitProposal.chosen_at.is_not(None))) == 1
        assert s.scalar(select(func.count()).select_from(TicketChange).where(
            TicketChange.ticket_id == world.tickets["a2 urgent"], TicketChange.action == "schedule")) == 1


def test_two_survey_answers_racing_make_one_row(db, world):
    import threading

    from heatwatch.gateway.feedback import survey

    ticket_id, customer_id = world.tickets["b1 done"], world.customers["b"]
    with db.sessions() as first:
        survey.answer(first, first.get(Ticket, ticket_id), customer_id, survey.Answer(csat=2))
        first.flush()  # its row is written, not committed: the other one waits on it

        def second():
            with db.sessions() as s:
                survey.answer(s, s.get(Ticket, ticket_id), customer_id, survey.Answer(nps=10))
                s.commit()

        thread = threading.Thread(target=second)
        thread.start()
        thread.join(0.5)
        first.commit()
        thread.join(30)
        assert not thread.is_alive()
    with db.sessions() as s:
        row = s.scalars(select(SurveyResponse)).one()
        assert (row.csat, row.nps) == (2, 10)


def test_the_timeline_follows_the_visit_the_work_and_the_end(client, db, world):
    path = link(world, "a2 urgent")
    now = utcnow()
    with db.transaction() as s:  # booked for a window that has begun: the technician is on the way
        ticket = s.get(Ticket, world.tickets["a2 urgent"])
        service.schedule(s, ticket.id, version=ticket.version, actor=service.Actor("dispatcher"),
                         window_start=now - timedelta(minutes=10), window_end=now + timedelta(hours=2))
    page = client.get(path).text
    assert "Your technician is on the way" in page and "Visit booked: " in page
    with db.transaction() as s:
        ticket = s.get(Ticket, world.tickets["a2 urgent"])
        service.start_work(s, ticket.id, version=ticket.version, actor=service.Actor("technician"))
    page = client.get(path).text
    assert "Your technician is working on your heat pump" in page and "on the way" not in page
    with db.transaction() as s:
        ticket = s.get(Ticket, world.tickets["a2 urgent"])
        service.resolve(s, ticket.id, version=ticket.version, actor=service.Actor("technician"),
                        code="no_fault_found", note="INTERNAL: customer had the thermostat at 15")
    page = client.get(path).text
    assert "Checked: everything was in order" in page and "Everything is OK" in page
    assert "INTERNAL" not in page and 'id="survey-form"' in page and "No visit is booked yet." in page
    cancelled = client.get(link(world, "a2 later"))
    with db.transaction() as s:
        ticket = s.get(Ticket, world.tickets["a2 later"])
        service.cancel(s, ticket.id, version=ticket.version, actor=service.Actor("dispatcher"), reason="duplicate")
    assert cancelled.status_code == 200
    page = client.get(link(world, "a2 later")).text
    assert "Closed: no visit needed" in page and "duplicate" not in page


def test_a_dispatcher_booking_the_visit_takes_back_the_windows_on_offer(client, db, world):
    """Offered windows and then booked by the dispatcher directly (a phone call): nothing stays on
    offer in the database, so no later reader takes it for an open choice."""
    assert propose(client, world, "a2 urgent", [future(3), future(4)]).status_code == 200
    ticket_id = world.tickets["a2 urgent"]
    version = client.get(f"/tickets/{ticket_id}", headers=world.auth("dispatcher")).json()["version"]
    start = future(5)
    booked = client.post(f"/tickets/{ticket_id}/schedule", headers=world.auth("dispatcher"), json={
        "version": version, "window_start": start.isoformat(), "window_end": (start + timedelta(hours=2)).isoformat()})
    assert booked.status_code == 200, booked.text
    with db.sessions() as s:
        windows = s.scalars(select(VisitProposal).where(VisitProposal.ticket_id == ticket_id)).all()
        assert len(windows) == 2 and all(w.withdrawn_at is not None and w.chosen_at is None for w in windows)
