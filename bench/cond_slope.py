"""Per-fault horizon slopes: is log2(actual) on log2(raw date) a different regression per fault?

``raw`` replays fleets (bench/prognosis_fleets.py collections) once with no table and keeps every
raw estimate (fault, raw days, actual days, censored) in an .npz; ``fit`` fits the median-regression
slope per fault (around the pooled pivot) on calibration fleets and shrinks it toward the pooled
one by PRIOR_N; ``judge`` applies the shipped table with and without per-fault slopes to the raw
dates of any fleets and prints within a factor 2 and holds, by time left.

    python bench/cond_slope.py raw OUT.npz FLEET.json [...]
    python bench/cond_slope.py fit CAL.npz [...]
    python bench/cond_slope.py lofo CAL.npz [...]   (each fleet judged with slopes fitted on the others)
    python bench/cond_slope.py judge CAL.npz[,...] EVAL.npz [...]   (COND_SLOPES=0.75,1: condenser slopes to try too)

Findings (docs/heatpump.md, "A horizon slope per fault"): condenser fouling's own slope is the pooled one
(calibration 1001-1004: 0.55 against 0.58), so its shrunk slope changes no date; the faults' slopes
differ less than the fleets' do.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from prognosis_calibration import _raw_tracker, horizon, median_slope  # noqa: E402
from prognosis_fleets import FLOOR_DAYS, estimates  # noqa: E402

from heatwatch.edge.heatpump import prognosis_calibration as pc  # noqa: E402

LEFT = ((0.0, 2.0), (2.0, 4.0), (4.0, 8.0), (8.0, 16.0), (16.0, np.inf))


def raw(out: str, paths: list[str]) -> None:
    import json
    rows = []
    for path in paths:
        for p in json.loads(Path(path).read_text()):
            for e in estimates(p, tracker_factory=_raw_tracker, censored=True):
                rows.append((p["seed"], p["fault"], e["pred"], e["actual"], e["censored"]))
    np.savez(out, seed=np.array([r[0] for r in rows]), fault=np.array([r[1] for r in rows]),
             pred=np.array([r[2] for r in rows]), actual=np.array([r[3] for r in rows]),
             censored=np.array([r[4] for r in rows], dtype=bool))
    print(f"{out}: {len(rows)} estimates")


def load(paths: list[str]) -> dict[str, np.ndarray]:
    parts = [dict(np.load(p)) for p in paths]
    return {k: np.concatenate([d[k] for d in parts]) for k in parts[0]}


def per_fault_slopes(d: dict[str, np.ndarray], prior_n: float = pc.PRIOR_N) -> tuple[float, float, dict[str, tuple]]:
    """Pooled (slope, pivot) as the table's and per fault (own slope, n, shrunk slope) over the tripped estimates."""
    ok = ~d["censored"]
    x = np.log2(np.maximum(d["pred"][ok], FLOOR_DAYS))
    y = np.log2(np.maximum(d["actual"][ok], FLOOR_DAYS))
    f = d["fault"][ok]
    slope, pivot = horizon([np.column_stack([x, y])])
    out = {}
    for fault in sorted(set(f)):
        m = f == fault
        own = min(max(median_slope(x[m] - pivot, y[m]), 0.0), 1.0)
        w = m.sum() / (m.sum() + prior_n)
        out[fault] = (own, int(m.sum()), w * own + (1 - w) * slope)
    return slope, pivot, out


def table_with(slopes: dict[str, float] | None, slope: float | None = None, pivot: float | None = None) -> pc.CalibrationTable:
    """The shipped table, its horizon slope per fault replaced (and the pooled slope/pivot if given)."""
    base = pc._ALL_HORIZONS

    def row(f: str, c: pc.Calibration) -> pc.Calibration:
        c = replace(c, slope=slope if slope is not None else c.slope, pivot=pivot if pivot is not None else c.pivot)
        return replace(c, slope=slopes[f]) if slopes and f in slopes else c

    t = replace(base, pooled=row("", base.pooled), per_fault={f: row(f, c) for f, c in base.per_fault.items()})
    return pc.with_bands(t, pc.BANDS, pc.BAND_LIFTS)


