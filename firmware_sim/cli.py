"""`heatwatch sim ...` commands; each lives beside the code it drives."""

from __future__ import annotations

import typer

from heatwatch.sim.export_command import export
from heatwatch.sim.serve_command import run

app = typer.Typer(no_args_is_help=True, help="The simulated heat pump fleet: export, serve over serial or MQTT.")
app.command("export", help="Simulate a scenario and write a CSV with ground-truth labels.")(export)
app.command("run", help="Serve a scenario's pumps live over Modbus RTU (serial) or MQTT.")(run)
