"""Tables: webhook subscriptions, the delivery queue, and every attempt.

The queue is durable because it is a table written in the ticket change's
own transaction (an outbox): a change that committed has its deliveries, a
change that rolled back has none, and a gateway that restarts finds them
still pending. ``UNIQUE (subscription_id, history_id)`` makes enqueueing
idempotent: one delivery per ticket history entry and subscription, however
often the ticket service calls.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from heatwatch.gateway.db import Base, enum_type, utcnow


class DeliveryState(StrEnum):
    PENDING = "pending"  # waiting for its next attempt (next_attempt_at)
    DELIVERED = "delivered"  # a 2xx answer came
    FAILED = "failed"  # given up after the last attempt; can be retried by hand


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    # the HMAC key; kept as is (it must sign), shown once when the subscription is made
    secret: Mapped[str] = mapped_column(String(200))
    events: Mapped[list[str]] = mapped_column(default=list)  # "ticket.status", "ticket.*", "*"
    active: Mapped[bool] = mapped_column(default=True)  # paused: deliveries wait, none are dropped
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def new_delivery_id() -> str:
    return str(uuid.uuid4())


class WebhookDelivery(Base):
    """One ticket change for one subscriber: the body is fixed when queued, so every retry sends
    (and signs) the same bytes and the receiver can deduplicate by the delivery id."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_delivery_id)  # X-Heatwatch-Delivery
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    history_id: Mapped[int] = mapped_column(ForeignKey("ticket_history.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(64))  # ticket.<history action>
    body: Mapped[str] = mapped_column(Text)  # the JSON sent, byte for byte (UTF-8)
    state: Mapped[DeliveryState] = mapped_column(enum_type(DeliveryState, "delivery_state"),
                                                 default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(String(500), default="")

    subscription: Mapped[WebhookSubscription] = relationship()
    log: Mapped[list[WebhookAttempt]] = relationship(back_populates="delivery", order_by="WebhookAttempt.id",
                                                     passive_deletes=True)

    __table_args__ = (
        UniqueConstraint("subscription_id", "history_id"),
        Index("ix_webhook_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
        CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        CheckConstraint("(state = 'delivered') = (delivered_at IS NOT NULL)", name="delivered_at_iff_delivered"),
    )


class WebhookAttempt(Base):
    """One try of one delivery: when, how long, what came back (or why nothing did)."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]  # 1 for the first try
    started_at: Mapped[datetime]
    duration_ms: Mapped[float]
    status_code: Mapped[int | None]  # None: no HTTP answer (refused, timed out, bad URL)
    error: Mapped[str] = mapped_column(String(500), default="")
    response_excerpt: Mapped[str] = mapped_column(String(500), default="")  # the start of the answer's body

    delivery: Mapped[WebhookDelivery] = relationship(back_populates="log")

    __table_args__ = (CheckConstraint("number >= 1", name="number_positive"),)
