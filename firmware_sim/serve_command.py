"""`heatwatch sim run` (placeholder until the transports land)."""

import typer


def run(scenario: str = typer.Argument(...)) -> None:
    typer.echo("heatwatch sim run: not yet")
    raise typer.Exit(2)
