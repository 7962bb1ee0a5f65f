"""Shared fixtures: an isolated data dir per test, and databases (SQLite, PostgreSQL)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from parklink.settings import get_settings
from parklink.store.db import get_engine

PG_URL = os.environ.get("PARKLINK_TEST_PG_URL")


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point PARKLINK_DATA_DIR at a fresh folder; no test touches the user's data."""
    data = tmp_path / "data"
    monkeypatch.setenv("PARKLINK_DATA_DIR", str(data))
    monkeypatch.delenv("PARKLINK_DATABASE_URL", raising=False)
    monkeypatch.delenv("PARKLINK_ENGINE", raising=False)
    # the park page's analyses run in the background (parklink.web.park_precompute); tests
    # see them on the first view (tests/web/test_web_park_precompute.py sets 0 to check the
    # computing state)
    monkeypatch.setenv("PARKLINK_WEB_ANALYSIS_WAIT_S", "600")
    get_settings.cache_clear()
    yield data
    get_settings.cache_clear()


def _fresh_pg_database() -> tuple[str, str]:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    assert PG_URL
    name = f"t_{uuid.uuid4().hex[:16]}"  # generated identifier, not user input
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False), name


def _drop_pg_database(name: str) -> None:
    from sqlalchemy import create_engine, text

    assert PG_URL
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def make_database(kind: str, tmp_path: Path) -> Iterator[str]:
    """Yield the URL of an empty database of ``kind`` ('sqlite' or 'postgresql')."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / f'db-{uuid.uuid4().hex[:8]}.sqlite'}"
        yield url
        get_engine(url).dispose()
        return
    if not PG_URL:
        pytest.skip("PostgreSQL not available (PARKLINK_TEST_PG_URL unset; make test starts a cluster)")
    url, name = _fresh_pg_database()
    yield url
    get_engine(url).dispose()
    _drop_pg_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database URL, once for SQLite and once for PostgreSQL."""
    yield from make_database(request.param, tmp_path)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> Iterator[str]:
    """An empty SQLite database URL."""
    yield from make_database("sqlite", tmp_path)


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    """An empty PostgreSQL database URL (skipped when no server is configured)."""
    yield from make_database("postgresql", tmp_path)
