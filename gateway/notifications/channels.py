"""Channel kinds to Apprise URLs, and one send through Apprise with what it answered.

gateway.toml's ``[notifications.channels]`` maps a kind (the words customers
choose in ``preferred_channels``) to an Apprise URL template; ``{address}``
is replaced by the customer's address on that channel, URL-quoted:

    email = "mailtos://user:password@smtp.example.com?from=service@example.com&to={address}"
    sms   = "smseagle://token@sms-gateway.example.com/{address}"
    ntfy  = "ntfys://ntfy.example.com/{address}"
    chat  = "{address}"        (the address is a whole Apprise URL: the customer's own webhook)

Each message is sent alone (one Apprise object, one URL), so Apprise's
answer is about it: SUCCESS sent, PARTIAL (some of several targets) is
kept as sent (sending again would repeat it to those who got it), FAILURE
and TIMEOUT are failed attempts. The plugin's own socket timeouts are set
to the attempt's timeout, so a send that timed out is over and cannot land
after its retry. Email carries a Message-ID made from the idempotency key:
in the rare case that a send succeeded but its answer was lost, the copy
sent by the retry has the same Message-ID, which mail systems fold.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from urllib.parse import quote

EXCERPT = 500
SENT, PARTIAL, FAILED, TIMEOUT, ERROR = "sent", "partial", "failed", "timeout", "error"


@dataclass(frozen=True)
class Outcome:
    outcome: str  # sent | partial | failed | timeout | error (could not even try)
    error: str
    duration_ms: float

    @property
    def delivered(self) -> bool:
        return self.outcome in (SENT, PARTIAL)


def message_id(idempotency_key: str) -> str:
    return f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]}@heatwatch>"


def apprise_url(template: str, address: str, idempotency_key: str = "") -> str:
    """The URL for one address; a template of just ``{address}`` takes the address as the whole URL
    (a customer's own chat webhook)."""
    url = address if template == "{address}" else template.replace("{address}", quote(address, safe="@+"))
    if idempotency_key and url.split("://", 1)[0] in ("mailto", "mailtos"):
        url += ("&" if "?" in url else "?") + "+Message-ID=" + quote(message_id(idempotency_key), safe="")
    return url


def send(url: str, title: str, body: str, timeout: float) -> Outcome:
    """One message through Apprise; never raises."""
    import apprise  # here: its hundred plugins load when the first message goes, not with the app
    from apprise.result import AppriseResultStatus

    started = time.perf_counter()

    def done(outcome: str, error: str = "") -> Outcome:
        return Outcome(outcome, error[:EXCERPT], (time.perf_counter() - started) * 1000)

    try:
        plugin = apprise.Apprise.instantiate(url)
    except Exception as exc:  # noqa: BLE001 - a bad operator URL is an answer, not a crash
        return done(ERROR, f"Apprise cannot use the channel's URL: {type(exc).__name__}: {exc}")
    if plugin is None:
        return done(ERROR, "Apprise cannot use the channel's URL (check [notifications] channels)")
    plugin.socket_connect_timeout = plugin.socket_read_timeout = timeout
    sender = apprise.Apprise()
    sender.add(plugin)
    try:
        result = sender.notify(body=body, title=title, timeout=2 * timeout + 5, log_level=logging.WARNING)
    except Exception as exc:  # noqa: BLE001
        return done(FAILED, f"{type(exc).__name__}: {exc}")
    errors = "; ".join(e.message for e in result.logs() if e.level in ("WARNING", "ERROR", "CRITICAL"))
    status = result.status
    if status == AppriseResultStatus.SUCCESS:
        return done(SENT)
    if status == AppriseResultStatus.PARTIAL:
        return done(PARTIAL, errors or "partly sent")
    if status == AppriseResultStatus.TIMEOUT:
        return done(TIMEOUT, errors or f"no answer within {timeout:g} s")
    return done(FAILED, errors or f"Apprise: {status.name}")
