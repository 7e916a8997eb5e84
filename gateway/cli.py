"""`heatwatch gateway ...` commands; each lives beside the code it drives.

The commands import SQLAlchemy only when they run (about a second under
load), so mounting them does not slow every other ``heatwatch`` command; a
missing [gateway] extra is still found here, when the part is mounted.
"""

from __future__ import annotations

from importlib.util import find_spec

import typer

for _module in ("sqlalchemy", "alembic"):
    if find_spec(_module) is None:
        raise ModuleNotFoundError(f"No module named {_module!r}", name=_module)

from heatwatch.gateway.migrate_command import migrate  # noqa: E402 - after the extra is known to be there
from heatwatch.gateway.run_command import run  # noqa: E402
from heatwatch.gateway.users.command import app as users  # noqa: E402

app = typer.Typer(no_args_is_help=True, help="The central gateway: from the agents' events to service tickets.")
app.command("migrate", help="Create the gateway's database schema, or bring it up to date.")(migrate)
app.command("run", help="Serve the API, ingest from the broker and deliver webhooks (migrates first).")(run)
app.add_typer(users, name="user", help="API users and their tokens.")
