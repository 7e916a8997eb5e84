"""The demo's live table (a row per pump) and its closing summary."""

from __future__ import annotations

import math

from rich.table import Table
from rich.text import Text

from heatwatch.demo.progress import Progress
from heatwatch.demo.wording import LEGEND, duration, health_index, health_word, predicted_trip
from heatwatch.units import HOUR


def _title(explanation: str, fault: str) -> str:
    """'Low water flow' of 'Low water flow (pump wear, clogged strainer, air): ...': one line a pump."""
    return (explanation.split(":", 1)[0].split(" (", 1)[0] if explanation else fault).strip()


def pump_table(agents, links: dict[str, str], snap, progress: Progress, board: str = "") -> Table:  # noqa: ANN001
    tickets = snap.by_device() if snap is not None else {}
    head = f"heatwatch demo: pump time {progress.elapsed(progress.pump_now())}, agents at most " \
           f"{progress.lag(agents) / HOUR:.1f} h behind"
    if snap is not None:
        head += f" | tickets {len(snap.tickets)} | emails sent {snap.sent}"
    if board:
        head += f" | board {board}/board, mailbox {board}/demo/mailbox"
    t = Table(title=head + " | Ctrl-C stops", caption=LEGEND, expand=True)
    for col in ("pump", "link", "pump time", "health", "finding", "predicted trip", "ticket", "trip"):
        t.add_column(col, overflow="fold")
    for agent in agents:
        st, dev = agent.status, agent.cfg.device
        word, style = health_word(ready=st.ready, readings=st.readings, score=st.health, faults=len(st.active),
                                  tripped=bool(st.trips))
        health = Text(word if not st.ready else f"{health_index(st.health):3d} {word}", style=style)
        finding = "; ".join(f"{_title(ev.explanation, f)} {ev.confidence:.0%}" for f, ev in st.active.items())
        pred = "-"
        for ev in st.active.values():
            if ev.prognosis is not None:
                p = ev.prognosis
                pred = predicted_trip(p.predicted_trip_ts, p.lower_ts, p.upper_ts, st.last_ts)
        mine = tickets.get(dev, [])
        ticket = "; ".join(f"#{x.id} P{x.priority} {x.fault} ({x.status})" for x in mine) or "-"
        trip = "-"
        if st.trips:
            first = st.trips[0]
            pred = f"tripped at {progress.elapsed(first.ts)}"
            before = [x for x in mine if x.lead_time_s is not None and x.lead_time_s > 0]
            trip = f"{first.fault} at {progress.elapsed(first.ts)}; " + (
                f"ticket {duration(before[0].lead_time_s)} before" if before else "no ticket before it")
        t.add_row(dev, links.get(dev, ""), progress.elapsed(st.last_ts), health,
                  finding or Text("nothing raised", style="dim") if st.ready else finding or "-", pred, ticket, trip)
    return t


def summary(agents, links: dict[str, str], snap, progress: Progress, world, with_gateway: bool,  # noqa: ANN001
            mail_count: int | None) -> list[str]:
    serial = sum(1 for v in links.values() if v == "Modbus RTU")
    wall = 0.0 if progress.wall_start is None else (progress.wall_stopped or progress.wall_start) - progress.wall_start
    days = max(0.0, max((a.status.last_ts for a in agents if math.isfinite(a.status.last_ts)),
                        default=progress.start_ts) - progress.start_ts) / 86400
    lines = ["", "Summary",
             f"  pumps: {len(agents)} ({serial} on Modbus RTU, {len(agents) - serial} on MQTT); "
             f"{days:.1f} pump days judged in {wall:.0f} s at {progress.speed:.0f}x; "
             f"agents at most {progress.max_lag_s / HOUR:.1f} h behind the pumps"]
    for a in agents:
        if links.get(a.cfg.device) == "Modbus RTU":
            counts = {k: v for k, v in dict(a.source.counters).items() if v}
            lines.append(f"  serial line ({a.cfg.device}): {a.status.readings} readings judged; {counts}")
    failed = {a.cfg.device: a.processing_errors for a in agents if a.processing_errors}
    if failed:
        lines.append(f"  readings the agents could not process (logged in demo.log): {failed}")
    raised = [(a.cfg.device, f, ts) for a in agents for f, ts in a.pipeline.first_raised.items()]
    lines.append(f"  faults raised by the agents: {len(raised)}" + (": " if raised else "") +
                 ", ".join(f"{d} {f} at {progress.elapsed(ts)}" for d, f, ts in sorted(raised, key=lambda r: r[2])))
    trips = [(a.cfg.device, a.status.trips[0]) for a in agents if a.status.trips]
    lines.append(f"  trips: {len(trips)}" + (": " if trips else "") +
                 ", ".join(f"{d} at {progress.elapsed(e.ts)} ({e.fault})" for d, e in trips))
    if not with_gateway or snap is None:
        lines.append("  tickets and messages: no gateway in this run")
        return lines
    tripped = {d for d, _ in trips}
    before = [x for x in snap.tickets if x.lead_time_s is not None and x.lead_time_s > 0]
    lines.append(f"  tickets opened: {len(snap.tickets)}; opened before trip: {len({x.device for x in before})} "
                 f"of {len(tripped)} tripped pumps" + ("; lead times: " if before else "") +
                 ", ".join(f"{x.device} {duration(x.lead_time_s)}" for x in before))
    lines.append(f"  emails sent: {snap.sent} (in the mailbox: {mail_count if mail_count is not None else '?'}; "
                 f"still queued: {snap.waiting})")
    return lines
