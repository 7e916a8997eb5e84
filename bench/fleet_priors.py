"""Fleet priors of the simulator's pump models, for `bench/lead_time.py --fleet-prior`.

One prior per capacity class (the simulator's pump models, eval/fleet_prior.py),
each from ``--pumps`` healthy pumps of that model commissioned by their own
detectors over ``--days`` of a scenario (another seed than the scenarios judged):

    python bench/fleet_priors.py OUT.json [--scenario healthy_fleet] [--pumps 10] [--days 14] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from heatwatch.eval.fleet_prior import MODEL_CAPACITIES_KW, simulated_fleet_prior


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--scenario", default="healthy_fleet")
    ap.add_argument("--pumps", type=int, default=10)
    ap.add_argument("--days", type=float, default=14.0)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    t0 = time.perf_counter()
    priors = {}
    for kw in MODEL_CAPACITIES_KW:
        prior = simulated_fleet_prior(a.scenario, capacity_kw=kw, pumps=a.pumps, days=a.days, seed=a.seed)
        priors[str(kw)] = prior.to_dict()
        print(f"{kw:g} kW: {prior.members} pumps")
    Path(a.out).write_text(json.dumps(priors))
    print(f"{a.out}: {len(priors)} priors in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
