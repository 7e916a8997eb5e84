"""Held-out 45 (bench/heldout45_loadshare.md): /tmp/h43/pooled.py (every estimate every 12 h from the raise to the
trip, the fleets pooled, with the code of the worktree it is run in), plus each fleet's counts and the weighed cost
(over twice early + k x over twice late) at k = 4, 7, 10 (bench/pooled_estimates.py)."""
import os
import sys
import json
sys.path.insert(0, 'bench')
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # pooled_estimates from an older checkout's cwd
import prognosis_fleets as pf
from pooled_estimates import print_fleets, print_groups
e = [(f, p['fault'], x) for f in sys.argv[1:] for p in json.load(open(f)) for x in pf.estimates(p)]
for fault in (None, 'condenser_fouling', 'evaporator_fouling'):
    print_groups([(fault or 'every', [x for _, k, x in e if fault is None or k == fault])])
print_fleets(sys.argv[1:], lambda f: [x for g, _, x in e if g == f])
