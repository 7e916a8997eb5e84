"""What a pump's margin to its trip limit, in its daily peak's own spreads, tells about the days left.

Near a trip the dates come late (calibration fleets 1001-1004: under 2 days left, 69 % of the dates
later than the trip). This bench asks whether the margin tells what the date does not: per estimate
(every 12 h from the raise, as ``prognosis_fleets.py replay``, the table applied), z = the margin
between the worst hour of the last three days and the limit over the robust day-to-day spread of the
daily worst reading (last 14 days), the least over the fault's indicators. It prints

- the daily hazard by z (the share of estimates whose pump tripped within a day, the pumps that never
  tripped counted at risk) and the median of a constant-hazard wait;
- the median log2(actual / date) by the date's band and z's: a cell dated late where z is small
  would be what a margin-based correction could fix;
- how well z and the date tell the pumps under 2 days from their trip from those 4 days or more away,
  and what per-cell shifts could reach in-sample (a ceiling: each cell's own errors);
- fleets left out one at a time: the date capped at the other fleets' hazard median where z is small,
  and the date moved by the other fleets' median error per band of the date, of z, and of both;
- the interval's early side at now where z < 1 (prognosis.NEAR_SPREADS, the shipped rule);
- whether the dates' own course tells a pump near its trip: how far the date fell per day over the
  last two days (log2), pumps under 2 days from their trip against those 4 days or more, per band of
  the date (AUC: 0.5 tells nothing).

    python bench/prognosis_margin.py FLEET.json [MORE.json ...]   (calibration fleets: seeds 1000-1999)
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import prognosis_fleets as pf  # noqa: E402

from heatwatch.edge.heatpump import prognosis as P  # noqa: E402
from heatwatch.units import DAY, HOUR  # noqa: E402

Z_EDGES = (0.0, 0.5, 1.0, 2.0, 3.0, 5.0)
DATE_EDGES = (2.0, 4.0, 8.0, 16.0)
LEFT = ((0, 2), (2, 4), (4, 8), (8, 16), (16, math.inf))


def margin_z(tr: P.PrognosisTracker, rows: list, fault: str) -> float:
    """The least margin over the fault's indicators in their daily peak's day-to-day spreads."""
    best = math.inf
    for ch in P.FAULT_INDICATORS[fault]:
        lim = tr.limits.get(ch)
        if lim is None:
            continue
        j, sign = P._IDX[ch], (1.0 if lim.direction == "up" else -1.0)
        last = [sign * (h[2][j] if sign > 0 else h[3][j]) for h in rows[-72:]]
        last = [v for v in last if not math.isnan(v)]
        spread = P.peak_spread(rows, j, sign, min_days=8)
        if last and spread is not None:
            best = min(best, (sign * lim.threshold - max(last)) / spread)
    return best


def records(paths: list[str]) -> list[dict]:
    out = []
    for path in paths:
        for pump in json.loads(Path(path).read_text()):
            if not pump["raised"]:
                continue
            end = pump["trip_ts"] if pump["trip_ts"] is not None else float(pump["hours"][-1][0]) + HOUR
            hours = [(float(h[0]), pf._arr(h[1]), pf._arr(h[2]), pf._arr(h[3])) for h in pump["hours"]]
            times = [h[0] for h in hours]
            t, first = min(pump["raised"]), True
            while t < end:
                tr = P.PrognosisTracker(refrigerant=pump["refrigerant"])
                pf.set_limits(tr, pump)
                k = int(np.searchsorted(times, t - HOUR, side="right"))
                tr._hours.extend(hours[max(0, k - tr._hours.maxlen):k])
                p = tr.predict(pump["fault"], t)
                if p is not None:
                    rows = [h for h in tr._hours if h[0] < t]
                    out.append(dict(seed=pump["seed"], fault=pump["fault"], pump=(path, pump["device"]),
                                    censored=pump["trip_ts"] is None, first=first,
                                    actual=max((end - t) / DAY, pf.FLOOR_DAYS), z=margin_z(tr, rows, pump["fault"]),
                                    pred=max((p.predicted_trip_ts - t) / DAY, pf.FLOOR_DAYS), lo=(p.lower_ts - t) / DAY,
                                    hi=(p.upper_ts - t) / DAY))
                    first = False
                t += 12 * HOUR
    return out


def hazard(z: np.ndarray, actual: np.ndarray, censored: np.ndarray, lo: float, hi: float) -> tuple[int, float]:
    """Estimates in [lo, hi) and their share that tripped within a day (those at risk a day)."""
    m = (z >= lo) & (z < hi)
    trips = np.sum(m & ~censored & (actual < 1.0))
    return int(m.sum()), float(trips / max(np.sum(m & ((actual >= 1.0) | ~censored)), 1))


def scores(pred: np.ndarray, actual: np.ndarray, first: np.ndarray) -> str:
    ok = np.abs(np.log2(actual / np.maximum(pred, pf.FLOOR_DAYS))) <= 1.0
    bands = " ".join(f"{np.mean(ok[(actual >= a) & (actual < b)]):.0%}" for a, b in LEFT)
    return f"every {np.mean(ok):.1%} first {np.mean(ok[first]):.1%}; by time left {bands}"


def main(paths: list[str]) -> None:
    rec = records(paths)
    z, actual, pred = (np.array([r[k] for r in rec]) for k in ("z", "actual", "pred"))
    cens, first, seed = (np.array([r[k] for r in rec]) for k in ("censored", "first", "seed"))
    edges = (-math.inf, *Z_EDGES, math.inf)
    print(f"{len(rec)} estimates ({int(cens.sum())} of pumps that never tripped)")
    for a, b in zip(edges[:-1], edges[1:]):
        n, h = hazard(z, actual, cens, a, b)
        print(f"  z in [{a:g}, {b:g}): n {n:5d} tripped within a day {h:.3f}, constant-hazard median "
              f"{math.log(2) / max(-math.log(max(1 - h, 1e-9)), 1e-9):.1f} d")
    t = ~cens
    A, D, Z, F, S = actual[t], pred[t], z[t], first[t], seed[t]
    err = np.log2(A / D)
    db, zb = np.digitize(D, DATE_EDGES), np.digitize(Z, Z_EDGES[1:4])
    print("median log2(actual / date) [n], rows the date's band (days), columns z < 0.5, 0.5-1, 1-2, >= 2:")
    for i, lab in enumerate(("<2", "2-4", "4-8", "8-16", ">=16")):
        cells = [err[(db == i) & (zb == k)] for k in range(4)]
        print(f"  {lab:>5s} " + " ".join(f"{np.median(c):+.2f} [{len(c):3d}]" if len(c) else "   -    " for c in cells))
    near, far = A < 2.0, A >= 4.0
    for name, v in (("z", Z), ("the date", D)):  # how well each tells those under 2 days from those 4 or more
        auc = float(np.mean(v[near][:, None] < v[far][None, :]) + 0.5 * np.mean(v[near][:, None] == v[far][None, :]))
        print(f"  {name} lower for pumps under 2 days from their trip than for those 4 days or more: AUC {auc:.2f}")
    fault = np.unique([r["fault"] for r in rec], return_inverse=True)[1][t]
    grid = np.linspace(-4.0, 4.0, 81)
    cells = fault * 100 + db * 10 + zb
    for name, cell in (("fault x date x z", cells), ("fleet x fault x date x z", S * 10000 + cells)):
        p = D.copy()  # in-sample: each cell moved by its own best shift (a ceiling, not a method)
        for c in np.unique(cell):
            m = cell == c
            p[m] = D[m] * 2.0 ** grid[int(np.argmax([np.mean(np.abs(err[m] - g) <= 1.0) for g in grid]))]
        print(f"  in-sample, each cell of {name} moved by its own best shift: {scores(p, A, F)}")
    print("fleets left out one at a time (tripped pumps' estimates):")
    print(f"  as shipped: {scores(D, A, F)}")
    for zmax in (1.0, 2.0, 3.0):
        p = D.copy()
        for s in np.unique(S):
            for a, b in zip(edges[:-1], edges[1:]):
                if b > zmax:
                    break
                _, h = hazard(z[seed != s], actual[seed != s], cens[seed != s], a, b)
                m = (S == s) & (Z >= a) & (Z < b)
                p[m] = np.minimum(D[m], math.log(2) / max(-math.log(max(1 - h, 1e-9)), 1e-9))
        print(f"  capped at the hazard median where z < {zmax:g}: {scores(p, A, F)}")
    for name, cell in (("date", db), ("z", zb), ("date and z", db * 10 + zb)):
        p = D.copy()
        for s in np.unique(S):
            for c in np.unique(cell):
                fit, use = (cell == c) & (S != s), (cell == c) & (S == s)
                if fit.sum() >= 15:
                    p[use] = D[use] * 2.0 ** np.median(err[fit])
        print(f"  moved by the others' median error per band of {name}: {scores(p, A, F)}")
    lo, hi = np.array([r["lo"] for r in rec])[t], np.array([r["hi"] for r in rec])[t]
    held = (lo <= A) & (A <= hi)
    print(f"  interval holds {np.mean(held):.1%}, under 2 days left {np.mean(held[A < 2]):.1%} "
          f"(prognosis.NEAR_SPREADS = {P.NEAR_SPREADS:g})")
    fall = np.full(len(rec), np.nan)  # log2 of the date 2 days (4 refreshes) before over today's, per day
    for i, r in enumerate(rec):
        if i >= 4 and rec[i - 4]["pump"] == r["pump"]:
            fall[i] = math.log2(rec[i - 4]["pred"] / r["pred"]) / 2.0
    fall = fall[t]
    for a, b in zip((0.0, *DATE_EDGES[:-1]), DATE_EDGES):
        m = (D >= a) & (D < b) & np.isfinite(fall)
        near, far = fall[m & (A < 2.0)], fall[m & (A >= 4.0)]
        if len(near) > 3 and len(far) > 3:
            auc = float(np.mean(near[:, None] > far[None, :]) + 0.5 * np.mean(near[:, None] == far[None, :]))
            print(f"  date {a:g}-{b:g} d: the date fell faster for those under 2 days left (n {len(near)}) than for "
                  f"those 4 days or more (n {len(far)}): AUC {auc:.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
