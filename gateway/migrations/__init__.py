"""The schema's history (Alembic), run from code: ``heatwatch gateway migrate``.

No alembic.ini: the configuration is built here, so the installed package
migrates wherever it runs. One migration runs in one transaction (both
backends have transactional DDL) under a lock, so workers that start together
and each migrate take turns: the first upgrades, the others find it done.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from heatwatch.gateway.db import Database

HERE = Path(__file__).resolve().parent
# any constant: the PostgreSQL advisory lock that makes concurrent migrations take turns
_MIGRATION_LOCK = 0x6877_6777  # "hwgw"


def alembic_config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(db: Database, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the schema to ``revision``; returns (revision before, revision after)."""
    return _run(db, lambda cfg: command.upgrade(cfg, revision))


def downgrade(db: Database, revision: str) -> tuple[str | None, str | None]:
    return _run(db, lambda cfg: command.downgrade(cfg, revision))


def _run(db: Database, step) -> tuple[str | None, str | None]:
    with db.engine.begin() as conn:  # SQLite: BEGIN IMMEDIATE, the write lock for the whole migration
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        before = current_revision(conn)
        step(alembic_config(conn))
        return before, current_revision(conn)
