"""Hand-built rows for the KPI tests, at a fixed NOW; the comments give every figure they make.

Last 30 days (start NOW - 30 d):
- tripped tickets (first trip in the period), lead = trip - opened: 10 d, 2 d, 4 d, 1 d, and one
  opened 6 h after its trip (0): sorted [0, 1, 2, 4, 10] d. Median 2 d; p10 at h = 0.4: 0.4 d.
  Opened before the failure: 4 of 5. One more tripped 40 days ago (lead 5 d): only in 90 days.
- resolved in the period: R1 fault_confirmed (stays fixed), R2 fault_confirmed (fan_blocked again on
  the same device 15 d later), R3 other_fault (went back from in_progress to scheduled: a second
  visit), R4 fault_confirmed (a ticket for another fault on the device later; one for the same fault
  before it), R5 no_fault_found. First-time fix 2 of 4 (R1, R4); no fault found 1 of 5;
  resolution SLA: R2 and R5 breached, 3 of 5 met. R6 resolved 50 days ago: only in 90 days.
- response SLA (opened in the period, response settled): T1 and T5 in time, T2 late, T3 missed
  (never answered): 2 of 4. T4 not responded, deadline not passed: not counted.
- surveys in the period, 10 answers:
  NPS  [10, 9, 9, 8, 7, 6, 3, 10, 9, 5]: 5 promoters, 3 detractors: 100 (5 - 3) / 10 = 20
  CSAT [5, 4, 4, 3, 5, 2, 1, 5, 4, -]: 9 answers, 6 of them 4-5: 66.67 %
  CES  [7, 6, 5, 4, 7, -, -, 3, 6, 2]: 8 answers, sum 40: mean 5.0
  and one 40 days ago (CSAT 1, NPS 0, CES 1): only in 90 days.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from heatwatch.gateway.customers.models import Customer, Site
from heatwatch.gateway.db import Database
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.feedback.models import SurveyResponse
from heatwatch.gateway.incidents.models import Incident, IncidentState
from heatwatch.gateway.tickets.models import ResolutionCode, Ticket, TicketChange, TicketStatus

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=timezone.utc)  # a Monday
D = timedelta(days=1)
H = timedelta(hours=1)
NPS = [10, 9, 9, 8, 7, 6, 3, 10, 9, 5]
CSAT = [5, 4, 4, 3, 5, 2, 1, 5, 4, None]
CES = [7, 6, 5, 4, 7, None, None, 3, 6, 2]


def _incident(device: str, fault: str, first: datetime, trip: datetime | None = None) -> Incident:
    end = max(first, trip or first)
    return Incident(device_id=device, fault=fault, state=IncidentState.CLOSED, first_event_ts=first,
                    last_event_ts=end, opened_at=first, closed_at=end + D, close_reason="repaired",
                    trip_count=1 if trip else 0, first_trip_ts=trip)


def _ticket(device: str, opened: datetime, *, incident: Incident | None = None, responded: datetime | None = None,
            response_breached: datetime | None = None, resolved: datetime | None = None,
            code: ResolutionCode | None = None, resolution_breached: datetime | None = None,
            status: TicketStatus | None = None) -> Ticket:
    t = Ticket(device_id=device, title=f"{device} {opened:%m-%d}", priority=2, incident=incident,
               status=status or (TicketStatus.RESOLVED if resolved else TicketStatus.ACKNOWLEDGED
                                 if responded else TicketStatus.OPEN),
               response_by=opened + 4 * H, resolution_by=opened + 3 * D, created_at=opened, responded_at=responded,
               response_breached_at=response_breached, resolved_at=resolved, resolution_code=code,
               resolution_breached_at=resolution_breached)
    t.history.append(TicketChange(at=opened, actor="gateway", action="created", to_value="open"))
    return t


def build_kpi_world(db: Database, now: datetime = NOW) -> dict[str, int]:
    """The rows, at ``now`` (NOW: the figures in the docstring; the board tests use the wall clock)."""
    with db.transaction() as s:
        customer = Customer(name="Kim Kpi", language="en", time_zone="Europe/Stockholm")
        site = Site(customer=customer, name="Home", city="Uppsala", country="SE")
        s.add_all([Device(id=d, site=site) for d in ("t1", "t2", "t3", "t4", "t5", "t6", "r1", "r2", "r3", "r5")])
        s.flush()
        # failures
        trips = [("t1", now - 20 * D, now - 10 * D), ("t2", now - 15 * D, now - 13 * D), ("t3", now - 5 * D, now - D),
                 ("t4", now - 3 * D + 6 * H, now - 3 * D), ("t5", now - 3 * D, now - 2 * D),
                 ("t6", now - 45 * D, now - 40 * D)]
        tickets = {}
        for device, opened, trip in trips:
            fault = "pump_trip" if device == "t4" else "refrigerant_leak"
            incident = _incident(device, fault, min(opened, trip), trip)
            tickets[device] = _ticket(device, opened, incident=incident)
        tickets["t1"].responded_at = now - 20 * D + H
        tickets["t2"].responded_at = tickets["t2"].response_breached_at = now - 15 * D + 5 * H
        tickets["t3"].response_breached_at = now - 5 * D + 4 * H
        tickets["t5"].responded_at = now - 3 * D + 2 * H
        tickets["t6"].responded_at = now - 45 * D + H  # outside 30 days
        # the work
        old = now - 35 * D
        tickets["R1"] = _ticket("r1", old, incident=_incident("r1", "refrigerant_leak", old),
                                resolved=now - 20 * D, code=ResolutionCode.FAULT_CONFIRMED)
        tickets["R2"] = _ticket("r2", old, incident=_incident("r2", "fan_blocked", old), resolved=now - 25 * D,
                                code=ResolutionCode.FAULT_CONFIRMED, resolution_breached=now - 30 * D + H)
        tickets["R2 again"] = _ticket("r2", now - 10 * D, incident=_incident("r2", "fan_blocked", now - 10 * D))
        tickets["R3"] = _ticket("r3", old, resolved=now - 8 * D, code=ResolutionCode.OTHER_FAULT)
        tickets["R3"].history.append(TicketChange(at=now - 12 * D, actor="tech", action="status",
                                                  from_value="in_progress", to_value="scheduled"))
        tickets["R4 before"] = _ticket("r1", now - 40 * D, incident=_incident("r1", "sensor_drift", now - 40 * D))
        tickets["R4"] = _ticket("r1", old - D, incident=_incident("r1", "sensor_drift", old - D),
                                resolved=now - 28 * D, code=ResolutionCode.FAULT_CONFIRMED)
        tickets["R4 other"] = _ticket("r1", now - 20 * D, incident=_incident("r1", "fan_blocked", now - 20 * D))
        tickets["R5"] = _ticket("r5", old, resolved=now - 6 * D, code=ResolutionCode.NO_FAULT_FOUND,
                                resolution_breached=now - 7 * D)
        tickets["R6"] = _ticket("r5", now - 60 * D, resolved=now - 50 * D, code=ResolutionCode.FAULT_CONFIRMED)
        tickets["cancelled"] = _ticket("r3", now - 4 * D, status=TicketStatus.CANCELLED)
        # surveys: on tickets closed long ago (they count by when the customer answered)
        for i, (c, n, e) in enumerate([*zip(CSAT, NPS, CES), (1, 0, 1)]):
            t = _ticket("r5", now - 200 * D, resolved=now - 190 * D, code=ResolutionCode.FAULT_CONFIRMED,
                        status=TicketStatus.CLOSED)
            t.closed_at = now - 190 * D
            s.add(t)
            s.flush()
            answered = now - 40 * D if i == len(NPS) else now - (i * 2 + 1) * D
            s.add(SurveyResponse(ticket_id=t.id, customer_id=customer.id, csat=c, nps=n, ces=e, answered_at=answered))
        s.add_all(tickets.values())
        s.flush()
        return {k: t.id for k, t in tickets.items()}
