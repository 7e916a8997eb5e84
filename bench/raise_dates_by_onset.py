"""bench/raise_dates.py's first-date figures split by when the fault began: within the commissioning
window (from installation) or after it, and the median |log2(predicted / actual)| of each group's first
dates (bench/heldout43_agepivot.md's rule).

    python bench/raise_dates_by_onset.py [--window-days 7] A.json [B.json ...]

The onset is the scenario's truth (bench/lead_time.py saves it), read here only to sort the faults.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from pathlib import Path

from raise_dates import figures

DAY = 86400.0


def _start_ts(scenario: str) -> float:
    from heatwatch.sim.scenario import load_scenario

    return load_scenario(scenario).start_ts


def first_dates(paths: list[str], window_days: float) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {"from installation": [], "after the window": []}
    for path in paths:
        for scenario, outcomes in json.loads(Path(path).read_text()).items():
            start = _start_ts(scenario)
            for o in outcomes:
                trip = o["trip_ts"]
                if not o["fault"] or trip is None:
                    continue
                first = next((e for e in o["events"] if e["fault"] == o["fault"] and e["kind"] == "fault"
                              and e["ts"] < trip), None)
                if first is None:
                    continue
                p = first.get("prognosis")
                real = (trip - first["ts"]) / DAY
                row = dict(file=Path(scenario).stem, device=o["device"], fault=o["fault"], real=real, said=None)
                if p:
                    row.update(said=(p["predicted_trip_ts"] - first["ts"]) / DAY, holds=p["lower_ts"] <= trip <= p["upper_ts"])
                after = (o["onset_ts"] - start) / DAY > window_days
                groups["after the window" if after else "from installation"].append(row)
    return groups


def _err(r: dict) -> float:
    return abs(math.log2(max(r["said"], 0.04) / max(r["real"], 0.04)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--window-days", type=float, default=7.0, help="the commissioning window (detector default)")
    parser.add_argument("saves", nargs="+")
    a = parser.parse_args()
    for label, rows in first_dates(a.saves, a.window_days).items():
        dated = [r for r in rows if r["said"] is not None]
        errs = [_err(r) for r in dated]
        for r in rows:
            said = "none" if r["said"] is None else f"{r['said']:.1f} {'holds' if r['holds'] else 'misses'}"
            print(f"  {label}: {r['file']} {r['device']} {r['fault']} real {r['real']:.1f} said {said}")
        print(f"{label}: named before their trip {len(rows)}, dated {len(dated)}, within x2 "
              f"{sum(e <= 1 for e in errs)}, intervals hold {sum(r['holds'] for r in dated)}, median |log2| "
              f"{statistics.median(errs) if errs else float('nan'):.2f}")
    f = figures(a.saves)
    print(f"every estimate before the trip: n={f['every']}, within x2 {f['every_within']}, holds {f['every_holds']}; "
          f"faults named {f['named']}; healthy pumps with a pump-fault alarm {f['healthy_alarm']}; "
          f"wrong pump diagnoses {f['wrong']}")


if __name__ == "__main__":
    main()
