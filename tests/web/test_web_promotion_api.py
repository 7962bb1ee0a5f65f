"""Promotion API (issue 14): visibility per role, KPIs against hand-computed values, the
stage log through the API, optimistic locking (412 / 409), gap → lead with its provenance,
CSRF on cookie writes, 401 before body validation."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .promotion_seed import AS_OF, MODEL, seed_ledger

Q = f"as_of={AS_OF.isoformat()}"


@pytest.fixture
def pclient(web_url: str) -> Any:
    from parklink.web import create_app

    seed_ledger(web_url)
    with TestClient(create_app(web_url)) as c:
        yield c


@pytest.fixture
def ph(pclient: TestClient) -> dict[str, dict[str, str]]:
    from .conftest import USERS, token_headers

    out = {role: token_headers(pclient, name) for role, (name, _) in USERS.items()}
    out["anonymous"] = {}
    return out


def _ids(c: TestClient, h: dict[str, str]) -> dict[str, bool]:
    body = c.get("/api/projects", headers=h).json()
    return {p["project_id"]: p["redacted"] for p in body["items"]}


def test_who_sees_which_project(pclient: TestClient, ph: dict[str, dict[str, str]]) -> None:
    # office: everything in full; manager (sc-a): own P1, P4 in full, P3 signed but not theirs -> redacted,
    # P2 unsigned lead of another park -> hidden; enterprise E1: its own P1 in full; public: signed only,
    # investor shown only for the published P1
    assert _ids(pclient, ph["programme_office"]) == {"P1": False, "P2": False, "P3": False, "P4": False}
    assert _ids(pclient, ph["park_manager"]) == {"P1": False, "P3": True, "P4": False}
    assert _ids(pclient, ph["enterprise"]) == {"P1": False, "P3": True, "P4": True}
    for role in ("public", "anonymous"):
        assert _ids(pclient, ph[role]) == {"P1": False, "P3": True, "P4": True}
        assert pclient.get("/api/projects/P2", headers=ph[role]).status_code == 404
        p3 = pclient.get("/api/projects/P3", headers=ph[role]).json()
        assert p3["project"]["investor_name"] is None and p3["project"]["name_zh"] is None
        assert all(e["recorded_by"] is None and e["source"] is None for e in p3["timeline"])
        assert p3["funds"] == []
    body = pclient.get("/api/projects").json()
    assert body["hidden"] == 1 and "Hidden Investor" not in str(body) and "Gamma" not in str(body)
    assert "Gamma Capital" in str(pclient.get("/api/projects/P3", headers=ph["programme_office"]).json())


def test_kpis_match_the_hand_computed_ledger(pclient: TestClient) -> None:
    body = pclient.get(f"/api/kpi?by=park&{Q}").json()
    rows = {r["park_id"]: r for r in body["rows"]}
    # sc-a: P1 signed (not started, planned 2025-06-01, 30 M in place), P4 signed then terminated;
    # cq-b: P2 lead, P3 started. Performance (履约) = signed with funds in place or started / signed.
    assert rows["sc-a"]["n_projects"] == 2 and rows["sc-a"]["n_signed"] == 2
    assert rows["sc-a"]["performance_rate"] == 0.5 and rows["sc-a"]["start_rate"] == 0.0
    assert rows["sc-a"]["funds_rate"] == pytest.approx(30 / 120)
    assert rows["cq-b"]["n_projects"] == 2 and rows["cq-b"]["n_signed"] == 1
    assert rows["cq-b"]["performance_rate"] == 1.0 and rows["cq-b"]["funds_rate"] == 1.0
    assert rows["cq-b"]["days_signed_to_started"] == (153)  # 2025-04-01 -> 2025-09-01
    s = body["summary"]
    assert (s["n_projects"], s["n_signed"]) == (4, 3)
    assert s["performance_rate"] == pytest.approx(2 / 3) and s["start_rate"] == pytest.approx(1 / 2)
    assert s["funds_rate"] == pytest.approx(80 / 170) and s["production_rate"] == 0.0
    assert body["year_elapsed"] == pytest.approx(181 / 365) and body["synthetic"] is True
    by_event = {r["event_id"]: r for r in pclient.get(f"/api/kpi?by=event&{Q}").json()["rows"]}
    assert by_event["EV1"]["n_projects"] == 1 and by_event["EV1"]["performance_rate"] == 1.0
    year = pclient.get(f"/api/kpi?by=in_park&year=2026&{Q}").json()
    assert year["summary"]["n_projects"] == 1  # only P4 was signed in 2026
    assert {r["in_park"] for r in year["rows"]} == {True}  # sc-a is in designation b1-a-b
    assert pclient.get("/api/kpi?by=nothing").status_code == 422
    real = pclient.get(f"/api/kpi?by=chain&data=real&{Q}").json()
    assert (real["summary"]["n_projects"], real["summary"]["n_signed"], real["synthetic"]) == (3, 2, False)
    syn = pclient.get(f"/api/kpi?by=chain&data=synthetic&{Q}").json()
    assert (syn["summary"]["n_projects"], syn["synthetic"]) == (1, True)  # P4 alone


def test_alerts_counts_for_all_projects_for_those_who_see_them(pclient: TestClient,
                                                               ph: dict[str, dict[str, str]]) -> None:
    office = pclient.get(f"/api/kpi/alerts?{Q}", headers=ph["programme_office"]).json()
    assert office["counts"] == {"start_overdue": 1, "production_overdue": 0, "stalled": 3}
    assert {(a["project_id"], a["alert"]) for a in office["items"]} == {
        ("P1", "start_overdue"), ("P1", "stalled"), ("P2", "stalled"), ("P3", "stalled")}
    public = pclient.get(f"/api/kpi/alerts?{Q}").json()
    assert public["counts"] == office["counts"]
    assert "P2" not in {a["project_id"] for a in public["items"]}
    assert all(a["name_zh"] is None for a in public["items"] if a["project_id"] == "P3")


def test_advance_through_the_log_rules(pclient: TestClient, ph: dict[str, dict[str, str]]) -> None:
    office = ph["programme_office"]
    r = pclient.post("/api/projects/P2/events", json={"stage": "negotiating", "on_date": "2025-01-01"}, headers=office)
    assert r.status_code == 422 and "before the last event" in r.text  # dates never go back
    r = pclient.post("/api/projects/P2/events", json={"stage": "terminated", "on_date": "2025-06-01"}, headers=office)
    assert r.status_code == 422 and "reason" in r.text
    r = pclient.post("/api/projects/P2/events", json={"stage": "negotiating", "on_date": "2025-06-01",
                                                      "source": "meeting minutes"}, headers=office)
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "negotiating" and r.headers["etag"] == '"2"'
    assert [e["stage"] for e in r.json()["timeline"]] == ["lead", "negotiating"]
    r = pclient.post("/api/projects/P2/events", json={"stage": "lead", "on_date": "2025-07-01"}, headers=office)
    assert r.status_code == 422 and "does not advance" in r.text


def test_if_match_gives_412_and_concurrent_advances_keep_one(pclient: TestClient,
                                                             ph: dict[str, dict[str, str]]) -> None:
    office = ph["programme_office"]
    version = pclient.get("/api/projects/P2", headers=office).headers["etag"]
    assert pclient.post("/api/projects/P2/events", json={"stage": "negotiating", "on_date": "2025-06-01"},
                        headers={**office, "If-Match": version}).status_code == 200
    r = pclient.post("/api/projects/P2/events", json={"stage": "signed", "on_date": "2025-07-01"},
                     headers={**office, "If-Match": version})
    assert r.status_code == 412, r.text
    r = pclient.patch("/api/projects/P2", json={"jobs": 10}, headers={**office, "If-Match": version})
    assert r.status_code == 412
    # two officers advance the same version at the same time: one event is kept, the other is refused
    version = pclient.get("/api/projects/P2", headers=office).headers["etag"]
    codes: list[int] = []
    barrier = threading.Barrier(2)

    def advance(stage: str, on: str) -> None:
        barrier.wait()
        codes.append(pclient.post("/api/projects/P2/events", json={"stage": stage, "on_date": on},
                                  headers={**office, "If-Match": version}).status_code)

    threads = [threading.Thread(target=advance, args=a) for a in (("signed", "2025-08-01"), ("terminated", "2025-08-01"))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(codes)[0] == 200 and sorted(codes)[1] in (409, 412, 422), codes
    timeline = pclient.get("/api/projects/P2", headers=office).json()["timeline"]
    assert len(timeline) == 3  # lead, negotiating and exactly one of the two


def test_lead_from_target_keeps_the_recommendation_and_counts_as_conversion(
        pclient: TestClient, ph: dict[str, dict[str, str]]) -> None:
    manager = ph["park_manager"]
    plan = pclient.get("/api/promotion-plans/PL-A", headers=manager).json()
    assert [t["target_id"] for t in plan["targets"]] == ["PL-A:auto.castings:E2", "PL-A:auto.vehicles:E1"]
    assert plan["conversion"][0]["leads"] == 0
    r = pclient.post("/api/promotion-plans/PL-A/targets/PL-A:auto.castings:E2/lead", json={}, headers=manager)
    assert r.status_code == 201, r.text
    p = r.json()["project"]
    assert (p["rec_rank"], p["rec_score"], p["rec_model_version"], p["park_id"]) == (1, 0.91, MODEL, "sc-a")
    assert p["rec_reason"] == "缺口环节 gap: castings" and r.json()["stage"] == "lead"
    conv = pclient.get("/api/promotion-plans/PL-A").json()["conversion"][0]
    assert (conv["model_version"], conv["recommended"], conv["leads"], conv["lead_rate"]) == (MODEL, 2, 1, 0.5)
    again = pclient.post("/api/promotion-plans/PL-A/targets/PL-A:auto.castings:E2/lead", json={}, headers=manager)
    assert again.status_code == 422 and "already" in again.text
    # the public sees goals and conversions, never the firm list
    assert pclient.get("/api/promotion-plans/PL-A").json()["targets"] is None
    r = pclient.post("/api/promotion-plans/PL-A/targets/PL-B:auto.castings:E2/lead", json={}, headers=manager)
    assert r.status_code == 404


def test_cookie_writes_need_csrf_and_anonymous_writes_are_401_before_validation(
        web_url: str, pclient: TestClient) -> None:
    from .test_web_security import _app_client, page_login

    for path in ("/api/projects", "/api/projects/P1/events", "/api/events", "/api/promotion-plans",
                 "/api/promotion-plans/PL-A/targets/x/lead"):
        for body in (b"{", b'{"x": 1}'):
            r = pclient.post(path, content=body, headers={"content-type": "application/json"})
            assert r.status_code == 401, (path, r.status_code)
    with _app_client(web_url) as c:
        token = page_login(c, "office")
        body = {"stage": "negotiating", "on_date": "2025-06-01"}
        assert c.post("/api/projects/P2/events", json=body).status_code == 403
        assert c.post("/api/projects/P2/events", json=body, headers={"X-CSRF-Token": token}).status_code == 200


def test_openapi_documents_the_write_errors(pclient: TestClient) -> None:
    spec = pclient.get("/openapi.json").json()["paths"]
    for path, method in (("/api/projects", "post"), ("/api/projects/{project_id}", "patch"),
                         ("/api/projects/{project_id}/events", "post"), ("/api/events", "post"),
                         ("/api/promotion-plans/{plan_id}/targets/{target_id}/lead", "post")):
        codes = set(spec[path][method]["responses"])
        assert {"400", "401", "403", "404", "409", "412", "422"} <= codes, (path, codes)


def test_promotion_api_on_both_databases(db_url: str) -> None:
    """Visibility, KPIs, advance with If-Match (412) and gap -> lead on SQLite and PostgreSQL."""
    from parklink.web import create_app

    from .conftest import load_registry, token_headers

    load_registry(db_url)
    seed_ledger(db_url)
    with TestClient(create_app(db_url)) as c:
        office, manager = token_headers(c, "office"), token_headers(c, "manager")
        assert _ids(c, {}) == {"P1": False, "P3": True, "P4": True}
        s = c.get(f"/api/kpi?by=designation&{Q}").json()["summary"]
        assert (s["n_projects"], s["n_signed"]) == (4, 3) and s["funds_rate"] == pytest.approx(80 / 170)
        etag = c.get("/api/projects/P2", headers=office).headers["etag"]
        body = {"stage": "negotiating", "on_date": "2025-06-01"}
        assert c.post("/api/projects/P2/events", json=body, headers={**office, "If-Match": etag}).status_code == 200
        assert c.post("/api/projects/P2/events", json={**body, "stage": "signed"},
                      headers={**office, "If-Match": etag}).status_code == 412
        r = c.post("/api/promotion-plans/PL-A/targets/PL-A:auto.vehicles:E1/lead", json={}, headers=manager)
        assert r.status_code == 201 and r.json()["project"]["rec_rank"] == 2
        assert c.get("/api/kpi?by=park").json()["summary"]["n_projects"] == 5  # as of today: the new lead counts
        # funds in place (dated, audited, version-checked) and plan goals, on both databases
        etag = c.get("/api/projects/P3", headers=office).headers["etag"]
        r = c.post("/api/projects/P3/funds", json={"on_date": "2026-01-15", "amount_cny_m": 10.0},
                   headers={**office, "If-Match": etag})
        assert r.status_code == 201 and r.json()["funds_in_place_cny_m"] == pytest.approx(60.0)
        assert c.post("/api/projects/P3/funds", json={"on_date": "2026-01-16", "amount_cny_m": 1.0},
                      headers={**office, "If-Match": etag}).status_code == 412
        s = c.get(f"/api/kpi?by=designation&{Q}").json()["summary"]
        assert s["funds_rate"] == pytest.approx(90 / 170)
        r = c.patch("/api/promotion-plans/PL-A", json={"goals": [{"year": 2027, "projects": 2}]}, headers=manager)
        assert r.status_code == 200 and {g["year"] for g in r.json()["goals"]} == {2026, 2027}


def test_write_responses_and_later_reads_are_never_stale(pclient: TestClient, ph: dict[str, dict[str, str]]) -> None:
    office = ph["programme_office"]
    assert len(pclient.get("/api/promotion-plans/PL-A", headers=office).json()["targets"]) == 2  # memo filled
    before = pclient.get("/api/kpi?by=park").json()["summary"]["n_projects"]  # response cache filled
    r = pclient.post("/api/promotion-plans/PL-A/targets", json={"segment_id": "auto.vehicles", "enterprise_id": "E9"},
                     headers=office)
    assert r.status_code == 201 and len(r.json()["targets"]) == 3  # the write's own answer sees the write
    assert len(pclient.get("/api/promotion-plans/PL-A", headers=office).json()["targets"]) == 3
    assert pclient.post("/api/projects", json={"name_zh": "新项目", "investor_name": "X", "park_id": "cq-c"},
                        headers=office).status_code == 201
    assert pclient.get("/api/kpi?by=park").json()["summary"]["n_projects"] == before + 1


def test_kpi_memo_is_single_flight() -> None:
    """Concurrent misses of one key compute it once; a failed computation lets a waiter
    compute it (nothing is stored for a failure)."""
    import threading
    import time
    import uuid
    from concurrent.futures import ThreadPoolExecutor

    from parklink.web import promotion_data as pdata

    key = ("test-flight", uuid.uuid4().hex)
    calls: list[int] = []
    gate = threading.Event()

    def compute() -> str:
        calls.append(1)
        gate.wait(10)
        if len(calls) == 1:
            raise RuntimeError("first computation fails")
        return "value"

    def get() -> str:
        try:
            return str(pdata._memo(key, compute))
        except RuntimeError:
            return "failed"

    with ThreadPoolExecutor(16) as pool:
        futures = [pool.submit(get) for _ in range(16)]
        time.sleep(0.3)  # every thread is waiting on the first one's flight
        assert len(calls) == 1
        gate.set()
        results = sorted(f.result() for f in futures)
    assert results == ["failed"] + ["value"] * 15 and len(calls) == 2
    assert pdata._memo(key, compute) == "value" and len(calls) == 2  # stored
