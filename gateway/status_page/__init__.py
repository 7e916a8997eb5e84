"""The customer's status page at /s/<token>: the link in every message, no login (docs/status-page.md)."""

from heatwatch.gateway.status_page.mount import install

__all__ = ["install"]
