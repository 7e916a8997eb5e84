"""How fast `heatwatch eval` runs a fleet: pumps, pump-days, wall time, readings/s.

    python bench/eval_speed.py [SCENARIO] [--days D] [--poll MIN] [--workers N] [--site NAME] [--fleet-prior]

Default: the 1,000-pump heating season (service_area_1000), agent reading every 5 minutes, every
core. ``--days D`` runs only the first D days and extrapolates to the whole scenario (linear in
pump-days; the first week, while the agent learns, is a little cheaper than judging). CPU seconds
are printed too: on a shared machine readings per CPU second is the figure that carries over.
The aim (issue 11): the 1,000-pump season in <= 10 minutes on a 2-core machine.

The first days are not the season: later months hold the faults' tickets, their prognoses and a
healthy pump's winter, and cost several times a day of October. ``--site NAME`` runs one site of
the scenario (its whole season unless ``--days``) and ``--fleet-prior`` starts its agents on the
fleet prior of an earlier cohort as ``heatwatch eval`` does (its CPU not counted):

    python bench/eval_speed.py service_area_200 --site milano --fleet-prior --workers 1
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from heatwatch.eval.fleet_prior import earlier_cohort_priors
from heatwatch.eval.partitions import parts_of
from heatwatch.eval.runner import run_parts
from heatwatch.eval.worker import stride_for
from heatwatch.sim.scenario import load_scenario
from heatwatch.units import DAY


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenario", nargs="?", default="service_area_1000")
    ap.add_argument("--days", type=float, default=None, help="run only the first D days, extrapolate")
    ap.add_argument("--poll", type=float, default=5.0, help="minutes between readings (0: every step)")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--site", default=None, help="one site of the scenario")
    ap.add_argument("--fleet-prior", action="store_true", help="agents start on an earlier cohort's fleet prior")
    a = ap.parse_args()
    sc = load_scenario(a.scenario)
    full_days = sc.duration_s / DAY
    if a.days is not None and a.days < full_days:
        sc = dataclasses.replace(sc, duration_s=a.days * DAY)
    days = sc.duration_s / DAY
    poll_s = a.poll * 60 if a.poll > 0 else None
    parts = parts_of([sc])
    if a.site is not None:
        parts = [p for p in parts if p.site == a.site]
        if not parts:
            sys.exit(f"error: {a.scenario} has no site {a.site!r} (sites: {', '.join(p.site for p in parts_of([sc]))})")
    priors = earlier_cohort_priors([p.scenario for p in parts], stride=stride_for(sc.step_s, poll_s)) \
        if a.fleet_prior else None
    run = run_parts(parts, poll_s, workers=a.workers, priors=priors)
    size = sum(p.scenario.size for p in parts)
    full_size = sc.size
    pump_days = size * days
    where = f"{a.scenario}/{a.site}" if a.site else a.scenario
    print(f"scenario {where}: {size} pumps, {pump_days:,.0f} pump-days ({days:g} of {full_days:g} days), "
          f"poll {a.poll:g} min, {run.workers} workers" + (", fleet prior" if priors is not None else ""))
    print(f"wall {run.wall_s:.1f} s, readings {run.readings:,}, {run.readings / run.wall_s:,.0f} readings/s "
          f"(wall), CPU {run.cpu_s:.1f} s of which simulator {run.sim_cpu_s:.1f} s: "
          f"{run.readings / max(run.cpu_s - run.sim_cpu_s, 1e-9):,.0f} readings per pipeline+gateway CPU s, "
          f"{size * sc.n_steps / max(run.sim_cpu_s, 1e-9):,.0f} simulator device-steps per CPU s")
    if days < full_days or size < full_size:
        scale = full_days / days * full_size / size
        print(f"whole scenario extrapolated: wall {run.wall_s * scale / 60:.1f} min here, "
              f"CPU {run.cpu_s * scale / 60:.1f} min (= {run.cpu_s * scale / 60 / max(run.workers, 1):.1f} min "
              f"of wall on {run.workers} free cores)")


if __name__ == "__main__":
    main()
