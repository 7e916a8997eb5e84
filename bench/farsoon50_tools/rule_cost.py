"""A candidate move applied to replay_laws.py dumps outside the tracker: each estimate meeting the rule has its
date times 2^step (kept inside its interval lo..hi, as prognosis._moved keeps it); then pooled late under 16 days,
the weighed cost early + 7 x late over every estimate, 16+ days within x2, per source and pooled.

    python bench/farsoon50_tools/rule_cost.py DUMP.json [MORE.json ...]
"""

from __future__ import annotations

import json
import math
import sys

FLOOR = 1.0 / 24.0
K = 7


def lr(actual: float, pred: float) -> float:
    return math.log2(max(actual, FLOOR) / max(pred, FLOOR))


def figures(est: list[dict], rule, step: float) -> tuple[int, int, int, float, int]:
    late16 = early = late = 0
    far = far_ok = moved = 0
    for e in est:
        p = e["pred"]
        st = step(e) if callable(step) else step
        if rule(e) and st:
            p = min(max(p * 2.0 ** st, e["lo"]), e["hi"]) if e["hi"] > e["lo"] else p * 2.0 ** st
            moved += p != e["pred"]
        r = lr(e["actual"], p)
        early += r > 1
        late += r < -1
        late16 += r < -1 and e["actual"] < 16
        if e["actual"] >= 16:
            far += 1
            far_ok += abs(r) <= 1
    return late16, early + K * late, far, 100.0 * far_ok / max(far, 1), moved


RULES = {
    "main": (lambda e: False, 0.0),
}
OLD = {
    "curv_z>30 raw>=4 x1.41": (lambda e: e.get("raw", 0) >= 4 and e.get("curv_z", -1e9) > 30, 0.5),
    "curv_z>50 raw>=4 x1.41": (lambda e: e.get("raw", 0) >= 4 and e.get("curv_z", -1e9) > 50, 0.5),
    "curv_z>30 raw>=8 x1.41": (lambda e: e.get("raw", 0) >= 8 and e.get("curv_z", -1e9) > 30, 0.5),
    "accel>1 raw>=4 x1.41": (lambda e: e.get("raw", 0) >= 4 and e.get("accel", -1e9) > 1.0, 0.5),
    "n_exp>0 raw>=8 x1.41": (lambda e: e.get("raw", 0) >= 8 and e.get("n_exp", 0) > 0, 0.5),
    "window5 raw>=8 x1.41": (lambda e: e.get("raw", 0) >= 8 and e.get("window") == 5, 0.5),
    "since_raise<5 raw>=8 x1.41": (lambda e: e.get("raw", 0) >= 8 and e.get("since_raise", 99) < 5, 0.5),
    "frac<0.3 raw>=8 x1.41": (lambda e: e.get("raw", 0) >= 8 and e.get("frac", 9) < 0.3, 0.5),
}
if "--old" in sys.argv:  # the first, simpler rules (each one lift of x1.41)
    RULES.update(OLD)


SLOPE, PIVOT = 0.328, 3.160  # prognosis_calibration.HORIZON_SLOPE, HORIZON_PIVOT


def unshrink(s2: float):
    """log2 step that turns the table's horizon recalibration (slope SLOPE toward PIVOT) into slope s2."""
    return lambda e: (s2 - SLOPE) * max(math.log2(max(e["raw"], FLOOR)) - PIVOT, 0.0)


def far_low(raw_min: float, frac_max: float):
    return lambda e: e.get("raw", 0) >= raw_min and (e.get("frac") is not None and math.isfinite(e["frac"])
                                                     and e["frac"] < frac_max)


for _r in (16.0, 32.0):
    for _f in (0.1, 0.2):
        for _s in (0.66, 1.0):
            RULES[f"raw>={_r:g} frac<{_f:g} slope {_s:g}"] = (far_low(_r, _f), unshrink(_s))


def not_wear(rule):
    return lambda e: e["fault"] != "compressor_wear" and rule(e)


CANDIDATE = (not_wear(far_low(16.0, 0.1)), unshrink(0.5))  # the one proposed in bench/farsoon50.md
RULES["CANDIDATE raw>=16 frac<0.1 slope 0.5 no wear"] = CANDIDATE
RULES["raw>=16 frac<0.1 slope 0.66 no wear"] = (not_wear(far_low(16.0, 0.1)), unshrink(0.66))
RULES["raw>=32 frac<0.1 slope 0.66 no wear"] = (not_wear(far_low(32.0, 0.1)), unshrink(0.66))


def main(paths: list[str]) -> None:
    data = {p.rsplit("/", 1)[-1]: json.loads(open(p).read()) for p in paths}
    data["pooled"] = [e for v in list(data.values()) for e in v]
    print("rule | per source: late<16d, cost (early + 7 x late), 16+ within x2 % (n), moved")
    for name, (rule, step) in RULES.items():
        cells = []
        for src, est in data.items():
            l16, cost, far, x2, moved = figures(est, rule, step)
            cells.append(f"{src.replace('.json', '')} {l16} {cost} {x2:.1f}%({far}) m{moved}")
        print(f"{name:28s} | " + " | ".join(cells))


if __name__ == "__main__":
    main([a for a in sys.argv[1:] if a != "--old"])
