"""The promotion office's forms and the funds-in-place API (issue 14).

Role matrix of every page form route (office / park manager of sc-a / enterprise / public /
anonymous), CSRF on every form and on cookie API writes, per-field errors re-rendered with what
was typed, optimistic locking (409 with the conflict explained), and that the writes are the
service's (history recorded, KPIs follow): on the hand-made ledger of ``promotion_seed``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from .promotion_seed import seed_ledger
from .test_web_security import _app_client, _csrf, page_login

HTML = {"accept": "text/html"}
TODAY = dt.date.today().isoformat()


@pytest.fixture
def seeded_url(web_url: str) -> str:
    seed_ledger(web_url)
    return web_url


def _history(url: str, kind: str, key: str) -> list[dict[str, Any]]:
    from parklink.store.db import session_scope
    from parklink.store.history import read_history

    with session_scope(url) as s:
        return read_history(s, kind, key)


def _form_of(html: str, form_id: str) -> str:
    match = re.search(rf'<form[^>]*id="{form_id}".*?</form>', html, re.S)
    assert match, f"no form {form_id}"
    return match.group(0)


# --------------------------------------------------------------------------- API: funds in place
def test_funds_api_records_lists_audits_and_moves_the_kpi(client: TestClient, headers: dict[str, dict[str, str]],
                                                          web_url: str) -> None:
    seed_ledger(web_url)
    office, manager = headers["programme_office"], headers["park_manager"]

    def funds_rate() -> float:
        body = client.get("/api/kpi?by=park", headers=office).json()
        return float(body["summary"]["funds_rate"])

    # signed: P1 100 (30 in place), P3 50 (50), P4 20 (0, terminated after signing) → 80 / 170
    assert funds_rate() == pytest.approx(80 / 170)
    version = client.get("/api/projects/P1", headers=manager).json()["row_version"]
    r = client.post("/api/projects/P1/funds", json={"on_date": "2026-06-15", "amount_cny_m": 45.5,
                                                    "use": "fixed_assets", "source": "银行回单 bank slip"},
                    headers={**manager, "If-Match": f'"{version}"'})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["funds_in_place_cny_m"] == pytest.approx(75.5) and body["row_version"] == version + 1
    listed = client.get("/api/projects/P1/funds", headers=manager).json()
    assert [(f["on_date"], f["amount_cny_m"], f["use"]) for f in listed["funds"]] == [
        ("2025-05-01", 30.0, "unknown"), ("2026-06-15", 45.5, "fixed_assets")]
    assert listed["funds_in_place_cny_m"] == pytest.approx(75.5) and listed["signed_investment_cny_m"] == 100.0
    assert funds_rate() == pytest.approx(125.5 / 170)
    [entry] = _history(web_url, "project_funds", "P1:2026-06-15")
    assert entry["actor"] == "manager" and entry["via"] == "api"
    # the same If-Match again: the project moved (412); a second entry on one date: 422
    stale = client.post("/api/projects/P1/funds", json={"on_date": "2026-06-20", "amount_cny_m": 1},
                        headers={**manager, "If-Match": f'"{version}"'})
    assert stale.status_code == 412
    dup = client.post("/api/projects/P1/funds", json={"on_date": "2026-06-15", "amount_cny_m": 1}, headers=manager)
    assert dup.status_code == 422
    assert client.post("/api/projects/P1/funds", json={"on_date": "2026-06-16", "amount_cny_m": -3},
                       headers=manager).status_code == 422
    assert funds_rate() == pytest.approx(125.5 / 170)  # nothing of the refused writes
    # the public: P3 is signed but unpublished — seen without funds; P2 (a lead) not at all
    public = client.get("/api/projects/P3/funds").json()
    assert public["redacted"] is True and public["funds"] == []
    assert client.get("/api/projects/P2/funds").status_code == 404


FUNDS = {"on_date": "2026-06-15", "amount_cny_m": 5.0}


@pytest.mark.parametrize(("role", "own", "other"), [
    ("programme_office", 201, 201), ("park_manager", 201, 403), ("enterprise", 403, 403), ("public", 403, 403),
    ("anonymous", 401, 401)])
def test_funds_api_role_matrix(client: TestClient, headers: dict[str, dict[str, str]], web_url: str,
                               role: str, own: int, other: int) -> None:
    seed_ledger(web_url)
    h = headers[role]
    assert client.post("/api/projects/P1/funds", json=FUNDS, headers=h).status_code == own  # park sc-a
    assert client.post("/api/projects/P3/funds", json=FUNDS, headers=h).status_code == other  # park cq-b
    n = len(client.get("/api/projects/P3/funds", headers=headers["programme_office"]).json()["funds"])
    assert n == (2 if other == 201 else 1)


def test_funds_api_cookie_write_needs_csrf(seeded_url: str) -> None:
    with _app_client(seeded_url, "10.0.2.1") as c:
        token = page_login(c, "manager")
        assert c.post("/api/projects/P1/funds", json=FUNDS).status_code == 403
        r = c.post("/api/projects/P1/funds", json=FUNDS, headers={"X-CSRF-Token": token})
        assert r.status_code == 201, r.text


def test_openapi_documents_the_funds_routes(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    funds = paths["/api/projects/{project_id}/funds"]
    assert set(funds) >= {"get", "post"}
    assert set(funds["post"]["responses"]) >= {"201", "401", "403", "404", "409", "412", "422"}
    assert "goals" in str(paths["/api/promotion-plans/{plan_id}"]["patch"])


def test_plan_patch_sets_goals_and_bumps_the_version(client: TestClient, headers: dict[str, dict[str, str]],
                                                     web_url: str) -> None:
    seed_ledger(web_url)
    office = headers["programme_office"]
    before = client.get("/api/promotion-plans/PL-A", headers=office).json()
    r = client.patch("/api/promotion-plans/PL-A", json={"goals": [{"year": 2026, "projects": 6},
                                                                  {"year": 2027, "projects": 3}]},
                     headers={**office, "If-Match": f'"{before["row_version"]}"'})
    assert r.status_code == 200, r.text
    goals = {g["year"]: g["goal_projects"] for g in r.json()["goals"]}
    assert goals == {2026: 6, 2027: 3} and r.json()["row_version"] == before["row_version"] + 1
    # the 2026 goal kept its other figures
    assert {g["year"]: g["goal_signed_cny_m"] for g in r.json()["goals"]}[2026] == 200.0
    again = client.patch("/api/promotion-plans/PL-A", json={"goals": [{"year": 2026, "projects": 7}]},
                         headers={**office, "If-Match": f'"{before["row_version"]}"'})
    assert again.status_code == 412


# --------------------------------------------------------------------------- pages: role matrix
#: (label, path of the form page or None, POST path, form fields, roles allowed)
OFFICE = {"programme_office"}
MANAGER = OFFICE | {"park_manager"}
PROJECT_A = {"name_zh": "表单线索", "investor_name": "表单企业 Form Firm", "park_id": "sc-a", "stage": "lead",
             "on_date": TODAY, "mode": "new", "origin_country": "CN"}
PAGE_MATRIX: list[tuple[str, str | None, str, dict[str, str], set[str]]] = [
    ("new project in own park", "/promotion/projects/new", "/promotion/projects/new", PROJECT_A, MANAGER),
    ("new project in other park", None, "/promotion/projects/new", {**PROJECT_A, "park_id": "cq-b"}, OFFICE),
    ("funds of own park's project", None, "/promotion/projects/P1/funds",
     {"on_date": "2026-06-15", "amount_cny_m": "5", "use": "unknown"}, MANAGER),
    ("funds of other park's project", None, "/promotion/projects/P3/funds",
     {"on_date": "2026-06-15", "amount_cny_m": "5", "use": "unknown"}, OFFICE),
    ("new event", "/promotion/events/new", "/promotion/events/new",
     {"name_zh": "表单活动", "name_en": "Form event", "held_on": "2026-05-01", "city": "成都", "country": "CN"}, OFFICE),
    ("new plan of own park", "/promotion/plans/new", "/promotion/plans/new",
     {"name_zh": "表单计划", "name_en": "Form plan", "scope_kind": "park", "scope_id": "sc-a", "period_start": "2026",
      "period_end": "2027", "status": "draft", "goal-0-year": "2026", "goal-0-projects": "2"}, MANAGER),
    ("new plan of other park", None, "/promotion/plans/new",
     {"name_zh": "表单计划乙", "name_en": "Form plan B", "scope_kind": "park", "scope_id": "cq-b",
      "period_start": "2026", "period_end": "2027", "status": "draft"}, OFFICE),
    ("edit own plan", "/promotion/plans/PL-A/edit", "/promotion/plans/PL-A/edit",
     {"name_zh": "甲园区招商计划", "name_en": "Park A promotion plan", "scope_kind": "park", "scope_id": "sc-a",
      "period_start": "2025", "period_end": "2027", "status": "active", "focal_chains": "auto", "note": "表单修改"},
     MANAGER),
    ("edit other plan", "/promotion/plans/PL-B/edit", "/promotion/plans/PL-B/edit",
     {"name_zh": "乙园区招商计划", "name_en": "Park B promotion plan", "scope_kind": "park", "scope_id": "cq-b",
      "period_start": "2025", "period_end": "2027", "status": "active", "note": "x"}, OFFICE),
    ("add target to own plan", None, "/promotion/plans/PL-A/targets",
     {"segment_id": "auto.vehicles", "enterprise_id": "E9", "enterprise_name": "手工目标", "reason": "走访 visit"},
     MANAGER),
    ("add target to other plan", None, "/promotion/plans/PL-B/targets",
     {"segment_id": "auto.vehicles", "enterprise_id": "E9", "reason": "visit"}, OFFICE),
    ("drop target of own plan", None, "/promotion/plans/PL-A/targets/drop",
     {"target_id": "PL-A:auto.vehicles:E1", "drop_reason": "已在园区 already in the park"}, MANAGER),
    ("drop target of other plan", None, "/promotion/plans/PL-B/targets/drop",
     {"target_id": "PL-B:auto.castings:E2", "drop_reason": "x"}, OFFICE),
]
USERNAMES = {"programme_office": "office", "park_manager": "manager", "enterprise": "firm", "public": "citizen"}


@pytest.mark.parametrize("role", [*USERNAMES, "anonymous"])
def test_promotion_form_role_matrix(seeded_url: str, role: str) -> None:
    wrong = []
    with _app_client(seeded_url, f"10.0.3.{len(role)}") as c:
        token = page_login(c, USERNAMES[role]) if role in USERNAMES else _csrf(c.get("/login").text)
        for label, page, post, fields, allowed in PAGE_MATRIX:
            if page is not None:
                r = c.get(page, headers=HTML, follow_redirects=False)
                want = (200,) if role in allowed else (303,) if role == "anonymous" else (403,)
                if r.status_code not in want:
                    wrong.append(f"GET {label}: {r.status_code}")
            r = c.post(post, data={**fields, "csrf": token}, headers=HTML, follow_redirects=False)
            want = (303,) if role in allowed else (401, 403) if role == "anonymous" else (403,)
            if r.status_code not in want:
                wrong.append(f"POST {label}: {r.status_code} {r.text[:300]}")
    assert not wrong, f"role {role}:\n" + "\n".join(wrong)


def test_every_form_needs_its_csrf_token(seeded_url: str) -> None:
    with _app_client(seeded_url, "10.0.3.99") as c:
        page_login(c, "office")
        for label, _page, post, fields, _allowed in PAGE_MATRIX:
            assert c.post(post, data=fields, headers=HTML, follow_redirects=False).status_code == 403, label
            assert c.post(post, data={**fields, "csrf": "forged"}, headers=HTML,
                          follow_redirects=False).status_code == 403, label
    from parklink.store.db import session_scope
    from parklink.store.io import read_frame

    with session_scope(seeded_url) as s:
        assert len(read_frame(s, "projects")) == 4 and len(read_frame(s, "promotion_events")) == 1


# --------------------------------------------------------------------------- pages: behaviour
def test_new_project_form_errors_then_saved(seeded_url: str) -> None:
    with _app_client(seeded_url, "10.0.4.1") as c:
        page_login(c, "manager")
        page = c.get("/promotion/projects/new", headers=HTML).text
        assert re.findall(r'<select id="f-park_id".*?</select>', page, re.S)[0].count("<option") == 1  # own park only
        assert "投资方名称" in page and "investor name" in page  # labels from the vocabulary
        bad = {"csrf": _csrf(page), "name_zh": "新线索", "park_id": "sc-a", "investor_id": "NOPE",
               "signed_investment_cny_m": "-5", "jobs": "3.5", "planned_start": "2026-13-01", "stage": "lead",
               "on_date": TODAY}
        r = c.post("/promotion/projects/new", data=bad, headers=HTML)
        assert r.status_code == 422 and "Traceback" not in r.text
        fields = set(re.findall(r'<span class="field-error" id="e-([a-z_]+)"', r.text))
        assert fields == {"investor_id", "signed_investment_cny_m", "jobs"}, fields
        assert 'value="新线索"' in r.text and 'aria-invalid="true"' in r.text  # what was typed stays
        # the column checks of the service report the planned date, next to its field
        fixed = {**bad, "investor_id": "E1", "signed_investment_cny_m": "120", "jobs": "40"}
        r = c.post("/promotion/projects/new", data=fixed, headers=HTML)
        assert r.status_code == 422 and re.search(r'id="e-planned_start"', r.text), r.text[-2000:]
        r = c.post("/promotion/projects/new", data={**fixed, "planned_start": "2026-09-01", "stage": "signed"},
                   headers=HTML, follow_redirects=False)
        assert r.status_code == 303
        pid = re.search(r"/promotion/projects/(PRJ-[0-9A-F]+)\?saved=created", r.headers["location"])
        assert pid
        html = c.get(r.headers["location"], headers=HTML).text
        assert 'data-stage="signed"' in html and "<td>甲汽车 (E1)</td>" in html  # the registry enterprise's name
    [entry, *_rest] = _history(seeded_url, "projects", pid.group(1))
    assert entry["actor"] == "manager" and entry["via"] == "web form"


def test_funds_form_records_and_reports_conflicts(seeded_url: str) -> None:
    with _app_client(seeded_url, "10.0.4.2") as c:
        page_login(c, "manager")
        page = c.get("/promotion/projects/P1", headers=HTML).text
        form = _form_of(page, "funds-form")
        version = re.search(r'name="version" value="(\d+)"', form)
        assert version and 'id="f-amount_cny_m"' in form
        fields = {"csrf": _csrf(page), "version": version.group(1), "on_date": "2026-06-01", "use": "working_capital"}
        r = c.post("/promotion/projects/P1/funds", data={**fields, "amount_cny_m": "abc"}, headers=HTML)
        assert r.status_code == 422 and re.search(r'id="e-amount_cny_m"[^>]*>not a number', r.text)
        r = c.post("/promotion/projects/P1/funds", data={**fields, "amount_cny_m": "20"}, headers=HTML,
                   follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].endswith("saved=funds")
        html = c.get(r.headers["location"], headers=HTML).text
        assert re.search(r'id="funds-total">50\.0<', html)  # 30 + 20
        # the same form again (the page's version is stale now): 409, nothing recorded
        r = c.post("/promotion/projects/P1/funds", data={**fields, "on_date": "2026-06-02", "amount_cny_m": "5"},
                   headers=HTML)
        assert r.status_code == 409 and "changed by someone else" in r.text
        # a fresh version, but a date already recorded: the date field says so
        page = c.get("/promotion/projects/P1", headers=HTML).text
        version = re.search(r'name="version" value="(\d+)"', _form_of(page, "funds-form"))
        assert version
        r = c.post("/promotion/projects/P1/funds", data={**fields, "version": version.group(1), "amount_cny_m": "5"},
                   headers=HTML)
        assert r.status_code == 422 and re.search(r'id="e-on_date"[^>]*>funds of this project are already', r.text)
        assert re.search(r'id="funds-total">50\.0<', c.get("/promotion/projects/P1", headers=HTML).text)


def test_event_form(seeded_url: str) -> None:
    with _app_client(seeded_url, "10.0.4.3") as c:
        page_login(c, "office")
        page = c.get("/promotion/events/new", headers=HTML).text
        base = {"csrf": _csrf(page), "name_zh": "渝蓉联合招商推介会", "name_en": "CQ-CD joint promotion",
                "city": "上海", "country": "CN", "attending_firms": "-1"}
        r = c.post("/promotion/events/new", data=base, headers=HTML)
        assert r.status_code == 422
        assert set(re.findall(r'id="e-([a-z_]+)"', r.text)) == {"held_on", "attending_firms"}
        r = c.post("/promotion/events/new", headers=HTML, follow_redirects=False,
                   data={**base, "held_on": "2026-04-18", "attending_firms": "85", "leads_generated": "12",
                         "signed_on_site": "3", "signed_on_site_cny_m": "640.5", "organisers_sc": "四川省经济合作局",
                         "organisers_cq": "重庆市招商投资局", "chains": ["auto", "electronics"]})
        assert r.status_code == 303
        event_id = r.headers["location"].split("/")[-1].split("?")[0]
        body = c.get(f"/api/events/{event_id}").json()["event"]
        assert body["chains"] == ["auto", "electronics"] or body["chains"] == "auto;electronics"
        assert body["signed_on_site_cny_m"] == 640.5 and body["synthetic"] is False
        assert "渝蓉联合招商推介会" in c.get("/promotion/events", headers=HTML).text


def test_plan_forms_create_edit_conflict_and_targets(seeded_url: str) -> None:
    with _app_client(seeded_url, "10.0.4.4") as c:
        page_login(c, "manager")
        page = c.get("/promotion/plans/new", headers=HTML).text
        base = {"csrf": _csrf(page), "plan_id": "PL-F", "name_zh": "甲园区电子招商", "name_en": "Park A electronics",
                "scope_kind": "park", "scope_id": "sc-a", "period_start": "2026", "period_end": "2025",
                "status": "active", "goal-0-year": "2026", "goal-0-projects": "x", "goal-1-projects": "2"}
        r = c.post("/promotion/plans/new", data=base, headers=HTML)
        assert r.status_code == 422
        assert set(re.findall(r'id="e-([a-z0-9_-]+)"', r.text)) == {"period_end", "goal-0-projects", "goal-1-year"}
        assert "goal row 2: year" in r.text or "第2行目标 年份" in r.text
        good = {**base, "period_end": "2028", "goal-0-projects": "3", "goal-0-signed_investment_cny_m": "500",
                "goal-1-year": "2027", "goal-1-projects": "4", "focal_chains": "electronics"}
        r = c.post("/promotion/plans/new", data=good, headers=HTML, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/promotion/plans/PL-F?saved=plan"
        plan = c.get("/api/promotion-plans/PL-F").json()
        assert {g["year"]: g["goal_projects"] for g in plan["goals"]} == {2026: 3, 2027: 4}
        assert plan["plan"]["focal_chains"] == ["electronics"]
        # edit: two officers open the form; the first saves, the second gets the conflict
        edit = c.get("/promotion/plans/PL-F/edit", headers=HTML).text
        assert 'name="goal-1-projects" type="number" min="0" step="1" value="4"' in edit
        version = re.search(r'name="row_version" value="(\d+)"', edit)
        assert version
        fields = {**{k: v for k, v in good.items() if k != "plan_id"}, "csrf": _csrf(edit),
                  "row_version": version.group(1)}
        r = c.post("/promotion/plans/PL-F/edit", data={**fields, "goal-1-projects": "6", "note": "第一位"},
                   headers=HTML, follow_redirects=False)
        assert r.status_code == 303
        r = c.post("/promotion/plans/PL-F/edit", data={**fields, "status": "closed"}, headers=HTML)
        assert r.status_code == 409 and "changed by someone else" in r.text and 'value="甲园区电子招商"' in r.text
        plan = c.get("/api/promotion-plans/PL-F").json()
        assert plan["plan"]["status"] == "active" and plan["plan"]["note"] == "第一位"
        assert {g["year"]: g["goal_projects"] for g in plan["goals"]} == {2026: 3, 2027: 6}
        # a park manager may not move the plan to another park's ownership
        moved = {**fields, "row_version": str(plan["row_version"]), "scope_id": "cq-b"}
        assert c.post("/promotion/plans/PL-F/edit", data=moved, headers=HTML).status_code == 403
        # targets: add by hand (reason required), drop with a reason
        page = c.get("/promotion/plans/PL-A", headers=HTML).text
        token = _csrf(page)
        r = c.post("/promotion/plans/PL-A/targets", data={"csrf": token, "segment_id": "auto.castings",
                                                          "enterprise_id": "E7"}, headers=HTML)
        assert r.status_code == 422 and re.search(r'id="e-reason"', r.text)
        r = c.post("/promotion/plans/PL-A/targets", data={"csrf": token, "segment_id": "auto.castings",
                                                          "enterprise_id": "E7", "reason": "展会接触 met at a fair"},
                   headers=HTML, follow_redirects=False)
        assert r.status_code == 303
        page = c.get("/promotion/plans/PL-A", headers=HTML).text
        row = re.search(r'<tr data-target="PL-A:auto.castings:E7">.*?</tr>', page, re.S)
        assert row and "人工添加" in row.group(0)
        r = c.post("/promotion/plans/PL-A/targets/drop", data={"csrf": token, "target_id": "PL-A:auto.castings:E7",
                                                               "drop_reason": ""}, headers=HTML)
        assert r.status_code == 422 and "needs a reason" in r.text
        version = re.search(r'name="target_id" value="PL-A:auto.castings:E7"><input type="hidden" name="version" '
                            r'value="(\d+)"', page)
        assert version
        drop = {"csrf": token, "target_id": "PL-A:auto.castings:E7", "drop_reason": "已落户他地 went elsewhere",
                "version": version.group(1)}
        assert c.post("/promotion/plans/PL-A/targets/drop", data=drop, headers=HTML,
                      follow_redirects=False).status_code == 303
        r = c.post("/promotion/plans/PL-A/targets/drop", data={**drop, "drop_reason": "again"}, headers=HTML)
        assert r.status_code == 409
        targets = {t["target_id"]: t for t in c.get("/api/promotion-plans/PL-A").json()["targets"]}
        assert targets["PL-A:auto.castings:E7"]["status"] == "dropped"
        assert targets["PL-A:auto.castings:E7"]["drop_reason"] == "已落户他地 went elsewhere"


# --------------------------------------------------------------------------- pages: edit a project
def _edit_form(c: TestClient, pid: str) -> tuple[str, dict[str, str]]:
    """The edit page of ``pid`` and its form's fields as the browser would submit them."""
    page = c.get(f"/promotion/projects/{pid}/edit", headers=HTML)
    assert page.status_code == 200, page.text[-500:]
    form = _form_of(page.text, "project-form")
    fields = dict(re.findall(r'<input[^>]*name="([a-z_0-9-]+)"[^>]*value="([^"]*)"', form))
    for name, body in re.findall(r'<select[^>]*name="([a-z_]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', body)
        fields[name] = chosen.group(1) if chosen else ""
    return page.text, fields


