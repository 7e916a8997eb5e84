"""The diagnoses a ticket had before its current one: the incidents closed as revised whose ticket
went on as the next one's (``revised_into_id``, set by service.py ``_revise``). The customer's status
page says the diagnosis changed and from what; the board marks the ticket revised."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from heatwatch.gateway.incidents.models import Incident

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
