"""`heatwatch edge run --config edge.toml`: the agent as a service (see deploy/)."""

from __future__ import annotations

import logging
import signal
import threading

import typer

from heatwatch.edge.config import ConfigError, load_config
from heatwatch.edge.sources.base import SourceFatalError


def run(
    config: str = typer.Option(..., "--config", "-c", help="the agent's edge.toml"),
    log_level: str = typer.Option("INFO", help="DEBUG, INFO, WARNING, ERROR"),
) -> None:
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        cfg = load_config(config)
    except ConfigError as exc:
        typer.echo(f"config error: {exc}", err=True)
        raise typer.Exit(2) from None
    from heatwatch.edge.agent import EdgeAgent

    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    from heatwatch.rules.schema import RuleFileError

    try:
        agent = EdgeAgent(cfg)
    except RuleFileError as exc:  # names the file, the rule and the field
        typer.echo(f"config error: rule file: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        logging.getLogger("heatwatch.edge").info("agent for %s started", cfg.device)
        agent.run(stop)
    except SourceFatalError as exc:
        typer.echo(f"source error: {exc}", err=True)
        raise typer.Exit(3) from None
