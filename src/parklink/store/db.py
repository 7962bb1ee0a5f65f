"""Engine and session handling, and schema migration through Alembic."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from parklink.errors import ConfigError
from parklink.settings import get_settings
from parklink.store import version as _version  # noqa: F401  (installs the data-version session events)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


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
    if resolved.startswith("sqlite:///"):
        path = Path(resolved.removeprefix("sqlite:///"))
        if str(path) not in ("", ":memory:"):
            path.parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(resolved, future=True)
    except Exception as exc:  # bad URL or missing driver
        raise ConfigError(f"cannot use database URL {redact(resolved)}: {exc}") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def redact(url: str) -> str:
    """The URL with any password replaced by ``***`` (safe to print)."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<invalid url>"


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A session in one transaction: committed on success, rolled back on any error."""
    factory = sessionmaker(bind=get_engine(url), expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
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
