"""Does a fault's raise carry a trip date? Figures from bench/lead_time.py's saved outcomes.

    python bench/raise_dates.py A.json [B.json ...]

For the faults that tripped and were named before their trip: how many were raised with a date, how
many of those first dates lie within a factor 2 of the real time to the trip and how many intervals hold
it; then every estimate issued before the trip (raise and updates), and the pumps with a false or wrong
alarm. A raise's basis is read from its explanation: the prior's bands ("design data"), the pump's own
first days ("own first days"), a fleet ("same model"), else its own model. Several files are summed
(bench/heldout39_raisedate.md reads the two held-out files together).
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter
from pathlib import Path

from heatwatch.faults import FAULTS

DAY = 86400.0


def basis_of(explanation: str) -> str:
    if "design data" in explanation:
        return "prior"
    if "own first days" in explanation:
        return "own start"
    if "same model" in explanation:
        return "fleet"
    return "model"


def _within_2x(pred: float, actual: float) -> bool:
    pred, actual = max(pred, 0.04), max(actual, 0.04)
    return abs(math.log2(pred / actual)) <= 1.0


def figures(paths: list[str]) -> dict:
    named = dated = within = holds = 0
    every = every_within = every_holds = 0
    healthy_alarm = wrong = 0
    bases: Counter = Counter()
    rows = []
    for path in paths:
        for outcomes in json.loads(Path(path).read_text()).values():
            for o in outcomes:
                trip = o["trip_ts"]
                before = {f: t for f, t in o["raised"].items() if trip is None or t < trip}
                pump = [f for f in before if not FAULTS[f].sensor_fault]
                if not o["fault"]:
                    healthy_alarm += bool(pump)
                    continue
                wrong += any(f != o["fault"] for f in pump)
                if trip is None or o["fault"] not in before:
                    continue
                raises = [e for e in o["events"] if e["fault"] == o["fault"] and e["ts"] < trip
                          and e["kind"] in ("fault", "fault_update")]
                for e in raises:
                    p = e.get("prognosis")
                    if p:
                        every += 1
                        every_within += _within_2x((p["predicted_trip_ts"] - e["ts"]) / DAY, (trip - e["ts"]) / DAY)
                        every_holds += p["lower_ts"] <= trip <= p["upper_ts"]
                first = next((e for e in raises if e["kind"] == "fault"), None)
                if first is None:
                    continue
                named += 1
                bases[basis_of(first["explanation"])] += 1
                p = first.get("prognosis")
                row = [o["device"], o["fault"], basis_of(first["explanation"]), f"{(trip - first['ts']) / DAY:.1f}"]
                if p:
                    dated += 1
                    w = _within_2x((p["predicted_trip_ts"] - first["ts"]) / DAY, (trip - first["ts"]) / DAY)
                    h = p["lower_ts"] <= trip <= p["upper_ts"]
                    within, holds = within + w, holds + h
                    row += [f"{(p['predicted_trip_ts'] - first['ts']) / DAY:.1f}",
                            f"{(p['lower_ts'] - first['ts']) / DAY:.1f}-{(p['upper_ts'] - first['ts']) / DAY:.1f}",
                            "x2" if w else "-", "holds" if h else "misses"]
                else:
                    row += ["none"]
                rows.append(row)
    return dict(named=named, dated=dated, within=within, holds=holds, every=every, every_within=every_within,
                every_holds=every_holds, healthy_alarm=healthy_alarm, wrong=wrong, bases=dict(bases), rows=rows)


def main(argv: list[str]) -> None:
    f = figures(argv)
    for r in f["rows"]:
        print("  ".join(r))
    pct = lambda a, b: f"{a}/{b} ({100 * a / b:.0f} %)" if b else f"{a}/0"  # noqa: E731
    print(f"faults named before their trip: {f['named']} (raised by {f['bases']}); raise with a date: "
          f"{pct(f['dated'], f['named'])}; of those within x2: {pct(f['within'], f['dated'])}, interval holds: "
          f"{pct(f['holds'], f['dated'])}")
    print(f"every estimate before the trip: n={f['every']}, within x2 {pct(f['every_within'], f['every'])}, "
          f"interval holds {pct(f['every_holds'], f['every'])}")
    print(f"healthy pumps with a pump-fault alarm: {f['healthy_alarm']}; faulty pumps with a wrong pump diagnosis: "
          f"{f['wrong']}")


if __name__ == "__main__":
    main(sys.argv[1:])
