"""`heatwatch sim ...` commands; each lives beside the code it drives."""

from __future__ import annotations

import typer

from firmware_sim.export_command import export
from firmware_sim.serve_command import run

app = typer.Typer(no_args_is_help=True)
app.command("export", help="Simulate a scenario and write a CSV with ground-truth labels.")(export)
app.command("run", help="Serve a scenario's pumps live over Modbus RTU (serial) or MQTT.")(run)
