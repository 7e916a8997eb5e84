"""Held-out 50 (bench/heldout50_wear.md): bench/heldout47_tools/pooled.py's groups (every worn compressor's estimate
every 12 h from the raise to the trip, the fleets pooled, with the code of the worktree it is run in; the weighed
cost, over twice early + k x over twice late) with the plan's switch printed.

HELDOUT50_OLD=1: prognosis.WEAR_BEFORE_DERATE = False in this tree (main's rule: a worn compressor's dates told by the
table's slope before its derate too), a check that the switch is the branch's only difference from main (its output
is compared with main's worktree's, which has no such constant: printed as absent)."""
import os
import runpy
import sys

sys.path.insert(0, 'bench')
from heatwatch.edge.heatpump import prognosis as P  # noqa: E402

if os.environ.get("HELDOUT50_OLD") == "1":
    P.WEAR_BEFORE_DERATE = False
print("WEAR_BEFORE_DERATE", getattr(P, "WEAR_BEFORE_DERATE", "absent"), "WEAR_FREE_DISCHARGE",
      getattr(P, "WEAR_FREE_DISCHARGE", "absent"))
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "heldout47_tools", "pooled.py"),
               run_name="__main__")
