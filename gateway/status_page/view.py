"""What the customer sees: the pump's health, the ticket's customer-facing timeline, the next visit,
the windows on offer and the survey, in the customer's language and time zone.

The timeline is made from the ticket's history, whitelisting the steps a customer follows (found,
the diagnosis updated, visit proposed and booked, the technician on the way and at work, resolved, their own questions);
notes, priorities, assignments and the SLA clock never reach this page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton, format_time
from sqlalchemy.orm import Session

from heatwatch.gateway.customers.models import Customer
from heatwatch.gateway.feedback import proposals, questions, survey
from heatwatch.gateway.incidents import revisions
from heatwatch.gateway.incidents.models import DEVICE_OFFLINE, Incident
from heatwatch.gateway.notifications import messages, revision
from heatwatch.gateway.notifications.compose import heating_state
from heatwatch.gateway.status_page.texts import Texts
from heatwatch.gateway.tickets.lifecycle import FINISHED
from heatwatch.gateway.tickets.models import ResolutionCode, Ticket, TicketStatus

_RESOLVED = {ResolutionCode.FAULT_CONFIRMED: "step_resolved_fixed", ResolutionCode.OTHER_FAULT: "step_resolved_other",
             ResolutionCode.NO_FAULT_FOUND: "step_resolved_no_fault"}
_STATUS_STEPS = {TicketStatus.IN_PROGRESS.value: "step_working", TicketStatus.WAITING_ON_CUSTOMER.value: "step_waiting",
                 TicketStatus.CANCELLED.value: "step_cancelled"}


@dataclass(frozen=True)
class Step:
    at: str  # formatted, local to the customer
    text: str
    kind: str  # a CSS class


def utc(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)


def moment(at: datetime, time_zone: str, language: str) -> str:
    """"Fri, Jan 10, 7:05 AM" as the language writes it, in the customer's time zone."""
    local, locale = utc(at).astimezone(ZoneInfo(time_zone)), Locale.parse(language)
    return f"{format_skeleton('MMMEd', local, locale=locale)}, {format_time(local, 'short', locale=locale)}"


def _window(start: datetime, end: datetime, time_zone: str, language: str, t: Texts) -> str:
    words = messages.visit_words(utc(start), utc(end), time_zone, language)
    return t("visit_when", day=words["day"], start=words["start"], end=words["end"])


