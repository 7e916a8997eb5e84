"""Gateway fixtures: every database test runs on SQLite and on a real PostgreSQL.

The PostgreSQL cluster is started once per session (only if a test asks for
it) and removed at the end; each test gets a database of its own. ``db`` is
migrated to head (copied from a template migrated once), ``empty_db_url``
has nothing in it.
"""

from __future__ import annotations

import itertools
import shutil

import pytest

from heatwatch.gateway.db import Database
from heatwatch.gateway.migrations import upgrade
from tests.gateway.notification_support import Mailbox
from tests.gateway.pg_cluster import PostgresCluster

BACKENDS = ["sqlite", "postgresql"]
_names = itertools.count()


@pytest.fixture(scope="session")
def pg_cluster():
    cluster = PostgresCluster.in_memory().start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_template(pg_cluster):
    """A database migrated to head, copied for each test that wants one."""
    url = pg_cluster.create_database("hw_migrated")
    db = Database.open(url)
    upgrade(db)
    db.close()
    return "hw_migrated"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("sqlite-template") / "migrated.db"
    db = Database.open(f"sqlite:///{path}")
    upgrade(db)
    db.close()  # the last connection closes: the WAL is checkpointed into the file
    return path


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def empty_db_url(backend, request, tmp_path):
    """The URL of an empty database on the test's backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'gateway.db'}"
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = f"hw_test_{next(_names)}"
    yield cluster.create_database(name)
    cluster.drop_database(name)


@pytest.fixture
def db_url(backend, request, tmp_path):
    """The URL of a database migrated to head on the test's backend."""
    if backend == "sqlite":
        path = tmp_path / "gateway.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = f"hw_test_{next(_names)}"
    yield cluster.create_database(name, template=request.getfixturevalue("pg_template"))
    cluster.drop_database(name)


@pytest.fixture
def db(db_url):
    database = Database.open(db_url, pool_size=10, busy_timeout=20.0)
    yield database
    database.close()


@pytest.fixture
def mailbox():
    """A real SMTP server (aiosmtpd) on a free port, for one test; its ``received`` are the messages."""
    box = Mailbox().start()
    yield box
    box.stop()
