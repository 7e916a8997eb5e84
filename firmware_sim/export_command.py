"""`heatwatch sim export SCENARIO --out run.csv`: a simulated run as CSV plus its ground truth.

Columns: timestamp (ISO 8601 UTC), device, one per channel in CHANNEL_NAMES
order, fault (name or empty), fault_active (0/1), tripped (0/1). Missing
readings (sensor dropout) are empty cells. The ground truth goes next to it as
``run.truth.json``: per faulty pump the fault, channel, onset and first trip.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from heatwatch.channels import CHANNEL_NAMES

from heatwatch.sim.fleet import Fleet
from heatwatch.sim.scenario import ScenarioError, load_scenario

# decimals per channel in the CSV: enough for the sensor resolution, no float noise
_DECIMALS = {"p_high": 2, "p_low": 2, "power_w": 0, "fan_rpm": 0, "compressor_hz": 0, "defrost": 0, "mode": 0, "error_code": 0}


def truth_path(out: Path) -> Path:
    name = out.name[: -len(out.suffix)] if out.suffix else out.name
    return out.with_name(f"{name}.truth.json")


def export(
    scenario: str = typer.Argument(..., help="Scenario file or built-in name (e.g. demo, healthy_fleet)."),
    out: Path = typer.Option(..., "--out", "-o", help="CSV file to write; ground truth goes to <name>.truth.json."),
    chunk_steps: int = typer.Option(1440, "--chunk-steps", help="Time steps simulated per chunk.", hidden=True),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    try:
        sc = load_scenario(scenario)
    except ScenarioError as e:
        typer.secho(f"error: {e}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    fleet = Fleet(sc)
    out.parent.mkdir(parents=True, exist_ok=True)
    header = ["timestamp", "device", *CHANNEL_NAMES, "fault", "fault_active", "tripped"]
    fmts = [f"%.{_DECIMALS.get(c, 1)}f" for c in CHANNEL_NAMES]
    D = len(fleet.devices)
    with open(out, "w", encoding="utf-8", newline="") as fh, Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TextColumn("{task.percentage:>5.1f}%"),
        TimeRemainingColumn(), disable=quiet, transient=True,
    ) as progress:
        task = progress.add_task(f"simulating {sc.name}", total=fleet.n_steps)
        fh.write(",".join(header) + "\n")
        for chunk in fleet.chunks(steps=chunk_steps):
            n = len(chunk.ts)
            stamps = (chunk.ts.astype("datetime64[s]")).astype(str)
            cols = []
            for j in range(len(CHANNEL_NAMES)):
                v = chunk.values[:, :, j].reshape(-1)
                s = np.char.mod(fmts[j], v)
                s[np.isnan(v)] = ""
                cols.append(s)
            ts_col = np.repeat(np.char.add(stamps, "Z"), D)
            dev_col = np.tile(np.asarray(fleet.devices), n)
            fault_col = np.tile(np.asarray(chunk.fault), n)
            fa = np.where(chunk.fault_active.reshape(-1), "1", "0")
            tr = np.where(chunk.tripped.reshape(-1), "1", "0")
            table = np.stack([ts_col, dev_col, *cols, fault_col, fa, tr], axis=1)
            fh.write("\n".join(",".join(row) for row in table.tolist()))
            fh.write("\n")
            progress.advance(task, n)
    truth = {
        "scenario": sc.name,
        "start": fleet.iso(fleet.start_ts),
        "step_seconds": fleet.step_seconds,
        "n_steps": fleet.n_steps,
        "devices": fleet.devices,
        "faults": [
            {"device": t.device, "fault": t.fault, "channel": t.channel, "onset_ts": t.onset_ts,
             "onset": fleet.iso(t.onset_ts), "trip_ts": t.trip_ts, "trip": fleet.iso(t.trip_ts) if t.trip_ts else None,
             "trip_kind": t.trip_kind}
            for t in fleet.truth
        ],
        "trips": [{"device": e.device, "ts": e.ts, "time": fleet.iso(e.ts), "kind": e.kind, "lockout": e.lockout}
                  for e in fleet.trips],
    }
    tp = truth_path(out)
    tp.write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    n_trips = sum(1 for t in fleet.truth if t.trip_ts)
    typer.echo(f"wrote {out} ({fleet.n_steps * D} rows, {D} pumps) and {tp} ({len(fleet.truth)} faults, {n_trips} tripped)")
