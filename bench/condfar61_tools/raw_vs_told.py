"""Fouled condensers' raw dates (no table) and told dates of two replay_laws.py dumps of the same pumps, pooled: within
x2, over twice late / too soon, the median log2(actual / date), by days left (0-2, 2-4, 4-8, 8-16, 16+).

    python bench/condfar61_tools/raw_vs_told.py MAIN.json:CAND.json [MORE ...]
"""

from __future__ import annotations

import json
import math
import sys

FLOOR = 1.0 / 24.0
BANDS = ((0, 2), (2, 4), (4, 8), (8, 16), (16, math.inf))


def lr(a: float, p: float) -> float:
    return math.log2(max(a, FLOOR) / max(p, FLOOR))


def fig(est: list[dict], key: str) -> str:
    out, n, x2, late, soon = [], 0, 0, 0, 0
    for lo, hi in BANDS:
        b = [lr(e["actual"], e[key]) for e in est if lo <= e["actual"] < hi]
        bx, bl, bs = sum(abs(r) <= 1 for r in b), sum(r < -1 for r in b), sum(r > 1 for r in b)
        n, x2, late, soon = n + len(b), x2 + bx, late + bl, soon + bs
        out.append(f"{lo}+ {bx}/{len(b)} L{bl} S{bs}")
    med = sorted(lr(e["actual"], e[key]) for e in est)[len(est) // 2]
    return f"x2 {100 * x2 / max(n, 1):.1f}% late {late} soon {soon} med {med:+.2f} | " + " | ".join(out)


def main(pairs: list[str]) -> None:
    m_all, c_all = [], []
    for pair in pairs:
        mp, cp = pair.split(":")
        m = [e for e in json.load(open(mp)) if not e.get("censored") and e["fault"] == "condenser_fouling"]
        c = [e for e in json.load(open(cp)) if not e.get("censored") and e["fault"] == "condenser_fouling"]
        key = lambda e: (e["device"], e["ts"])  # noqa: E731
        both = {key(e) for e in m} & {key(e) for e in c}
        m_all += [e for e in m if key(e) in both]
        c_all += [e for e in c if key(e) in both]
    print(f"n {len(m_all)}")
    for name, est, k in (("main raw", m_all, "raw"), ("cand raw", c_all, "raw"), ("main told", m_all, "pred"),
                         ("cand told", c_all, "pred")):
        print(f"  {name:9s} {fig(est, k)}")


if __name__ == "__main__":
    main(sys.argv[1:])
