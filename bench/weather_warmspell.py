"""Row by row, what a warm spell does to one pump's hourly score: the air, its lagged views, the score.

    .venv/bin/python bench/weather_warmspell.py --part fresh18 --every 60 --device hp-002 [--around 2]

For each flagged episode of ``--device`` (``weather_episodes.py``'s in-process detector, frozen, 14 training
days, ``--given t_outdoor``), ``--around`` days either side, one line per row: the hour's air; its 24-h lagged
view (the building as the detector sees it, lagged.py); the air's departure from that view (how fast the
weather moved, the spell's "rate") and the training's range of it; a 72-h view and the mean air of the last 14
days (a building that remembers longer); the score, whether alarmed, and the largest column z. For
diagnosis only: a part read this way is tuning evidence from then on.

``--days``: instead, one line per judged day: the day's mean air and 24-h view, how many of its rows had the
air or the view beyond the training's range, how many were held or flagged, and per demand column the day's
mean raw residual (the expectation's miss, in the column's training sigma) and what of it is judged (after the
extrapolation allowance's shrink, given.DriverModel.shrink). A season's offset the fortnight did not show is
seen there as a raw miss on every day that the allowance hides while the drivers are beyond their range and
judges in full on the days they come back inside it.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from weather_bench import PARTS  # noqa: E402
from weather_episodes import averaged, episodes, score_keeping_internals  # noqa: E402

from heatwatch.edge.detect_command import FROZEN_CONFIDENCE, FROZEN_RELEASE  # noqa: E402
from heatwatch.edge.detect_input import read_series  # noqa: E402
from heatwatch.edge.generic_detector import HealthyBehaviourConfig, ThresholdConfig  # noqa: E402
from heatwatch.edge.generic_detector.adaptive import AdaptConfig, AdaptiveDetector  # noqa: E402
from heatwatch.edge.generic_detector.lagged import LaggedDrivers  # noqa: E402


def day_means(day: np.ndarray, V: np.ndarray) -> tuple[list[str], np.ndarray]:
    """The distinct days in order and per day the mean of each column of ``V`` (n, k) over its finite values."""
    days = list(dict.fromkeys(day.tolist()))
    out = np.full((len(days), V.shape[1]), np.nan)
    for i, d in enumerate(days):
        m = day == d
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out[i] = np.nanmean(V[m], axis=0)
    return days, out


def daily(det: AdaptiveDetector, ts: np.ndarray, X: np.ndarray, train: int, alarm: np.ndarray, status: np.ndarray,
          v24: np.ndarray, show: list[str], cols: list[str]) -> None:
    """Per judged day: the air, how much of it was beyond the ranges, and each shown column's raw and judged miss."""
    assert det.driver is not None
    air = det.given[0]
    Xl = np.column_stack([X, v24])
    D = det._drivers(Xl, np.arange(len(X), dtype=np.float64), ts)
    E = det.driver.expected(D)
    tg = det.targets(Xl.shape[1])
    raw = (X[:, tg] - E) / det.driver.sigma
    judged = raw * det.driver.shrink(D, det._lagged(Xl))
    names = [cols[j] for j in tg]
    k = [names.index(c) for c in show if c in names]
    lo, hi = np.nanmin(X[:train, air]), np.nanmax(X[:train, air])
    vlo, vhi = np.nanmin(v24[:train]), np.nanmax(v24[:train])
    J = slice(train, None)
    day = np.array([datetime.fromtimestamp(t, tz=timezone.utc).strftime("%m-%d") for t in ts[J]])
    beyond_air = (X[J, air] < lo) | (X[J, air] > hi)
    beyond_view = (v24[J] < vlo) | (v24[J] > vhi)
    V = np.column_stack([X[J, air], v24[J], beyond_air, beyond_view, status != 0, alarm, raw[J][:, k], judged[J][:, k]])
    days, M = day_means(day, V)
    n = np.array([np.sum(day == d) for d in days])
    print("day    air  view  beyond air/view  not judged  flagged | raw miss: " + " ".join(show) + " | judged: same")
    for d, m, c in zip(days, M, n):
        print(f"{d} {m[0]:5.1f} {m[1]:5.1f}  {int(round(m[2] * c)):3d} {int(round(m[3] * c)):3d}  {int(round(m[4] * c)):3d}  "
              f"{int(round(m[5] * c)):3d} | " + " ".join(f"{x:+5.2f}" for x in m[6:6 + len(k)]) + " | "
              + " ".join(f"{x:+5.2f}" for x in m[6 + len(k):]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=sorted(PARTS), required=True)
    ap.add_argument("--every", type=int, default=60)
    ap.add_argument("--device", required=True)
    ap.add_argument("--around", type=float, default=2.0, help="days shown either side of each episode")
    ap.add_argument("--work", type=Path, default=Path("/tmp/weather_bench"))
    ap.add_argument("--days", action="store_true", help="one line per judged day instead of the episodes' rows")
    ap.add_argument("--columns", default="power_w,compressor_hz,eev_pct,p_low,t_suction,t_cond",
                    help="with --days: the columns shown")
    args = ap.parse_args()
    data = averaged(args.part, args.every, args.work)
    series = read_series(data, set(), None, {"t_outdoor"})
    train = int(round(14 * 1440 / args.every))
    for dev, idx in series.groups():
        if dev != args.device:
            continue
        ts, X, cols = series.ts[idx], series.X[idx], series.columns
        air = cols.index("t_outdoor")
        cfg = HealthyBehaviourConfig(warmup=train, threshold=replace(ThresholdConfig(), confidence=FROZEN_CONFIDENCE,
                                                                     release=FROZEN_RELEASE))
        det = AdaptiveDetector(cfg, AdaptConfig(enabled=False), [air])
        det.fit(ts[:train], X[:train])
        res, br = score_keeping_internals(det, ts[train:], X[train:])
        names = [cols[j] if j < len(cols) else "lagged view" for j in det.targets(X.shape[1] + len(det.derived))]
        a = X[:, air]
        v24 = LaggedDrivers(1, 24 * 3600.0).apply(ts, a[:, None])[:, 0]
        v72 = LaggedDrivers(1, 72 * 3600.0).apply(ts, a[:, None])[:, 0]
        per_day = int(round(1440 / args.every))
        m14 = np.array([np.nanmean(a[max(0, i - 14 * per_day):i + 1]) for i in range(len(a))])
        dep = a - v24
        print(f"{args.part} {args.every} min {dev}: training air {np.nanmin(a[:train]):.1f}..{np.nanmax(a[:train]):.1f}, "
              f"24-h view {np.nanmin(v24[:train]):.1f}..{np.nanmax(v24[:train]):.1f}, air - view "
              f"{np.nanmin(dep[:train]):+.1f}..{np.nanmax(dep[:train]):+.1f}, 72-h view "
              f"{np.nanmin(v72[:train]):.1f}..{np.nanmax(v72[:train]):.1f}, 14-day mean "
              f"{np.nanmin(m14[:train]):.1f}..{np.nanmax(m14[:train]):.1f}")
        st = res.status if res.status is not None else np.zeros(len(res.score), dtype=np.int8)
        kept = np.flatnonzero(st != 2)  # rows the inner detector saw, in order
        z = np.full((len(res.score), br.z.shape[1]), np.nan)
        z[kept[:len(br.z)]] = br.z[:len(kept)]
        comp = np.full(len(res.score), -1)
        comp[kept[:len(br.z)]] = br.dominant[:len(kept)]
        if args.days:
            daily(det, ts, X, train, res.anomaly, st, v24, [c.strip() for c in args.columns.split(",")], cols)
            continue
        span = int(args.around * per_day)
        for b, e in episodes(res.anomaly):
            print(f"-- episode {e - b} rows")
            for i in range(max(0, b - span), min(len(res.score), e + span)):
                k = train + i
                t = datetime.fromtimestamp(ts[k], tz=timezone.utc).strftime("%m-%d %H")
                top = np.argsort(-np.abs(np.nan_to_num(z[i])))[:3]
                c = br.component_names[comp[i]] if comp[i] >= 0 else "-"
                print(f"{t} air {a[k]:6.1f} v24 {v24[k]:6.1f} air-v24 {dep[k]:+6.1f} v72 {v72[k]:6.1f} m14 "
                      f"{m14[k]:6.1f} st {st[i]} score {res.score[i]:5.2f} {'A' if res.anomaly[i] else '.'} {c:8s} "
                      + " ".join(f"{names[j]} {z[i, j]:+.1f}" for j in top))


if __name__ == "__main__":
    main()
