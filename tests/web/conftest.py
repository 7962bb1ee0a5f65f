"""Fixtures of the web tests: a registry loaded from ``tiny_registry()``, users of every role,
an in-process client, and bearer-token headers per role.

Argon2 hashing is deliberately slow, so the loaded database (with its users) is built once
per session and copied for each test.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from parklink.store.db import get_engine, session_scope, upgrade
from parklink.store.io import LOAD_ORDER, write_frame
from parklink.testing import tiny_registry
from parklink.web.accounts import create_user, open_session

FIRM_COLUMNS = ["enterprise_id", "province", "adcode", "park_id", "lon", "lat", "chain", "segments",
                "output_cny_m", "leading"]
PASSWORD = "correct horse battery staple"
USERS = {
    "programme_office": ("office", {}),
    "park_manager": ("manager", {"parks": ["sc-a"]}),
    "enterprise": ("firm", {"enterprise_id": "E1"}),
    "public": ("citizen", {}),
}


def load_registry(url: str, *, users: bool = True) -> str:
    """Migrate ``url``, load the tiny registry and (optionally) one user per role."""
    upgrade(url)
    frames = tiny_registry()
    with session_scope(url) as session:
        for kind in LOAD_ORDER:
            if kind in frames:
                write_frame(session, kind, frames[kind])
        if users:
            for role, (name, extra) in USERS.items():
                create_user(session, name, PASSWORD, role, **extra)  # type: ignore[arg-type]
    return url


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the tiny registry and the users, built once."""
    path = tmp_path_factory.mktemp("webdb") / "template.sqlite"
    url = f"sqlite:///{path}"
    load_registry(url)
    get_engine(url).dispose()
    return path


@pytest.fixture
def web_url(template_db: Path, tmp_path: Path) -> Iterator[str]:
    """A fresh copy of the template registry (tiny dataset + one user per role)."""
    path = tmp_path / f"web-{uuid.uuid4().hex[:8]}.sqlite"
    shutil.copy(template_db, path)
    url = f"sqlite:///{path}"
    yield url
    get_engine(url).dispose()


@pytest.fixture
def client(web_url: str) -> Iterator[TestClient]:
    """An in-process client of the app on ``web_url``."""
    from parklink.web import create_app

    with TestClient(create_app(web_url)) as c:
        yield c


@pytest.fixture(scope="module")
def ro_client(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A client shared by the read-only tests of a module (on its own copy of the template)."""
    from parklink.settings import get_settings
    from parklink.web import create_app

    root = tmp_path_factory.mktemp("ro")
    path = root / "ro.sqlite"
    shutil.copy(template_db, path)
    url = f"sqlite:///{path}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PARKLINK_DATA_DIR", str(root / "data"))
        get_settings.cache_clear()
        with TestClient(create_app(url)) as c:
            yield c
        get_engine(url).dispose()
    get_settings.cache_clear()


def token_headers(client: TestClient, username: str) -> dict[str, str]:
    """Bearer headers for ``username``, issued directly (a session row and the app's signer; no slow login)."""
    from sqlalchemy import select

    from parklink.store import models as m

    state = client.app.state.web  # type: ignore[attr-defined]
    with state.sessions() as session:
        user = session.scalar(select(m.User).where(m.User.username == username))
        assert user is not None
        token = open_session(session, state.signer, user, "api", ttl_s=600)
        session.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def headers(client: TestClient) -> dict[str, dict[str, str]]:
    """Bearer headers per role (and {} for anonymous)."""
    out = {role: token_headers(client, name) for role, (name, _) in USERS.items()}
    out["anonymous"] = {}
    return out


def write_firm_rows(root: Path, firms: list[tuple[Any, ...]], tx: list[tuple[Any, ...]]) -> None:
    """A synthetic firm dataset under ``root`` from hand-made rows: ``firms`` in
    :data:`FIRM_COLUMNS` order (names and the other enterprise columns filled in) and
    ``tx`` as (supplier_id, buyer_id, year, value_kcny)."""
    f = pd.DataFrame(firms, columns=FIRM_COLUMNS)
    f["name_zh"] = "企业" + f["enterprise_id"]
    f["name_en"] = "Firm " + f["enterprise_id"]
    f["size_class"] = "medium"
    f["synthetic"] = True
    f["confidence"] = "synthetic"
    for c in ("adcode", "park_id"):
        f[c] = f[c].astype("string")
    (root / "transactions").mkdir(parents=True, exist_ok=True)
    f.to_parquet(root / "firms.parquet", index=False)
    t = pd.DataFrame(tx, columns=["supplier_id", "buyer_id", "year", "value_kcny"])
    t["year"] = t["year"].astype("int64")
    t.to_parquet(root / "transactions" / "part-0.parquet", index=False)


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread; yields the base URL."""
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)
