"""Fixtures for the ingest tests: real SQLite registries in a tmp dir, seeded by the store."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from parklink.store import session_scope
from parklink.store.io import count_rows


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file holding the embedded dataset, loaded by the store's own seeding."""
    from parklink.store.db import get_engine
    from parklink.store.seed import init_default

    path = tmp_path_factory.mktemp("template") / "seeded.sqlite"
    url = f"sqlite:///{path}"
    init_default(url, firm_root=None, progress=False)
    with get_engine(url).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # outside any transaction
    get_engine(url).dispose()
    return path


@pytest.fixture(scope="session")
def _empty_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from parklink.store.db import get_engine, upgrade

    path = tmp_path_factory.mktemp("template") / "empty.sqlite"
    url = f"sqlite:///{path}"
    upgrade(url)
    with get_engine(url).connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # outside any transaction
    get_engine(url).dispose()
    return path


@pytest.fixture
def seeded_url(_template_db: Path, tmp_path: Path) -> str:
    """URL of a private copy of the seeded registry."""
    target = tmp_path / "db.sqlite"
    shutil.copy(_template_db, target)
    return f"sqlite:///{target}"


@pytest.fixture
def empty_url(_empty_template: Path, tmp_path: Path) -> str:
    """URL of a private, migrated but empty registry."""
    target = tmp_path / "empty.sqlite"
    shutil.copy(_empty_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def counts() -> Callable[[str], dict[str, int]]:
    """Rows per stored kind of the registry at a URL."""

    def _counts(url: str) -> dict[str, int]:
        with session_scope(url) as session:
            return count_rows(session)

    return _counts


def state_hash(url: str, firm_root: Path | None = None) -> str:
    """SHA-256 over every row of every table of the database at ``url`` (ordered by primary
    key) and every file (name and bytes) under ``firm_root``: equal hashes, nothing written."""
    import hashlib

    from sqlalchemy import create_engine, inspect, text

    digest = hashlib.sha256()
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            insp = inspect(conn)
            for table in sorted(insp.get_table_names()):
                pk = insp.get_pk_constraint(table).get("constrained_columns") or []
                cols = [c["name"] for c in insp.get_columns(table)]
                order = ", ".join(f'"{c}"' for c in (pk or cols))
                digest.update(f"\x00{table}\x00".encode())
                query = f'SELECT * FROM "{table}" ORDER BY {order}'  # noqa: S608 - names from the inspector
                for row in conn.execute(text(query)):
                    digest.update(repr(tuple(row)).encode())
    finally:
        engine.dispose()
    if firm_root is not None and firm_root.exists():
        for p in sorted(firm_root.rglob("*")):
            digest.update(str(p.relative_to(firm_root)).encode())
            if p.is_file():
                digest.update(p.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def state() -> Callable[..., str]:
    """:func:`state_hash` as a fixture."""
    return state_hash
