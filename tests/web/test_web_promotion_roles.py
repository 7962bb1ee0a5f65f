"""Role matrix of every promotion write route (issue 14): each route × each role is allowed
(2xx) or refused (403); anonymous callers get 401 everywhere; a refused write changes nothing.

Policy (docs/web.md): programme office everything; a park manager (here of sc-a) writes the
plans, leads and projects of their parks; events are the office's; enterprise and public
users write nothing. The cases run in order on one database per role.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from .promotion_seed import seed_ledger

OFFICE = {"programme_office"}
MANAGER = OFFICE | {"park_manager"}
NEW_A = {"name_zh": "新线索甲", "investor_name": "某企业 Some Firm", "park_id": "sc-a", "chain": "auto"}
NEW_B = {**NEW_A, "park_id": "cq-b"}
EVENT = {"name_zh": "新活动", "name_en": "New event", "held_on": "2026-05-01", "city": "成都", "country": "CN"}
PLAN_A = {"plan_id": "PL-RA", "name_zh": "甲计划", "name_en": "Plan A2", "scope_kind": "park", "scope_id": "sc-a",
          "period_start": 2026, "period_end": 2027, "goals": [{"year": 2026, "projects": 2}]}
PLAN_B = {**PLAN_A, "plan_id": "PL-RB", "scope_id": "cq-b"}
TARGET = {"segment_id": "auto.vehicles", "enterprise_id": "E9", "enterprise_name": "手工目标 Hand target"}

#: (label, method, path, body, roles allowed)
MATRIX: list[tuple[str, str, str, dict[str, Any] | None, set[str]]] = [
    ("create lead in own park", "POST", "/api/projects", NEW_A, MANAGER),
    ("create lead in other park", "POST", "/api/projects", NEW_B, OFFICE),
    ("update own park's project", "PATCH", "/api/projects/P1", {"jobs": 120}, MANAGER),
    ("update other park's project", "PATCH", "/api/projects/P3", {"jobs": 5}, OFFICE),
    ("move own project to another park", "PATCH", "/api/projects/P4", {"park_id": "cq-c"}, OFFICE),
    ("advance own park's project", "POST", "/api/projects/P1/events",
     {"stage": "construction_started", "on_date": "2026-06-01"}, MANAGER),
    ("advance other park's project", "POST", "/api/projects/P3/events",
     {"stage": "in_production", "on_date": "2026-06-01"}, OFFICE),
    ("record funds of own park's project", "POST", "/api/projects/P1/funds",
     {"on_date": "2026-06-10", "amount_cny_m": 12.5, "use": "fixed_assets"}, MANAGER),
    ("record funds of other park's project", "POST", "/api/projects/P3/funds",
     {"on_date": "2026-06-10", "amount_cny_m": 1.0}, OFFICE),
    ("create event", "POST", "/api/events", EVENT, OFFICE),
    ("update event", "PATCH", "/api/events/EV1", {"attending_firms": 61}, OFFICE),
    ("create plan of own park", "POST", "/api/promotion-plans", PLAN_A, MANAGER),
    ("create plan of other park", "POST", "/api/promotion-plans", PLAN_B, OFFICE),
    ("update own plan", "PATCH", "/api/promotion-plans/PL-A", {"note": "重点 auto"}, MANAGER),
    ("update other plan", "PATCH", "/api/promotion-plans/PL-B", {"note": "x"}, OFFICE),
    ("set goals of own plan", "PATCH", "/api/promotion-plans/PL-A", {"goals": [{"year": 2027, "projects": 5}]},
     MANAGER),
    ("set goals of other plan", "PATCH", "/api/promotion-plans/PL-B", {"goals": [{"year": 2027, "projects": 5}]},
     OFFICE),
    ("move own plan to another park", "PATCH", "/api/promotion-plans/PL-A", {"scope_id": "cq-b"}, OFFICE),
    ("add target to own plan", "POST", "/api/promotion-plans/PL-A/targets", TARGET, MANAGER),
    ("drop target of own plan", "PATCH", "/api/promotion-plans/PL-A/targets/PL-A:auto.vehicles:E1",
     {"drop_reason": "already in the park"}, MANAGER),
    ("lead from own plan's target", "POST", "/api/promotion-plans/PL-A/targets/PL-A:auto.castings:E2/lead", {},
     MANAGER),
    ("lead from other plan's target", "POST", "/api/promotion-plans/PL-B/targets/PL-B:auto.castings:E2/lead", {},
     OFFICE),
]
ROLES = ("programme_office", "park_manager", "enterprise", "public")


@pytest.fixture
def seeded(web_url: str) -> Any:
    from parklink.web import create_app

    seed_ledger(web_url)
    with TestClient(create_app(web_url)) as c:
        yield c


def _headers(c: TestClient) -> dict[str, dict[str, str]]:
    from .conftest import USERS, token_headers

    return {role: token_headers(c, name) for role, (name, _) in USERS.items()}


@pytest.mark.parametrize("role", ROLES)
def test_promotion_role_matrix(seeded: TestClient, role: str) -> None:
    headers = _headers(seeded)[role]
    wrong = []
    for label, method, path, body, allowed in MATRIX:
        r = seeded.request(method, path, json=body, headers=headers)
        ok = 200 <= r.status_code < 300 if role in allowed else r.status_code == 403
        if not ok:
            wrong.append(f"{label}: {r.status_code} {r.text[:160]}")
    assert not wrong, f"role {role}:\n" + "\n".join(wrong)


def test_anonymous_promotion_writes_are_401(seeded: TestClient) -> None:
    codes = {label: seeded.request(method, path, json=body).status_code for label, method, path, body, _ in MATRIX}
    assert set(codes.values()) == {401}, codes


def test_refused_writes_change_nothing_and_office_fields_stay_office(seeded: TestClient) -> None:
    h = _headers(seeded)
    office = h["programme_office"]
    before = seeded.get("/api/projects/P3", headers=office).json()
    assert seeded.post("/api/projects/P3/events", json={"stage": "in_production", "on_date": "2026-06-01"},
                       headers=h["park_manager"]).status_code == 403
    assert seeded.patch("/api/projects/P3", json={"jobs": 1}, headers=h["enterprise"]).status_code == 403
    assert seeded.get("/api/projects/P3", headers=office).json() == before
    # a park manager records facts of their projects, not the office's provenance decisions
    r = seeded.patch("/api/projects/P1", json={"confidence": "confirmed"}, headers=h["park_manager"])
    assert r.status_code == 403 and "confidence" in r.json()["detail"]
    r = seeded.post("/api/projects", json={**NEW_A, "synthetic": True}, headers=h["park_manager"])
    assert r.status_code == 403 and "synthetic" in r.json()["detail"]
    # the enterprise sees its own project in full but may not write it
    assert seeded.patch("/api/projects/P1", json={"jobs": 3}, headers=h["enterprise"]).status_code == 403
