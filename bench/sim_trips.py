"""Which simulated pumps trip, on what, and when: healthy pumps' trips and faulty pumps' trip times.

    python bench/sim_trips.py service_area_200 fault_eev_stuck_open bench/scenarios/*.yaml
    python bench/sim_trips.py --out before.json SCENARIOS...   # then --compare before.json

A healthy pump that trips is a simulator artefact unless its physics says why; a fault's trip time
is what the detectors' lead times are measured against. The simulator alone, no agents.

Figures, flood-back masked after a mode change as after a start (main 90cedcb -> s-simreal), over
every shipped scenario but service_area_1000 (not run: ~8 CPU min): healthy pumps tripping on
flood-back 2 -> 0 (service_area_200 hp-120 and its copy eev_open_from_install_baerum_r290 hp-015,
day 26.6: a switch to hot water 5 min after a start), healthy pumps tripping on anything else 0 -> 0.
EEV stuck open, days from onset to the flood-back trip (time_to_trip): service_area_200 hp-007 13.58,
hp-012 10.31, hp-105 4.51, hp-156 6.89 all unchanged; fault_eev_stuck_open hp-001 23.45 -> 27.01 (20),
hp-002 45.53 -> 48.39 (35), hp-003 no trip either way (50); fault_from_install hp-007 45.63 -> 46.90 (35);
mixed_fleet_winter hp-079 24.58 -> 25.62; eev_open_from_install_baerum_r290 hp-000 4.51 -> 4.51 (5),
hp-008 9.74 -> 11.21 (12), hp-021 17.21 -> 18.62 (20); eev_open_from_install_stockholm hp-007 13.58 ->
13.58 (11), hp-013 25.54 -> 26.21 (20), hp-031 8.39 -> 8.44 (7); installed_faulty hp-006 31.69 -> 34.21
(25); installed_faulty_r290 hp-006 20.31 -> 25.42 (25). Only later, never earlier: the old trips came in
part from the same hot-water dip on top of the fault. Every other fault's trip unchanged.
What that moves in the prognosis (bench/prognosis_fleets.py collect --seed 2001, then replay): its two
valves open trip on days 77 and 40 -> 77 and 41; valve-open estimates within x2 28 % -> 24 %, interval
holds 63 % -> 59 % (n 158 -> 160); all faults every estimate 51 % / 83 % -> 50 % / 82 %, first 71 % / 93 %
unchanged.

Figures, a gain per refrigerant for the valve faults (s-lead, REFRIGERANT_GAIN): R32 valve open
1.21-1.38 -> 0.91-1.05 x time_to_trip, valve closed 0.75-0.89 -> 0.84-1.01; R290 and every other
fault unchanged. What that moves in the agent (bench/lead_time.py --stride 5 fault_eev_stuck_open
fault_eev_stuck_closed bench/scenarios/eev_open_from_install_stockholm.yaml): 9/9 named before the
trip either way, 0 wrong diagnoses; lead share median 0.65 -> 0.64, min 0.43 -> 0.39 (n 8 -> 9:
fault_eev_stuck_open hp-003 now trips); first prognosis within x2 40 % -> 83 % (n 5 -> 6), every
prognosis 53 % / 86 % -> 54 % / 90 % (within x2 / interval holds).

Figures, cold-climate limits measured on branch s-cold26 and NOT adopted (main's simulator has neither;
docs/simulator.md, "Cold-climate limits"): a discharge derate 110-115 °C, at most 4 K, and a lowest
outdoor temperature of -25 °C, main d9f18f8 -> s-cold26, every shipped scenario but service_area_1000:
healthy pumps' trips heldout26_tdis_b_steppe_r32 5 -> 0, heldout26_tdis_highland_r32 1 -> 0,
wear_cold_r32 9 -> 0 (all discharge over-temperature in cold spells), every other file 0 -> 0. No fault
trips sooner. Later: compressor wear 32 of 45 (median +5.2 d, max +20.9; 7 no longer trip within the
file), leak 18 of 22 (median +1.9, max +17.9), valve closed 19 of 27 (+1.1, max +4.0), evaporator
fouling 10 of 17 (+0.8, max +5.4), condenser fouling 1 of 20; two low flows and one condenser fouling
trip on the flow switch / high pressure instead of the discharge. Constant air: bench/cold_envelope.py.

Figures, s-cold28 (adopted with s-derate28b in the twenty-seventh round: the derate steps down to the minimum
frequency, FAULT_GAIN re-fitted with both limits; docs/simulator.md), main 77c5152 -> f4501a8, the same files
but heldout27/28_cold: healthy trips 15 -> 0 (the three files above); wear 46 -> 62 of 80 trip in their file,
the 46 at a median 1.00 x main's day (10-90 % 0.76-1.32); leaks 0.94 x (0.74-1.05), installed_faulty_r290
hp-001 no longer trips; valve closed 1.00 x, fouling 1.00 x, low flow 3 of 41 later, valve open unchanged.
On main with it (84a035f, every shipped file but service_area_1000, the heldout cold files included: 92):
healthy pumps tripping 0 on every file; onset -> trip / time_to_trip per fault in docs/scenarios.md.
"""

