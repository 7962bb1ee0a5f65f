"""API routes: lists (filters, sort, pagination bounds), details, writes, validation, audit.

Expected values are worked out by hand from ``parklink.testing.tiny_registry()``:
parks sc-a (SC, national, critical_development, auto+electronics, 510112),
cq-b (CQ, provincial, transport_node+adjacent, auto, 500112), cq-c (CQ, other, 500112);
zone core-cq = {500112}; designation b1-a-b = {cq-b, sc-a} (auto) and b1-unknown (2 unnamed).
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from parklink import tables as t
from parklink.web.schemas import GENERATED

NEW_PARK: dict[str, Any] = {
    "park_id": "sc-new", "name_zh": "新园区", "name_en": "New Park", "province": "SC", "adcode": "510112",
    "lon": 104.3, "lat": 30.6, "location_approximate": False, "level": "provincial", "kind": "edz",
    "area_types": ["adjacent"], "focus_chains": ["moto"], "confidence": "synthetic",
}


def ids(body: dict[str, Any], key: str = "park_id") -> list[str]:
    return [row[key] for row in body["items"]]


# --- reads -------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["cq-b", "cq-c", "sc-a"]),
        ("province=SC", ["sc-a"]),
        ("province=CQ", ["cq-b", "cq-c"]),
        ("zone=core-cq", ["cq-b", "cq-c"]),
        ("zone=test-platform", ["cq-b", "cq-c", "sc-a"]),
        ("area_type=transport_node", ["cq-b"]),
        ("chain=electronics", ["sc-a"]),
        ("chain=auto", ["cq-b", "sc-a"]),
        ("level=national", ["sc-a"]),
        ("kind=htz", ["cq-c"]),
        ("designated=true", ["cq-b", "sc-a"]),
        ("designated=false", ["cq-c"]),
        ("q=Park%20B", ["cq-b"]),
        ("q=甲", ["sc-a"]),
        ("sort=-name_en", ["cq-c", "cq-b", "sc-a"]),
        ("sort=area_km2&province=CQ", ["cq-b", "cq-c"]),  # NULL area sorts first on SQLite
        ("province=CQ&chain=auto&area_type=adjacent", ["cq-b"]),
    ],
)
def test_park_filters_and_sort(ro_client: TestClient, query: str, expected: list[str]) -> None:
    r = ro_client.get(f"/api/parks?{query}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert ids(body) == expected
    assert body["total"] == len(expected)


def test_park_detail_has_lists_and_provenance(ro_client: TestClient) -> None:
    r = ro_client.get("/api/parks/sc-a")
    assert r.status_code == 200
    park = r.json()
    assert park["focus_chains"] == ["auto", "electronics"]
    assert park["area_types"] == ["critical_development"]
    assert park["confidence"] == "synthetic" and park["location_approximate"] is True
    assert ro_client.get("/api/parks/nope").status_code == 404
    assert ro_client.get("/api/parks/nope").json()["detail"].startswith("park 'nope' not found")


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("page_size=0", 422, "page_size"),
        ("page_size=201", 422, "page_size"),
        ("page=0", 422, "page"),
        ("page=abc", 422, "page"),
        ("province=XX", 422, "province"),
        ("sort=password_hash", 422, "sort"),
        ("sort=-nonexistent", 422, "sort"),
    ],
)
def test_list_parameter_bounds(ro_client: TestClient, query: str, status: int, field: str) -> None:
    r = ro_client.get(f"/api/parks?{query}")
    assert r.status_code == status
    body = r.json()
    assert body["detail"].startswith("validation failed")
    assert [e["field"] for e in body["errors"]] == [f"query.{field}" if field != "sort" else "sort"]
    assert all(e["reason"] for e in body["errors"])


def test_pagination_pages_partition_the_rows(ro_client: TestClient) -> None:
    seen: list[str] = []
    for page in (1, 2, 3):
        body = ro_client.get(f"/api/parks?page_size=1&page={page}").json()
        assert body["total"] == 3 and body["page"] == page and body["page_size"] == 1
        seen += ids(body)
    assert seen == ["cq-b", "cq-c", "sc-a"]
    beyond = ro_client.get("/api/parks?page_size=1&page=4").json()
    assert beyond["items"] == [] and beyond["total"] == 3
    assert ro_client.get("/api/parks?page_size=200").status_code == 200


@pytest.mark.parametrize(
    ("path", "key", "expected"),
    [
        ("/api/regions?level=district", "adcode", ["500112", "510112"]),
        ("/api/regions?province=SC", "adcode", ["510000", "510100", "510112"]),
        ("/api/regions?parent=510100", "adcode", ["510112"]),
        ("/api/regions?zone=core-cq", "adcode", ["500112"]),
        ("/api/zones", "zone_id", ["core-cq", "test-platform"]),
        ("/api/zones?kind=platform", "zone_id", ["test-platform"]),
        ("/api/zones?province=SC", "zone_id", ["test-platform"]),
        ("/api/zones?adcode=500112", "zone_id", ["core-cq", "test-platform"]),
        ("/api/designations", "designation_id", ["b1-a-b", "b1-unknown"]),
        ("/api/designations?chain=auto", "designation_id", ["b1-a-b"]),
        ("/api/designations?province=SC", "designation_id", ["b1-a-b"]),
        ("/api/designations?park_id=cq-b", "designation_id", ["b1-a-b"]),
        ("/api/designations?mode=unknown", "designation_id", ["b1-unknown"]),
        ("/api/designations?year=2021", "designation_id", []),
        ("/api/designations?active=true", "designation_id", ["b1-a-b", "b1-unknown"]),
        ("/api/targets", "year", [2020, 2022, 2025]),
        ("/api/targets?sort=-year", "year", [2025, 2022, 2020]),
        ("/api/enterprises", "enterprise_id", ["E1", "E2"]),
        ("/api/enterprises?province=OUT", "enterprise_id", ["E2"]),
        ("/api/enterprises?chain=auto&leading=true", "enterprise_id", ["E1"]),
        ("/api/enterprises?park_id=cq-b", "enterprise_id", ["E1"]),
        ("/api/transport-nodes", "node_id", ["air-ckg", "rail-cd"]),
        ("/api/transport-nodes?kind=airport", "node_id", ["air-ckg"]),
        ("/api/transport-nodes?mode=rail", "node_id", ["rail-cd"]),
        ("/api/transport-nodes?province=CQ", "node_id", ["air-ckg"]),
        ("/api/transport-links?node=air-ckg", "link_id", ["l1"]),
        ("/api/transport-links?mode=rail", "link_id", []),
        ("/api/chains/auto/segments", "segment_id", ["auto.castings", "auto.vehicles"]),
        ("/api/chains/auto/segments?level=mid", "segment_id", ["auto.vehicles"]),
        ("/api/chains/moto/segments", "segment_id", []),
    ],
)
def test_list_endpoints(ro_client: TestClient, path: str, key: str, expected: list[Any]) -> None:
    r = ro_client.get(path)
    assert r.status_code == 200, r.text
    assert ids(r.json(), key) == expected


@pytest.mark.parametrize("path", ["/api/parks?designated={}", "/api/designations?active={}",
                                  "/api/enterprises?leading={}"])
@pytest.mark.parametrize("value", ["1", "0", "yes", "on", "True", "FALSE", ""])
def test_query_booleans_are_strict(ro_client: TestClient, path: str, value: str) -> None:
    """Only ``true``/``false`` (as in request bodies); ``1``, ``yes``, ``True`` ... are a 422."""
    r = ro_client.get(path.format(value))
    assert r.status_code == 422, r.text
    assert "true" in r.text and "false" in r.text


@pytest.mark.parametrize(
    ("path", "check"),
    [
        ("/api/regions/510112", lambda b: b["name_en"] == "Longquanyi District"),
        ("/api/zones/test-platform", lambda b: b["members"] == ["510112", "500112"]),
        ("/api/designations/b1-a-b", lambda b: b["members"] == ["cq-b", "sc-a"] and b["announced"] == "2021-01-05"
         and b["revoked_year"] is None),
        ("/api/targets/2022", lambda b: b["cumulative_parks"] == 15),
        ("/api/enterprises/E1", lambda b: b["segments"] == ["auto.vehicles"]),
        ("/api/transport-nodes/air-ckg", lambda b: b["modes"] == ["air", "road"] and b["code"] == "CKG"),
        ("/api/chains", lambda b: [c["chain_id"] for c in b] == ["auto", "biomed", "electronics", "moto"]
         and b[0]["segments"] == 2),
        ("/api/health", lambda b: b["status"] == "ok"),
        ("/api/scenarios", lambda b: b == []),
    ],
)
def test_detail_endpoints(ro_client: TestClient, path: str, check: Any) -> None:
    r = ro_client.get(path)
    assert r.status_code == 200, r.text
    assert check(r.json())


@pytest.mark.parametrize(
    "path", ["/api/regions/999999", "/api/zones/none", "/api/designations/none", "/api/targets/2099",
             "/api/enterprises/none", "/api/transport-nodes/none", "/api/scenarios/none"],
)
def test_missing_details_are_404(ro_client: TestClient, path: str) -> None:
    r = ro_client.get(path)
    assert r.status_code == 404
    assert r.json()["errors"] == []


def test_segment_lists_are_arrays(ro_client: TestClient) -> None:
    seg = ro_client.get("/api/chains/auto/segments").json()["items"][0]
    assert seg["gbt4754"] == ["3391:E", "3392:E"]
    assert seg["keywords_include"] == ["铸造", "压铸"]
    assert ro_client.get("/api/chains/steel/segments").status_code == 422


def test_status_counts_match_hand_computation(ro_client: TestClient) -> None:
    body = ro_client.get("/api/status").json()
    by_year = {r["year"]: r for r in body["by_year"]}
    # 2020: b1-a-b names 2 parks, b1-unknown 2 unnamed -> 4 of target 10, gap 6
    assert by_year[2020] | {} == by_year[2020]
    assert (by_year[2020]["designated_parks"], by_year[2020]["named_parks"], by_year[2020]["unnamed_parks"]) == (4, 2, 2)
    assert (by_year[2020]["target_parks"], by_year[2020]["gap_parks"], by_year[2020]["met"]) == (10, 6, False)
    assert by_year[2025]["gap_parks"] == 16
    prov = {r["province"]: r["designated_parks"] for r in body["by_province"]}
    assert prov == {"SC": 1, "CQ": 1, "?": 2}
    zones = {r["zone_id"]: (r["parks"], r["designated_parks"]) for r in body["by_zone"]}
    assert zones == {"core-cq": (2, 1), "test-platform": (3, 2)}


def test_map_figure_has_every_district_and_layers(ro_client: TestClient) -> None:
    fig = ro_client.get("/api/map/figure?indicator=designated").json()
    by_meta = {tr.get("meta"): tr for tr in fig["data"]}
    districts = by_meta["districts"]
    assert len(districts["locations"]) == 221
    z = dict(zip(districts["locations"], districts["z"], strict=True))
    assert z["510112"] == 1 and z["500112"] == 1 and sum(z.values()) == 2
    assert sorted(by_meta["parks"]["customdata"]) == ["cq-b", "cq-c", "sc-a"]
    assert len([v for v in by_meta["pairs"]["lon"] if v is not None]) == 2  # one cross-border segment
    assert fig["layout"]["geo"]["visible"] is False and fig["layout"]["geo"]["fitbounds"] == "locations"
    assert ro_client.get("/api/map/figure?indicator=bogus").status_code == 422


# --- writes, validation, audit ----------------------------------------------------------------

def test_create_update_delete_park_with_audit(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    office = headers["programme_office"]
    r = client.post("/api/parks", json=NEW_PARK, headers=office)
    assert r.status_code == 201, r.text
    assert r.json()["focus_chains"] == ["moto"]
    r = client.patch("/api/parks/sc-new", json={"area_km2": 12.5, "focus_chains": ["auto", "moto"]}, headers=office)
    assert r.status_code == 200, r.text
    assert r.json()["area_km2"] == 12.5 and r.json()["focus_chains"] == ["auto", "moto"]
    assert r.json()["name_en"] == "New Park"  # untouched fields stay
    assert client.delete("/api/parks/sc-new", headers=office).status_code == 204
    assert client.get("/api/parks/sc-new").status_code == 404
    audit = client.get("/api/audit?entity=parks&entity_id=sc-new", headers=office).json()
    actions = [(a["action"], a["actor"]) for a in audit["items"]]
    assert actions == [("delete", "office"), ("update", "office"), ("create", "office")]
    update = audit["items"][1]
    assert update["before"]["area_km2"] is None and update["after"]["area_km2"] == 12.5
    assert update["before"]["focus_chains"] == ["moto"] and update["after"]["focus_chains"] == ["auto", "moto"]
    assert audit["items"][2]["before"] is None and audit["items"][0]["after"] is None
    assert all(a["at"] for a in audit["items"])


@pytest.mark.parametrize(
    ("change", "field", "reason_part"),
    [
        ({"lon": 200}, "lon", "less than or equal to 111"),
        ({"province": "XX"}, "province", "'SC' or 'CQ'"),
        ({"park_id": "Bad Id"}, "park_id", "pattern"),
        ({"adcode": "510199"}, "adcode", "not in the database"),
        ({"park_id": "sc-a"}, "park_id", "already in the database"),
        ({"lon": 98.0, "lat": 34.9}, "lon", "outside Sichuan and Chongqing"),
        ({"focus_chains": ["steel"]}, "focus_chains.0", "'auto'"),
        ({"name_zh": None}, "name_zh", ""),
        ({"unknown_column": 1}, "unknown_column", "Extra inputs"),
    ],
)
def test_create_park_validation_names_field_and_reason(
    client: TestClient, headers: dict[str, dict[str, str]], change: dict[str, Any], field: str, reason_part: str
) -> None:
    body = {**NEW_PARK, **change}
    if change.get("name_zh", 1) is None:
        del body["name_zh"]
    r = client.post("/api/parks", json=body, headers=headers["programme_office"])
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    assert field in [e["field"] for e in errors], errors
    assert any(reason_part in e["reason"] for e in errors if e["field"] == field), errors
    assert client.get("/api/parks/sc-new").status_code == 404  # nothing written
    assert client.get("/api/audit", headers=headers["programme_office"]).json()["total"] == 0


def test_zone_and_designation_writes(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    office = headers["programme_office"]
    zone = {"zone_id": "z-new", "name_zh": "新片区", "name_en": "New zone", "kind": "platform",
            "members": ["510112", "999999"], "confidence": "synthetic"}
    r = client.post("/api/zones", json=zone, headers=office)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "members"
    zone["members"] = ["510112"]
    assert client.post("/api/zones", json=zone, headers=office).status_code == 201
    assert client.patch("/api/zones/z-new", json={"members": ["500112", "510112"]}, headers=office).json()[
        "members"] == ["500112", "510112"]
    assert client.delete("/api/zones/z-new", headers=office).status_code == 204

    r = client.patch("/api/designations/b1-a-b", json={"revoked_year": 2019}, headers=office)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "revoked_year"
    r = client.patch("/api/designations/b1-a-b", json={"revoked_year": 2024}, headers=office)
    assert r.status_code == 200 and r.json()["revoked_year"] == 2024
    by_year = {x["year"]: x for x in client.get("/api/status").json()["by_year"]}
    assert by_year[2022]["named_parks"] == 2 and by_year[2025]["named_parks"] == 0
    des = {"designation_id": "b2-x", "batch": 2, "year": 2022, "members": ["cq-c", "sc-a"], "unknown_members": 0,
           "mode": "industry_cobuild", "confidence": "synthetic"}
    assert client.post("/api/designations", json=des, headers=office).status_code == 201
    r = client.delete("/api/parks/cq-c", headers=office)
    assert r.status_code == 409 and "refused by the database" in r.json()["errors"][0]["reason"]
    assert client.get("/api/parks/cq-c").status_code == 200


def test_target_writes(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    office = headers["programme_office"]
    assert client.post("/api/targets", json={"year": 2030, "cumulative_parks": 30, "confidence": "synthetic"},
                       headers=office).status_code == 201
    r = client.post("/api/targets", json={"year": 2030, "cumulative_parks": 30, "confidence": "synthetic"},
                    headers=office)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "year"
    r = client.patch("/api/targets/2030", json={"cumulative_parks": -1}, headers=office)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "cumulative_parks"
    assert client.patch("/api/targets/2030", json={"cumulative_parks": 31}, headers=office).json()[
        "cumulative_parks"] == 31
    assert client.delete("/api/targets/2030", headers=office).status_code == 204


def test_generated_models_follow_the_table_schemas() -> None:
    for kind, (out, page, create, update) in GENERATED.items():
        schema = t.schema(kind)
        assert set(schema.names) <= set(out.model_fields), kind
        assert set(create.model_fields) == set(schema.names), kind
        required = {n for n, f in create.model_fields.items() if f.is_required()}
        assert required == {c.name for c in schema.columns if c.required}, kind
        assert not (set(update.model_fields) & set(schema.key)), kind
        assert set(page.model_fields) == {"items", "total", "page", "page_size"}


def test_openapi_lists_every_route(ro_client: TestClient) -> None:
    spec = ro_client.get("/openapi.json").json()
    paths = set(spec["paths"])
    for p in ("/api/parks", "/api/parks/{park_id}", "/api/zones", "/api/regions", "/api/designations",
              "/api/targets", "/api/status", "/api/users", "/api/auth/token", "/api/audit", "/api/map/figure",
              "/api/chains", "/api/transport-nodes", "/api/enterprises", "/api/scenarios"):
        assert p in paths
    assert spec["paths"]["/api/parks"]["get"]["parameters"]
    sizes = [p for p in spec["paths"]["/api/parks"]["get"]["parameters"] if p["name"] == "page_size"]
    assert sizes[0]["schema"]["maximum"] == 200
    docs = ro_client.get("/docs").text
    assert "cdn" not in docs.lower() and "/static-offline-docs/swagger-ui-bundle.js" in docs
