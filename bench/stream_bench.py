"""A streaming benchmark of drifting series, scored with NAB's window scoring (standard profile).

    .venv/bin/python bench/stream_bench.py [--seeds 0-9] [--length 4000] [--frozen] [--threshold-sweep]

This is NOT the Numenta Anomaly Benchmark: NAB's 58 real and artificial series
are not here. It is a generator of streams with what made the detector fail
there (lasting level shifts, trends, bursty counters, seasonal series, noise
changes, quantized sensors), each with labelled anomaly points, scored the way
NAB scores (Lavin & Ahmad 2015; numenta/NAB sweeper):

* a window around each labelled point, 10 % of the stream's length divided by
  its number of anomalies, centred on the point;
* the first 15 % of a stream (at most 750 rows) is probationary: learned from,
  never scored;
* in a window only the first detection counts, worth A_TP x sigma(position)
  (1 at the window's start, falling to 0 at its end); a window without one
  costs A_FN; every detection outside a window costs A_FP x sigma(distance past
  the window before it, in window lengths) (a detection right after a window
  costs little; far from one, the full A_FP; before the first window, the full);
* standard profile A_TP = 1, A_FP = 0.11, A_FN = 1; the normalized score is
  100 (S - S_null) / (S_perfect - S_null), S_null the detector that never
  detects (0) and S_perfect one detection at each window's start (100).

The detector runs online and unlabelled from the first row (`heatwatch detect`
without --train-rows: AdaptiveDetector, warm-up = the probationary rows), and
reports a detection when its alarm turns on. NAB's leaders (70-75, standard
profile) were measured on NAB's data with NAB's per-detector threshold sweep;
``--threshold-sweep`` shows what such a sweep on the calibrated score gives here
(an optimistic figure, the threshold chosen on the labels) next to the fixed,
calibrated threshold (score 1.0) that the detector ships with.

Seeds 0-9 are the ones the defaults were looked at with; report seeds 100-129
(``--seeds 100-129``) as the held-out figure.

``--suite hard`` is a second generator (added when the first one's kinds had been
tuned on for several rounds), harder and more varied: heavy-tailed noise, a
variance that drifts, isolated healthy glitches, a trending cycle of random
period, a counter with gaps and a day/night rate, a random-walk level, a flat
sensor on a few quantized levels, and three correlated channels whose
correlation breaks while each stays in its range; anomalies are smaller (3-5
sigma). Its seeds: 0-9 may be looked at while tuning (and 10-19, taken as tuning seeds
on 2026-12-03 for the trending cycle), **200-239 are held out**
(never looked at before a figure is quoted). 200-209 were quoted for several
rounds (53.3 on main db6b2f7) and are kept as the old figure; for the changes of
2026-12-03 (the period fitted with the trend, ...) **240-269** were fixed as the
new held-out range before any of them was measured, and run once, at the end, on
main and on the change. 200-209 and 240-269 have since been looked at (tuning
evidence now); for the round of 2026-12-03 11:46 (s-streams4: heavy tails, the
trending cycle, the correlated channels) **hard 300-329 and classic 130-149** were
fixed as held out before any change was measured, and are run only on main and on
the final candidate. For the local level's gain chosen by the one-standard-error rule
(2026-12-03 14:49 UTC) **hard 400-429 and classic 150-169** were fixed the same way.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import dataclass

import numpy as np

from heatwatch.edge.generic_detector import HealthyBehaviourConfig
from heatwatch.edge.generic_detector.adaptive import AdaptConfig, AdaptiveDetector

A_TP, A_FP, A_FN = 1.0, 0.11, 1.0  # NAB's standard profile
KINDS = ("level_shift", "trend", "bursty_counter", "seasonal", "noise_change", "quantized")
HARD_KINDS = ("heavy_tail", "variance_drift", "glitchy", "seasonal_trend", "gappy_counter", "random_walk",
              "quantized_flat", "correlated")


@dataclass
class Stream:
    name: str
    values: np.ndarray  # (n, 1)
    anomalies: list[int]  # labelled anomaly points


def ar1(rng: np.random.Generator, n: int, phi: float, sd: float = 1.0) -> np.ndarray:
    e = rng.normal(scale=sd * math.sqrt(1 - phi**2), size=n)
    x = np.empty(n)
    x[0] = e[0] / math.sqrt(1 - phi**2) * math.sqrt(1 - phi**2)
    for i in range(1, n):
        x[i] = phi * x[i - 1] + e[i]
    return x


def anomaly_points(rng: np.random.Generator, n: int, k: int) -> list[int]:
    """k points after the probationary part, spread so their windows do not overlap."""
    start = probation(n) + n // 20
    slots = np.linspace(start, n - n // 10, k + 1)
    return sorted(int(rng.integers(int(a), int(b) - n // 20)) for a, b in zip(slots[:-1], slots[1:]))


def make_stream(kind: str, seed: int, n: int) -> Stream:
    """One stream of the given kind (seeded): healthy behaviour with its own drift, plus anomalies."""
    rng = np.random.default_rng(seed * 1009 + KINDS.index(kind))
    i = np.arange(n, dtype=np.float64)
    k = int(rng.integers(1, 4))
    pts = anomaly_points(rng, n, k)
    if kind == "level_shift":
        # lasting shifts: each is an anomaly at its start, then the new normal
        x = 50 + ar1(rng, n, rng.uniform(0.3, 0.9), rng.uniform(0.5, 3))
        for p in pts:
            x[p:] += rng.choice([-1, 1]) * rng.uniform(4, 10) * np.std(x[:300])
    elif kind == "trend":
        # healthy drift (a growing load, slowly), anomalies = short excursions
        sd = rng.uniform(0.5, 2)
        x = 100 + ar1(rng, n, rng.uniform(0.2, 0.8), sd) + rng.uniform(-1, 1) * 20 * sd * i / n
        for p in pts:
            d = int(rng.integers(10, 60))
            x[p:p + d] += rng.choice([-1, 1]) * rng.uniform(5, 10) * sd
    elif kind == "bursty_counter":
        # bytes per interval: a Poisson floor plus heavy-tailed healthy bursts; anomalies are an
        # outage (zeros) or a lasting jump in the rate
        rate = rng.uniform(2, 20)
        x = rng.poisson(rate, size=n).astype(np.float64)
        burst = rng.random(n) < 0.01
        x[burst] += np.round(rng.lognormal(math.log(rate * 20), 1.0, size=int(burst.sum())))
        for p in pts:
            if rng.random() < 0.5:
                x[p:p + int(rng.integers(50, 200))] = 0.0
            else:
                x[p:] += rng.poisson(rate * rng.uniform(3, 6), size=n - p)
    elif kind == "seasonal":
        # a daily cycle (288 rows of 5 min) with slowly varying amplitude; anomalies = a flat
        # line, a spike cluster or a cycle that stops
        period = 288
        amp = rng.uniform(5, 20) * (1 + 0.2 * np.sin(2 * np.pi * i / (7 * period)))
        x = 40 + amp * np.sin(2 * np.pi * i / period) + ar1(rng, n, 0.5, rng.uniform(0.5, 2))
        for p in pts:
            r = rng.random()
            d = int(rng.integers(60, 200))
            if r < 0.4:
                x[p:p + d] = x[p]
            elif r < 0.7:
                x[p:p + 5] += rng.choice([-1, 1]) * 3 * amp[p]
            else:
                x[p:p + d] = 40 + ar1(rng, min(d, n - p), 0.5, 1.0)
    elif kind == "noise_change":
        x = 10 + ar1(rng, n, 0.5, 1.0)
        for p in pts:
            d = int(rng.integers(100, 300))
            x[p:p + d] = 10 + ar1(rng, min(d, n - p), 0.5, rng.uniform(4, 8))
    elif kind == "quantized":
        # an integer sensor that sits on two or three levels, with slow steps that are healthy
        x = np.round(20 + ar1(rng, n, 0.95, 0.6) + np.cumsum(rng.random(n) < 0.001) * 0.5)
        for p in pts:
            x[p:p + int(rng.integers(20, 100))] += rng.choice([-1, 1]) * rng.integers(4, 8)
    else:
        raise ValueError(kind)
    return Stream(f"{kind}-{seed}", x[:, None], pts)


def make_hard_stream(kind: str, seed: int, n: int) -> Stream:
    """One stream of the hard suite (seeded): see the module doc."""
    rng = np.random.default_rng(seed * 7919 + 100 + HARD_KINDS.index(kind))
    i = np.arange(n, dtype=np.float64)
    k = int(rng.integers(1, 4))
    pts = anomaly_points(rng, n, k)
    sign = lambda: float(rng.choice([-1, 1]))  # noqa: E731
    if kind == "heavy_tail":
        # Student-t (3 dof) innovations: healthy single rows far out; anomalies = a 3-sigma shift
        # lasting 100-300 rows (sigma: the innovations' interquartile scale)
        phi = rng.uniform(0.2, 0.7)
        e = rng.standard_t(3, size=n)
        x = np.empty(n)
        x[0] = e[0]
        for t in range(1, n):
            x[t] = phi * x[t - 1] + e[t]
        sd = float(np.subtract(*np.percentile(x[:500], [75, 25]))) / 1.349
        x = 200 + x
        for p in pts:
            x[p:p + int(rng.integers(100, 300))] += sign() * 3.0 * sd
    elif kind == "variance_drift":
        # the noise grows threefold over the stream (healthy); anomalies = a variance burst x5
        scale = np.exp(np.log(3.0) * i / n)
        x = 5 + ar1(rng, n, rng.uniform(0.0, 0.6), 1.0) * scale
        for p in pts:
            d = int(rng.integers(100, 300))
            x[p:p + d] = 5 + ar1(rng, min(d, n - p), 0.3, 5.0) * scale[p]
    elif kind == "glitchy":
        # isolated one-row glitches (0.3 % of rows, 8-15 sigma: a healthy sensor's hiccups that
        # must not alarm); anomalies = a 3-4 sigma shift for 50-150 rows
        x = 70 + ar1(rng, n, rng.uniform(0.3, 0.8), 1.0)
        g = np.flatnonzero(rng.random(n) < 0.003)
        x[g] += rng.choice([-1, 1], size=g.size) * rng.uniform(8, 15, size=g.size)
        for p in pts:
            x[p:p + int(rng.integers(50, 150))] += sign() * rng.uniform(3, 4)
    elif kind == "seasonal_trend":
        # a cycle of random period (96-320 rows) on a trend, amplitude varying; anomalies = the
        # cycle's phase jumps by a quarter, its amplitude halves, or a 4-sigma dip of 20-60 rows
        period = float(rng.uniform(96, 320))
        amp = rng.uniform(5, 15) * (1 + 0.25 * np.sin(2 * np.pi * i / (5.3 * period)))
        noise = rng.uniform(0.5, 1.5)
        phase = np.zeros(n)
        damp = np.ones(n)
        trend = rng.uniform(-1, 1) * 10 * i / n
        add = np.zeros(n)
        for p in pts:
            r = rng.random()
            d = int(rng.integers(100, 250))
            if r < 0.35:
                phase[p:p + d] = 0.5 * np.pi
            elif r < 0.7:
                damp[p:p + d] = 0.5
            else:
                add[p:p + int(rng.integers(20, 60))] -= 4 * noise + 0.3 * amp[p]
        x = 60 + trend + damp * amp * np.sin(2 * np.pi * i / period + phase) + ar1(rng, n, 0.5, noise) + add
    elif kind == "gappy_counter":
        # requests per interval: Poisson with a day/night rate (period 288), 2 % of rows missing in
        # gaps; anomalies = the rate falls to 30 % for 100-300 rows
        base = rng.uniform(20, 80)
        rate = base * (1 + 0.6 * np.sin(2 * np.pi * i / 288))
        for p in pts:
            rate[p:p + int(rng.integers(100, 300))] *= 0.3
        x = rng.poisson(rate).astype(np.float64)
        for g in rng.integers(0, n, size=int(rng.integers(3, 10))):
            x[g:g + int(rng.integers(2, 20))] = np.nan
    elif kind == "random_walk":
        # a level that wanders as a slow random walk (healthy: a tank, an account balance) under
        # measurement noise; anomalies = a 6-noise-sigma jump that reverts after 50-150 rows
        x = 30 + np.cumsum(rng.normal(scale=0.05, size=n)) + rng.normal(scale=1.0, size=n)
        for p in pts:
            x[p:p + int(rng.integers(50, 150))] += sign() * 6.0
    elif kind == "quantized_flat":
        # a status-like reading on one level most of the time, healthy single steps of one unit
        # lasting a few rows; anomalies = flapping between levels (50-200 rows) or a stuck
        # reading two units off (50-200 rows)
        x = np.full(n, 3.0)
        for g in np.flatnonzero(rng.random(n) < 0.004):
            x[g:g + int(rng.integers(1, 6))] += float(rng.choice([-1, 1]))
        for p in pts:
            d = int(rng.integers(50, 200))
            if rng.random() < 0.5:
                x[p:p + d] = 3.0 + (np.arange(min(d, n - p)) % 2) * 2 - 1
            else:
                x[p:p + d] = 3.0 + 2.0 * sign()
    elif kind == "correlated":
        # three channels driven by one slowly varying factor (loadings 1, 0.8, -0.6) plus noise,
        # the factor drifting over a range of ~6 sigma: each channel alone wanders widely;
        # anomalies = channel 3 decouples (follows the factor with the opposite sign) for
        # 100-300 rows, staying within its healthy range
        f = np.cumsum(rng.normal(scale=0.15, size=n))
        f = 3 * np.tanh(f / 3)
        load = np.array([1.0, 0.8, -0.6])
        lf = np.tile(load, (n, 1))
        for p in pts:
            lf[p:p + int(rng.integers(100, 300)), 2] = 0.6
        X = 10 + f[:, None] * lf * 2.0 + rng.normal(scale=0.3, size=(n, 3))
        return Stream(f"{kind}-{seed}", X, pts)
    else:
        raise ValueError(kind)
    return Stream(f"{kind}-{seed}", x[:, None], pts)


def probation(n: int) -> int:
    return min(int(0.15 * n), 750)


def windows(n: int, pts: list[int]) -> list[tuple[int, int]]:
    w = int(0.1 * n / max(len(pts), 1))
    return [(max(0, p - w // 2), min(n - 1, p + w // 2)) for p in pts]


def scaled_sigmoid(y: float) -> float:
    if y > 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * y)) - 1.0


def nab_score(n: int, pts: list[int], detections: np.ndarray) -> tuple[float, int, int, int]:
    """NAB's raw score of one stream (standard profile), with TP, FP, FN counts."""
    wins = windows(n, pts)
    max_tp = scaled_sigmoid(-1.0)
    score, tp, fp = 0.0, 0, 0
    hit = [False] * len(wins)
    for d in np.flatnonzero(detections):
        if d < probation(n):
            continue
        inside = next((k for k, (a, b) in enumerate(wins) if a <= d <= b), None)
        if inside is not None:
            if not hit[inside]:
                a, b = wins[inside]
                pos = -(b - d + 1) / (b - a + 1)
                score += A_TP * scaled_sigmoid(pos) / max_tp
                hit[inside] = True
                tp += 1
            continue
        prev = [(a, b) for a, b in wins if b < d]
        if prev:
            a, b = prev[-1]
            score += A_FP * scaled_sigmoid(abs(d - b) / (b - a))
        else:
            score -= A_FP
        fp += 1
    fn = hit.count(False)
    return score - A_FN * fn, tp, fp, fn


