"""`heatwatch detect` on files with several devices, label/id columns, repeated times and drivers."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from heatwatch.cli import app

runner = CliRunner()


def write(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def scores(path: Path) -> list[dict[str, str]]:
    with path.open() as f:
        return list(csv.DictReader(f))


def fleet_rows(n: int = 800, fault_at: int = 600) -> list[list]:
    """Two pumps interleaved like `heatwatch sim export`: a text device column, levels far apart,
    the label columns (fault text, fault_active, tripped) and a sequence id. hp-b's flow drops
    at ``fault_at``; its labels say so."""
    rng = np.random.default_rng(1)
    rows = []
    for i in range(n):
        t = f"2024-11-01T{i // 60:02d}:{i % 60:02d}:00Z"
        for dev, level in (("hp-a", 20.0), ("hp-b", 60.0)):
            flow = level + rng.normal()
            power = 3 * level + rng.normal()
            active = dev == "hp-b" and i >= fault_at
            if active:
                flow -= 6.0
            rows.append([t, dev, f"{flow:.3f}", f"{power:.3f}", 1, "low_flow" if active else "", int(active), 0,
                         len(rows)])
    return rows


HEADER = ["timestamp", "device", "flow_lpm", "power_w", "mode", "fault", "fault_active", "tripped", "seq"]


def test_a_device_column_scores_each_device_on_its_own(tmp_path: Path) -> None:
    src = write(tmp_path / "fleet.csv", HEADER, fleet_rows())
    out = tmp_path / "scores.csv"
    r = runner.invoke(app, ["detect", str(src), "--out", str(out), "--train-rows", "400"])
    assert r.exit_code == 0, r.output
    assert "per device (2 devices, column 'device')" in r.output
    rows = scores(out)
    assert list(rows[0]) == ["timestamp", "device", "score", "anomaly"] and len(rows) == 1600
    a = np.array([int(x["anomaly"]) for x in rows if x["device"] == "hp-a"])
    b = np.array([int(x["anomaly"]) for x in rows if x["device"] == "hp-b"])
    assert a.sum() == 0  # two levels 40 apart are two healthy pumps, not one with wild readings
    assert b[400:600].sum() == 0 and b[610:].all()


def test_label_id_and_constant_columns_are_left_out_and_named(tmp_path: Path) -> None:
    """Without hp-b's fault in the data, the labels' flip at row 600 must not be an anomaly."""
    rows = fleet_rows()
    for row in rows:
        if row[1] == "hp-b" and row[6]:
            row[2] = f"{float(row[2]) + 6.0:.3f}"  # the readings stay healthy; only the labels say fault
    src = write(tmp_path / "fleet.csv", HEADER, rows)
    out = tmp_path / "scores.csv"
    r = runner.invoke(app, ["detect", str(src), "--out", str(out), "--train-rows", "400"])
    assert r.exit_code == 0, r.output
    assert "2 features" in r.output
    for expected in ("fault (a label (by name))", "fault_active (a label (by name))", "tripped (a label (by name))",
                     "seq (an id (by name))", "mode (constant (1))"):
        assert expected in r.output, r.output
    assert sum(int(x["anomaly"]) for x in scores(out)) == 0


def test_an_increasing_integer_column_is_an_id_by_content(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    rows = [[i, 1000 + 3 * i, f"{rng.normal():.3f}"] for i in range(500)]
    src = write(tmp_path / "in.csv", ["time", "msg", "x"], rows)
    r = runner.invoke(app, ["detect", str(src), "--out", str(tmp_path / "s.csv"), "--train-rows", "200"])
    assert r.exit_code == 0, r.output
    assert "msg (an increasing integer (an id or a row number))" in r.output and "1 features" in r.output
    r = runner.invoke(app, ["detect", str(src), "--out", str(tmp_path / "s.csv"), "--train-rows", "200", "--keep", "msg"])
    assert "2 features" in r.output


def test_duplicate_timestamps_are_counted_and_warned(tmp_path: Path) -> None:
    rows = fleet_rows(500)
    dup = [list(rows[i]) for i in (100, 101, 300)]  # a logger that wrote three readings twice
    rows = rows[:302] + dup + rows[302:]
    src = write(tmp_path / "fleet.csv", HEADER, rows)
    r = runner.invoke(app, ["detect", str(src), "--out", str(tmp_path / "s.csv"), "--train-rows", "200"])
    assert r.exit_code == 0, r.output
    assert "3 duplicate timestamps" in r.output
    assert "warning: 3 rows repeat an earlier timestamp of the same device (first at line 304)" in r.output
    # the same times on two devices are not duplicates
    r = runner.invoke(app, ["detect", str(src), "--out", str(tmp_path / "s.csv"), "--train-rows", "200",
                            "--exclude", "seq"])
    assert "3 duplicate timestamps" in r.output


def weather_rows(n: int = 3000, fault_at: int | None = None) -> list[list]:
    """A machine whose readings follow the outdoor temperature (a curved relation); training rows (the first 1000) see a mild spell (2-12 °C), the rest a
    cold one (down to -6 °C)."""
    rng = np.random.default_rng(3)
    i = np.arange(n)
    t_out = 7 + 5 * np.sin(2 * np.pi * i / 500) - np.where(i > 1000, (i - 1000) / 2000 * 8, 0) + 0.3 * rng.normal(size=n)
    t_out = np.round(t_out, 1)
    flow = 45 - 0.8 * t_out + 0.4 * rng.normal(size=n)
    power = 2500 - 60 * t_out + 1.5 * t_out**2 + 30 * rng.normal(size=n)
    if fault_at is not None:
        power[fault_at:] += 250.0  # ~8 sigma of the residual: a real fault
    return [[int(k) * 60, f"{a:.1f}", f"{b:.3f}", f"{c:.1f}"] for k, a, b, c in zip(i, t_out, flow, power)]


def test_given_drivers_judge_the_weather_as_weather(tmp_path: Path) -> None:
    """Given t_outdoor, a cold spell beyond the training range raises nothing and a real fault
    in it is seen at once; without it the weather's spread hides most of the fault."""
    src = write(tmp_path / "w.csv", ["time", "t_outdoor", "t_flow", "power_w"], weather_rows())
    out = tmp_path / "s.csv"
    r = runner.invoke(app, ["detect", str(src), "--out", str(out), "--train-rows", "1000", "--given", "t_outdoor"])
    assert r.exit_code == 0, r.output
    assert "2 features, given t_outdoor" in r.output
    assert np.mean([int(x["anomaly"]) for x in scores(out)][1000:]) < 0.005
    write(src, ["time", "t_outdoor", "t_flow", "power_w"], weather_rows(fault_at=2500))
    r = runner.invoke(app, ["detect", str(src), "--out", str(out), "--train-rows", "1000", "--given", "t_outdoor"])
    a = np.array([int(x["anomaly"]) for x in scores(out)])
    assert a[1000:2500].mean() < 0.005 and a[2510:].mean() > 0.95
    r = runner.invoke(app, ["detect", str(src), "--out", str(out), "--train-rows", "1000"])
    plain = np.array([int(x["anomaly"]) for x in scores(out)])
    assert plain[2510:].mean() < 0.6


