"""The figures of bench/heldout44_onset.md's pass rule, main's saves beside the branch's.

    python bench/onset_rule.py --main M1.json [M2.json ...] --branch B1.json [B2.json ...] --logs L1.jsonl [L2.jsonl ...]

Faults that tripped and were named before their trip, grouped by the scenario's onset (its truth, read
here only to sort): from installation (day <= --from-install-days) or begun later. "Window-dated later
faults": begun later, their first date on the branch made from a commissioning window (the branch's
bench/window_age_paths.py logs); for those, each code's own first date. Then every estimate and
detection (bench/raise_dates.py's figures).
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from pathlib import Path

from raise_dates import figures
from raise_dates_by_onset import first_dates

DAY = 86400.0


def _err(said: float, real: float) -> float:
    return abs(math.log2(max(said, 0.04) / max(real, 0.04)))


def _window_dated(saves: list[str], logs: list[str]) -> set[tuple[str, str]]:
    made = {(e["device"], e["fault"], e["now"]) for log in logs for e in map(json.loads, Path(log).read_text().splitlines())}
    out = set()
    for save in saves:
        for scenario, outcomes in json.loads(Path(save).read_text()).items():
            for o in outcomes:
                trip = o["trip_ts"]
                first = next((e for e in o["events"] if e["fault"] == o["fault"] and e["kind"] == "fault"
                              and trip is not None and e["ts"] < trip), None)
                if first is not None and (o["device"], o["fault"], first["ts"]) in made:
                    out.add((Path(scenario).stem, o["device"]))
    return out


def _summary(rows: list[dict]) -> str:
    dated = [r for r in rows if r["said"] is not None]
    errs = [_err(r["said"], r["real"]) for r in dated]
    return (f"named {len(rows)}, dated {len(dated)}, within x2 {sum(e <= 1 for e in errs)}, "
            f"over twice late {sum(r['said'] > 2 * r['real'] for r in dated)}, holds {sum(r['holds'] for r in dated)}, "
            f"median |log2| {statistics.median(errs) if errs else float('nan'):.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--main", nargs="+", required=True)
    ap.add_argument("--branch", nargs="+", required=True)
    ap.add_argument("--logs", nargs="+", required=True)
    ap.add_argument("--from-install-days", type=float, default=4.0)
    a = ap.parse_args()
    windowed = _window_dated(a.branch, a.logs)
    for code, saves in (("main", a.main), ("branch", a.branch)):
        g = first_dates(saves, a.from_install_days)
        later = [r for r in g["after the window"] if (r["file"], r["device"]) in windowed]
        for r in later:
            print(f"  {code} window-dated later: {r['file']} {r['device']} {r['fault']} real {r['real']:.1f} "
                  f"said {r['said'] if r['said'] is None else round(r['said'], 1)}")
        print(f"{code}: from installation: {_summary(g['from installation'])}")
        print(f"{code}: begun later: {_summary(g['after the window'])}")
        print(f"{code}: window-dated later faults: {_summary(later)}")
        f = figures(saves)
        print(f"{code}: every estimate n={f['every']}, within x2 {f['every_within']} "
              f"({100 * f['every_within'] / max(f['every'], 1):.1f} %), holds {f['every_holds']} "
              f"({100 * f['every_holds'] / max(f['every'], 1):.1f} %); named {f['named']}; healthy alarms "
              f"{f['healthy_alarm']}; wrong pump diagnoses {f['wrong']}")


if __name__ == "__main__":
    main()
