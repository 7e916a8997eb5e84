"""The dispatcher board: server-rendered pages on the gateway (Jinja2, htmx, uPlot; no build step).

``install(app)`` mounts it under /board: the routes (login, board, ticket, device pages and the
ticket actions), the vendored static files and the handler that sends a visitor without a
session to the login page. Staff sign in with their API token; the board then keeps a signed
session cookie (session.py) and checks a CSRF token on every form it receives.
"""

from __future__ import annotations

from heatwatch.gateway.board.mount import install

__all__ = ["install"]
