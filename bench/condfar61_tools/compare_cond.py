"""Main against a candidate on replay_laws.py dumps of the same pumps: per source and pooled, late under 16 days,
the weighed cost (over twice early + 7 x over twice late, every estimate), within x2 by days left (0-2, 2-4, 4-8,
8-16, 16+), every estimate within x2, the interval's hold, the estimates moved.

    python bench/condfar61_tools/compare_cond.py MAIN.json:CAND.json [MORE ...] [--fault condenser_fouling]
"""

from __future__ import annotations

import json
import math
import sys

FLOOR = 1.0 / 24.0
K = 7
BANDS = ((0, 2), (2, 4), (4, 8), (8, 16), (16, math.inf))


def lr(actual: float, pred: float) -> float:
    return math.log2(max(actual, FLOOR) / max(pred, FLOOR))


def figures(est: list[dict]) -> dict:
    out = {"n": len(est), "late16": 0, "early": 0, "late": 0, "x2": 0, "hold": 0}
    for lo, hi in BANDS:
        out[f"b{lo}"] = [0, 0, 0]  # n, within x2, late
    for e in est:
        r = lr(e["actual"], e["pred"])
        out["early"] += r > 1
        out["late"] += r < -1
        out["late16"] += r < -1 and e["actual"] < 16
        out["x2"] += abs(r) <= 1
        out["hold"] += e["lo"] <= e["actual"] <= e["hi"]
        for lo, hi in BANDS:
            if lo <= e["actual"] < hi:
                b = out[f"b{lo}"]
                b[0] += 1
                b[1] += abs(r) <= 1
                b[2] += r < -1
    out["cost"] = out["early"] + K * out["late"]
    return out


def line(name: str, m: dict, c: dict, moved: int) -> str:
    pct = lambda a, n: 100.0 * a / max(n, 1)  # noqa: E731
    bands = " ".join(f"{lo}+:{pct(m[f'b{lo}'][1], m[f'b{lo}'][0]):.0f}->{pct(c[f'b{lo}'][1], c[f'b{lo}'][0]):.0f}%"
                     f"(L{m[f'b{lo}'][2]}->{c[f'b{lo}'][2]})" for lo, _ in BANDS)
    return (f"{name:10s} n={m['n']:5d} late<16 {m['late16']}->{c['late16']} cost {m['cost']}->{c['cost']} "
            f"x2 {pct(m['x2'], m['n']):.1f}->{pct(c['x2'], c['n']):.1f}% holds {pct(m['hold'], m['n']):.1f}->"
            f"{pct(c['hold'], c['n']):.1f}% moved {moved} | {bands}")


def main(args: list[str]) -> None:
    fault = None
    if "--fault" in args:
        k = args.index("--fault")
        fault = args[k + 1]
        del args[k:k + 2]
    pool_m: list[dict] = []
    pool_c: list[dict] = []
    moved_all = 0
    for pair in args:
        mp, cp = pair.split(":")
        m = [e for e in json.load(open(mp)) if not e.get("censored") and (fault is None or e["fault"] == fault)]
        c = [e for e in json.load(open(cp)) if not e.get("censored") and (fault is None or e["fault"] == fault)]
        if len(m) != len(c):  # a side that gave no date at an hour: the hours both dated
            key = lambda e: (e["device"], e["ts"])  # noqa: E731
            both = {key(e) for e in m} & {key(e) for e in c}
            print(f"  {pair}: {len(m)} estimates against {len(c)}, {len(both)} at the same hours")
            m = [e for e in m if key(e) in both]
            c = [e for e in c if key(e) in both]
        moved = sum(abs(a["pred"] - b["pred"]) > 1e-9 for a, b in zip(m, c))
        moved_all += moved
        pool_m += m
        pool_c += c
        print(line(cp.rsplit("/", 1)[-1].replace(".json", ""), figures(m), figures(c), moved))
    print(line("pooled", figures(pool_m), figures(pool_c), moved_all))


if __name__ == "__main__":
    main(sys.argv[1:])
