"""What `heatwatch detect --given` flags on a healthy weather bench part, episode by episode.

    .venv/bin/python bench/weather_episodes.py --part fresh12 --every 60 [--work DIR] [--given t_outdoor]

The same detector as `heatwatch detect INPUT --train-rows (14 days) --given ...` (frozen, the threshold at
its 0.95 upper bound), run in-process per pump on `bench/weather_bench.py`'s averaged rows (exported and
averaged as that bench does, into ``--work``), so its internals can be read per row. Per flagged
episode (a run of alarmed rows): its start and length; how many rows were above the threshold and
how many were held by the alarm's release (below 0.8 of it: ``ThresholdConfig.min_off`` rows are
needed to clear); the highest score; the air against its training range and the building's lagged
view (its 24-h exponentially weighted mean, lagged.py) against the training's; the components that
set the score; the columns' mean z and their share of the score; the hours of the day.
For diagnosis: a part whose flagged rows are read this way is tuning evidence from then on.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from weather_bench import PARTS, export, resample  # noqa: E402

from heatwatch.edge.detect_command import FROZEN_CONFIDENCE, FROZEN_RELEASE  # noqa: E402
from heatwatch.edge.detect_input import read_series  # noqa: E402
from heatwatch.edge.generic_detector import HealthyBehaviourConfig, ThresholdConfig  # noqa: E402
from heatwatch.edge.generic_detector.adaptive import AdaptConfig, AdaptiveDetector  # noqa: E402
from heatwatch.edge.generic_detector.lagged import LaggedDrivers  # noqa: E402
from heatwatch.edge.generic_detector.result import BatchResult  # noqa: E402


def averaged(part: str, every: int, work: Path) -> Path:
    """The part's CSV averaged to ``every`` minutes, exported and averaged once (kept in ``work``)."""
    work.mkdir(parents=True, exist_ok=True)
    src = export(part, work)
    data = work / f"{part}.{every}min.csv"
    if not data.exists():
        resample(src, data, every)
    return data


def score_keeping_internals(det: AdaptiveDetector, ts: np.ndarray, X: np.ndarray) -> tuple[BatchResult, BatchResult]:
    """``det.score(ts, X)`` and the inner detector's per-row internals (z, parts) it scored them with."""
    caught: list[BatchResult] = []
    inner = det.det.score

    def keep(t: np.ndarray, f: np.ndarray, *rest: object) -> BatchResult:
        r = inner(t, f, *rest)
        caught.append(r)
        return r

    det.det.score = keep  # type: ignore[method-assign]
    res = det.score(ts, X)
    return res, BatchResult.concat(caught)


def episodes(alarm: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of each run of True."""
    d = np.diff(np.r_[0, alarm.astype(int), 0])
    return list(zip(np.flatnonzero(d == 1).tolist(), np.flatnonzero(d == -1).tolist()))


def pump(ts: np.ndarray, X: np.ndarray, columns: list[str], given: list[str], train: int, lag_hours: float) -> None:
    """Fit on the first ``train`` rows, judge the rest, print one pump's flagged episodes."""
    gi = [columns.index(c) for c in given]
    cfg = HealthyBehaviourConfig(warmup=train, threshold=replace(ThresholdConfig(), confidence=FROZEN_CONFIDENCE, release=FROZEN_RELEASE))
    det = AdaptiveDetector(cfg, AdaptConfig(enabled=False, lag_hours=lag_hours), gi)
    det.fit(ts[:train], X[:train])
    res, br = score_keeping_internals(det, ts[train:], X[train:])
    names = [columns[j] if j < len(columns) else "lagged view" for j in det.targets(X.shape[1] + len(det.derived))]
    a, s = res.anomaly, res.score
    air = gi[0]
    lo, hi = np.nanmin(X[:train, air]), np.nanmax(X[:train, air])
    view = LaggedDrivers(1, max(lag_hours, 1.0) * 3600.0).apply(ts, X[:, [air]])[:, 0]
    vlo, vhi = np.nanmin(view[:train]), np.nanmax(view[:train])
    print(f"  flagged {int(a.sum())} of {a.size} rows; daily cycle {'found' if det.daily else 'none'}; threshold "
          f"{det.det.decision.on:.2f} x the references; {given[0]} in training {lo:.1f}..{hi:.1f}, its lagged view "
          f"{vlo:.1f}..{vhi:.1f}")
    for b, e in episodes(a):
        seg = slice(b, e)
        t0 = datetime.fromtimestamp(ts[train + b], tz=timezone.utc).strftime("%m-%d %H:%M")
        x, v = X[train:][seg, air], view[train:][seg]
        dom = Counter(br.component_names[k] for k in br.dominant[seg] if k >= 0)
        z = br.z[seg]
        C = br.contributions[seg]
        share = (C / np.maximum(C.sum(axis=1, keepdims=True), 1e-12)).mean(axis=0)
        top = np.argsort(-share)[:5]
        hours = np.array([datetime.fromtimestamp(t, tz=timezone.utc).hour for t in ts[train:][seg]])
        print(f"  {t0} {e - b:4d} rows: {int((s[seg] > 1).sum())} above the threshold, {int((s[seg] < 0.8).sum())} held "
              f"below 0.8 of it; max score {s[seg].max():.2f}; {given[0]} {x.min():.1f}..{x.max():.1f} "
              f"({int(np.sum((x < lo) | (x > hi)))} beyond), lagged view {v.min():.1f}..{v.max():.1f} "
              f"({int(np.sum((v < vlo) | (v > vhi)))} beyond); {dict(dom)}")
        print("      " + ", ".join(f"{names[k]} z {z[:, k].mean():+.2f} ({share[k]:.0%})" for k in top)
              + f"; hours 00-05 {int(np.sum(hours < 6))}, 06-11 {int(np.sum((hours >= 6) & (hours < 12)))}, "
              f"12-17 {int(np.sum((hours >= 12) & (hours < 18)))}, 18-23 {int(np.sum(hours >= 18))}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=sorted(PARTS), required=True)
    ap.add_argument("--every", type=int, default=60, help="minutes per row")
    ap.add_argument("--given", default="t_outdoor", help="driver columns, comma-separated (the first is the air)")
    ap.add_argument("--train-days", type=float, default=14.0)
    ap.add_argument("--lag-hours", type=float, default=24.0)
    ap.add_argument("--work", type=Path, default=Path("/tmp/weather_bench"), help="exported and averaged CSVs (kept)")
    args = ap.parse_args()
    data = averaged(args.part, args.every, args.work)
    given = [c.strip() for c in args.given.split(",") if c.strip()]
    series = read_series(data, set(), None, set(given))
    train = int(round(args.train_days * 1440 / args.every))
    for dev, idx in series.groups():
        print(f"{args.part} {args.every} min {dev}:")
        pump(series.ts[idx], series.X[idx], series.columns, given, train, args.lag_hours)


if __name__ == "__main__":
    main()
