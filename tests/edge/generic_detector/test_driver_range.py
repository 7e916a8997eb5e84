"""`heatwatch detect --given` says how many judged rows had a driver beyond its training range.

What the healthy weather bench flags is mostly there (fresh3, 15-minute rows:
311 of 450 flagged rows; a Milan pump's first frosts 8 K below its mild
training fortnight): the expectation is extrapolated, and a regime the
training never showed reads like a fault. The count tells the user so.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from heatwatch.edge.detect_command import outside_training_range


def test_rows_outside_the_training_range_are_counted_per_driver() -> None:
    D = np.array([[0.0, 5.0], [1.0, 6.0], [0.5, 5.5],  # training rows
                  [0.5, 5.5], [1.5, 5.5], [0.5, 4.0], [np.nan, 5.0], [-1.0, 7.0]])
    assert outside_training_range(D, 3).tolist() == [False, True, True, False, True]
    assert outside_training_range(D[:, :0], 3).tolist() == [False] * 5


def test_detect_reports_the_rows_beyond_the_training_range(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n, train = 900, 300
    drv = np.concatenate([rng.uniform(5, 15, train), rng.uniform(0, 15, n - train)])
    y = 2.0 * drv + rng.normal(0, 0.5, n)
    data = tmp_path / "in.csv"
    data.write_text("time,t_out,y\n" + "\n".join(f"{t},{a:.4f},{b:.4f}" for t, (a, b) in enumerate(zip(drv, y))) + "\n")
    proc = subprocess.run([sys.executable, "-m", "heatwatch.cli", "detect", str(data), "--out", str(tmp_path / "o.csv"),
                           "--train-rows", str(train), "--given", "t_out"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    expected = int(np.sum(drv[train:] < drv[:train].min()))
    assert expected > 100
    assert f"drivers beyond their training range on {expected} judged rows" in proc.stdout
    plain = subprocess.run([sys.executable, "-m", "heatwatch.cli", "detect", str(data), "--out", str(tmp_path / "p.csv"),
                            "--train-rows", str(train)], capture_output=True, text=True)
    assert plain.returncode == 0 and "beyond their training range" not in plain.stdout