def dates(table: pc.CalibrationTable, d: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    date, lo, hi = [], [], []
    for f, p in zip(d["fault"], d["pred"]):
        c = table.for_fault(str(f), float(p))
        if p <= 0:
            date.append(0.0), lo.append(0.0), hi.append(0.0)
            continue
        lo_, hi_ = p * 2.0 ** c.q_low, p * 2.0 ** c.q_high
        x = c.recalibrated_days(p) * 2.0 ** (c.shift + c.lift)
        if c.lift > 0 and p <= pc.URGENT_DAYS:
            x = min(x, pc.URGENT_DAYS)
        date.append(min(max(x, lo_), hi_)), lo.append(lo_), hi.append(hi_)
    return np.array(date), np.array(lo), np.array(hi)


def score(d: dict[str, np.ndarray], date: np.ndarray, lo: np.ndarray, hi: np.ndarray, sel: np.ndarray) -> str:
    a = d["actual"][sel]
    r = np.log2(np.maximum(a, FLOOR_DAYS) / np.maximum(date[sel], FLOOR_DAYS))
    held = (a >= lo[sel]) & (a <= hi[sel])
    return f"x2 {np.mean(np.abs(r) <= 1):5.1%} (e{int(np.sum(r > 1))}/l{int(np.sum(r < -1))}) holds {np.mean(held):5.1%} n{sel.sum()}"


def judge(d: dict[str, np.ndarray], tables: dict[str, pc.CalibrationTable]) -> None:
    trip = ~d["censored"]
    res = {k: dates(t, d) for k, t in tables.items()}
    for fault in [*sorted(set(d["fault"])), None]:
        for a, b in [*LEFT, (0.0, np.inf)]:
            sel = trip & ((d["fault"] == fault) if fault else True) & (d["actual"] >= a) & (d["actual"] < b)
            if sel.sum() == 0:
                continue
            print(f"  {fault or 'ALL':20s} {a:g}-{b:g}d " + " | ".join(f"{k}: {score(d, *v, sel)}" for k, v in res.items()))


def main(args: list[str]) -> None:
    if args[0] == "raw":
        raw(args[1], args[2:])
    elif args[0] == "fit":
        d = load(args[1:])
        slope, pivot, per = per_fault_slopes(d)
        print(f"pooled slope {slope:.3f} pivot {pivot:.3f}")
        for f, (own, n, shrunk) in per.items():
            print(f"  {f:20s} own {own:.3f} n {n:5d} shrunk {shrunk:.3f}")
        for seed in sorted(set(d["seed"])):  # each fleet alone
            m = d["seed"] == seed
            s, p, per = per_fault_slopes({k: v[m] for k, v in d.items()})
            print(f"  fleet {seed}: pooled {s:.2f}; " + ", ".join(f"{f[:8]} {o:.2f}({n})" for f, (o, n, _) in per.items()))
    elif args[0] == "lofo":  # each calibration fleet judged with slopes fitted on the others
        d = load(args[1:])
        trip = ~d["censored"]
        for seed in sorted(set(d["seed"])):
            m = d["seed"] == seed
            _, _, per = per_fault_slopes({k: v[~m] for k, v in d.items()})
            out = {k: v[m] for k, v in d.items()}
            for name, t in (("main", table_with(None)), ("cond", table_with({"condenser_fouling": per["condenser_fouling"][2]})),
                            ("all", table_with({f: v[2] for f, v in per.items()}))):
                date, lo, hi = dates(t, out)
                far = trip[m] & (out["actual"] >= 16)
                cf = far & (out["fault"] == "condenser_fouling")
                print(f"  left out {seed} {name:4s}: every {score(out, date, lo, hi, trip[m])} | 16d+ {score(out, date, lo, hi, far)}"
                      f" | condenser 16d+ {score(out, date, lo, hi, cf) if cf.any() else '-'}")
    elif args[0] == "judge":
        cal = load(args[1].split(","))
        d = load(args[2:])
        _, _, per = per_fault_slopes(cal)
        only = {f: v[2] for f, v in per.items() if f == "condenser_fouling"}
        print("per-fault shrunk slopes: " + ", ".join(f"{f} {v[2]:.3f}" for f, v in per.items()))
        tables = {"main": table_with(None), "cond": table_with(only), "all": table_with({f: v[2] for f, v in per.items()})}
        for v in os.environ.get("COND_SLOPES", "").split(","):
            if v:
                tables[f"c{v}"] = table_with({"condenser_fouling": float(v)})
        judge(d, tables)


if __name__ == "__main__":
    main(sys.argv[1:])
