"""Main's dumps against a candidate's (bench/wearfar60_tools/replay.py), pooled and per fleet: over twice late with
under 16 days left, the weighed cost (over twice early + 7 x over twice late, every estimate), 16+ days within x2,
every estimate within x2, the interval's hold, and the discharge-tripped (plain) pumps' far figures.

    python bench/wearfar60_tools/compare.py MAIN.json:CAND.json [MORE ...]"""
from __future__ import annotations

import json
import sys

import numpy as np

FLOOR = 0.25  # days (prognosis_fleets.FLOOR_DAYS)


def figures(rows: list[dict]) -> dict:
    if not rows:
        return dict(n=0, late16=0, early=0, late=0, cost=0, x2=0.0, far=0.0, nfar=0, holds=0.0, near2_late=0)
    a = np.maximum([r["actual"] for r in rows], FLOOR)
    d = np.maximum([r["pred"] for r in rows], FLOOR)
    r = np.log2(a / d)
    early, late = r > 1, r < -1
    within = np.abs(r) <= 1
    far = a >= 16
    hold = np.array([x["lo"] <= x["actual"] <= x["hi"] for x in rows])
    return dict(n=len(rows), late16=int(np.sum(late & ~far)), early=int(early.sum()), late=int(late.sum()),
                cost=int(early.sum() + 7 * late.sum()), x2=100 * within.mean(),
                far=100 * within[far].mean() if far.any() else float("nan"), nfar=int(far.sum()),
                holds=100 * hold.mean(), near2_late=int(np.sum(late & (a < 2))))


def fmt(name: str, m: dict, c: dict) -> str:
    return (f"{name:24s} n={m['n']:5d} late<16 {m['late16']:4d} -> {c['late16']:4d} | cost {m['cost']:5d} -> "
            f"{c['cost']:5d} (early {m['early']} -> {c['early']}, late {m['late']} -> {c['late']}) | 16+ x2 "
            f"{m['far']:5.1f} -> {c['far']:5.1f} % ({m['nfar']}) | x2 {m['x2']:5.1f} -> {c['x2']:5.1f} | holds "
            f"{m['holds']:5.1f} -> {c['holds']:5.1f} | late<2 {m['near2_late']} -> {c['near2_late']}")


def main(pairs: list[str]) -> None:
    allm, allc = [], []
    for pair in pairs:
        a, b = pair.split(":")
        m, c = json.load(open(a)), json.load(open(b))
        # the estimates both sides made (a side may give no date at an hour the other dates: counted apart)
        key = {(x["device"], x["ts"]): x for x in c}
        both = {(x["device"], x["ts"]) for x in m} & set(key)
        only = len(m) - len(both), len(c) - len(both)
        m = [x for x in m if (x["device"], x["ts"]) in both]
        c = [key[(x["device"], x["ts"])] for x in m]
        if any(only):
            print(f"  {a.split('/')[-1]}: {only[0]} estimates main only, {only[1]} candidate only (left out)")
        allm += m
        allc += c
        print(fmt(a.split("/")[-1].replace(".json", ""), figures(m), figures(c)))
    print(fmt("pooled", figures(allm), figures(allc)))
    for kind in ("discharge_overtemp", "overcurrent"):
        sel = [i for i, x in enumerate(allm) if x["trip_kind"] == kind]
        print(fmt(f"  trip {kind}", figures([allm[i] for i in sel]), figures([allc[i] for i in sel])))
    moved = sum(abs(x["pred"] - y["pred"]) > 1e-9 for x, y in zip(allm, allc))
    print("moved", moved, "of", len(allm))


if __name__ == "__main__":
    main(sys.argv[1:])
