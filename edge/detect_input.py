"""Reading `heatwatch detect`'s input: a CSV into times, devices and the columns worth scoring.

Which columns are measurements is decided by name and by content, so a file
straight from a logger, a SCADA export or `heatwatch sim export` can be scored
without a list of `--exclude`s:

* the time column (``timestamp``/``datetime``/``time``, else the first);
* a device column (``--device``, else one named ``device``/``device_id``/...):
  each device is its own series, scored by its own detector;
* left out by name: ground-truth labels (``anomaly``, ``changepoint``,
  ``label``, ``fault``, ``fault_active``, ``tripped``, ...) and ids;
* left out by content: text columns (a label or an identifier, not a
  measurement), columns that never change, and integer columns that only
  ever increase (a row number or a message id; a detector would call every
  new value unseen).

Each column left out is named with the reason, so the user can see it and
override it. Cells that cannot be read are kept as missing and counted.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from heatwatch.textfile import NotTextError, read_text

TIME_NAMES = ("timestamp", "datetime", "time")
DEVICE_NAMES = ("device", "device_id", "deviceid", "unit", "unit_id", "machine", "machine_id", "asset", "asset_id")
LABEL_NAMES = frozenset({
    "anomaly", "anomalies", "is_anomaly", "anomaly_label", "label", "labels", "changepoint", "change_point",
    "fault", "faults", "fault_active", "fault_type", "tripped", "trip", "ground_truth", "truth", "target",
    "outlier", "is_outlier", "attack", "class",
})
ID_NAMES = frozenset({"id", "index", "row", "row_id", "seq", "sequence", "msg_id", "message_id", "record", "sample"})
MISSING = frozenset({"", "nan", "NaN", "NAN", "na", "NA", "n/a", "null", "NULL", "None", "none", "-"})
TEXT_COLUMN_SHARE = 0.5  # a column with more unreadable cells than this is text, not a measurement


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
    devices: np.ndarray | None = None  # per row the device it belongs to (None: one device)
    device_column: str | None = None
    left_out: dict[str, str] = field(default_factory=dict)  # column -> why it is not scored
    duplicate_times: int = 0  # rows whose time repeats an earlier row of the same device
    first_duplicate_line: int = 0

    def problems(self) -> str:
        """What was read as missing beyond empty/NaN cells, for the user to check."""
        seen = self.first_bad_line or {}
        parts = []
        if self.unreadable:
            parts.append(f"{self.unreadable} unreadable cells (first at line {seen['unreadable']})")
        if self.short_rows:
            parts.append(f"{self.short_rows} short rows (first at line {seen['short row']})")
        return ", ".join(parts)

    def groups(self) -> list[tuple[str, np.ndarray]]:
        """(device, row indices in file order) per device, in order of first appearance."""
        if self.devices is None:
            return [("", np.arange(len(self.X)))]
        names, first, inverse = np.unique(self.devices, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")
        return [(str(names[k]), np.flatnonzero(inverse == k)) for k in order]


def read_series(path: Path, exclude: set[str], device: str | None = None, keep: set[str] | None = None) -> Series:
    """The CSV at ``path`` as a :class:`Series`; ``exclude`` columns are dropped, ``keep`` columns
    are scored even if their name or content would leave them out."""
    keep = keep or set()
    header, body = _read_rows(path)
    unknown = (exclude | keep | ({device} if device else set())) - set(header)
    if unknown:
        raise InputError(f"columns not in the header: {', '.join(sorted(unknown))} "
                         f"(the header has {', '.join(header)})")
    lower = [h.lower() for h in header]
    tcol = next((lower.index(n) for n in TIME_NAMES if n in lower), 0)
    if device is None:
        dcol = next((lower.index(n) for n in DEVICE_NAMES if n in lower and lower.index(n) != tcol), None)
    else:
        dcol = header.index(device)
    width = len(header)
    for i, row in enumerate(body):
        if len(row) > width:
            raise InputError(f"line {i + 2}: {len(row)} fields, the header has {width}")
        if len(row) <= max(tcol, dcol if dcol is not None else -1):
            raise InputError(f"line {i + 2}: {len(row)} fields, no time or device (the header has {width})")
    short = [i for i, row in enumerate(body) if len(row) < width]
    short_len = {i: len(body[i]) for i in short}
    for i in short:
        body[i] = body[i] + [""] * (width - len(body[i]))
    cells = list(zip(*body))  # column-major, every row now as wide as the header
    times = [t.strip() for t in cells[tcol]]
    devices = np.array([d.strip() for d in cells[dcol]]) if dcol is not None else None
    groups = _group_index(devices, len(body))

    left_out: dict[str, str] = {}
    cols: list[int] = []
    columns: list[np.ndarray] = []
    missing = 0
    bad_total = 0
    first_bad_cell_line = None
    for j, name in enumerate(header):
        if j in (tcol, dcol) or name in exclude:
            continue
        forced = name in keep
        if not forced and name.lower() in LABEL_NAMES:
            left_out[name] = "a label (by name)"
            continue
        if not forced and name.lower() in ID_NAMES:
            left_out[name] = "an id (by name)"
            continue
        values, n_missing, bad, first_bad = _to_float(cells[j])
        if bad > TEXT_COLUMN_SHARE * len(body):
            left_out[name] = f"text (e.g. {first_bad[1]!r} at line {first_bad[0] + 2})"
            continue
        if not forced:
            why = _not_a_measurement(values, groups)
            if why:
                left_out[name] = why
                continue
        cols.append(j)
        columns.append(values)
        missing += n_missing
        bad_total += bad
        if bad and (first_bad_cell_line is None or first_bad[0] + 2 < first_bad_cell_line):
            first_bad_cell_line = first_bad[0] + 2
    if not cols:
        reasons = "; ".join(f"{k}: {v}" for k, v in left_out.items()) or "none besides time/device"
        raise InputError(f"no numeric columns to score (left out: {reasons}; force one with --keep COL)")
    X = np.column_stack(columns)
    # missing cells of short rows count as short rows, not as NaN cells
    first_bad: dict[str, int] = {}
    if short:
        first_bad["short row"] = short[0] + 2
        missing -= sum(1 for i in short for j in cols if j >= short_len[i])
    if bad_total:
        first_bad["unreadable"] = int(first_bad_cell_line)
    dup, first_dup = _duplicates(times, groups)
    return Series(times, _parse_times(times), [header[j] for j in cols], X, int(missing), int(bad_total),
                  len(short), first_bad, devices, header[dcol] if dcol is not None else None, left_out,
                  dup, first_dup)


def _read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    if not path.is_file():
        raise InputError(f"input file not found: {path}")
    try:
        text = read_text(path, "CSV")
    except NotTextError as exc:  # a binary or non-UTF-8 file: say so, not "empty" or "no columns"
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
    return header, body


def _to_float(cells: tuple[str, ...]) -> tuple[np.ndarray, int, int, tuple[int, str]]:
    """Values (NaN for missing/unreadable), missing count, unreadable count, first unreadable (row, cell)."""
    try:
        v = np.array(cells, dtype=np.float64)  # the fast path: every cell a number
        bad_inf = ~np.isfinite(v)
        v[bad_inf] = math.nan
        return v, int(bad_inf.sum()), 0, (0, "")
    except ValueError:
        pass
    v = np.empty(len(cells))
    missing = bad = 0
    first: tuple[int, str] | None = None
    for i, c in enumerate(cells):
        c = c.strip()
        if c in MISSING:
            v[i] = math.nan
            missing += 1
            continue
        try:
            x = float(c)
        except ValueError:
            v[i] = math.nan
            bad += 1
            if first is None:
                first = (i, c)
            continue
        if not math.isfinite(x):
            x = math.nan
            missing += 1
        v[i] = x
    return v, missing, bad, first or (0, "")


def _group_index(devices: np.ndarray | None, n: int) -> list[np.ndarray]:
    if devices is None:
        return [np.arange(n)]
    _, inverse = np.unique(devices, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    counts = np.bincount(inverse)
    return np.split(order, np.cumsum(counts)[:-1])


def _not_a_measurement(v: np.ndarray, groups: list[np.ndarray]) -> str:
    """Why a numeric column is not worth scoring (constant, or an increasing integer id), else ''."""
    finite = v[np.isfinite(v)]
    if finite.size == 0:
        return "empty"
    if np.all(finite == finite[0]):
        return f"constant ({finite[0]:g})"
    if np.all(finite == np.round(finite)):
        increasing = True
        for idx in groups:
            g = v[idx]
            g = g[np.isfinite(g)]
            if g.size < 3 or not np.all(np.diff(g) > 0):
                increasing = False
                break
        if increasing:
            return "an increasing integer (an id or a row number)"
    return ""


def _duplicates(times: list[str], groups: list[np.ndarray]) -> tuple[int, int]:
    """Rows whose time repeats an earlier row of the same device; the first such line."""
    count = 0
    first = 0
    t = np.array(times)
    for idx in groups:
        g = t[idx]
        _, first_of = np.unique(g, return_index=True)
        if len(first_of) == len(g):
            continue
        seen = np.zeros(len(g), dtype=bool)
        seen[first_of] = True
        dup_rows = idx[~seen]
        count += len(dup_rows)
        line = int(dup_rows.min()) + 2
        first = line if not first else min(first, line)
    return count, first


def _parse_times(times: list[str]) -> np.ndarray:
    """Seconds: numbers as they are, ISO dates as unix time, else the row index."""
    try:
        return np.array(times, dtype=np.float64)
    except ValueError:
        pass
    try:
        return np.array([datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp() for t in times])
    except ValueError:
        return np.arange(len(times), dtype=np.float64)
