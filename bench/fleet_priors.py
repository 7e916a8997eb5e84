"""Fleet priors of the simulator's pump models and emitters, for `bench/lead_time.py --fleet-prior`.

One prior per capacity class (the simulator's pump models, eval/fleet_prior.py)
and emitter type (underfloor, radiators: the heating curve, so the flow
temperature the pump works at), each from ``--pumps`` healthy pumps of that
model and those emitters commissioned by their own detectors over ``--days`` of
a scenario (another seed than the scenarios judged). Keys "7/radiators"; with
``--any-emitters`` also "7", from pumps of both (what the gateway falls back to
when a model has too few pumps of one emitter type). A scenario with sites
gives each site's priors, from its own pumps (its climate, its refrigerant, its
weather: ``--seed`` is the scenario's, each site's derived from it), under its
name: {"inland": {"7/radiators": ...}, "lake": {...}}; lead_time.py gives each
site's agents their site's:

    python bench/fleet_priors.py OUT.json [--scenario healthy_fleet] [--pumps 10] [--days 14] [--seed 7]
                                 [--refrigerant R32|R290] [--any-emitters]
    (--pumps: of each site; --refrigerant: every site's)
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

from heatwatch.eval.fleet_prior import site_fleet_priors
from heatwatch.fleet_prior import FleetPriorError
from heatwatch.refrigerant import REFRIGERANTS
from heatwatch.sim.scenario import ScenarioError, load_scenario


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
    sc = dataclasses.replace(sc, seed=a.seed)  # before the sites take theirs from it
    if a.refrigerant:
        sc = dataclasses.replace(sc, refrigerant=a.refrigerant, sites=tuple(dataclasses.replace(s, refrigerant=a.refrigerant)
                                                                            for s in sc.sites))
    t0 = time.perf_counter()
    try:
        by_site = site_fleet_priors(sc, pumps=a.pumps, days=a.days, any_emitters=a.any_emitters)
    except FleetPriorError as exc:
        raise SystemExit(f"fleet_priors: {exc} (more --pumps or --days?)") from None
    for site in sc.site_scenarios():
        for key, prior in by_site[site.site_name].items():
            print(f"{site.site_name + ' ' if sc.sites else ''}{key}: {prior.members} pumps ({site.refrigerant})")
    doc = {name: {key: prior.to_dict() for key, prior in priors.items()} for name, priors in by_site.items()}
    Path(a.out).write_text(json.dumps(doc if sc.sites else doc[sc.site_name]))
    print(f"{a.out}: {sum(map(len, doc.values()))} priors in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