def run_detector(s: Stream, frozen: bool, seasonal: bool, far: float | None = None,
                 mewma_correlation: str = "rows") -> tuple[np.ndarray, np.ndarray]:
    n = len(s.values)
    warm = probation(n)
    cfg = HealthyBehaviourConfig(warmup=warm, mewma_correlation=mewma_correlation)
    if far is not None:
        cfg.threshold.false_alarm_prob = far
    det = AdaptiveDetector(cfg,
                           AdaptConfig(enabled=not frozen, memory=max(2000, warm), seasonal=seasonal))
    res = det.score(None, s.values)
    return res.score, res.anomaly


def onsets(alarm: np.ndarray) -> np.ndarray:
    a = np.asarray(alarm, dtype=bool)
    return a & ~np.concatenate([[False], a[:-1]])


def sweep_detections(score: np.ndarray, threshold: float, n: int) -> np.ndarray:
    """NAB-style: a detection where the score first crosses the threshold (no re-crossing
    counted within the next window length's tenth, as NAB's detectors debounce)."""
    above = score >= threshold
    return onsets(above)


def parse_seeds(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out.extend(range(int(a), int(b or a) + 1))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", default="0-9")
    ap.add_argument("--length", type=int, default=4000)
    ap.add_argument("--frozen", action="store_true", help="no adaptation (the detector as it was: learn once, freeze)")
    ap.add_argument("--no-seasonal", action="store_true", help="no cycle finding (heatwatch detect without --seasonal)")
    ap.add_argument("--false-alarm-rate", type=float, default=None, help="the detector's budget (default: its own)")
    ap.add_argument("--threshold-sweep", action="store_true", help="also the best fixed threshold on the labels (NAB's practice)")
    ap.add_argument("--suite", choices=["classic", "hard"], default="classic",
                    help="the stream generator: classic (KINDS) or hard (HARD_KINDS; held-out seeds 200-239; 240-269 the current ones)")
    ap.add_argument("--kinds", default="", help="only these kinds, comma-separated")
    ap.add_argument("--mewma-correlation", choices=["rows", "ewma"], default="rows",
                    help="the correlation the MEWMA is judged with (heatwatch detect --mewma-correlation)")
    args = ap.parse_args()
    seeds = parse_seeds(args.seeds)
    t0 = time.time()
    kinds, make = (KINDS, make_stream) if args.suite == "classic" else (HARD_KINDS, make_hard_stream)
    if args.kinds:
        kinds = tuple(k for k in kinds if k in args.kinds.split(","))
    streams = [make(kind, seed, args.length) for seed in seeds for kind in kinds]
    results = []
    per_kind: dict[str, list[float]] = {k: [0.0, 0.0, 0.0, 0, 0, 0, 0.0] for k in kinds}  # raw, null, perfect, TP, FP, FN, max score
    totals = np.zeros(3)
    counts = np.zeros(3, dtype=int)
    flagged_after_relearn = []
    for s in streams:
        score, alarm = run_detector(s, args.frozen, not args.no_seasonal, args.false_alarm_rate, args.mewma_correlation)
        n = len(s.values)
        raw, tp, fp, fn = nab_score(n, s.anomalies, onsets(alarm))
        null = -A_FN * len(s.anomalies)
        perfect = A_TP * len(s.anomalies)
        kind = s.name.rsplit("-", 1)[0]
        for acc in (per_kind[kind], totals):
            acc[0] += raw
            acc[1] += null
            acc[2] += perfect
        per_kind[kind][3:6] = [a + b for a, b in zip(per_kind[kind][3:6], (tp, fp, fn))]
        per_kind[kind][6] = max(per_kind[kind][6], float(np.max(score)))
        counts += (tp, fp, fn)
        results.append((s, score))
        if kind == "level_shift" and s.anomalies[-1] + probation(n) + 50 < n:
            # after the last shift, once the warm-up's length (the re-learn point) has passed
            flagged_after_relearn.append(float(np.mean(alarm[s.anomalies[-1] + probation(n) + 50:])))
    norm = 100 * (totals[0] - totals[1]) / (totals[2] - totals[1])
    mode = "frozen after the warm-up" if args.frozen else "adaptive (re-learn + refresh, memory 2000 rows)"
    mode += ", no cycle finding" if args.no_seasonal else ", cycle finding (--seasonal)"
    print(f"streaming benchmark (NOT NAB), suite {args.suite}: {len(streams)} streams of {args.length} rows, seeds {args.seeds}, "
          f"detector {mode}, threshold = calibrated score 1.0; {time.time() - t0:.0f} s")
    for kind, (raw, null, perfect, tp, fp, fn, top) in per_kind.items():
        print(f"  {kind:<15} normalized {100 * (raw - null) / (perfect - null):6.1f}   TP {tp:3d} FP {fp:3d} FN {fn:3d}  "
              f"highest score {top:.3g}")
    print(f"  {'all':<15} normalized {norm:6.1f}   (TP {counts[0]}, FP {counts[1]}, FN {counts[2]}, "
          f"NAB standard profile)")
    if flagged_after_relearn:
        print(f"  level shifts: share of rows in alarm from the warm-up's length + 50 rows after the last shift on: "
              f"median {100 * np.median(flagged_after_relearn):.1f} %, max {100 * np.max(flagged_after_relearn):.1f} %")
    if args.threshold_sweep:
        best = (-np.inf, 0.0)
        for th in np.geomspace(0.3, 10, 40):
            raw = sum(nab_score(len(s.values), s.anomalies, sweep_detections(sc, th, len(s.values)))[0]
                      for s, sc in results)
            best = max(best, (raw, th))
        null, perfect = totals[1], totals[2]
        print(f"  threshold swept on the labels (NAB's practice, optimistic): best {best[1]:.2f} -> "
              f"normalized {100 * (best[0] - null) / (perfect - null):.1f}")


if __name__ == "__main__":
    main()
