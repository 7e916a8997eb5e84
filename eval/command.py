"""``heatwatch eval SCENARIO... [--report DIR] [--workers N] [--poll MIN] [--scheduler ADDRESS]``"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

import typer

DEFAULT_POLL_MIN = 5.0


def eval_command(
    scenarios: list[str] = typer.Argument(..., metavar="SCENARIO...",
                                          help="Scenario files or built-in names (heatwatch sim export)."),
    report: Path | None = typer.Option(None, "--report", help="Write report.md and its PNG plots to this folder."),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Local Dask workers (default: every core)."),
    poll: float = typer.Option(DEFAULT_POLL_MIN, "--poll", min=0.0,
                               help="Minutes between the agent's readings (0: every simulator step)."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="An existing Dask scheduler, e.g. tcp://host:8786."),
    fleet_prior: bool = typer.Option(True, "--fleet-prior/--no-fleet-prior",
                                     help="Agents start with their fleet's prior, formed from an earlier cohort of "
                                          "the sites' healthy pumps (as the gateway hands it out); off: the "
                                          "physics bands judge until a pump's own model is learned."),
) -> None:
    """Run the whole decision path (simulator, agent pipeline, gateway incidents and tickets) over
    simulated fleets in batch and judge it against their ground truth: recall, lead times, false
    tickets, notifications, predicted failure times."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from heatwatch.eval import figures
    from heatwatch.eval.fleet_prior import earlier_cohort_priors
    from heatwatch.eval.partitions import parts_of
    from heatwatch.eval.report import print_report, write_report
    from heatwatch.eval.runner import run_parts
    from heatwatch.eval.worker import stride_for
    from heatwatch.sim.scenario import ScenarioError, load_scenario

    try:
        loaded = [load_scenario(s) for s in scenarios]
    except ScenarioError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    names = [s.name for s in loaded]
    if len(set(names)) != len(names):
        typer.echo(f"error: the same scenario twice ({', '.join(names)})", err=True)
        raise typer.Exit(2)
    poll_s = poll * 60.0 if poll > 0 else None
    parts = parts_of(loaded)
    console = Console(stderr=True)
    pumps = sum(s.size for s in loaded)
    console.print(f"heatwatch eval: {pumps} pumps in {len(parts)} parts, agent reading every "
                  + (f"{poll:g} min" if poll_s else "simulator step"))
    priors = None
    if fleet_prior:  # the gateway's fleet before these pumps: an earlier cohort at the same sites
        t0 = time.perf_counter()
        priors = {}
        for sc in loaded:
            sites = sc.site_scenarios()
            priors.update(earlier_cohort_priors(sites, stride=stride_for(sc.step_s, poll_s)))
        console.print(f"fleet priors: {len(priors)} (pump model, refrigerant, emitters) from an earlier cohort "
                      f"of the sites' healthy pumps, {time.perf_counter() - t0:.0f} s")
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                  disable=not console.is_terminal) as bar:
        task = bar.add_task("pump-days", total=1)
        last = [-1]

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)
            if not console.is_terminal:  # piped: a plain line every tenth
                tenth = int(10 * done / max(total, 1))
                if tenth > last[0]:
                    last[0] = tenth
                    print(f"eval: {done / max(total, 1):.0%}", file=sys.stderr, flush=True)

        def keep(result) -> None:  # each part's raw results as it ends: a stopped long run keeps them
            if report is not None:
                folder = report / "parts"
                folder.mkdir(parents=True, exist_ok=True)
                name = result.key.replace("/", "__") + ".json"
                (folder / name).write_text(json.dumps(dataclasses.asdict(result)), encoding="utf-8")

        try:
            run = run_parts(parts, poll_s, workers=workers, scheduler=scheduler, on_progress=progress,
                            on_part=keep, priors=priors)
        except OSError as exc:  # the scheduler cannot be reached (TimeoutError is one)
            typer.echo(f"error: Dask scheduler {scheduler or '(local)'}: {exc}", err=True)
            raise typer.Exit(1) from None
    fig = figures.compute(run.pumps, run.readings)
    poll_min = poll if poll_s else None
    print_report(fig, run.wall_s, poll_min, Console(), run.cpu_s, run.sim_cpu_s)
    if report is not None:
        md = write_report(report, fig, run.pumps, names, run.wall_s, poll_min, cpu_s=run.cpu_s,
                          sim_cpu_s=run.sim_cpu_s)
        Console().print(f"report: {md}")
