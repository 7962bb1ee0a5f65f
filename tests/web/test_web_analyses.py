"""Analysis endpoints and background jobs (POST /api/analyses/*, GET /api/jobs/*).

Results are checked against the domain functions called directly on the same inputs and
against hand-derived expectations on the tiny registry (``parklink.testing.tiny_registry``:
three parks — sc-a national in Sichuan, cq-b provincial and cq-c "other" in Chongqing).
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from parklink.store import models as m
from parklink.web import jobs

from .conftest import USERS, token_headers, write_firm_rows

# A firm network on the tiny registry's template (auto.castings → auto.vehicles), 2023, kCNY:
# E1 vehicles leader in park cq-b (CQ); castings suppliers E3 in sc-a (SC), E4 in Yubei (CQ)
# and E2 outside the circle. Purchases of E1: E3 60, E4 30, E2 10.
FIRMS = [
    ("E1", "CQ", "500112", "cq-b", 106.51, 29.60, "auto", "auto.vehicles", 50000.0, True),
    ("E2", "OUT", None, None, 120.10, 30.20, "auto", "auto.castings", 12.5, False),
    ("E3", "SC", "510112", "sc-a", 104.27, 30.56, "auto", "auto.castings", 300.0, False),
    ("E4", "CQ", "500112", None, 106.55, 29.65, "auto", "auto.castings", 200.0, False),
]
TX = [("E3", "E1", 2023, 60.0), ("E4", "E1", 2023, 30.0), ("E2", "E1", 2023, 10.0), ("E3", "E1", 2022, 5.0)]
FIRM_ID_COLUMNS = {"enterprise_id", "buyer_id", "supplier_id", "firm_id", "leader_id"}


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from parklink.settings import get_settings

    root = tmp_path / "data"
    write_firm_rows(root / "firms", FIRMS, TX)
    monkeypatch.setenv("PARKLINK_DATA_DIR", str(root))
    get_settings.cache_clear()
    yield root
    get_settings.cache_clear()


@pytest.fixture
def ac(web_url: str, data_dir: Path) -> Iterator[TestClient]:
    """A client whose data directory holds the tiny firm dataset."""
    from parklink.web import create_app

    with TestClient(create_app(web_url)) as c:
        yield c


@pytest.fixture
def hdr(ac: TestClient) -> dict[str, dict[str, str]]:
    out = {role: token_headers(ac, name) for role, (name, _) in USERS.items()}
    out["anonymous"] = {}
    return out


def wait(client: TestClient, ref: dict[str, Any], headers: dict[str, str] | None = None,
         timeout: float = 30.0) -> dict[str, Any]:
    """Poll a job until it is done or failed; return its last status."""
    end = time.monotonic() + timeout
    seen: list[float] = []
    while True:
        r = client.get(ref["status_url"], headers=headers or {})
        assert r.status_code == 200, r.text
        job = r.json()
        seen.append(job["progress"])
        assert 0.0 <= job["progress"] <= 1.0
        if job["status"] in ("done", "failed"):
            assert seen == sorted(seen), "progress never goes back"
            return job
        assert time.monotonic() < end, f"job still {job['status']} after {timeout} s"
        time.sleep(0.05)


def run(client: TestClient, kind: str, body: dict[str, Any], headers: dict[str, str] | None = None
        ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Submit, wait, and read the result: (submit answer, result body)."""
    r = client.post(f"/api/analyses/{kind}", json=body, headers=headers or {})
    assert r.status_code in (200, 202), r.text
    ref = r.json()
    job = wait(client, ref, headers)
    assert job["status"] == "done", (job.get("error"), job.get("message"), job)
    res = client.get(ref["result_url"], headers=headers or {})
    assert res.status_code == 200, res.text
    return ref, res.json()["result"]


def registry_frames(url: str) -> dict[str, pd.DataFrame]:
    from parklink.inputs import read_inputs

    return dict(read_inputs(url).frames)


