"""What the gateway made of the agents' events, read from its database for the terminal.

The demo's terminal reads the gateway's SQLite file (WAL: readers never
block the gateway's writer) rather than its API, so the table costs the
gateway nothing; the board shows the same rows to the dispatcher.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from heatwatch.gateway.db import Database
from heatwatch.gateway.incidents.models import Incident
from heatwatch.gateway.notifications.models import OPEN_STATES, Notification, NotificationState
from heatwatch.gateway.tickets.models import Ticket


@dataclass(frozen=True)
class TicketLine:
    id: int
    device: str
    fault: str
    priority: int
    status: str
    raised_ts: float  # the agent's clock: the incident's first event
    trip_ts: float | None  # the agent's clock: the pump's first trip after it
    lead_time_s: float | None  # the gateway's own figure: trip - first event


@dataclass
class GatewaySnapshot:
    tickets: list[TicketLine] = field(default_factory=list)
    messages: dict[str, int] = field(default_factory=dict)  # notification state -> count

    def by_device(self) -> dict[str, list[TicketLine]]:
        found: dict[str, list[TicketLine]] = {}
        for t in self.tickets:
            found.setdefault(t.device, []).append(t)
        return found

    @property
    def sent(self) -> int:
        return self.messages.get(NotificationState.SENT.value, 0)

    @property
    def waiting(self) -> int:
        """Messages still to go: pending (due now or a retry) or held (quiet hours, the daily cap)."""
        return sum(self.messages.get(state.value, 0) for state in OPEN_STATES)


class GatewayView:
    def __init__(self, url: str) -> None:
        self.db = Database.open(url)

    def snapshot(self) -> GatewaySnapshot:
        with self.db.sessions() as s:
            rows = s.execute(select(Ticket.id, Ticket.device_id, Ticket.priority, Ticket.status, Incident.fault,
                                    Incident.first_event_ts, Incident.first_trip_ts, Incident.lead_time_s)
                             .join(Incident, Ticket.incident_id == Incident.id).order_by(Ticket.id)).all()
            counts = s.execute(select(Notification.state, func.count()).group_by(Notification.state)).all()
        tickets = [TicketLine(r[0], r[1], r[4], r[2], str(r[3].value if hasattr(r[3], "value") else r[3]),
                              r[5].timestamp(), r[6].timestamp() if r[6] else None, r[7]) for r in rows]
        return GatewaySnapshot(tickets, {str(getattr(k, "value", k)): n for k, n in counts})

    def close(self) -> None:
        self.db.close()
