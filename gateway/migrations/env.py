"""Alembic's environment: runs on the connection ``heatwatch.gateway.migrations`` hands over.

Autogenerate (for a new revision, against a database at head):
    python -m heatwatch.gateway.migrations.revise "what changed"
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context

from heatwatch.gateway import tables
from heatwatch.gateway.db import UtcDateTime

config = context.config


def render_item(kind: str, obj: Any, autogen_context: Any) -> str | bool:
    """Write the database type, not the Python wrapper: a migration must not depend on today's code."""
    if kind != "type":
        return False
    if isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, sa.JSON) and "postgresql" in getattr(obj, "_variant_mapping", {}):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return "sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')"
    return False


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through heatwatch.gateway.migrations (heatwatch gateway migrate)")
    context.configure(
        connection=connection,
        target_metadata=tables.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters a table by copying it
        transactional_ddl=True,
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; run heatwatch gateway migrate")
run_migrations_online()
