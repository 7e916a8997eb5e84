"""Onset -> trip as a multiple of ``time_to_trip``, per pump fault and refrigerant, from bench/sim_trips.py JSONs.

    python bench/sim_trips.py --out trips.json SCENARIOS...
    python bench/trip_ratios.py trips.json [more.json ...]     # a later file's scenario replaces an earlier one's

The figure the fault gains (firmware_sim/pump_faults.py) are fitted on: in the same weather the trip moves as
1/gain, so a gain is scaled by the median ratio of its cell. A pump that does not trip within its file is
counted apart (its ratio is only known to exceed what was left of the file); the table in docs/scenarios.md.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from heatwatch.sim.pump_faults import FAULT_FIELD
from heatwatch.sim.scenario import load_scenario


def _scenario(name: str):
    path = Path("bench/scenarios") / f"{name}.yaml"
    return load_scenario(path if path.exists() else name)


def ratios(runs: list[dict]) -> dict[tuple[str, str], list[float | None]]:
    """(fault, refrigerant) -> each faulty pump's onset -> trip / time_to_trip, None where it did not trip."""
    cells: dict[tuple[str, str], list[float | None]] = defaultdict(list)
    for run in runs:
        sc = _scenario(run["scenario"])
        sites = sc.site_of()
        for dev, f in run["faults"].items():
            if f["fault"] not in FAULT_FIELD:
                continue
            spec = next(x for x in sc.devices[dev].faults if x.type == f["fault"])
            cells[(f["fault"], sites[dev].refrigerant)].append(
                None if f["trip_d"] is None else f["trip_d"] * spec.rate)
    return cells


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("runs", nargs="+", help="JSONs written by bench/sim_trips.py --out")
    args = ap.parse_args()
    by_name: dict[str, dict] = {}
    for fn in args.runs:
        for run in json.loads(Path(fn).read_text("utf-8")):
            by_name[run["scenario"]] = run
    for (fault, ref), vals in sorted(ratios(list(by_name.values())).items()):
        tripped = np.array([v for v in vals if v is not None])
        none = len(vals) - len(tripped)
        spread = f"{tripped.min():.2f}-{tripped.max():.2f} (median {np.median(tripped):.2f})" if len(tripped) else "-"
        print(f"{fault:20s} {ref:5s} {spread:28s} n={len(vals)}, no trip {none}")


if __name__ == "__main__":
    main()
