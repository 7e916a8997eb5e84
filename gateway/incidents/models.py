"""Tables: incidents (one real problem of one device) and the events that fed them.

At most one incident per (device, fault) is open at a time. That is a partial
unique index, ``UNIQUE (device_id, fault) WHERE state = 'open'``, which SQLite
and PostgreSQL both enforce: when two workers get events of the same new
fault at once, both try to open an incident, one insert wins and the other
is refused and updates the winner's incident instead (under a row lock:
``SELECT ... FOR UPDATE`` on PostgreSQL, the write lock on SQLite). A closed
incident stays as history and does not block a new open one when the fault
returns.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from heatwatch.gateway.db import Base, enum_type, utcnow
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.ingest.models import ProcessedEvent


class IncidentState(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Severity(StrEnum):
    """The contract's event severities, least to most severe."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


OPEN_ONLY = text("state = 'open'")


class Incident(Base):
    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"))
    fault: Mapped[str] = mapped_column(String(64))  # a fault name (heatwatch.faults), or device_silent
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
    close_reason: Mapped[str | None] = mapped_column(String(32))  # fault_cleared | repaired | ...

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
    )


class IncidentEvent(Base):
    """Which event fed which incident: an event counts toward one incident, once."""

    __tablename__ = "incident_events"

    event_id: Mapped[str] = mapped_column(ForeignKey("processed_events.event_id"), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)

    event: Mapped[ProcessedEvent] = relationship()
    incident: Mapped[Incident] = relationship()
