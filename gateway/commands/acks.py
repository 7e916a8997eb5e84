"""An agent's answer to a command: recorded on the command's row, once, and only from its device.

Called by ingest (ingest/service.py) in the message's transaction. An answer
names a command id; it is refused, with a reason the ingest counters count,
when no such command exists (``unknown_command``, also an answer whose id
the agent could not read), when the command is another device's
(``foreign_command``: a device may not close out someone else's command,
whatever its ACL allows) and when the command was answered before
(``duplicate``: the agent answers every copy it gets, and the sender may have
sent two). ``ok = false`` (the agent refused the command or failed to carry
it out) is recorded as an answer all the same: sending it again would not
help; the row's ``detail`` keeps the agent's words for the operator.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from heatwatch.contract import Ack
from heatwatch.gateway.tickets.models import DeviceCommand

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AckVerdict:
    accepted: bool
    reason: str  # accepted: ack | ack_not_ok; refused: unknown_command | foreign_command | duplicate
    detail: str = ""


def record_ack(session: Session, device: str, ack: Ack, now: datetime) -> AckVerdict:
    if ack.command_id is None:
        return AckVerdict(False, "unknown_command", f"{device}: an answer naming no command ({ack.detail!r})")
    command = session.execute(select(DeviceCommand).where(DeviceCommand.id == ack.command_id)
                              .with_for_update()).scalar_one_or_none()
    if command is None:
        return AckVerdict(False, "unknown_command", f"{device}: no command {ack.command_id}")
    if command.device_id != device:
        return AckVerdict(False, "foreign_command", f"{device} answered command {ack.command_id}, "
                                                    f"which is {command.device_id}'s")
    if command.acked_at is not None:
        return AckVerdict(False, "duplicate", f"command {ack.command_id} answered before")
    command.acked_at, command.ack_ok, command.detail = now, ack.ok, ack.detail[:500]
    command.sent_at = command.sent_at or now  # the answer may overtake the sender's record of the send
    command.next_attempt_at = None
    if not ack.ok:
        log.warning("%s refused command %s (%s): %s", device, command.id, command.command, ack.detail)
        return AckVerdict(True, "ack_not_ok", ack.detail)
    return AckVerdict(True, "ack")
