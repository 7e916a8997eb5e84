"""`heatwatch sim export` (placeholder until the simulator lands)."""

import typer


def export(scenario: str = typer.Argument(...), out: str = typer.Option(..., "--out")) -> None:
    typer.echo("heatwatch sim export: not yet")
    raise typer.Exit(2)
