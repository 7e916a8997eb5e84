"""Per loop pump (joined half-days, join.py), its far (16+ days) too-soon half-days: indicator, path, the law and
window of the rivals' median, progress, the progress move, and whether the raw date (no table) was within x2.

    python bench/farsoon50_tools/loop_pumps.py /tmp/fs50/j_loop3.json
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


def main(path: str) -> None:
    d = json.loads(open(path).read())
    soon = [e for e in d if e["actual"] >= 16 and lr(e["actual"], e["pred"]) > 1]
    print("pump | n | indicator:path | law | window | progress median [q25,q75] | move lift/draw/none | "
          "raw within x2 / raw too soon / raw late | median actual/date, actual/raw")
    for dev in sorted({e["site"] + "/" + e["device"] for e in soon}, key=lambda k: -sum(e["site"] + "/" + e["device"] == k for e in soon)):
        s = [e for e in soon if e["site"] + "/" + e["device"] == dev]
        fr = [e["frac"] for e in s if e.get("frac") is not None and math.isfinite(e["frac"])]
        ind = Counter(f"{e['indicator']}:{e['dated_by']}" for e in s).most_common(3)
        rk = [lr(e["actual"], e["raw"]) for e in s]
        q = np.quantile(fr, [0.25, 0.5, 0.75]) if fr else [math.nan] * 3
        print(f"{dev} {s[0]['fault']} | {len(s)} | {ind} | {Counter(e['law'] for e in s).most_common(3)} | "
              f"{Counter(e['window'] for e in s).most_common(3)} | {q[1]:.2f} [{q[0]:.2f},{q[2]:.2f}] | "
              f"{sum(e['move'] > 0 for e in s)}/{sum(e['move'] < 0 for e in s)}/{sum(e['move'] == 0 for e in s)} | "
              f"{sum(abs(r) <= 1 for r in rk)}/{sum(r > 1 for r in rk)}/{sum(r < -1 for r in rk)} | "
              f"{2 ** np.median([lr(e['actual'], e['pred']) for e in s]):.1f} {2 ** np.median(rk):.2f}")


if __name__ == "__main__":
    main(sys.argv[1])
