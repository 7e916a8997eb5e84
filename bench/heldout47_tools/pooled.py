"""Held-out 47 (bench/heldout47_wear.md): bench/heldout45_tools/pooled.py (every estimate every 12 h from the
raise to the trip, the fleets pooled, with the code of the worktree it is run in; each fleet's counts; the weighed
cost, over twice early + k x over twice late, at k = 4, 7, 10) for the one fault, compressor wear, split beside by
the indicator that dated the estimate (over-current or discharge), by the wear's kind (plain or rubbing,
compressor_wear:mechanical) and by the trip's kind.

HELDOUT47_MAIN_RULE=1: main's rule in this tree (prognosis.ROOM_AHEAD = False, RUNNING_ABOVE = RUNNING_ABOVE_MAIN), a
check that the branch's two constants are its only difference from main (its output is compared with main's
worktree's). Each side prints the constants it ran with (main's tree has no ROOM_AHEAD: printed as absent)."""
import json
import os
import sys

import numpy as np

sys.path.insert(0, 'bench')
import prognosis_fleets as pf  # noqa: E402
from heatwatch.edge.heatpump import prognosis as P  # noqa: E402

if os.environ.get("HELDOUT47_MAIN_RULE") == "1":
    P.ROOM_AHEAD = False
    P.RUNNING_ABOVE = P.RUNNING_ABOVE_MAIN
print("ROOM_AHEAD", getattr(P, "ROOM_AHEAD", "absent"), "RUNNING_ABOVE", P.RUNNING_ABOVE)


def kind(p: dict, per_fault: int) -> str:
    """The wear's kind from the collect command's order: --faults compressor_wear,compressor_wear:mechanical
    --per-fault N gives hp-000..N-1 plain, the next N rubbing (fleet_scenario)."""
    return "plain" if int(p['device'].split('-')[1]) < per_fault else "mechanical"


e = []
for f in sys.argv[1:]:
    pumps = json.load(open(f))
    for p in pumps:
        if p['fault'] != 'compressor_wear':
            continue
        for x in pf.estimates(p):
            e.append((f, kind(p, len(pumps) // 2), p['trip_kind'], x))


def counts(sel):
    a = np.maximum([x['actual'] for x in sel], pf.FLOOR_DAYS)
    d = np.maximum([x['pred'] for x in sel], pf.FLOOR_DAYS)
    r = np.log2(a / d)
    return (int(np.sum(np.abs(r) <= 1)), int(np.sum(r > 1)), int(np.sum(r < -1)),
            int(sum(x['lo'] <= x['actual'] <= x['hi'] for x in sel)))


def line(name, sel):
    if not sel:
        return f"{name:28s} n=0"
    n = len(sel)
    w, ea, la, h = counts(sel)
    return (f"{name:28s} n={n:5d} x2 {100*w/n:5.1f} early {100*ea/n:5.1f} late {100*la/n:5.1f} holds {100*h/n:5.1f} "
            f"| counts x2 {w} early {ea} late {la} held {h} | cost k4 {ea+4*la} k7 {ea+7*la} k10 {ea+10*la}")


BANDS = ((0, 2), (2, 4), (0, 4), (4, 8), (8, 16), (0, 16), (16, 1e9))
groups = [("every", lambda r: True)]
groups += [("first on the raise", lambda r: r[3]['first'])]
groups += [(f"dated by {i}", lambda r, i=i: r[3]['indicator'] == i) for i in ("compressor_a", "t_discharge")]
groups += [(f"wear {k}", lambda r, k=k: r[1] == k) for k in ("plain", "mechanical")]
groups += [(f"trip {t}", lambda r, t=t: r[2] == t) for t in sorted({r[2] for r in e}, key=str)]
for name, keep in groups:
    sel = [r[3] for r in e if keep(r)]
    print(line(name, sel))
    for a, b in BANDS:
        print(line(f"  {a}-{b if b < 1e8 else ''}d", [x for x in sel if a <= x['actual'] < b]))
for f in sys.argv[1:]:
    sel = [r[3] for r in e if r[0] == f]
    print(line(f"fleet {f.split('/')[-1]}", sel))
    print(line("  0-16d", [x for x in sel if x['actual'] < 16]))
    print(line("  16-d", [x for x in sel if x['actual'] >= 16]))
