"""Why condenser fouling's far-out dates come early: the tracker's dates replayed with parts of the
future put in (oracles), and the far-out estimates split by what lay ahead.

Every 12 hours from the first raise to the trip (as ``bench/prognosis_fleets.py replay``), on the
condenser fouling pumps of collected fleets, the date is made six ways:

  cal    the agent's date (calibrated)          raw    the tracker's own date (no calibration table)
  trend  raw without the pace date (_pace_days) A      trend, the excess ahead the one that came (its
  B      trend, the healthy worst days drawn from      daily mean residual, times the held share)
         the days that came (not the last two weeks)  AB     both

then, for the estimates beyond 16 days, how they erred against the outdoor air ahead (the mean to the
trip less the last 14 days'), the margin (the limit less the last 14 days' highest healthy worst and
today's excess), and the share of the excess that reached the day's worst, over the last 10 days and
over the days that came (Theil-Sen, as _worst_share, unbounded).

    python bench/condenser_far_dates.py FLEET.json [MORE.json ...]   (bench/prognosis_fleets.py collect)
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from heatwatch.edge.heatpump import prognosis as P
from heatwatch.edge.heatpump.prognosis import PrognosisTracker
from heatwatch.units import DAY, HOUR

sys.path.insert(0, str(Path(__file__).resolve().parent))
from prognosis_fleets import _arr, set_limits  # noqa: E402

FAULT = "condenser_fouling"
BANDS = ((0.0, 2.0), (2.0, 4.0), (4.0, 8.0), (8.0, 16.0), (16.0, math.inf))
MODES = (("cal", "", True, True), ("raw", "", False, True), ("trend", "", False, False),
         ("A", "A", False, False), ("B", "B", False, False), ("AB", "AB", False, False))
_REC: dict = {}
_ORACLE: dict = {"mode": ""}
_fpd, _held, _pc = P._first_passage_days, P._held_share, PrognosisTracker._predict_channel


def _held_rec(rows, j, sign, excess, cols=None):
    k, b = _held(rows, j, sign, excess, cols)
    _REC["k"] = k
    return k, b


def _fpd_oracle(x, excess, base, target, rho=0.0, h=None, models=P.MODELS):
    """_first_passage_days, with the future's excess (A) and/or healthy worst days (B) put in."""
    if _REC.get("ch") != "p_high":
        return _fpd(x, excess, base, target, rho, h, models)
    k, mode = _REC.get("k", 1.0), _ORACLE["mode"]
    _REC.update(base_max=float(np.max(base)), excess_now=float(excess[-1]), target=target)
    if "B" in mode:
        fb = _ORACLE["fbase"](k)
        if len(fb) >= 3:
            base, h, rho = fb, P._bandwidth(fb), 0.0
    if "A" in mode:
        fx, fe = _ORACLE["fx"], _ORACLE["fe"]
        if not len(fx):
            return None
        return P._passage_days(lambda g: k * np.interp(g, fx, fe), P._GRID, base,
                               P._bandwidth(base) if h is None else h, target, rho)
    return _fpd(x, excess, base, target, rho, h, models)


def _pc_rec(self, ch, now, fault="", rows=None, cols=None):
    _REC["ch"] = ch
    return _pc(self, ch, now, fault, rows, cols)


def estimates(pump: dict) -> list[dict]:
    """The six dates of each 12-hour step of one tripped, raised pump, with what lay ahead (within
    ``oracles()``: outside it every mode is the tracker's own date)."""
    if not pump["raised"] or pump["trip_ts"] is None:
        return []
    end, j = pump["trip_ts"], P._IDX["p_high"]
    hours = [(float(h[0]), _arr(h[1]), _arr(h[2]), _arr(h[3])) for h in pump["hours"] if h[0] < end]
    times = [h[0] for h in hours]
    # every ready reading's hours, transients too, as prognosis_fleets.estimates gives them (fleets
    # collected before they were kept have none): without them "raw" was not the tracker's own date
    peaks = [(float(h[0]), _arr(h[1]), _arr(h[2])) for h in pump.get("peaks", ()) if h[0] < end]
    peak_times = [h[0] for h in peaks]
    day_t, day_e, _ = P._daily(hours, j, 1.0)
    out_air = np.array(pump["outdoor"]) if pump.get("outdoor") else np.zeros((0, 2))
    out, t = [], min(pump["raised"])
    while t < end:
        k0 = int(np.searchsorted(times, t - HOUR, side="right"))
        past10 = hours[int(np.searchsorted(times, t - 10 * DAY)):k0]
        future = hours[k0:]
        m = day_t > t
        _ORACLE.update(fx=(day_t[m] - t) / DAY, fe=day_e[m])

        def fbase(k: float, future: list = future) -> np.ndarray:
            sv, sr, st = P._day_runs(future, j, 1.0)
            return np.maximum.reduceat(sv - k * sr, st) if len(st) else np.zeros(0)

        _ORACLE["fbase"] = fbase
        row = dict(actual=(end - t) / DAY, seed=pump["seed"], device=pump["device"])
        for name, mode, calibrated, pace in MODES:
            _ORACLE["mode"], P.USE_PACE = mode, pace
            tr = PrognosisTracker(refrigerant=pump["refrigerant"])
            if not calibrated:
                tr.calibration = None
            set_limits(tr, pump)
            tr._hours.extend(hours[max(0, k0 - tr._hours.maxlen):k0])
            kp = int(np.searchsorted(peak_times, t - HOUR, side="right"))
            tr._peaks.extend(peaks[max(0, kp - tr._peaks.maxlen):kp])
            _REC.clear()
            p = tr.predict(FAULT, t)
            row[name] = None if p is None else (p.predicted_trip_ts - t) / DAY
            if name == "raw" and "target" in _REC:
                row["margin"] = _REC["target"] - _REC["base_max"] - _REC.get("k", 1.0) * _REC["excess_now"]
        P.USE_PACE = True
        if row["actual"] >= 16.0:
            air_past = out_air[(out_air[:, 0] < t) & (out_air[:, 0] >= t - 14 * DAY), 1]
            air_ahead = out_air[(out_air[:, 0] >= t) & (out_air[:, 0] < end), 1]
            row["air_ahead"] = float(np.mean(air_ahead) - np.mean(air_past)) if len(air_past) and len(air_ahead) else None
            row["share_past"] = _share(past10, j)
            row["share_ahead"] = _share(future, j)
        out.append(row)
        t += 12 * HOUR
    return out


