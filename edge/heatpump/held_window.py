"""A commissioning window that stays open: why, and what an operator is told.

The detector learns a pump's healthy model once its window has lasted the configured days and holds
enough steady readings. Two things keep it open; both were silent before, and the first is said now:

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
  house, a coarse poll) collects them slowly. That is not said here: a window past its configured days
  short of readings is the common case at a 5-minute poll (every pump of a mild autumn on day 7), and
  telling an abnormally slow one from it needs the steady running the weather and the design would
  give, which is not built.

A held window is said as an ``agent`` event (no ticket) when first held and when its growth hands the
pump to its own start: commissioning is still open, why, and what judges the pump meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass

from heatwatch.edge.heatpump import water_witness
from heatwatch.edge.heatpump.prior import METER_NAME
from heatwatch.units import DAY

HELD = "commissioning_held"  # the agent event's fault: the window is held open by the bands
_UNITS = {"cop": "", "flow_lpm": " l/min", "t_discharge": " °C"}


@dataclass(frozen=True)
class HeldNotice:
    ts: float
    kind: str  # HELD
    text: str
    channels: tuple[str, ...]  # the bands breached


def _band_parts(levels: dict[str, tuple[float, float, float]]) -> list[tuple[str, str]]:
    """(channel, "superheat averaged 19.2 K, above 10.0 K by 4.6 tolerances") of each band breached, worst
    first (the condenser's witnesses and the flow meter's reading are no bands: PriorBands.breached)."""
    far = sorted(((n, v) for n, v in levels.items() if abs(v[0]) >= 1.0 and n not in water_witness.NAMES
                  and n != METER_NAME), key=lambda kv: -abs(kv[1][0]))
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

    def drain(self) -> list[HeldNotice]:
        out, self.pending = self.pending, []
        return out
