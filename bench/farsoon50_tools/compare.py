"""Two replay_laws.py dumps of the same fleets (main, and the tracker with --horizon-slope): late under 16 days,
weighed cost (early + 7 x late), 16+ days within x2, the interval holds, every estimate within x2, per fleet and pooled.

    python bench/farsoon50_tools/compare.py MAIN.json:CAND.json [MORE ...]
"""

from __future__ import annotations

import json
import math
import sys

FLOOR = 1.0 / 24.0


def figures(est: list[dict]) -> str:
    r = [math.log2(max(e["actual"], FLOOR) / max(e["pred"], FLOOR)) for e in est]
    late16 = sum(x < -1 and e["actual"] < 16 for x, e in zip(r, est))
    cost = sum(x > 1 for x in r) + 7 * sum(x < -1 for x in r)
    far = [x for x, e in zip(r, est) if e["actual"] >= 16]
    holds = sum(e["lo"] <= e["actual"] <= e["hi"] for e in est) / len(est)
    return (f"late<16 {late16:4d} cost {cost:5d} 16+ x2 {100 * sum(abs(x) <= 1 for x in far) / max(len(far), 1):5.1f} % "
            f"(n={len(far)}) every x2 {100 * sum(abs(x) <= 1 for x in r) / len(r):5.1f} % holds {100 * holds:5.1f} %")


def main(pairs: list[str]) -> None:
    pooled = ([], [])
    for pair in pairs:
        a, b = pair.split(":")
        ea, eb = json.loads(open(a).read()), json.loads(open(b).read())
        assert len(ea) == len(eb), (a, len(ea), b, len(eb))
        moved = sum(abs(x["pred"] - y["pred"]) > 1e-9 for x, y in zip(ea, eb))
        print(f"{a.rsplit('/', 1)[-1]:12s} main {figures(ea)}\n{'':12s} cand {figures(eb)} moved {moved}")
        pooled[0].extend(ea)
        pooled[1].extend(eb)
    print(f"{'pooled':12s} main {figures(pooled[0])}\n{'':12s} cand {figures(pooled[1])}")


if __name__ == "__main__":
    main(sys.argv[1:])
