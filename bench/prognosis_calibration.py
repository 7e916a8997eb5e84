"""Calibrate the prognosis intervals (edge/heatpump/prognosis_calibration.py) on saved bench outcomes.

Every prognosis the agent issued for the right fault before its trip gives one ratio
actual / predicted time to trip; their log2 quantiles are the table. Leave one scenario
out: the coverage and within-factor-2 share of each scenario judged with a table fitted on
the others, the honest figure for pumps the table has not seen.

    python bench/lead_time.py --stride 5 --save runs.json SCENARIO ...   # outcomes, uncalibrated
    python bench/prognosis_calibration.py runs.json [more.json ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from heatwatch.edge.heatpump.prognosis_calibration import COVERAGE

FLOOR_DAYS = 0.04  # an hour: log of 0


def ratios(outcomes: list[dict]) -> np.ndarray:
    """log2(actual / predicted) time to trip of every estimate for the right fault before its trip."""
    out = []
    for o in outcomes:
        if not o["fault"] or o["trip_ts"] is None:
            continue
        for e in o["events"]:
            p = e.get("prognosis")
            if e["kind"] in ("fault", "fault_update") and e["fault"] == o["fault"] and p and e["ts"] < o["trip_ts"]:
                pred = max((p["predicted_trip_ts"] - e["ts"]) / 86400, FLOOR_DAYS)
                actual = max((o["trip_ts"] - e["ts"]) / 86400, FLOOR_DAYS)
                out.append(np.log2(actual / pred))
    return np.array(out)


def table(r: np.ndarray) -> tuple[float, float, float]:
    lo, hi = (1 - COVERAGE) / 2, (1 + COVERAGE) / 2
    return float(np.median(r)), float(np.quantile(r, lo)), float(np.quantile(r, hi))


def main(paths: list[str]) -> None:
    runs: dict[str, list[dict]] = {}
    for path in paths:
        runs.update(json.loads(Path(path).read_text()))
    per = {name: ratios(o) for name, o in runs.items()}
    every = np.concatenate(list(per.values()))
    print(f"uncalibrated: n={len(every)}, within a factor 2 {np.mean(np.abs(every) <= 1):.0%}")
    for name, r in per.items():
        if not len(r):
            continue
        rest = np.concatenate([v for k, v in per.items() if k != name])
        med, lo, hi = table(rest)
        cover = np.mean((r >= lo) & (r <= hi))
        print(f"  {name}: n={len(r)}, within 2x {np.mean(np.abs(r) <= 1):.0%} (the date is not moved), "
              f"left out: interval holds {cover:.0%} (2^{lo:.1f} .. 2^{hi:.1f} of the estimate)")
    med, lo, hi = table(every)
    print(f"CALIBRATION = Calibration(median={med:.3f}, q_low={lo:.3f}, q_high={hi:.3f}, "
          f"fitted_on=\"{', '.join(runs)}: {len(every)} estimates\")")


if __name__ == "__main__":
    main(sys.argv[1:])
