"""Re-date a whole-loop eval's stored prognoses with the current calibration table, without rerunning it.

``heatwatch eval --report DIR`` keeps, per pump, its tickets' prognoses (ts, predicted, earliest,
latest). The calibration table sets the interval around the raw estimate as raw x 2^q_low ..
raw x 2^q_high, so the raw days are earliest / 2^q_low as long as the table's quantiles are the
ones the run used (the whole horizon's rows; an interval from now, a pump near its limit, is read
back from its latest date and its band's late side instead: ``raw_days``); the date and its interval are then stated as the
agent now would (``CalibrationTable.apply``: the interval of the raw date's horizon band). Prints
the eval's prognosis figures as run and re-dated, first and every estimate, per fault (the
figures of eval/figures.py, with the interval's median width).

    python bench/prognosis_redate.py /tmp/eval_r5
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path

from heatwatch.contract import Prognosis
from heatwatch.edge.heatpump.prognosis_calibration import CALIBRATION
from heatwatch.eval.figures import prognosis_quality
from heatwatch.units import DAY

Estimate = tuple[float, float, float, float]  # predicted, earliest, latest, actual days ahead


def ticketed(report_dir: Path) -> Iterator[tuple[dict, list[dict]]]:
    """Each tripped pump of the eval whose right fault's first ticket opened before the trip, and that
    ticket's prognoses sent before the trip (as eval/figures.py counts them)."""
    for part in sorted((report_dir / "parts").glob("*.json")):
        for p in json.loads(part.read_text())["pumps"]:
            if not p["fault"] or p["trip_ts"] is None:
                continue
            right = [t for t in p["tickets"] if t["fault"] == p["fault"]]
            if right and right[0]["opened_ts"] < p["trip_ts"]:
                yield p, [g for g in right[0]["prognoses"] if g["ts"] < p["trip_ts"]]


def redated(report_dir: Path) -> dict[str, dict[str, list[Estimate]]]:
    """{"as run" | "re-dated": {fault | "first" | "every": estimates}} of the right fault's first
    ticket opened before the trip, as eval/figures.py counts them."""
    out: dict[str, dict[str, list[Estimate]]] = {"as run": {}, "re-dated": {}}
    if CALIBRATION is None:
        raise SystemExit("no calibration table shipped: nothing to re-date with")
    for p, ahead in ticketed(report_dir):
        for i, g in enumerate(ahead):
            pred, lo, hi = ((g[k] - g["ts"]) / DAY for k in ("predicted_ts", "earliest_ts", "latest_ts"))
            actual = (p["trip_ts"] - g["ts"]) / DAY
            new = (pred, lo, hi)
            days = raw_days(p["fault"], pred, lo, hi) if pred > 0 else None
            if days is not None:
                raw = Prognosis(indicator="", threshold=0.0, predicted_trip_ts=days * DAY, lower_ts=0.0, upper_ts=0.0)
                q = CALIBRATION.apply(raw, 0.0, p["fault"])
                new = (q.predicted_trip_ts / DAY, lo if lo <= 0 else q.lower_ts / DAY, q.upper_ts / DAY)
            for key, (date, a, b) in (("as run", (pred, lo, hi)), ("re-dated", new)):
                for group in (p["fault"], "every", *(("first",) if i == 0 else ())):
                    out[key].setdefault(group, []).append((date, a, b, actual))
    return out


def raw_days(fault: str, pred: float, lo: float, hi: float) -> float | None:
    """The raw date's days from a stated date and interval (days ahead): the earliest over the early
    side's quantile (every band's is the whole horizon's), or, where the interval starts now (a pump near
    its limit, or at it), the latest over the late side of a band the raw date then falls in, the one
    nearest the stated date where several do (None: none)."""
    if lo > 0:  # to a millionth of a day: a raw date on a band's first day read back a hair under it
        return round(lo / 2.0 ** CALIBRATION.for_fault(fault).q_low, 6)
    starts = [start for start, _ in CALIBRATION.bands] or [0.0]
    fits = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else math.inf
        days = round(hi / 2.0 ** CALIBRATION.for_fault(fault, start).q_high, 6)
        if start <= days < end and days > 0:
            fits.append(days)
    return min(fits, key=lambda d: abs(math.log(d / pred)), default=None)


def main(args: list[str]) -> None:
    if len(args) != 1 or not (Path(args[0]) / "parts").is_dir():
        raise SystemExit("usage: prognosis_redate.py REPORT_DIR (with its parts/*.json)")
    out = redated(Path(args[0]))
    for group in sorted(out["as run"], key=lambda g: (g not in ("first", "every"), g)):
        cells = []
        for key in ("as run", "re-dated"):
            q = prognosis_quality(out[key][group])
            cells.append("none" if q is None else
                         f"within x2 {q.within_factor_2:.0%} holds {q.interval_holds:.0%} x{q.median_width:.1f}")
        print(f"{group:20s} n={len(out['as run'][group]):4d}  as run: {cells[0]:36s} re-dated: {cells[1]}")


if __name__ == "__main__":
    main(sys.argv[1:])