# ---------------------------------------------------------------------------- evaluation
def test_evaluation_matches_evaluate_parks(ac: TestClient, web_url: str) -> None:
    from parklink.evaluate import evaluate_parks

    ref, res = run(ac, "evaluation", {"method": "vikor", "weighting": "entropy", "draws": 200, "seed": 7,
                                      "travel_time": "geodesic"})
    assert ref["status_url"] == f"/api/jobs/{ref['job_id']}"
    f = registry_frames(web_url)
    direct = evaluate_parks(f["parks"], regions=f["regions"], zones=f["zones"], transport_nodes=f["transport_nodes"],
                            enterprises=f["enterprises"], method="vikor", weighting="entropy", draws=200, top_k=10,
                            seed=7).to_frame().set_index("alternative")
    got = pd.DataFrame(res["ranking"]).set_index("alternative")
    assert sorted(got["rank"]) == [1, 2, 3]  # a ranking of the three parks
    for park in direct.index:
        assert got.at[park, "rank"] == direct.at[park, "rank"]
        assert got.at[park, "score"] == pytest.approx(direct.at[park, "score"], rel=1e-9)
    assert set(got["name_en"]) == {"Park A", "Park B", "Park C"}  # bilingual names joined
    assert res["summary"]["method"] == "vikor" and res["summary"]["weighting"] == "entropy"


def test_explicit_weight_on_one_criterion_ranks_by_it(ac: TestClient) -> None:
    """All weight on park level (national 3 > provincial 2 > other 1): TOPSIS ranks by level,
    and the closeness of the national park is 1 and of the 'other' park 0."""
    _, res = run(ac, "evaluation", {"weights": {"park_level": 2.5}, "draws": 100})
    got = pd.DataFrame(res["ranking"]).set_index("alternative")
    assert list(got.sort_values("rank").index) == ["sc-a", "cq-b", "cq-c"]
    assert got.at["sc-a", "score"] == pytest.approx(1.0)
    assert got.at["cq-c", "score"] == pytest.approx(0.0)
    weights = {w["key"]: w["weight"] for w in res["weights"]}
    assert weights["park_level"] == pytest.approx(1.0)
    assert sum(weights.values()) == pytest.approx(1.0)


def test_evaluation_subset_and_province(ac: TestClient) -> None:
    _, res = run(ac, "evaluation", {"province": "CQ", "draws": 100})
    assert {r["alternative"] for r in res["ranking"]} == {"cq-b", "cq-c"}
    r = ac.post("/api/analyses/evaluation", json={"parks": ["sc-a"], "draws": 100})
    job = wait(ac, r.json())
    assert job["status"] == "failed" and "at least two parks" in job["error"]


