"""Healthy weather-driven pumps scored with `heatwatch detect --given t_outdoor`: weather is not a fault.

Two simulated healthy pumps (10-minute steps, Stockholm, November-December),
averaged to hourly rows as a logger or a cloud export would keep them; the
first two weeks train, the next six and a half are judged. Every flagged row
is a false alarm. Before the detector's T² used the training correlation at
every horizon (commit 3595334) it flagged 35 % and 5 % of these hours: the
condensing, flow and liquid temperatures drift together with the weather, the
wander allowance widened some of them and not others, and their common drift
read as a broken correlation."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from heatwatch.cli import app

runner = CliRunner()
SCENARIO = """name: weather_test
fleet: {size: 2}
climate: stockholm
start: 2024-11-01
duration: 60d
step: 10min
seed: 1
refrigerant: R32
"""
PER_HOUR = 6
TRAIN = 14 * 24


def hourly(src: Path, dst: Path) -> None:
    """Mean of each hour's rows per pump (labels dropped)."""
    with src.open() as f:
        r = csv.reader(f)
        header = next(r)
        rows: dict[str, list[list[str]]] = defaultdict(list)
        for row in r:
            rows[row[1]].append(row)
    cols = [j for j, h in enumerate(header) if j >= 2 and h not in ("fault", "fault_active", "tripped")]
    with dst.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow([header[0], header[1], *(header[j] for j in cols)])
        for dev, got in rows.items():
            for s in range(0, len(got) - PER_HOUR + 1, PER_HOUR):
                block = got[s:s + PER_HOUR]
                w.writerow([block[0][0], dev, *(f"{np.mean([float(b[j]) for b in block]):.4g}" for j in cols)])


def test_healthy_weather_driven_hours_are_not_flagged_given_the_outdoor_temperature(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(SCENARIO)
    r = runner.invoke(app, ["sim", "export", str(tmp_path / "s.yaml"), "--out", str(tmp_path / "raw.csv"), "-q"])
    assert r.exit_code == 0, r.output
    hourly(tmp_path / "raw.csv", tmp_path / "h.csv")
    out = tmp_path / "scores.csv"
    r = runner.invoke(app, ["detect", str(tmp_path / "h.csv"), "--out", str(out), "--train-rows", str(TRAIN),
                            "--given", "t_outdoor"])
    assert r.exit_code == 0, r.output
    per: dict[str, list[int]] = defaultdict(list)
    with out.open() as f:
        for row in csv.DictReader(f):
            per[row["device"]].append(int(row["anomaly"]))
    judged = [np.array(a[TRAIN:], dtype=bool) for a in per.values()]
    rows = sum(a.size for a in judged)
    flagged = sum(int(a.sum()) for a in judged)
    episodes = sum(int(a[0]) + int(np.sum(a[1:] & ~a[:-1])) for a in judged)
    weeks = rows / (7 * 24)
    assert len(judged) == 2 and rows > 2000
    assert flagged / rows <= 0.01, f"{flagged} of {rows} healthy hours flagged"
    assert episodes / weeks <= 0.2, f"{episodes} alarm episodes in {weeks:.1f} healthy pump-weeks"
