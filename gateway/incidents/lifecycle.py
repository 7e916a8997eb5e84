"""Closing an incident, the one change both the incident logic and the ticket service make.

An incident closes when its ticket is resolved (the fault was dealt with) or
cancelled, when a dispatcher confirms that a recovered pump needs nothing,
when the agent withdraws its fault for a better explanation (its ticket goes on
as the better notice's), or, for a silent device, when the device speaks again. It never reopens: a
fault that comes back opens a new incident linked to this one.
"""

from __future__ import annotations

from datetime import datetime

from heatwatch.gateway.incidents.models import Incident, IncidentState

# close_reason values
RECOVERED = "recovered"  # fault_cleared, confirmed by a dispatcher
BACK_ONLINE = "back_online"  # a silent device spoke again
CANCELLED = "cancelled"  # its ticket was cancelled
REVISED = "revised"  # the agent withdrew the fault: another notice explains the evidence better


def close_incident(incident: Incident, reason: str, now: datetime) -> bool:
    """Close it (if open); returns whether it was open."""
    if incident.state != IncidentState.OPEN:
        return False
    incident.state = IncidentState.CLOSED
    incident.closed_at = now
    incident.close_reason = reason
    return True
