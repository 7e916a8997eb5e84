"""bench/prognosis_fleets.py replay --features --dump, with per estimate the growth laws behind its raw date
(each rival's model and window, the law whose date is the rivals' median), the progress move the calibrated
date was given (prognosis._progress_move, log2) and the trend's curvature read against the excess's own
day-to-day spread. The code's numbers are not changed: the wrappers only record.

    python bench/farsoon50_tools/replay_laws.py FLEET.json [MORE.json ...] --dump OUT.json
        [--horizon-slope 0.5 | none]  (prognosis.HORIZON_SLOPE_LOW_PROGRESS set, 0.5 since the thirty-sixth
            round; none: main's dates before it, bench/farsoon50.md's baseline)
        [--horizon-except FAULT,FAULT | load-share | wear]  (prognosis.HORIZON_LOW_EXCEPT set; load-share: its
            HORIZON_LOW_EXCEPT_LOAD_SHARE, wear and the two load-share faults, bench/heldout48_slowhorizon.md's
            and main's since; wear: HORIZON_LOW_EXCEPT_WEAR, farsoon50.md's candidate)
        [--horizon SLOPE,PIVOT]  (every row of the table with that horizon recalibration: bench/slowcal51.md)
        (any other prognosis_fleets.py replay option passes through; --features is added)
"""

from __future__ import annotations

import math
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import prognosis_fleets as pf  # noqa: E402
from heatwatch.edge.heatpump import prognosis as pg  # noqa: E402

LAWS: dict[str, dict] = {}  # per channel of the last predict: its trend's rival laws
STATE: dict = {"ch": None, "move": 0.0}


def _rival_specs(x: np.ndarray, y: np.ndarray, models: tuple[str, ...]) -> list[tuple[int, str]]:
    """(window days, model) of each rival law _excess_curves keeps, in its order (its scoring, re-run)."""
    n = len(x)
    holdout = list(dict.fromkeys((max(0, n - pg.HOLDOUT_DAYS - w), n - pg.HOLDOUT_DAYS, m)
                                 for w in pg.WINDOWS_DAYS for m in models))
    fits = dict(zip(holdout, pg._fits(x, y, holdout)))
    scored = (pg._holdout_scores_fast if pg.HOLDOUT_FAST else pg._holdout_scores)(
        x, y, lambda lo, hi, m: fits[(lo, hi, m)], models)
    if not scored:
        return [(n, "line")]
    best = min(e for e, _, _ in scored)
    rivals = [(max(0, n - w), n, m) for e, w, m in scored if e <= pg.RIVAL_FACTOR * best + 1e-12]
    new = [k for k in dict.fromkeys(rivals) if k not in fits]
    fits.update(zip(new, pg._fits(x, y, new)))
    out, seen = [], set()
    for k in rivals:
        c = fits[k]
        if c is None or id(c) in seen:
            continue
        seen.add(id(c))
        out.append((k[1] - k[0], k[2]))
    return out


