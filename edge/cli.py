"""`heatwatch edge ...` and `heatwatch detect` commands."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)


def detect() -> None:
    typer.echo("heatwatch detect: not yet")
    raise typer.Exit(2)
