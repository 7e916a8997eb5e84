"""Held-out 47 (bench/heldout47_wear.md): bench/heldout45_tools/pooled.py (every estimate every 12 h from the
raise to the trip, the fleets pooled, with the code of the worktree it is run in; each fleet's counts; the weighed
cost, over twice early + k x over twice late, at k = 4, 7, 10) for the one fault, compressor wear, split beside by
the indicator that dated the estimate (over-current or discharge), by the wear's kind (plain or rubbing,
compressor_wear:mechanical) and by the trip's kind.

HELDOUT47_MAIN_RULE=1: main's rule in this tree (prognosis.ROOM_AHEAD = False, RUNNING_ABOVE = RUNNING_ABOVE_MAIN), a
check that the branch's two constants are its only difference from main (its output is compared with main's
worktree's). Each side prints the constants it ran with (main's tree has no ROOM_AHEAD: printed as absent)."""
import os
import sys

sys.path.insert(0, 'bench')
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # pooled_estimates from an older checkout's cwd
from pooled_estimates import print_fleets, print_groups, wear_estimates  # noqa: E402
from heatwatch.edge.heatpump import prognosis as P  # noqa: E402

if os.environ.get("HELDOUT47_MAIN_RULE") == "1":
    P.ROOM_AHEAD = False
    P.RUNNING_ABOVE = P.RUNNING_ABOVE_MAIN
print("ROOM_AHEAD", getattr(P, "ROOM_AHEAD", "absent"), "RUNNING_ABOVE", P.RUNNING_ABOVE)


e = wear_estimates(sys.argv[1:])


groups = [("every", lambda r: True)]
groups += [("first on the raise", lambda r: r[3]['first'])]
groups += [(f"dated by {i}", lambda r, i=i: r[3]['indicator'] == i) for i in ("compressor_a", "t_discharge")]
groups += [(f"wear {k}", lambda r, k=k: r[1] == k) for k in ("plain", "mechanical")]
groups += [(f"trip {t}", lambda r, t=t: r[2] == t) for t in sorted({r[2] for r in e}, key=str)]
print_groups([(name, [r[3] for r in e if keep(r)]) for name, keep in groups])
print_fleets(sys.argv[1:], lambda f: [r[3] for r in e if r[0] == f])
