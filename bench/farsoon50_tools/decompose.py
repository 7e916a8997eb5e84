"""The far (16+ days) too-soon estimates taken apart: was the raw date (no table) already over twice too soon
(the estimator: its growth law / window / progress), or within x2 or late and the table's horizon recalibration
drew it in over the line? Per source, fault and indicator.

    python bench/farsoon50_tools/decompose.py DUMP.json [MORE.json ...]
"""

from __future__ import annotations

import json
import math
import sys
from collections import Counter

import numpy as np

FLOOR = 1.0 / 24.0


def lr(a: float, p: float) -> float:
    return math.log2(max(a, FLOOR) / max(p, FLOOR))


def kind(e: dict) -> str:
    r = lr(e["actual"], e["raw"])
    return "raw too soon" if r > 1 else "raw within x2" if r >= -1 else "raw late"


def main(paths: list[str]) -> None:
    for path in paths:
        d = json.loads(open(path).read())
        far = [e for e in d if e["actual"] >= 16]
        soon = [e for e in far if lr(e["actual"], e["pred"]) > 1]
        c = Counter()
        for e in soon:
            c[(e["fault"], e["indicator"], kind(e))] += 1
        print(f"{path.rsplit('/', 1)[-1]}: 16+ days {len(far)}, too soon {len(soon)}; raw within x2 of those "
              f"{sum(abs(lr(e['actual'], e['raw'])) <= 1 for e in soon)}, raw late {sum(lr(e['actual'], e['raw']) < -1 for e in soon)}")
        for k, n in sorted(c.items(), key=lambda kv: -kv[1])[:10]:
            sel = [e for e in soon if (e["fault"], e["indicator"], kind(e)) == k]
            fr = [e["frac"] for e in sel if e.get("frac") is not None and math.isfinite(e["frac"])]
            print(f"  {k[0]:18s} {k[1]:13s} {k[2]:14s} {n:4d}  median raw {np.median([e['raw'] for e in sel]):6.1f} d, "
                  f"frac {np.median(fr) if fr else math.nan:5.2f}, "
                  f"laws {Counter(e.get('law') for e in sel).most_common(3)}, "
                  f"windows {Counter(e.get('window') for e in sel).most_common(3)}")


if __name__ == "__main__":
    main(sys.argv[1:])
