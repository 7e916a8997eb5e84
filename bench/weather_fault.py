"""A condenser-like signature injected into one healthy weather-bench pump: when does `heatwatch detect` see it?

    .venv/bin/python bench/weather_fault.py ROWS.csv --device hp-004 [--onset mildest|DAY] [--shift 4]
        [--columns t_cond,t_liquid] [--every 60] [--train-days 14] [--given t_outdoor]

ROWS.csv is one of `bench/weather_bench.py`'s averaged files (``--work DIR``: PART.EVERYmin.csv). The
pump's rows are run through the real `heatwatch detect --train-rows (train days) --given ...` twice:
as they are, and with ``--shift`` K added to ``--columns`` from the onset on (the +4 K of a fouled
condenser's t_cond / t_liquid, as docs/generic-detector.md's fresh16 check). The onset ``mildest`` is
the start of the judged 7-day window with the highest mean air, where the heating limit's idle rows
go unjudged; a number is a day from the start. Printed: the onset and that week's air, rows not
judged, the healthy run's flagged share before and after the onset, and the faulty run's first alarm
after the onset (hours) and share of the rows after it flagged.
"""

from __future__ import annotations

import argparse
import csv
import re
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import numpy as np


def run(path: Path, train: int, given: str, extra: str = "") -> tuple[np.ndarray, int]:
    """detect's per-row alarms and its count of rows not judged, out-of-envelope rows included (``extra``: more detect options)."""
    out = path.with_suffix(".scores.csv")
    proc = subprocess.run([sys.executable, "-m", "heatwatch.cli", "detect", str(path), "--out", str(out),
                           "--train-rows", str(train), "--given", given, *extra.split()],
                          capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(proc.stderr)
    with out.open() as f:
        alarm = np.array([int(r["anomaly"]) for r in csv.DictReader(f)], dtype=bool)
    m = re.search(r"^not judged: (\d+) rows", proc.stdout, re.M)
    # ... and rows at rest in a state the training never held (out of envelope: not judged either)
    unseen = re.search(r"^out of envelope: (\d+) rows", proc.stdout, re.M)
    return alarm, (int(m.group(1)) if m else 0) + (int(unseen.group(1)) if unseen else 0)


def mildest_onset(air: np.ndarray, train: int, per_day: int) -> int:
    """The first row of the judged 7-day window with the highest mean air (a heating limit's idle rows are there)."""
    week = 7 * per_day
    if len(air) - train < week:
        raise ValueError(f"fewer than 7 judged days ({len(air) - train} rows of {per_day} a day)")
    return train + int(np.argmax(np.convolve(air[train:], np.ones(week) / week, mode="valid")))


def shifted(rows: list[list[str]], onset: int, cols: list[int], shift: float) -> list[list[str]]:
    """The rows with ``shift`` added to ``cols`` from row ``onset`` on (empty cells stay empty)."""
    out = []
    for i, row in enumerate(rows):
        row = list(row)
        if i >= onset:
            for j in cols:
                if row[j] != "":
                    row[j] = f"{float(row[j]) + shift:.4g}"
        out.append(row)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("rows", type=Path)
    ap.add_argument("--device", required=True)
    ap.add_argument("--onset", default="mildest")
    ap.add_argument("--shift", type=float, default=4.0)
    ap.add_argument("--columns", default="t_cond,t_liquid")
    ap.add_argument("--every", type=int, default=60, help="minutes per row of ROWS.csv")
    ap.add_argument("--train-days", type=float, default=14.0)
    ap.add_argument("--given", default="t_outdoor")
    ap.add_argument("--extra", default="", help="more detect options, space-separated")
    args = ap.parse_args()
    with args.rows.open() as f:
        r = csv.reader(f)
        header = next(r)
        rows = [row for row in r if row[1] == args.device]
    if not rows:
        raise SystemExit(f"no rows of {args.device} in {args.rows}")
    per_day = 1440 // args.every
    train = int(round(args.train_days * per_day))
    air = np.array([float(row[header.index("t_outdoor")]) for row in rows])
    if args.onset == "mildest":
        onset = mildest_onset(air, train, per_day)
    else:
        onset = int(round(float(args.onset) * per_day))
    cols = [header.index(c) for c in args.columns.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        healthy, faulty = Path(tmp) / "healthy.csv", Path(tmp) / "faulty.csv"
        for path, shift in ((healthy, 0.0), (faulty, args.shift)):
            with path.open("w", newline="") as f:
                w = csv.writer(f)
                w.writerow(header)
                w.writerows(shifted(rows, onset, cols, shift) if shift else rows)
        ok, skip_ok = run(healthy, train, args.given, args.extra)
        bad, skip_bad = run(faulty, train, args.given, args.extra)
    t0 = datetime.fromisoformat(rows[onset][0].replace("Z", "+00:00"))
    wk = air[onset:onset + 7 * per_day]
    after = bad[onset:]
    first = int(np.argmax(after)) if after.any() else None
    print(f"{args.device}: onset {t0:%Y-%m-%d %H:%M} UTC (day {onset / per_day:.1f}; that week's air mean "
          f"{wk.mean():.1f} °C, {wk.min():.1f}..{wk.max():.1f}; training's {air[:train].mean():.1f} °C, "
          f"{air[:train].min():.1f}..{air[:train].max():.1f})")
    print(f"  healthy: {100 * ok[train:onset].mean() if onset > train else 0:.2f} % flagged before the onset, "
          f"{100 * ok[onset:].mean():.2f} % after; {skip_ok} of {len(rows) - train} judged rows not judged")
    print(f"  +{args.shift:g} K on {args.columns}: first alarm "
          + (f"{first * args.every / 60:.0f} h after the onset" if first is not None else "never")
          + f", {100 * after.mean():.1f} % of the rows after it flagged; {skip_bad} rows not judged")


if __name__ == "__main__":
    main()
