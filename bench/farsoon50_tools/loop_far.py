"""The loop's half-days in force 16+ days before the trip and dated over twice too soon, per fault and pump,
with the ratio actual / predicted in bands (x2-x3, x3-x5, >x5). Same walk as bench/prognosis_in_force.py.

    python bench/farsoon50_tools/loop_far.py /tmp/s-wearlift46-loop
"""

from __future__ import annotations

import math
import sys
from collections import Counter, defaultdict
from pathlib import Path

from heatwatch.units import DAY

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from prognosis_in_force import half_days  # noqa: E402

FLOOR = 1.0 / 24.0


def cells(report_dir: Path):
    """(fault, site/device, refrigerant, days left, ratio actual/predicted, days since first prognosis,
    days since onset) of every half-day in force."""
    for p, g, t, first in half_days(report_dir):
        pred = max((g["predicted_ts"] - t) / DAY, FLOOR)
        actual = max((p["trip_ts"] - t) / DAY, FLOOR)
        yield (p["fault"], f"{p['site']}/{p['device']}", p["refrigerant"], actual, actual / pred,
               (t - first) / DAY, (t - p["onset_ts"]) / DAY if p.get("onset_ts") else math.nan,
               (p["trip_ts"] - p["onset_ts"]) / DAY if p.get("onset_ts") else math.nan)


def band(r: float) -> str:
    return "x2-x3" if r <= 3 else "x3-x5" if r <= 5 else ">x5"


def main(report_dir: Path) -> None:
    far = [c for c in cells(report_dir) if c[3] >= 16.0]
    soon = [c for c in far if c[4] > 2.0]
    print(f"16+ days: {len(far)} half-days, {len(soon)} dated over twice too soon")
    for key, name in ((0, "fault"), (1, "pump")):
        n_all = Counter(c[key] for c in far)
        by = defaultdict(Counter)
        for c in soon:
            by[c[key]][band(c[4])] += 1
        print(f"\nper {name}: half-days 16+ | too soon | x2-x3 x3-x5 >x5 | median ratio | onset->trip d")
        for k in sorted(by, key=lambda k: -sum(by[k].values())):
            rs = sorted(c[4] for c in soon if c[key] == k)
            ot = sorted({round(c[7], 1) for c in far if c[key] == k})
            extra = f" {soon_fault(soon, k)}" if key == 1 else ""
            print(f"  {k:28s} {n_all[k]:4d} | {sum(by[k].values()):4d} | {by[k]['x2-x3']:4d} {by[k]['x3-x5']:4d} "
                  f"{by[k]['>x5']:4d} | {rs[len(rs) // 2]:5.2f} | {ot}{extra}")
    tot = Counter(band(c[4]) for c in soon)
    print(f"\nall: x2-x3 {tot['x2-x3']} x3-x5 {tot['x3-x5']} >x5 {tot['>x5']}")


def soon_fault(soon, pump):
    return next(c[0] for c in soon if c[1] == pump)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
