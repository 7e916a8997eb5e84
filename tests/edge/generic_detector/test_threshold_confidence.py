"""The alarm threshold's tail counts independent excursions, not rows (threshold.py).

A score with memory (an EWMA) crosses its tail quantile in clusters; the
exponential tail fitted to 400 such rows rests on a handful of them, and the
extrapolated threshold can fall inside the healthy wander. On main the point
estimate was used: 4 of 40 short healthy records got a threshold that the
same process then exceeded more than 5 times as often as stated. `heatwatch
detect` states the bound (0.95) for a frozen model (no adaptation).
"""

from __future__ import annotations

import numpy as np

import csv
import subprocess
import sys
from pathlib import Path

from heatwatch.edge.generic_detector.ewma import ewma_block
from heatwatch.edge.generic_detector.threshold import AlarmDecision, ThresholdConfig, extremal_index


def _ewma_scores(seed: int, n: int, lam: float = 0.05) -> np.ndarray:
    z = np.random.default_rng(seed).standard_normal((n, 1))
    return np.abs(ewma_block(np.zeros(1), z, lam)[:, 0])


def test_extremal_index_is_one_for_lone_exceedances_and_small_for_an_ewma() -> None:
    iid = np.abs(np.random.default_rng(1).standard_normal(5000)) > 1.64
    assert extremal_index(iid) > 0.85
    s = _ewma_scores(2, 5000)
    theta = extremal_index(s > np.quantile(s, 0.9))
    assert theta < 0.3  # an EWMA with lambda 0.05 stays above its tail quantile for many rows


def test_threshold_from_a_short_clustered_record_holds_its_stated_rate() -> None:
    prob = 1e-3
    long = _ewma_scores(0, 400_000)  # the same healthy process, long enough to measure the rate
    realized = []
    for seed in range(100, 140):
        dec = AlarmDecision(ThresholdConfig(false_alarm_prob=prob, confidence=0.95))
        on = dec.fit(_ewma_scores(seed, 400))
        realized.append(float(np.mean(long > on)))
    realized = np.array(realized)
    assert np.sum(realized > 5 * prob) == 0, realized  # main (point estimate): 4 of 40
    assert np.median(realized) <= prob


def test_confidence_one_half_is_the_point_estimate() -> None:
    s = _ewma_scores(3, 400)
    a = AlarmDecision(ThresholdConfig(confidence=0.5)).fit(s)
    b = AlarmDecision(ThresholdConfig(confidence=0.95)).fit(s)
    u = np.quantile(s, 0.9)
    beta = np.median(s[s > u] - u) / np.log(2.0)
    assert np.isclose(a, u + beta * np.log(0.1 / 1e-4))
    assert b > a


def _detect(csv_in: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "heatwatch.cli", "detect", str(csv_in), "--out", str(out), *extra],
                          capture_output=True, text=True)


def test_detect_states_the_bound_for_a_frozen_model(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    x = np.zeros((1400, 3))
    for t in range(1, len(x)):
        x[t] = 0.95 * x[t - 1] + rng.standard_normal(3)
    data = tmp_path / "in.csv"
    data.write_text("time,a,b,c\n" + "\n".join(f"{t},{r[0]:.5f},{r[1]:.5f},{r[2]:.5f}" for t, r in enumerate(x)) + "\n")
    scores = {}
    for name, extra in (("default", []), ("point", ["--threshold-confidence", "0.5"])):
        out = tmp_path / f"{name}.csv"
        proc = _detect(data, out, "--train-rows", "400", *extra)
        assert proc.returncode == 0, proc.stderr
        with out.open() as f:
            scores[name] = np.array([float(r["score"]) for r in csv.DictReader(f)])
    judged = slice(400, None)
    # the same scores divided by a higher threshold: lower on every judged row (main: identical)
    assert np.all(scores["default"][judged] <= scores["point"][judged])
    assert np.mean(scores["default"][judged] < scores["point"][judged]) > 0.99
    bad = _detect(data, tmp_path / "x.csv", "--train-rows", "400", "--threshold-confidence", "0.3")
    assert bad.returncode == 2 and "--threshold-confidence" in bad.stderr
