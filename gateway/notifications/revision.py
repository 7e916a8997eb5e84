"""A revised diagnosis, told to the customer once, and only when what they were told changes.

When the agent withdraws a fault for a notice that explains the evidence better
(a flow meter reading low, not low water flow), the gateway hands the ticket to
the better notice (incidents/service.py ``_revise``). The customer may have been
told the first fault, with advice that no longer applies ("check that the
valves are open"). Per channel:

- a problem_found or diagnosis_updated still waiting in the outbox (queued,
  held for quiet hours or the cap, in a digest not yet sent) is rendered when it
  goes, with the diagnosis as it stands then: it says the new one, and nothing
  follows it. A waiting update whose "from" now reads as the current diagnosis
  (the diagnosis went back) is cancelled;
- else the fault named by the last message that went (``told_fault``) is
  compared, in the customer's language, with the current one's plain words
  (faults.toml: found, short, meanwhile). Different words queue one
  diagnosis_updated, keyed to that message (so the revision and a worker
  recording a message sent meanwhile queue it once between them); the same
  words (two faults told alike, two unknown faults that both read as
  ``default``) queue nothing;
- a customer never told (no message sent, a customer's own call) hears nothing.

The notification worker calls the same check when it records a message sent:
a message rendered before a revision committed and recorded after it named the
old fault, and is followed up the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from heatwatch.gateway.customers.models import Customer
from heatwatch.gateway.notifications import messages, steps
from heatwatch.gateway.notifications.models import OPEN_STATES, Notification, NotificationState
from heatwatch.gateway.tickets.lifecycle import FINISHED
from heatwatch.gateway.tickets.models import Ticket

TELLS_FAULT = (steps.PROBLEM_FOUND, steps.DIAGNOSIS_UPDATED)


@dataclass(frozen=True)
class Due:
    """What one channel needs: an update to queue (``step``), waiting updates to cancel, or nothing
    (``why`` says which, for the counters)."""

    why: str  # queue | waiting | same_words | never_told | no_incident
    step: steps.Step | None = None
    cancel: tuple[int, ...] = ()


def same_words(language: str, a: str, b: str) -> bool:
    """Whether two faults read the same to the customer (an unknown one reads as ``default``)."""
    return messages.plain_fault(language, a) == messages.plain_fault(language, b)


def update_step(ticket: Ticket, after: Notification) -> steps.Step:
    """The diagnosis_updated that follows ``after``, the last message that named a fault."""
    return steps.Step(steps.DIAGNOSIS_UPDATED, f"t{ticket.id}/{steps.DIAGNOSIS_UPDATED}/after-n{after.id}",
                      params={"from": after.told_fault})


def due(session: Session, ticket: Ticket, customer: Customer, channel: str) -> Due:
    """What the ticket's current diagnosis means for what the customer heard on ``channel``."""
    incident = ticket.incident
    if incident is None or ticket.status in FINISHED:
        return Due("no_incident")
    language = messages.pick_language(customer.language)
    n = Notification
    rows = session.scalars(select(n).where(n.ticket_id == ticket.id, n.customer_id == customer.id,
                                           n.channel == channel, n.step.in_(TELLS_FAULT)).order_by(n.id)).all()
    waiting = [r for r in rows if r.state in OPEN_STATES or (r.state == NotificationState.DIGESTED and not r.told_fault)]
    if waiting:
        back = tuple(r.id for r in waiting if r.step == steps.DIAGNOSIS_UPDATED and r.state in OPEN_STATES
                     and same_words(language, str(r.params.get("from", "")), incident.fault))
        return Due("waiting", cancel=back)
    told = [r for r in rows if r.told_fault and r.state in (NotificationState.SENT, NotificationState.DIGESTED)]
    if not told:
        return Due("never_told")
    if same_words(language, told[-1].told_fault, incident.fault):
        return Due("same_words")
    return Due("queue", update_step(ticket, told[-1]))
