"""Which view of `heatwatch detect --given` flags a healthy weather pump, and which one sees a condenser fault?

    .venv/bin/python bench/weather_views.py --part fresh30 [--every 60] [--work DIR] [--fault mildest,16,30]

The detector of `bench/weather_episodes.py` (frozen, 14 training days, the threshold at its 0.95 upper
bound), run in-process per pump on `bench/weather_bench.py`'s averaged rows. Per pump: the threshold,
the flagged rows, and for each view (residual, ewma, cusum, novelty, mewma) the rows it would flag on
its own (its calibrated score through the same alarm decision: threshold, persistence, release).
With ``--fault``: the +4 K on t_cond / t_liquid of `bench/weather_fault.py` from each onset, and per
view alone the first alarm after the onset (hours). For diagnosis: the views that carry a healthy
part's flags against those that see the fault say which view a remedy may touch.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from weather_episodes import averaged, score_keeping_internals  # noqa: E402
from weather_fault import mildest_onset  # noqa: E402
from weather_bench import PARTS  # noqa: E402

from heatwatch.edge.detect_command import FROZEN_CONFIDENCE, FROZEN_RELEASE  # noqa: E402
from heatwatch.edge.detect_input import read_series  # noqa: E402
from heatwatch.edge.generic_detector import HealthyBehaviourConfig, ThresholdConfig  # noqa: E402
from heatwatch.edge.generic_detector.adaptive import AdaptConfig, AdaptiveDetector  # noqa: E402
from heatwatch.edge.generic_detector.healthy_behaviour import COMPONENTS  # noqa: E402
from heatwatch.edge.generic_detector.threshold import AlarmDecision  # noqa: E402


def views(ts: np.ndarray, X: np.ndarray, gi: list[int], train: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Per judged row: the detector's alarm, each view's own alarm (n, 5), and the threshold."""
    cfg = HealthyBehaviourConfig(warmup=train, threshold=replace(ThresholdConfig(), confidence=FROZEN_CONFIDENCE, release=FROZEN_RELEASE))
    det = AdaptiveDetector(cfg, AdaptConfig(enabled=False), gi)
    det.fit(ts[:train], X[:train])
    res, br = score_keeping_internals(det, ts[train:], X[train:])
    judged = res.status != 2 if res.status is not None else np.ones(len(res.anomaly), dtype=bool)
    on = det.det.decision.on
    alone = np.zeros((len(res.anomaly), len(COMPONENTS)), dtype=bool)
    N = np.zeros((len(res.anomaly), len(COMPONENTS)))
    N[judged] = br.components  # the inner detector scored the judged rows only (unseen ones are skipped)
    for k in range(len(COMPONENTS)):
        d = AlarmDecision(det.det.decision.config)
        d.on = on
        d.min_off = det.det.decision.min_off  # the release the detector learned
        alone[:, k] = d.block(N[:, k])
    return res.anomaly, alone, on


def first_after(a: np.ndarray, onset: int) -> str:
    hit = np.flatnonzero(a[onset:])
    return f"{hit[0]}" if hit.size else "never"


def part_arguments(description: str) -> argparse.ArgumentParser:
    """The options every per-part weather bench takes: which part, its rows, drivers, training and work dir."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--part", choices=sorted(PARTS), required=True)
    ap.add_argument("--every", type=int, default=60)
    ap.add_argument("--given", default="t_outdoor")
    ap.add_argument("--train-days", type=float, default=14.0)
    ap.add_argument("--work", type=Path, default=Path("/tmp/weather_bench"))
    ap.add_argument("--fault", default="", help="onsets for the +4 K condenser signature: mildest or a day")
    return ap


def main() -> None:
    ap = part_arguments(__doc__.splitlines()[0])
    ap.add_argument("--devices", default="")
    args = ap.parse_args()
    given = args.given.split(",")
    series = read_series(averaged(args.part, args.every, args.work), set(), None, set(given))
    per_day = 1440 // args.every
    train = int(round(args.train_days * per_day))
    columns = series.columns
    for dev, idx in series.groups():
        if args.devices and dev not in args.devices.split(","):
            continue
        ts, X = series.ts[idx], series.X[idx]
        gi = [columns.index(c) for c in given]
        alarm, alone, on = views(ts, X, gi, train)
        print(f"{args.part} {dev}: threshold {on:.2f}; flagged {int(alarm.sum())} of {alarm.size}; alone: "
              + ", ".join(f"{c} {int(alone[:, k].sum())}" for k, c in enumerate(COMPONENTS)), flush=True)
        for onset_s in filter(None, args.fault.split(",")):
            onset = mildest_onset(X[:, gi[0]], train, per_day) if onset_s == "mildest" else int(float(onset_s) * per_day)
            Xf = X.copy()
            for c in ("t_cond", "t_liquid"):
                Xf[onset:, columns.index(c)] += 4.0
            fa, fal, _ = views(ts, Xf, gi, train)
            j = onset - train
            print(f"    fault from {onset_s}: first alarm {first_after(fa, j)} h; alone: "
                  + ", ".join(f"{c} {first_after(fal[:, k], j)}" for k, c in enumerate(COMPONENTS)), flush=True)


if __name__ == "__main__":
    main()
