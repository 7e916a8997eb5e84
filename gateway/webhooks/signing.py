"""Webhook signatures: HMAC-SHA256 of the exact body bytes with the subscription's secret.

Sent as ``X-Heatwatch-Signature: sha256=<hex>``. A receiver recomputes it
over the raw body it got (before parsing the JSON) and compares in constant
time (``verify`` does both); ``X-Heatwatch-Delivery`` is the same on every
retry of one delivery, so a receiver that saw it already can answer 2xx and
do nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "X-Heatwatch-Signature"
DELIVERY_HEADER = "X-Heatwatch-Delivery"
EVENT_HEADER = "X-Heatwatch-Event"
SCHEME = "sha256="
SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(secret: str, body: bytes) -> str:
    return SCHEME + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, signature: str | None) -> bool:
    return signature is not None and hmac.compare_digest(sign(secret, body), signature)
