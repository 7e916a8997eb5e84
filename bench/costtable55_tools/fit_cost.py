"""A horizon table fitted to the dispatcher's cost (bench/costtable55.md): per band of the raw date, the told / raw
ratio that minimises early + 7 x late (a date over twice too soon costs 1, over twice late 7) on the calibration
fleets' raw estimates (cal_pairs.py), every design weighing alike (prognosis_calibration.design_weights). The
date so told replaces the horizon recalibration and the band lift (the ratio holds both); the fault's shift, the
interval (around the raw date: its quantiles are of log2(actual / raw), the date does not move them) and the
clamp of the date into it stay main's, and a raw date within URGENT_DAYS stays within it as main keeps it.

Judged (1) left one calibration fleet out, each fleet's estimates told by the table fitted on the others, against
main's table (fitted on the normal fleets: in sample for those); (2) on replay_laws.py dumps of used fleets and
join.py's loop half-days, each estimate re-dated exactly: main's table re-applied to its raw date reproduces the
dump's date (checked, counted), the candidate's date then gets the same progress move and the clamp into the
dump's interval.

    python bench/costtable55_tools/fit_cost.py PAIRS.json [--bands 0,2,4,8,16,32] [--k 7] [--print] [--by-band T,..]
        [normal:|slow:|loop:]DUMP.json ...
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from heatwatch.edge.heatpump.prognosis_calibration import CALIBRATION, URGENT_DAYS  # noqa: E402

FLOOR = 1.0 / 24.0
K = 7.0
GRID = np.round(np.arange(-3.0, 4.0 + 1e-9, 0.01), 2)  # log2 told / raw tried
BAND_SETS = {
    "main6": (0.0, 2.0, 4.0, 8.0, 16.0, 32.0),  # the interval's bands (prognosis_calibration.HORIZON_BANDS)
    "oct9": (0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0),  # octaves, the far end split
}


def row(fault: str, raw: float):
    return CALIBRATION.for_fault(fault, raw)


def load_pairs(path: str) -> dict[str, dict]:
    """fleet -> design, and arrays x (log2 raw), y (log2 actual), shift, q_low, q_high (main's row at the raw date);
    censored estimates left out, as the table's horizon fit leaves them."""
    out = {}
    for fleet, v in json.loads(Path(path).read_text()).items():
        xs, ys, sh, ql, qh, cals = [], [], [], [], [], []
        for fault, rows in v["faults"].items():
            for x, y, c in rows:
                if c:
                    continue
                cal = row(fault, 2.0 ** x)
                cals.append(cal)
                xs.append(x)
                ys.append(y)
                sh.append(cal.shift)
                ql.append(cal.q_low)
                qh.append(cal.q_high)
        out[fleet] = {"design": v["design"], **{k: np.array(a) for k, a in
                                                 zip(("x", "y", "shift", "q_low", "q_high"), (xs, ys, sh, ql, qh))}}
        out[fleet]["main"] = main_told_log2(out[fleet]["x"], cals)
    return out


def band_of(starts: tuple[float, ...], x: np.ndarray) -> np.ndarray:
    edges = np.log2(np.maximum(np.array(starts[1:]), FLOOR))
    return np.searchsorted(edges, x, side="right")


def told_log2(c: np.ndarray, x: np.ndarray, shift: np.ndarray, q_low: np.ndarray, q_high: np.ndarray) -> np.ndarray:
    """log2 told days for ratio(s) c (broadcast): the raw date times 2^(c + shift), an urgent raw date lifted no
    further than URGENT_DAYS, kept inside the interval around the raw date."""
    t = x + c + shift
    t = np.where((c > 0) & (x <= math.log2(URGENT_DAYS)), np.minimum(t, math.log2(URGENT_DAYS)), t)
    return np.clip(t, x + q_low, x + q_high)


def fit(data: dict[str, dict], starts: tuple[float, ...], k: float = K, keep_within: bool | str = False,
        show: bool = False) -> np.ndarray:
    """Per band the ratio of least weighed cost, every design weighing alike; where a flat run of ratios ties,
    its middle. ``keep_within``: the least cost among the ratios whose band keeps at least main's share within
    a factor 2 (weighed alike), main's band date where none does; "pareto": the least cost among the ratios
    whose band keeps main's share within x2 and costs less than main's dates there, else main's (NaN)."""
    designs = {f: d["design"] for f, d in data.items()}
    tot: dict[str, int] = {}
    for f, d in data.items():
        tot[designs[f]] = tot.get(designs[f], 0) + len(d["x"])
    cat = {key: np.concatenate([d[key] for d in data.values()])
           for key in ("x", "y", "shift", "q_low", "q_high", "main")}
    w = np.concatenate([np.full(len(d["x"]), 1.0 / tot[designs[f]]) for f, d in data.items()])
    b = band_of(starts, cat["x"])
    out = np.zeros(len(starts))
    for i in range(len(starts)):
        m = b == i
        if not m.any():
            continue
        t = told_log2(GRID[:, None], cat["x"][m], cat["shift"][m], cat["q_low"][m], cat["q_high"][m])
        r = cat["y"][m] - t
        raw_cost = cost = ((r > 1) * 1.0 + k * (r < -1)) @ w[m]
        within = (np.abs(r) <= 1) @ w[m]
        rm = cat["y"][m] - cat["main"][m]
        w_main, c_main = float((np.abs(rm) <= 1) @ w[m]), float(((rm > 1) + k * (rm < -1)) @ w[m])
        if keep_within:
            ok = within >= w_main - 1e-12
            if keep_within == "pareto":
                ok &= cost < c_main - 1e-9
            cost = np.where(ok, cost, np.inf)
            if not np.isfinite(cost).any():
                out[i] = np.nan
                continue
        if show:
            j = int(np.argmin(cost))
            print(f"    band {starts[i]:g}+ d: weight {w[m].sum():.3f}, main cost {c_main:.4f} within {w_main:.4f}; "
                  f"least cost {cost[j]:.4f} within {within[j]:.4f} at {GRID[j]:+.2f}; most within {within.max():.4f} "
                  f"at {GRID[int(np.argmax(within))]:+.2f} (cost {raw_cost[int(np.argmax(within))]:.4f})")
        best = np.flatnonzero(cost <= cost.min() + 1e-12)
        run = best[: np.argmax(np.diff(np.r_[best, 10 ** 9]) > 1) + 1]  # the first flat run of the minimum
        out[i] = GRID[run[len(run) // 2]]
    return out


def main_told_log2(x: np.ndarray, fault_rows: list) -> np.ndarray:
    out = []
    for xi, cal in zip(x, fault_rows):
        d = 2.0 ** xi
        t = cal.recalibrated_days(d) * 2.0 ** (cal.shift + cal.lift)
        if cal.lift > 0 and d <= URGENT_DAYS:
            t = min(t, URGENT_DAYS)
        out.append(math.log2(min(max(t, d * 2.0 ** cal.q_low), d * 2.0 ** cal.q_high)))
    return np.array(out)


def counts(y: np.ndarray, t: np.ndarray) -> tuple[int, int, int, int]:
    """early, late, late under 16 days, within x2."""
    r = y - t
    return int((r > 1).sum()), int((r < -1).sum()), int(((r < -1) & (y < 4.0)).sum()), int((np.abs(r) <= 1).sum())


def left_out(data: dict[str, dict], starts: tuple[float, ...], k: float, keep_within: bool | str = False) -> None:
    """Each calibration fleet told by the table fitted on the others, against main's table."""
    agg: dict[str, np.ndarray] = {}
    for name, d in data.items():
        c = fit({f: v for f, v in data.items() if f != name}, starts, k, keep_within)
        cb = c[band_of(starts, d["x"])]
        t = np.where(np.isnan(cb), d["main"],
                     told_log2(np.nan_to_num(cb), d["x"], d["shift"], d["q_low"], d["q_high"]))
        for key, tt in (("cand", t), ("main", d["main"])):
            e, late, l16, ok = counts(d["y"], tt)
            acc = agg.setdefault(f"{d['design']} {key}", np.zeros(5))
            acc += (e, late, l16, ok, len(d["x"]))
    for key, (e, late, l16, ok, n) in sorted(agg.items()):
        print(f"  left out {key}: n {int(n)}, early {int(e)}, late {int(late)} (under 16 d {int(l16)}), "
              f"cost {int(e + 7 * late)}, within x2 {100 * ok / n:.1f} %")


def redate(e: dict, told: float | None) -> float:
    """The told date (days) moved as the dump's was (its progress move, kept in its interval)."""
    m = e.get("move", 0.0) or 0.0
    return min(max(told * 2.0 ** m, e["lo"]), e["hi"]) if m else told


def dump_told(e: dict, ratios: np.ndarray | None, starts: tuple[float, ...]) -> float | None:
    """The estimate's date by main's table (ratios None) or the cost table, at the hour it was made (a loop
    half-day's raw, interval and date are from the half-day: made_days_ago back)."""
    a = e.get("made_days_ago", 0.0)
    raw = e["raw"] + a
    if raw <= 0.0:
        return None
    cal = row(e["fault"], raw)
    x = math.log2(raw)
    c = None if ratios is None else ratios[int(band_of(starts, np.array([x]))[0])]
    if c is None or np.isnan(c):
        t = 2.0 ** float(main_told_log2(np.array([x]), [cal])[0])
    else:
        t = 2.0 ** float(told_log2(np.array(c), np.array(x), np.array(cal.shift), np.array(cal.q_low),
                                   np.array(cal.q_high)))
    ea = dict(e, lo=e["lo"] + a, hi=e["hi"] + a)
    return max(redate(ea, t) - a, FLOOR)


def dump_figures(est: list[dict], dates: list[float]) -> str:
    r = np.array([math.log2(max(e["actual"], FLOOR) / max(p, FLOOR)) for e, p in zip(est, dates)])
    act = np.array([e["actual"] for e in est])
    late16 = int(((r < -1) & (act < 16)).sum())
    cost = int((r > 1).sum() + K * (r < -1).sum())
    far = act >= 16
    holds = np.mean([e["lo"] <= e["actual"] <= e["hi"] for e in est])
    return (f"late<16 {late16:4d} cost {cost:5d} every x2 {100 * np.mean(np.abs(r) <= 1):5.1f} % "
            f"16+ x2 {100 * np.mean(np.abs(r[far]) <= 1):5.1f} % (n={int(far.sum())}) holds {100 * holds:5.1f} % "
            f"told under {URGENT_DAYS:g} d {100 * np.mean(np.array(dates) < URGENT_DAYS):5.1f} % "
            f"(due under {URGENT_DAYS:g} d {100 * np.mean(act < URGENT_DAYS):4.1f} %)")


def counts_days(est: list[dict], dates: list[float]) -> tuple[int, int, int]:
    """early, late, within x2 of dates (days) against the estimates' actual days."""
    r = [math.log2(max(e["actual"], FLOOR) / max(p, FLOOR)) for e, p in zip(est, dates)]
    return sum(x > 1 for x in r), sum(x < -1 for x in r), sum(abs(x) <= 1 for x in r)


def judge_dumps(paths: list[str], tables: dict[str, tuple[np.ndarray, tuple[float, ...]]],
                by_band: tuple[str, ...] = ()) -> None:
    groups: dict[str, dict[str, tuple[list, list]]] = {}
    for arg in paths:
        design, _, path = arg.rpartition(":") if ":" in arg else ("normal", "", arg)
        est = [e for e in json.loads(Path(path).read_text()) if not e.get("censored") and "raw" in e
               and e["raw"] + e.get("made_days_ago", 0.0) > 0.0]
        main_dates = [dump_told(e, None, ()) for e in est]
        exact = sum(abs(m - max(e["pred"], FLOOR)) < 1e-4 for m, e in zip(main_dates, est))
        print(f"{Path(path).stem} ({design}): {len(est)} estimates, main's date reproduced {exact}")
        rows = {"main": [max(e["pred"], FLOOR) for e in est]}
        for name, (ratios, starts) in tables.items():
            rows[name] = [dump_told(e, ratios, starts) for e in est]
        for name, dates in rows.items():
            print(f"  {name:8s} {dump_figures(est, dates)}")
            g = groups.setdefault(f"[{design}]", {}).setdefault(name, ([], []))
            g[0].extend(est)
            g[1].extend(dates)
            g = groups.setdefault("[normal+slow]" if design != "loop" else "[loop]", {}).setdefault(name, ([], []))
            if design != "loop":
                g[0].extend(est)
                g[1].extend(dates)
    for gname, rows in groups.items():
        print(gname)
        for name, (est, dates) in rows.items():
            if est:
                print(f"  {name:8s} {dump_figures(est, dates)}")
        if by_band and rows["main"][0]:
            est, base = rows["main"]
            band = band_of(BAND_SETS["oct9"], np.log2([max(e["raw"] + e.get("made_days_ago", 0.0), FLOOR) for e in est]))
            for name in by_band:
                dates = rows[name][1]
                cells = []
                for i, st in enumerate(BAND_SETS["oct9"]):
                    m = band == i
                    a = counts_days([e for e, k in zip(est, m) if k], [d for d, k in zip(base, m) if k])
                    b = counts_days([e for e, k in zip(est, m) if k], [d for d, k in zip(dates, m) if k])
                    cells.append(f"{st:g}+ d n {int(m.sum())}: early {b[0] - a[0]:+d} late {b[1] - a[1]:+d} "
                                 f"cost {b[0] - a[0] + 7 * (b[1] - a[1]):+d} x2 {b[2] - a[2]:+d}")
                print(f"  {name} against main, by raw band: " + "; ".join(cells))


def main(args: list[str]) -> None:
    pairs_path, rest = args[0], args[1:]
    k, show, sets, by_band = K, False, list(BAND_SETS), ()
    dumps = []
    it = iter(rest)
    for a in it:
        if a == "--k":
            k = float(next(it))
        elif a == "--bands":
            sets = [next(it)]
        elif a == "--by-band":
            by_band = tuple(next(it).split(","))
        elif a == "--print":
            show = True
        else:
            dumps.append(a)
    data = load_pairs(pairs_path)
    n = {d: sum(len(v["x"]) for v in data.values() if v["design"] == d) for d in {v["design"] for v in data.values()}}
    print(f"calibration estimates (tripped): {n}; k = {k:g}")
    tables = {}
    for s in sets:
        starts = BAND_SETS[s] if s in BAND_SETS else tuple(float(v) for v in s.split(","))
        for kw in (False, True, "pareto"):
            name = s + {False: "", True: "+kw", "pareto": "+par"}[kw]
            c = fit(data, starts, k, kw, show)
            tables[name] = (c, starts)
            print(f"{name}: " + ", ".join(f"{st:g}+ d {ci:+.2f}" for st, ci in zip(starts, c)))
            left_out(data, starts, k, kw)
    if dumps:
        judge_dumps(dumps, tables, by_band)


if __name__ == "__main__":
    main(sys.argv[1:])
