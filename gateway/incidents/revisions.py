"""The diagnoses a ticket had before its current one: the incidents closed as revised
(``revised_into_id``, set by service.py ``_revise``), whose ticket went on as the next one's or, the
next one having a ticket already, was cancelled into it. The customer's status page says the
diagnosis changed and from what; the board marks the ticket revised; a customer told the withdrawn
fault on a cancelled ticket is told the change on the ticket that speaks for it
(notifications/revision.py)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from heatwatch.gateway.incidents.models import Incident, IncidentState
from heatwatch.gateway.tickets.lifecycle import FINISHED
from heatwatch.gateway.tickets.models import Ticket

MAX_STEPS = 20  # a chain longer than any pump's story: stop there rather than loop on bad data


def revised_from(session: Session, incident: Incident | None) -> list[tuple[Incident, Incident]]:
    """(withdrawn, what it became), newest first, back along the chain that ends at ``incident``."""
    chain: list[tuple[Incident, Incident]] = []
    current = incident
    while current is not None and len(chain) < MAX_STEPS:
        before = session.scalars(select(Incident).where(Incident.revised_into_id == current.id)
                                 .order_by(Incident.closed_at.desc(), Incident.id.desc()).limit(1)).first()
        if before is None or any(before.id == w.id for w, _ in chain):
            break
        chain.append((before, current))
        current = before
    return chain


def revised_ids(session: Session, incident_ids: Iterable[int]) -> set[int]:
    """Which of these incidents took a revised incident's ticket over (the board's "revised" badge)."""
    ids = {i for i in incident_ids if i is not None}
    if not ids:
        return set()
    return set(session.scalars(select(Incident.revised_into_id).where(Incident.revised_into_id.in_(ids))))


def revised_into(session: Session, incident: Incident | None) -> Incident | None:
    """The incident that now explains what ``incident`` was withdrawn for: forward along
    ``revised_into_id`` to its end (None when ``incident`` was never revised)."""
    current, seen = incident, set()
    while current is not None and current.revised_into_id is not None and len(seen) < MAX_STEPS:
        seen.add(current.id)
        following = session.get(Incident, current.revised_into_id)
        if following is None or following.id in seen:
            break
        current = following
    return current if current is not incident else None


def went_to(session: Session, ticket: Ticket) -> Ticket | None:
    """The ticket that took over ``ticket``'s diagnosis when ``ticket`` was cancelled as revised (the
    better notice had a ticket of its own), whatever its state now; None for any other ticket."""
    incident = revised_into(session, ticket.incident) if ticket.status in FINISHED else None
    if incident is None:
        return None
    other = session.scalars(select(Ticket).where(Ticket.incident_id == incident.id)).first()
    return other if other is not None and other.id != ticket.id else None


def speaks_for(session: Session, ticket: Ticket) -> Ticket | None:
    """``went_to``, while that ticket and its incident are still open: the customer hears there."""
    other = went_to(session, ticket)
    if other is None or other.status in FINISHED or other.incident is None \
            or other.incident.state != IncidentState.OPEN:
        return None
    return other


def merged_into(session: Session, ticket: Ticket) -> list[Ticket]:
    """The other tickets cancelled into ``ticket``: those of the incidents revised into its incident
    (back along the chain) that were not handed over to it."""
    ids, frontier = set(), [ticket.incident_id] if ticket.incident_id is not None else []
    while frontier and len(ids) < MAX_STEPS:
        found = set(session.scalars(select(Incident.id).where(Incident.revised_into_id.in_(frontier)))) - ids
        ids |= found
        frontier = list(found)
    if not ids:
        return []
    return list(session.scalars(select(Ticket).where(Ticket.incident_id.in_(ids), Ticket.id != ticket.id)
                                .order_by(Ticket.id)))
