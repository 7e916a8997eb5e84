"""Why the dates held in the last days before a trip are told too far: two measures on collected fleets
(bench/prognosis_fleets.py collect), read from the simulator's truth and the agent's own hours.

- ``gap``: per trip of a switch that opens on the reading of the moment (the discharge stop, the high-pressure
  switch), the limit less the highest reading over every simulator step (collect's ``unseen``) of the
  GAP_DAYS days before the trip day. A gap above a few kelvin means the trip came on a day worse than any of
  the days before it: the switch opened on a peak (a hot-water cycle or a defrost's end in a cold hour, a leak's
  last-day runaway) that no day the agent had seen reached.
- ``share``: per trip, the fault's worst share k (prognosis._worst_share: the Theil-Sen slope of the daily worst
  reading on the daily mean excess, unbounded here) SHARE_BEFORE_DAYS before the trip. k > 1: the fault lifts the
  day's worst hour more than its mean (a hotter suction is compressed over the larger pressure ratio of the cold
  and hot-water hours), which the trend of the mean excess (k = 1, every fault but the evaporator's) leaves out.

    python bench/near_trip_peaks.py FLEET.json [FLEET.json ...]

docs/heatpump.md, "The dates held in the last days before a trip" (twenty-sixth round).
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

from heatwatch.units import DAY, HOUR

sys.path.insert(0, str(Path(__file__).resolve().parent))
import prognosis_fleets as pf  # noqa: E402

SWITCHES = {"discharge_overtemp": "t_discharge", "high_pressure": "p_high"}  # the trips the polls may miss
GAP_DAYS = 3
SHARE_BEFORE_DAYS = 1.5
HISTORY_HOURS = 720  # the tracker's memory (a month of hours)


def trip_gap(pump: dict) -> tuple[str, float] | None:
    """(channel, limit less the highest reading over every step of the GAP_DAYS days before the trip day);
    None: not a switch trip, or no such day recorded."""
    ch = SWITCHES.get(pump.get("trip_kind") or "")
    if ch is None or pump.get("trip_ts") is None or ch not in pump.get("limits", {}):
        return None
    direction, limit = pump["limits"][ch]
    if direction != "up":
        raise ValueError(f"{ch}: a switch that opens above its limit was expected, got {direction!r}")
    c = pf.UNSEEN_CHANNELS.index(ch)
    trip_day = int(pump["trip_ts"] // DAY)
    tops = [row[1 + c][0] for row in pump.get("unseen", ())
            if trip_day - GAP_DAYS <= row[0] < trip_day and math.isfinite(row[1 + c][0])]
    return (ch, float(limit) - max(tops)) if tops else None


def worst_share(pump: dict, before_days: float = SHARE_BEFORE_DAYS) -> tuple[str, float] | None:
    """(channel, the fault's worst share k before_days before the trip, unbounded); None: not a switch trip
    or too few days to tell."""
    from heatwatch.edge.heatpump import prognosis as P

    ch = SWITCHES.get(pump.get("trip_kind") or "")
    if ch is None or pump.get("trip_ts") is None:
        return None
    j = P._IDX[ch]
    t = pump["trip_ts"] - before_days * DAY
    rows = [(float(h[0]), pf._arr(h[1]), pf._arr(h[2]), pf._arr(h[3])) for h in pump["hours"]
            if h[0] < t - HOUR][-HISTORY_HOURS:]
    _, excess, _ = P._daily(rows, j, 1.0)
    k, base = P._worst_share(rows, j, 1.0, excess, -math.inf, math.inf)
    return None if base is None else (ch, float(k))


def lines(pumps: list[dict]) -> list[str]:
    gaps: dict[str, list[float]] = {}
    shares: dict[tuple[str, str], list[float]] = {}
    for p in pumps:
        g = trip_gap(p)
        if g is not None:
            gaps.setdefault(g[0], []).append(g[1])
        s = worst_share(p)
        if s is not None:
            shares.setdefault((p["fault"], s[0]), []).append(s[1])
    out = [f"limit less the highest reading of the {GAP_DAYS} days before the trip day (every simulator step)"]
    for ch, v in sorted(gaps.items()):
        a = np.array(v)
        out.append(f"  {ch:11s} trips {len(a):3d} median {np.median(a):.2f} quartiles {np.percentile(a, 25):.2f} "
                   f"{np.percentile(a, 75):.2f}")
    out.append(f"the fault's worst share k, {SHARE_BEFORE_DAYS:g} days before the trip (1: the mean excess reaches the worst hour)")
    for (fault, ch), v in sorted(shares.items()):
        a = np.array(v)
        out.append(f"  {fault:20s} {ch:11s} trips {len(a):3d} median {np.median(a):.2f} quartiles "
                   f"{np.percentile(a, 25):.2f} {np.percentile(a, 75):.2f}")
    return out


def main(args: list[str]) -> None:
    if not args or any(a.startswith("-") for a in args):
        raise SystemExit("usage: near_trip_peaks.py FLEET.json [FLEET.json ...] (bench/prognosis_fleets.py collect)")
    pumps = [p for a in args for p in json.loads(Path(a).read_text())]
    print("\n".join(lines(pumps)))


if __name__ == "__main__":
    main(sys.argv[1:])
