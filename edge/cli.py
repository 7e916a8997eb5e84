"""`heatwatch edge ...` commands; each lives beside the code it drives."""

from __future__ import annotations

import typer

from edge.detect_command import detect  # noqa: F401  (re-exported for heatwatch.cli)
from edge.run_command import run

app = typer.Typer(no_args_is_help=True)
app.command("run", help="Run the edge agent for one pump: read, detect, keep, publish.")(run)
