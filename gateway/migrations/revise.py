"""Write the next revision from the models: ``python -m heatwatch.gateway.migrations.revise "what changed"``.

Compares the models with a scratch SQLite database at head (or ``--url`` of a
database at head) and writes versions/NNNN_<slug>.py for review: read it,
keep constraint and index names, and run tests/gateway on both backends.
"""

from __future__ import annotations

import argparse
import tempfile

from alembic import command
from alembic.script import ScriptDirectory

from heatwatch.gateway.db import Database
from heatwatch.gateway.migrations import alembic_config, upgrade


def revise(message: str, url: str | None = None) -> None:
    with tempfile.TemporaryDirectory(prefix="hw-revise-") as scratch:
        db = Database.open(url or f"sqlite:///{scratch}/revise.db")
        try:
            upgrade(db)
            with db.engine.begin() as conn:
                cfg = alembic_config(conn)
                number = len(list(ScriptDirectory.from_config(cfg).walk_revisions())) + 1
                command.revision(cfg, message=message, autogenerate=True, rev_id=f"{number:04d}")
        finally:
            db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("message")
    parser.add_argument("--url", help="a database at head (default: a scratch SQLite file)")
    args = parser.parse_args()
    revise(args.message, args.url)
