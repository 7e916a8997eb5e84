"""The held-out plans' pooled replay, once: every estimate every 12 h from the raise to the trip
(prognosis_fleets.estimates, with the code of the checkout it runs in), counted per time-left band and
per fleet, with the weighed dispatcher cost (over twice early + k x over twice late) at k = 4, 7, 10.

Used by bench/heldout45_tools, heldout46_tools and heldout47_tools/pooled.py (each plan's own groups and
rule switch); their output is what it was when each plan ran, byte for byte."""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence

import numpy as np
import prognosis_fleets as pf

def wear_kind(p: dict, per_fault: int) -> str:
    """The wear's kind from the collect command's order: --faults compressor_wear,compressor_wear:mechanical
    --per-fault N gives hp-000..N-1 plain, the next N rubbing (fleet_scenario)."""
    return "plain" if int(p['device'].split('-')[1]) < per_fault else "mechanical"


def wear_estimates(paths: Sequence[str]) -> list[tuple[str, str, object, dict]]:
    """(fleet path, wear kind, trip kind, estimate) of every worn compressor's estimate in wear-only fleets."""
    e = []
    for f in paths:
        pumps = json.load(open(f))
        for p in pumps:
            if p['fault'] != 'compressor_wear':
                continue
            for x in pf.estimates(p):
                e.append((f, wear_kind(p, len(pumps) // 2), p['trip_kind'], x))
    return e


BANDS = ((0, 2), (2, 4), (0, 4), (4, 8), (8, 16), (0, 16), (16, 1e9))


def counts(sel: Sequence[dict]) -> tuple[int, int, int, int]:
    """(within x2, over twice early, over twice late, the interval holding the trip)."""
    a = np.maximum([x['actual'] for x in sel], pf.FLOOR_DAYS)
    d = np.maximum([x['pred'] for x in sel], pf.FLOOR_DAYS)
    r = np.log2(a / d)
    return (int(np.sum(np.abs(r) <= 1)), int(np.sum(r > 1)), int(np.sum(r < -1)),
            int(sum(x['lo'] <= x['actual'] <= x['hi'] for x in sel)))


def line(name: str, sel: Sequence[dict]) -> str:
    if not sel:
        return f"{name:28s} n=0"
    n = len(sel)
    w, ea, la, h = counts(sel)
    return (f"{name:28s} n={n:5d} x2 {100*w/n:5.1f} early {100*ea/n:5.1f} late {100*la/n:5.1f} holds {100*h/n:5.1f} "
            f"| counts x2 {w} early {ea} late {la} held {h} | cost k4 {ea+4*la} k7 {ea+7*la} k10 {ea+10*la}")


def print_groups(groups: Sequence[tuple[str, Sequence[dict]]]) -> None:
    """Each named group of estimates, then its time-left bands."""
    for name, sel in groups:
        print(line(name, sel))
        for a, b in BANDS:
            print(line(f"  {a}-{b if b < 1e8 else ''}d", [x for x in sel if a <= x['actual'] < b]))


def print_fleets(paths: Sequence[str], of_fleet: Callable[[str], Sequence[dict]]) -> None:
    """Each fleet's estimates, under and over 16 days left."""
    for f in paths:
        sel = of_fleet(f)
        print(line(f"fleet {f.split('/')[-1]}", sel))
        print(line("  0-16d", [x for x in sel if x['actual'] < 16]))
        print(line("  16-d", [x for x in sel if x['actual'] >= 16]))
