"""`heatwatch gateway run [--config gateway.toml]`: one gateway worker process.

It migrates the database (safe from several workers at once), then serves
the API with uvicorn on [api] host/port (default 127.0.0.1:8000) and, in the
same process, ingests from the broker, delivers webhooks and runs the periodic
jobs (silent devices, re-prioritising, the SLA clock, telemetry compaction). Ctrl-C or
SIGTERM: uvicorn finishes the requests in flight, the subscriber and the
delivery worker stop, the database closes, exit 0. Exit 2: wrong settings;
exit 3: the database cannot be reached or migrated; exit 1: the server
could not start (e.g. the port is taken).

A fleet runs several: give each its own ``--worker`` name (its MQTT session
is named after it, so a restarted worker resumes its queue) and port, or
``--no-ingest`` for processes that only serve the API.
"""

from __future__ import annotations

import logging
import signal

import typer

from heatwatch.gateway.settings import SettingsError, load_settings


def _exit_cleanly(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def run(
    config: str | None = typer.Option(None, "--config", "-c",
                                      help="gateway.toml (default: a SQLite file heatwatch-gateway.db here)"),
    host: str | None = typer.Option(None, "--host", help="default: [api] host"),
    port: int | None = typer.Option(None, "--port", help="default: [api] port", min=1, max=65535),
    worker: str = typer.Option("1", "--worker", help="this worker's name among the gateway's workers"),
    ingest: bool = typer.Option(True, "--ingest/--no-ingest", help="take the agents' messages from the broker"),
    webhooks: bool = typer.Option(True, "--webhooks/--no-webhooks", help="deliver webhooks from this process"),
    periodic: bool = typer.Option(True, "--periodic/--no-periodic",
                                  help="run the incident sweeps and telemetry compaction in this process"),
    log_level: str = typer.Option("info", "--log-level", help="debug, info, warning, error"),
) -> None:
    try:
        settings = load_settings(config)
    except SettingsError as exc:
        typer.echo(f"config error: {exc}", err=True)
        raise typer.Exit(2) from None
    # uvicorn stops gracefully on SIGINT/SIGTERM, then raises the signal again for the handler
    # found before it: this one, so a requested stop is exit 0 (and so is one during migration)
    signal.signal(signal.SIGTERM, _exit_cleanly)
    signal.signal(signal.SIGINT, _exit_cleanly)
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the migration's outcome is printed below

    import uvicorn
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from heatwatch.gateway.app import create_app
    from heatwatch.gateway.db import Database
    from heatwatch.gateway.migrations import upgrade

    shown = make_url(settings.database.url).render_as_string(hide_password=True)
    db = Database.from_settings(settings.database)
    try:
        try:
            before, after = upgrade(db)
        except SQLAlchemyError as exc:
            first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            typer.echo(f"database error: {shown}: {first}", err=True)
            raise typer.Exit(3) from None
        if before != after:
            typer.echo(f"{shown}: schema at revision {after} (was {before or 'empty'})", err=True)
        app = create_app(settings, db=db, ingest=ingest, webhooks_worker=webhooks, worker=worker,
                         background=periodic)
        server = uvicorn.Server(uvicorn.Config(app, host=host or settings.api.host, port=port or settings.api.port,
                                               log_level=log_level.lower(), lifespan="on"))
        try:
            server.run()
        except SystemExit as exc:  # uvicorn exits 3 when it cannot start (3 is ours: the database)
            if exc.code == 0 or server.started:
                raise
        if not server.started:
            typer.echo(f"the server did not start on {server.config.host}:{server.config.port}", err=True)
            raise typer.Exit(1)
    finally:
        db.close()