def test_a_level_shift_stops_being_flagged_when_learning_online(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=4000) + np.where(np.arange(4000) >= 1500, 10.0, 0.0)
    src = write(tmp_path / "s.csv", ["time", "x"], [[i, f"{v:.4f}"] for i, v in enumerate(x)])
    out = tmp_path / "o.csv"
    r = runner.invoke(app, ["detect", str(src), "--out", str(out), "--warmup", "300"])
    assert r.exit_code == 0, r.output
    assert "re-learned 1x" in r.output
    a = np.array([int(v["anomaly"]) for v in scores(out)])
    assert a[1510:1700].all()  # the change is reported when it starts ...
    assert a[2000:].sum() == 0  # ... and is the new normal after the warm-up's length
    r = runner.invoke(app, ["detect", str(src), "--out", str(out), "--warmup", "300", "--no-adapt"])
    a = np.array([int(v["anomaly"]) for v in scores(out)])
    assert a[2000:].mean() > 0.9  # frozen: flagged for the rest of the stream


@pytest.mark.parametrize("seed", [6, 7, 8, 9])
def test_seasonal_finds_the_cycle_and_sees_it_stop(tmp_path: Path, seed: int) -> None:
    """A daily profile of 200 rows, learned online; at row 2400 the cycle stops (the reading
    sits at its mean): inside the old range, so only a detector that expects the profile sees it.
    Several noise seeds: the cycle's length and the alarm must not rest on one draw."""
    rng = np.random.default_rng(seed)
    i = np.arange(4000)
    x = 40 + 15 * np.sin(2 * np.pi * i / 200) + 0.5 * rng.normal(size=4000)
    x[2400:2600] = 40 + 0.5 * rng.normal(size=200)
    src = write(tmp_path / "s.csv", ["time", "x"], [[k, f"{v:.3f}"] for k, v in zip(i, x)])
    out = tmp_path / "o.csv"
    r = runner.invoke(app, ["detect", str(src), "--out", str(out), "--warmup", "1000", "--seasonal"])
    assert r.exit_code == 0, r.output
    assert any(f"cycle: {p} rows" in r.output for p in ("199.9", "200.0", "200.1")), r.output
    a = np.array([int(v["anomaly"]) for v in scores(out)])
    assert a[1000:2400].mean() < 0.01 and a[2420:2600].mean() > 0.5
    r = runner.invoke(app, ["detect", str(src), "--out", str(out), "--warmup", "1000"])
    assert np.array([int(v["anomaly"]) for v in scores(out)])[2420:2600].mean() < 0.5
