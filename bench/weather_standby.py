"""Why a healthy pump past its heating season's end is flagged: standby, the heating limit, the held level.

    .venv/bin/python bench/weather_standby.py --part fresh21 --every 60 [--devices hp-000,hp-004] [--work DIR]

The detector of `bench/weather_episodes.py` (frozen after ``--train-days``, ``--given t_outdoor``), with the
aftermath's inputs recorded per judged row (aftermath.Aftermath.apply wrapped, nothing changed). Per pump:
the share of standby rows (``flow_lpm`` below 1 l/min: the circulation off) in training and judged; the
flagged rows split into held (not judged: past a stop or the heating limit), standby rows judged, and
rows where the pump heats as in training (flow on, the raw flow residual within 3 of its training
sigma) yet flagged; and per day the air, standby share, flags and the flow residual raw and as judged
(the level the aftermath holds). For diagnosis only (docs/generic-detector.md, fresh21).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from weather_bench import PARTS  # noqa: E402
from weather_episodes import averaged  # noqa: E402

from heatwatch.edge.detect_command import FROZEN_CONFIDENCE, FROZEN_RELEASE  # noqa: E402
from heatwatch.edge.detect_input import read_series  # noqa: E402
from heatwatch.edge.generic_detector import HealthyBehaviourConfig, ThresholdConfig  # noqa: E402
from heatwatch.edge.generic_detector import aftermath as am  # noqa: E402
from heatwatch.edge.generic_detector.adaptive import AdaptConfig, AdaptiveDetector  # noqa: E402

STANDBY_LPM = 1.0  # a flow below this: the circulation pump is off (the simulator's standby)


def pump(ts: np.ndarray, X: np.ndarray, columns: list[str], train: int, daily: bool) -> None:
    """Fit on the first ``train`` rows, judge the rest with the aftermath's inputs recorded, print the split."""
    gi = [columns.index("t_outdoor")]
    fl, air = columns.index("flow_lpm"), gi[0]
    cfg = HealthyBehaviourConfig(warmup=train, threshold=replace(ThresholdConfig(), confidence=FROZEN_CONFIDENCE, release=FROZEN_RELEASE))
    det = AdaptiveDetector(cfg, AdaptConfig(enabled=False), gi)
    det.fit(ts[:train], X[:train])
    f = [j for j in range(X.shape[1]) if j not in gi].index(fl)  # flow's place among the model's columns
    log: list[np.ndarray] = []
    orig = am.Aftermath.apply

    def apply(self: am.Aftermath, R: np.ndarray, beyond: np.ndarray, *rest: np.ndarray | None) -> np.ndarray:
        out = orig(self, R, beyond, *rest)
        log.append(np.column_stack([np.asarray(R)[:, f], out[:, f]]))
        return out

    am.Aftermath.apply = apply  # type: ignore[method-assign]
    try:
        res = det.score(ts[train:], X[train:])
    finally:
        am.Aftermath.apply = orig  # type: ignore[method-assign]
    L = np.vstack(log)
    sigma = float(det.driver.sigma[f])
    a = res.anomaly
    Xj, tt = X[train:], ts[train:]
    standby = Xj[:, fl] < STANDBY_LPM
    held = np.abs(L[:, 1] - L[:, 0]) > 3 * sigma  # the judged residual is not the raw one: held or masked
    normal = ~standby & (np.abs(L[:, 0]) < 3 * sigma)
    unseen = res.status == 2 if getattr(res, "status", None) is not None else np.zeros(len(a), dtype=bool)
    print(f"  standby rows: training {np.mean(X[:train, fl] < STANDBY_LPM):.1%}, judged {standby.mean():.1%}; "
          f"flow sigma {sigma:.4f} l/min; not judged {det.aftermath.unjudged if det.aftermath else 0}, out of "
          f"the envelope {getattr(det.aftermath, 'unseen', 0)} (standby {int((standby & unseen).sum())})")
    print(f"  flagged {int(a.sum())} of {a.size}: standby {int((a & standby).sum())} "
          f"(of them held or masked {int((a & standby & held).sum())}); heating as in training yet flagged "
          f"{int((a & normal).sum())} (of them the flow residual held or masked at a level {int((a & normal & held).sum())})")
    if not daily:
        return
    day = ((tt - tt[0]) // 86400).astype(int)
    for d in np.unique(day):
        m = day == d
        print(f"   {datetime.fromtimestamp(tt[m][0], tz=timezone.utc):%m-%d} air {Xj[m, air].mean():5.1f} standby "
              f"{standby[m].mean():4.2f} flagged {int(a[m].sum()):3d}/{int(m.sum())} flow residual (sigma) raw "
              f"{np.median(L[m, 0]) / sigma:+8.1f} judged {np.median(L[m, 1]) / sigma:+8.1f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--part", choices=sorted(PARTS), required=True)
    ap.add_argument("--every", type=int, default=60, help="minutes per row")
    ap.add_argument("--devices", default="", help="comma-separated (default: all)")
    ap.add_argument("--train-days", type=float, default=14.0)
    ap.add_argument("--daily", action="store_true", help="a line per day")
    ap.add_argument("--work", type=Path, default=Path("/tmp/weather_bench"), help="exported and averaged CSVs (kept)")
    args = ap.parse_args()
    data = averaged(args.part, args.every, args.work)
    series = read_series(data, set(), None, {"t_outdoor"})
    train = int(round(args.train_days * 1440 / args.every))
    want = {d for d in args.devices.split(",") if d}
    for dev, idx in series.groups():
        if want and dev not in want:
            continue
        print(f"{args.part} {args.every} min {dev}:")
        pump(series.ts[idx], series.X[idx], series.columns, train, args.daily)


if __name__ == "__main__":
    main()
