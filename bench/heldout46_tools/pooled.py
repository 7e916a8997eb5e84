"""Held-out 46 (bench/heldout46_wearcurrent.md): bench/heldout45_tools/pooled.py (every estimate every 12 h from the
raise to the trip, the fleets pooled, with the code of the worktree it is run in; each fleet's counts; the weighed
cost, over twice early + k x over twice late, at k = 4, 7, 10) for the one fault, compressor wear, split beside by
the indicator that dated the estimate (over-current or discharge), by the wear's kind (plain or rubbing,
compressor_wear:mechanical) and by the trip's kind.

HELDOUT46_MAIN_RULE=1: main's rule in this tree (prognosis.PROGRESS_NO_LIFT = PROGRESS_NO_LIFT_MAIN), a check that
the branch's constant is its only difference from main (its output is compared with main's worktree's)."""
import os
import sys

sys.path.insert(0, 'bench')
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # pooled_estimates from an older checkout's cwd
from pooled_estimates import print_fleets, print_groups, wear_estimates  # noqa: E402
from heatwatch.edge.heatpump import prognosis as P  # noqa: E402

if os.environ.get("HELDOUT46_MAIN_RULE") == "1":
    P.PROGRESS_NO_LIFT = P.PROGRESS_NO_LIFT_MAIN
print("PROGRESS_NO_LIFT", sorted(P.PROGRESS_NO_LIFT), "PROGRESS_NO_LIFT_FAULTS", sorted(P.PROGRESS_NO_LIFT_FAULTS))


e = wear_estimates(sys.argv[1:])


groups = [("every", lambda r: True)]
groups += [(f"dated by {i}", lambda r, i=i: r[3]['indicator'] == i) for i in ("compressor_a", "t_discharge")]
groups += [(f"wear {k}", lambda r, k=k: r[1] == k) for k in ("plain", "mechanical")]
groups += [(f"trip {t}", lambda r, t=t: r[2] == t) for t in sorted({r[2] for r in e}, key=str)]
print_groups([(name, [r[3] for r in e if keep(r)]) for name, keep in groups])
print_fleets(sys.argv[1:], lambda f: [r[3] for r in e if r[0] == f])
