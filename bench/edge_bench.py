"""Edge cost of the detector next to River's HalfSpaceTrees, on the same data in the same run.

    .venv/bin/python bench/edge_bench.py [--data DIR] [--synthetic]

Per detector (each measured in its own subprocess so peak RSS is its own):
streaming cost per sample (µs), batch throughput (samples/s; HST has no batch
path, so its figure is the streaming one), peak RSS (MB), and pointwise F1
with FAR/MAR. Data: SKAB valve1 when present (train on the first 400 rows of
each run, score the rest, pooled), else synthetic runs made here (8 features,
a correlated pair, a step, a drift or a correlation break in each run).

HST: ``MinMaxScaler | HalfSpaceTrees`` (River's documented pipeline); it
learns the training rows, then scores and keeps learning, as River intends.
Its decision: score above the 99th percentile of its scores on the last
training rows (a threshold it has no better way to choose).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

DEFAULT_DATA = Path("/work/shared/datasets/skab")
TRAIN = 400


def skab_runs(data: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    from edge.detect_command import read_series

    runs = []
    for f in sorted((data / "valve1").glob("*.csv")):
        s = read_series(f, {"anomaly", "changepoint"})
        label = read_series(f, set(s.columns) | {"changepoint"}).X[:, 0]
        runs.append((s.X, label.astype(bool)))
    return runs


def synthetic_runs(n_runs: int = 16, n: int = 1150, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    runs = []
    for r in range(n_runs):
        X = rng.normal(size=(n, 8))
        X[:, 1] = 0.9 * X[:, 0] + 0.45 * X[:, 1]
        label = np.zeros(n, dtype=bool)
        a = int(rng.integers(600, 800))
        b = a + int(rng.integers(150, 300))
        kind = r % 3
        if kind == 0:
            X[a:b, r % 8] += 3.0
        elif kind == 1:
            X[a:b, r % 8] += 0.02 * np.arange(b - a)
        else:
            X[a:b, 1] = -X[a:b, 1]
        label[a:b] = True
        runs.append((X, label))
    return runs


def f1_far_mar(pred: np.ndarray, label: np.ndarray) -> dict[str, float]:
    tp = int(np.sum(pred & label))
    fp = int(np.sum(pred & ~label))
    fn = int(np.sum(~pred & label))
    tn = int(np.sum(~pred & ~label))
    return {"f1": tp / (tp + (fp + fn) / 2) if tp + fp + fn else 0.0,
            "far": 100.0 * fp / (fp + tn) if fp + tn else 0.0,
            "mar": 100.0 * fn / (fn + tp) if fn + tp else 0.0}


def run_heatwatch(runs: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    from edge.detector import HealthyBehaviourDetector

    preds, labels, t_stream, t_batch, n_scored = [], [], 0.0, 0.0, 0
    for X, label in runs:
        stream, batch = HealthyBehaviourDetector(), HealthyBehaviourDetector()
        stream.fit(X[:TRAIN])
        batch.fit(X[:TRAIN])
        t0 = time.perf_counter()
        for x in X[TRAIN:]:
            stream.update(x)
        t_stream += time.perf_counter() - t0
        t0 = time.perf_counter()
        res = batch.score(X[TRAIN:])
        t_batch += time.perf_counter() - t0
        n_scored += len(X) - TRAIN
        preds.append(res.anomaly)
        labels.append(label[TRAIN:])
    out = f1_far_mar(np.concatenate(preds), np.concatenate(labels))
    out.update(us_per_sample=1e6 * t_stream / n_scored, batch_per_s=n_scored / t_batch)
    return out


def run_hst(runs: list[tuple[np.ndarray, np.ndarray]]) -> dict[str, float]:
    from river import anomaly, preprocessing

    preds, labels, t_stream, n_scored = [], [], 0.0, 0
    for X, label in runs:
        model = preprocessing.MinMaxScaler() | anomaly.HalfSpaceTrees(seed=42)
        rows = [dict(enumerate(map(float, x))) for x in X]
        train_scores = []
        for i, x in enumerate(rows[:TRAIN]):
            if i >= TRAIN - 150:
                train_scores.append(model.score_one(x))
            model.learn_one(x)
        threshold = float(np.quantile(train_scores, 0.99))
        scores = np.empty(len(rows) - TRAIN)
        t0 = time.perf_counter()
        for i, x in enumerate(rows[TRAIN:]):
            scores[i] = model.score_one(x)
            model.learn_one(x)
        t_stream += time.perf_counter() - t0
        n_scored += len(scores)
        preds.append(scores > threshold)
        labels.append(label[TRAIN:])
    out = f1_far_mar(np.concatenate(preds), np.concatenate(labels))
    us = 1e6 * t_stream / n_scored
    out.update(us_per_sample=us, batch_per_s=1e6 / us)
    return out


def measure(which: str, data: Path, synthetic: bool) -> dict[str, float]:
    runs = synthetic_runs() if synthetic or not (data / "valve1").is_dir() else skab_runs(data)
    out = (run_heatwatch if which == "heatwatch" else run_hst)(runs)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    out["samples"] = float(sum(len(X) - TRAIN for X, _ in runs))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--synthetic", action="store_true", help="use synthetic runs even if SKAB is present")
    ap.add_argument("--only", choices=["heatwatch", "hst"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.only:
        print(json.dumps(measure(args.only, args.data, args.synthetic)))
        return
    source = "synthetic" if args.synthetic or not (args.data / "valve1").is_dir() else f"SKAB valve1 ({args.data})"
    print(f"data: {source}; train {TRAIN} rows per run, scored pooled on the rest")
    print(f"{'detector':<34}{'µs/sample':>10}{'batch/s':>11}{'RSS MB':>8}{'F1':>7}{'FAR %':>8}{'MAR %':>8}")
    for which, name in (("heatwatch", "heatwatch HealthyBehaviourDetector"), ("hst", "River MinMaxScaler|HalfSpaceTrees")):
        cmd = [sys.executable, __file__, "--only", which, "--data", str(args.data)] + (["--synthetic"] if args.synthetic else [])
        r = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
        print(f"{name:<34}{r['us_per_sample']:>10.1f}{r['batch_per_s']:>11.0f}{r['peak_rss_mb']:>8.1f}"
              f"{r['f1']:>7.3f}{r['far']:>8.2f}{r['mar']:>8.2f}")
    print("(HST has no batch entry point: its batch/s is 1e6 / its streaming µs/sample)")


if __name__ == "__main__":
    main()
