"""Fleet priors of the simulator's pump models and emitters, for `bench/lead_time.py --fleet-prior`.

One prior per capacity class (the simulator's pump models, eval/fleet_prior.py)
and emitter type (underfloor, radiators: the heating curve, so the flow
temperature the pump works at), each from ``--pumps`` healthy pumps of that
model and those emitters commissioned by their own detectors over ``--days`` of
a scenario (another seed than the scenarios judged). Keys "7/radiators"; with
``--any-emitters`` also "7", from pumps of both (what the gateway falls back to
when a model has too few pumps of one emitter type):

    python bench/fleet_priors.py OUT.json [--scenario healthy_fleet] [--pumps 10] [--days 14] [--seed 7]
                                 [--refrigerant R32|R290] [--any-emitters]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

from heatwatch.eval.fleet_prior import MODEL_CAPACITIES_KW, prior_key, simulated_fleet_prior
from heatwatch.refrigerant import REFRIGERANTS
from heatwatch.sim.scenario import EMITTERS, ScenarioError, load_scenario


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out")
    ap.add_argument("--scenario", default="healthy_fleet")
    ap.add_argument("--pumps", type=int, default=10)
    ap.add_argument("--days", type=float, default=14.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--refrigerant", choices=REFRIGERANTS, help="default: the scenario's")
    ap.add_argument("--any-emitters", action="store_true", help="also a prior per model from pumps of any emitters")
    a = ap.parse_args()
    try:
        sc = load_scenario(a.scenario)
    except ScenarioError as exc:
        raise SystemExit(f"fleet_priors: {exc}") from None
    if a.refrigerant:
        sc = dataclasses.replace(sc, refrigerant=a.refrigerant)
    t0 = time.perf_counter()
    priors = {}
    for kw in MODEL_CAPACITIES_KW:
        for emitters in (*EMITTERS, None) if a.any_emitters else EMITTERS:
            prior = simulated_fleet_prior(sc, capacity_kw=kw, pumps=a.pumps, days=a.days, seed=a.seed,
                                          emitters=emitters)
            key = prior_key(kw, emitters)
            priors[key] = prior.to_dict()
            print(f"{key}: {prior.members} pumps ({sc.refrigerant})")
    Path(a.out).write_text(json.dumps(priors))
    print(f"{a.out}: {len(priors)} priors in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
