"""`heatwatch edge ...` commands; each lives beside the code it drives."""

from __future__ import annotations

import typer

from heatwatch.edge.run_command import run

app = typer.Typer(no_args_is_help=True, help="The edge agent that runs next to a pump.")
app.command("run", help="Run the edge agent for one pump (or, with -c per pump, several sharing one line): read, detect, keep, publish.")(run)