def test_edit_project_form_saves_changes_with_history_and_refuses_stale_versions(seeded_url: str) -> None:
    with _app_client(seeded_url, "10.0.4.6") as c:
        page_login(c, "manager")
        project = c.get("/promotion/projects/P1", headers=HTML).text
        assert 'id="edit-project"' in project  # the manager of its park may edit it
        page, fields = _edit_form(c, "P1")
        assert "首个阶段事件" not in page and 'name="stage"' not in page  # the stage is not edited here
        assert fields["name_zh"] == "甲汽车扩产" and fields["park_id"] == "sc-a" and fields["version"]
        assert fields["signed_investment_cny_m"] == "100"
        # a fixable problem: the typed values stay, the reason is under its field
        r = c.post("/promotion/projects/P1/edit", data={**fields, "jobs": "many"}, headers=HTML)
        assert r.status_code == 422 and re.search(r'id="e-jobs"', r.text) and 'value="many"' in r.text
        # a change and an emptied field: only those are written, with history
        r = c.post("/promotion/projects/P1/edit", data={**fields, "signed_investment_cny_m": "150",
                                                          "origin_province": ""}, headers=HTML,
                   follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].endswith("saved=edited")
        html = c.get(r.headers["location"], headers=HTML).text
        assert "Project facts saved" in html
        # the same form again, read at the old version: a conflict, nothing saved
        r = c.post("/promotion/projects/P1/edit", data={**fields, "signed_investment_cny_m": "999"}, headers=HTML)
        assert r.status_code == 409 and "changed by someone else" in r.text
        # a park manager cannot move the project to a park that is not theirs
        _page, fresh = _edit_form(c, "P1")
        assert c.post("/promotion/projects/P1/edit", data={**fresh, "park_id": "cq-b"},
                      headers=HTML).status_code == 403
        # nor edit another park's project
        assert c.get("/promotion/projects/P3/edit", headers=HTML).status_code == 403
        # the form needs its CSRF token
        assert c.post("/promotion/projects/P1/edit", data={**fresh, "csrf": "forged"},
                      headers=HTML).status_code == 403
    from parklink.store.db import session_scope
    from parklink.store.models_promotion import Project

    with session_scope(seeded_url) as s:
        p1 = s.get(Project, "P1")
        assert p1 is not None and p1.signed_investment_cny_m == 150.0 and p1.origin_province is None
    entry = _history(seeded_url, "projects", "P1")[0]
    assert entry["actor"] == "manager" and entry["via"] == "web form"
    with _app_client(seeded_url, "10.0.4.7") as c:
        for user in ("firm", "citizen"):
            page_login(c, user)
            assert c.get("/promotion/projects/P1/edit", headers=HTML).status_code == 403, user
        c.cookies.clear()
        assert c.get("/promotion/projects/P1/edit", headers=HTML, follow_redirects=False).status_code == 303
