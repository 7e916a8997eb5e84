"""A frozen model's alarm clears when its score has been quiet as long as a healthy excursion is inside itself.

The fixed release (10 rows below 0.8 x the threshold) holds every alarm of a score with memory (the MEWMA,
an EWMA) 9 rows after its evidence has gone: on hourly weather rows that is 9 flagged hours per episode,
more than half of the healthy hours main flags on fresh34 and fresh35 (docs/generic-detector.md, s-weather31).
`threshold.release_rows` learns the quiet run from the healthy scores' own clusters (runs declustering with
the extremal index's run length); `heatwatch detect --release clusters` uses it (opt-in). The raise is unchanged.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np

from heatwatch.edge.generic_detector.ewma import ewma_block
from heatwatch.edge.generic_detector.threshold import AlarmDecision, ThresholdConfig, release_rows


def test_a_score_with_memory_gets_a_short_release_a_flickering_one_a_longer_one() -> None:
    z = np.random.default_rng(1).standard_normal((4000, 1))
    smooth = np.abs(ewma_block(np.zeros(1), z, 0.1)[:, 0])
    assert release_rows(smooth, 0.9, 10) <= 3
    # excursions that flicker: a slow on/off state, exceeding on 40 % of the "on" rows
    rng = np.random.default_rng(2)
    state = np.repeat(rng.random(200) < 0.3, 20)
    flicker = np.where(state & (rng.random(4000) < 0.4), 3.0 + rng.random(4000), rng.random(4000))
    r = release_rows(flicker, 0.9, 10)
    assert 4 <= r <= 10
    assert release_rows(flicker, 0.9, 3) == 3  # never longer than the fixed release
    assert release_rows(np.r_[np.zeros(100), 5.0], 0.9, 10) == 10  # one exceedance: nothing learned


def test_the_learned_release_survives_a_saved_state() -> None:
    z = np.random.default_rng(3).standard_normal((2000, 1))
    d = AlarmDecision(ThresholdConfig(release="clusters"))
    d.fit(np.abs(ewma_block(np.zeros(1), z, 0.1)[:, 0]))
    e = AlarmDecision(ThresholdConfig(release="clusters"))
    e.load_state(d.state())
    assert e.min_off == d.min_off < 10
    old = {k: v for k, v in d.state().items() if k != "min_off"}  # a state saved before the release was learned
    e.load_state(old)
    assert e.min_off == 10


def _detect(csv_in: Path, out: Path, *extra: str) -> tuple[np.ndarray, np.ndarray]:
    proc = subprocess.run([sys.executable, "-m", "heatwatch.cli", "detect", str(csv_in), "--out", str(out),
                           "--train-rows", "400", "--given", "d", *extra], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    with out.open() as f:
        rows = list(csv.DictReader(f))
    return np.array([float(r["score"]) for r in rows]), np.array([int(r["anomaly"]) for r in rows], dtype=bool)


def test_detect_clears_a_frozen_alarm_soon_after_its_evidence_and_raises_it_as_before(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    n = 1400
    d = 5.0 * np.sin(np.arange(n) / 37.0) + rng.standard_normal(n)  # the driver
    e = np.zeros((n, 3))
    for t in range(1, n):
        e[t] = 0.6 * e[t - 1] + rng.standard_normal(3)
    cols = np.column_stack([2.0 * d, -d, 0.5 * d]) + e
    cols[800:900, 0] += 10.0  # a fault that comes and goes
    data = tmp_path / "in.csv"
    data.write_text("time,d,a,b,c\n" + "\n".join(f"{t},{d[t]:.5f}," + ",".join(f"{v:.5f}" for v in cols[t])
                                                for t in range(n)) + "\n")
    s_new, a_new = _detect(data, tmp_path / "new.csv", "--release", "clusters")
    s_old, a_old = _detect(data, tmp_path / "old.csv")  # the default
    assert np.array_equal(s_new, s_old)  # the same scores
    assert not a_new[:800].any() and not a_old[:800].any()
    assert np.flatnonzero(a_new)[0] == np.flatnonzero(a_old)[0]  # the same first alarm
    held_new = int(np.sum(a_new[900:] & (s_new[900:] < 0.8)))
    held_old = int(np.sum(a_old[900:] & (s_old[900:] < 0.8)))
    assert held_old >= 9  # main: the fixed release holds 9 rows past the evidence
    assert held_new <= 3, held_new
