"""The demo's local mailbox: a real SMTP server that keeps every message in a Maildir.

The gateway's notification worker sends the customers' emails through Apprise
(``mailto://127.0.0.1:PORT``) to this server, as it would to a provider's; the
board's demo page (mailbox_page.py) and the terminal read the same Maildir, so
whoever writes and whoever reads need not share a process.
"""

from __future__ import annotations

import email
import email.policy
import mailbox
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path

SENDER = "service@heatwatch.example"


@dataclass(frozen=True)
class Received:
    """One message as a customer would read it."""

    key: str
    received_at: datetime
    to: str
    subject: str
    text: str


class Maildir:
    """The folder the SMTP server writes and the pages read."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._box = mailbox.Maildir(self.path, create=True)

    def add(self, raw: bytes) -> None:
        self._box.add(raw)

    def count(self) -> int:
        return sum(1 for _ in (self.path / "new").iterdir()) + sum(1 for _ in (self.path / "cur").iterdir())

    def messages(self) -> list[Received]:
        """Newest first."""
        found = []
        for key, message in self._box.items():
            parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
            assert isinstance(parsed, EmailMessage)
            found.append(Received(key, datetime.fromtimestamp(message.get_date(), tz=timezone.utc),
                                  str(parsed.get("To", "")), str(parsed.get("Subject", "")), _text(parsed)))
        return sorted(found, key=lambda m: m.received_at, reverse=True)


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        return part.get_content()
    except (KeyError, LookupError):  # an unknown charset: show the bytes as well as can be
        return part.get_payload(decode=True).decode("utf-8", "replace")


class SmtpMailbox:
    """aiosmtpd on 127.0.0.1:<port>, every accepted message into ``maildir``."""

    def __init__(self, maildir: Maildir, port: int) -> None:
        self.maildir = maildir
        self.port = port
        self._controller = None

    @property
    def apprise_url(self) -> str:
        """The channel URL the gateway's ``[notifications] channels.email`` takes (plain SMTP on loopback)."""
        return f"mailto://127.0.0.1:{self.port}?from={SENDER}&to={{address}}&mode=insecure"

    def start(self) -> SmtpMailbox:
        from aiosmtpd.controller import Controller

        box = self.maildir

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, N802
                box.add(envelope.original_content or envelope.content)
                return "250 OK: delivered to the demo mailbox"

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
