"""`heatwatch demo`: the whole chain on embedded defaults, for a newcomer."""

from __future__ import annotations

import typer


def demo(minutes: float = typer.Option(2.0, help="stop on its own after this many minutes")) -> None:
    typer.echo("heatwatch demo: not yet (the edge agent lands with issue 3).")
