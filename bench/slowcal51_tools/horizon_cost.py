"""Old and candidate horizon mappings applied to dumps outside the tracker (bench/farsoon50_tools/replay_laws.py
dumps of fleets, or join.py's joined loop half-days): each estimate's told date times the ratio of the candidate
mapping's recalibrated raw date to the table's (prognosis_calibration.Calibration.recalibrated_days; shift and
band lift unchanged), kept inside its interval lo..hi as the table keeps it. Per source and per design pooled:
late under 16 days, the weighed cost early + 7 x late, 16+ days within x2, the interval holds (the interval is
around the raw date: a horizon refit leaves it), moved.

    python bench/slowcal51_tools/horizon_cost.py [normal:|slow:|loop:]DUMP.json ... [--map NAME=SLOPE,PIVOT[,BREAK,SLOPE2]]
        (BREAK: log2 raw days beyond which SLOPE2 is the slope, a per-band form; the table's mapping is always "main")
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from heatwatch.edge.heatpump.prognosis_calibration import HORIZON_PIVOT, HORIZON_SLOPE  # noqa: E402

FLOOR = 1.0 / 24.0
K = 7  # a date over twice late costs K early ones (the dispatcher's weighed cost)


def log_told(slope: float, pivot: float, brk: float | None = None, slope2: float | None = None) -> Callable[[float], float]:
    """log2 raw days -> log2 of the recalibrated days: drawn toward ``pivot`` by ``slope`` beyond it, and by
    ``slope2`` beyond ``brk`` (a per-band form); the table's when brk is None."""
    def f(x: float) -> float:
        if brk is None or x <= brk:
            return x + (slope - 1.0) * max(x - pivot, 0.0)
        return f_at(brk) + slope2 * (x - brk)

    def f_at(x: float) -> float:
        return x + (slope - 1.0) * max(x - pivot, 0.0)
    return f


MAIN = log_told(HORIZON_SLOPE, HORIZON_PIVOT)


def redated(e: dict, mapping: Callable[[float], float]) -> float:
    x = math.log2(max(e["raw"], FLOOR))
    p = e["pred"] * 2.0 ** (mapping(x) - MAIN(x))
    return min(max(p, e["lo"]), e["hi"]) if e["hi"] > e["lo"] else p


def figures(est: list[dict], mapping: Callable[[float], float]) -> tuple[int, int, float, int, float, int]:
    """late under 16 days, weighed cost, 16+ within x2 %, n 16+, holds %, moved."""
    late16 = cost = far = far_ok = held = moved = 0
    for e in est:
        p = redated(e, mapping)
        moved += abs(p - e["pred"]) > 1e-9
        r = math.log2(max(e["actual"], FLOOR) / max(p, FLOOR))
        cost += (r > 1) + K * (r < -1)
        late16 += r < -1 and e["actual"] < 16
        held += e["lo"] <= e["actual"] <= e["hi"]
        if e["actual"] >= 16:
            far, far_ok = far + 1, far_ok + (abs(r) <= 1)
    return late16, cost, 100.0 * far_ok / max(far, 1), far, 100.0 * held / max(len(est), 1), moved


def parse_map(text: str) -> tuple[str, Callable[[float], float]]:
    name, _, nums = text.partition("=")
    v = [float(x) for x in nums.split(",")]
    return name, log_told(v[0], v[1], *(v[2:4] if len(v) == 4 else ()))


def main(args: list[str]) -> None:
    maps: dict[str, Callable[[float], float]] = {"main": MAIN}
    sources: dict[str, tuple[str, list[dict]]] = {}
    it = iter(args)
    for a in it:
        if a == "--map":
            name, m = parse_map(next(it))
            maps[name] = m
            continue
        design, _, path = a.rpartition(":") if ":" in a else ("normal", "", a)
        est = [e for e in json.loads(Path(path).read_text()) if not e.get("censored") and "raw" in e]
        sources[Path(path).stem] = (design, est)
    groups: dict[str, list[dict]] = {}
    for design, est in sources.values():
        groups.setdefault(f"[{design}]", []).extend(est)
    rows = {**{k: v for k, (_, v) in sources.items()}, **groups}
    print("source | mapping: late<16, cost (early + 7 x late), 16+ within x2 % (n), holds %, moved")
    for src, est in rows.items():
        for name, m in maps.items():
            l16, cost, x2, n, holds, moved = figures(est, m)
            print(f"{src:10s} {name:14s} late<16 {l16:4d} cost {cost:5d} 16+ x2 {x2:5.1f} % (n={n}) "
                  f"holds {holds:5.1f} % moved {moved}")


if __name__ == "__main__":
    main(sys.argv[1:])
