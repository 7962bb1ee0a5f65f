"""Promotion pages (issue 14): board, project timeline, event cohort KPIs, plan with target
list and conversions, KPI dashboard with SVG charts, the dashboard's promotion section; role
filtering on pages, synthetic labels, zh/en, the forms (create a lead, advance, stale 409)."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .promotion_seed import seed_ledger
from .test_web_security import _app_client, _csrf, page_login

HTML = {"accept": "text/html"}


@pytest.fixture
def seeded_url(web_url: str) -> str:
    seed_ledger(web_url)
    return web_url


@pytest.fixture
def anon(seeded_url: str) -> Any:
    with _app_client(seeded_url, "10.0.1.1") as c:
        yield c


def test_board_public_view(anon: TestClient) -> None:
    html = anon.get("/promotion", headers=HTML).text
    stages = re.findall(r'data-stage="([a-z_]+)"', html)
    assert stages == ["lead", "negotiating", "signed", "construction_started", "in_production", "at_capacity",
                      "terminated"]
    assert 'data-project="P1"' in html and 'data-project="P3"' in html and 'data-project="P2"' not in html
    assert "Secret lead" not in html and "Gamma" not in html and "Unpublished C" not in html
    assert "未公开项目" in html and "synthetic-banner" in html  # P4 is synthetic
    assert "甲汽车扩产" in html  # published: its name is shown


def test_project_page_timeline_and_redaction(anon: TestClient) -> None:
    html = anon.get("/promotion/projects/P1", headers=HTML).text
    timeline = re.search(r'<ol class="timeline".*?</ol>', html, re.S)
    assert timeline and timeline.group(0).count("<li") == 2 and "2025-01-10" in timeline.group(0)
    assert 'data-stage="signed"' in html and "advance-form" not in html
    p3 = anon.get("/promotion/projects/P3", headers=HTML).text
    assert "Gamma" not in p3 and "未公开" in p3 and "recorded by" not in p3
    assert anon.get("/promotion/projects/P2", headers=HTML).status_code == 404


def test_event_page_shows_the_cohort_kpis_with_svg_charts(anon: TestClient) -> None:
    html = anon.get("/promotion/events/EV1?lang=en", headers=HTML).text
    assert re.search(r'data-kpi="performance_rate">100\.0%', html)  # P3 signed and started
    svgs = re.findall(r"<svg .*?</svg>", html, re.S)
    assert len(svgs) == 4
    for svg in svgs:
        ET.fromstring(svg)
    assert html.index('lang="en">Joint SC-CQ fair') < html.index("川渝联合招商会")  # English first


def test_plan_page_hides_targets_from_the_public_and_offers_the_button_to_the_manager(seeded_url: str) -> None:
    with _app_client(seeded_url, "10.0.1.2") as anon:
        html = anon.get("/promotion/plans/PL-A", headers=HTML).text
        assert "Beta Castings" not in html and "make-lead" not in html and 'id="goals"' in html
    with _app_client(seeded_url, "10.0.1.3") as c:
        page_login(c, "manager")
        html = c.get("/promotion/plans/PL-A", headers=HTML).text
        assert html.count('class="make-lead"') == 2 and "Beta Castings" in html
        token = _csrf(html)
        r = c.post("/promotion/plans/PL-A/lead", data={"csrf": token, "target_id": "PL-A:auto.castings:E2"},
                   follow_redirects=False)
        assert r.status_code == 303 and "created=PRJ-" in r.headers["location"]
        html = c.get(r.headers["location"], headers=HTML).text
        lead = re.search(r'id="created-lead" href="/promotion/projects/([A-Z0-9-]+)"', html)
        assert lead and html.count('class="make-lead"') == 1
        conv = re.search(r'data-col="lead_rate">1 \(50\.0%\)', html)
        assert conv, "conversion of the model version: 1 of 2 targets became a lead"
        # without the CSRF token nothing happens
        assert c.post("/promotion/plans/PL-A/lead", data={"target_id": "PL-A:auto.vehicles:E1"},
                      follow_redirects=False).status_code == 403
        # the manager advances the new lead to signed from its page
        pid = lead.group(1)
        page = c.get(f"/promotion/projects/{pid}", headers=HTML).text
        version = re.search(r'name="version" value="(\d+)"', page)
        assert version
        form = {"csrf": _csrf(page), "stage": "signed", "on_date": dt.date.today().isoformat(), "reason": "", "source": "contract",
                "version": version.group(1)}
        r = c.post(f"/promotion/projects/{pid}/advance", data=form, follow_redirects=False)
        assert r.status_code == 303
        # the same form again (stale version): 409, nothing recorded twice
        r = c.post(f"/promotion/projects/{pid}/advance", data={**form, "stage": "construction_started"})
        assert r.status_code == 409 and "someone else" in r.text
        assert c.get(f"/promotion/projects/{pid}", headers=HTML).text.count('<li class="') == 2


def test_kpi_page_and_dashboard_section(anon: TestClient) -> None:
    html = anon.get("/promotion/kpi?by=park", headers=HTML).text
    assert 'id="kpi-table"' in html and "甲园区" in html and len(re.findall(r"<svg ", html)) == 4
    assert re.search(r'data-alert="start_overdue">\d+<', html)
    assert "synthetic-banner" in html
    for by in ("designation", "zone", "chain", "origin", "event", "year", "in_park", "bogus"):
        assert anon.get(f"/promotion/kpi?by={by}", headers=HTML).status_code == 200, by
    dash = anon.get("/", headers=HTML).text
    assert 'id="promotion"' in dash and 'data-kpi="n_signed">3<' in dash


def test_designation_plan_lead_goes_to_a_park_the_caller_may_write(seeded_url: str) -> None:
    import pandas as pd

    from parklink.promotion import plans
    from parklink.store.db import session_scope

    with session_scope(seeded_url) as s:
        plans.create_plan(s, {"plan_id": "PL-D", "name_zh": "甲乙联合计划", "name_en": "A-B joint plan",
                              "scope_kind": "designation", "scope_id": "b1-a-b", "period_start": 2026,
                              "period_end": 2027, "status": "active"},
                          targets=pd.DataFrame([{"segment_id": "auto.castings", "enterprise_id": "E2", "rank": 1,
                                                 "score": 0.8, "reason": "gap", "model_version": "m1"}]),
                          actor="seed", via="test")
    with _app_client(seeded_url, "10.0.1.4") as c:
        page_login(c, "office")
        html = c.get("/promotion/plans/PL-D", headers=HTML).text
        assert re.findall(r'<option value="(cq-b|sc-a)">', html) == ["cq-b", "sc-a"]  # the office chooses
    with _app_client(seeded_url, "10.0.1.5") as c:
        page_login(c, "manager")
        html = c.get("/promotion/plans/PL-D", headers=HTML).text
        assert '<input type="hidden" name="park_id" value="sc-a">' in html  # the manager's own park only
        r = c.post("/promotion/plans/PL-D/lead", data={"csrf": _csrf(html), "target_id": "PL-D:auto.castings:E2",
                                                       "park_id": "sc-a"}, follow_redirects=False)
        assert r.status_code == 303
        r = c.post("/promotion/plans/PL-D/lead", data={"csrf": _csrf(html), "target_id": "PL-D:auto.castings:E2",
                                                       "park_id": "cq-b"}, follow_redirects=False)
        assert r.status_code == 403  # not their park
