"""The board's test world: the API tests' world (tests/gateway/api_world.py) and, on top, what a
ticket page shows: a leak found two hours ago on hp-a2 with its findings and prognosis, three days of
telemetry with superheat climbing, and a customer with contact addresses; times relative to now."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from heatwatch.gateway.customers.models import Customer
from heatwatch.gateway.db import Database, utcnow
from heatwatch.gateway.incidents.models import Incident, IncidentEvent, Severity
from heatwatch.gateway.ingest.models import ProcessedEvent
from heatwatch.gateway.telemetry.models import Resolution, TelemetryInterval
from heatwatch.gateway.tickets.models import Ticket, TicketChange, TicketStatus
from tests.gateway.api_world import World, build_world

H = timedelta(hours=1)
THRESHOLD = 25.0  # the leak's prognosis: superheat trips the pump at 25 K


@dataclass
class BoardWorld:
    api: World
    now: datetime
    leak_ticket: int
    leak_incident: int
    quiet_ticket: int  # an open ticket without an incident


def build_board_world(db: Database) -> BoardWorld:
    w = build_world(db)
    now = utcnow().replace(microsecond=0)
    found = now - 2 * H
    trip = now + 5 * 24 * H
    with db.transaction() as s:
        anna = s.get(Customer, w.customers["a"])
        anna.preferred_channels = ["sms", "email"]
        anna.contact_addresses = {"sms": "+49 561 000000", "email": "anna@example.org"}
        leak = Incident(device_id="hp-a2", fault="refrigerant_leak", severity=Severity.WARNING, confidence=0.82,
                        first_event_ts=found, last_event_ts=now - H, event_count=2, predicted_failure_ts=trip,
                        predicted_failure_earliest=trip - 24 * H, predicted_failure_latest=trip + 48 * H,
                        priority=1, priority_reason="cold ahead: -12 °C in 3 days")
        s.add(leak)
        findings = [{"kind": "residual", "channels": ["superheat", "p_low"], "expected": 6.0, "observed": 14.2,
                     "score": 5.1, "message": ""},
                    {"kind": "cusum", "channels": ["eev_pct"], "expected": 35.0, "observed": 61.0, "score": 3.2,
                     "message": "the valve opens further to make up for the lost charge"}]
        prognosis = {"indicator": "superheat", "threshold": THRESHOLD, "predicted_trip_ts": trip.timestamp(),
                     "lower_ts": (trip - 24 * H).timestamp(), "upper_ts": (trip + 48 * H).timestamp()}
        for i, at in enumerate((found, now - H)):
            event = ProcessedEvent(event_id=f"ev-board-leak-{i}", device_id="hp-a2", seq=100 + i,
                                   kind="fault" if i == 0 else "fault_update", fault="refrigerant_leak", ts=at,
                                   payload={"kind": "fault", "confidence": 0.82, "findings": findings,
                                            "prognosis": prognosis,
                                            "explanation": "superheat up, suction pressure down: losing charge"})
            s.add_all([event, IncidentEvent(event=event, incident=leak)])
        ticket = Ticket(device_id="hp-a2", title="a2 refrigerant leak", priority=1, status=TicketStatus.OPEN,
                        incident=leak, response_by=now + timedelta(hours=3, minutes=20, seconds=30),
                        resolution_by=now + 24 * H, created_at=found)
        ticket.history.append(TicketChange(at=found, actor="gateway", action="created", to_value="open"))
        quiet = Ticket(device_id="hp-a1", title="a1 customer called", priority=4, status=TicketStatus.OPEN,
                       response_by=now + 70 * H, resolution_by=now + 300 * H, created_at=now)
        quiet.history.append(TicketChange(at=now, actor="dispatcher", action="created", to_value="open"))
        s.add_all([ticket, quiet])
        # three days of 10-minute intervals: superheat climbing from 6 K toward 14 K
        start = now - 72 * H
        for k in range(72 * 6):
            t0 = start + k * timedelta(minutes=10)
            rise = max(0.0, (t0 - (found - 24 * H)) / (26 * H)) * 8.0
            superheat = 6.0 + rise + 0.3 * math.sin(k / 5)
            channels = {"superheat": superheat, "p_low": 7.5 - rise / 4, "eev_pct": 35 + rise * 3,
                        "subcooling": 4.0 - rise / 3, "t_flow": 35 + math.sin(k / 30), "t_outdoor": -2.0}
            s.add(TelemetryInterval(device_id="hp-a2", resolution=Resolution.RAW, ts_start=t0,
                                    ts_end=t0 + timedelta(minutes=10), seq=k, intervals=1, readings=60, health=0.1,
                                    channels={n: [v, v - 0.2, v + 0.2, 60] for n, v in channels.items()}))
        s.flush()
        ids = (ticket.id, leak.id, quiet.id)
    return BoardWorld(w, now, *ids)
