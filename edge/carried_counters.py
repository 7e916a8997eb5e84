"""The agent's status counters across restarts: what was counted before goes on being counted.

The retained status message shows an operator what the agent read, refused
and sent (``EdgeAgent.counters()``). Those live in memory; without this a
restart (a power cut, an update, systemd's restart after a crash) set every
count to 0 and a pump's history of rejected payloads or CRC errors was gone.
The agent saves the cumulative counts in its state file and, after a
restart, reports saved + counted since.

Not everything in the status is a count: what describes *now* (last reading
time, health, connected, in flight, what waits in the outbox, which channels
the map has) is never carried over.
"""

from __future__ import annotations

from typing import Any

# per section: keys that say what is, not how many times something happened
NOT_COUNTS: dict[str, set[str] | None] = {
    "agent": {"last_ts", "ready", "health"},
    "publisher": {"in_flight", "connected", "protocol"},
    "outbox": {"pending_events", "pending_telemetry", "pending_telemetry_bytes", "oldest_pending_age"},
    "coverage": None,  # the whole section: what the register map allows judging
    "fleet": {"own_model", "judged_by_fleet", "judged_by_own_start", "prior_members", "refused_windows",
              "postponed_fits", "window_rows"},  # in the state
}


def _is_count(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def counts(counters: dict[str, dict[str, Any]]) -> dict[str, dict[str, float]]:
    """The cumulative counts in a status's counters, as saved in the state file."""
    out: dict[str, dict[str, float]] = {}
    for section, values in counters.items():
        skip = NOT_COUNTS.get(section, set())
        if skip is None or not isinstance(values, dict):
            continue
        kept = {k: v for k, v in values.items() if k not in skip and _is_count(v)}
        if kept:
            out[section] = kept
    return out


def carried(saved: Any) -> dict[str, dict[str, float]]:
    """Saved counts read back from a state file; anything that is not a count is dropped, not trusted."""
    if not isinstance(saved, dict):
        return {}
    return counts({str(s): v for s, v in saved.items() if isinstance(v, dict)})


def add(before: dict[str, dict[str, float]], now: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """``now`` with the counts saved ``before`` the restart added (a count only before it is kept too)."""
    out = {section: dict(values) if isinstance(values, dict) else values for section, values in now.items()}
    for section, values in before.items():
        skip = NOT_COUNTS.get(section, set())
        if skip is None:
            continue
        target = out.setdefault(section, {})
        for key, value in values.items():
            if key in skip:
                continue
            current = target.get(key, 0)
            if _is_count(current):
                total = current + value
                target[key] = int(total) if isinstance(current, int) and float(value).is_integer() else total
    return out
