"""Tables: tickets (the work for one incident, with its SLA) and their history.

One ticket per incident: ``incident_id`` is unique, so two workers racing to
open the ticket for one new incident make one. A ticket without an incident
(a customer's call) is allowed. Dispatchers edit tickets concurrently, so a
ticket carries a version: an update based on a stale read fails instead of
silently undoing another person's change. The version counts what people
change and the gateway's priority changes; the SLA clock's bookkeeping
(reminders, breach marks) does not bump it, so a dispatcher acknowledging a
ticket is not refused because a reminder was written meanwhile.

Also here: the reminders the SLA clock writes for the notification work to
send (``ticket_reminders``), and the commands queued for a device when its
ticket is resolved (``device_commands``, an outbox the command sender sends).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from heatwatch.gateway.db import Base, enum_type, utcnow
from heatwatch.gateway.devices.models import Device
from heatwatch.gateway.incidents.models import Incident
from heatwatch.gateway.settings import PRIORITIES
from heatwatch.gateway.users.models import User


class TicketStatus(StrEnum):
    """open -> acknowledged -> scheduled -> in_progress -> resolved -> closed; cancelled;
    waiting_on_customer pauses the SLA clock."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class AgreementStatus(StrEnum):
    DUE = "due"  # the clock runs, no deadline missed yet
    BREACHED = "breached"
    MET = "met"
    PAUSED = "paused"  # waiting on the customer


class ResolutionCode(StrEnum):
    FAULT_CONFIRMED = "fault_confirmed"  # the diagnosed fault was there and was fixed
    OTHER_FAULT = "other_fault"  # something else was wrong
    NO_FAULT_FOUND = "no_fault_found"


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), unique=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[TicketStatus] = mapped_column(enum_type(TicketStatus, "ticket_status"),
                                                 default=TicketStatus.OPEN)
    priority: Mapped[int]  # 1 is the most urgent
    # SLA: deadlines for the first response and the resolution, and where the ticket stands
    response_by: Mapped[datetime]
    resolution_by: Mapped[datetime]
    agreement_status: Mapped[AgreementStatus] = mapped_column(enum_type(AgreementStatus, "agreement_status"),
                                                              default=AgreementStatus.DUE)
    sla_paused_at: Mapped[datetime | None]  # set while waiting on the customer
    sla_paused_seconds: Mapped[float] = mapped_column(default=0.0)  # pauses so far; deadlines move by them
    responded_at: Mapped[datetime | None]  # first acknowledgement
    # when the SLA clock found a deadline missed (breaches are sticky: the agreement stays breached)
    response_breached_at: Mapped[datetime | None]
    resolution_breached_at: Mapped[datetime | None]
    # reminders until someone acknowledges: when the next is due, how many were written so far
    next_reminder_at: Mapped[datetime | None]
    reminders_sent: Mapped[int] = mapped_column(default=0, server_default="0")
    # while waiting on the customer: the status the ticket returns to when the customer answers
    resume_status: Mapped[TicketStatus | None] = mapped_column(enum_type(TicketStatus, "resume_status"))
    # the visit: when the technician comes, and who
    visit_window_start: Mapped[datetime | None]
    visit_window_end: Mapped[datetime | None]
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    resolution_code: Mapped[ResolutionCode | None] = mapped_column(enum_type(ResolutionCode, "resolution_code"))
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    incident: Mapped[Incident | None] = relationship()
    device: Mapped[Device] = relationship()
    technician: Mapped[User | None] = relationship()
    history: Mapped[list[TicketChange]] = relationship(back_populates="ticket", order_by="TicketChange.id")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        Index("ix_tickets_status_priority", "status", "priority"),
        CheckConstraint(f"priority BETWEEN {min(PRIORITIES)} AND {max(PRIORITIES)}", name="priority_range"),
        CheckConstraint("response_by <= resolution_by", name="sla_deadline_order"),
        CheckConstraint("sla_paused_seconds >= 0", name="sla_paused_non_negative"),
        CheckConstraint("(visit_window_start IS NULL) = (visit_window_end IS NULL)", name="visit_window_both"),
        CheckConstraint("visit_window_start < visit_window_end", name="visit_window_order"),
        CheckConstraint("status NOT IN ('resolved', 'closed') OR resolution_code IS NOT NULL",
                        name="resolution_code_when_resolved"),
        CheckConstraint("status <> 'scheduled' OR visit_window_start IS NOT NULL", name="scheduled_has_visit"),
        CheckConstraint("(status = 'waiting_on_customer') = (sla_paused_at IS NOT NULL)", name="paused_iff_waiting"),
        CheckConstraint("(status = 'waiting_on_customer') = (resume_status IS NOT NULL)", name="resume_iff_waiting"),
        CheckConstraint("reminders_sent >= 0", name="reminders_sent_non_negative"),
    )


