"""Does a fault drive the excursion the transient term adds (prognosis.INSTANT, _transient_days)?

Per tripped pump of a fleet (``bench/prognosis_fleets.py collect``, which keeps every reading's hours)
and an indicator whose switch opens on the reading of the moment: the day's steady healthy worst, its
excursion (the day's worst of every reading less its worst steady one) and the fault's excess (the
day's mean residual), as medians over bands of days before the trip. An excursion the fault causes
(a fouled evaporator's longer defrosts, say) would grow toward the trip with the excess; a passing
event of the weather or the controller keeps its size.

    python bench/transient_days.py FLEET.json [...] [--fault evaporator_fouling] [--channel t_discharge]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from heatwatch.edge.heatpump import prognosis
from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.units import DAY

BANDS = ((16.0, 30.0), (8.0, 16.0), (0.0, 8.0))  # days before the trip


def pump_days(pump: dict, channel: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Days before the trip, steady healthy worst, excursion and excess per day (signed toward the trip)."""
    j = TARGET_NAMES.index(channel)
    sign = 1.0 if channel in ("t_discharge", "p_high") else -1.0
    rows = [(float(h[0]), np.asarray(h[1], float), np.asarray(h[2], float), np.asarray(h[3], float))
            for h in pump["hours"]]
    peaks = [(float(h[0]), np.asarray(h[1], float), np.asarray(h[2], float)) for h in pump.get("peaks", ())]
    day_t, excess, base = prognosis._daily(rows, j, sign)
    x = prognosis._transient_days(prognosis._stack_hours(rows), peaks, j, sign, day_t)
    return (pump["trip_ts"] - day_t) / DAY, base, x, excess


def main(args: list[str]) -> None:
    fault, channel = "evaporator_fouling", "t_discharge"
    for flag in ("--fault", "--channel"):
        if flag in args:
            k = args.index(flag)
            fault, channel = (args[k + 1], channel) if flag == "--fault" else (fault, args[k + 1])
            del args[k:k + 2]
    if not args:
        raise SystemExit(__doc__)
    print("per band of days before the trip: median steady worst / excursion / excess")
    for path in args:
        for p in json.loads(Path(path).read_text()):
            if p["fault"] != fault or p["trip_ts"] is None or not p.get("peaks"):
                continue
            left, base, x, excess = pump_days(p, channel)
            cells = []
            for a, b in BANDS:
                sel = (left >= a) & (left < b)
                cells.append(f"{a:g}-{b:g} d {np.median(base[sel]):5.1f} / {np.median(x[sel]):4.1f} / "
                             f"{np.median(excess[sel]):4.1f}" if sel.any() else f"{a:g}-{b:g} d none")
            print(f"  s{p['seed']} {p['device']} {p['trip_kind']:18s} " + " | ".join(cells))


if __name__ == "__main__":
    main(sys.argv[1:])
