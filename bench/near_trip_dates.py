"""Why the dates told with little time left come late: the in-force date of each half-day within
FEW_DAYS of the trip (bench/prognosis_in_force.py's cells), split by what the date was.

A date of at most FLOOR_DAYS told for a trip hours away is the passage's own floor: a pump near its
limit waits for a bad enough day, a wait close to memoryless whose median (the date) does not shrink as
the trip nears; such a cell is late by construction once the trip is under half the date away. A date
beyond it with the trip within two days is a miss of the approach itself (the margin read from the
steady hours, a date not re-sent).

    python bench/near_trip_dates.py REPORT_DIR [REPORT_DIR ...]   (heatwatch eval ... --report DIR)
    python bench/near_trip_dates.py fleet FLEET.json [...]   (bench/prognosis_fleets.py collect): per tripped
        pump, 2.5, 1.5 and 0.5 days before its trip, the trip indicator's raw date and its parts (the leak's
        chain, the trend's first passage, the pace) and the margin left: the limit less the worst day the
        trend projects (the healthy worst days' highest plus today's excess), and less their median
    python bench/near_trip_dates.py floor FLEET.json [...]: are short dates late at all? Of every estimate
        (bench/prognosis_fleets.py replay's, every 12 h from the raise, a pump that never tripped counted
        as beyond) whose date is short, the shares whose trip came before half the date, within x2 and
        after twice it, against a memoryless wait dated by its median (29 / 46 / 25 %). Judged by the
        date told rather than by the time that was left, the short dates come early: the lateness by time
        left is the trips that came soon, told as a pump near its limit is told (docs/heatpump.md)
    python bench/near_trip_dates.py unseen FLEET.json [...]: the peak the polls miss, as the sensor reads
        it (collect's ``unseen``): per switch channel, the day's highest over every simulator step less
        its highest over the agent's polls, over every pump-day and over the last 3 days before a trip
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from heatwatch.units import DAY

sys.path.insert(0, str(Path(__file__).resolve().parent))
from prognosis_redate import ticketed  # noqa: E402

FEW_DAYS = 2.0
FLOOR_DAYS = 2.5  # a first-passage median near the limit: a day's hazard of some 0.3-0.5
STALE_DAYS = 1.0  # a date in force longer than this was not re-sent


def near_cells(report_dir: Path) -> list[dict]:
    """Every half-day within FEW_DAYS of a ticketed trip: fault, days left, date in force, its age."""
    out = []
    for p, ahead in ticketed(report_dir):
        sent = sorted(ahead, key=lambda g: g["ts"])
        if not sent:
            continue
        t, i = sent[0]["ts"], 0
        while t < p["trip_ts"]:
            while i + 1 < len(sent) and sent[i + 1]["ts"] <= t:
                i += 1
            g = sent[i]
            left = (p["trip_ts"] - t) / DAY
            if left < FEW_DAYS:
                out.append(dict(fault=p["fault"], device=p["device"], left=left,
                                told=max((g["predicted_ts"] - t) / DAY, 1.0 / 24.0), age=(t - g["ts"]) / DAY))
            t += 0.5 * DAY
    return out


def summary(cells: list[dict]) -> list[str]:
    lines = []
    for fault in sorted({c["fault"] for c in cells}) + ["every"]:
        r = [c for c in cells if fault in ("every", c["fault"])]
        late = [c for c in r if math.log2(max(c["left"], 1.0 / 24.0) / c["told"]) < -1.0]
        floor = [c for c in late if c["told"] <= FLOOR_DAYS]
        stale = [c for c in late if c["told"] > FLOOR_DAYS and c["age"] > STALE_DAYS]
        lines.append(f"  {fault:20s} n={len(r):3d} late {len(late):3d}: told <= {FLOOR_DAYS:g} d (the passage's floor) "
                     f"{len(floor):3d}, told longer {len(late) - len(floor):3d} (of them in force > {STALE_DAYS:g} d: {len(stale)})"
                     f"; pumps late beyond the floor: {sorted({c['device'] for c in late if c['told'] > FLOOR_DAYS})}")
    return lines


TRIP_CHANNEL = {"discharge_overtemp": "t_discharge", "high_pressure": "p_high", "low_pressure": "p_low"}


def fleet_parts(path: Path) -> list[str]:
    """The trip indicator's date and its parts near each tripped pump's trip (fleet_parts' lines)."""
    import json

    import numpy as np

    import prognosis_fleets as pf
    from heatwatch.edge.heatpump import prognosis as P
    from heatwatch.units import HOUR

    log: dict = {}

    def wrap(name: str, key: str) -> None:
        f = getattr(P, name)

        def g(*a, **k):
            v = f(*a, **k)
            log[key] = v
            if key == "trend":
                _, ex, base, target = a[:4]
                log["max"], log["med"] = target - (base.max() + ex[-1]), target - (float(np.median(base)) + ex[-1])
            return v
        setattr(P, name, g)

    saved = {n: getattr(P, n) for n in ("leak_discharge_days", "_first_passage_days", "_pace_days")}
    wrap("leak_discharge_days", "chain")
    wrap("_first_passage_days", "trend")
    wrap("_pace_days", "pace")
    lines = []
    try:
        for p in json.loads(path.read_text()):
            ch = TRIP_CHANNEL.get(p["trip_kind"] or "")
            if not p["trip_ts"] or ch is None or not p["raised"]:
                continue
            hours = [(float(h[0]), pf._arr(h[1]), pf._arr(h[2]), pf._arr(h[3])) for h in p["hours"]]
            peaks = [(float(h[0]), pf._arr(h[1]), pf._arr(h[2])) for h in p.get("peaks", ())]
            cells = []
            for left in (2.5, 1.5, 0.5):
                t = p["trip_ts"] - left * DAY
                if t < min(p["raised"]):
                    continue
                tr = P.PrognosisTracker(refrigerant=p["refrigerant"])
                tr.calibration = None
                pf.set_limits(tr, p)
                tr._hours.extend([h for h in hours if h[0] < t - HOUR][-tr._hours.maxlen:])
                tr._peaks.extend([h for h in peaks if h[0] < t - HOUR][-tr._peaks.maxlen:])
                log.clear()
                rows = [h for h in tr._hours if h[0] < t]
                q = tr._predict_channel(ch, t, p["fault"], rows, tr._columns(rows))
                d = None if q is None else (q.predicted_trip_ts - t) / DAY

                def fm(v) -> str:
                    return "-" if v is None else f"{v:.1f}"
                cells.append(f"{left:g}d left: {fm(d)} (chain {fm(log.get('chain'))} trend {fm(log.get('trend'))} "
                             f"pace {fm(log.get('pace'))}; margin {fm(log.get('max'))} / {fm(log.get('med'))})")
            lines.append(f"  {p['seed']} {p['device']} {p['fault'][:14]:14s} {ch:11s} " + " | ".join(cells))
    finally:
        for n, f in saved.items():
            setattr(P, n, f)
    return lines


MEMORYLESS = (1.0 - 2.0 ** -0.5, 2.0 ** -0.5 - 0.25, 0.25)  # a wait dated by its median: before d/2, within, after 2d
DATE_BANDS = ((0.0, 1.0), (1.0, 2.5), (2.5, 5.0))  # the date told, days


def floor_lines(paths: list[str]) -> list[str]:
    """Short dates judged by the date told (floor): the shares early, within x2 and late."""
    import json

    import numpy as np

    import prognosis_fleets as pf

    pf.MISSES["on"] = True  # each estimate's raw date too
    rows = [(e["raw"], e["pred"], e["actual"], e["censored"])
            for path in paths for p in json.loads(Path(path).read_text()) for e in pf.estimates(p, censored=True)]
    lines = []
    for k, name in ((1, "calibrated"), (0, "raw")):
        for lo, hi in DATE_BANDS:
            r = [(x[2] / x[k], x[3]) for x in rows if lo < x[k] <= hi]
            if not r:
                continue
            ratio = np.array([a for a, _ in r])
            cen = np.array([c for _, c in r])
            before = float(np.mean(ratio < 0.5))
            after = float(np.mean(ratio > 2.0))
            lines.append(f"  {name:10s} date {lo:g}-{hi:g} d n={len(r):4d} (never tripped {int(cen.sum())}): trip before "
                         f"half the date {before:.0%}, within x2 {1.0 - before - after:.0%}, after twice it {after:.0%}; "
                         f"median actual / date {float(np.median(ratio)):.2f}")
    lines.append("  a memoryless wait dated by its median: " + " / ".join(f"{v:.0%}" for v in MEMORYLESS))
    return lines


def unseen_lines(paths: list[str]) -> list[str]:
    """The peak the polls miss (unseen): its mean, median and 90th percentile per channel."""
    import json

    import numpy as np

    import prognosis_fleets as pf

    every: dict[str, list[float]] = {c: [] for c in pf.UNSEEN_CHANNELS}
    last: dict[str, list[float]] = {c: [] for c in pf.UNSEEN_CHANNELS}
    for path in paths:
        for p in json.loads(Path(path).read_text()):
            trip_day = None if p["trip_ts"] is None else int(p["trip_ts"] // DAY)
            for row in p.get("unseen", ()):
                for c, ch in enumerate(pf.UNSEEN_CHANNELS):
                    a, b = row[1 + c]
                    if math.isfinite(a) and math.isfinite(b):
                        every[ch].append(a - b)
                        if trip_day is not None and trip_day - 3 <= row[0] < trip_day:
                            last[ch].append(a - b)
    lines = []
    for ch in pf.UNSEEN_CHANNELS:
        for name, g in (("every pump-day", every[ch]), ("the 3 days before a trip", last[ch])):
            if g:
                v = np.array(g)
                lines.append(f"  {ch:11s} {name:24s} n={len(v):5d} mean {v.mean():.2f} median {np.median(v):.2f} "
                             f"p90 {np.percentile(v, 90):.2f}")
    return lines


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] in ("floor", "unseen"):
        print("\n".join((floor_lines if sys.argv[1] == "floor" else unseen_lines)(sys.argv[2:])))
        raise SystemExit(0)
    if len(sys.argv) > 2 and sys.argv[1] == "fleet":
        for f in sys.argv[2:]:
            print("\n".join(fleet_parts(Path(f))))
        raise SystemExit(0)
    if len(sys.argv) < 2:
        raise SystemExit("usage: near_trip_dates.py REPORT_DIR [REPORT_DIR ...]")
    for d in sys.argv[1:]:
        print(d)
        print("\n".join(summary(near_cells(Path(d)))))
