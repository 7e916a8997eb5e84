"""The loop's fouled condensers' half-days in force (bench/prognosis_in_force.py's walk), per pump and by days left:
within x2, dated over twice too soon (early) and over twice too late (late), the median actual / date.

    python bench/condfar61_tools/loop_cond.py REPORT_DIR [REPORT_DIR2]   (two: side by side, the same pumps)
"""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from prognosis_in_force import half_days  # noqa: E402

from heatwatch.units import DAY  # noqa: E402

FLOOR = 1.0 / 24.0
BANDS = ((0, 2), (2, 4), (4, 8), (8, 16), (16, math.inf))
K = 7


def cells(report: Path, fault: str = "condenser_fouling") -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for p, g, t, _ in half_days(report):
        if p["fault"] != fault:
            continue
        actual = max((p["trip_ts"] - t) / DAY, FLOOR)
        out[f"{p['site']}/{p['device']}"].append((actual, actual / max((g["predicted_ts"] - t) / DAY, FLOOR)))
    return out


def summary(rows: list[tuple[float, float]]) -> str:
    parts = []
    for lo, hi in BANDS:
        b = [r for a, r in rows if lo <= a < hi]
        if b:
            parts.append(f"{lo}+ {sum(0.5 <= r <= 2 for r in b)}/{len(b)} E{sum(r > 2 for r in b)} L{sum(r < 0.5 for r in b)}")
    early, late = sum(r > 2 for _, r in rows), sum(r < 0.5 for _, r in rows)
    ratios = sorted(r for _, r in rows)
    return (f"n {len(rows):3d} x2 {100 * sum(0.5 <= r <= 2 for _, r in rows) / max(len(rows), 1):5.1f}% "
            f"cost {early + K * late:4d} med a/d {ratios[len(ratios) // 2]:.2f} | " + " | ".join(parts))


def main(reports: list[str]) -> None:
    sides = [cells(Path(r)) for r in reports]
    for pump in sorted(set().union(*sides)):
        for i, s in enumerate(sides):
            print(f"{pump if i == 0 else '':22s} {summary(s.get(pump, []))}")
    for i, s in enumerate(sides):
        print(f"{'all' if i == 0 else '':22s} {summary([c for v in s.values() for c in v])}")


if __name__ == "__main__":
    main(sys.argv[1:])
