"""Tried beside the candidate, offline: the fouled condenser's calibration row refitted on the calibration fleets' raw
dates of each side (its horizon slope beyond the pivot by median regression, q_low / q_high at the row's level 0.85
shrunk toward the pooled row as the table shrinks it, the late side of the bands that have one at 0.80), then the used
fleets' raw dates told by it. Also the share kept only where the raw date is under a horizon (else main's date).
DIR holds m_FLEET.json (main) and k_FLEET.json (candidate) dumps of the same condensers (replay_laws.py --dump).

    python bench/condfar61_tools/refit_row.py DIR --cal c1001,c1002,... --used h2166,h2167,...
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare_cond import figures, line  # noqa: E402

from heatwatch.edge.heatpump.prognosis_calibration import CALIBRATION, PRIOR_N, URGENT_DAYS  # noqa: E402

F = "condenser_fouling"
PIVOT = 3.16


def told(tab, raw: float) -> tuple[float, float, float]:
    """prognosis_calibration's Calibration.apply of a raw date (days): (date, low, high)."""
    cal = tab.for_fault(F, raw)
    lo, hi = raw * 2 ** cal.q_low, raw * 2 ** cal.q_high
    d = cal.recalibrated_days(raw) * 2 ** (cal.shift + cal.lift)
    if cal.lift > 0 and raw <= URGENT_DAYS:
        d = min(d, URGENT_DAYS)
    return min(max(d, lo), hi), lo, hi


def load(d: Path, names: list[str], side: str) -> list[dict]:
    out = []
    for f in names:
        p = d / f"{side}_{f}.json"
        if p.exists():
            out += [e for e in json.load(open(p)) if not e.get("censored") and e["fault"] == F and e["raw"] > 0]
    return out


def fit(est: list[dict]) -> tuple[float, float, float, int, dict[float, float]]:
    x = np.log2([e["raw"] for e in est])
    y = np.log2([max(e["actual"], 1 / 24) for e in est])
    m, best = x > PIVOT, None
    for s in np.linspace(0, 1.2, 121):
        r = y[m] - PIVOT - s * (x[m] - PIVOT)
        c = np.abs(r - np.median(r)).sum()
        if best is None or c < best[0]:
            best = (c, float(s))
    d = y - x
    bq = {}
    for start, end in ((0.0, 2.0), (8.0, 16.0)):  # the condenser's bands with a late side of their own
        mb = (x < math.log2(end)) & (x >= (math.log2(start) if start > 0 else -math.inf))
        if mb.sum() >= 10:
            bq[start] = float(np.quantile(d[mb], 0.9))
    return best[1], float(np.quantile(d, 0.075)), float(np.quantile(d, 0.925)), len(d), bq


def table_with(slope: float, ql: float, qh: float, n: int, bq: dict[float, float]):
    pooled, w = CALIBRATION.pooled, n / (n + PRIOR_N)
    row = replace(CALIBRATION.per_fault[F], slope=slope, q_low=w * ql + (1 - w) * pooled.q_low,
                  q_high=w * qh + (1 - w) * pooled.q_high)
    bands = []
    for start, b in CALIBRATION.bands:
        c = b.per_fault[F]
        own = c.q_high != CALIBRATION.per_fault[F].q_high
        bands.append((start, replace(b, per_fault={**b.per_fault, F: replace(
            c, slope=slope, q_low=row.q_low, q_high=bq.get(start, c.q_high) if own else row.q_high)})))
    return replace(CALIBRATION, per_fault={**CALIBRATION.per_fault, F: row}, bands=tuple(bands))


def retold(est: list[dict], tab) -> list[dict]:
    return [dict(e, **dict(zip(("pred", "lo", "hi"), told(tab, e["raw"])))) for e in est]


def main(args: list[str]) -> None:
    d = Path(args[0])
    cal = args[args.index("--cal") + 1].split(",")
    used = args[args.index("--used") + 1].split(",")
    fm, fk = fit(load(d, cal, "m")), fit(load(d, cal, "k"))
    print(f"refit on {','.join(cal)}: main's raw {fm}, the candidate's raw {fk}")
    pool: dict[str, list[dict]] = {k: [] for k in ("main", "main refit", "share", "share refit")}
    for f in used:
        m, k = load(d, [f], "m"), load(d, [f], "k")
        key = lambda e: (e["device"], e["ts"])  # noqa: E731
        both = {key(e) for e in m} & {key(e) for e in k}
        m, k = [e for e in m if key(e) in both], [e for e in k if key(e) in both]
        pool["main"] += retold(m, CALIBRATION)
        pool["main refit"] += retold(m, table_with(*fm))
        pool["share"] += retold(k, CALIBRATION)
        pool["share refit"] += retold(k, table_with(*fk))
    a = pool["main"]
    for name, est in pool.items():
        if name != "main":
            print(line(name[:10], figures(a), figures(est), sum(abs(x["pred"] - y["pred"]) > 1e-9 for x, y in zip(a, est))))
    for thr in (2 ** PIVOT, 16.0):
        est = [c if m["raw"] < thr else m for m, c in zip(a, pool["share"])]
        print(line(f"share<{thr:.0f}d", figures(a), figures(est), sum(abs(x["pred"] - y["pred"]) > 1e-9 for x, y in zip(a, est))))


if __name__ == "__main__":
    main(sys.argv[1:])
