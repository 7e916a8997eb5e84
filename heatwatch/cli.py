"""The `heatwatch` command: one entry point, a sub-command per part."""

from __future__ import annotations

import typer

from edge.cli import app as edge_app
from edge.cli import detect
from firmware_sim.cli import app as sim_app
from heatwatch.demo import demo

app = typer.Typer(
    help="heatwatch: see heat pumps drifting toward failure and get a technician there first.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(sim_app, name="sim", help="The simulated heat pump fleet: export, serve over serial or MQTT.")
app.add_typer(edge_app, name="edge", help="The edge agent that runs next to a pump.")
app.command("detect", help="Score any numeric multivariate CSV time series for anomalies.")(detect)
app.command("demo", help="Simulated pumps, edge agents and a broker, with a live health table.")(demo)

if __name__ == "__main__":
    app()
