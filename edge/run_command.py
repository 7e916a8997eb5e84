"""`heatwatch edge run` (placeholder until the agent lands)."""

import typer


def run(config: str = typer.Option(..., "--config")) -> None:
    typer.echo("heatwatch edge run: not yet")
    raise typer.Exit(2)
