"""Which POSTs the status page accepts.

The token in the URL is the capability: whoever holds the link may act on
that one ticket, as the customer. No cookie is involved, so a forged form on
another site gains nothing it could not do with the link itself; still, each
form carries a token derived from the link and the gateway's secret (a form
from anywhere else lacks it), and a POST whose ``Origin`` (or ``Referer``)
names another site is refused. The page sends ``Referrer-Policy: same-origin``,
so the link never leaks to other sites through a click (``no-referrer`` would
also make browsers send ``Origin: null`` with the page's own forms). An
``Origin: null`` (privacy settings, sandboxed frames) is left to the form token.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from fastapi import Request


def form_token(secret: str, token: str) -> str:
    return hmac.new(secret.encode(), b"heatwatch-status-form-v1" + token.encode(), hashlib.sha256).hexdigest()[:32]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def same_site(request: Request, base_url: str) -> bool:
    """The POST came from this gateway's pages (or says nothing about where it came from)."""
    origin = request.headers.get("origin", "")
    sent = origin if origin and origin != "null" else _origin(request.headers.get("referer", ""))
    if not sent:
        return True  # old browsers and scripts: the form token decides
    own = {_origin(str(request.base_url)), _origin(base_url)}
    return sent.lower() in own


def form_ok(request: Request, secret: str, token: str, sent: str | None, base_url: str) -> bool:
    return (same_site(request, base_url) and isinstance(sent, str)
            and hmac.compare_digest(sent.encode(), form_token(secret, token).encode()))
