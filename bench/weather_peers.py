"""How much of what `heatwatch detect --given` flags on a healthy part is a miss all its pumps share?

    .venv/bin/python bench/weather_peers.py --part fresh30 [--every 60] [--work DIR] [--fault mildest,16,30]
        [--memory-hours 24]

Diagnosis, in-process (the detector of `bench/weather_episodes.py`: frozen, 14 training days, threshold at
its 0.95 upper bound). Pass 1 scores every pump and keeps its standardized residuals z (clipped at +-5).
Pass 2 scores each pump again with, on every judged row, its peers' common miss taken off its z: the mean
z of the other pumps of the part at that hour, smoothed causally over ``--memory-hours`` (an EWMA). The
references and threshold are the training's, not re-learned with the correction (a first look, not a
calibrated detector). Printed per pump: rows flagged as is and with the peers' miss taken off; with
``--fault``, the first alarm after the +4 K t_cond / t_liquid onset (`bench/weather_fault.py`) as is
and corrected (the peers stay healthy: a fault on one pump is not in its peers' mean).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from weather_views import first_after, part_arguments  # noqa: E402
from weather_episodes import averaged, score_keeping_internals  # noqa: E402
from weather_fault import mildest_onset  # noqa: E402

from heatwatch.edge.detect_command import FROZEN_CONFIDENCE, FROZEN_RELEASE  # noqa: E402
from heatwatch.edge.detect_input import read_series  # noqa: E402
from heatwatch.edge.generic_detector import HealthyBehaviourConfig, ThresholdConfig  # noqa: E402
from heatwatch.edge.generic_detector.adaptive import AdaptConfig, AdaptiveDetector  # noqa: E402


def detector(ts: np.ndarray, X: np.ndarray, gi: list[int], train: int) -> AdaptiveDetector:
    cfg = HealthyBehaviourConfig(warmup=train, threshold=replace(ThresholdConfig(), confidence=FROZEN_CONFIDENCE, release=FROZEN_RELEASE))
    det = AdaptiveDetector(cfg, AdaptConfig(enabled=False), gi)
    det.fit(ts[:train], X[:train])
    return det


def run(ts: np.ndarray, X: np.ndarray, gi: list[int], train: int,
        common: dict[float, np.ndarray] | None = None) -> tuple[np.ndarray, dict[float, np.ndarray]]:
    """Judged rows' alarms, and each judged row's z by time; ``common``: z taken off by time."""
    det = detector(ts, X, gi, train)
    inner = det.det
    if common is not None:
        score, z_of = inner.score, inner._z
        cur: list[np.ndarray] = []

        def score_at(t: np.ndarray, f: np.ndarray, *rest: object):  # noqa: ANN202
            cur[:] = [np.asarray(t)]
            return score(t, f, *rest)

        def z_less_common(Xb: np.ndarray, R: np.ndarray, h: np.ndarray | float = 0.0) -> np.ndarray:
            Z = z_of(Xb, R, h)
            t = cur[0][-len(Z):]
            C = np.array([common.get(float(x), np.zeros(Z.shape[1])) for x in t])
            return Z - C

        inner.score, inner._z = score_at, z_less_common  # type: ignore[method-assign]
    res, br = score_keeping_internals(det, ts[train:], X[train:])
    judged = res.status != 2 if res.status is not None else np.ones(len(res.anomaly), dtype=bool)
    zs = {float(t): np.clip(z, -5.0, 5.0) for t, z in zip(ts[train:][judged], br.z)}
    return res.anomaly, zs


def peers_common(zs: dict[str, dict[float, np.ndarray]], dev: str, times: np.ndarray, lam: float) -> dict[float, np.ndarray]:
    """Per time, the EWMA (weight ``lam``) of the other pumps' mean z (times no peer was judged: 0)."""
    out, e = {}, None
    for t in times:
        got = [z[float(t)] for d, z in zs.items() if d != dev and float(t) in z]
        if not got:
            continue
        m = np.mean(got, axis=0)
        e = m if e is None else e + lam * (m - e)
        out[float(t)] = e.copy()
    return out


def main() -> None:
    ap = part_arguments(__doc__.splitlines()[0])
    ap.add_argument("--memory-hours", type=float, default=24.0)
    ap.add_argument("--groups", default="", help="peers only within these groups, e.g. hp-000+hp-001,hp-003+hp-004")
    args = ap.parse_args()
    given = args.given.split(",")
    series = read_series(averaged(args.part, args.every, args.work), set(), None, set(given))
    per_day = 1440 // args.every
    train = int(round(args.train_days * per_day))
    lam = min(1.0, args.every / 60.0 / args.memory_hours)
    gi = [series.columns.index(c) for c in given]
    pumps = {dev: (series.ts[idx], series.X[idx]) for dev, idx in series.groups()}
    first = {dev: run(ts, X, gi, train) for dev, (ts, X) in pumps.items()}
    zs = {dev: r[1] for dev, r in first.items()}
    tot = [0, 0, 0]
    for dev, (ts, X) in pumps.items():
        group = next((g.split("+") for g in args.groups.split(",") if dev in g.split("+")), None)
        mine = zs if group is None else {d: z for d, z in zs.items() if d in group}
        common = peers_common(mine, dev, ts[train:], lam)
        a0 = first[dev][0]
        a1, _ = run(ts, X, gi, train, common)
        tot[0] += int(a0.sum())
        tot[1] += int(a1.sum())
        tot[2] += a0.size
        print(f"{args.part} {dev}: flagged {int(a0.sum())} -> {int(a1.sum())} of {a0.size}", flush=True)
        for onset_s in filter(None, args.fault.split(",")):
            air = X[:, gi[0]]
            onset = mildest_onset(air, train, per_day) if onset_s == "mildest" else int(float(onset_s) * per_day)
            Xf = X.copy()
            for c in ("t_cond", "t_liquid"):
                Xf[onset:, series.columns.index(c)] += 4.0
            f0, _ = run(ts, Xf, gi, train)
            f1, _ = run(ts, Xf, gi, train, common)
            print(f"    fault from {onset_s}: first alarm {first_after(f0, onset - train)} -> "
                  f"{first_after(f1, onset - train)} h", flush=True)
    print(f"{args.part}: {100.0 * tot[0] / tot[2]:.2f} % -> {100.0 * tot[1] / tot[2]:.2f} % of {tot[2]} judged rows")


if __name__ == "__main__":
    main()
