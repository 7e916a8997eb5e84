"""A commissioning window that stays open: why, and what an operator is told.

The detector learns a pump's healthy model once its window has lasted the configured days and holds
enough steady readings. Two things keep it open, and both were silent before:

- **The prior's bands hold it**: the readings are there, but their hours-long averages stand outside
  what any healthy pump shows (prior.py), so they are not learned as healthy. A fault from
  installation that grows does this: in a Lisbon-like autumn at a 5-minute poll
  (bench/heldout36b_commission_lisbon_r290.yaml) two leaks had their 1,500 steady readings by days
  30-33, as their healthy copies did, but the evaporator approach, then the superheat, had left the
  bands, and the fit was postponed for the remaining 40 days while no rule could name a leak from the
  bands alone (no band on the valve opening; subcooling's floor sits below the 0 K a leaking pump
  reaches). Such a window is judged by its growth as any window is (own_start.start_prior) and,
  when it grew by one of its own levels, the pump is judged against its own first days.
- **Too few steady readings**: a pump that seldom runs steadily (a mild month, a large pump for its
  house, a coarse poll) collects them slowly. How long it will take follows from the rate it has
  collected them at so far, which carries the poll and the season: the notice says so.

Each is said once per window as an ``agent`` event (no ticket): commissioning is still open, why,
and what judges the pump meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY = 86400.0
HELD = "commissioning_held"  # the agent event's fault: the window is held open by the bands
SLOW = "commissioning_slow"  # ... still short of steady readings past the configured days
_UNITS = {"cop": "", "flow_lpm": " l/min", "t_discharge": " °C"}


@dataclass(frozen=True)
class HeldNotice:
    ts: float
    kind: str  # HELD or SLOW
    text: str
    channels: tuple[str, ...]  # the bands breached (HELD); empty for SLOW


def _band_parts(levels: dict[str, tuple[float, float, float]]) -> list[tuple[str, str]]:
    """(channel, "superheat averaged 19.2 K, beyond 10.0 K by 4.6 tolerances") of each breached band, worst first."""
    far = sorted(((n, v) for n, v in levels.items() if abs(v[0]) >= 1.0), key=lambda kv: -abs(kv[1][0]))
    out = []
    for name, (level, edge, observed) in far:
        unit = _UNITS.get(name, " K")
        side = "above" if level > 0 else "below"
        out.append((name, f"{name} averaged {observed:.1f}{unit}, {side} {edge:.1f}{unit} by {abs(level):.1f} tolerances"))
    return out


class HeldWindow:
    """The notices of one detector's commissioning windows, kept until the pipeline sends them."""

    def __init__(self) -> None:
        self.pending: list[HeldNotice] = []
        self.slow_said = False  # the first window's slow notice (once per pump life, until relearn)

    def say(self, ts: float, start_ts: float, n_rows: int, levels: dict[str, tuple[float, float, float]],
            grew: dict[str, float] | None) -> None:
        """A window due but held open by the bands; ``grew``: its growth in own levels if it refused it
        (the pump judged against its own start from now on), None if it did not."""
        parts = _band_parts(levels)
        days = (ts - start_ts) / DAY
        text = (f"Commissioning held open after {days:.0f} days: its {n_rows} steady readings are enough to learn "
                f"from, but their averages stand outside what any healthy pump shows "
                f"({'; '.join(p for _, p in parts[:3]) or 'a band of the physics prior'}), so they are not learned "
                f"as healthy. ")
        if grew:
            top = sorted(((n, v) for n, v in grew.items() if abs(v) >= 1.0), key=lambda kv: -abs(kv[1]))[:3]
            text += ("Through the window it changed at fixed operating points as a healthy pump does not ("
                     + ", ".join(f"{n} {v:+.1f} of its own alarm levels" for n, v in top)
                     + "): from now on it is judged against its own first days.")
        else:
            text += "Until its averages return inside the bands it is judged by them alone."
        self.pending.append(HeldNotice(ts, HELD, text[:600], tuple(n for n, _ in parts)))

    def say_slow(self, ts: float, start_ts: float, n_rows: int, needed: int) -> None:
        """The configured days have passed with too few steady readings: when it will close at this rate."""
        self.slow_said = True
        days = (ts - start_ts) / DAY
        per_day = n_rows / days if days > 0 else 0.0
        more = (f"at the {per_day:.0f} a day collected so far, about {(needed - n_rows) / per_day:.0f} more days "
                f"if the weather stays as it has been" if per_day > 0 else "none collected yet, so no estimate")
        text = (f"Commissioning still open after {days:.0f} days: {n_rows} of the {needed} steady readings it learns "
                f"from ({more}). The pump seldom runs steadily (mild weather, a pump large for its house, a coarse "
                f"poll); until then it is judged only against the bands of any healthy pump and its design data.")
        self.pending.append(HeldNotice(ts, SLOW, text[:600], ()))

    def drain(self) -> list[HeldNotice]:
        out, self.pending = self.pending, []
        return out
