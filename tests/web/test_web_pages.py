"""Server-rendered pages: content, language switch, provenance, forms, no external URLs."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from .conftest import PASSWORD

PAGES = ["/", "/map", "/parks", "/parks/sc-a", "/login", "/parks?province=CQ&page=1"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_bilingual_with_switch(client: TestClient, path: str) -> None:
    zh = client.get(path)
    assert zh.status_code == 200
    assert '<html lang="zh-Hans">' in zh.text
    assert 'id="lang-switch"' in zh.text and "lang=en" in zh.text
    en = client.get(path + ("&" if "?" in path else "?") + "lang=en")
    assert '<html lang="en">' in en.text and en.cookies.get("parklink_lang") == "en"
    assert '<html lang="en">' in client.get(path).text  # remembered
    assert "Content-Security-Policy" in zh.headers or "content-security-policy" in zh.headers


@pytest.mark.parametrize("path", [*PAGES, "/docs"])
def test_pages_reference_only_local_assets(client: TestClient, path: str) -> None:
    html = client.get(path).text
    assets = re.findall(r'<(?:script|link|img|iframe)[^>]+(?:src|href)="([^"]+)"', html)
    assert assets, html[:200]
    assert all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    assert "cdn." not in html


def test_plotly_served_locally(client: TestClient) -> None:
    r = client.get("/static/plotly.min.js")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/javascript")
    assert len(r.content) > 3_000_000 and b"plotly" in r.content[:2000].lower()
    assert client.get("/static/geo-assets.js").status_code == 200


def test_dashboard_has_charts_and_accessible_tables(client: TestClient) -> None:
    html = client.get("/").text
    for key in ("by_year", "by_province", "by_zone", "by_area_type"):
        assert f'id="fig-{key}"' in html
    status = html.split('<section id="cocon">')[0]  # the co-construction section follows (issue 15)
    assert status.count("<table") == 4 and 'scope="col"' in html
    assert "示范园区建设进度" in html and "Programme status vs targets" in html
    assert 'href="#main"' in html  # skip link


def test_park_page_shows_provenance_of_each_fact(client: TestClient) -> None:
    html = client.get("/parks/sc-a").text
    facts = re.search(r'<table class="facts".*?</table>', html, re.S)
    assert facts
    rows = re.findall(r"<tr><th scope=\"row\">.*?</tr>", facts.group(0), re.S)
    assert len(rows) == 11
    assert all("合成" in r and "synthetic" in r for r in rows)  # confidence of each fact
    assert "区县政府驻地" in html  # approximate location is flagged
    assert "龙泉驿区" in html and "Longquanyi District" in html
    assert "/parks/cq-b" in html  # designation partner is linked
    assert "本条记录为合成数据" in html


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m
    return m.group(1)


def _login(client: TestClient, user: str) -> None:
    token = _csrf(client.get("/login").text)
    r = client.post("/login", data={"username": user, "password": PASSWORD, "csrf": token, "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303


def test_park_manager_edits_own_park_by_form(client: TestClient) -> None:
    _login(client, "manager")
    page = client.get("/parks/sc-a").text
    assert 'action="/parks/sc-a/edit"' in page
    assert 'action="/parks/cq-b/edit"' not in client.get("/parks/cq-b").text
    form = {"csrf": _csrf(page), "name_zh": "甲园区", "name_en": "Park A", "area_km2": "abc", "industries": "",
            "source_url": ""}
    r = client.post("/parks/sc-a/edit", data=form)
    assert r.status_code == 422 and "area_km2" in r.text and "not a number" in r.text
    form["area_km2"] = "12.25"
    r = client.post("/parks/sc-a/edit", data=form, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/api/parks/sc-a").json()["area_km2"] == 12.25
    r = client.post("/parks/cq-b/edit", data={**form, "name_en": "Park B"}, headers={"accept": "text/html"})
    assert r.status_code == 403
    r = client.post("/parks/sc-a/edit", data={**form, "csrf": "forged.token"})
    assert r.status_code == 403


def test_public_sees_no_edit_form(client: TestClient) -> None:
    assert "/edit" not in client.get("/parks/sc-a").text
    r = client.post("/parks/sc-a/edit", data={"csrf": _csrf(client.get("/login").text), "name_zh": "x",
                                              "name_en": "x"}, headers={"accept": "text/html"})
    assert r.status_code in (401, 403)


def test_missing_park_page_is_html_404(client: TestClient) -> None:
    r = client.get("/parks/none", headers={"accept": "text/html"})
    assert r.status_code == 404 and "<html" in r.text


def test_parks_page_filters_and_pages(client: TestClient) -> None:
    html = client.get("/parks?province=CQ").text
    assert "Park B" in html and "Park C" in html and "Park A" not in html
    assert "(2)" in html


def test_public_dashboard_cache_follows_writes(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    first = client.get("/")
    assert "parklink_csrf" not in first.headers.get("set-cookie", "")  # no form, no token
    row = re.search(r'<th scope="row">2022</th><td>(\d+)</td>', first.text)
    assert row and row.group(1) == "15"
    assert client.get("/").text == first.text  # served from the cache
    r = client.patch("/api/targets/2022", json={"cumulative_parks": 17}, headers=headers["programme_office"])
    assert r.status_code == 200
    row = re.search(r'<th scope="row">2022</th><td>(\d+)</td>', client.get("/").text)
    assert row and row.group(1) == "17"


def test_concurrent_cold_public_dashboards_render_once(client: TestClient,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Single flight: requests for the public dashboard that arrive while it is being rendered
    (a cold worker under load) wait for that render and get its bytes; before, every
    connection rendered the whole page (status, figures, sections) at once."""
    import threading
    import time

    from parklink.web import pages

    renders: list[int] = []
    real = pages._dashboard_page

    def slow_render(*a, **kw):  # type: ignore[no-untyped-def]
        renders.append(1)
        time.sleep(0.3)  # long enough for every request below to arrive meanwhile
        return real(*a, **kw)

    monkeypatch.setattr(pages, "_dashboard_page", slow_render)
    bodies: list[bytes] = []
    errors: list[BaseException] = []

    def get() -> None:
        try:
            r = client.get("/?lang=en")
            assert r.status_code == 200
            bodies.append(r.content)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=get) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(bodies) == 8 and len(set(bodies)) == 1
    assert len(renders) == 1
    # a logged-in user's dashboard is not the public one: rendered for them, not cached
    _login(client, "office")
    assert client.get("/?lang=en").status_code == 200
    assert len(renders) == 2
