"""Scoped cache invalidation: web caches key on the versions of the data domains they read.

A write to the promotion ledger (another domain) leaves the park analyses (no new job, the
same table and fingerprint), the cached park page and the cached park API answers valid; a
write to a park (the registry domain) makes each of them show the new data at once, in
this process and computed once for every process (one job per analysis version).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from parklink.configs import EvaluationConfig, fingerprint
from parklink.inputs import read_inputs
from parklink.promotion import service
from parklink.store import models as m
from parklink.store.db import session_scope
from parklink.web.cache import response_cache

PARK = "sc-a"


def _eval(html: str) -> tuple[str, str] | None:
    score = re.search(r'id="eval-score" data-value="([^"]+)"', html)
    fp = re.search(r'id="eval-fingerprint">([0-9a-f]+)<', html)
    return None if score is None or fp is None else (score.group(1), fp.group(1))


def _analysis_jobs(url: str) -> int:
    with session_scope(url) as s:
        return int(s.scalar(select(func.count()).select_from(m.AnalysisJob)
                            .where(m.AnalysisJob.kind == "park_analyses")) or 0)


def _promotion_write(url: str) -> None:
    """A new promotion project, written as another process would (its own session)."""
    with session_scope(url) as s:
        service.create_project(s, {"project_id": "PX", "name_zh": "新项目", "name_en": "New project",
                                   "investor_name": "某公司 Some Co", "origin_country": "CN",
                                   "origin_province": "CQ", "mode": "new", "chain": "auto", "park_id": PARK},
                               actor="test", via="test", stage="lead", on=dt.date(2025, 1, 10))


def _park_write(url: str, area: float) -> None:
    with session_scope(url) as s:
        park = s.get(m.Park, PARK)
        assert park is not None
        park.area_km2 = area


@pytest.fixture
def app_client(web_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    from parklink.web import create_app
    from parklink.web.park_analyses import clear_cache

    clear_cache()
    monkeypatch.setenv("PARKLINK_WEB_ANALYSIS_WAIT_S", "120")  # the tiny registry: shown on the first view
    with TestClient(create_app(web_url)) as c:
        yield c
    clear_cache()


def test_promotion_write_keeps_park_caches(app_client: TestClient, web_url: str) -> None:
    from parklink.web import park_precompute as pp

    page = app_client.get(f"/parks/{PARK}").text
    shown = _eval(page)
    assert shown is not None
    jobs = _analysis_jobs(web_url)
    tables = dict(pp._tables)
    detail = app_client.get(f"/api/parks/{PARK}")
    listing = app_client.get("/api/parks?province=SC")
    cache = response_cache(app_client.app)
    assert cache is not None

    computed = fingerprint(read_inputs(web_url), EvaluationConfig())  # the inputs the table was computed from
    _promotion_write(web_url)

    hits = cache.hits
    assert app_client.get(f"/api/parks/{PARK}").content == detail.content
    assert app_client.get("/api/parks?province=SC").content == listing.content
    assert cache.hits == hits + 2  # both answered from the response cache: not invalidated
    again = app_client.get(f"/parks/{PARK}").text
    assert again == page  # the rendered page is still valid: same bytes
    assert _eval(again) == shown
    assert _analysis_jobs(web_url) == jobs  # no new computation of every park
    assert dict(pp._tables) == tables
    # one answer: the kept table's fingerprint is the one an analysis run now would carry
    # (same inputs, same configuration), although the data version has moved since
    now = fingerprint(read_inputs(web_url), EvaluationConfig())
    assert now.digest == shown[1] == computed.digest
    assert now.data_version != computed.data_version
    # the promotion pages themselves do see the write (their domain moved)
    with session_scope(web_url) as s:
        assert s.get(m.Project, "PX") is not None


def test_park_write_invalidates_park_caches(app_client: TestClient, web_url: str) -> None:
    page = app_client.get(f"/parks/{PARK}").text
    shown = _eval(page)
    assert shown is not None
    jobs = _analysis_jobs(web_url)
    before = app_client.get(f"/api/parks/{PARK}").json()
    assert before["area_km2"] != 77.5
    cache = response_cache(app_client.app)
    assert cache is not None

    _park_write(web_url, 77.5)

    misses = cache.misses
    assert app_client.get(f"/api/parks/{PARK}").json()["area_km2"] == 77.5
    assert cache.misses == misses + 1
    assert any(r["park_id"] == PARK and r["area_km2"] == 77.5
               for r in app_client.get("/api/parks?province=SC").json()["items"])
    html = app_client.get(f"/parks/{PARK}").text
    assert "77.5" in html  # the page is rendered again from the new row
    assert _analysis_jobs(web_url) == jobs + 1  # the analyses are computed again, once
    now = _eval(html)
    assert now is not None and now[1] != shown[1]  # a new inputs fingerprint
    assert app_client.get(f"/parks/{PARK}").text == html  # and cached again for that version
    assert _analysis_jobs(web_url) == jobs + 1
