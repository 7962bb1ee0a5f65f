"""SME registry, needs and matches in the API and pages: role rules, CSRF, posting a need."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from parklink.store.db import session_scope
from parklink.store.io import coerce_frame, write_frame
from parklink.tables import SCHEMAS

from .conftest import PASSWORD, token_headers


def _frame(kind: str, rows: list[dict[str, object]]) -> pd.DataFrame:
    cols = SCHEMAS[kind].names
    return coerce_frame(pd.DataFrame([{c: r.get(c) for c in cols} for r in rows]), kind)


def add_sme_rows(url: str) -> None:
    """Profiles of E1 (park cq-b) and E2 (park sc-a), one offer, needs of E1 and of park sc-a."""
    base = {"synthetic": True, "confidence": "synthetic"}
    frames = {
        "sme_profiles": _frame("sme_profiles", [
            {**base, "enterprise_id": "E2", "name_zh": "铸件二厂", "name_en": "Castings Two", "park_id": "sc-a",
             "adcode": "510112", "industry": "industry", "employees": 80, "revenue_cny_m": 50.0, "tier": "specialised",
             "tier_year": 2024, "segments": "auto.castings", "processes": "casting", "products": "铝合金压铸件",
             "certifications": "iso9001;iatf16949", "capacity": 20000.0, "capacity_unit": "pieces"},
            {**base, "enterprise_id": "E1", "name_zh": "整车一厂", "name_en": "Vehicles One", "park_id": "cq-b",
             "adcode": "500112", "industry": "industry", "employees": 900, "revenue_cny_m": 300.0, "tier": "none",
             "segments": "auto.vehicles"}]),
        "service_providers": _frame("service_providers", [
            {**base, "provider_id": "p1", "name_zh": "检测中心", "name_en": "Test centre", "kind": "technical",
             "park_id": "sc-a", "adcode": "510112"}]),
        "service_offers": _frame("service_offers", [
            {**base, "offer_id": "o1", "provider_id": "p1", "service": "testing", "title_zh": "铸件检测",
             "title_en": "casting testing"}]),
        "supply_demand": _frame("supply_demand", [
            {**base, "item_id": "need-e1", "direction": "need", "poster": "enterprise", "enterprise_id": "E1",
             "park_id": "cq-b", "title_zh": "采购压铸件", "title_en": "buying die castings", "part": "压铸件",
             "segment_id": "auto.castings", "certifications": "iso9001", "quantity": 10000.0,
             "quantity_unit": "pieces", "posted": "2025-01-02", "status": "open"},
            {**base, "item_id": "need-park", "direction": "need", "poster": "park", "park_id": "sc-a",
             "title_zh": "园区招引铸造配套", "title_en": "park seeks casting suppliers", "segment_id": "auto.castings",
             "posted": "2025-01-02", "status": "open"}]),
    }
    with session_scope(url) as session:
        for kind in ("sme_profiles", "service_providers", "service_offers", "supply_demand"):
            write_frame(session, kind, frames[kind])


@pytest.fixture
def sme_client(web_url: str) -> Iterator[TestClient]:
    from parklink.web import create_app

    add_sme_rows(web_url)
    with TestClient(create_app(web_url)) as c:
        yield c


def _h(client: TestClient) -> dict[str, dict[str, str]]:
    out = {r: token_headers(client, n) for r, n in
           (("office", "office"), ("manager", "manager"), ("firm", "firm"), ("public", "citizen"))}
    out["anonymous"] = {}
    return out


def test_need_matches_by_role(sme_client: TestClient) -> None:
    h = _h(sme_client)
    # need-e1 is E1's (the firm user's) need in park cq-b; the manager manages sc-a
    expect = {"office": 200, "firm": 200, "manager": 403, "public": 403, "anonymous": 401}
    for who, status in expect.items():
        r = sme_client.get("/api/needs/need-e1/matches", headers=h[who])
        assert r.status_code == status, (who, r.text)
    body = sme_client.get("/api/needs/need-e1/matches", headers=h["office"]).json()
    top = body["matches"][0]
    assert top["candidate_id"] == "E2"  # the only other enterprise; E1 never matches itself
    assert top["segment"] == 1.0 and top["certification"] == 1.0 and top["capacity"] == 1.0
    assert "铸件" in top["reason_zh"] or "环节" in top["reason_zh"]
    assert "chain segment match" in top["reason_en"]
    # need ↔ offer has no recorded outcomes to learn from, and says so
    assert body["learned"] is False and body["ranking"] == "documented_weights"
    assert any("not learned: no recorded outcomes" in n for n in body["notes"])
    # the park's need: the park manager of sc-a sees it, the firm user does not
    assert sme_client.get("/api/needs/need-park/matches", headers=h["manager"]).status_code == 200
    assert sme_client.get("/api/needs/need-park/matches", headers=h["firm"]).status_code == 403


def test_enterprise_matches_by_role(sme_client: TestClient) -> None:
    h = _h(sme_client)
    # E2 lies in sc-a (the manager's park); E1 is the firm user's own enterprise
    assert sme_client.get("/api/sme/E2/matches", headers=h["manager"]).status_code == 200
    assert sme_client.get("/api/sme/E2/matches", headers=h["firm"]).status_code == 403
    assert sme_client.get("/api/sme/E1/matches", headers=h["firm"]).status_code == 200
    assert sme_client.get("/api/sme/E1/matches", headers=h["manager"]).status_code == 403
    assert sme_client.get("/api/sme/E1/matches").status_code == 401
    body = sme_client.get("/api/sme/E2/matches", headers=h["office"]).json()
    kinds = [r["kind"] for r in body["results"]]
    assert kinds == ["leader_supplier", "sme_service"]
    assert body["results"][1]["learned"] is False  # SME ↔ service: documented weights
    services = body["results"][1]["matches"]
    assert [m["candidate_id"] for m in services] == ["o1"]


def test_post_need_roles_and_csrf(sme_client: TestClient) -> None:
    h = _h(sme_client)
    need = {"item_id": "n-new", "poster": "enterprise", "enterprise_id": "E1", "title_zh": "采购铸件",
            "title_en": "buying castings", "segment_id": "auto.castings"}
    assert sme_client.post("/api/needs", json=need).status_code == 401
    assert sme_client.post("/api/needs", json={**need, "enterprise_id": "E2"}, headers=h["firm"]).status_code == 403
    assert sme_client.post("/api/needs", json=need, headers=h["public"]).status_code == 403
    r = sme_client.post("/api/needs", json=need, headers=h["firm"])
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "open" and r.json()["confidence"] == "unconfirmed"
    # the row check: an enterprise need without its enterprise id is refused with the column named
    bad = {**need, "item_id": "n-bad", "enterprise_id": None}
    r = sme_client.post("/api/needs", json=bad, headers=h["office"])
    assert r.status_code in (409, 422) and "enterprise_id" in r.text
    # a cookie session without the CSRF token is refused
    login = sme_client.get("/login")
    token = login.text.split('name="csrf" value="')[1].split('"')[0]
    sme_client.post("/login", data={"username": "firm", "password": PASSWORD, "csrf": token})
    assert sme_client.post("/api/needs", json={**need, "item_id": "n-cookie"}).status_code == 403


def test_sme_pages(sme_client: TestClient) -> None:
    page = sme_client.get("/sme?tier=specialised")
    assert page.status_code == 200
    assert "Castings Two" in page.text and "Vehicles One" not in page.text
    assert "合成" in page.text
    assert sme_client.get("/needs/need-e1").status_code == 401
    login = sme_client.get("/login")
    token = login.text.split('name="csrf" value="')[1].split('"')[0]
    sme_client.post("/login", data={"username": "firm", "password": PASSWORD, "csrf": token})
    page = sme_client.get("/needs/need-e1")
    # the registry's name of E2 (Beta Castings) is shown, with the synthetic label
    assert page.status_code == 200 and "Beta Castings" in page.text and "chain segment match" in page.text
    # post a need from the page form, land on its matches
    form = sme_client.get("/needs/new")
    csrf = form.text.split('name="csrf" value="')[1].split('"')[0]
    r = sme_client.post("/needs/new", data={"csrf": csrf, "item_id": "n-form", "title_zh": "采购压铸件",
                                            "title_en": "die castings", "segment_id": "auto.castings",
                                            "certification": ["iso9001"]}, follow_redirects=True)
    assert r.status_code == 200 and "Beta Castings" in r.text and "n-form" in r.url.path
    assert sme_client.get("/needs/need-park").status_code == 403
