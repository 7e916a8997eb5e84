"""Read replay_laws.py dumps (or record_loop.py joined rows): the estimates 16+ days before the trip, too soon
(actual / date > 2) against within x2, per fault / path / indicator / law / window / lift, and each reading's AUC
(P(reading of a too-soon estimate > a within-x2 one's)) pooled and per fleet.

    python bench/farsoon50_tools/far_table.py DUMP.json [MORE.json ...]
    python bench/farsoon50_tools/far_table.py --raw-band 4 16 FAULT|- DUMP.json [MORE.json ...]
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter, defaultdict

import numpy as np

FLOOR = 1.0 / 24.0
READINGS = ("frac", "curv_z", "n_exp", "window", "since_raise", "slope_t", "accel", "z_gap", "rival_spread", "raw",
            "trend_days")


def lr(e: dict) -> float:
    return math.log2(max(e["actual"], FLOOR) / max(e["pred"], FLOOR))


def auc(pos: list[float], neg: list[float]) -> float:
    pos = [v for v in pos if math.isfinite(v)]
    neg = [v for v in neg if math.isfinite(v)]
    if not pos or not neg:
        return math.nan
    a = np.array(neg)
    return float(np.mean([np.mean(a < v) + 0.5 * np.mean(a == v) for v in pos]))


def band(r: float) -> str:
    return "x2-x3" if r <= math.log2(3) else "x3-x5" if r <= math.log2(5) else ">x5"


def main(paths: list[str]) -> None:
    est = []
    for p in paths:
        for e in json.loads(open(p).read()):
            e["src"] = p.rsplit("/", 1)[-1]
            est.append(e)
    far = [e for e in est if e["actual"] >= 16.0]
    soon = [e for e in far if lr(e) > 1.0]
    ok = [e for e in far if abs(lr(e)) <= 1.0]
    print(f"{len(est)} estimates; 16+ days {len(far)}: within x2 {len(ok)} ({len(ok) / max(len(far), 1):.0%}), "
          f"too soon {len(soon)}, late {len(far) - len(ok) - len(soon)}")
    for key in ("fault", "dated_by", "indicator", "law", "window", "lifted", "src", "pump"):
        by = defaultdict(list)
        for e in far:
            k = (e["fault"], e["indicator"]) if key == "indicator" else \
                (e["src"], e.get("device", e.get("tracker"))) if key == "pump" else \
                (e["move"] > 0) if key == "lifted" else e.get(key)
            by[str(k)].append(e)
        print(f"\nby {key}: n 16+ | within x2 | too soon (x2-x3 x3-x5 >x5) | median log2")
        for k, es in sorted(by.items(), key=lambda kv: -sum(lr(e) > 1 for e in kv[1]))[:14]:
            s = [e for e in es if lr(e) > 1]
            c = Counter(band(lr(e)) for e in s)
            print(f"  {k:48s} {len(es):5d} | {sum(abs(lr(e)) <= 1 for e in es) / len(es):4.0%} | {len(s):5d} "
                  f"({c['x2-x3']} {c['x3-x5']} {c['>x5']}) | {np.median([lr(e) for e in es]):+.2f}")
    print("\nreadings, 16+ days: AUC too soon vs within x2 (pooled; per source: AUC each); median soon / ok")
    srcs = sorted({e["src"] for e in far})
    for f in READINGS:
        per = [auc([e.get(f, math.nan) for e in soon if e["src"] == s], [e.get(f, math.nan) for e in ok if e["src"] == s])
               for s in srcs]
        ms = np.nanmedian([e.get(f, math.nan) for e in soon]) if soon else math.nan
        mo = np.nanmedian([e.get(f, math.nan) for e in ok]) if ok else math.nan
        print(f"  {f:14s} {auc([e.get(f, math.nan) for e in soon], [e.get(f, math.nan) for e in ok]):.2f} | "
              + " ".join(f"{x:.2f}" for x in per) + f" | {ms:.2f} / {mo:.2f}")




def within_raw(paths: list[str], lo: float = 4.0, hi: float = 16.0, fault: str | None = None) -> None:
    """What a rule at the hour faces: estimates whose raw date is lo-hi days, too soon (actual / date > 2,
    the trip 16+ days out or not) against the rest (within x2 or late): each reading's AUC, pooled and per
    source, and the late share in the reading's top third (where a lift would cost)."""
    est = []
    for p in paths:
        for e in json.loads(open(p).read()):
            e["src"] = p.rsplit("/", 1)[-1]
            if lo <= e.get("raw", math.nan) < hi and (fault is None or e["fault"] == fault):
                est.append(e)
    soon = [e for e in est if lr(e) > 1.0]
    rest = [e for e in est if lr(e) <= 1.0]
    print(f"\nraw {lo:g}-{hi:g} d{' ' + fault if fault else ''}: n={len(est)} too soon {len(soon)} "
          f"(16+ days out {sum(e['actual'] >= 16 for e in soon)}), within x2 {sum(abs(lr(e)) <= 1 for e in est)}, "
          f"late {sum(lr(e) < -1 for e in est)}")
    srcs = sorted({e["src"] for e in est})
    print("  reading        AUC pooled | per source | top third: n, too soon, late")
    for f in READINGS:
        v = [e.get(f, math.nan) for e in est]
        fin = [x for x in v if math.isfinite(x)]
        per = [auc([e.get(f, math.nan) for e in soon if e["src"] == s], [e.get(f, math.nan) for e in rest if e["src"] == s])
               for s in srcs]
        top = [e for e in est if math.isfinite(e.get(f, math.nan)) and e[f] > np.quantile(fin, 2 / 3)] if fin else []
        print(f"  {f:14s} {auc([e.get(f, math.nan) for e in soon], [e.get(f, math.nan) for e in rest]):.2f} | "
              + " ".join(f"{x:.2f}" for x in per)
              + f" | {len(top)} {sum(lr(e) > 1 for e in top)} {sum(lr(e) < -1 for e in top)}")


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "--raw-band":  # --raw-band LO HI [FAULT|-] DUMPS...
        within_raw(args[4:], float(args[1]), float(args[2]), None if args[3] == "-" else args[3])
    else:
        main(args)
