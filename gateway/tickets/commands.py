"""Commands for a device's agent, queued in the ``device_commands`` outbox (see its model).

Queued in the same transaction as the ticket change that decided them, so a
command is never lost nor sent for a change that rolled back. The command
sender (gateway/commands/sender.py) sends them on the device's own command
topic, QoS 1, until the agent acknowledges.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from heatwatch.gateway.tickets.models import DeviceCommand, Ticket

REPAIRED = "repaired"


def queue_repaired(session: Session, ticket: Ticket, now: datetime) -> DeviceCommand:
    """Tell the agent the pump was seen to: it clears the fault and learns the pump afresh.

    The payload carries the resolution code: for ``no_fault_found`` the agent may
    choose to keep what it learned (nothing was changed on the pump).
    """
    fault = ticket.incident.fault if ticket.incident is not None else None
    command = DeviceCommand(
        device_id=ticket.device_id, command=REPAIRED, ticket_id=ticket.id, created_at=now, next_attempt_at=now,
        payload={"command": REPAIRED, "ticket": ticket.id, "fault": fault,
                 "resolution_code": ticket.resolution_code.value if ticket.resolution_code else None,
                 "resolved_at": now.timestamp()})
    session.add(command)
    return command
