"""The next-batch job (``POST /api/analyses/next-batch``) on the web tests' registry
(``parklink.testing.tiny_registry``: sc-a and cq-b designated together in 2020, plus two
unnamed members; cq-c is the only park not yet designated).

The job's plan equals :func:`plan_next_batch_from_frames` called directly on the same
frames; an impossible request is a result with the smallest relaxation; who may run it
mirrors the designation what-ifs (anonymous 401, public 403).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from .conftest import PASSWORD
from .test_web_analyses import ac, data_dir, hdr, registry_frames, run  # noqa: F401 (fixtures)
from .test_web_browser import CHROMIUM, browser, guarded_page, server  # noqa: F401 (fixtures)

#: Rules the tiny registry can meet: one new park, no pairing, chain, zone or share rules.
FEASIBLE: dict[str, Any] = {"year": 2025, "size": 1, "min_province_share": 0.0, "require_pairing": False,
                            "area_type_min_share": {}, "zone_coverage": False, "focal_chains": [],
                            "travel_time": "geodesic"}


def test_feasible_plan_keeps_history_and_matches_the_direct_call(ac: TestClient, hdr: dict[str, dict[str, str]],  # noqa: F811
                                                                 web_url: str) -> None:
    from parklink.designate.next_api import history_before, plan_next_batch_from_frames
    from parklink.designate.nextbatch import NextBatchRules
    from parklink.evaluate.location import geodesic_travel_time

    office = hdr["programme_office"]
    _, res = run(ac, "next-batch", FEASIBLE, office)
    assert res["status"] == "solved", res
    proposed = [r["park_id"] for r in res["proposal"]]
    assert proposed == ["cq-c"]
    f = registry_frames(web_url)
    designated = set(history_before(f["designations"], 2025).members["park_id"])
    assert designated == {"sc-a", "cq-b"}
    assert not designated & set(proposed)  # real designations are history, never proposed again
    for r in res["proposal"]:
        assert r["reason_zh"] and r["reason_en"]
        assert r["year"] == 2025 and r["name_zh"] and r["province"] in ("SC", "CQ")
        assert "partner" in r
    assert {r["park_id"] for r in res["swaps"]} == set(proposed)
    counts = pd.DataFrame(res["counts"]).set_index("unit")
    assert set(counts.index) == {"parks", "designations"}
    assert counts.at["parks", "before"] == 4 and counts.at["parks", "batch"] == 1  # 2 named + 2 unnamed
    fp = res["fingerprint"]
    assert set(fp) >= {"digest", "data_version", "registry", "firms", "config"} and len(fp["digest"]) == 16
    rules = NextBatchRules(year=2025, size=1, min_province_share=0.0, require_pairing=False,
                           area_type_min_share={}, zone_coverage=False, focal_chains=())
    direct = plan_next_batch_from_frames(f, rules, travel_time=geodesic_travel_time)
    assert direct.proposed == proposed
    assert res["summary"]["objective"] == pytest.approx(direct.objective)
    assert [r["reason_en"] for r in res["proposal"]] == direct.proposal["reason_en"].tolist()
    # the same request again: the cached job, the same fingerprint
    again = ac.post("/api/analyses/next-batch", json=FEASIBLE, headers=office)
    assert again.status_code == 200 and again.json()["cached"] is True


def test_impossible_request_reports_the_relaxation(ac: TestClient, hdr: dict[str, dict[str, str]]) -> None:  # noqa: F811
    """Five new Sichuan parks are asked for; there is no Sichuan candidate left."""
    body = {**FEASIBLE, "size": 1, "min_per_province": {"SC": 5}}
    _, res = run(ac, "next-batch", body, hdr["park_manager"])
    assert res["status"] == "infeasible"
    assert res["proposal"] == [] and res["relaxation"]
    assert any(r["group"].startswith("province_min") for r in res["relaxation"])
    assert sum(r["slack"] for r in res["relaxation"]) >= 5 - 1e-6
    assert all(r["text_zh"] and r["text_en"] for r in res["relaxation"])
    assert "infeasible" in res["message"] and res["fingerprint"]["digest"]


@pytest.mark.parametrize(("role", "status"), [("anonymous", 401), ("public", 403), ("enterprise", 202),
                                              ("park_manager", 202), ("programme_office", 202)])
def test_who_may_plan_the_next_batch(ac: TestClient, hdr: dict[str, dict[str, str]], role: str,  # noqa: F811
                                     status: int) -> None:
    r = ac.post("/api/analyses/next-batch", json={**FEASIBLE, "swaps": 0}, headers=hdr[role])
    assert r.status_code in ((200, 202) if status == 202 else (status,)), r.text


def test_results_are_visible_to_their_owner_and_the_office(ac: TestClient, hdr: dict[str, dict[str, str]]) -> None:  # noqa: F811
    ref, _ = run(ac, "next-batch", {**FEASIBLE, "swaps": 1}, hdr["enterprise"])
    assert ac.get(ref["result_url"], headers=hdr["programme_office"]).status_code == 200
    assert ac.get(ref["result_url"], headers=hdr["park_manager"]).status_code == 404
    assert ac.get(ref["result_url"]).status_code == 404


def test_cookie_session_needs_the_csrf_token(ac: TestClient) -> None:  # noqa: F811
    from .test_web_security import page_login

    token = page_login(ac, "office")
    refused = ac.post("/api/analyses/next-batch", json={**FEASIBLE, "swaps": 0})
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    ok = ac.post("/api/analyses/next-batch", json={**FEASIBLE, "swaps": 0}, headers={"X-CSRF-Token": token})
    assert ok.status_code in (200, 202), ok.text


@pytest.mark.parametrize(("body", "field"), [
    ({"forced_in": ["zz"]}, "forced_in"),
    ({"min_province_share": 0.9}, "min_province_share"),
    ({"count": "pairs"}, "count"),
    ({"focal_chains": ["steel"]}, "focal_chains"),
    ({"size": 0}, "size"),
    ({"unknown": 1}, "unknown"),
])
def test_invalid_requests_name_the_field(ac: TestClient, hdr: dict[str, dict[str, str]], body: dict[str, Any],  # noqa: F811
                                         field: str) -> None:
    r = ac.post("/api/analyses/next-batch", json=body, headers=hdr["programme_office"])
    assert r.status_code == 422, r.text
    assert field in r.text


# ---------------------------------------------------------------------------- browser
@pytest.mark.browser
@pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(), reason="/usr/bin/chromium is absent")
def test_planner_opens_with_the_next_batch_panel(server: str, browser: Any) -> None:  # noqa: F811
    """Logged in as the programme office: the next-batch panel comes first on /planner; a
    one-park batch without pairing, share, zone or chain rules proposes cq-c with its reason."""
    with guarded_page(browser, server, "next-batch", viewport={"width": 1280, "height": 900}) as (page, outside):
        page.goto(f"{server}/login?next=/planner")
        page.fill("#username", "office")
        page.fill("#password", PASSWORD)
        page.click("form.login button[type=submit]")
        page.wait_for_url(f"{server}/planner")
        page.wait_for_selector("html[data-next='ready'][data-planner='ready']")
        panel = page.locator("#next-batch")
        assert panel.is_visible()
        # shown first: above the scenario planner's form
        assert page.evaluate("() => document.getElementById('next-batch').getBoundingClientRect().top"
                             " < document.getElementById('planner-form').getBoundingClientRect().top")
        assert page.input_value("#n-year") == "2025"
        page.fill("#n-size", "1")
        page.fill("#n-share", "0")
        for box in ("#n-pairing", "#n-areas", "#n-zones", "#n-focal"):
            page.uncheck(box)
        page.click("#n-run")
        page.wait_for_selector("html[data-next='result']", timeout=90_000)
        assert page.eval_on_selector("#n-progress", "el => el.value") == 1
        rows = page.locator("#n-plan tbody tr")
        assert rows.count() >= 1
        assert "cq-c" in rows.first.inner_text()
        reason = rows.first.locator("td.reason").inner_text()
        assert len(reason.strip()) > 10
        assert page.locator("#n-infeasible").is_hidden()
        # an impossible batch shows the smallest relaxation
        page.fill("#n-size", "3")
        page.click("#n-run")
        page.wait_for_selector("html[data-next='result']", timeout=90_000)
        page.wait_for_selector("#n-infeasible:not([hidden])")
        assert page.locator("#n-relax tbody tr").count() >= 1
        assert page.locator("#n-plan tbody tr").count() == 0
        assert not outside, outside
