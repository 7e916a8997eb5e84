"""`heatwatch edge run --config edge.toml`: the agent as a service (see deploy/)."""

from __future__ import annotations

import logging
import signal
import sqlite3
import threading

import typer

from heatwatch.edge.config import ConfigError, load_config
from heatwatch.edge.sources.base import SourceFatalError


def run(
    config: list[str] = typer.Option(..., "--config", "-c",
                                     help="the agent's edge.toml; repeat it for several pumps on one RS-485 line or "
                                          "TCP gateway (one agent each, one process, the line shared)"),
    log_level: str = typer.Option("INFO", help="DEBUG, INFO, WARNING, ERROR"),
) -> None:
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        cfgs = [load_config(c) for c in config]
    except ConfigError as exc:
        typer.echo(f"config error: {exc}", err=True)
        raise typer.Exit(2) from None
    for what, values in (("[device] id", [c.device for c in cfgs]), ("[outbox] path", [c.outbox.path for c in cfgs])):
        if len(set(values)) != len(values):
            typer.echo(f"config error: {what} must differ between the configs (each pump its own)", err=True)
            raise typer.Exit(2)
    from heatwatch.edge.agent import EdgeAgent

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    from heatwatch.rules.schema import RuleFileError

    lines: dict = {}  # pumps on one port share it (one request at a time)
    try:
        agents = [EdgeAgent(cfg, lines=lines if len(cfgs) > 1 else None) for cfg in cfgs]
    except RuleFileError as exc:  # names the file, the rule and the field
        typer.echo(f"config error: rule file: {exc}", err=True)
        raise typer.Exit(2) from None
    except OSError as exc:  # the outbox's or the state's folder: missing rights, a read-only card
        where = f"{exc.filename}: " if exc.filename else ""
        typer.echo(f"start-up error: {where}{exc.strerror or exc}", err=True)
        raise typer.Exit(2) from None
    except sqlite3.Error as exc:  # the outbox file cannot be opened as a database
        typer.echo(f"start-up error: outbox {', '.join(c.outbox.path for c in cfgs)}: {exc}", err=True)
        raise typer.Exit(2) from None
    if len(agents) == 1:
        try:
            logging.getLogger("heatwatch.edge").info("agent for %s started", cfgs[0].device)
            agents[0].run(stop)
        except SourceFatalError as exc:
            typer.echo(f"source error: {exc}", err=True)
            raise typer.Exit(3) from None
        return
    failed: list[str] = []

    def watch(agent: "EdgeAgent") -> None:
        try:
            agent.run(stop)
        except SourceFatalError as exc:  # this pump only: the others on the line go on
            typer.echo(f"source error: {exc}", err=True)
            failed.append(agent.cfg.device)

    threads = [threading.Thread(target=watch, args=(a,), name=f"agent-{a.cfg.device}") for a in agents]
    for t in threads:
        t.start()
    logging.getLogger("heatwatch.edge").info("agents for %s started", ", ".join(c.device for c in cfgs))
    while any(t.is_alive() for t in threads):
        for t in threads:
            t.join(0.5)
    if failed:
        raise typer.Exit(3)
