"""Where the run stands: pump time, how far the agents are behind it, and plain progress lines.

The simulator releases a row at ``start + (wall - wall_start) * speed``, so
the pump time now is known without asking it; an agent's lag is that minus
the time of the last reading it judged. When stdout is not a terminal (piped
to a file, a CI log) the demo prints ``lines()``: a status line every few
seconds and one line per finding, ticket, trip and message as they come.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timezone

from heatwatch.demo.wording import duration
from heatwatch.units import DAY, HOUR

STATUS_EVERY = 5.0  # wall seconds between plain status lines


class Progress:
    def __init__(self, scen, speed: float) -> None:  # noqa: ANN001
        self.start_ts = float(scen.start_ts)
        self.end_ts = self.start_ts + float(scen.duration_s)
        self.speed = speed
        self.wall_start: float | None = None
        self.wall_stopped: float | None = None
        self.max_lag_s = 0.0
        self.anchored = False
        self.customers: dict[str, str] = {}  # device -> its customer, for the ticket lines
        self._last_line = -math.inf
        self._seen: set[tuple] = set()

    def started(self) -> None:
        self.wall_start = time.monotonic()

    def sim_stopped(self) -> None:
        self.wall_stopped = time.monotonic()

    def pump_now(self) -> float:
        if self.wall_start is None:
            return self.start_ts
        wall = (self.wall_stopped or time.monotonic()) - self.wall_start
        return min(self.start_ts + wall * self.speed, self.end_ts)

    def elapsed(self, ts: float) -> str:
        """A pump time as days into the run: '+1.4 d'."""
        return f"+{(ts - self.start_ts) / DAY:.1f} d" if math.isfinite(ts) else "-"

    def anchor(self, agents) -> None:  # noqa: ANN001
        """The simulator's clock starts when its first row goes out, a few seconds after its process
        (imports, the fleet): the freshest first reading tells when that was."""
        if self.anchored or self.wall_start is None:
            return
        seen = [a.status.last_ts for a in agents if math.isfinite(a.status.last_ts)]
        if seen:
            self.wall_start = time.monotonic() - (max(seen) - self.start_ts) / self.speed
            self.anchored = True

    def lag(self, agents) -> float:  # noqa: ANN001
        """The worst lag of an agent that has judged anything, in pump seconds (and kept as the max)."""
        self.anchor(agents)
        now = self.pump_now()
        lags = [now - a.status.last_ts for a in agents if math.isfinite(a.status.last_ts)]
        worst = max(lags, default=0.0)
        if self.wall_stopped is None:
            self.max_lag_s = max(self.max_lag_s, worst)
        return worst

    def laggard(self, agents) -> str:  # noqa: ANN001
        judged = [a for a in agents if math.isfinite(a.status.last_ts)]
        if not judged:
            return ""
        worst = min(judged, key=lambda a: a.status.last_ts)
        return f" ({worst.cfg.device})"

    def lines(self, agents, snap, force: bool = False) -> list[str]:  # noqa: ANN001
        out = []
        for agent in agents:
            dev, st = agent.cfg.device, agent.status
            for fault, ev in st.active.items():
                if ("raised", dev, fault) not in self._seen:
                    self._seen.add(("raised", dev, fault))
                    out.append(f"{self.elapsed(ev.ts)} {dev}: agent raised {fault} ({ev.confidence:.0%})")
            for trip in st.trips[:1]:
                if ("trip", dev) not in self._seen:
                    self._seen.add(("trip", dev))
                    out.append(f"{self.elapsed(trip.ts)} {dev}: pump tripped ({trip.fault})")
        if snap is not None:
            for t in snap.tickets:
                if ("ticket", t.id) not in self._seen:
                    self._seen.add(("ticket", t.id))
                    who = self.customers.get(t.device)
                    out.append(f"{self.elapsed(t.raised_ts)} {t.device}: ticket #{t.id} opened "
                               f"(P{t.priority}, {t.fault})" + (f"; its customer {who} is told" if who else ""))
                if t.lead_time_s is not None and ("lead", t.id) not in self._seen:
                    self._seen.add(("lead", t.id))
                    out.append(f"{self.elapsed(t.trip_ts or math.nan)} {t.device}: tripped; ticket #{t.id} "
                               f"opened {duration(t.lead_time_s)} before the trip")
        now = time.monotonic()
        if force or now - self._last_line >= STATUS_EVERY:
            self._last_line = now
            out.append(self.status_line(agents, snap))
        return out

    def status_line(self, agents, snap) -> str:  # noqa: ANN001
        wall = 0.0 if self.wall_start is None else time.monotonic() - self.wall_start
        pump = datetime.fromtimestamp(self.pump_now(), tz=timezone.utc).strftime("%Y-%m-%d %H:%M")
        raised = sum(len(a.status.active) for a in agents)
        trips = sum(1 for a in agents if a.status.trips)
        parts = [f"[{wall:5.0f} s] pump time {pump} ({self.elapsed(self.pump_now())})",
                 f"agents behind by {self.lag(agents) / HOUR:.1f} h at most{self.laggard(agents)}",
                 f"findings {raised}", f"trips {trips}"]
        if snap is not None:
            before = sum(1 for t in snap.tickets if t.lead_time_s is not None and t.lead_time_s > 0)
            parts += [f"tickets {len(snap.tickets)} ({before} before a trip)", f"emails sent {snap.sent}"]
        return " | ".join(parts)
