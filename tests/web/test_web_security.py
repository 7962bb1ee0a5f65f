"""Web defects of issue 12 (11, 12b, 13, 14, 16) and issue 11 (authenticate before validating).

Each test drives the application over HTTP (in process) the way the adversarial test did,
so it failed on the code before the fix. The field policy (defect 15) has its own module
(``test_web_policy.py``).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from parklink.store import models as m
from parklink.web.deps import CSRF_COOKIE, SESSION_COOKIE

from .conftest import PASSWORD


def _app_client(web_url: str, address: str = "10.0.0.1") -> TestClient:
    from parklink.web import create_app

    return TestClient(create_app(web_url), client=(address, 40000))


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def page_login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Log in through the form; the session cookie is kept by the client. Returns the page CSRF token."""
    token = _csrf(client.get("/login").text)
    r = client.post("/login", data={"username": username, "password": password, "csrf": token, "next": "/parks"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text[:300]
    home = client.get("/parks")
    return _csrf(home.text)


def _uid(client: TestClient, username: str) -> int:
    with client.app.state.web.sessions() as s:  # type: ignore[attr-defined]
        uid = s.scalar(select(m.User.id).where(m.User.username == username))
    assert uid is not None
    return int(uid)


def _bearer(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/auth/token", json={"username": username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


# --------------------------------------------------------------------------- defect 11
@pytest.mark.parametrize("raw", [b"\xc3\xa9t\xc3\xa9", b"abc.\xe9\xe9", b"\xff"])
def test_non_ascii_credentials_are_simply_invalid(client: TestClient, raw: bytes) -> None:
    """Non-ASCII bytes in a bearer token, session cookie or CSRF cookie: invalid (401), never 500."""
    assert client.get("/api/users/me", headers={"authorization": b"Bearer " + raw}).status_code == 401
    assert client.get("/api/users/me", headers={"cookie": b"parklink_session=" + raw}).status_code == 401
    assert client.get("/", headers={"cookie": b"parklink_session=" + raw}).status_code == 200
    # a planted CSRF cookie must not break the login page (it is replaced by a fresh one)
    r = client.get("/login", headers={"cookie": b"parklink_csrf=" + raw})
    assert r.status_code == 200
    assert r.cookies.get(CSRF_COOKIE, "").isascii()
    r = client.post("/login", headers={"cookie": b"parklink_csrf=" + raw},
                    data={"username": "office", "password": PASSWORD, "csrf": "x"}, follow_redirects=False)
    assert r.status_code == 403
    r = client.patch("/api/parks/sc-a", json={"name_en": "X"},
                     headers={"authorization": b"Bearer " + raw, "x-csrf-token": b"\xe9"})
    assert r.status_code == 401


# --------------------------------------------------------------------------- defect 12 (second half)
def test_designation_year_null_with_revoked_year_is_422(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    office = headers["programme_office"]
    assert client.patch("/api/designations/b1-a-b", json={"revoked_year": 2022}, headers=office).status_code == 200
    r = client.patch("/api/designations/b1-a-b", json={"year": None}, headers=office)
    assert r.status_code == 422, r.text
    assert any(e["field"] == "year" for e in r.json()["errors"]), r.text
    assert client.get("/api/designations/b1-a-b").json()["year"] == 2020  # nothing written


# --------------------------------------------------------------------------- issue 11: 401 before 422
@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/api/parks"), ("PATCH", "/api/parks/sc-a"), ("POST", "/api/zones"), ("POST", "/api/designations"),
    ("PATCH", "/api/designations/b1-a-b"), ("POST", "/api/targets"), ("PATCH", "/api/enterprises/E1"),
    ("POST", "/api/users"), ("PATCH", "/api/users/1"), ("POST", "/api/scenarios"),
])
@pytest.mark.parametrize("body", [None, b"", b"{", b'{"no_such_field": 1}'])
def test_anonymous_write_is_401_before_body_validation(ro_client: TestClient, method: str, path: str,
                                                       body: bytes | None) -> None:
    r = ro_client.request(method, path, content=body, headers={"content-type": "application/json"})
    assert r.status_code == 401, (method, path, body, r.status_code, r.text[:200])


# --------------------------------------------------------------------------- defect 14: CSRF
def test_cookie_authenticated_api_writes_need_the_csrf_token(web_url: str) -> None:
    with _app_client(web_url) as c:
        token = page_login(c, "office")
        writes: list[tuple[str, str, dict[str, Any] | None]] = [
            ("PATCH", "/api/parks/sc-a", {"name_en": "Park A renamed"}),
            ("PATCH", "/api/zones/core-cq", {"name_en": "Core renamed"}),
            ("PATCH", "/api/designations/b1-a-b", {"theme": "auto renamed"}),
            ("PATCH", "/api/targets/2022", {"cumulative_parks": 17}),
            ("PATCH", "/api/enterprises/E1", {"employees": 12001}),
            ("POST", "/api/scenarios", {"name": "csrf-s", "kind": "designation", "params": {}}),
            ("PATCH", f"/api/users/{_uid(c, 'citizen')}", {"display_name": "C"}),
        ]
        for method, path, body in writes:
            r = c.request(method, path, json=body)
            assert r.status_code == 403, (path, r.status_code, r.text[:200])
            assert "CSRF" in r.json()["detail"]
            r = c.request(method, path, json=body, headers={"X-CSRF-Token": token + "x"})
            assert r.status_code == 403, (path, r.status_code)
            r = c.request(method, path, json=body, headers={"X-CSRF-Token": token})
            assert 200 <= r.status_code < 300, (path, r.status_code, r.text[:300])
        # a bearer-token call needs no CSRF token (no ambient credential)
        r = c.patch("/api/parks/sc-a", json={"name_en": "Park A"}, headers=_bearer(c, "office"))
        assert r.status_code == 200


def test_csrf_token_is_bound_to_the_session(web_url: str) -> None:
    """A token (cookie + form value) taken from another session is refused, on forms and the API."""
    with _app_client(web_url, "10.0.0.2") as attacker, _app_client(web_url, "10.0.0.3") as victim:
        stolen = page_login(attacker, "citizen")
        page_login(victim, "office")
        victim.cookies.set(CSRF_COOKIE, stolen)
        r = victim.patch("/api/parks/sc-a", json={"name_en": "pwned"}, headers={"X-CSRF-Token": stolen})
        assert r.status_code == 403, r.text
        r = victim.post("/parks/sc-a/edit", data={"csrf": stolen, "name_zh": "甲", "name_en": "pwned",
                                                  "area_km2": "", "industries": "", "source_url": ""},
                        follow_redirects=False)
        assert r.status_code == 403
        r = victim.post("/logout", data={"csrf": stolen}, follow_redirects=False)
        assert r.status_code == 403
        # an anonymous login-form token is not valid once logged in either
        anon = _app_client(web_url, "10.0.0.4")
        with anon:
            pre = _csrf(anon.get("/login").text)
        victim.cookies.set(CSRF_COOKIE, pre)
        assert victim.patch("/api/parks/sc-a", json={"name_en": "x"}, headers={"X-CSRF-Token": pre}).status_code == 403
        assert victim.get("/api/parks/sc-a").json()["name_en"] != "pwned"
        # after the refused attempts the victim's own page gives a token that works again
        victim.cookies.delete(CSRF_COOKIE)
        own = _csrf(victim.get("/parks").text)
        r = victim.patch("/api/parks/sc-a", json={"name_en": "Park A2"}, headers={"X-CSRF-Token": own})
        assert r.status_code == 200, r.text


# --------------------------------------------------------------------------- defect 16
def test_last_active_office_user_cannot_be_deactivated(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    office = headers["programme_office"]
    uid = _uid(client, "office")
    r = client.patch(f"/api/users/{uid}", json={"active": False}, headers=office)
    assert r.status_code == 409, r.text
    assert client.get("/api/users/me", headers=office).status_code == 200
    # with a second office user, one of them may go
    r = client.post("/api/users", json={"username": "office2", "password": PASSWORD,
                                        "role": "programme_office"}, headers=office)
    assert r.status_code == 201
    assert client.patch(f"/api/users/{uid}", json={"active": False}, headers=office).status_code == 200
    other = _bearer(client, "office2")
    r = client.patch(f"/api/users/{r.json()['id']}", json={"active": False}, headers=other)
    assert r.status_code == 409


@pytest.mark.parametrize("value", [0, 1, "false", "true", "0", "yes"])
def test_booleans_are_strict(client: TestClient, headers: dict[str, dict[str, str]], value: Any) -> None:
    office = headers["programme_office"]
    uid = _uid(client, "citizen")
    r = client.patch(f"/api/users/{uid}", json={"active": value}, headers=office)
    assert r.status_code == 422, r.text
    assert client.get("/api/users/me", headers=headers["public"]).status_code == 200
    r = client.post("/api/scenarios", json={"name": "b", "kind": "designation", "params": {}, "published": value},
                    headers=office)
    assert r.status_code == 422
    r = client.patch("/api/enterprises/E1", json={"leading": value}, headers=office)
    assert r.status_code == 422


def test_datetimes_are_timezone_aware(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    office = headers["programme_office"]
    assert client.patch("/api/parks/sc-a", json={"area_km2": 3.0}, headers=office).status_code == 200
    assert client.post("/api/scenarios", json={"name": "tz", "kind": "designation", "params": {}},
                       headers=office).status_code == 201
    stamps = [client.get("/api/audit", headers=office).json()["items"][0]["at"],
              client.get("/api/scenarios/tz", headers=office).json()["created_at"]]
    for stamp in stamps:
        assert re.search(r"(Z|[+-]\d\d:\d\d)$", stamp), stamp


def test_logout_revokes_the_session_server_side(web_url: str) -> None:
    with _app_client(web_url) as c:
        token = page_login(c, "office")
        cookie = c.cookies.get(SESSION_COOKIE)
        assert cookie and c.get("/api/users/me").status_code == 200
        assert c.post("/logout", data={"csrf": token}, follow_redirects=False).status_code == 303
        c.cookies.clear()
        replay = c.get("/api/users/me", headers={"cookie": f"{SESSION_COOKIE}={cookie}"})
        assert replay.status_code == 401
        # the API token can be revoked too
        h = _bearer(c, "manager")
        assert c.post("/api/auth/logout", headers=h).status_code == 204
        assert c.get("/api/users/me", headers=h).status_code == 401


def test_reactivation_does_not_revive_old_tokens(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    office = headers["programme_office"]
    old = _bearer(client, "manager")
    uid = _uid(client, "manager")
    assert client.patch(f"/api/users/{uid}", json={"active": False}, headers=office).status_code == 200
    assert client.get("/api/users/me", headers=old).status_code == 401
    assert client.patch(f"/api/users/{uid}", json={"active": True}, headers=office).status_code == 200
    assert client.get("/api/users/me", headers=old).status_code == 401
    assert client.get("/api/users/me", headers=_bearer(client, "manager")).status_code == 200


def test_openapi_documents_400_and_405(ro_client: TestClient) -> None:
    spec = ro_client.get("/openapi.json").json()
    missing = [f"{method.upper()} {path}" for path, ops in spec["paths"].items() for method, op in ops.items()
               if path.startswith("/api") and not {"400", "405"} <= set(op["responses"])]
    assert not missing, missing[:10]
    assert ro_client.request("PUT", "/api/parks/sc-a", json={}).status_code == 405
    r = ro_client.post("/api/auth/token", content=b"\xff\xfe", headers={"content-type": "application/json"})
    assert r.status_code in (400, 422)