def test_cache_hit_reuses_the_job_without_recomputing(ac: TestClient, hdr: dict[str, dict[str, str]],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import parklink.evaluate as ev_pkg

    calls: list[int] = []
    original = ev_pkg.evaluate_parks

    def counting(*args: Any, **kw: Any) -> Any:
        calls.append(1)
        return original(*args, **kw)

    monkeypatch.setattr(ev_pkg, "evaluate_parks", counting)
    body = {"method": "topsis", "weighting": "critic", "draws": 100}
    first, res1 = run(ac, "evaluation", body)
    assert len(calls) == 1 and first["cached"] is False
    # same request, keys in another order, by another caller: the same finished job
    again = ac.post("/api/analyses/evaluation", json={"draws": 100, "weighting": "critic", "method": "topsis"},
                    headers=hdr["park_manager"])
    assert again.status_code == 200
    assert again.json()["job_id"] == first["job_id"] and again.json()["cached"] is True
    assert again.json()["status"] == "done" and len(calls) == 1
    res2 = ac.get(again.json()["result_url"]).json()["result"]
    assert res2 == res1
    # other parameters: a new job
    other = ac.post("/api/analyses/evaluation", json={**body, "seed": 1})
    assert other.status_code == 202 and other.json()["job_id"] != first["job_id"]
    wait(ac, other.json())


def test_registry_write_invalidates_the_cache(ac: TestClient, hdr: dict[str, dict[str, str]]) -> None:
    body = {"draws": 100, "weighting": "equal"}
    first, _ = run(ac, "evaluation", body)
    assert ac.post("/api/analyses/evaluation", json=body).json()["job_id"] == first["job_id"]
    r = ac.patch("/api/parks/cq-c", json={"area_km2": 30.0}, headers=hdr["programme_office"])
    assert r.status_code == 200, r.text
    second = ac.post("/api/analyses/evaluation", json=body)
    assert second.status_code == 202 and second.json()["job_id"] != first["job_id"]
    job = wait(ac, second.json())
    assert job["data_version"] > 0
    old = ac.get(first["status_url"]).json()
    assert job["data_version"] > old["data_version"]


# ---------------------------------------------------------------------------- designation
FEASIBLE = {"targets": {"2020": 2}, "min_province_share": 0.5, "area_type_min_share": {}, "require_pairing": False}


def test_designation_matches_designate_from_frames(ac: TestClient, hdr: dict[str, dict[str, str]],
                                                   web_url: str) -> None:
    """Two parks by 2020 with at least one per province (⌈0.5·2⌉ = 1 each): sc-a is the only
    Sichuan park, so it is chosen with the better-scored Chongqing park."""
    from parklink.designate import BUILTIN_SCENARIOS, designate_from_frames
    from parklink.evaluate import score_parks

    office = hdr["programme_office"]
    _, res = run(ac, "designation", {"constraints": FEASIBLE, "scoring": {"weighting": "equal", "travel_time": "geodesic"}},
                 office)
    assert res["status"] == "solved"
    chosen = [r["park_id"] for r in res["plan"] if r["designated"]]
    f = registry_frames(web_url)
    scores = score_parks(f["parks"], regions=f["regions"], zones=f["zones"], transport_nodes=f["transport_nodes"],
                         enterprises=f["enterprises"], weighting="equal")
    best_cq = max(["cq-b", "cq-c"], key=lambda p: float(scores[p]))
    assert sorted(chosen) == sorted(["sc-a", best_cq])
    sc = BUILTIN_SCENARIOS["programme"].with_(targets={2020: 2}, min_province_share=0.5, area_type_min_share={},
                                               require_pairing=False)
    direct = designate_from_frames(f["parks"], scores, zones=f["zones"], regions=f["regions"],
                                   designations=f["designations"], scenario=sc, explain=False)
    assert sorted(direct.designated) == sorted(chosen)
    assert res["summary"]["objective"] == pytest.approx(direct.objective)
    assert {r["park_id"]: r["name_zh"] for r in res["plan"]}["sc-a"] == "甲园区"


def test_infeasible_designation_names_the_conflicting_groups(ac: TestClient) -> None:
    """The programme targets (10/15/20 parks) cannot be met with three candidates: the job
    finishes with an explanation, not an error."""
    ref, res = run(ac, "designation", {})
    assert res["status"] == "infeasible"
    assert res["conflicts"], res
    assert all(" " in c["label"] for c in res["conflicts"])  # bilingual labels
    assert "infeasible" in res["message"] and "不可行" in res["message"]
    assert ac.get(ref["status_url"]).json()["public"] is True  # built-in scenario: public


def test_compare_two_scenarios_and_save(ac: TestClient, hdr: dict[str, dict[str, str]]) -> None:
    office = hdr["programme_office"]
    two_sc = {**FEASIBLE, "min_per_province": {"SC": 1}}
    ref, _ = run(ac, "designation", {"constraints": two_sc, "save_as": "two-parks", "publish": False}, office)
    saved = ac.get("/api/scenarios/two-parks", headers=office)
    assert saved.status_code == 200 and saved.json()["params"]["targets"] == {"2020": 2}
    assert ac.get("/api/scenarios/two-parks").status_code == 404  # unpublished: not for the public
    # three parks (no balance needed) vs the saved two-park scenario
    three = {**FEASIBLE, "targets": {"2020": 3}, "min_province_share": 0.0}
    _, cmp_res = run(ac, "designation", {"constraints": three, "compare_to": "two-parks"}, office)
    b = cmp_res["compare"]
    assert b["scenario"]["name"] == "two-parks" and b["status"] == "solved"
    a_sel = {r["park_id"] for r in cmp_res["plan"] if r["designated"]}
    b_sel = {r["park_id"] for r in b["plan"] if r["designated"]}
    assert a_sel == {"sc-a", "cq-b", "cq-c"} and len(b_sel) == 2
    diff = {d["park_id"]: d["change"] for d in b["differences"]}
    assert diff == {p: "only_a" for p in a_sel - b_sel}
    assert b["comparison"]["common"] == 2
    # the saved scenario's own run is private (unpublished)
    assert ac.get(ref["status_url"]).status_code == 404
    assert ac.get(ref["status_url"], headers=office).json()["public"] is False


# ---------------------------------------------------------------------------- chains and route
def test_chains_public_gets_aggregates_only(ac: TestClient, hdr: dict[str, dict[str, str]]) -> None:
    ref, res = run(ac, "chains", {"scope": "park:cq-b", "chain": "auto", "year": 2023})
    assert res["detail"] == "aggregate" and res["year"] == 2023 and res["synthetic"] is True
    assert res["scopes"][0]["scope_id"] == "park:cq-b"
    assert set(res["tables"]) == {"segments", "completeness", "lsr", "delta_lsr", "gaps", "flows"}
    for rows in res["tables"].values():
        for row in rows:
            assert not FIRM_ID_COLUMNS & set(row)
    # E1 in cq-b buys 60 from Sichuan, 30 from Chongqing, 10 from outside: the local
    # supporting rate by value is 30/100 within Chongqing and 90/100 within the circle
    lsr = pd.DataFrame(res["tables"]["lsr"])
    sel = lsr[(lsr["level"] == "scope") & (lsr["version"] == "value")].set_index("region")["lsr"]
    assert sel["own_province"] == pytest.approx(0.3)
    assert sel["circle"] == pytest.approx(0.9)
    # both template segments (castings, vehicles) have a firm in the circle; in the park only vehicles
    comp = pd.DataFrame(res["tables"]["completeness"]).set_index("chain")
    assert comp.at["auto", "n_segments"] == 2 and comp.at["auto", "n_present"] == 1
    # every role gets the same aggregate result from the cache
    for role in ("anonymous", "public", "enterprise", "park_manager", "programme_office"):
        again = ac.post("/api/analyses/chains", json={"scope": "park:cq-b", "chain": "auto", "year": 2023},
                        headers=hdr[role])
        assert again.status_code == 200 and again.json()["job_id"] == ref["job_id"], role
    # firm-level tables: the programme office only
    body = {"scope": "park:cq-b", "chain": "auto", "year": 2023, "detail": "firm"}
    for role, status in (("anonymous", 401), ("public", 403), ("enterprise", 403), ("park_manager", 403)):
        assert ac.post("/api/analyses/chains", json=body, headers=hdr[role]).status_code == status, role
    full_ref, full = run(ac, "chains", body, hdr["programme_office"])
    assert "firm_lsr" in full["tables"] and full["tables"]["firm_lsr"][0]["buyer_id"] == "E1"
    assert ac.get(full_ref["result_url"]).status_code == 404  # not public
    assert ac.get(ref["result_url"]).status_code == 200  # the aggregate one is


def test_chains_scope_and_dataset_errors(ac: TestClient, data_dir: Path) -> None:
    r = ac.post("/api/analyses/chains", json={"scope": "park:nope"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "scope"
    import shutil

    shutil.rmtree(data_dir / "firms")
    r = ac.post("/api/analyses/chains", json={"scope": "SC"})
    assert r.status_code == 404 and "firm-level dataset" in r.json()["detail"]


def test_route_matches_routing_and_unknown_route_fails_cleanly(ac: TestClient, web_url: str) -> None:
    """The route job runs on the registry's network *with its imported transport links* (the
    tiny registry imports one road link rail-cd → air-ckg, 320.5 km, which replaces the
    approximate road layer): the same route as the routing module on that network."""
    from parklink.datasets import chengyu
    from parklink.logistics.plan import network_from_frames
    from parklink.logistics.routing import route

    _, res = run(ac, "route", {"origin": "rail-cd", "destination": "air-ckg", "cargo": "container"})
    f = registry_frames(web_url)
    net = network_from_frames(regions=f["regions"], parks=f["parks"], transport_nodes=f["transport_nodes"],
                              boundaries=chengyu.boundaries(), transport_links=f["transport_links"])
    direct = route(net, "rail-cd", "air-ckg", cargo="container")
    assert {k: res["summary"][k] for k in direct.summary()} == direct.summary()
    assert res["summary"]["distance_km"] == pytest.approx(320.5)  # the imported link
    assert res["fingerprint"]["digest"] == res["summary"]["fingerprint"]["digest"]
    assert res["geojson"]["type"] == "FeatureCollection"
    r = ac.post("/api/analyses/route", json={"origin": "sc-a", "destination": "cq-b"})
    job = wait(ac, r.json())
    assert job["status"] == "failed" and "no route" in job["error"]
    assert ac.get(r.json()["result_url"]).status_code == 409
    again = ac.post("/api/analyses/route", json={"origin": "sc-a", "destination": "cq-b"})
    assert again.status_code == 200  # a user error recurs on the same data: answered from the cache
    assert again.json()["job_id"] == r.json()["job_id"] and again.json()["status"] == "failed"


# ---------------------------------------------------------------------------- roles
CUSTOM = {"constraints": FEASIBLE}
MATRIX = [
    # (what, body, {role: expected status})
    ("evaluation", {"draws": 100}, dict.fromkeys(("anonymous", "public", "enterprise", "park_manager",
                                                   "programme_office"), 202)),
    ("designation", {}, dict.fromkeys(("anonymous", "public", "enterprise", "park_manager", "programme_office"), 202)),
    ("designation", CUSTOM, {"anonymous": 401, "public": 403, "enterprise": 202, "park_manager": 202,
                             "programme_office": 202}),
    ("designation", {"scoring": {"weights": {"park_level": 1}}},
     {"anonymous": 401, "public": 403, "enterprise": 202, "park_manager": 202, "programme_office": 202}),
    ("designation", {"save_as": "x1"}, {"anonymous": 401, "public": 403, "enterprise": 403, "park_manager": 403,
                                        "programme_office": 202}),
    # chains (aggregate for all, firm-level tables for the office): test_chains_public_gets_aggregates_only
    ("route", {"origin": "cq-b", "destination": "cq-c"}, dict.fromkeys(("anonymous", "public", "enterprise",
                                                                        "park_manager", "programme_office"), 202)),
]


@pytest.mark.parametrize(("kind", "body", "expected"), MATRIX, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(MATRIX)])
def test_role_matrix(ac: TestClient, hdr: dict[str, dict[str, str]], kind: str, body: dict[str, Any],
                     expected: dict[str, int]) -> None:
    submitted: list[dict[str, Any]] = []
    for role, status in expected.items():
        r = ac.post(f"/api/analyses/{kind}", json=body, headers=hdr[role])
        got = 202 if r.status_code == 200 else r.status_code  # a cached answer counts as allowed
        assert got == status, (role, r.status_code, r.text)
        if r.status_code in (200, 202):
            submitted.append(r.json())
    for ref in submitted:
        wait(ac, ref, hdr["programme_office"])


def test_job_visibility(ac: TestClient, hdr: dict[str, dict[str, str]]) -> None:
    mgr = ac.post("/api/analyses/designation", json=CUSTOM, headers=hdr["park_manager"]).json()
    wait(ac, mgr, hdr["park_manager"])
    for role, status in (("anonymous", 404), ("public", 404), ("enterprise", 404), ("park_manager", 200),
                         ("programme_office", 200)):
        assert ac.get(mgr["status_url"], headers=hdr[role]).status_code == status, role
        assert ac.get(mgr["result_url"], headers=hdr[role]).status_code == status, role
    pub = ac.post("/api/analyses/designation", json={}, headers=hdr["programme_office"]).json()
    wait(ac, pub, hdr["programme_office"])
    assert ac.get(pub["result_url"]).status_code == 200  # built-in scenario as is: public
    assert ac.get("/api/jobs/" + "0" * 32).status_code == 404
    assert ac.get("/api/jobs/not-a-job").status_code == 422


def test_unpublished_scenario_stays_private(ac: TestClient, hdr: dict[str, dict[str, str]]) -> None:
    office = hdr["programme_office"]
    r = ac.post("/api/scenarios", json={"name": "draft", "kind": "designation", "params": FEASIBLE,
                                        "published": False}, headers=office)
    assert r.status_code == 201, r.text
    refused = ac.post("/api/analyses/designation", json={"scenario": "draft"}, headers=hdr["public"])
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "scenario"
    ref, res = run(ac, "designation", {"scenario": "draft"}, office)
    assert res["status"] == "solved"
    assert ac.get(ref["result_url"]).status_code == 404
    # published: the public may run it and read the (shared) result ...
    assert ac.patch("/api/scenarios/draft", json={"published": True}, headers=office).status_code == 200
    pub_ref, _ = run(ac, "designation", {"scenario": "draft"}, hdr["public"])
    assert ac.get(pub_ref["result_url"]).status_code == 200
    # ... until it is unpublished again
    assert ac.patch("/api/scenarios/draft", json={"published": False}, headers=office).status_code == 200
    assert ac.get(pub_ref["result_url"]).status_code == 404


def test_cookie_calls_need_the_csrf_header(ac: TestClient, hdr: dict[str, dict[str, str]]) -> None:
    from parklink.web.deps import CSRF_COOKIE, SESSION_COOKIE

    state = ac.app.state.web  # type: ignore[attr-defined]
    with state.sessions() as s:
        from sqlalchemy import select

        user = s.scalar(select(m.User).where(m.User.username == "office"))
        assert user is not None
        from parklink.web.accounts import open_session

        cookie = open_session(s, state.signer, user, "session", ttl_s=600)
        s.commit()
    claims = state.signer.verify(cookie, "session")
    assert claims is not None
    csrf = state.signer.new_csrf(claims.sid)  # bound to the session
    ac.cookies.set(SESSION_COOKIE, cookie)
    ac.cookies.set(CSRF_COOKIE, csrf)
    try:
        assert ac.post("/api/analyses/evaluation", json={"draws": 100}).status_code == 403
        ok = ac.post("/api/analyses/evaluation", json={"draws": 100}, headers={"X-CSRF-Token": csrf})
        assert ok.status_code == 202
        wait(ac, ok.json())
    finally:
        ac.cookies.clear()


# ---------------------------------------------------------------------------- validation
@pytest.mark.parametrize(("kind", "body", "field", "reason"), [
    ("evaluation", {"draws": 5}, "draws", "greater than or equal to 100"),
    ("evaluation", {"method": "electre"}, "method", "topsis"),
    ("evaluation", {"weights": {"no_such": 1}}, "weights.no_such", "unknown criterion"),
    ("evaluation", {"weights": {"park_level": 0}}, "weights", "positive"),
    ("evaluation", {"parks": ["zz"]}, "parks", "unknown park"),
    ("evaluation", {"colour": "red"}, "colour", "Extra inputs"),
    ("designation", {"constraints": {"forced_in": ["zz"]}}, "constraints.forced_in", "unknown park"),
    ("designation", {"constraints": {"targets": {"2020": 5, "2022": 3}}}, "constraints.targets", "decrease"),
    ("designation", {"constraints": {"min_province_share": 0.9}}, "constraints.min_province_share", "0.5"),
    ("designation", {"scenario": "nope"}, "scenario", "unknown scenario"),
    ("designation", {"compare_to": "nope"}, "compare_to", "unknown scenario"),
    ("chains", {"scope": "SC", "chain": "steel"}, "chain", "auto"),
    ("route", {"origin": "", "destination": "x"}, "origin", "at least 1"),
])
def test_validation_errors_name_field_and_reason(ro_client: TestClient, kind: str, body: dict[str, Any], field: str,
                                                 reason: str) -> None:
    r = ro_client.post(f"/api/analyses/{kind}", json=body, headers=token_headers(ro_client, "office"))
    assert r.status_code == 422, r.text
    errors = r.json()["errors"]
    hit = [e for e in errors if e["field"] == field]
    assert hit, errors
    assert reason.lower() in hit[0]["reason"].lower(), hit


# ---------------------------------------------------------------------------- queue and jobs
def test_bounded_queue_answers_503_and_429(ac: TestClient, hdr: dict[str, dict[str, str]]) -> None:
    state = ac.app.state.web  # type: ignore[attr-defined]
    runner = jobs.runner_for(state.sessions)
    release = threading.Event()

    def blocked(ctx: jobs.JobContext) -> dict[str, Any]:
        ctx.progress(0.5, "等待", "waiting")
        release.wait(20)
        return {"ok": True}

    try:
        # two jobs of the public user: a third one is refused with 429
        held = [runner.submit("test", {"i": i}, blocked, owner="citizen", public=False) for i in range(2)]
        r = ac.post("/api/analyses/evaluation", json={"draws": 100}, headers=hdr["public"])
        assert r.status_code == 429 and r.headers["retry-after"] and "too many" in r.json()["detail"]
        # the process queue full: 503 for everybody
        runner.max_pending = 2
        r = ac.post("/api/analyses/evaluation", json={"draws": 101}, headers=hdr["programme_office"])
        assert r.status_code == 503 and int(r.headers["retry-after"]) > 0 and "queue is full" in r.json()["detail"]
    finally:
        release.set()
        runner.max_pending = 8
    for ref in held:
        info = None
        for _ in range(200):
            info = runner.get(ref.job_id)
            if info is not None and info.status == "done":
                break
            time.sleep(0.05)
        assert info is not None and info.status == "done"
        assert runner.result(ref.job_id) == {"ok": True}


def test_orphaned_jobs_are_marked_failed(ac: TestClient) -> None:
    state = ac.app.state.web  # type: ignore[attr-defined]
    old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    now = dt.datetime.now(dt.UTC)
    with state.sessions() as s:
        for job_id, worker, beat in (("a" * 32, "otherhost:123", old), ("b" * 32, jobs.worker_id(), now),
                                     ("c" * 32, "otherhost:123", now)):
            s.add(m.AnalysisJob(job_id=job_id, kind="evaluation", params_hash="x", params_json="{}", data_version=0,
                                status="running", progress=0.3, owner="office", public=True, worker=worker,
                                created_at=old, started_at=old, heartbeat_at=beat))
        s.commit()
    runner = jobs.runner_for(state.sessions)
    stale = runner.get("a" * 32)  # heartbeat an hour old
    assert stale is not None and stale.status == "failed" and "stopped" in (stale.error or "")
    mine = runner.get("b" * 32)  # "this process" but not in flight here: its thread is gone
    assert mine is not None and mine.status == "failed"
    alive = runner.get("c" * 32)  # another host, fresh heartbeat: still running
    assert alive is not None and alive.status == "running"
    with pytest.raises(jobs.JobNotReadyError):
        runner.result("a" * 32)


def test_a_job_finishing_during_the_orphan_check_keeps_its_real_outcome(
        ac: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression (CI flake): a poll read the row as running, the worker then committed
    its failure and left the in-flight set, and the poll overwrote the real error with
    "worker stopped". The verdict must only apply to rows still queued/running."""
    state = ac.app.state.web  # type: ignore[attr-defined]
    now = dt.datetime.now(dt.UTC)
    job_id = "d" * 32
    with state.sessions() as s:
        s.add(m.AnalysisJob(job_id=job_id, kind="evaluation", params_hash="y", params_json="{}", data_version=0,
                            status="running", progress=0.1, owner="office", public=True,
                            worker=jobs.worker_id(), created_at=now, started_at=now, heartbeat_at=now))
        s.commit()
    real_check = jobs._orphaned

    def worker_finishes_meanwhile(row: m.AnalysisJob, at: dt.datetime) -> bool:
        with state.sessions() as other:  # the worker thread's final write, after our read
            other.get(m.AnalysisJob, job_id).status = "failed"  # type: ignore[union-attr]
            other.get(m.AnalysisJob, job_id).error = "at least two parks are needed"  # type: ignore[union-attr]
            other.commit()
        return real_check(row, at)  # the stale row says running and the id is not in flight

    monkeypatch.setattr(jobs, "_orphaned", worker_finishes_meanwhile)
    info = jobs.runner_for(state.sessions).get(job_id)
    assert info is not None and info.status == "failed"
    assert info.error == "at least two parks are needed"


def test_large_results_go_to_a_file(ac: TestClient, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "INLINE_RESULT_MAX", 100)
    ref, res = run(ac, "evaluation", {"draws": 100, "weighting": "std"})
    path = data_dir / "jobs" / f"{ref['job_id']}.json"
    assert path.is_file()
    assert len(res["ranking"]) == 3


def test_params_hash_is_canonical() -> None:
    a = jobs.params_hash("k", {"a": 1, "b": {"y": 2, "x": [1, 2]}})
    assert a == jobs.params_hash("k", {"b": {"x": [1, 2], "y": 2}, "a": 1})
    assert a != jobs.params_hash("k2", {"a": 1, "b": {"y": 2, "x": [1, 2]}})
    assert a != jobs.params_hash("k", {"a": 1, "b": {"y": 2, "x": [2, 1]}})
    assert len(a) == 64 and not math.isnan(int(a, 16))


# ---------------------------------------------------------------------------- page
def test_planner_page_renders(ac: TestClient, hdr: dict[str, dict[str, str]]) -> None:
    r = ac.get("/planner", headers={"Accept": "text/html"})
    assert r.status_code == 200
    html = r.text
    assert 'src="/static/planner.js"' in html and 'id="planner-form"' in html
    assert "<script>" not in html  # CSP script-src 'self': no inline script
    assert 'id="p-readonly"' in html and 'id="p-save"' not in html  # anonymous: no save, read-only note
    assert "programme_no_pairing" in html and "认定方案规划" in html and "Designation planner" in html
    assert ac.get("/static/planner.js").status_code == 200


def test_two_apps_share_jobs_through_the_database(ac: TestClient, web_url: str) -> None:
    """Two app instances on one database (as two uvicorn workers): a job submitted to one is
    polled, read and reused through the other (state in the database, not in memory)."""
    from parklink.web import create_app

    ref = ac.post("/api/analyses/evaluation", json={"draws": 100, "weighting": "entropy"}).json()
    with TestClient(create_app(web_url)) as other:
        assert jobs.runner_for(other.app.state.web.sessions) is not jobs.runner_for(  # type: ignore[attr-defined]
            ac.app.state.web.sessions)  # type: ignore[attr-defined]
        job = wait(other, ref)
        assert job["status"] == "done"
        assert len(other.get(ref["result_url"]).json()["result"]["ranking"]) == 3
        again = other.post("/api/analyses/evaluation", json={"draws": 100, "weighting": "entropy"})
        assert again.status_code == 200 and again.json()["job_id"] == ref["job_id"]


@pytest.mark.slow
def test_two_uvicorn_workers_share_jobs(web_url: str, tmp_path: Path) -> None:
    """``uvicorn --workers 2``: polls on new connections (served by either process) always
    see the job, and its cached result is answered whichever process takes the request."""
    import os
    import socket
    import subprocess
    import sys

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = {**os.environ, "PARKLINK_WEB_DATABASE_URL": web_url, "PARKLINK_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "parklink.web.asgi:app", "--workers", "2",
                             "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "uvicorn did not start"
            time.sleep(0.2)
        body = {"draws": 100, "weighting": "equal"}
        ref = httpx.post(f"{base}/api/analyses/evaluation", json=body, timeout=30).json()
        statuses = []
        for _ in range(600):
            job = httpx.get(base + ref["status_url"], timeout=10)  # a new connection each time
            assert job.status_code == 200
            statuses.append(job.json()["status"])
            if statuses[-1] in ("done", "failed"):
                break
            time.sleep(0.1)
        assert statuses[-1] == "done"
        for _ in range(6):  # both workers answer the cached job
            again = httpx.post(f"{base}/api/analyses/evaluation", json=body, timeout=30)
            assert again.status_code == 200 and again.json()["job_id"] == ref["job_id"]
            assert httpx.get(base + ref["result_url"], timeout=10).status_code == 200
    finally:
        proc.terminate()
        proc.wait(20)
