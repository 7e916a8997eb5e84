"""Held-out 50 (bench/heldout50_last.md): the date IN FORCE on a fleet, as the agent tells it, not every estimate.

``dump``: the tracker's estimate every REFRESH hours from the first raise to the trip (prognosis_fleets.estimates,
with the code of the checkout it runs in), as the agent's refresh asks it (edge/pipeline.py, PROGNOSIS_REFRESH_SECONDS).
``judge``: the agent's telling rule applied to those estimates (the raise's date told; a refresh's date told only where
it moved over max(25 % of the told time left, 12 h), edge/pipeline.py ``_refresh_prognoses``), and the date in force
judged every 12 h from the raise to the trip, as bench/prognosis_in_force.py judges the loop's: within x2, over twice
early / late, the interval holding the trip, the weighed cost (early + 7 x late), per fault and by days left.
``--lifts before``: the dump made with the short-date lifts before plan 50 (prognosis_calibration.BAND_LIFTS_BEFORE).

    python bench/heldout50_tools/told.py dump [--lifts before] FLEET.json OUT.json
    python bench/heldout50_tools/told.py judge OUT.json [MORE.json ...]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import prognosis_fleets as pf  # noqa: E402
from heatwatch.edge import pipeline  # noqa: E402
from heatwatch.edge.heatpump import prognosis  # noqa: E402
from heatwatch.edge.heatpump import prognosis_calibration as cal  # noqa: E402
from heatwatch.units import DAY, HOUR  # noqa: E402

BANDS = ((0.0, 2.0), (2.0, 4.0), (4.0, 8.0), (8.0, 16.0), (16.0, math.inf))
FLOOR = 1.0 / 24.0


def dump(fleet: Path, out: Path, every_h: float) -> None:
    rows = []
    pf.MISSES["on"] = True  # each estimate's raw date too (no table): what the table moved
    for p in json.loads(fleet.read_text()):
        for e in pf.estimates(p, every_s=every_h * HOUR):
            rows.append(dict(fleet=fleet.stem, device=p["device"], fault=p["fault"], trip_ts=p["trip_ts"],
                             ts=e["ts"], pred=e["ts"] + e["pred"] * DAY, lo=e["ts"] + e["lo"] * DAY,
                             hi=e["ts"] + e["hi"] * DAY, indicator=e["indicator"], raw=e["ts"] + e["raw"] * DAY))
    out.write_text(json.dumps(rows))
    print(f"{fleet}: {len(rows)} estimates")


def main_rule(old_pred: float, new_pred: float, ts: float) -> bool:
    """The agent's telling rule (edge/pipeline.py ``_refresh_prognoses``): told where the date moved over max(25 % of
    the told time left, 12 h)."""
    left = max(old_pred - ts, 0.0)
    return abs(new_pred - old_pred) > max(0.25 * left, 43200.0)


def in_force(rows: list[dict], rule) -> list[tuple[str, float, float, bool]]:
    """(fault, days left, log2(actual / told), interval holds) every 12 h from each pump's first estimate to its trip."""
    out = []
    by = {}
    for r in rows:
        by.setdefault((r["fleet"], r["device"]), []).append(r)
    for est in by.values():
        est.sort(key=lambda r: r["ts"])
        trip = est[0]["trip_ts"]
        told, sent = est[0], []
        for r in est:
            if r is est[0] or rule(told["pred"], r["pred"], r["ts"]):
                told = r
            sent.append((r["ts"], told))
        t, i = est[0]["ts"], 0
        while t < trip:
            while i + 1 < len(sent) and sent[i + 1][0] <= t:
                i += 1
            g = sent[i][1]
            a, d = max((trip - t) / DAY, FLOOR), max((g["pred"] - t) / DAY, FLOOR)
            out.append((g["fault"], (trip - t) / DAY, math.log2(a / d), g["lo"] <= trip <= g["hi"]))
            t += 0.5 * DAY
    return out


def line(name: str, sel: list) -> str:
    n = len(sel)
    if not n:
        return f"  {name:24s} n=0"
    w = sum(abs(x[2]) <= 1 for x in sel)
    ea = sum(x[2] > 1 for x in sel)
    la = sum(x[2] < -1 for x in sel)
    h = sum(x[3] for x in sel)
    return (f"  {name:24s} n={n:5d} x2 {100 * w / n:5.1f} % holds {100 * h / n:5.1f} % early {ea:4d} late {la:4d} "
            f"late<16d {sum(x[2] < -1 and x[1] < 16 for x in sel):4d} cost {ea + 7 * la:5d}")


def judge(paths: list[str], updates: bool = True) -> None:
    rule = main_rule
    rows = [r for p in paths for r in json.loads(Path(p).read_text())]
    cells = in_force(rows, rule)
    print(f"{len(paths)} dumps, {len({(r['fleet'], r['device']) for r in rows})} pumps")
    print(line("every", cells))
    for a, b in BANDS:
        print(line(f"{a:g}-{b:g} d", [c for c in cells if a <= c[1] < b]))
    for f in sorted({c[0] for c in cells}):
        sel = [c for c in cells if c[0] == f]
        print(line(f, sel) + "  | 0-2 d " + line("", [c for c in sel if c[1] < 2]).split("n=", 1)[1])
    if updates:
        n = 0
        by = {}
        for r in rows:
            by.setdefault((r["fleet"], r["device"]), []).append(r)
        for est in by.values():
            est.sort(key=lambda r: r["ts"])
            told = est[0]
            for r in est[1:]:
                if rule(told["pred"], r["pred"], r["ts"]):
                    told, n = r, n + 1
        print(f"  updates told: {n} ({n / max(len(by), 1):.1f} a pump)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("fleet", type=Path)
    d.add_argument("out", type=Path)
    d.add_argument("--every-h", type=float, default=pipeline.PROGNOSIS_REFRESH_SECONDS / HOUR)
    d.add_argument("--lifts", choices=("now", "before"), default="now")
    j = sub.add_parser("judge")
    j.add_argument("dumps", nargs="+")
    a = ap.parse_args()
    if a.cmd == "dump":
        if a.lifts == "before":  # the table with the lifts before plan 50 (every tracker made after this takes it)
            prognosis.CALIBRATION = cal.with_bands(cal._ALL_HORIZONS, cal.BANDS, cal.BAND_LIFTS_BEFORE)
        print(f"lifts {prognosis.CALIBRATION.bands[0][1].pooled.lift if hasattr(prognosis.CALIBRATION, 'bands') else '?'}")
        dump(a.fleet, a.out, a.every_h)
    else:
        judge(a.dumps)
