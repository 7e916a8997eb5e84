"""`heatwatch replay INPUT.csv`: the agent's findings, diagnoses and predicted trips on logged readings.

See ``heatwatch.edge.replay`` for what is read and how. Prints a summary per
pump and every event with its time; ``--out`` writes them as CSV or JSON
(by the file's suffix). Bad input ends in one line and exit code 2.
"""

from __future__ import annotations

import csv
import json
from datetime import datetime, timezone
from pathlib import Path

import typer

from heatwatch.channels import CHANNEL_NAMES
from heatwatch.contract import EventBody
from heatwatch.edge.replay import DeviceReplay, ReplayError, parse_mapping, read_log, replay_device
from heatwatch.refrigerant import REFRIGERANTS
from heatwatch.textfile import NotTextError

COLUMNS = ("device", "time", "kind", "fault", "severity", "confidence", "predicted_trip", "trip_earliest",
           "trip_latest", "indicator", "explanation")


def iso(ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_row(ev: EventBody) -> dict[str, object]:
    p = ev.prognosis
    return {"device": ev.device, "time": iso(ev.ts), "kind": str(ev.kind), "fault": ev.fault or "",
            "severity": ev.severity, "confidence": round(ev.confidence, 3),
            "predicted_trip": iso(p.predicted_trip_ts) if p else "", "trip_earliest": iso(p.lower_ts) if p else "",
            "trip_latest": iso(p.upper_ts) if p else "", "indicator": p.indicator if p else "",
            "explanation": ev.explanation}


def _fail(message: str) -> None:
    typer.echo(f"replay: {message}", err=True)
    raise typer.Exit(2)


def replay(
    input: Path = typer.Argument(..., help="CSV of readings: a time column, channel columns (t_flow, p_high, ...), "
                                           "optionally a device column (e.g. `heatwatch sim export` output)."),
    out: Path = typer.Option(None, "--out", "-o", help="Write the events here: .csv or .json."),
    column: list[str] = typer.Option([], "--column", "-c",
                                     help="Read a column as a channel: COLUMN=channel or COLUMN=channel:unit "
                                          "(e.g. OutdoorF=t_outdoor:°F, HP_kPa=p_high:kPag). Repeat."),
    device_column: str = typer.Option(None, help="The column telling pumps apart (default: device, if present)."),
    device: str = typer.Option("replay", help="The pump's id when the file has no device column."),
    refrigerant: str = typer.Option("R32", help="The pumps' refrigerant: " + ", ".join(REFRIGERANTS)),
    commissioning_days: float = typer.Option(7.0, help="Learning window: at least this long ..."),
    min_training_rows: int = typer.Option(1500, help="... and this many steady readings, at most one a minute (as edge.toml [detector])."),
    max_training_rows: int = typer.Option(30000, help="Learning ends once this many steady readings (at most one a minute) are collected."),
    rules: list[Path] = typer.Option([], "--rules", help="Rule file(s) replacing the default rules (as edge.toml)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only the summary, not every event."),
) -> None:
    from heatwatch.edge.heatpump.detector import HeatPumpDetectorConfig

    if refrigerant not in REFRIGERANTS:
        _fail(f"--refrigerant {refrigerant!r}: one of {', '.join(REFRIGERANTS)}")
    if commissioning_days <= 0 or min_training_rows < 1 or max_training_rows < min_training_rows:
        _fail("the learning window needs commissioning_days > 0 and 1 <= min_training_rows <= max_training_rows")
    if out is not None and out.suffix.lower() not in (".csv", ".json"):
        _fail(f"--out {out}: .csv or .json")
    if not input.is_file():
        _fail(f"{input}: no such file")
    try:
        log = read_log(input, parse_mapping(column), device=device, device_column=device_column)
    except (ReplayError, NotTextError) as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{input}: {exc.strerror}")
    config = HeatPumpDetectorConfig(commissioning_seconds=commissioning_days * 86400.0,
                                    min_training_rows=min_training_rows, max_training_rows=max_training_rows,
                                    refrigerant=refrigerant,
                                    # every channel: judged as an agent whose source can deliver any (MQTT)
                                    channels=None if len(log.channels) == len(CHANNEL_NAMES) else log.channels)
    from heatwatch.rules.schema import RuleFileError

    results: list[DeviceReplay] = []
    try:
        for dev in log.devices:
            results.append(replay_device(dev, config, [str(r) for r in rules] or None))
    except RuleFileError as exc:
        _fail(f"rule file: {exc}")
    _print(input, log, results, quiet)
    if out is not None:
        try:
            write(out, input, log, results)
        except OSError as exc:
            _fail(f"{out}: {exc.strerror}")
        typer.echo(f"wrote {sum(len(r.events) for r in results)} events to {out}")


def _print(path: Path, log, results: list[DeviceReplay], quiet: bool) -> None:  # noqa: ANN001
    echo = typer.echo
    echo(f"{path}: {log.rows} rows, {len(results)} pump(s), channels: {', '.join(log.channels)}")
    if log.ignored:
        echo(f"  columns left out: {', '.join(log.ignored)}")
    extra = []
    if log.missing_cells:
        extra.append(f"{log.missing_cells} empty cells")
    if log.unreadable_cells:
        extra.append(f"{log.unreadable_cells} unreadable cells")
    if log.bad_times:
        extra.append(f"{log.bad_times} rows without a readable time (skipped)")
    if extra:
        echo("  read as missing: " + ", ".join(extra))
    for was, now in log.renamed.items():
        echo(f"  device {was!r} is called {now!r} here (ids: letters, digits, _ . -)")
    for r in results:
        faults = sorted({e.fault for e in r.events if e.kind.raises and e.fault})
        trips = [e for e in r.events if str(e.kind) == "trip"]
        refused = sum(r.refused.values())
        echo(f"{r.device}: {r.readings} readings" + (f", {refused} refused (time not after the last)" if refused
                                                     else "")
             + (f", learned at {iso(r.learned_at)}" if r.learned_at else ", still learning at the end")
             + f"; raised: {', '.join(faults) or 'nothing'}; trips: {len(trips)}")
        if r.not_judged:
            echo(f"  not judged (channels missing): {', '.join(r.not_judged)}")
        if quiet:
            continue
        for ev in r.events:
            row = event_row(ev)
            trip = f"  trip expected {row['predicted_trip']} ({row['trip_earliest']} .. {row['trip_latest']})" \
                if row["predicted_trip"] else ""
            echo(f"  {row['time']}  {row['kind']:<13} {row['fault'] or '-':<24} {row['severity']:<8}"
                 f" conf {row['confidence']:<5}{trip}")
            if ev.explanation:
                text = ev.explanation if len(ev.explanation) <= 160 else ev.explanation[:157] + "..."
                echo(f"      {text}")


def write(out: Path, path: Path, log, results: list[DeviceReplay]) -> None:  # noqa: ANN001
    rows = [event_row(ev) for r in results for ev in r.events]
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".json":
        doc = {"input": str(path), "rows": log.rows, "channels": list(log.channels), "columns_left_out": log.ignored,
               "devices": [{"device": r.device, "readings": r.readings, "refused": r.refused,
                            "learned_at": iso(r.learned_at) or None, "not_judged": r.not_judged,
                            "events": [{**event_row(ev), "event": ev.model_dump(mode="json")} for ev in r.events]}
                           for r in results]}
        out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(rows)