def install() -> None:
    plain_curves, plain_fp, plain_channel, plain_move = (pg._excess_curves, pg._first_passage_days,
                                                         pg.PrognosisTracker._predict_channel, pg._progress_move)

    def channel(self, ch, *a, **k):
        STATE["ch"] = ch
        return plain_channel(self, ch, *a, **k)

    def curves(x, y, models=pg.MODELS):
        out = plain_curves(x, y, models)
        if STATE.get("in_trend"):
            specs = _rival_specs(x, y, models)
            # the excess's own day-to-day spread and the last 10 days' curvature (a parabola's second
            # derivative) in that spread per day^2 x 100: does the law bend more than the noise says?
            d = np.diff(y[-15:])
            sig = 1.4826 * float(np.median(np.abs(d - np.median(d)))) if len(d) >= 4 else math.nan
            curv = float(np.polyfit(x[-10:], y[-10:], 2)[0]) * 2.0 if len(x) >= 10 else math.nan
            LAWS[STATE["ch"]] = {"specs": specs, "curv_z": curv * 100.0 / sig if sig > 0 else math.nan,
                                 "slope10": float(np.polyfit(x[-10:], y[-10:], 1)[0]) if len(x) >= 10 else math.nan,
                                 "sig": sig, "excess": float(y[-1])}
        return out

    def fp(*a, **k):
        STATE["in_trend"] = True
        try:
            return plain_fp(*a, **k)
        finally:
            STATE["in_trend"] = False

    def move(*a, **k):
        m = plain_move(*a, **k)
        STATE["move"] = m
        return m

    pg._excess_curves, pg._first_passage_days, pg.PrognosisTracker._predict_channel, pg._progress_move = (
        curves, fp, channel, move)
    plain_features = pf.estimate_features

    def features(tr, now, indicator, threshold, first_raise):
        out = plain_features(tr, now, indicator, threshold, first_raise)
        rec = LAWS.get(indicator, {})
        rivals = pf._RECORD.get(indicator, {}).get("rivals") or []
        specs = rec.get("specs", [])
        out["laws"] = [f"{m}{w}" for w, m in specs]
        out["n_exp"] = sum(m == "exp" for _, m in specs)
        if rivals and len(rivals) == len(specs):
            med = float(np.median(rivals))
            i = int(np.argmin([abs(r - med) for r in rivals]))
            out["law"], out["window"] = specs[i][1], specs[i][0]
        else:
            out["law"], out["window"] = ("?", math.nan)
        out.update(curv_z=rec.get("curv_z", math.nan), slope10=rec.get("slope10", math.nan),
                   sig=rec.get("sig", math.nan), move=STATE["move"])
        LAWS.clear()
        return out
    pf.estimate_features = features
    plain_estimates = pf.estimates

    def estimates(p, *a, **k):
        out = plain_estimates(p, *a, **k)
        for e in out:
            e["device"], e["climate"] = p["device"], p.get("climate", "")
            e["onset_to_trip"] = (p["trip_ts"] - p["onset_ts"]) / 86400.0 if p["trip_ts"] else math.nan
            e["since_onset"] = (e["ts"] - p["onset_ts"]) / 86400.0
        return out
    pf.estimates = estimates


def with_horizon(table, slope: float, pivot: float):
    """``table`` (prognosis_calibration.CalibrationTable) with every row's, every band's too, horizon slope and
    pivot replaced; shifts, lifts and intervals as they are."""
    row = lambda c: replace(c, slope=slope, pivot=pivot)  # noqa: E731
    return replace(table, pooled=row(table.pooled), per_fault={f: row(c) for f, c in table.per_fault.items()},
                   bands=tuple((start, with_horizon(b, slope, pivot)) for start, b in table.bands))


if __name__ == "__main__":
    install()  # after prognosis_fleets' own wrappers (installed in its main with --features): ours are outermost
    argv = sys.argv[1:]
    if "--horizon-slope" in argv:  # the candidate in the tracker (prognosis.HORIZON_SLOPE_LOW_PROGRESS)
        k = argv.index("--horizon-slope")
        pg.HORIZON_SLOPE_LOW_PROGRESS = None if argv[k + 1] == "none" else float(argv[k + 1])
        del argv[k:k + 2]
    if "--horizon-except" in argv:  # the faults the candidate leaves alone (prognosis.HORIZON_LOW_EXCEPT)
        k = argv.index("--horizon-except")
        pg.HORIZON_LOW_EXCEPT = {"load-share": pg.HORIZON_LOW_EXCEPT_LOAD_SHARE, "wear": pg.HORIZON_LOW_EXCEPT_WEAR}.get(
            argv[k + 1], frozenset(f for f in argv[k + 1].split(",") if f))
        del argv[k:k + 2]
    if "--no-cond-sat-share" in argv:  # main before the thirty-seventh round: the whole mean excess, the old row
        argv.remove("--no-cond-sat-share")
        pg.CONDENSER_SAT_SHARE = False
    if "--cond-sat-share" in argv:  # a fouled condenser's worst hour by the saturation curve (bench/heldout49_condfar.md)
        argv.remove("--cond-sat-share")
        pg.CONDENSER_SAT_SHARE = True
    if "--horizon" in argv:  # the table's horizon refitted (slope, pivot in log2 days), all else as it is
        k = argv.index("--horizon")
        slope, pivot = (float(v) for v in argv[k + 1].split(","))
        pg.CALIBRATION = with_horizon(pg.CALIBRATION, slope, pivot)
        del argv[k:k + 2]
    if "--features" not in argv:
        argv = ["--features", *argv]
    pf.main(["replay", *argv])
