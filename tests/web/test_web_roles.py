"""The role matrix: every write endpoint x every role is either allowed (2xx) or refused (403).

The policy (issue 6): programme office may do everything; a park manager edits only their
own parks (here: sc-a); an enterprise user edits only its own enterprise profile (E1);
the public role is read-only. Anonymous callers get 401 on every write. The cases run in
order on one database per role, so an allowed create is followed by its update and delete.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

OFFICE = {"programme_office"}
PARK = {"park_id": "sc-role", "name_zh": "角色园区", "name_en": "Role Park", "province": "SC", "adcode": "510112",
        "lon": 104.2, "lat": 30.5, "location_approximate": False, "level": "other", "kind": "industrial_park",
        "confidence": "synthetic"}
ZONE = {"zone_id": "z-role", "name_zh": "角色片区", "name_en": "Role zone", "kind": "platform",
        "members": ["510112"], "confidence": "synthetic"}
DES = {"designation_id": "d-role", "batch": 3, "year": 2023, "members": ["cq-c"], "unknown_members": 1,
       "mode": "unknown", "confidence": "synthetic"}
TARGET = {"year": 2031, "cumulative_parks": 40, "confidence": "synthetic"}
USER = {"username": "newbie", "password": "another long password", "role": "public"}
SCENARIO = {"name": "s-role", "kind": "designation", "params": {"k": 3}}

#: (label, method, path, body, roles allowed)
MATRIX: list[tuple[str, str, str, dict[str, Any] | None, set[str]]] = [
    ("create park", "POST", "/api/parks", PARK, OFFICE),
    ("update own park sc-a", "PATCH", "/api/parks/sc-a", {"area_km2": 11.0}, OFFICE | {"park_manager"}),
    ("update other park cq-b", "PATCH", "/api/parks/cq-b", {"area_km2": 2.0}, OFFICE),
    ("delete park", "DELETE", "/api/parks/sc-role", None, OFFICE),
    ("create zone", "POST", "/api/zones", ZONE, OFFICE),
    ("update zone", "PATCH", "/api/zones/core-cq", {"name_en": "Core"}, OFFICE),
    ("delete zone", "DELETE", "/api/zones/z-role", None, OFFICE),
    ("create designation", "POST", "/api/designations", DES, OFFICE),
    ("update designation", "PATCH", "/api/designations/b1-a-b", {"theme": "auto"}, OFFICE),
    ("delete designation", "DELETE", "/api/designations/d-role", None, OFFICE),
    ("create target", "POST", "/api/targets", TARGET, OFFICE),
    ("update target", "PATCH", "/api/targets/2022", {"cumulative_parks": 16}, OFFICE),
    ("delete target", "DELETE", "/api/targets/2031", None, OFFICE),
    ("update own enterprise E1", "PATCH", "/api/enterprises/E1", {"employees": 12345}, OFFICE | {"enterprise"}),
    ("update other enterprise E2", "PATCH", "/api/enterprises/E2", {"employees": 3}, OFFICE),
    ("create user", "POST", "/api/users", USER, OFFICE),
    ("update user", "PATCH", "/api/users/4", {"display_name": "Citizen"}, OFFICE),
    ("create scenario", "POST", "/api/scenarios", SCENARIO, OFFICE),
    ("publish scenario", "PATCH", "/api/scenarios/s-role", {"published": True}, OFFICE),
]
ROLES = ("programme_office", "park_manager", "enterprise", "public")


@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(client: TestClient, headers: dict[str, dict[str, str]], role: str) -> None:
    wrong = []
    for label, method, path, body, allowed in MATRIX:
        r = client.request(method, path, json=body, headers=headers[role])
        expect_ok = role in allowed
        ok = 200 <= r.status_code < 300 if expect_ok else r.status_code == 403
        if not ok:
            wrong.append(f"{label}: {r.status_code} {r.text[:120]}")
    assert not wrong, f"role {role}:\n" + "\n".join(wrong)


def test_anonymous_writes_are_401(client: TestClient) -> None:
    codes = {label: client.request(method, path, json=body).status_code for label, method, path, body, _ in MATRIX}
    assert set(codes.values()) == {401}, codes


def test_denied_writes_change_nothing(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    before = client.get("/api/parks/cq-b").json()
    assert client.patch("/api/parks/cq-b", json={"area_km2": 99.0}, headers=headers["park_manager"]).status_code == 403
    assert client.get("/api/parks/cq-b").json() == before
    assert client.get("/api/audit", headers=headers["programme_office"]).json()["total"] == 0


def test_manager_edit_is_audited_under_their_name(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    assert client.patch("/api/parks/sc-a", json={"industries": "新能源汽车"},
                        headers=headers["park_manager"]).status_code == 200
    entry = client.get("/api/audit", headers=headers["programme_office"]).json()["items"][0]
    assert (entry["actor"], entry["action"], entry["entity"], entry["entity_id"]) == ("manager", "update", "parks", "sc-a")
    assert entry["before"]["industries"] == "汽车 autos" and entry["after"]["industries"] == "新能源汽车"


@pytest.mark.parametrize("role", ["park_manager", "enterprise", "public", "anonymous"])
def test_office_only_reads(client: TestClient, headers: dict[str, dict[str, str]], role: str) -> None:
    expected = 401 if role == "anonymous" else 403
    assert client.get("/api/users", headers=headers[role]).status_code == expected
    assert client.get("/api/audit", headers=headers[role]).status_code == expected


def test_unpublished_scenarios_are_hidden_from_non_office(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    office = headers["programme_office"]
    assert client.post("/api/scenarios", json={"name": "draft", "kind": "designation", "params": {"p": 1}},
                       headers=office).status_code == 201
    assert client.post("/api/scenarios", json={"name": "final", "kind": "designation", "published": True},
                       headers=office).status_code == 201
    assert [s["name"] for s in client.get("/api/scenarios", headers=office).json()] == ["draft", "final"]
    for role in ("park_manager", "enterprise", "public", "anonymous"):
        assert [s["name"] for s in client.get("/api/scenarios", headers=headers[role]).json()] == ["final"]
        assert client.get("/api/scenarios/draft", headers=headers[role]).status_code == 404
    assert client.get("/api/scenarios/draft", headers=office).json()["params"] == {"p": 1}
