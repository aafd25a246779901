"""Engine, sessions and migrations. SQLite is the embedded default; PostgreSQL for several processes."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import event, pool, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, SQLModel, create_engine

import bot.models  # noqa: F401  (declares the tables the schema check compares)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def make_engine(database_url: str, **kwargs: Any) -> Engine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        # The API's thread pool and the worker thread share the file; WAL lets readers and one
        # writer proceed together, busy_timeout makes a writer wait instead of failing.
        engine = create_engine(database_url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            # What is erased (bot/privacy) is overwritten with zeros, not left in free pages of the file.
            cur.execute("PRAGMA secure_delete=ON")
            cur.close()

        return engine
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    # A server that vanishes must fail a call within seconds, not hang it: the loops back off and
    # retry, and `pool_pre_ping` replaces the connections that died meanwhile.
    connect_args = {"connect_timeout": 5, "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 3}
    connect_args |= kwargs.pop("connect_args", {})
    return create_engine(database_url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def is_unavailable(exc: BaseException) -> bool:
    """True when `exc` says the database could not be reached or the connection dropped (a blink
    that heals by itself), as opposed to an error in what was asked of it."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError | PoolTimeout)


_SQLITE_WRITE_LOCKS: dict[int, threading.Lock] = {}


@contextmanager
def session_scope(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """One transaction: committed on success, rolled back on any error.

    `write=True` on SQLite queues writers of this process on a lock: SQLite allows one writer
    at a time and its busy handler sleeps in coarse steps, which wrecks latency under load."""
    lock = (
        _SQLITE_WRITE_LOCKS.setdefault(id(engine), threading.Lock())
        if write and engine.dialect.name == "sqlite"
        else None
    )
    with lock or nullcontext(), Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def connection_scope(engine: Engine, *, write: bool = False) -> Iterator[Connection]:
    """One transaction on a bare connection (no ORM unit of work): for hot paths written in Core."""
    lock = (
        _SQLITE_WRITE_LOCKS.setdefault(id(engine), threading.Lock())
        if write and engine.dialect.name == "sqlite"
        else None
    )
    with lock or nullcontext(), engine.begin() as conn:
        yield conn


def alembic_config(database_url: str) -> Any:
    from alembic.config import Config  # deferred: alembic loads only to migrate

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


# Any fixed number: the advisory lock that queues processes migrating the same PostgreSQL database.
_MIGRATION_LOCK = 7_315_020_011


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema to `revision` (idempotent). Several `sowana serve` starting together on one
    PostgreSQL database migrate one after the other (an advisory lock), not on top of each other."""
    from alembic import command  # deferred: alembic loads only to migrate

    if make_url(database_url).get_backend_name() != "postgresql":
        command.upgrade(alembic_config(database_url), revision)
        return

    engine = make_engine(database_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK})
            try:
                command.upgrade(alembic_config(database_url), revision)
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK})
    finally:
        engine.dispose()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext  # deferred: alembic loads only to migrate

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest migration this release ships (read once: it is part of the release)."""
    from alembic.script import ScriptDirectory  # deferred: alembic loads only to migrate

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None, "no migrations"
    return head


def schema_behind(engine: Engine) -> str | None:
    """Why this database cannot serve this release (its schema is not at head), None when it can."""
    current, head = current_revision(engine), head_revision()
    if current == head:
        return None
    return f"schema at {current or 'empty'}, this release needs {head}: run `sowana db upgrade`"


def schema_differences(engine: Engine, metadata: Any = None) -> list[str]:
    """What the models declare that the database (migrated to head) does not have, or the reverse, one
    line each; empty when they agree. A model changed without a migration shows up here."""
    from alembic.autogenerate import compare_metadata  # deferred: alembic loads only to migrate
    from alembic.runtime.migration import MigrationContext  # deferred: alembic loads only to migrate

    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, SQLModel.metadata if metadata is None else metadata)
    return [_describe(diff) for diff in diffs]


def _describe(diff: Any) -> str:
    """One line for an alembic difference: ("add_column", None, "comment", Column("mood")) gives
    "add_column comment.mood"."""
    if isinstance(diff, list):  # changes to one column come grouped: ("modify_type", schema, table, column, …)
        return "; ".join(f"{d[0]} {d[2]}.{d[3]}" for d in diff)
    op, *rest = diff
    names = []
    for item in rest:
        table = getattr(getattr(item, "table", None), "name", None)
        if hasattr(item, "name") and item.name is not None:
            names.append(f"{table}.{item.name}" if op.endswith("_column") else str(item.name))
    return f"{op} {' '.join(names)}"


def downgrade(database_url: str, revision: str) -> None:
    """Take the schema back to `revision` (data in what is dropped is lost: the CLI asks first)."""
    from alembic import command  # deferred: alembic loads only to migrate

    command.downgrade(alembic_config(database_url), revision)


def flush_unless_duplicate(s: Session) -> bool:
    """Write what was added to `s`; False (and the transaction rolled back) when a unique constraint
    refuses it: the same click, event or message seen a second time."""
    try:
        s.flush()
    except IntegrityError:
        s.rollback()
        return False
    return True
