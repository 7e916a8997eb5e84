"""Where the dates in force with little time left come late (bench/heldout50_last.md, "Measured"): each half-day of a
told.py dump whose date in force (main's telling rule) is over twice late, split into
  told stale  - the refresh's latest estimate was within x2 (or early): the telling rule kept the late date;
  table       - the latest estimate late, its raw date (no table) within x2 or early: the table moved it late;
  raw late    - the raw date itself over twice late (the estimator), by indicator and whether the worst hour
                already touched the limit (interval from now).

    python bench/heldout50_tools/decompose_last.py LO HI DUMP.json [MORE.json ...]   (days left in [LO, HI))
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import told  # noqa: E402

DAY = 86400.0


def cls(left: float, d: float) -> str:
    x = math.log2(max(left, told.FLOOR) / max(d, told.FLOOR))
    return "late" if x < -1 else "early" if x > 1 else "ok"


def main(lo: float, hi: float, paths: list[str]) -> None:
    rows = [r for p in paths for r in json.loads(Path(p).read_text())]
    by: dict = {}
    for r in rows:
        by.setdefault((r["fleet"], r["device"]), []).append(r)
    c: Counter = Counter()
    n = 0
    for est in by.values():
        est.sort(key=lambda r: r["ts"])
        trip, g, sent = est[0]["trip_ts"], est[0], []
        for r in est:
            if r is est[0] or told.main_rule(g["pred"], r["pred"], r["ts"]):
                g = r
            sent.append((r["ts"], g, r))
        t, i = est[0]["ts"], 0
        while t < trip:
            while i + 1 < len(sent) and sent[i + 1][0] <= t:
                i += 1
            g, latest = sent[i][1], sent[i][2]
            left = (trip - t) / DAY
            if lo <= left < hi:
                n += 1
                if cls(left, (g["pred"] - t) / DAY) == "late":
                    if cls(left, (latest["pred"] - t) / DAY) != "late":
                        k = "told stale"
                    elif cls(left, (latest["raw"] - t) / DAY) != "late":
                        k = "table"
                    else:
                        k = "raw late"
                    touch = latest["lo"] <= latest["ts"] + 60
                    c[(g["fault"], k, latest["indicator"], "touching" if touch else "")] += 1
            t += 0.5 * DAY
    print(f"{n} half-days with {lo:g}-{hi:g} days left, {sum(c.values())} over twice late")
    tot: Counter = Counter()
    for (f, k, ind, touch), v in c.items():
        tot[k] += v
    print("  by source:", dict(tot))
    for k, v in sorted(c.items(), key=lambda kv: (kv[0][0], -kv[1])):
        print(f"  {k[0]:20s} {k[1]:11s} {k[2]:14s} {k[3]:9s} {v}")


if __name__ == "__main__":
    main(float(sys.argv[1]), float(sys.argv[2]), sys.argv[3:])
