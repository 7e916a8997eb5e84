"""/s/<token>: the customer's status page and its forms (plain POSTs, then a redirect back).

GET never changes anything: an email scanner that follows every link in a message (the survey's
score links too) leaves no trace. Every answer is a POST from the page, carrying the form token.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from heatwatch.gateway.api.types import MAX_ID
from heatwatch.gateway.customers.models import Customer
from heatwatch.gateway.db import utcnow
from heatwatch.gateway.deps import SessionDep
from heatwatch.gateway.feedback import proposals, questions, survey
from heatwatch.gateway.notifications.outbox import customer_of
from heatwatch.gateway.notifications.status_link import StatusLinkError, StatusLinkExpired, verify_token
from heatwatch.gateway.status_page import guard, texts, view
from heatwatch.gateway.status_page.templates import render
from heatwatch.gateway.tickets import service
from heatwatch.gateway.tickets.models import Ticket

router = APIRouter(prefix="/s", include_in_schema=False)
Token = Annotated[str, Path()]
MAX_TOKEN = 64  # a real one is 32 characters
DONE = frozenset({"picked", "question", "survey"})
_EPOCH = datetime.min.replace(tzinfo=timezone.utc)  # verifies a genuine token whatever its expiry


class Unknown(Exception):
    """A forged or altered token, or one whose ticket or customer is gone (404)."""


class Expired(Exception):
    """A genuine token past its time (410); ``language`` of its customer, when known."""

    def __init__(self, language: str) -> None:
        self.language = language


def _count(request: Request, key: str) -> None:
    request.app.state.status_page_counters.add(key)


def _settings(request: Request):
    return request.app.state.settings.notifications


def _open(request: Request, session: Session, token: str) -> tuple[Ticket, Customer, str]:
    """The ticket and customer of a link, and the page's language."""
    secret = _settings(request).status_link_secret
    if len(token) > MAX_TOKEN:
        _count(request, "refused.forged")
        raise Unknown()
    try:
        claim = verify_token(secret, token)
    except StatusLinkExpired:
        _count(request, "refused.expired")
        claim = verify_token(secret, token, now=_EPOCH)  # genuine: whose it was, for their language
        customer = session.get(Customer, claim.customer_id)
        raise Expired(texts.pick(customer.language if customer else request.headers.get("accept-language")))
    except StatusLinkError:
        _count(request, "refused.forged")
        raise Unknown() from None
    ticket = session.get(Ticket, claim.ticket_id)
    customer = customer_of(ticket) if ticket is not None else None
    if ticket is None or customer is None or customer.id != claim.customer_id:
        _count(request, "refused.not_theirs")  # the pump moved to another customer, or the ticket is gone
        raise Unknown()
    return ticket, customer, texts.pick(customer.language)


def _page(request: Request, session: Session, token: str, ticket: Ticket, customer: Customer, language: str,
          message: str = "", tone: str = "ok", status_code: int = 200,
          prefill: dict[str, str] | None = None, template: str = "status.html") -> HTMLResponse:
    session.refresh(ticket)
    session.refresh(ticket, ["history"])
    settings = _settings(request)
    ctx = view.context(session, ticket, customer, language, utcnow(), prefill)
    ctx |= {"token": token, "form_token": guard.form_token(settings.status_link_secret, token),
            "message": message, "tone": tone, "company": settings.company}
    return render(request, template, ctx, status_code)


def _actor(customer: Customer) -> service.Actor:
    return service.Actor(f"{customer.name} (customer, status page)"[:200])


def _refused(request: Request, session: Session, token: str, ticket: Ticket, customer: Customer,
             language: str) -> HTMLResponse:
    _count(request, "refused.form")
    return _page(request, session, token, ticket, customer, language, texts.Texts(language)("refused"), "error", 403)


def _form_ok(request: Request, token: str, sent: str) -> bool:
    settings = _settings(request)
    return guard.form_ok(request, settings.status_link_secret, token, sent, settings.status_base_url)


@router.get("/{token}")
def status_page(token: Token, request: Request, session: SessionDep,
                done: Annotated[str, Query(max_length=20)] = "") -> Response:
    ticket, customer, language = _open(request, session, token)
    _count(request, "views")
    t = texts.Texts(language)
    message = ""
    if done == "picked":
        when = view.next_visit(ticket, customer.time_zone, language, t)
        message = t("done_picked", when=when["when"]) if when else ""  # (moved or over since: the page says)
    elif done in DONE:
        message = t("done_" + done)
    return _page(request, session, token, ticket, customer, language, message)


