"""The wire shapes of webhook subscriptions and deliveries (the tables are in models.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlparse

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from heatwatch.gateway.api.types import Line
from heatwatch.gateway.webhooks.models import DeliveryState
from heatwatch.gateway.webhooks.service import EVENT_PATTERN


def _http_url(value: str) -> str:
    url = urlparse(value)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError("an http:// or https:// URL with a host")
    try:
        url.port  # noqa: B018 - raises for a port that is not a number in range
    except ValueError:
        raise ValueError("the URL's port is not a port") from None
    return value


WebhookUrl = Annotated[Line(2000, min_length=1), AfterValidator(_http_url),
                       Field(description="where the changes are POSTed (http or https)")]
EventPattern = Annotated[str, StringConstraints(pattern=EVENT_PATTERN.pattern)]
Events = Annotated[list[EventPattern], Field(min_length=1, max_length=20,
                                             description='"*", "ticket.*" or events such as "ticket.status"')]
Secret = Annotated[str, StringConstraints(min_length=16, max_length=200, pattern=r"^[\x21-\x7e]+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubscriptionIn(_Strict):
    url: WebhookUrl
    events: Events = ["ticket.*"]
    description: Line(200) = ""
    secret: Secret | None = Field(None, description="the HMAC key; left out: one is made and shown once")


class SubscriptionUpdate(_Strict):
    url: WebhookUrl = None  # type: ignore[assignment]
    events: Events = None  # type: ignore[assignment]
    description: Line(200) = None  # type: ignore[assignment]
    active: bool = Field(None, description="false: deliveries wait until it is true again")  # type: ignore


class SubscriptionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    events: list[str]
    active: bool
    description: str
    created_at: datetime


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="shown this once: keep it where the receiver checks signatures")


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    started_at: datetime
    duration_ms: float
    status_code: int | None = Field(description="null: no HTTP answer (refused, timed out)")
    error: str
    response_excerpt: str


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="the X-Heatwatch-Delivery header")
    subscription_id: int
    ticket_id: int
    history_id: int
    event: str
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None
    last_error: str


class DeliveryDetail(DeliveryOut):
    body: str = Field(description="the JSON sent, byte for byte: what the signature covers")
    log: list[AttemptOut] = Field(description="every attempt, oldest first")
