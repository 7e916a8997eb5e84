"""What a device's agent says of itself in its last status message, in words a technician reads.

The status message carries the agent's counters by part (edge/agent.py ``counters()``): how it judges
the pump (its own learned model, its fleet's prior, its own first days, or the physics bands while it
still learns), how far its learning window has come, and what it refused or failed at since it was
first started. On the device page they answer "is this agent judging my pump, and is it well?" without
reading JSON. A status is the agent's word and may come from an older or a broken agent: every field is
optional, a value of the wrong type is left out (never an error page).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

# per part: counter -> what one of it is (a count of these is worth telling when above 0)
_PROBLEMS: dict[str, dict[str, str]] = {
    "agent": {"state_unreadable": "state file unreadable at a start (learned afresh)"},
    "pipeline": {"clock_not_advancing": "reading not after the one before (clock set back?)",
                 "processing_errors": "reading the agent failed to judge"},
    "source": {"rejected_payloads": "payload refused", "crc_errors": "serial frame with a bad CRC",
               "timeouts": "read timed out", "polls_failed": "poll failed", "line_lost": "serial line lost",
               "exception_replies": "Modbus exception reply", "clock_unset": "reading without a clock",
               "unexpected_errors": "unexpected source error", "reconnect_failures": "failed reconnect"},
    "fleet": {"prior_load_errors": "fleet prior it could not load",
              "refused_windows": "learning window refused by its fleet",
              "postponed_fits": "learning fit postponed (readings outside any healthy pump's)"},
}


@dataclass(frozen=True)
class AgentState:
    judged_by: str  # how the agent judges the pump now ("" when the status does not say)
    learning: str = ""  # the learning window's progress while there is no own model yet
    readings: int | None = None  # since it was first started (restarts included)
    restarts: int | None = None
    last_reading: datetime | None = None
    problems: list[str] = field(default_factory=list)  # "12 readings out of range (t_flow 12)", worst first


def _number(v: Any) -> float | None:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    return float(v)


def _part(counters: dict, name: str) -> dict[str, Any]:
    part = counters.get(name)
    return part if isinstance(part, dict) else {}


def _judged_by(agent: dict, fleet: dict) -> tuple[str, str]:
    rows = _number(fleet.get("window_rows"))
    learning = "" if rows is None else f"{rows:,.0f} steady readings collected for its own model"
    if fleet.get("own_model") is True:
        return "its own learned healthy model", ""
    if fleet.get("judged_by_fleet") is True:
        members = _number(fleet.get("prior_members"))
        of = f" ({members:.0f} pumps)" if members else ""
        return f"its fleet's prior{of} while it learns its own", learning
    if fleet.get("judged_by_own_start") is True:
        return "its own first days (its learning window was held by a fault)", learning
    if agent.get("ready") is False:
        return "the physics bands while it learns its own model", learning
    if agent.get("ready") is True:
        return "its learned model", ""
    return "", learning


def _problems(counters: dict) -> list[str]:
    found: list[tuple[float, str]] = []
    pipeline = _part(counters, "pipeline")
    ranges = {k[len("out_of_range["):-1]: n for k, v in pipeline.items()
              if k.startswith("out_of_range[") and k.endswith("]") and (n := _number(v))}
    if ranges:
        total = sum(ranges.values())
        worst = ", ".join(f"{ch} {n:,.0f}" for ch, n in sorted(ranges.items(), key=lambda kv: -kv[1])[:3])
        found.append((total, f"{total:,.0f} reading{'' if total == 1 else 's'} out of range ({worst})"))
    for part, texts in _PROBLEMS.items():
        values = _part(counters, part)
        for key, text in texts.items():
            n = _number(values.get(key))
            if n:
                found.append((n, f"{n:,.0f} × {text}"))
    pending = _number(_part(counters, "outbox").get("pending_events"))
    if pending:
        found.append((pending, f"{pending:,.0f} event{'' if pending == 1 else 's'} waiting to be sent"))
    return [text for _, text in sorted(found, key=lambda nt: -nt[0])]


def agent_state(last_status: Any) -> AgentState | None:
    """The agent's state from its last status message; None when it never sent counters."""
    if not isinstance(last_status, dict) or not isinstance(last_status.get("counters"), dict):
        return None
    counters = last_status["counters"]
    agent, fleet = _part(counters, "agent"), _part(counters, "fleet")
    judged_by, learning = _judged_by(agent, fleet)
    readings, starts, last_ts = (_number(agent.get(k)) for k in ("readings", "starts", "last_ts"))
    last = None
    if last_ts is not None and 0 < last_ts < 1e11:
        last = datetime.fromtimestamp(last_ts, tz=timezone.utc)
    return AgentState(judged_by, learning, None if readings is None else int(readings),
                      None if starts is None else max(int(starts) - 1, 0), last, _problems(counters))
