"""Does the frequency cut at a fouled condenser's hot-water peak tell when it trips? (No.)

A held propane pump's worst hour is a hot-water peak the controller holds near the
high-pressure switch by cutting frequency; the idea was that the trip comes when the cut runs
out (the frequency at the worst reading reaches the controller's floor), at a rate set by how
p_high at the peak falls with frequency (learned per pump). This reads fleets collected with the
tracker's per-hour residual and frequency at the hour's worst reading (PrognosisTracker, hours'
5th and 6th fields; ``bench/prognosis_fleets.py collect``) and prints, per condenser-fouling pump
that tripped, over its held hours (the worst p_high within 2 bar of the switch, before the trip):

* dp/df: the Theil-Sen slope of p_high at the worst reading on the frequency there (bar/Hz; a cut
  that holds the pressure back needs it clearly > 0);
* how far the residual at the worst reading is from the hour's mean residual (the tracker's);
* with the simulator's own floor (0.45 x its f_max, which a real tracker would not know: the best
  case), the first day the cut was used up, against the trip, and the rank correlation of the
  remaining cut with the days left, over the held days after the raise.

    python bench/prognosis_cutback.py /tmp/cutback/c1009.json /tmp/cutback/e2021.json

Figures (c1009 Oslo R290 s^1.3, e2021 Milan R290 s^1.2, 6 condenser pumps each; docs/heatpump.md):
dp/df -0.018..+0.025 bar/Hz (7 pumps with 10 held hours or more); residual at the worst reading
- hour mean: median 0.01 bar, 90 % 0.06 bar (522 held hours); the cut first used up 9-61 days
before the trip on 7 of 9 pumps (never on 1009 hp-000 and hp-002, which tripped 3 and 2 days
after their raise); Spearman(remaining cut, days left) 0.43 (129 held days after the raise).
"""

from __future__ import annotations

import json
import math
import sys

import numpy as np
from scipy.stats import spearmanr, theilslopes

from heatwatch.edge.heatpump.healthy_model import TARGET_NAMES
from heatwatch.edge.heatpump.prognosis import hour_of
from heatwatch.units import DAY

P = TARGET_NAMES.index("p_high")
HELD_BAR = 2.0  # a held hour: its worst p_high within this of the switch
FLOOR_SHARE = 0.45  # the simulator's controller cuts to at most 0.45 x f_max (firmware_sim/refrigerant_cycle.py)


def pump_figures(p: dict) -> dict | None:
    """One tripped condenser pump's held hours and days (None: not one, or never held)."""
    if p["fault"] != "condenser_fouling" or p["trip_ts"] is None or not p["raised"]:
        return None
    lim = p["limits"]["p_high"][1]
    floor = FLOOR_SHARE * p["true_f_max"]
    held = [(t, hi[P], hz[P], hr[P], m[P]) for t, m, hi, lo, hr, hz in map(hour_of, p["hours"])
            if t < p["trip_ts"] and not math.isnan(hi[P]) and not math.isnan(hz[P]) and hi[P] >= lim - HELD_BAR]
    if not held:
        return None
    a = np.array(held)
    gap = np.abs(a[:, 3] - a[:, 4])
    days: dict[int, tuple[float, float]] = {}
    for t, w, f, _, _ in held:
        d = int(t // DAY)
        if d not in days or w > days[d][0]:
            days[d] = (w, f - floor)
    raise_d, trip_d = min(p["raised"]) / DAY, p["trip_ts"] / DAY
    used_up = [d + 0.5 for d, (_, c) in days.items() if c <= 1.0]
    after = [(c, trip_d - (d + 0.5)) for d, (_, c) in sorted(days.items()) if d + 0.5 >= raise_d]
    return dict(device=p["device"], seed=p["seed"], hours=len(a),
                slope=float(theilslopes(a[:, 1], a[:, 2])[0]) if len(a) >= 10 else math.nan,
                gap=gap[~np.isnan(gap)], floor=floor, raised_before=trip_d - raise_d,
                used_up_before=trip_d - min(used_up) if used_up else None, after=after)


def main(paths: list[str]) -> None:
    gaps, cuts, left = [], [], []
    for path in paths:
        for p in json.load(open(path)):
            f = pump_figures(p)
            if f is None:
                continue
            gaps += f["gap"].tolist()
            cuts += [c for c, _ in f["after"]]
            left += [x for _, x in f["after"]]
            used = "never" if f["used_up_before"] is None else f"{f['used_up_before']:.1f} d before the trip"
            print(f"s{f['seed']} {f['device']}: held hours {f['hours']:4d}  dp/df {f['slope']:+.3f} bar/Hz  "
                  f"|res at worst - hour mean| median {np.median(f['gap']):.2f} bar  floor {f['floor']:.0f} Hz  "
                  f"raised {f['raised_before']:.1f} d before the trip, cut used up {used}")
    if gaps:
        print(f"held hours {len(gaps)}: |res at worst - hour mean| median {np.median(gaps):.2f} bar, "
              f"90 % {np.quantile(gaps, 0.9):.2f} bar")
    if len(cuts) > 3:
        print(f"held days after the raise {len(cuts)}: Spearman(remaining cut, days left) {spearmanr(cuts, left)[0]:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
