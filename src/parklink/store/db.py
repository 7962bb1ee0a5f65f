"""Engine and session handling, and schema migration through Alembic.

Write concurrency on SQLite (docs/store.md, "Write concurrency"): every connection runs
in WAL mode (readers never block the writer and vice versa) with a busy timeout of
:data:`BUSY_TIMEOUT_S`; pysqlite's own transaction handling is switched off and SQLAlchemy
emits the ``BEGIN`` itself (the "serializable isolation / savepoints" recipe of the
SQLAlchemy SQLite dialect documentation). Write transactions start with ``BEGIN IMMEDIATE``
just before their first statement that is not a plain read (a write, a SAVEPOINT, DDL):
they take the write lock before writing (waiting in the busy handler), so no write can
fail with ``SQLITE_BUSY`` half-way, savepoints included; the reads before it run in
autocommit, so a session never holds the lock while it only reads. Read-only sessions
(:func:`read_only`, :func:`session_scope` with ``readonly=True``) start a deferred ``BEGIN``
(one consistent snapshot) and never wait for writers. A ``BEGIN IMMEDIATE`` that still finds the database locked after
the busy timeout is retried :data:`BEGIN_RETRIES` times with a short jittered pause; after
that :class:`DatabaseBusyError` is raised (HTTP 503 with ``Retry-After`` in the web app).
On PostgreSQL, serialisation failures, deadlocks and lock time-outs count as "busy" too
(:func:`is_busy_error`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from parklink.errors import ConfigError, ParklinkError
from parklink.settings import get_settings
from parklink.store import version as _version  # noqa: F401  (installs the data-version session events)

#: Seconds a SQLite statement waits for a lock held by another connection (busy handler).
BUSY_TIMEOUT_S = 30.0
#: Connections a file SQLite engine keeps open, and the extra ones it may open for a burst
#: (closed when given back). The web server runs up to 40 requests per worker process in
#: threads; with SQLAlchemy's default of 5 kept, every burst above 5 opened and closed
#: connections per request (164 in a 5-second run of 16 connections on the park page, each
#: new SQLite connection re-reading the schema; 26 with these sizes). PostgreSQL keeps
#: SQLAlchemy's default (5 + 10): its connections are server processes, to be sized against
#: the server's ``max_connections`` and the number of worker processes.
POOL_SIZE = 16
POOL_MAX_OVERFLOW = 24
#: Extra attempts of a ``BEGIN IMMEDIATE`` that timed out, after a pause of 50-250 ms.
BEGIN_RETRIES = 2
#: The seconds a client is told to wait (``Retry-After``) when the database stayed busy.
RETRY_AFTER_S = 2
#: Execution option naming how a SQLite transaction begins: ``"immediate"`` or ``"deferred"``.
BEGIN_OPTION = "parklink_sqlite_begin"

#: PostgreSQL SQLSTATEs of transient conflicts: serialization failure, deadlock, lock not available.
_PG_BUSY = frozenset({"40001", "40P01", "55P03"})


class DatabaseBusyError(ParklinkError):
    """The database stayed locked by other writers (SQLite) or the transaction lost a
    conflict (PostgreSQL); nothing was written. Try again shortly."""

    retry_after_s = RETRY_AFTER_S


def is_busy_error(exc: BaseException) -> bool:
    """True for a transient lock/conflict error: SQLite "database is locked/busy",
    PostgreSQL serialization failure, deadlock or lock not available."""
    if isinstance(exc, DatabaseBusyError):
        return True
    if not isinstance(exc, OperationalError | DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlstate", None) in _PG_BUSY or getattr(orig, "pgcode", None) in _PG_BUSY:
        return True
    text = str(orig).lower()
    return "database is locked" in text or "database is busy" in text or "database table is locked" in text


def busy_message(exc: BaseException) -> str:
    """The bilingual message of a busy/conflict error (no SQL, no parameters)."""
    return ("the database is busy with other writes; nothing was written — try again in "
            f"{RETRY_AFTER_S} s (数据库繁忙，未写入任何内容，请稍后重试)")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy, not pysqlite, begins transactions (see _sqlite_begin)
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    cursor.close()


_PENDING = "parklink_begin_pending"
#: Statements a write session runs before its transaction begins (autocommit reads).
_READS = ("SELECT", "PRAGMA", "EXPLAIN")


def _sqlite_begin(conn: Connection) -> None:
    """SQLAlchemy began a transaction: note how SQLite's BEGIN is to be emitted, lazily.

    Read-only sessions emit a deferred ``BEGIN`` before their first statement. Write
    sessions emit ``BEGIN IMMEDIATE`` before their first statement that is not a plain read
    (INSERT/UPDATE/DELETE, SAVEPOINT, DDL, ...); reads before it run in autocommit (as
    pysqlite's own transaction handling did), so a write session holds the write lock only
    from its first write to its commit and a read never waits for a writer.
    """
    options = conn.get_execution_options()
    if options.get("isolation_level") == "AUTOCOMMIT":  # no transaction at all (e.g. a checkpoint)
        return
    conn.info[_PENDING] = options.get(BEGIN_OPTION, "immediate")


def _sqlite_before_execute(conn: Connection, cursor: Any, statement: str, *_: Any) -> None:
    mode = conn.info.get(_PENDING)
    if mode is None:
        return
    if mode == "immediate" and statement.lstrip().upper().startswith(_READS):
        return  # still no transaction: an autocommit read
    begin_pending(conn)


def begin_pending(conn: Connection) -> None:
    """Emit the SQLite ``BEGIN`` that :func:`_sqlite_begin` left pending, now (``BEGIN
    IMMEDIATE`` for a write session, retried briefly while the database is locked; then
    :class:`DatabaseBusyError`). No-op when no transaction is pending."""
    mode = conn.info.pop(_PENDING, None)
    if mode is None:
        return
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    if mode != "immediate":
        dbapi.execute("BEGIN")
        return
    for attempt in range(BEGIN_RETRIES + 1):
        try:
            dbapi.execute("BEGIN IMMEDIATE")
            return
        except Exception as exc:  # sqlite3.OperationalError: database is locked
            if "locked" not in str(exc).lower() and "busy" not in str(exc).lower():
                raise
            if attempt == BEGIN_RETRIES:
                raise DatabaseBusyError(busy_message(exc)) from exc
            time.sleep(0.05 + random.random() * 0.2)


def _sqlite_end(conn: Connection) -> None:
    conn.info.pop(_PENDING, None)


def _sqlite_checkin(_dbapi: Any, record: Any) -> None:
    record.info.pop(_PENDING, None)


def database_url(url: str | None = None) -> str:
    """The URL in force: ``url`` if given, else the configured one (SQLite file by default)."""
    return url or get_settings().resolved_database_url


def get_engine(url: str | None = None) -> Engine:
    """A (cached) SQLAlchemy engine of ``url`` or the configured database; SQLite gets
    foreign keys on and its folder created. Cached by the *resolved* URL, so a changed
    setting (data dir, ``PARKLINK_DATABASE_URL``) never reuses the engine of the old one."""
    return _engine(database_url(url))


@lru_cache(maxsize=8)
def _engine(resolved: str) -> Engine:
    options: dict[str, Any] = {}
    if resolved.startswith("sqlite:///"):
        path = Path(resolved.removeprefix("sqlite:///"))
        if str(path) not in ("", ":memory:"):
            path.parent.mkdir(parents=True, exist_ok=True)
            if "mode=memory" not in resolved:  # a file: keep a pool of POOL_SIZE connections
                options = {"pool_size": POOL_SIZE, "max_overflow": POOL_MAX_OVERFLOW}
    try:
        engine = create_engine(resolved, future=True, **options)
    except Exception as exc:  # bad URL or missing driver
        raise ConfigError(f"cannot use database URL {redact(resolved)}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        event.listen(engine, "before_cursor_execute", _sqlite_before_execute)
        event.listen(engine, "commit", _sqlite_end)
        event.listen(engine, "rollback", _sqlite_end)
        event.listen(engine.pool, "checkin", _sqlite_checkin)
    return engine


@lru_cache(maxsize=16)
def read_only(engine: Engine) -> Engine:
    """``engine`` for read-only sessions: on SQLite their transactions begin deferred (no
    write lock, never waiting for writers); the same engine elsewhere. Shares the pool."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{BEGIN_OPTION: "deferred"})


def redact(url: str) -> str:
    """The URL with any password replaced by ``***`` (safe to print)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<invalid url>"


@contextmanager
def session_scope(url: str | None = None, *, readonly: bool = False) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error.

    On SQLite the transaction begins IMMEDIATE (holds the write lock) unless ``readonly``.
    A database that stays locked (or, on PostgreSQL, a lost serialisation conflict or
    deadlock) raises :class:`DatabaseBusyError`; nothing was written then.
    """
    engine = get_engine(url)
    factory = sessionmaker(bind=read_only(engine) if readonly else engine, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException as exc:
        session.rollback()
        if is_busy_error(exc) and not isinstance(exc, DatabaseBusyError):
            raise DatabaseBusyError(busy_message(exc)) from exc
        raise
    finally:
        session.close()


def alembic_config(url: str | None = None) -> Any:
    """An Alembic Config pointing at the packaged migrations and ``url``."""
    from alembic.config import Config

    cfg = Config()
    location = resources.files("parklink.store") / "migrations"
    cfg.set_main_option("script_location", str(location))
    cfg.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    cfg.attributes["engine"] = get_engine(url)
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> str:
    """Apply migrations up to ``revision``; return the revision now in force."""
    from alembic import command

    try:
        command.upgrade(alembic_config(url), revision)
    except OperationalError as exc:
        raise ConfigError(f"cannot reach database {redact(database_url(url))}: {exc.orig}") from exc
    return current_revision(url) or ""


def current_revision(url: str | None = None) -> str | None:
    """The Alembic revision the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    """The newest revision shipped with this version of parklink."""
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(alembic_config()).get_current_head())


def is_initialised(url: str | None = None) -> bool:
    """True when the database has the parklink schema (any revision)."""
    try:
        return inspect(get_engine(url)).has_table("alembic_version")
    except OperationalError:
        return False
