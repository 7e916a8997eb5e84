"""`heatwatch gateway migrate [--config gateway.toml]`: create or upgrade the schema.

Safe to run on every start and from several workers at once (migrations
take turns under a lock). Exit 2: the settings are wrong; exit 3: the
database cannot be reached or refused the migration.
"""

from __future__ import annotations

import typer

from heatwatch.gateway.settings import SettingsError, load_settings


def migrate(
    config: str | None = typer.Option(None, "--config", "-c",
                                      help="gateway.toml (default: a SQLite file heatwatch-gateway.db here)"),
) -> None:
    try:
        settings = load_settings(config)
    except SettingsError as exc:
        typer.echo(f"config error: {exc}", err=True)
        raise typer.Exit(2) from None
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    from heatwatch.gateway.db import Database
    from heatwatch.gateway.migrations import upgrade

    shown = make_url(settings.database.url).render_as_string(hide_password=True)
    db = Database.from_settings(settings.database)
    try:
        before, after = upgrade(db)
    except DBAPIError as exc:
        typer.echo(f"database error: {shown}: {_first_line(exc.orig)}", err=True)
        raise typer.Exit(3) from None
    except SQLAlchemyError as exc:
        typer.echo(f"database error: {shown}: {_first_line(exc)}", err=True)
        raise typer.Exit(3) from None
    finally:
        db.close()
    if before == after:
        typer.echo(f"{shown}: schema up to date (revision {after})")
    else:
        typer.echo(f"{shown}: schema at revision {after} (was {before or 'empty'})")


def _first_line(exc: BaseException | None) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