def _share(rows: list, j: int) -> float | None:
    _, e, _ = P._daily(rows, j, 1.0)
    k, base = P._worst_share(rows, j, 1.0, e, -9.0, 9.0)
    return None if base is None else k


def _err(r: dict, name: str) -> float:
    return math.log2(max(r["actual"], 1 / 24) / max(r[name], 1 / 24))


def report(rows: list[dict]) -> list[str]:
    lines = [f"{len(rows)} estimates, {len({(r['seed'], r['device']) for r in rows})} pumps; per band of the real "
             "time left: within x2, misses early / late, median log2(actual / date)"]
    for name, *_ in MODES:
        cells = []
        for a, b in BANDS:
            x = [_err(r, name) for r in rows if a <= r["actual"] < b and r[name] is not None]
            if x:
                cells.append(f"{a:g}-{b:g}d {np.mean(np.abs(x) <= 1):.0%} e{sum(v > 1 for v in x)}/l{sum(v < -1 for v in x)} "
                             f"{np.median(x):+.2f}")
        lines.append(f"  {name:5s} " + " | ".join(cells))
    far = [r for r in rows if r["actual"] >= 16.0 and r["raw"] is not None]
    lines.append("beyond 16 days, the raw date's within x2 and median log2(actual / date) by:")
    for label, key, edges in (("outdoor air ahead less the last 14 days (K)", "air_ahead", (-99, 0, 2, 4, 99)),
                              ("margin to the switch (bar)", "margin", (-99, 0, 1, 2, 4, 99)),
                              ("share of the excess reaching the day's worst ahead", "share_ahead", (-99, 0.25, 0.5, 0.75, 99))):
        cells = []
        for a, b in zip(edges[:-1], edges[1:]):
            sel = [r for r in far if r.get(key) is not None and a <= r[key] < b]
            if sel:
                x = [_err(r, "raw") for r in sel]
                cells.append(f"[{a:g},{b:g}) n={len(sel)} {np.mean(np.abs(x) <= 1):.0%} {np.median(x):+.2f}")
        lines.append(f"  {label}: " + " | ".join(cells))
    sp = [r["share_past"] for r in far if r.get("share_past") is not None]
    sa = [r["share_ahead"] for r in far if r.get("share_ahead") is not None]
    if sp and sa:
        lines.append(f"  share over the last 10 days median {np.median(sp):.2f}, over the days ahead {np.median(sa):.2f}")
    return lines


@contextmanager
def oracles() -> Iterator[None]:
    """The tracker's passage, held share and channel call wrapped for the oracles (estimates); put
    back as they were on leaving, whatever happened."""
    P._first_passage_days, P._held_share, PrognosisTracker._predict_channel = _fpd_oracle, _held_rec, _pc_rec
    try:
        yield
    finally:
        P._first_passage_days, P._held_share, PrognosisTracker._predict_channel = _fpd, _held, _pc
        P.USE_PACE = True


def main(paths: list[str]) -> None:
    with oracles():
        rows = [r for path in paths for p in json.loads(Path(path).read_text()) if p["fault"] == FAULT
                for r in estimates(p)]
    print("\n".join(report(rows)))


if __name__ == "__main__":
    if not sys.argv[1:]:
        raise SystemExit(__doc__)
    main(sys.argv[1:])
