"""Simulator speed: device-steps per second for a year of 100 pumps at 60 s steps.

    python bench/sim_speed.py [--pumps 100] [--days 365]
"""

from __future__ import annotations

import argparse
import time

from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import parse_scenario


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pumps", type=int, default=100)
    ap.add_argument("--days", type=float, default=365)
    ap.add_argument("--climate", default="stockholm")
    args = ap.parse_args()
    sc = parse_scenario({"fleet": {"size": args.pumps}, "climate": args.climate, "start": "2024-07-01",
                         "duration": f"{args.days}d", "step": "60s", "seed": 1})
    fleet = Fleet(sc)
    t0, c0 = time.perf_counter(), time.process_time()
    with Progress(TextColumn("simulating"), BarColumn(), TextColumn("{task.percentage:>5.1f}%"),
                  TimeRemainingColumn(), transient=True) as progress:
        task = progress.add_task("sim", total=fleet.n_steps)
        for chunk in fleet.chunks(1440):
            progress.advance(task, len(chunk.ts))
    el, cpu = time.perf_counter() - t0, time.process_time() - c0
    total = fleet.n_steps * args.pumps
    # CPU time too: on a shared machine the wall clock also counts the time other processes had the core
    print(f"{args.pumps} pumps x {args.days:g} days at 60 s = {total:,} device-steps in {el:.1f} s: "
          f"{total / el:,.0f} device-steps/s (CPU {cpu:.1f} s: {total / cpu:,.0f} device-steps/s)")


if __name__ == "__main__":
    main()
