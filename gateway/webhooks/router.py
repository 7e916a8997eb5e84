"""/webhooks: external field-service systems subscribe to ticket changes. Admin only: a
subscription holds a signing secret and sends customer data out of the gateway."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Response, status
from sqlalchemy import select, true
from sqlalchemy.orm import Session

from heatwatch.gateway.access import find
from heatwatch.gateway.api.editing import apply_changes
from heatwatch.gateway.api.errors import AUTH_ERRORS, CONFLICT, NOT_FOUND
from heatwatch.gateway.api.pagination import Cursor, Limit, Page, SortKey, page
from heatwatch.gateway.api.types import RowId
from heatwatch.gateway.db import utcnow
from heatwatch.gateway.deps import Admin, SessionDep
from heatwatch.gateway.webhooks.models import DeliveryState, WebhookDelivery, WebhookSubscription
from heatwatch.gateway.webhooks.schemas import (
    DeliveryDetail,
    DeliveryOut,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionUpdate,
)
from heatwatch.gateway.webhooks.signing import new_secret

router = APIRouter(prefix="/webhooks", tags=["webhooks"], responses=AUTH_ERRORS)
DeliveryId = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$", description="the X-Heatwatch-Delivery id")]
_SUBSCRIPTIONS = (SortKey(WebhookSubscription.id, "int"),)
# newest first: what an admin checks is what just went wrong
_DELIVERIES = (SortKey(WebhookDelivery.created_at, "time", descending=True),
               SortKey(WebhookDelivery.id, "str", descending=True))


def _subscription(session: Session, subscription_id: int) -> WebhookSubscription:
    return find(session, WebhookSubscription, subscription_id, true(), "webhook subscription")


def _delivery(session: Session, subscription_id: int, delivery_id: str) -> WebhookDelivery:
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.subscription_id != subscription_id:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no delivery {delivery_id} of subscription {subscription_id}")
    return delivery


@router.get("", response_model=Page[SubscriptionOut])
def list_subscriptions(session: SessionDep, _admin: Admin, limit: int = Limit, cursor: str | None = Cursor):
    rows, next_cursor = page(session, select(WebhookSubscription), _SUBSCRIPTIONS, cursor=cursor, limit=limit,
                             name="webhooks")
    return Page(items=[SubscriptionOut.model_validate(s) for s in rows], next_cursor=next_cursor)


@router.post("", response_model=SubscriptionCreated, status_code=status.HTTP_201_CREATED)
def create_subscription(body: SubscriptionIn, session: SessionDep, _admin: Admin):
    sub = WebhookSubscription(url=body.url, events=list(dict.fromkeys(body.events)), description=body.description,
                              secret=body.secret or new_secret())
    session.add(sub)
    session.commit()
    return SubscriptionCreated(**SubscriptionOut.model_validate(sub).model_dump(), secret=sub.secret)


@router.get("/{subscription_id}", responses=NOT_FOUND, response_model=SubscriptionOut)
def get_subscription(subscription_id: RowId, session: SessionDep, _admin: Admin):
    return _subscription(session, subscription_id)


@router.patch("/{subscription_id}", responses=NOT_FOUND, response_model=SubscriptionOut)
def update_subscription(subscription_id: RowId, body: SubscriptionUpdate, session: SessionDep, _admin: Admin):
    sub = _subscription(session, subscription_id)
    apply_changes(sub, body)
    session.commit()
    return sub


@router.delete("/{subscription_id}", responses=NOT_FOUND, status_code=status.HTTP_204_NO_CONTENT)
def delete_subscription(subscription_id: RowId, session: SessionDep, _admin: Admin) -> Response:
    """Deletes the subscription with its queue and log (pause it with ``active: false`` to keep them)."""
    session.delete(_subscription(session, subscription_id))
    session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{subscription_id}/deliveries", responses=NOT_FOUND, response_model=Page[DeliveryOut])
def list_deliveries(subscription_id: RowId, session: SessionDep, _admin: Admin, state: DeliveryState | None = None,
                    limit: int = Limit, cursor: str | None = Cursor):
    _subscription(session, subscription_id)
    stmt = select(WebhookDelivery).where(WebhookDelivery.subscription_id == subscription_id)
    if state is not None:
        stmt = stmt.where(WebhookDelivery.state == state)
    rows, next_cursor = page(session, stmt, _DELIVERIES, cursor=cursor, limit=limit, name="webhook_deliveries")
    return Page(items=[DeliveryOut.model_validate(d) for d in rows], next_cursor=next_cursor)


@router.get("/{subscription_id}/deliveries/{delivery_id}", responses=NOT_FOUND, response_model=DeliveryDetail)
def get_delivery(subscription_id: RowId, delivery_id: DeliveryId, session: SessionDep, _admin: Admin):
    return _delivery(session, subscription_id, delivery_id)


@router.post("/{subscription_id}/deliveries/{delivery_id}/retry", response_model=DeliveryOut,
             responses=NOT_FOUND | CONFLICT)
def retry_delivery(subscription_id: RowId, delivery_id: DeliveryId, session: SessionDep, _admin: Admin):
    """Send a delivery again now; a failed one gets one more attempt (its attempts go on counting)."""
    delivery = _delivery(session, subscription_id, delivery_id)
    if delivery.state is DeliveryState.DELIVERED:
        raise HTTPException(status.HTTP_409_CONFLICT, "already delivered")
    delivery.state = DeliveryState.PENDING
    delivery.next_attempt_at = utcnow()
    session.commit()
    return delivery
