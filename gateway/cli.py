"""`heatwatch gateway ...` commands; each lives beside the code it drives."""

from __future__ import annotations

import typer

from heatwatch.gateway.migrate_command import migrate

app = typer.Typer(no_args_is_help=True, help="The central gateway: from the agents' events to service tickets.")
app.command("migrate", help="Create the gateway's database schema, or bring it up to date.")(migrate)