@router.post("/{token}/pick")
def pick(token: Token, request: Request, session: SessionDep, form_token: Annotated[str, Form(max_length=100)] = "",
         version: Annotated[int, Form(ge=0, le=MAX_ID)] = 0,
         proposal: Annotated[int, Form(ge=0, le=MAX_ID)] = 0) -> Response:
    ticket, customer, language = _open(request, session, token)
    if not _form_ok(request, token, form_token):
        return _refused(request, session, token, ticket, customer, language)
    t = texts.Texts(language)
    try:
        proposals.pick(session, ticket.id, proposal, version=version, actor=_actor(customer))
        session.commit()
    except service.StaleTicket:
        session.rollback()
        _count(request, "refused.stale")
        return _page(request, session, token, ticket, customer, language, t("stale"), "warn", 409)
    except (proposals.ProposalGone, service.InvalidTransition, service.InvalidTicketChange):
        session.rollback()
        _count(request, "refused.gone")
        return _page(request, session, token, ticket, customer, language, t("gone"), "warn", 409)
    _count(request, "picks")
    return RedirectResponse(f"/s/{token}?done=picked", status_code=303)


@router.post("/{token}/question")
def ask(token: Token, request: Request, session: SessionDep, form_token: Annotated[str, Form(max_length=100)] = "",
        question: Annotated[str, Form(max_length=20_000)] = "") -> Response:
    ticket, customer, language = _open(request, session, token)
    if not _form_ok(request, token, form_token):
        return _refused(request, session, token, ticket, customer, language)
    t = texts.Texts(language)
    try:
        questions.ask(session, ticket.id, _actor(customer), question)
        session.commit()
    except questions.QuestionRefused as exc:
        session.rollback()
        _count(request, f"refused.question_{exc.reason}")
        words = t("question_" + exc.reason, max=questions.MAX_LENGTH)
        return _page(request, session, token, ticket, customer, language, words, "error",
                     429 if exc.reason == "too_many" else 422)
    _count(request, "questions")
    return RedirectResponse(f"/s/{token}?done=question", status_code=303)


@router.get("/{token}/survey")
def survey_form(token: Token, request: Request, session: SessionDep,
                csat: Annotated[str, Query(max_length=3)] = "", nps: Annotated[str, Query(max_length=3)] = "",
                ces: Annotated[str, Query(max_length=3)] = "") -> Response:
    """The survey link from the email, a score in the URL: the form, that score chosen, one "Send"
    away. Nothing is stored by the GET (mail scanners fetch every link)."""
    ticket, customer, language = _open(request, session, token)
    prefill = {}
    for name, value in (("csat", csat), ("nps", nps), ("ces", ces)):
        low, high = survey.RANGES[name]
        if value.isdigit() and low <= int(value) <= high:
            prefill[name] = value
    if prefill:
        prefill["source"] = "email_click"
    t = texts.Texts(language)
    message = t("survey_from_email") if prefill and survey.survey_open(ticket) else ""
    return _page(request, session, token, ticket, customer, language, message, prefill=prefill,
                 template="survey.html")


def _still_valid(raw: dict[str, str]) -> dict[str, str]:
    """What the customer entered that can stay in the form shown again (a refused score is cleared)."""
    kept = {"comment": raw["comment"][:survey.MAX_COMMENT]}
    for name, (low, high) in survey.RANGES.items():
        value = raw[name].strip()
        if value.isdigit() and low <= int(value) <= high:
            kept[name] = value
    return kept


@router.post("/{token}/survey")
def survey_answer(token: Token, request: Request, session: SessionDep,
                  form_token: Annotated[str, Form(max_length=100)] = "", csat: Annotated[str, Form(max_length=10)] = "",
                  nps: Annotated[str, Form(max_length=10)] = "", ces: Annotated[str, Form(max_length=10)] = "",
                  comment: Annotated[str, Form(max_length=20_000)] = "",
                  source: Annotated[str, Form(max_length=20)] = "status_page") -> Response:
    ticket, customer, language = _open(request, session, token)
    if not _form_ok(request, token, form_token):
        return _refused(request, session, token, ticket, customer, language)
    t = texts.Texts(language)
    raw = {"csat": csat, "nps": nps, "ces": ces, "comment": comment}
    try:
        given = survey.Answer.parse(raw)
        survey.answer(session, ticket, customer.id, given,
                      source=source if source in survey.SOURCES else "status_page")
        session.commit()
    except survey.SurveyError as exc:
        session.rollback()
        _count(request, f"refused.survey_{exc.field}")
        key = {"empty": "survey_empty", "ticket": "survey_not_yet"}.get(exc.field, "survey_invalid")
        return _page(request, session, token, ticket, customer, language, t(key), "error", 422,
                     prefill=_still_valid(raw), template="survey.html")
    _count(request, "surveys")
    return RedirectResponse(f"/s/{token}?done=survey", status_code=303)
