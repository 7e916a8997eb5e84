"""Healthy pumps in air held near one temperature: which trip, on what, as the air gets colder.

    python bench/cold_envelope.py [--temps -10,-15,-20,-22,-24,-26,-28,-32,-36] [--refrigerants R32,R290]
                                  [--days 6] [--no-derate] [--no-cutout]

Six healthy pumps (radiators, underfloor, fan coils; small and large) per temperature, the air held
near it (±3 K a day, 1 K anomalies). A real unit stays inside its data sheet's envelope: it derates
near its discharge trip and does not run below its lowest outdoor temperature, so a healthy pump that
trips here is a simulator artefact. ``--no-derate`` / ``--no-cutout`` switch one of the two limits off
(the constants of firmware_sim/refrigerant_cycle.py and demand.py), to see what either alone does;
on code without them they change nothing.

Figures (2026-12-06, s-cold27, 6 days, seed 77): see docs/simulator.md, "Cold-climate limits".
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np

from heatwatch.sim import demand, refrigerant_cycle
from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import parse_scenario

EMITTERS = [("radiators", 6), ("radiators", 16), ("underfloor", 6), ("underfloor", 16), ("fan_coils", 8),
            ("fan_coils", 12)]


def cold_fleet(t_c: float, refrigerant: str, days: float, seed: int = 77) -> Fleet:
    """Six healthy pumps, every emitter, small and large, in air held near ``t_c``."""
    raw = {
        "name": f"cold_{t_c:g}", "fleet": {"size": len(EMITTERS)},
        "climate": {"name": "const", "monthly_c": [t_c] * 12, "diurnal_amp_c": [3.0, 3.0],
                    "anomaly_sigma_c": [1.0, 1.0], "monthly_rh": [70] * 12, "utc_offset_h": 1,
                    "design_c": max(t_c - 4.0, -45.0)},
        "start": "2030-01-05", "duration": f"{days:g}d", "step": "60s", "seed": seed, "refrigerant": refrigerant,
        "devices": {f"hp-00{i}": {"emitters": e, "capacity_kw": c} for i, (e, c) in enumerate(EMITTERS)},
    }
    return Fleet(parse_scenario(raw))


def run(t_c: float, refrigerant: str, days: float) -> dict:
    """Trips by kind, pumps tripping, lockouts, the hottest running discharge and the running share."""
    fleet = cold_fleet(t_c, refrigerant, days)
    t_dis, running, t_in = [], [], []
    for c in fleet.chunks(1440):
        t_dis.append(c.truth["t_discharge"])
        running.append(c.truth["running"].astype(bool))
        t_in.append(c.truth["t_indoor"])
    t_dis, running, t_in = np.concatenate(t_dis), np.concatenate(running), np.concatenate(t_in)
    kinds = Counter(t.kind for t in fleet.trips)
    return {"trips": sum(kinds.values()), "kinds": dict(kinds), "pumps": len({t.device for t in fleet.trips}),
            "dis_max": float(t_dis[running].max()) if running.any() else float("nan"),
            "running": float(running.mean()), "indoor_min": float(t_in[-1440:].min())}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--temps", default="-10,-15,-20,-22,-24,-26,-28,-32,-36")
    ap.add_argument("--refrigerants", default="R32,R290")
    ap.add_argument("--days", type=float, default=6.0)
    ap.add_argument("--no-derate", action="store_true", help="the discharge derate off (DERATE_START_C = inf; s-cold26: DERATE_MAX_K = 0)")
    ap.add_argument("--no-cutout", action="store_true", help="no lowest outdoor temperature")
    args = ap.parse_args()
    if args.no_derate and hasattr(refrigerant_cycle, "DERATE_START_C"):
        refrigerant_cycle.DERATE_START_C = float("inf")
    elif args.no_derate and hasattr(refrigerant_cycle, "DERATE_MAX_K"):
        refrigerant_cycle.DERATE_MAX_K = 0.0
    if args.no_cutout and hasattr(demand, "LOWEST_OUTDOOR_C"):
        demand.LOWEST_OUTDOOR_C = -1e9
    print("refrigerant  air °C  trips (kinds)  pumps tripping  hottest running discharge °C  running share  "
          "coldest room, last day °C")
    for ref in args.refrigerants.split(","):
        for t_c in (float(x) for x in args.temps.split(",")):
            r = run(t_c, ref, args.days)
            print(f"{ref:5s} {t_c:6.0f}  {r['trips']:3d} {r['kinds']}  {r['pumps']}/{len(EMITTERS)}  "
                  f"{r['dis_max']:.1f}  {r['running']:.2f}  {r['indoor_min']:.1f}", flush=True)


if __name__ == "__main__":
    main()
