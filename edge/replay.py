"""Replay logged readings through the agent's heat pump pipeline: what would it have said, and when?

An installer checks a pump's history (a controller's log, a bridge's export,
``heatwatch sim export``) before trusting the agent on it; anyone can test the
agent on data it has never seen. The readings go through exactly what the
agent runs, ``PumpPipeline.with_config(...).process_batch`` (detector, rules,
prognosis), one pipeline per device, in time order; the events are the ones
the agent would have published, with their times.

Input: a CSV with a header. The time column is ``timestamp``/``time``/``ts``/
``datetime`` (else the first column): ISO 8601 (UTC when it names no zone) or
unix seconds (or milliseconds). Columns named like heatwatch's channels
(``t_flow``, ``p_high``, ...) are read as they are; ``mapping`` renames
others (``OutdoorTemp -> t_outdoor``, with a unit converted by
``heatwatch.conversions``). A ``device`` column tells several pumps apart.
Other columns (the simulator's labels, a comment) are left out, by name.
Empty and unreadable cells are missing values (counted); a channel that has
no column is one the pump does not report (``coverage`` says what that
leaves unjudged).
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from heatwatch.channels import BY_NAME, CHANNEL_NAMES, INDEX
from heatwatch.contract import EventBody
from heatwatch.conversions import conversion
from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig
from heatwatch.edge.pipeline import PumpPipeline
from heatwatch.textfile import read_text

TIME_NAMES = ("timestamp", "time", "ts", "datetime", "date")
DEVICE_NAMES = ("device", "device_id", "pump")
CHUNK = 20_000  # rows per process_batch call: bounded memory on a long file
MS_THRESHOLD = 1e11
_BAD_ID = re.compile(r"[^A-Za-z0-9_.-]")


class ReplayError(ValueError):
    """The input cannot be replayed; the message says what to fix."""


@dataclass(frozen=True)
class ColumnMap:
    """One input column read as a channel: ``value * scale + offset``."""

    column: str
    channel: str
    scale: float = 1.0
    offset: float = 0.0


def parse_mapping(specs: list[str]) -> dict[str, ColumnMap]:
    """``COLUMN=channel`` or ``COLUMN=channel:unit`` (``OutdoorF=t_outdoor:°F``) -> column -> ColumnMap."""
    out: dict[str, ColumnMap] = {}
    for spec in specs:
        column, sep, target = spec.partition("=")
        channel, _, unit = target.partition(":")
        column, channel, unit = column.strip(), channel.strip(), unit.strip()
        if not sep or not column or not channel:
            raise ReplayError(f"--column {spec!r}: expected COLUMN=channel or COLUMN=channel:unit")
        if channel not in BY_NAME:
            raise ReplayError(f"--column {spec!r}: {channel!r} is not a heatwatch channel "
                              f"(known: {', '.join(CHANNEL_NAMES)})")
        try:
            scale, offset = conversion(channel, unit)
        except ValueError as exc:
            raise ReplayError(f"--column {spec!r}: {exc}") from None
        out[column] = ColumnMap(column, channel, scale, offset)
    return out


@dataclass
class DeviceLog:
    """One pump's readings from the file, in time order."""

    device: str
    ts: np.ndarray
    X: np.ndarray  # CHANNEL_NAMES order, NaN = missing


@dataclass
class LogFile:
    devices: list[DeviceLog]
    channels: tuple[str, ...]  # the channels the file has a column for
    ignored: list[str]  # columns left out
    rows: int
    missing_cells: int = 0
    unreadable_cells: int = 0
    bad_times: int = 0  # rows whose time could not be read (skipped)
    renamed: dict[str, str] = field(default_factory=dict)  # device as written -> id used


def _device_id(name: str) -> str:
    cleaned = _BAD_ID.sub("-", name.strip())[:64].lstrip("_.-")
    return cleaned or "pump"


def _times(col: list[str]) -> tuple[np.ndarray, int]:
    """Unix seconds per cell (NaN where unreadable) and how many were unreadable."""
    out = np.full(len(col), np.nan)
    try:
        out[:] = np.asarray(col, dtype=float)
        out = np.where(np.abs(out) > MS_THRESHOLD, out / 1000.0, out)
    except ValueError:
        try:  # the usual ISO 8601 in UTC ("2025-01-10T00:00:00Z"): vectorized
            stripped = [c[:-1] if c.endswith("Z") else c for c in col]
            out[:] = np.asarray(stripped, dtype="datetime64[ms]").astype("int64") / 1000.0
        except ValueError:
            for i, cell in enumerate(col):
                out[i] = _one_time(cell)
    bad = ~np.isfinite(out)
    return out, int(bad.sum())


def _one_time(cell: str) -> float:
    cell = cell.strip()
    try:
        v = float(cell)
        return v / 1000.0 if abs(v) > MS_THRESHOLD else v
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(cell.replace("Z", "+00:00"))
    except ValueError:
        return math.nan
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.timestamp()


