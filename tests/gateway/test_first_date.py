"""A pump fault raised without a trip date, and its first date brought by a later update: the incident
takes the date and the ticket's history says it came (on SQLite and PostgreSQL, through ingest).

Fails on main (424163e): a first date was taken silently, only a date moved was written in the history."""

from __future__ import annotations

import pytest

from heatwatch.gateway.incidents.service import Incidents
from heatwatch.gateway.ingest.service import Ingest
from tests.gateway.incidents_support import DAY, JANUARY, Clock, event, history, incidents, message, place_devices
from tests.gateway.incidents_support import tickets as tickets_of


@pytest.fixture
def ingest(db) -> Ingest:
    place_devices(db, "hp-001")
    return Ingest(db, clock=Clock(), incidents=Incidents())


def test_the_first_date_of_a_dateless_raise_reaches_the_incident_and_the_history(db, ingest):
    ingest.handle(*message(event("fault", at=JANUARY)))  # raised before the agent could date it
    [incident] = incidents(db)
    assert incident.predicted_failure_ts is None
    [ticket] = tickets_of(db)
    assert not [h for h in history(db, ticket.id) if h[1] == "prognosis"]
    ingest.handle(*message(event("fault_update", at=JANUARY + DAY, failure_in=12 * DAY)))
    [incident] = incidents(db)
    assert incident.predicted_failure_ts == JANUARY + 13 * DAY
    firsts = [h for h in history(db, ticket.id) if h[1] == "prognosis"]
    assert firsts == [("gateway", "prognosis", None, "2025-01-23 06:00")]


def test_a_raise_with_its_date_writes_no_first_date_note(db, ingest):
    ingest.handle(*message(event("fault", at=JANUARY, failure_in=12 * DAY)))
    [ticket] = tickets_of(db)
    assert not [h for h in history(db, ticket.id) if h[1] == "prognosis"]
