"""Held-out 50: main's dumps against the candidate's (told.py dump --lifts before / told.py dump), each fleet and
pooled: the date in force (main's telling rule) every 12 h from the raise to the trip.

    python bench/heldout50_tools/compare.py MAIN.json:CAND.json [MORE ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import told  # noqa: E402


def figures(cells: list) -> dict:
    n = len(cells)
    late = sum(c[2] < -1 for c in cells)
    early = sum(c[2] > 1 for c in cells)
    near = [c for c in cells if c[1] < 2]
    return dict(n=n, x2=100 * sum(abs(c[2]) <= 1 for c in cells) / n, holds=100 * sum(c[3] for c in cells) / n,
                cost=early + 7 * late, late16=sum(c[2] < -1 and c[1] < 16 for c in cells),
                late2=sum(c[2] < -1 for c in near), n2=len(near), early2=sum(c[2] > 1 for c in near),
                x2_2=100 * sum(abs(c[2]) <= 1 for c in near) / max(len(near), 1))


def fmt(name: str, m: dict, c: dict) -> str:
    return (f"| {name} | {m['late2']} -> {c['late2']} (of {m['n2']}; early {m['early2']} -> {c['early2']}) | "
            f"{m['x2_2']:.1f} -> {c['x2_2']:.1f} % | {m['cost']:,} -> {c['cost']:,} | {m['late16']} -> {c['late16']} | "
            f"{m['x2']:.1f} -> {c['x2']:.1f} % | {m['holds']:.1f} -> {c['holds']:.1f} % | {m['n']} |")


def main(pairs: list[str]) -> None:
    print("| fleet | late, last 2 d | within x2, last 2 d | weighed cost | late < 16 d | every within x2 | holds | half-days |")
    print("|---|---|---|---|---|---|---|---|")
    allm, allc = [], []
    for pair in pairs:
        a, b = pair.split(":")
        m = told.in_force(json.loads(Path(a).read_text()), told.main_rule)
        c = told.in_force(json.loads(Path(b).read_text()), told.main_rule)
        allm += m
        allc += c
        print(fmt(Path(a).stem, figures(m), figures(c)))
    print(fmt("**pooled**", figures(allm), figures(allc)))
    for lo, hi in told.BANDS:
        fm = [x for x in allm if lo <= x[1] < hi]
        fc = [x for x in allc if lo <= x[1] < hi]
        print(f"  {lo:g}-{hi:g} d: " + told.line("main", fm).strip() + "\n  " + " " * len(f"{lo:g}-{hi:g} d: ")
              + told.line("cand", fc).strip())
    for f in sorted({x[0] for x in allm}):
        fm, fc = figures([x for x in allm if x[0] == f]), figures([x for x in allc if x[0] == f])
        print(f"  {f:20s} last 2 d late {fm['late2']} -> {fc['late2']}, cost {fm['cost']} -> {fc['cost']}, "
              f"within x2 {fm['x2']:.1f} -> {fc['x2']:.1f} %")


if __name__ == "__main__":
    main(sys.argv[1:])