class TicketChange(Base):
    """One entry of a ticket's history: who changed what, when, from what to what."""

    __tablename__ = "ticket_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the gateway itself
    actor: Mapped[str] = mapped_column(String(200))  # the user's name then, or "gateway" / "sla clock"
    action: Mapped[str] = mapped_column(String(32))  # created | status | priority | assign | schedule | note | sla
    from_value: Mapped[str | None] = mapped_column(String(200))
    to_value: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str] = mapped_column(Text, default="")

    ticket: Mapped[Ticket] = relationship(back_populates="history")

    __table_args__ = (Index("ix_ticket_history_ticket_id_at", "ticket_id", "at"),)


class ReminderRecipient(StrEnum):
    """The escalation chain: the dispatchers first; once the response deadline is missed, a lead."""

    DISPATCHER = "dispatcher"
    LEAD = "lead"


class TicketReminder(Base):
    """A reminder the SLA clock wrote: to whom, why. The notification work sends it and sets sent_at.

    ``number`` counts a ticket's reminders from 1; it is unique per ticket, so two
    sweeps racing cannot write the same reminder twice.
    """

    __tablename__ = "ticket_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    number: Mapped[int]
    recipient: Mapped[ReminderRecipient] = mapped_column(enum_type(ReminderRecipient, "reminder_recipient"))
    reason: Mapped[str] = mapped_column(String(32))  # unacknowledged | response_breached | resolution_breached
    due_at: Mapped[datetime]  # when the SLA clock owed it (the sweep may run later)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]  # set by whoever sends it

    ticket: Mapped[Ticket] = relationship()

    __table_args__ = (
        UniqueConstraint("ticket_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        Index("ix_ticket_reminders_sent_at", "sent_at"),
    )


class DeviceCommand(Base):
    """A command for a device's agent, queued in the transaction that decided it (an outbox).

    Today one command: ``repaired``, queued when a ticket is resolved, so the agent
    clears the fault and learns the repaired pump afresh. The command sender
    (gateway/commands/sender.py) sends it on the device's own topic (QoS 1) when
    ``next_attempt_at`` comes, records ``sent_at`` (the last send) and counts
    ``attempts``, and gives it up (``given_up_at``) after its last attempt went
    unanswered. Ingest records the agent's answer: ``acked_at``, ``ack_ok`` (false:
    the agent refused or failed it) and ``detail`` (the agent's words, or why it was
    given up). A ticket's resolution queues one; the ticket's row lock and version
    keep two resolutions from racing.
    """

    __tablename__ = "device_commands"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), index=True)
    command: Mapped[str] = mapped_column(String(32))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    payload: Mapped[dict[str, Any]]  # what the agent needs: the fault, the resolution code, when
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    acked_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)  # None: never again (answered, given up)
    given_up_at: Mapped[datetime | None]
    ack_ok: Mapped[bool | None]
    detail: Mapped[str] = mapped_column(String(500), default="", server_default="")

    device: Mapped[Device] = relationship()
    ticket: Mapped[Ticket | None] = relationship()

    __table_args__ = (
        UniqueConstraint("ticket_id", "command"),  # a ticket is resolved once (resolved -> closed only)
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        CheckConstraint("acked_at IS NULL OR sent_at IS NOT NULL", name="acked_after_sent"),
        Index("ix_device_commands_pending", "device_id", "acked_at"),
        Index("ix_device_commands_next_attempt_at", "next_attempt_at"),
        CheckConstraint("(acked_at IS NULL) = (ack_ok IS NULL)", name="ack_ok_iff_acked"),
    )
