"""`heatwatch detect` end to end on small CSVs written here, including bad input."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from heatwatch.cli import app

runner = CliRunner()


def write_csv(path: Path, n: int = 600, delimiter: str = ";", fault_at: int = 450, nan_cells: int = 0) -> Path:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3)) + [20.0, 5.0, 100.0]
    X[fault_at:, 1] += 8.0
    with path.open("w", newline="") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(["datetime", "temp", "pressure", "flow", "label"])
        for i, row in enumerate(X):
            cells = [f"{v:.4f}" for v in row]
            if i < nan_cells:
                cells[0] = "" if i % 2 else "NaN"
            w.writerow([f"2024-01-01 00:{i // 60:02d}:{i % 60:02d}", *cells, int(i >= fault_at)])
    return path


def read_scores(path: Path) -> list[dict[str, str]]:
    with path.open() as f:
        return list(csv.DictReader(f))


def test_detect_with_training_rows_writes_one_row_per_input_row(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv")
    out = tmp_path / "scores.csv"
    r = runner.invoke(app, ["detect", str(src), "--out", str(out), "--train-rows", "300", "--exclude", "label"])
    assert r.exit_code == 0, r.output
    rows = read_scores(out)
    assert len(rows) == 600 and list(rows[0]) == ["timestamp", "score", "anomaly"]
    assert rows[0]["timestamp"] == "2024-01-01 00:00:00"
    anomaly = np.array([int(x["anomaly"]) for x in rows])
    score = np.array([float(x["score"]) for x in rows])
    assert anomaly[:450].sum() == 0 and anomaly[460:].all()
    assert score[460:].min() > score[300:450].max()
    assert "0 missing/NaN cells" in r.output


def test_detect_online_without_training_rows_and_comma_csv(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", delimiter=",")
    out = tmp_path / "scores.csv"
    r = runner.invoke(app, ["detect", str(src), "--out", str(out), "--exclude", "label", "--warmup", "300"])
    assert r.exit_code == 0, r.output
    rows = read_scores(out)
    anomaly = np.array([int(x["anomaly"]) for x in rows])
    assert len(rows) == 600 and anomaly[:300].sum() == 0 and anomaly[460:].all()


def test_nan_cells_are_kept_as_missing_and_counted(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", nan_cells=6)
    out = tmp_path / "scores.csv"
    r = runner.invoke(app, ["detect", str(src), "--out", str(out), "--train-rows", "300", "--exclude", "label"])
    assert r.exit_code == 0, r.output
    assert "6 missing/NaN cells" in r.output
    assert all(np.isfinite(float(x["score"])) for x in read_scores(out))


def test_a_loggers_slips_are_counted_as_missing_not_fatal(tmp_path: Path) -> None:
    """Two garbled cells and a last line cut short by a power loss: scored, counted, reported."""
    src = write_csv(tmp_path / "in.csv")
    lines = src.read_text().splitlines()
    lines[101] = lines[101].replace(lines[101].split(";")[2], "#ERR", 1)  # a pressure cell
    lines[201] = lines[201].replace(lines[201].split(";")[1], "--", 1)  # a temp cell
    lines[-1] = ";".join(lines[-1].split(";")[:2])  # time and temp only
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "scores.csv"
    r = runner.invoke(app, ["detect", str(src), "--out", str(out), "--train-rows", "300", "--exclude", "label"])
    assert r.exit_code == 0, r.output
    assert "read as missing: 2 unreadable cells (first at line 102), 1 short rows (first at line 601)" in r.output
    rows = read_scores(out)
    assert len(rows) == 600 and all(np.isfinite(float(x["score"])) for x in rows)
    anomaly = np.array([int(x["anomaly"]) for x in rows])
    assert anomaly[:450].sum() == 0 and anomaly[460:].all()


def test_bad_input_exits_2_with_a_clear_message(tmp_path: Path) -> None:
    good = write_csv(tmp_path / "in.csv")
    out = str(tmp_path / "s.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    header_only = tmp_path / "header.csv"
    header_only.write_text("time;a;b\n")
    text = tmp_path / "text.csv"
    text.write_text("time,b,c\n1,x,4\n2,y,4\n")
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x00\x01\x02garbage\xff" * 50)
    cases = [
        (["detect", str(tmp_path / "missing.csv"), "--out", out], "not found"),
        (["detect", str(empty), "--out", out], "empty"),
        (["detect", str(header_only), "--out", out], "no data rows"),
        (["detect", str(text), "--out", out], "no numeric columns to score (left out: b: text"),
        (["detect", str(binary), "--out", out], "is a binary file, not text"),
        (["detect", str(good), "--out", out, "--given", "nope"], "not in the header"),
        (["detect", str(good), "--out", out, "--given", "temp,pressure,flow"], "nothing is left to judge"),
        (["detect", str(good), "--out", out, "--false-alarm-rate", "2"], "--false-alarm-rate 2"),
        (["detect", str(good), "--out", out, "--lag-hours", "-1"], "--lag-hours -1.0"),
        (["detect", str(good), "--out", out, "--lag-hours", "nan"], "--lag-hours nan"),
        (["detect", str(good), "--out", out, "--offset-pace", "-0.1"], "--offset-pace -0.1"),
        (["detect", str(good), "--out", out, "--offset-pace", "0.1", "--offset-days", "0"], "--offset-days 0.0"),
        (["detect", str(good), "--out", out, "--mewma-correlation", "lagged"], "--mewma-correlation lagged: rows or ewma"),
        (["detect", str(good), "--out", out, "--train-rows", "5000", "--exclude", "label"], "--train-rows 5000"),
        (["detect", str(good), "--out", out, "--exclude", "nope"], "not in the header"),
    ]
    for args, message in cases:
        r = runner.invoke(app, args)
        assert r.exit_code == 2, (args, r.output)
        assert message in r.output, (message, r.output)
        assert "Traceback" not in r.output