from __future__ import annotations

import argparse
import json
import time

from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import load_scenario


def run(name: str, chunk: int = 1440) -> dict:
    """The scenario's trips: per healthy pump its trip kinds, per faulty pump its first trip after onset."""
    sc = load_scenario(name)
    fleet = Fleet(sc)
    for _ in fleet.chunks(chunk):
        pass
    faulty = {t.device: t for t in fleet.truth}
    healthy: dict[str, list[list]] = {}
    for t in fleet.trips:
        if t.device not in faulty:
            healthy.setdefault(t.device, []).append([round((t.ts - sc.start_ts) / 86400.0, 3), t.kind])
    faults = {d: {"fault": t.fault, "onset_d": round((t.onset_ts - sc.start_ts) / 86400.0, 3),
                  "trip_d": None if t.trip_ts is None else round((t.trip_ts - t.onset_ts) / 86400.0, 3),
                  "kind": t.trip_kind} for d, t in faulty.items()}
    return {"scenario": sc.name, "pumps": len(fleet.devices), "healthy_trips": healthy, "faults": faults}


def summary(r: dict) -> str:
    fb = sum(1 for trips in r["healthy_trips"].values() if any(k == "flood_back" for _, k in trips))
    other = sum(1 for trips in r["healthy_trips"].values() if any(k != "flood_back" for _, k in trips))
    lines = [f"{r['scenario']}: {r['pumps']} pumps, healthy pumps tripping on flood-back {fb}, on other limits {other}"]
    for d, trips in sorted(r["healthy_trips"].items()):
        lines.append(f"  healthy {d}: " + ", ".join(f"{k} day {t:g}" for t, k in trips[:6])
                     + (f" (+{len(trips) - 6})" if len(trips) > 6 else ""))
    for d, f in sorted(r["faults"].items()):
        trip = "no trip" if f["trip_d"] is None else f"{f['kind']} {f['trip_d']:g} d after onset"
        lines.append(f"  {d} {f['fault']} (onset day {f['onset_d']:g}): {trip}")
    return "\n".join(lines)


def compare(before: list[dict], after: list[dict]) -> str:
    """Healthy flood-back pumps and every fault's trip time, before -> after."""
    old = {r["scenario"]: r for r in before}
    lines = []
    for r in after:
        b = old.get(r["scenario"])
        if b is None:
            continue
        fb = lambda x: sorted(d for d, t in x["healthy_trips"].items() if any(k == "flood_back" for _, k in t))  # noqa: E731
        n_trips = lambda x: sum(len(t) for t in x["healthy_trips"].values())  # noqa: E731
        lines.append(f"{r['scenario']}: healthy flood-back pumps {fb(b)} -> {fb(r)}; healthy pumps' trips "
                     f"(all kinds) {n_trips(b)} -> {n_trips(r)}")
        for d, f in sorted(r["faults"].items()):
            g = b["faults"].get(d, {})
            if (g.get("trip_d"), g.get("kind")) != (f["trip_d"], f["kind"]) or f["fault"] == "eev_stuck_open":
                lines.append(f"  {d} {f['fault']}: {g.get('kind')} {g.get('trip_d')} d -> {f['kind']} {f['trip_d']} d")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("scenarios", nargs="+", help="built-in scenario names or YAML paths")
    ap.add_argument("--out", help="write the trips as JSON here")
    ap.add_argument("--compare", help="a JSON written by --out before a change: print what moved")
    args = ap.parse_args()
    results = []
    for name in args.scenarios:
        t0 = time.perf_counter()
        r = run(name)
        results.append(r)
        print(summary(r), f"  [{time.perf_counter() - t0:.0f} s]", flush=True)
    if args.out:
        with open(args.out, "w") as fh:
            json.dump(results, fh, indent=1)
    if args.compare:
        with open(args.compare) as fh:
            print("\nbefore -> after\n" + compare(json.load(fh), results))


if __name__ == "__main__":
    main()
