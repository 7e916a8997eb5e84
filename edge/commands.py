"""Commands from the gateway: each acted on once, every copy answered.

The gateway sends a command (``heatwatch/v1/{device}/command``, QoS 1) until
the agent acknowledges it, so the same command can arrive twice: after a
reconnect, or when the gateway re-sent it before the first answer reached it.
The handler remembers the ids it acted on (the agent keeps them in its state
file, so a restart does not forget them) and answers a copy ``ok`` without
acting again: a second ``repaired`` would throw away what the agent has
learned of the repaired pump since the first.

A command that does not follow the contract (not JSON, a missing field,
another device's, an unknown kind) is counted and answered ``ok = false``
with the reason; one the agent fails to carry out (a full disk) likewise.
Nothing here raises: the handler runs in the MQTT client's thread.

No I/O here: ``act`` (what a command does to the pump's judgement) and
``persist`` (save the state, ids included) are the agent's.
"""

from __future__ import annotations

import collections
import json
import logging
import time
from collections.abc import Callable, Iterable

from heatwatch.contract import Ack, Command, ContractError, parse_command

log = logging.getLogger(__name__)
REMEMBERED = 200  # command ids kept: far more than the gateway has unacknowledged for one device


def readable_id(payload: bytes) -> int | None:
    """The command's id from a payload that is otherwise refused, so the refusal can name it."""
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    value = data.get("id") if isinstance(data, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else None


class CommandHandler:
    """``handle(topic, payload) -> Ack``; ``done`` are the ids acted on (oldest first)."""

    def __init__(self, device: str, act: Callable[[Command], str], persist: Callable[[], None] = lambda: None,
                 clock: Callable[[], float] = time.time, done: Iterable[int] = ()) -> None:
        self.device = device
        self.act = act  # does what the command says; returns what the ack's detail tells the gateway
        self.persist = persist
        self.clock = clock
        self.done: collections.deque[int] = collections.deque(done, maxlen=REMEMBERED)
        self.counters: dict[str, int] = {"received": 0, "done": 0, "duplicates": 0, "refused": 0, "failed": 0}

    def handle(self, topic: str, payload: bytes) -> Ack:
        self.counters["received"] += 1
        try:
            command = parse_command(topic, payload)
        except ContractError as exc:
            self.counters["refused"] += 1
            if self.counters["refused"] & (self.counters["refused"] - 1) == 0:  # 1st, 2nd, 4th ...: a short log
                log.warning("%s: command refused (%d so far): %s", self.device, self.counters["refused"], exc)
            return self._ack(readable_id(payload), False, f"refused: {exc}")
        if command.id in self.done:
            self.counters["duplicates"] += 1
            return self._ack(command.id, True, "done before (this copy was not acted on)")
        try:
            detail = self.act(command)
            self.done.append(command.id)
            self.persist()
        except Exception as exc:  # noqa: BLE001 - a failing command must not take the MQTT thread down
            self.counters["failed"] += 1
            log.exception("%s: command %s (%s) failed", self.device, command.id, command.command.value)
            return self._ack(command.id, False, f"failed: {type(exc).__name__}: {exc}")
        self.counters["done"] += 1
        log.info("%s: command %s (%s, ticket %s): %s", self.device, command.id, command.command.value,
                 command.ticket, detail)
        return self._ack(command.id, True, detail)

    def _ack(self, command_id: int | None, ok: bool, detail: str) -> Ack:
        return Ack(device=self.device, command_id=command_id, ok=ok, detail=detail[:500], ts=self.clock())
