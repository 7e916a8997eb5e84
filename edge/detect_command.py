"""`heatwatch detect` (placeholder until the detector lands)."""

import typer


def detect(input: str = typer.Argument(...)) -> None:
    typer.echo("heatwatch detect: not yet")
    raise typer.Exit(2)
