"""The gateway's database: SQLite for one site, PostgreSQL (psycopg 3) for a fleet, chosen by URL.

Several stateless gateway workers may write at once, so correctness comes
from the database's constraints (unique keys, a partial unique index, foreign
keys), never from a worker's memory. Both backends are set up so those
constraints hold under concurrency:

- SQLite: WAL (readers never block the writer), foreign keys on (SQLite's
  default is off), a busy timeout (a writer waits for another instead of
  failing at once), and every transaction starts with ``BEGIN IMMEDIATE``:
  it takes the write lock up front, so two workers never both read a row and
  then fail to upgrade their locks halfway through (SQLITE_BUSY inside a
  transaction cannot be retried by the busy handler).
- PostgreSQL: ``postgresql://`` means psycopg 3 (SQLAlchemy's default for
  that scheme is psycopg2), connections checked before use.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from heatwatch.gateway.settings import DatabaseSettings

# Named constraints, so a migration can later drop or alter them by name on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def from_unix(ts: float) -> datetime:
    """A contract timestamp (unix seconds) as an aware UTC datetime."""
    return datetime.fromtimestamp(ts, timezone.utc)


class UtcDateTime(TypeDecorator[datetime]):
    """An instant, always aware and in UTC on the Python side.

    PostgreSQL keeps it as ``timestamptz``; SQLite has no time zones, so it
    keeps the UTC wall time (text that sorts in time order). A naive datetime
    is refused: its meaning would depend on the worker's clock settings.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: give it a time zone (UTC)")
        value = value.astimezone(timezone.utc)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def enum_type(enum: type[StrEnum], name: str) -> SqlEnum:
    """A closed set of words (a ticket's status, a user's role) stored as text with a CHECK
    constraint on both backends, so a new word is a migration, not a surprise in a column."""
    return SqlEnum(enum, name=name, native_enum=False, create_constraint=True, length=32,
                   values_callable=lambda members: [m.value for m in members], validate_strings=True)


# JSON documents (contact addresses, register maps, event payloads): JSONB on PostgreSQL
JSONDocument = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UtcDateTime(), dict[str, Any]: JSONDocument, list[str]: JSONDocument,
                           dict[str, str]: JSONDocument}


def database_url(url: str | URL) -> URL:
    """The URL SQLAlchemy should use: ``postgresql://`` is psycopg 3."""
    u = make_url(url)
    if u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg")
    return u


def make_engine(url: str | URL, *, pool_size: int = 5, busy_timeout: float = 10.0, echo: bool = False) -> Engine:
    u = database_url(url)
    backend = u.get_backend_name()
    if backend == "postgresql":
        return create_engine(u, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, echo=echo)
    if backend != "sqlite":
        raise ValueError(f"database {u.render_as_string(hide_password=True)!r}: only sqlite and postgresql")
    engine = create_engine(u, echo=echo, connect_args={"timeout": busy_timeout})
    timeout_ms = int(busy_timeout * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # the driver's own BEGIN is deferred; ours is below
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {timeout_ms}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: a crash of the process loses nothing
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@dataclass
class Database:
    """An engine and its sessions; one per worker process."""

    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def open(cls, url: str | URL, **engine_args: Any) -> Database:
        engine = make_engine(url, **engine_args)
        return cls(engine, sessionmaker(engine, expire_on_commit=False))

    @classmethod
    def from_settings(cls, settings: DatabaseSettings) -> Database:
        return cls.open(settings.url, pool_size=settings.pool_size, busy_timeout=settings.busy_timeout)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on leaving, rolled back on an exception."""
        with self.sessions.begin() as session:
            yield session

    def close(self) -> None:
        self.engine.dispose()