def _booked(text: str | None) -> tuple[datetime, datetime] | None:
    """The window a "schedule" history entry booked ("2025-01-11 08:00..2025-01-11 10:00 UTC")."""
    try:
        start, end = (text or "").removesuffix(" UTC").split("..")
        return (datetime.strptime(start, "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc),
                datetime.strptime(end, "%Y-%m-%d %H:%M").replace(tzinfo=timezone.utc))
    except ValueError:
        return None


def pump_words(ticket: Ticket, t: Texts) -> str:
    nickname = (ticket.device.nickname or "").strip()
    return t("pump_named", nickname=nickname) if nickname else t("pump_default")


def health(ticket: Ticket, language: str, t: Texts) -> dict[str, str]:
    """state: ok | watched | problem, with its words."""
    pump = pump_words(ticket, t)
    incident = ticket.incident
    if ticket.status in FINISHED:
        return {"state": "ok", "title": t("health_ok"), "text": t("health_ok_text", pump=pump)}
    if incident is None or incident.fault == DEVICE_OFFLINE:
        fault = messages.plain_fault(language, incident.fault) if incident is not None else None
        return {"state": "watched", "title": t("health_watched"),
                "text": fault["found"] if fault else t("health_watched_text", pump=pump),
                "meanwhile": fault["meanwhile"] if fault else ""}
    fault = messages.plain_fault(language, incident.fault)
    return {"state": "problem", "title": t("health_problem"), "text": fault["found"],
            "heating": t("heating_" + heating_state(incident)), "meanwhile": fault["meanwhile"]}


def revisions_told(session: Session, ticket: Ticket, language: str) -> list[tuple[Incident, Incident]]:
    """The ticket's revised diagnoses whose words change for the customer, newest first (two faults
    told alike, or two unknown ones, are no news: notifications/revision.py says nothing of them either)."""
    return [(w, b) for w, b in revisions.revised_from(session, ticket.incident)
            if not revision.same_words(language, w.fault, b.fault)]


def revised_line(told: list[tuple[Incident, Incident]], ticket: Ticket, time_zone: str, language: str,
                 t: Texts) -> dict[str, str] | None:
    """"Diagnosis updated <when>. Before that, we thought your heat pump <what>." (and that the old
    advice no longer holds), while the work is on."""
    if not told or ticket.status in FINISHED:
        return None
    withdrawn, became = told[0]
    was, now = messages.plain_fault(language, withdrawn.fault), messages.plain_fault(language, became.fault)
    at = withdrawn.closed_at or withdrawn.last_event_ts
    return {"text": t("health_revised", when=moment(at, time_zone, language), pump=pump_words(ticket, t),
                      was=was["short"]),
            "advice": t("health_revised_advice") if was["meanwhile"] and was["meanwhile"] != now["meanwhile"] else ""}


def timeline(ticket: Ticket, time_zone: str, language: str, t: Texts, now: datetime,
             told: list[tuple[Incident, Incident]] = ()) -> list[Step]:
    pump = pump_words(ticket, t)
    revised_at = {utc(w.closed_at): b for w, b in told if w.closed_at is not None}
    steps: list[Step] = []
    for change in ticket.history:
        key, values, kind = None, {}, change.action
        if change.action == "revised" and utc(change.at) in revised_at:
            key, values = "step_revised", {"pump": pump,
                                           "now": messages.plain_fault(language, revised_at[utc(change.at)].fault)["short"]}
        elif change.action == "created":
            key = "step_found" if ticket.incident_id is not None else "step_request"
            values = {"pump": pump}
        elif change.action == proposals.PROPOSE:
            key = "step_proposed"
        elif change.action == "schedule":
            window = _booked(change.to_value)
            key, values = ("step_booked", {"when": _window(*window, time_zone, language, t)}) if window \
                else ("step_booked_plain", {})
        elif change.action == "status" and change.to_value == TicketStatus.RESOLVED.value:
            key = _RESOLVED.get(ticket.resolution_code, "step_resolved_fixed")
        elif change.action == "status" and change.to_value in _STATUS_STEPS:
            key, values = _STATUS_STEPS[change.to_value], {"pump": pump}
        elif change.action == questions.ACTION:
            key, values = "step_question", {"text": change.note}
        if key is not None:
            steps.append(Step(moment(change.at, time_zone, language), t(key, **values), kind))
    start, end = ticket.visit_window_start, ticket.visit_window_end
    if ticket.status == TicketStatus.SCHEDULED and start is not None and end is not None \
            and utc(start) <= now <= utc(end):
        steps.append(Step(moment(start, time_zone, language), t("step_on_the_way"), "on_the_way"))
    return steps


def next_visit(ticket: Ticket, time_zone: str, language: str, t: Texts) -> dict[str, str] | None:
    if ticket.status in FINISHED or ticket.visit_window_start is None or ticket.visit_window_end is None:
        return None
    technician = ticket.technician.name.split()[0] if ticket.technician is not None and ticket.technician.name else ""
    return {"when": _window(ticket.visit_window_start, ticket.visit_window_end, time_zone, language, t),
            "technician": technician}


def context(session: Session, ticket: Ticket, customer: Customer, language: str, now: datetime,
            survey_prefill: dict[str, str] | None = None) -> dict[str, Any]:
    t = Texts(language)
    tz = customer.time_zone
    told = revisions_told(session, ticket, language)
    offered = [{"id": p.id, "text": _window(p.window_start, p.window_end, tz, language, t)}
               for p in proposals.on_offer(session, ticket, now)]
    answered = survey.response_of(session, ticket.id)
    prefill = {k: "" if v is None else str(v) for k, v in (
        {"csat": answered.csat, "nps": answered.nps, "ces": answered.ces} if answered else {}).items()}
    prefill |= {"comment": answered.comment if answered else ""}
    prefill |= {k: v for k, v in (survey_prefill or {}).items() if v}
    return {
        "t": t, "language": language, "first_name": customer.name.split()[0] if customer.name.strip() else "",
        "ticket": ticket, "health": health(ticket, language, t), "revised": revised_line(told, ticket, tz, language, t),
        "timeline": timeline(ticket, tz, language, t, now, told),
        "visit": next_visit(ticket, tz, language, t), "offered": offered,
        "survey_open": survey.survey_open(ticket), "answered": answered is not None, "prefill": prefill,
        "ranges": survey.RANGES, "max_question": questions.MAX_LENGTH,
    }
