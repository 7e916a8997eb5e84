"""Tables: the notification outbox (one message per ticket step, customer and channel) and its log.

The outbox is written in the ticket change's own transaction: a change that
committed has its messages, one that rolled back has none, and a gateway
that restarts finds them still queued. ``idempotency_key`` (ticket step +
customer + channel) is UNIQUE, so queueing the same step twice (a retried
request, a second worker, a re-delivered event) adds nothing.

A message is rendered when it is sent (the worker holds the templates and
gateway.toml's channels), from the ticket and the ``params`` fixed when it
was queued, so every retry says the same thing.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from heatwatch.gateway.customers.models import Customer
from heatwatch.gateway.db import Base, enum_type, utcnow


class NotificationState(StrEnum):
    PENDING = "pending"  # due at next_attempt_at (a retry, a survey's delay, a reminder's day)
    HELD = "held"  # in the customer's quiet hours or over the daily cap: waits for the digest at next_attempt_at
    DIGESTED = "digested"  # folded into a digest (digest_id), which is sent instead
    SENT = "sent"  # the channel accepted it
    FAILED = "failed"  # given up after the last attempt, or it cannot be sent (last_error says why)
    CANCELLED = "cancelled"  # no longer true (a reminder for a visit that moved, a cancelled ticket)


OPEN_STATES = (NotificationState.PENDING, NotificationState.HELD)


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    # "<ticket step>/<customer id>/<channel>": one message per step, recipient and channel
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    step: Mapped[str] = mapped_column(String(32))  # problem_found | visit_booked | ... | digest (steps.py)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(32))  # a channel kind: email, sms, ntfy, chat ...
    address: Mapped[str] = mapped_column(String(500))  # the customer's address on it, as it was when queued
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)  # what the step's template needs beyond the ticket
    state: Mapped[NotificationState] = mapped_column(enum_type(NotificationState, "notification_state"),
                                                     default=NotificationState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    hold_reason: Mapped[str] = mapped_column(String(16), default="")  # quiet_hours | daily_cap, while held
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("notifications.id", ondelete="SET NULL"))
    last_error: Mapped[str] = mapped_column(String(500), default="")
    # what was sent (filled when it is): the subject and text, for the ticket's history and support
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(String(8000), default="")
    # the fault a problem_found or diagnosis_updated named when it went (in a digest too): what the
    # customer was told, so a revised diagnosis is told only when their words change (revision.py)
    told_fault: Mapped[str] = mapped_column(String(64), default="", server_default="")

    customer: Mapped[Customer] = relationship()
    log: Mapped[list[NotificationAttempt]] = relationship(back_populates="notification",
                                                         order_by="NotificationAttempt.id", passive_deletes=True)

    __table_args__ = (
        Index("ix_notifications_state_next_attempt_at", "state", "next_attempt_at"),
        Index("ix_notifications_customer_id_channel_state", "customer_id", "channel", "state"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        CheckConstraint("(state = 'sent') = (sent_at IS NOT NULL)", name="sent_at_iff_sent"),
        CheckConstraint("(state = 'digested') = (digest_id IS NOT NULL)", name="digest_iff_digested"),
    )


class NotificationAttempt(Base):
    """One try of one message: when, how long, what Apprise said (sent, failed, partial) and why."""

    __tablename__ = "notification_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]  # 1 for the first try
    started_at: Mapped[datetime]
    duration_ms: Mapped[float]
    outcome: Mapped[str] = mapped_column(String(16))  # sent | failed | partial | error
    error: Mapped[str] = mapped_column(String(500), default="")

    notification: Mapped[Notification] = relationship(back_populates="log")

    __table_args__ = (CheckConstraint("number >= 1", name="number_positive"),)
