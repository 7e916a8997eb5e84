"""`heatwatch gateway migrate` on SQLite and a real PostgreSQL: from empty to head, and the
migrated schema is the models' schema, constraint names included."""

from __future__ import annotations

import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from heatwatch.gateway import tables
from heatwatch.gateway.db import Database
from heatwatch.gateway.migrations import current_revision, downgrade, head_revision, upgrade


def _migrate(tmp_path, url: str) -> subprocess.CompletedProcess:
    config = tmp_path / "gateway.toml"
    config.write_text(f"[database]\nurl = '{url}'\n")
    return subprocess.run([sys.executable, "-m", "heatwatch.cli", "gateway", "migrate", "--config", str(config)],
                          capture_output=True, text=True, timeout=180)


def _named_constraints(db: Database) -> dict[str, set[str]]:
    """What the database itself holds: check, unique, foreign key constraints and indexes, by name."""
    insp = inspect(db.engine)
    found: dict[str, set[str]] = {}
    for table in insp.get_table_names():
        names = {c["name"] for c in insp.get_check_constraints(table)}
        names |= {c["name"] for c in insp.get_unique_constraints(table)}
        names |= {c["name"] for c in insp.get_foreign_keys(table)}
        names |= {i["name"] for i in insp.get_indexes(table)}
        found[table] = {n for n in names if n}
    return found


def _model_constraints() -> dict[str, set[str]]:
    expected: dict[str, set[str]] = {}
    for table in tables.metadata.sorted_tables:
        names = {c.name for c in table.constraints if c.name and not c.name.startswith("pk_")}
        names |= {i.name for i in table.indexes}
        expected[table.name] = {str(n) for n in names}
    return expected


def test_migrate_from_empty_to_head(tmp_path, empty_db_url):
    first = _migrate(tmp_path, empty_db_url)
    assert first.returncode == 0, first.stderr
    assert f"schema at revision {head_revision()} (was empty)" in first.stdout
    again = _migrate(tmp_path, empty_db_url)
    assert again.returncode == 0, again.stderr
    assert "schema up to date" in again.stdout

    db = Database.open(empty_db_url)
    try:
        with db.engine.connect() as conn:
            assert current_revision(conn) == head_revision()
            # the migration creates exactly what the models describe: nothing to autogenerate
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    tables.metadata)
        assert diff == []
        assert set(inspect(db.engine).get_table_names()) == set(tables.metadata.tables) | {"alembic_version"}
        # constraints the workers rely on exist under the models' names (autogenerate does not
        # compare CHECK constraints or partial index conditions, so look for them by name)
        held = _named_constraints(db)
        for table, names in _model_constraints().items():
            assert names <= held[table], (table, names - held[table])
        assert "uq_incidents_open_device_fault" in held["incidents"]
        assert "ck_tickets_ticket_status" in held["tickets"]
    finally:
        db.close()


def test_downgrade_to_empty_and_up_again(empty_db_url):
    db = Database.open(empty_db_url)
    try:
        assert upgrade(db) == (None, head_revision())
        assert downgrade(db, "base") == (head_revision(), None)
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        assert upgrade(db) == (None, head_revision())
    finally:
        db.close()


def test_workers_migrating_at_once_take_turns(tmp_path, empty_db_url):
    """Workers that all run migrate at start-up: all succeed, the schema is made once."""
    procs = []
    for i in range(3):
        (tmp_path / str(i)).mkdir()
        config = tmp_path / str(i) / "gateway.toml"
        config.write_text(f"[database]\nurl = '{empty_db_url}'\n")
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "heatwatch.cli", "gateway", "migrate", "--config", str(config)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], [err for _, err in outs]
    assert sum("(was empty)" in out for out, _ in outs) == 1
    assert sum("schema up to date" in out for out, _ in outs) == 2


def test_unreachable_database_exits_3_with_one_line(tmp_path):
    p = _migrate(tmp_path, f"sqlite:///{tmp_path}/no/such/dir/gateway.db")
    assert p.returncode == 3
    assert len(p.stderr.strip().splitlines()) == 1 and p.stderr.startswith("database error: ")
