"""`heatwatch detect`: score any numeric multivariate CSV time series for anomalies.

Reads a CSV with a header (delimiter sniffed: ``,`` ``;`` tab ``|``), takes the
time column (``timestamp``/``datetime``/``time``, else the first column), and
runs :class:`heatwatch.edge.generic_detector.HealthyBehaviourDetector` over every other
non-excluded column. Writes one row per input row: timestamp, score, anomaly.
Bad input ends with a one-line message and exit code 2; empty/NaN cells are
kept as missing values and counted. A logger's slips are not fatal: a few
unreadable cells in a numeric column and rows cut short (a logger losing power
mid-line) become missing values, counted and reported with the first line
where each was seen. A column that is mostly text is refused: it is a label or
an identifier, not a measurement.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import typer

from heatwatch.textfile import NotTextError, read_text

TIME_NAMES = ("timestamp", "datetime", "time")
MISSING = {"", "nan", "NaN", "NAN", "na", "NA", "null", "NULL", "None"}
CHUNK = 20_000  # rows per score() call: bounded memory, progress for long inputs
TEXT_COLUMN_SHARE = 0.5  # a column with more unreadable cells than this is not numeric


class InputError(ValueError):
    """The input cannot be scored; the text tells the user what to fix."""


@dataclass
class Series:
    times: list[str]  # as written in the file
    ts: np.ndarray  # seconds (unix, or row index when the time column is not a date/number)
    columns: list[str]
    X: np.ndarray
    missing: int  # NaN / empty cells
    unreadable: int = 0  # cells that are not numbers, kept as missing
    short_rows: int = 0  # rows with fewer fields than the header, absent fields kept as missing
    first_bad_line: dict[str, int] | None = None  # "unreadable"/"short row" -> first line seen

    def problems(self) -> str:
        """What was read as missing beyond empty/NaN cells, for the user to check."""
        seen = self.first_bad_line or {}
        parts = []
        if self.unreadable:
            parts.append(f"{self.unreadable} unreadable cells (first at line {seen['unreadable']})")
        if self.short_rows:
            parts.append(f"{self.short_rows} short rows (first at line {seen['short row']})")
        return ", ".join(parts)


def read_series(path: Path, exclude: set[str]) -> Series:
    if not path.is_file():
        raise InputError(f"input file not found: {path}")
    try:
        text = read_text(path, "CSV")
    except NotTextError as exc:  # a binary file: say so, not "empty" or "no columns"
        raise InputError(str(exc)) from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError(f"{path} is empty (expected a header row and data rows)")
    try:
        delim = csv.Sniffer().sniff(lines[0], delimiters=",;\t|").delimiter
    except csv.Error:
        delim = ","
    rows = [r for r in csv.reader(lines, delimiter=delim) if r and any(c.strip() for c in r)]
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    if not body:
        raise InputError(f"{path} has a header but no data rows")
    unknown = exclude - set(header)
    if unknown:
        raise InputError(f"--exclude names columns not in the header: {', '.join(sorted(unknown))}")
    lower = [h.lower() for h in header]
    tcol = next((lower.index(n) for n in TIME_NAMES if n in lower), 0)
    cols = [j for j, h in enumerate(header) if j != tcol and h not in exclude]
    if not cols:
        raise InputError("no feature columns left after the time column and --exclude")
    X = np.empty((len(body), len(cols)))
    missing = unreadable = short_rows = 0
    bad_cells = np.zeros(len(cols), dtype=int)
    first_bad: dict[str, int] = {}
    first_bad_cell: dict[int, tuple[int, str]] = {}
    for i, row in enumerate(body):
        if len(row) > len(header):
            raise InputError(f"line {i + 2}: {len(row)} fields, the header has {len(header)}")
        if len(row) < len(header):
            if len(row) <= tcol:
                raise InputError(f"line {i + 2}: {len(row)} fields, no time (the header has {len(header)})")
            short_rows += 1
            first_bad.setdefault("short row", i + 2)
        for k, j in enumerate(cols):
            cell = row[j].strip() if j < len(row) else ""
            if cell in MISSING:
                X[i, k] = math.nan
                missing += 1
                continue
            try:
                X[i, k] = float(cell)
            except ValueError:
                X[i, k] = math.nan
                bad_cells[k] += 1
                first_bad_cell.setdefault(k, (i + 2, cell))
                continue
            if not math.isfinite(X[i, k]):
                X[i, k] = math.nan
                missing += 1
    for k in np.flatnonzero(bad_cells > TEXT_COLUMN_SHARE * len(body)):
        line, cell = first_bad_cell[int(k)]
        name = header[cols[k]]
        raise InputError(f"column {name!r} is not numeric: line {line} has {cell!r} "
                         f"(exclude it with --exclude {name})")
    if bad_cells.any():
        unreadable = int(bad_cells.sum())
        first_bad["unreadable"] = min(line for line, _ in first_bad_cell.values())
    times = [row[tcol] for row in body]
    return Series(times, _parse_times(times), [header[j] for j in cols], X, missing,
                  unreadable, short_rows, first_bad)


def _parse_times(times: list[str]) -> np.ndarray:
    """Seconds: numbers as they are, ISO dates as unix time, else the row index."""
    try:
        return np.array([float(t) for t in times])
    except ValueError:
        pass
    try:
        return np.array([datetime.fromisoformat(t.strip()).timestamp() for t in times])
    except ValueError:
        return np.arange(len(times), dtype=np.float64)


def detect(
    input: Path = typer.Argument(..., help="CSV with a header row; a time column and numeric columns."),
    out: Path = typer.Option(..., "--out", help="Where to write timestamp,score,anomaly per row."),
    train_rows: int | None = typer.Option(None, "--train-rows", help="The first N rows are healthy: learn from them."),
    exclude: str = typer.Option("", "--exclude", help="Comma-separated columns to ignore (e.g. labels)."),
    warmup: int = typer.Option(300, "--warmup", help="Without --train-rows: rows learned from before scoring."),
) -> None:
    """Score INPUT row by row against the healthy behaviour learned from its start."""
    from rich.progress import Progress

    from heatwatch.edge.generic_detector import HealthyBehaviourConfig, HealthyBehaviourDetector

    try:
        series = read_series(input, {c.strip() for c in exclude.split(",") if c.strip()})
        n = len(series.X)
        if train_rows is not None and not 10 <= train_rows <= n:
            raise InputError(f"--train-rows {train_rows}: must be between 10 and the {n} data rows")
        if train_rows is None and warmup < 10:
            raise InputError("--warmup must be at least 10 rows")
    except InputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None

    det = HealthyBehaviourDetector(HealthyBehaviourConfig(warmup=warmup))
    score = np.zeros(n)
    alarm = np.zeros(n, dtype=bool)
    start = 0
    if train_rows is not None:
        det.fit(series.ts[:train_rows], series.X[:train_rows])  # training rows: score 0, no alarm
        start = train_rows
    with Progress(transient=True, disable=n - start < 5 * CHUNK) as progress:
        task = progress.add_task("scoring", total=n - start)
        for s in range(start, n, CHUNK):
            res = det.score(series.ts[s:s + CHUNK], series.X[s:s + CHUNK])
            score[s:s + len(res)] = res.score
            alarm[s:s + len(res)] = res.anomaly
            progress.advance(task, len(res))

    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["timestamp", "score", "anomaly"])
        for t, s, a in zip(series.times, score, alarm):
            w.writerow([t, f"{s:.6g}", int(a)])
    learned = f"trained on {train_rows} rows" if train_rows is not None else f"warm-up {min(warmup, n)} rows"
    typer.echo(f"{n} rows, {len(series.columns)} features, {learned}, {int(alarm.sum())} anomalous rows, "
               f"{series.missing} missing/NaN cells -> {out}")
    if series.problems():
        typer.echo(f"warning: read as missing: {series.problems()}", err=True)
    if train_rows is None and n <= warmup:
        typer.echo(f"warning: only {n} rows, all used for warm-up (--warmup {warmup}): nothing was scored", err=True)
