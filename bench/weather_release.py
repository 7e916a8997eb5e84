"""How many of a healthy weather part's flagged hours are the alarm's release, and what a shorter one costs a fault.

    .venv/bin/python bench/weather_release.py --part fresh34 [--every 60] [--work DIR] [--fault mildest,16,30]
        [--release 10,clusters,5,3,1]

The detector of `bench/weather_views.py` (frozen, 14 training days, threshold at its 0.95 upper bound),
run in-process per pump; its score is taken once and passed through the alarm decision with each
``--release`` (rows below hysteresis x threshold needed to clear: a number, as ``ThresholdConfig.min_off``
with the fixed release (main's 10), or ``clusters``, the one ``release_rows`` learns from the training's
healthy scores, `heatwatch detect --release clusters`, opt-in). The raise
(threshold, ``min_on``) is the same for all, so a fault's first alarm can move only where an alarm
already standing at the onset clears sooner. Per release: healthy rows flagged (% of judged) and alarm
episodes per pump-week; with ``--fault`` the +4 K t_cond / t_liquid signature's first alarm per onset, and
over the fault runs the share of the rows after the onset flagged and the alarm episodes there (a shorter
release lets an alarm clear and come back inside one fault).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from weather_episodes import averaged, episodes, score_keeping_internals  # noqa: E402
from weather_fault import mildest_onset  # noqa: E402
from weather_views import first_after, part_arguments  # noqa: E402

from heatwatch.edge.detect_command import FROZEN_CONFIDENCE, FROZEN_RELEASE  # noqa: E402
from heatwatch.edge.detect_input import read_series  # noqa: E402
from heatwatch.edge.generic_detector import HealthyBehaviourConfig, ThresholdConfig  # noqa: E402
from heatwatch.edge.generic_detector.adaptive import AdaptConfig, AdaptiveDetector  # noqa: E402
from heatwatch.edge.generic_detector.threshold import AlarmDecision  # noqa: E402


def alarms(ts: np.ndarray, X: np.ndarray, gi: list[int], train: int, releases: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
    """The detector's own alarm on the judged rows (`heatwatch detect`'s default release), and the alarm under
    each release (a number of rows, or ``clusters``: the one learned from the training's healthy scores;
    same score, same raise)."""
    cfg = HealthyBehaviourConfig(warmup=train, threshold=replace(ThresholdConfig(), confidence=FROZEN_CONFIDENCE,
                                                                 release=FROZEN_RELEASE))
    det = AdaptiveDetector(cfg, AdaptConfig(enabled=False), gi)
    det.fit(ts[:train], X[:train])
    res, br = score_keeping_internals(det, ts[train:], X[train:])
    judged = res.status != 2 if res.status is not None else np.ones(len(res.anomaly), dtype=bool)
    out = []
    for r in releases:
        d = AlarmDecision(det.det.decision.config)
        d.on = det.det.decision.on
        d.min_off = det.det.decision.min_off if r == "clusters" else int(r)
        a = np.zeros(len(res.anomaly), dtype=bool)
        a[judged] = d.block(br.score)
        out.append(a)
    return res.anomaly, out


def main() -> None:
    ap = part_arguments(__doc__.splitlines()[0])
    ap.add_argument("--release", default="10,clusters", help="rows, or clusters (learned), comma-separated")
    args = ap.parse_args()
    releases = args.release.split(",")
    firsts: dict[str, list[float]] = {r: [] for r in releases}
    after: dict[str, list[tuple[float, int]]] = {r: [] for r in releases}  # per fault run: share flagged, episodes
    given = args.given.split(",")
    series = read_series(averaged(args.part, args.every, args.work), set(), None, set(given))
    per_day = 1440 // args.every
    train = int(round(args.train_days * per_day))
    columns = series.columns
    flagged, eps, rows = np.zeros(len(releases)), np.zeros(len(releases)), 0
    for dev, idx in series.groups():
        ts, X = series.ts[idx], series.X[idx]
        gi = [columns.index(c) for c in given]
        own, per = alarms(ts, X, gi, train, releases)
        rows += own.size
        for k, a in enumerate(per):
            flagged[k] += a.sum()
            eps[k] += len(episodes(a))
        print(f"{args.part} {dev}: detector {int(own.sum())}; by release "
              + ", ".join(f"{r}: {int(a.sum())} ({len(episodes(a))} ep)" for r, a in zip(releases, per)), flush=True)
        for onset_s in filter(None, args.fault.split(",")):
            onset = mildest_onset(X[:, gi[0]], train, per_day) if onset_s == "mildest" else int(float(onset_s) * per_day)
            Xf = X.copy()
            for c in ("t_cond", "t_liquid"):
                Xf[onset:, columns.index(c)] += 4.0
            _, fper = alarms(ts, Xf, gi, train, releases)
            j = onset - train
            for r, a in zip(releases, fper):
                hit = np.flatnonzero(a[j:])
                firsts[r].append(float(hit[0]) if hit.size else np.inf)
                after[r].append((float(a[j:].mean()), len(episodes(a[j:]))))
            print(f"    fault from {onset_s}: first alarm by release "
                  + ", ".join(f"{r}: {first_after(a, j)}" for r, a in zip(releases, fper)), flush=True)
    weeks = rows / (7 * per_day)
    for r in releases:
        f = np.array(firsts[r])
        if f.size:
            base = np.array(firsts[releases[0]])
            print(f"{args.part} release {r}: faults' first alarms {int(np.isfinite(f).sum())} of {f.size}, median "
                  f"{np.median(f[np.isfinite(f)]) if np.isfinite(f).any() else float('nan'):.0f} rows; later than "
                  f"release {releases[0]} on {int(np.sum(f > base))}, earlier on {int(np.sum(f < base))}; "
                  f"rows after the onset flagged {100 * np.mean([a for a, _ in after[r]]):.1f} %, "
                  f"{sum(e for _, e in after[r])} alarm episodes after the onsets")
    for k, r in enumerate(releases):
        print(f"{args.part} release {r}: {100 * flagged[k] / rows:.2f} % of {rows} rows flagged, "
              f"{eps[k] / weeks:.2f} episodes per pump-week")


if __name__ == "__main__":
    main()
