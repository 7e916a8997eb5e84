"""The window-dated first dates of bench/window_age_paths.py's runs, by the fault's true onset: from
installation (the scenario's onset within ``--from-install-days`` of its start), or begun later (inside
a window held open, or after one). For each, the date issued and what the window's first reading as the
age (main 5cc05b3) said; then every window-dated estimate before the trip, both ways
(bench/heldout44_onset.md).

    python bench/onset_age_table.py F.json F.jsonl [G.json G.jsonl ...]

The onset is the scenario's truth, read only to sort; the code never sees it.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from pathlib import Path

DAY = 86400.0


def _err(said: float, real: float) -> float:
    return abs(math.log2(max(said, 0.04) / max(real, 0.04)))


def _start_ts(scenario: str) -> float:
    from heatwatch.sim.scenario import load_scenario

    return load_scenario(scenario).start_ts


def rows(save: str, log: str) -> tuple[list[dict], list[dict]]:
    """(first window dates, every window-dated estimate before its trip)."""
    made = {}
    for line in Path(log).read_text().splitlines():
        e = json.loads(line)
        made[(e["device"], e["fault"], e["now"])] = e
    firsts, every = [], []
    for scenario, outcomes in json.loads(Path(save).read_text()).items():
        start = _start_ts(scenario)
        for o in outcomes:
            trip = o["trip_ts"]
            if not o["fault"] or trip is None:
                continue
            mine = [e for e in o["events"] if e["fault"] == o["fault"] and e["ts"] < trip]
            for k, ev in enumerate(mine):
                e = made.get((o["device"], o["fault"], ev["ts"]))
                if not e or e["issued"] is None:
                    continue
                real = (trip - ev["ts"]) / DAY
                r = dict(file=Path(scenario).stem.replace("heldout", "h"), device=o["device"], fault=o["fault"],
                         path=e["path"], onset_day=(o["onset_ts"] - start) / DAY,
                         window=((e["first"] - start) / DAY, (e["last"] - start) / DAY),
                         seen=None if e.get("onset") is None else max(e["onset"], e["first"]) / DAY - start / DAY,
                         real=real, issued=e["issued"], main=e["from_first"])
                every.append(r)
                if ev["kind"] == "fault" and k == next(i for i, x in enumerate(mine) if x["kind"] == "fault"):
                    firsts.append(r)
    return firsts, every


def _line(group: list[dict], key: str) -> str:
    if not group:
        return "-"
    errs = [_err(r[key][0], r["real"]) for r in group]
    late = sum(r[key][0] > 2 * r["real"] for r in group)
    holds = sum(r[key][1] <= r["real"] <= r[key][2] for r in group)
    return (f"n {len(group)}, within x2 {sum(x <= 1 for x in errs)}, over twice late {late}, holds {holds}, "
            f"median |log2| {statistics.median(errs):.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--from-install-days", type=float, default=4.0)
    ap.add_argument("pairs", nargs="+")
    a = ap.parse_args()
    firsts, every = [], []
    for save, log in zip(a.pairs[::2], a.pairs[1::2]):
        f, e = rows(save, log)
        firsts += f
        every += e
    print("| file | pump | fault | path | onset day | window days | onset read, day | real d | main (first reading) | branch |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in sorted(firsts, key=lambda r: r["onset_day"]):
        seen = "-" if r["seen"] is None else f"{r['seen']:.1f}"
        print(f"| {r['file']} | {r['device']} | {r['fault']} | {r['path']} | {r['onset_day']:.1f} | "
              f"{r['window'][0]:.1f}-{r['window'][1]:.1f} | {seen} | {r['real']:.1f} | {r['main'][0]:.1f} | "
              f"{r['issued'][0]:.1f} |")
    for label, keep in (("from installation", lambda r: r["onset_day"] <= a.from_install_days),
                        ("begun later", lambda r: r["onset_day"] > a.from_install_days)):
        g = [r for r in firsts if keep(r)]
        print(f"first window dates, {label}: main {_line(g, 'main')}; branch {_line(g, 'issued')}")
    print(f"every window-dated estimate before its trip: main {_line(every, 'main')}; branch {_line(every, 'issued')}")


if __name__ == "__main__":
    main()
