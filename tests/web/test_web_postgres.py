"""The API on both databases (SQLite and PostgreSQL): filters, sorting, writes, audit, 409."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from .conftest import load_registry, token_headers


@pytest.fixture
def any_client(db_url: str) -> Iterator[TestClient]:
    from parklink.web import create_app

    load_registry(db_url)
    with TestClient(create_app(db_url)) as c:
        yield c


def test_api_on_both_databases(any_client: TestClient) -> None:
    c = any_client
    office = token_headers(c, "office")
    manager = token_headers(c, "manager")
    assert [p["park_id"] for p in c.get("/api/parks?zone=core-cq&sort=-name_en").json()["items"]] == ["cq-c", "cq-b"]
    assert c.get("/api/parks?chain=auto&page_size=1&page=2").json() == {
        "items": [c.get("/api/parks/sc-a").json()], "total": 2, "page": 2, "page_size": 1}
    assert c.get("/api/parks?q=park%20a").json()["total"] == 1  # case-insensitive English name search
    assert c.patch("/api/parks/sc-a", json={"focus_chains": ["biomed"]}, headers=manager).status_code == 200
    assert c.patch("/api/parks/cq-b", json={"focus_chains": ["biomed"]}, headers=manager).status_code == 403
    assert c.get("/api/parks?chain=biomed").json()["total"] == 1
    r = c.delete("/api/parks/sc-a", headers=office)
    assert r.status_code == 409  # still a member of b1-a-b
    assert c.get("/api/parks/sc-a").status_code == 200
    r = c.patch("/api/designations/b1-a-b", json={"revoked_year": 2023}, headers=office)
    assert r.status_code == 200 and r.json()["revoked_year"] == 2023
    status = {y["year"]: y["named_parks"] for y in c.get("/api/status").json()["by_year"]}
    assert status == {2020: 2, 2022: 2, 2025: 0}
    audit = c.get("/api/audit", headers=office).json()
    assert [(a["actor"], a["entity_id"]) for a in audit["items"]] == [("office", "b1-a-b"), ("manager", "sc-a")]


def test_sessions_and_policy_on_both_databases(any_client: TestClient) -> None:
    """Server-side sessions (migration 0006), the last-office rule (row lock on PostgreSQL),
    strict booleans, tz-aware times and the field policy, on SQLite and PostgreSQL."""
    import re

    from sqlalchemy import select

    from parklink.store import models as m

    c = any_client
    office = token_headers(c, "office")
    manager = token_headers(c, "manager")
    with c.app.state.web.sessions() as s:  # type: ignore[attr-defined]
        ids = {str(name): int(uid) for name, uid in s.execute(select(m.User.username, m.User.id))}
    assert c.patch(f"/api/users/{ids['office']}", json={"active": False}, headers=office).status_code == 409
    assert c.patch(f"/api/users/{ids['manager']}", json={"active": 0}, headers=office).status_code == 422
    assert c.patch("/api/parks/sc-a", json={"level": "national"}, headers=manager).status_code == 403
    assert c.patch(f"/api/users/{ids['manager']}", json={"active": False}, headers=office).status_code == 200
    assert c.patch(f"/api/users/{ids['manager']}", json={"active": True}, headers=office).status_code == 200
    assert c.get("/api/users/me", headers=manager).status_code == 401  # not revived
    assert c.post("/api/auth/logout", headers=office).status_code == 204
    assert c.get("/api/users/me", headers=office).status_code == 401
    office = token_headers(c, "office")
    at = c.get("/api/audit", headers=office).json()["items"][0]["at"]
    assert re.search(r"(Z|[+-]\d\d:\d\d)$", at), at
