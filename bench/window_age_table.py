"""The first dates made from a commissioning window (bench/window_age_paths.py's log beside
bench/lead_time.py's saved outcomes), by the fault's onset against the window's last reading: the date
issued, and what the window's first reading as the age (main 1e13f79) and the fleets' pivot said.

    python bench/window_age_table.py F.json F.jsonl [G.json G.jsonl ...]

The onset is the scenario's truth, read here only to sort the raises for the tables of
bench/heldout43_agepivot.md; the code never sees it.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from pathlib import Path

DAY = 86400.0


def _err(said: float, real: float) -> float:
    return abs(math.log2(max(said, 0.04) / max(real, 0.04)))


def rows(save: str, log: str) -> list[dict]:
    made = {}
    for line in Path(log).read_text().splitlines():
        e = json.loads(line)
        made[(e["device"], e["fault"], e["now"])] = e
    out = []
    for scenario, outcomes in json.loads(Path(save).read_text()).items():
        for o in outcomes:
            if not o["fault"] or o["trip_ts"] is None:
                continue
            first = next((e for e in o["events"] if e["fault"] == o["fault"] and e["kind"] == "fault"
                          and e["ts"] < o["trip_ts"]), None)
            e = first and made.get((o["device"], o["fault"], first["ts"]))
            if not e or e["issued"] is None:
                continue
            out.append(dict(file=Path(scenario).stem, device=o["device"], fault=o["fault"], path=e["path"],
                            after=(o["onset_ts"] - e["last"]) / DAY, real=(o["trip_ts"] - first["ts"]) / DAY,
                            issued=e["issued"][0], from_first=e["from_first"][0], fleets=e["fleets"][0],
                            holds=e["issued"][1] <= (o["trip_ts"] - first["ts"]) / DAY <= e["issued"][2]))
    return out


def summary(group: list[dict], key: str) -> str:
    if not group:
        return "-"
    errs = [_err(r[key], r["real"]) for r in group]
    return f"within x2 {sum(x <= 1 for x in errs)}/{len(errs)}, median |log2| {statistics.median(errs):.2f}"


def main(args: list[str]) -> None:
    table = [r for save, log in zip(args[::2], args[1::2]) for r in rows(save, log)]
    print("| file | pump | fault | path | onset - window's last reading, d | real d | issued | from first reading | fleets' pivot |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in table:
        print(f"| {r['file']} | {r['device']} | {r['fault']} | {r['path']} | {r['after']:.1f} | {r['real']:.1f} "
              f"| {r['issued']:.1f} | {r['from_first']:.1f} | {r['fleets']:.1f} |")
    for label, test in (("began after the window", lambda r: r["after"] > 0),
                        ("began in or before the window", lambda r: r["after"] <= 0)):
        for path in ("healthy", "own start", "prior"):
            g = [r for r in table if test(r) and r["path"] == path]
            if g:
                print(f"{label}, {path} ({len(g)}): issued {summary(g, 'issued')}; from the first reading "
                      f"{summary(g, 'from_first')}; fleets' pivot {summary(g, 'fleets')}")


if __name__ == "__main__":
    main(sys.argv[1:])
