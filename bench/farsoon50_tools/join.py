"""The loop's half-days in force (bench/prognosis_in_force.py's walk) joined to record_loop.py's rows: the date
in force is matched by fault, hour and date (to a minute) to the recorded prognosis, whose features it takes.
Writes the joined half-days as a dump far_table.py reads (actual, pred = days from the half-day; the features
as of the hour the date was made).

    python bench/farsoon50_tools/join.py /tmp/s-wearlift46-loop OUT.json /tmp/fs50/loop_milano.json [...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from heatwatch.units import DAY

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from prognosis_redate import ticketed  # noqa: E402

STEP_S = 0.5 * DAY
FLOOR = 1.0 / 24.0


def main(report: Path, out: Path, recs: list[str]) -> None:
    rows = {}
    sites = set()
    for r in recs:
        site = Path(r).stem.replace("loop_", "")
        sites.add(site)
        for f in json.loads(Path(r).read_text()):
            rows.setdefault((site, f["fault"], round(f["ts"])), []).append(f)
    joined, missed, total = [], 0, 0
    for p, ahead in ticketed(report):
        if p["site"] not in sites:
            continue
        sent = sorted(ahead, key=lambda g: g["ts"])
        if not sent:
            continue
        t, i = sent[0]["ts"], 0
        while t < p["trip_ts"]:
            while i + 1 < len(sent) and sent[i + 1]["ts"] <= t:
                i += 1
            g = sent[i]
            total += 1
            cand = [f for f in rows.get((p["site"], p["fault"], round(g["ts"])), [])
                    if abs(f["predicted_ts"] - g["predicted_ts"]) < 60.0]
            if not cand:
                missed += 1
            else:
                e = dict(cand[0])
                e.update(actual=max((p["trip_ts"] - t) / DAY, FLOOR), pred=max((g["predicted_ts"] - t) / DAY, FLOOR),
                         lo=(g["earliest_ts"] - t) / DAY, hi=(g["latest_ts"] - t) / DAY, device=p["device"],
                         site=p["site"], made_days_ago=(t - g["ts"]) / DAY,
                         raw=e["raw"] - (t - g["ts"]) / DAY)
                joined.append(e)
            t += STEP_S
    out.write_text(json.dumps(joined))
    print(f"{total} half-days of {sorted(sites)}: {len(joined)} joined, {missed} not found")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:])
