"""Held-out 45 (bench/heldout45_loadshare.md): /tmp/h43/pooled.py (every estimate every 12 h from the raise to the
trip, the fleets pooled, with the code of the worktree it is run in), plus each fleet's counts and the weighed cost
(over twice early + k x over twice late) at k = 4, 7, 10."""
import sys
import json
import numpy as np
sys.path.insert(0, 'bench')
import prognosis_fleets as pf
e = [(f, p['fault'], x) for f in sys.argv[1:] for p in json.load(open(f)) for x in pf.estimates(p)]
def counts(sel):
    a = np.maximum([x['actual'] for x in sel], pf.FLOOR_DAYS)
    d = np.maximum([x['pred'] for x in sel], pf.FLOOR_DAYS)
    r = np.log2(a / d)
    return int(np.sum(np.abs(r) <= 1)), int(np.sum(r > 1)), int(np.sum(r < -1)), int(sum(x['lo'] <= x['actual'] <= x['hi'] for x in sel))
def line(name, sel):
    if not sel:
        return f"{name:28s} n=0"
    n = len(sel)
    w, ea, la, h = counts(sel)
    return (f"{name:28s} n={n:5d} x2 {100*w/n:5.1f} early {100*ea/n:5.1f} late {100*la/n:5.1f} holds {100*h/n:5.1f} "
            f"| counts x2 {w} early {ea} late {la} held {h} | cost k4 {ea+4*la} k7 {ea+7*la} k10 {ea+10*la}")
BANDS = ((0, 2), (2, 4), (0, 4), (4, 8), (8, 16), (0, 16), (16, 1e9))
for fault in (None, 'condenser_fouling', 'evaporator_fouling'):
    sel = [x for _, k, x in e if fault is None or k == fault]
    print(line(fault or 'every', sel))
    for a, b in BANDS:
        print(line(f"  {a}-{b if b < 1e8 else ''}d", [x for x in sel if a <= x['actual'] < b]))
for f in sys.argv[1:]:
    sel = [x for g, _, x in e if g == f]
    print(line(f"fleet {f.split('/')[-1]}", sel))
    print(line("  0-16d", [x for x in sel if x['actual'] < 16]))
    print(line("  16-d", [x for x in sel if x['actual'] >= 16]))
