"""A server process warms itself at start-up (:mod:`parklink.web.warmup`): templates
compiled, the public pages and API requested once, the stored park analyses loaded; the
answers are then forgotten (a first request is still rendered), and nothing is computed that
was not asked for (no analysis job is started)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from parklink.store import models as m
from parklink.store.db import session_scope


@pytest.fixture
def started(web_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, TestClient]]:
    """An application on a copy of the tiny registry, started (lifespan run, middleware
    stack built), with its own data folder and no park table in this process."""
    from parklink.web import create_app
    from parklink.web import park_precompute as pp

    monkeypatch.setenv("PARKLINK_DATA_DIR", str(tmp_path / "data"))
    pp.clear()
    app = create_app(web_url)
    with TestClient(app) as client:
        assert client.get("/api/health").status_code == 200
        yield app, client
    pp.clear()


def _jobs(url: str) -> int:
    with session_scope(url) as session:
        return int(session.scalar(select(func.count()).select_from(m.AnalysisJob)) or 0)


def test_warm_up_requests_the_public_pages_and_forgets_the_answers(web_url: str,
                                                                    started: tuple[Any, TestClient]) -> None:
    from parklink.web.cache import response_cache
    from parklink.web.rendering import _TEMPLATES_BY_LANG
    from parklink.web.warmup import WARM_PATHS, warm_process

    app, _ = started
    report = asyncio.run(warm_process(app))
    assert [path for path, _ in report.requests][: len(WARM_PATHS)] == list(WARM_PATHS)
    assert all(status == 200 for _, status in report.requests), report.requests
    assert not report.park_page  # no analyses stored yet: the park page is not requested
    assert _jobs(web_url) == 0  # ... and no computation was started
    cache = response_cache(app)
    assert cache is not None and len(cache) == 0  # answers forgotten
    assert "public-pages" not in app.state.web.cache
    for templates in _TEMPLATES_BY_LANG.values():  # every page template compiled, both languages
        names = templates.env.list_templates(extensions=["html"])
        assert names and all(templates.env.cache is not None and any(
            key[1] == name for key in templates.env.cache) for name in names)
    assert "warmed" not in report.summary() and "skipped" in report.summary()


def test_warm_up_loads_stored_park_analyses_and_warms_the_park_page(web_url: str,
                                                                     started: tuple[Any, TestClient]) -> None:
    from parklink.web import park_precompute as pp
    from parklink.web.warmup import warm_process

    app, _ = started
    sessions = app.state.web.sessions
    with sessions() as session:
        assert pp.lookup(sessions, session, wait_s=120.0).state == "ready"  # computed and stored
    jobs = _jobs(web_url)
    pp.clear()  # as a new worker process
    report = asyncio.run(warm_process(app))
    assert report.park_page and "warmed" in report.summary()
    assert any(path.startswith("/parks/") and status == 200 for path, status in report.requests)
    with sessions() as session:
        key, _ = pp._key(sessions, session)
    found = pp._known(key)
    assert found is not None and found.state == "ready"  # loaded in this process
    assert _jobs(web_url) == jobs  # loaded, not computed again


def test_server_start_up_runs_the_warm_up(web_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          caplog: pytest.LogCaptureFixture) -> None:
    """``create_app(warm=True)`` (the server entry points) warms in its start-up; the
    default (tests) does not."""
    from parklink.web import create_app
    from parklink.web import park_precompute as pp

    monkeypatch.setenv("PARKLINK_DATA_DIR", str(tmp_path / "data"))
    pp.clear()
    with caplog.at_level(logging.INFO, logger="parklink.web"), TestClient(create_app(web_url, warm=True)) as client:
        assert client.get("/").status_code == 200
    assert any(r.getMessage().startswith("warm-up: ") for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="parklink.web"), TestClient(create_app(web_url)) as client:
        assert client.get("/").status_code == 200
    assert not any(r.getMessage().startswith("warm-up") for r in caplog.records)
    pp.clear()
