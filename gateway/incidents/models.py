"""Tables: incidents (one real problem of one device) and the events that fed them.

At most one incident per (device, fault) is open at a time. That is a partial
unique index, ``UNIQUE (device_id, fault) WHERE state = 'open'``, which SQLite
and PostgreSQL both enforce: when two workers get events of the same new
fault at once, both try to open an incident, one insert wins and the other
is refused and updates the winner's incident instead (under a row lock:
``SELECT ... FOR UPDATE`` on PostgreSQL, the write lock on SQLite). A closed
incident stays as history and does not block a new open one when the fault
returns; the new one links back to it (``previous_incident_id``).

What the columns mean to the incident logic (service.py) is there; the
urgency columns (priority, its reason, the cold ahead) come from priority.py.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from heatwatch.gateway.db import Base, enum_type, utcnow
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.ingest.models import ProcessedEvent
from heatwatch.gateway.settings import PRIORITIES


class IncidentState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Severity(StrEnum):
    """The contract's event severities, least to most severe."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


OPEN_ONLY = text("state = 'open'")
# incidents that are not a named fault of heatwatch.faults
DEVICE_OFFLINE = "device_offline"  # the agent went silent: its last will, or no message for a while
PUMP_TRIP = "pump_trip"  # the pump stopped on protection and no pump fault was open to attach the trip to
LOWEST_PRIORITY = max(PRIORITIES)  # priorities run 1 (most urgent) .. 4, as the SLA table's


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    fault: Mapped[str] = mapped_column(String(64))  # a fault name (heatwatch.faults), DEVICE_OFFLINE or PUMP_TRIP
    state: Mapped[IncidentState] = mapped_column(enum_type(IncidentState, "incident_state"),
                                                 default=IncidentState.OPEN)
    severity: Mapped[Severity] = mapped_column(enum_type(Severity, "severity"), default=Severity.WARNING)
    confidence: Mapped[float] = mapped_column(default=0.0)
    first_event_ts: Mapped[datetime]  # the agent's clock: when the fault was first reported
    last_event_ts: Mapped[datetime]
    event_count: Mapped[int] = mapped_column(default=1)
    # the latest prognosis: when the pump is expected to trip, and the interval around it
    predicted_failure_ts: Mapped[datetime | None]
    predicted_failure_earliest: Mapped[datetime | None]
    predicted_failure_latest: Mapped[datetime | None]
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)  # the gateway's clock
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(String(32))  # recovered | repaired | no_fault_found | ...
    # the event time (agent's clock) of the latest fault/fault_update/sensor_fault, and of the event
    # whose prognosis is held: an event delivered late never undoes a newer one
    last_raised_ts: Mapped[datetime | None]
    prognosis_ts: Mapped[datetime | None]
    # a fault_cleared (the pump recovered) proposes closing; a dispatcher confirms. cleared_ts is the
    # agent's time of that event, close_proposed_at the gateway's
    cleared_ts: Mapped[datetime | None]
    close_proposed_at: Mapped[datetime | None]
    # how urgent (priority.py): 1 most urgent .. 4, why, and the cold ahead it was judged with
    priority: Mapped[int] = mapped_column(default=LOWEST_PRIORITY, server_default=str(LOWEST_PRIORITY))
    priority_reason: Mapped[str] = mapped_column(String(300), default="", server_default="")
    cold_ahead_c: Mapped[float | None]
    cold_source: Mapped[str | None] = mapped_column(String(16))  # forecast | readings | normals
    # trips: the pump stopped on protection while this incident was open. The lead time (first trip
    # minus first_event_ts) is how long before the trip heatwatch had raised the fault
    trip_count: Mapped[int] = mapped_column(default=0, server_default="0")
    first_trip_ts: Mapped[datetime | None]
    lead_time_s: Mapped[float | None]
    # the incident of the same device and fault that closed before this one opened (the fault returned)
    previous_incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    # closed as revised, its ticket handed over: the incident whose notice explains the evidence better
    # (the customer's status page says the diagnosis changed, and from what)
    revised_into_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))

    device: Mapped[Device] = relationship()

    __table_args__ = (
        Index("uq_incidents_open_device_fault", "device_id", "fault", unique=True,
              sqlite_where=OPEN_ONLY, postgresql_where=OPEN_ONLY),
        Index("ix_incidents_device_id_state", "device_id", "state"),
        CheckConstraint("(state = 'open') = (closed_at IS NULL)", name="closed_at_iff_closed"),
        CheckConstraint("first_event_ts <= last_event_ts", name="event_ts_order"),
        CheckConstraint("event_count >= 1", name="event_count_positive"),
        CheckConstraint("confidence BETWEEN 0 AND 1", name="confidence_range"),
        CheckConstraint("predicted_failure_earliest IS NULL OR predicted_failure_ts IS NULL "
                        "OR predicted_failure_earliest <= predicted_failure_ts", name="prognosis_earliest"),
        CheckConstraint("predicted_failure_latest IS NULL OR predicted_failure_ts IS NULL "
                        "OR predicted_failure_ts <= predicted_failure_latest", name="prognosis_latest"),
        CheckConstraint(f"priority BETWEEN {min(PRIORITIES)} AND {LOWEST_PRIORITY}", name="priority_range"),
        CheckConstraint("(cleared_ts IS NULL) = (close_proposed_at IS NULL)", name="close_proposal_both"),
        CheckConstraint("trip_count >= 0", name="trip_count_non_negative"),
        CheckConstraint("(trip_count = 0) = (first_trip_ts IS NULL)", name="first_trip_iff_trips"),
        CheckConstraint("lead_time_s IS NULL OR lead_time_s >= 0", name="lead_time_non_negative"),
    )


class IncidentEvent(Base):
    """Which event fed which incident: an event counts toward one incident, once."""

    __tablename__ = "incident_events"

    event_id: Mapped[str] = mapped_column(ForeignKey("processed_events.event_id"), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)

    event: Mapped[ProcessedEvent] = relationship()
    incident: Mapped[Incident] = relationship()
