"""rule_cost.py's candidate (raw >= RAW days, progress under FRAC: the horizon recalibration's slope SLOPE in place of
the table's) per source and fault: late under 16 days, weighed cost, 16+ days within x2, main -> candidate.

    python bench/farsoon50_tools/rule_faults.py RAW FRAC SLOPE DUMP.json [MORE.json ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rule_cost import far_low, figures, unshrink  # noqa: E402


def main(raw: float, frac: float, slope: float, paths: list[str]) -> None:
    rule, step = far_low(raw, frac), unshrink(slope)
    for p in paths:
        est = json.loads(open(p).read())
        for fault in sorted({e["fault"] for e in est}):
            sel = [e for e in est if e["fault"] == fault]
            a, b = figures(sel, lambda e: False, 0.0), figures(sel, rule, step)
            if b[4]:
                print(f"{p.rsplit('/', 1)[-1]:14s} {fault:20s} late<16 {a[0]:4d} -> {b[0]:4d}  cost {a[1]:5d} -> {b[1]:5d}  "
                      f"16+ x2 {a[3]:5.1f} -> {b[3]:5.1f} % (n={a[2]})  moved {b[4]}")


if __name__ == "__main__":
    main(float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), sys.argv[4:])
