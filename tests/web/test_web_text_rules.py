"""Issue 12 (defects 6 and 7) through the web API: the same text and digit rules as the
importer — control characters and over-long text are 422 with the field named, nothing is
written, and ASCII-only digit patterns in query parameters."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

PARK: dict[str, Any] = {
    "park_id": "sc-text", "name_zh": "新园区", "name_en": "New Park", "province": "SC",
    "adcode": "510112", "lon": 104.3, "lat": 30.6, "location_approximate": False,
    "level": "provincial", "kind": "edz", "area_types": ["adjacent"], "focus_chains": ["moto"],
    "confidence": "synthetic",
}


@pytest.mark.parametrize(("change", "field", "reason_part"), [
    ({"name_zh": "园区\x00"}, "name_zh", "control character"),
    ({"name_en": "a\x1bb"}, "name_en", "control character"),
    ({"name_zh": "名" * 201}, "name_zh", "at most 200"),
    ({"industries": "x" * 4001}, "industries", "at most 4000"),
    ({"focus_chains": ["auto", "auto"]}, "focus_chains", "more than once"),
])
def test_api_applies_the_import_text_rules(client: TestClient,
                                           headers: dict[str, dict[str, str]],
                                           change: dict[str, Any], field: str,
                                           reason_part: str) -> None:
    office = headers["programme_office"]
    r = client.post("/api/parks", json={**PARK, **change}, headers=office)
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert any(e["field"].split(".")[0] == field and reason_part in e["reason"]
               for e in errors), errors
    assert client.get("/api/parks/sc-text").status_code == 404


def test_api_accepts_text_at_the_limit(client: TestClient,
                                       headers: dict[str, dict[str, str]]) -> None:
    body = {**PARK, "name_zh": "名" * 200, "industries": "汽车\n电子"}
    r = client.post("/api/parks", json=body, headers=headers["programme_office"])
    assert r.status_code == 201, r.text
    assert r.json()["name_zh"] == "名" * 200


def test_adcode_query_parameters_take_ascii_digits_only(client: TestClient) -> None:
    assert client.get("/api/regions?parent=510100").status_code == 200
    assert client.get("/api/regions?parent=５１０１００").status_code == 422
    assert client.get("/api/parks?adcode=５１０１１２").status_code == 422
