"""Field-level write policy (issue 12, defect 15): every field x role, through the API.

The expected sets are written out here by hand from the rule in docs/web.md (provenance —
confidence, source_url — official standing and placement are programme-office decisions),
not read from ``parklink.web.policy``.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from parklink import tables as t

PARK_MANAGER_MAY = {"name_zh", "name_en", "lon", "lat", "location_approximate", "area_km2", "focus_chains",
                    "industries"}
ENTERPRISE_MAY = {"name_zh", "name_en", "lon", "lat", "segments", "size_class", "employees", "output_cny_m"}
#: (kind, own record, fields the role may write) per role; the office may write every field.
CASES = {
    "park_manager": ("parks", "sc-a", PARK_MANAGER_MAY),
    "enterprise": ("enterprises", "E1", ENTERPRISE_MAY),
}
OFFICE_ONLY = {"confidence", "source_url", "level", "leading"}  # named by the issue


def _fields(kind: str) -> list[str]:
    return [c for c in t.schema(kind).names if c not in t.schema(kind).key]


def _value(row: dict[str, Any], field: str) -> Any:
    """The current value (always valid), or a valid value for a null field."""
    if row[field] is not None:
        return row[field]
    return {"area_km2": 1.5, "industries": "x", "source_url": "https://example.org/a", "employees": 7,
            "output_cny_m": 1.0, "adcode": "500112", "park_id": "cq-b", "chain": "auto"}.get(field)


def test_office_only_fields_are_never_writable_by_other_roles() -> None:
    for kind, _, allowed in CASES.values():
        assert not (OFFICE_ONLY & allowed), kind
        assert allowed < set(_fields(kind))


@pytest.mark.parametrize("role", ["park_manager", "enterprise"])
def test_every_field_of_the_own_record(client: TestClient, headers: dict[str, dict[str, str]], role: str) -> None:
    kind, key, allowed = CASES[role]
    row = client.get(f"/api/{kind}/{key}").json()
    wrong = []
    for field in _fields(kind):
        before = client.get(f"/api/{kind}/{key}").json()
        r = client.patch(f"/api/{kind}/{key}", json={field: _value(row, field)}, headers=headers[role])
        expected = 200 if field in allowed else 403
        if r.status_code != expected:
            wrong.append(f"{field}: {r.status_code} (expected {expected}) {r.text[:150]}")
        if expected == 403:
            if field not in r.json()["detail"]:
                wrong.append(f"{field}: the refusal does not name the field: {r.text[:150]}")
            if client.get(f"/api/{kind}/{key}").json() != before:
                wrong.append(f"{field}: a refused write changed the record")
    assert not wrong, "\n".join(wrong)
    # a mixed request is refused as a whole
    r = client.patch(f"/api/{kind}/{key}", json={"name_en": "Mixed", "confidence": "confirmed"}, headers=headers[role])
    assert r.status_code == 403 and client.get(f"/api/{kind}/{key}").json()["name_en"] != "Mixed"


@pytest.mark.parametrize("kind,key", [("parks", "sc-a"), ("enterprises", "E1"), ("designations", "b1-a-b"),
                                      ("zones", "core-cq"), ("targets", "2022")])
def test_office_writes_every_field(client: TestClient, headers: dict[str, dict[str, str]], kind: str, key: str) -> None:
    row = client.get(f"/api/{kind}/{key}").json()
    for field in _fields(kind):
        value = _value(row, field)
        if value is None:
            continue
        r = client.patch(f"/api/{kind}/{key}", json={field: value}, headers=headers["programme_office"])
        assert r.status_code == 200, (field, r.text[:200])


@pytest.mark.parametrize("role", ["park_manager", "enterprise", "public"])
@pytest.mark.parametrize("kind,key", [("parks", "cq-b"), ("enterprises", "E2"), ("designations", "b1-a-b"),
                                      ("zones", "core-cq"), ("targets", "2022")])
def test_no_field_of_another_record(client: TestClient, headers: dict[str, dict[str, str]], role: str, kind: str,
                                    key: str) -> None:
    row = client.get(f"/api/{kind}/{key}").json()
    for field in _fields(kind):
        r = client.patch(f"/api/{kind}/{key}", json={field: _value(row, field)}, headers=headers[role])
        assert r.status_code in (403, 422) if _value(row, field) is None else r.status_code == 403, (field, r.text)


def test_park_page_form_keeps_office_fields(client: TestClient) -> None:
    """The page form of a park manager shows source_url read-only; a forged post of it is refused."""
    import re

    from .conftest import PASSWORD

    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token
    assert client.post("/login", data={"username": "manager", "password": PASSWORD, "csrf": token.group(1)},
                       follow_redirects=False).status_code == 303
    page = client.get("/parks/sc-a").text
    assert re.search(r'name="source_url"[^>]*disabled', page)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf
    form = {"csrf": csrf.group(1), "name_zh": "甲园区", "name_en": "Park A", "area_km2": "12", "industries": "x"}
    r = client.post("/parks/sc-a/edit", data=form, follow_redirects=False)
    assert r.status_code == 303
    park = client.get("/api/parks/sc-a").json()
    assert park["area_km2"] == 12 and park["source_url"] is None
    r = client.post("/parks/sc-a/edit", data={**form, "source_url": "https://evil.example/"}, follow_redirects=False)
    assert r.status_code == 303  # the disabled field is not the manager's to set: ignored, never stored
    assert client.get("/api/parks/sc-a").json()["source_url"] is None
