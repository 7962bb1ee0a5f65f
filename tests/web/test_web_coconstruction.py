"""Co-construction API: public reads, per-record roles (park manager: own parks; enterprise:
own recognitions and assessments; office: everything), validation naming the column, and
the analysis endpoints."""

from __future__ import annotations

from fastapi.testclient import TestClient

BASE = "/api/coconstruction"


def test_public_reads(client: TestClient) -> None:
    r = client.get(f"{BASE}/platforms")
    assert r.status_code == 200 and [i["platform_id"] for i in r.json()["items"]] == ["pf-1"]
    assert client.get(f"{BASE}/platforms", params={"park_id": "cq-b"}).json()["total"] == 0
    one = client.get(f"{BASE}/benefit_sharing/ag-1")
    assert one.status_code == 200 and one.json()["split_pct"] == ["60", "40"] and one.headers["ETag"] == '"1"'
    assert client.get(f"{BASE}/platforms/nope").status_code == 404
    assert client.get(f"{BASE}/not_a_kind").status_code == 422


def test_anonymous_and_public_cannot_write(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    assert client.patch(f"{BASE}/platforms/pf-1", json={"name_en": "x"}).status_code == 401
    r = client.patch(f"{BASE}/platforms/pf-1", json={"name_en": "x"}, headers=headers["public"])
    assert r.status_code == 403


def test_park_manager_writes_own_park_only(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    h = headers["park_manager"]  # manages sc-a
    assert client.patch(f"{BASE}/platforms/pf-1", json={"name_en": "Design centre A"}, headers=h).status_code == 200
    assert client.get(f"{BASE}/platforms/pf-1").json()["name_en"] == "Design centre A"
    assert client.patch(f"{BASE}/parks_in_park/pip-1", json={"jobs": 1}, headers=h).status_code == 403  # cq-b
    moved = client.patch(f"{BASE}/platforms/pf-1", json={"host_park_id": "cq-b"}, headers=h)
    assert moved.status_code == 403
    assert client.patch(f"{BASE}/platforms/pf-1", json={"confidence": "confirmed"}, headers=h).status_code == 403
    assert client.patch(f"{BASE}/smart_aggregates/agg-1", json={"count": 11}, headers=h).status_code == 403
    new = {"platform_id": "pf-2", "name_zh": "乙", "name_en": "B", "kind": "pilot_base", "level": "municipal",
           "host_park_id": "sc-a"}
    r = client.post(f"{BASE}/platforms", json=new, headers=h)
    assert r.status_code == 201 and r.json()["confidence"] == "unconfirmed"
    other = client.post(f"{BASE}/platforms", json={**new, "platform_id": "pf-3", "host_park_id": "cq-b"}, headers=h)
    assert other.status_code == 403
    # the sharing rule ag-1 is placed in cq-b (not theirs)
    assert client.patch(f"{BASE}/benefit_sharing/ag-1", json={"scope": "x"}, headers=h).status_code == 403


def test_enterprise_writes_own_recognitions(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    h = headers["enterprise"]  # E1
    assert client.patch(f"{BASE}/smart_recognitions/rec-1", json={"batch": "2024-2"}, headers=h).status_code == 200
    assert client.patch(f"{BASE}/smart_recognitions/rec-1", json={"enterprise_id": "E2"},
                        headers=h).status_code == 403
    assert client.patch(f"{BASE}/platforms/pf-1", json={"name_en": "x"}, headers=h).status_code == 403
    body = {"assessment_id": "as-9", "enterprise_id": "E1", "assessed_on": "2024-06-01", "assessor": "self",
            "model_version": "gbt39116-2020", "overall_level": 2}
    assert client.post(f"{BASE}/maturity_assessments", json=body, headers=h).status_code == 201
    assert client.post(f"{BASE}/maturity_assessments", json={**body, "assessment_id": "as-10",
                                                              "enterprise_id": "E2"}, headers=h).status_code == 403


def test_office_and_validation(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    h = headers["programme_office"]
    assert client.patch(f"{BASE}/smart_aggregates/agg-1", json={"count": 11}, headers=h).status_code == 200
    bad = client.patch(f"{BASE}/maturity_assessments/as-1", json={"overall_level": 6}, headers=h)
    assert bad.status_code == 422 and "overall_level" in bad.text
    split = client.patch(f"{BASE}/benefit_sharing/ag-1", json={"split_pct": ["70", "20"]}, headers=h)
    assert split.status_code == 422 and "split_pct" in split.text
    assert client.patch(f"{BASE}/platforms/pf-1", json={"colour": "red"}, headers=h).status_code == 422
    hist = client.get(f"{BASE}/smart_aggregates/agg-1/history")
    assert hist.status_code == 200
    assert [(i["field"], i["new"]) for i in hist.json()["items"] if i["action"] == "update"] == [("count", "11")]


def test_analysis_endpoints(client: TestClient) -> None:
    card = client.get(f"{BASE}/analyses/scorecard", params={"ref_year": 2026})
    assert card.status_code == 200
    body = card.json()
    assert body["summary"]["parks"] == 1 and body["scorecard"][0]["pip_id"] == "pip-1"
    assert body["shares"][0]["promised_pct"] == 60.0 and "fingerprint" in body["summary"]
    smart = client.get(f"{BASE}/analyses/smart", params={"ref_year": 2025}).json()
    assert smart["parks"][0]["park_id"] == "cq-b" and smart["parks"][0]["intelligent_factories"] == 1


def test_registry_pages_and_park_section(client: TestClient) -> None:
    for page, text in (("parks-in-park", "甲园中园"), ("smart", "甲汽车"), ("platforms", "甲设计中心")):
        r = client.get(f"/coconstruction/{page}")
        assert r.status_code == 200 and text in r.text
        assert "合成（演示） synthetic (demo)" in r.text or "synthetic (demo)" in r.text
    assert "GB/T 39116" in client.get("/coconstruction/smart").text
    assert client.get("/coconstruction/nope").status_code == 404
    only = client.get("/coconstruction/platforms", params={"park": "cq-b"})
    assert only.status_code == 200 and "甲设计中心" not in only.text
    park = client.get("/parks/cq-b")
    assert park.status_code == 200 and "甲园中园" in park.text and 'id="cocon"' in park.text
    assert 'id="cocon"' in client.get("/parks/sc-a").text  # hosts the platform pf-1


def test_dashboard_section(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and 'id="cocon"' in r.text
    assert "总部+基地" in r.text and "甲汽车" in r.text  # mode hq_base, leader of pip-1
