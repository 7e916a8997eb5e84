"""The link in every message to the customer's status page: unguessable, expiring, no login.

A token is 24 bytes, base64url (32 characters, short enough for an SMS):
ticket id, customer id and expiry (unix seconds), 4 bytes each, then the
first 12 bytes of their HMAC-SHA256 under gateway.toml's
``[notifications] status_link_secret``. Nothing is stored: whoever holds the
secret (the status page) checks the MAC in constant time and the expiry,
and knows which customer and ticket the link shows. Guessing one means
guessing a 96-bit MAC; changing the secret revokes every link.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

_LAYOUT = struct.Struct(">III")  # ticket id, customer id, expiry (unix seconds; fits until 2106)
_MAC_BYTES = 12
PATH = "/s/"  # the status page's route: <base URL>/s/<token>


class StatusLinkError(ValueError):
    """The token is not one this gateway made (or it was altered)."""


class StatusLinkExpired(StatusLinkError):
    """The token was genuine but its time is up: the customer asks for a new one (any new message has one)."""


@dataclass(frozen=True)
class StatusClaim:
    ticket_id: int
    customer_id: int
    expires_at: datetime


def _mac(secret: str, payload: bytes) -> bytes:
    return hmac.new(secret.encode(), b"heatwatch-status-v1" + payload, hashlib.sha256).digest()[:_MAC_BYTES]


def make_token(secret: str, ticket_id: int, customer_id: int, expires_at: datetime) -> str:
    if not secret:
        raise ValueError("no status_link_secret: a link anyone could forge is no link")
    payload = _LAYOUT.pack(ticket_id, customer_id, int(expires_at.timestamp()))
    return base64.urlsafe_b64encode(payload + _mac(secret, payload)).decode().rstrip("=")


def verify_token(secret: str, token: str, now: datetime | None = None) -> StatusClaim:
    """The ticket and customer a token is for; raises StatusLinkError (forged, altered, garbage) or
    StatusLinkExpired."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise StatusLinkError("not a status link token") from None
    if len(raw) != _LAYOUT.size + _MAC_BYTES:
        raise StatusLinkError("not a status link token")
    payload, mac = raw[:_LAYOUT.size], raw[_LAYOUT.size:]
    if not secret or not hmac.compare_digest(mac, _mac(secret, payload)):
        raise StatusLinkError("status link signature does not match")
    ticket_id, customer_id, expiry = _LAYOUT.unpack(payload)
    claim = StatusClaim(ticket_id, customer_id, datetime.fromtimestamp(expiry, timezone.utc))
    if (now or datetime.now(timezone.utc)) >= claim.expires_at:
        raise StatusLinkExpired(f"status link expired at {claim.expires_at:%Y-%m-%d %H:%M} UTC")
    return claim


def status_link(base_url: str, secret: str, ticket_id: int, customer_id: int, now: datetime,
                valid_for: timedelta) -> str:
    """The URL of one customer's status page for one ticket, valid for ``valid_for`` from ``now``."""
    return base_url.rstrip("/") + PATH + make_token(secret, ticket_id, customer_id, now + valid_for)