def _numbers(col: list[str]) -> tuple[np.ndarray, int, int]:
    """Floats per cell, NaN for empty or unreadable ones; (values, missing, unreadable)."""
    cells = [c.strip() for c in col]
    empty = sum(1 for c in cells if c == "" or c.lower() in ("nan", "na", "null", "none"))
    try:
        return np.asarray([c if c else "nan" for c in cells], dtype=float), empty, 0
    except ValueError:
        out = np.full(len(cells), np.nan)
        bad = 0
        for i, c in enumerate(cells):
            if not c:
                continue
            try:
                out[i] = float(c)
            except ValueError:
                bad += 1
        return out, empty, bad


def read_log(path: Path, mapping: dict[str, ColumnMap] | None = None, device: str = "replay",
             device_column: str | None = None) -> LogFile:
    """Read a CSV of readings into per-device arrays. Raises ReplayError (one line) or NotTextError."""
    mapping = mapping or {}
    text = read_text(path, "CSV")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if len(lines) < 2:
        raise ReplayError(f"{path}: no readings (expected a header row and data rows)")
    try:
        delim = csv.Sniffer().sniff(lines[0], delimiters=",;\t|").delimiter
    except csv.Error:
        delim = ","
    rows = list(csv.reader(lines, delimiter=delim))
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    width = len(header)
    cols = list(zip(*(r + [""] * (width - len(r)) if len(r) < width else r[:width] for r in body)))
    by_name = {h: i for i, h in enumerate(header)}
    time_col = next((by_name[n] for n in TIME_NAMES if n in by_name), 0)
    if device_column and device_column not in by_name:
        raise ReplayError(f"{path}: no column {device_column!r} (columns: {', '.join(header)})")
    dev_name = device_column or next((n for n in DEVICE_NAMES if n in by_name), None)
    dev_col = by_name[dev_name] if dev_name else None
    for col in mapping:
        if col not in by_name:
            raise ReplayError(f"{path}: --column names {col!r}, which is not in the header ({', '.join(header)})")
    use: dict[int, ColumnMap] = {}
    for i, h in enumerate(header):
        if i in (time_col, dev_col):
            continue
        if h in mapping:
            use[i] = mapping[h]
        elif h in BY_NAME and h not in {m.channel for m in mapping.values()}:
            use[i] = ColumnMap(h, h)
    ignored = [h for i, h in enumerate(header) if i not in use and i not in (time_col, dev_col)]
    if not use:
        raise ReplayError(f"{path}: no column is a heatwatch channel ({', '.join(CHANNEL_NAMES[:4])}, ...); "
                          "name them so or map them with --column COLUMN=channel[:unit]")
    channels = tuple(m.channel for m in use.values())
    dup = [c for c, n in Counter(channels).items() if n > 1]
    if dup:
        raise ReplayError(f"{path}: more than one column for {', '.join(dup)}")
    ts, bad_times = _times(list(cols[time_col]))
    if bad_times == len(ts):
        raise ReplayError(f"{path}: column {header[time_col]!r} holds no readable times "
                          "(ISO 8601 or unix seconds expected)")
    X = np.full((len(body), len(CHANNEL_NAMES)), np.nan)
    missing = unreadable = 0
    for i, m in use.items():
        v, miss, bad = _numbers(list(cols[i]))
        X[:, INDEX[m.channel]] = v * m.scale + m.offset
        missing += miss
        unreadable += bad
    names = np.asarray(cols[dev_col]) if dev_col is not None else np.full(len(body), device)
    log = LogFile([], channels, ignored, len(body), missing, unreadable, bad_times)
    good = np.isfinite(ts)
    for name in dict.fromkeys(names.tolist()):
        sel = good & (names == name)
        if not sel.any():
            continue
        dev = _device_id(str(name))
        if dev != name:
            log.renamed[str(name)] = dev
        order = np.argsort(ts[sel], kind="stable")  # a log need not be sorted; equal times stay refused
        log.devices.append(DeviceLog(dev, ts[sel][order], X[sel][order]))
    return log


@dataclass
class DeviceReplay:
    device: str
    readings: int
    refused: dict[str, int]  # by reason (a time not after the last one)
    learned_at: float | None  # the time the healthy model was ready
    events: list[EventBody]
    not_judged: list[str]  # faults the file's channels cannot tell


def replay_device(log: DeviceLog, config: HeatPumpDetectorConfig, rule_files: list[str] | None = None,
                  chunk: int = CHUNK) -> DeviceReplay:
    """One pump's readings through the agent's pipeline, in chunks (as the agent would, faster)."""
    pipe = PumpPipeline.with_config(log.device, config, rule_files or None)
    events: list[EventBody] = []
    learned_at = None
    for s in range(0, len(log.ts), chunk):
        results, evs = pipe.process_batch(log.ts[s:s + chunk], log.X[s:s + chunk])
        events.extend(evs)
        if learned_at is None:
            learned_at = next((r.ts for r in results if r.ready), None)
    cov = pipe.coverage
    return DeviceReplay(log.device, len(log.ts), dict(pipe.rejected), learned_at, events,
                        sorted(cov.not_judged) if cov else [])
