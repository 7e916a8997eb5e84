"""Per fouled condenser (tripped and raised): the saturation share (condenser_share.saturation_share, 14 days) against
the empirical share of its mean p_high excess that reaches the day's worst hour (prognosis._worst_share unbounded over
30 days: the Theil-Sen slope of the daily worst on the daily mean excess), every 3 days from the raise; medians per pump,
and how often the controller's hold was read (prognosis._held_share).

    python bench/condfar61_tools/share_check.py CONDENSERS.json [MORE ...]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import prognosis_fleets as pf  # noqa: E402

from heatwatch.edge.heatpump import prognosis as P  # noqa: E402
from heatwatch.edge.heatpump.condenser_share import saturation_share  # noqa: E402
from heatwatch.units import DAY  # noqa: E402

J = P._IDX["p_high"]


def pump_shares(p: dict) -> tuple[list[float], list[float], int, int]:
    hours = [(float(h[0]), pf._arr(h[1]), pf._arr(h[2]), pf._arr(h[3])) for h in p["hours"]]
    kps, kts, held, n = [], [], 0, 0
    for t in np.arange(min(p["raised"]), p["trip_ts"], 3 * DAY).tolist():
        rows = [h for h in hours if t - 30 * DAY <= h[0] < t]
        if len(rows) < 24 * 10:
            continue
        cols = P._stack_hours(rows)
        _, excess, _ = P._daily(rows, J, 1.0)
        kp = saturation_share(cols, J, p["refrigerant"], t, 14)
        kt, _ = P._worst_share(rows, J, 1.0, excess, -10.0, 10.0, cols=cols)
        held += P._held_share(rows, J, 1.0, excess, cols)[1] is not None
        n += 1
        if kp is not None:
            kps.append(kp)
            kts.append(kt)
    return kps, kts, held, n


def main(paths: list[str]) -> None:
    phys, emp = [], []
    for path in paths:
        for p in json.load(open(path)):
            if not p["raised"] or p["trip_ts"] is None or p["fault"] != "condenser_fouling":
                continue
            kps, kts, held, n = pump_shares(p)
            if not kps:
                continue
            phys.append(float(np.median(kps)))
            emp.append(float(np.median(kts)))
            print(f"{Path(path).stem:10s} {p['device']} {p['refrigerant']:4s} onset to trip "
                  f"{(p['trip_ts'] - p['onset_ts']) / DAY:4.0f} d: share physics {phys[-1]:.2f} Theil-Sen {emp[-1]:.2f} "
                  f"held {held}/{n}")
    a, b = np.array(phys), np.array(emp)
    rank = lambda v: np.argsort(np.argsort(v))  # noqa: E731
    print(f"pumps {len(a)}: physics median {np.median(a):.2f}, Theil-Sen median {np.median(b):.2f}; "
          f"Theil-Sen over 1.1 on {int((b > 1.1).sum())}, under 0.9 on {int((b < 0.9).sum())}; "
          f"Spearman {float(np.corrcoef(rank(a), rank(b))[0, 1]):.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
