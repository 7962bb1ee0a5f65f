"""Authentication: Argon2 hashes, signed tokens, CSRF, login rate limiting, users, first run."""

from __future__ import annotations

import os
import re
import stat
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from parklink.web.security import (
    LoginThrottle,
    TokenSigner,
    hash_password,
    load_secret,
    verify_password,
)

from .conftest import PASSWORD


def test_argon2_hash_roundtrip() -> None:
    h = hash_password("a long enough password")
    assert h.startswith("$argon2id$")  # PHC string of Argon2id (RFC 9106)
    assert verify_password(h, "a long enough password")
    assert not verify_password(h, "a long enough passwore")
    assert not verify_password("not a hash", "whatever")


def test_tokens_are_signed_purpose_bound_and_expire() -> None:
    signer = TokenSigner(b"k" * 32)
    tok = signer.issue("api", 7, "$argon2id$hash", ttl_s=60, sid="s1")
    claims = signer.verify(tok, "api")
    assert claims is not None and claims.user_id == 7 and claims.sid == "s1"
    assert signer.verify(tok, "session") is None  # a token of one purpose is not valid for another
    payload, sig = tok.split(".")
    assert signer.verify(payload + "." + sig[:-2] + ("AA" if sig[-2:] != "AA" else "BB"), "api") is None
    assert TokenSigner(b"z" * 32).verify(tok, "api") is None  # other installation's secret
    assert signer.verify(signer.issue("api", 7, "h", ttl_s=-1, sid="s1"), "api") is None  # expired
    assert signer.fingerprint("h1") != signer.fingerprint("h2")


def test_csrf_tokens() -> None:
    signer = TokenSigner(b"k" * 32)
    tok = signer.new_csrf()
    assert signer.csrf_ok(tok, tok)
    assert not signer.csrf_ok(tok, signer.new_csrf())
    bound = signer.new_csrf("sid-1")
    assert signer.csrf_ok(bound, bound, "sid-1")
    assert not signer.csrf_ok(bound, bound, "sid-2") and not signer.csrf_ok(bound, bound)  # bound to its session
    assert not signer.csrf_ok(None, tok)
    forged = "abc.def"
    assert not signer.csrf_ok(forged, forged)


def test_throttle_window() -> None:
    lim = LoginThrottle(free_per_address=2, free_per_pair=2, free_per_account=2, decay_s=0.2)
    assert lim.wait("k", "a") == 0
    lim.failed("k", "a")
    lim.failed("k", "a")
    assert lim.wait("k", "a") >= 1
    time.sleep(0.25)
    assert lim.wait("k", "a") == 0


def test_secret_is_generated_private_and_stable(tmp_path: Path) -> None:
    first = load_secret(tmp_path / "d")
    assert len(first) == 32
    mode = stat.S_IMODE(os.stat(tmp_path / "d" / "web-secret.key").st_mode)
    assert mode == 0o600
    assert load_secret(tmp_path / "d") == first


def test_secret_creation_is_race_free(tmp_path: Path) -> None:
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(3) as pool:  # several workers starting at once on a fresh data dir
        secrets = list(pool.map(load_secret, [tmp_path / "race"] * 6))
    assert len(set(secrets)) == 1 and len(secrets[0]) == 32
    assert [p.name for p in (tmp_path / "race").iterdir()] == ["web-secret.key"]


def test_token_login_and_me(client: TestClient) -> None:
    r = client.post("/api/auth/token", json={"username": "manager", "password": PASSWORD})
    assert r.status_code == 200
    h = {"Authorization": f"Bearer {r.json()['access_token']}"}
    me = client.get("/api/users/me", headers=h).json()
    assert me["role"] == "park_manager" and me["parks"] == ["sc-a"] and "password_hash" not in me
    assert client.get("/api/users/me").status_code == 401
    assert client.get("/api/scenarios", headers={"Authorization": "Bearer garbage"}).status_code == 401


def test_login_is_rate_limited(client: TestClient) -> None:
    for _ in range(5):
        r = client.post("/api/auth/token", json={"username": "office", "password": "wrong password!"})
        assert r.status_code == 401
    r = client.post("/api/auth/token", json={"username": "office", "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


def test_password_change_and_deactivation_revoke_tokens(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    from sqlalchemy import select, update

    from parklink.store import models as m

    h = headers["public"]
    assert client.get("/api/users/me", headers=h).status_code == 200
    state = client.app.state.web  # type: ignore[attr-defined]
    with state.sessions() as s, s.begin():
        s.execute(update(m.User).where(m.User.username == "citizen").values(password_hash=hash_password("new password 123")))
    assert client.get("/api/users/me", headers=h).status_code == 401
    office = headers["programme_office"]
    with state.sessions() as s:
        uid = s.scalar(select(m.User.id).where(m.User.username == "manager"))
    assert client.patch(f"/api/users/{uid}", json={"active": False}, headers=office).status_code == 200
    assert client.get("/api/users/me", headers=headers["park_manager"]).status_code == 401


def test_users_api_validation(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    office = headers["programme_office"]
    cases = [
        ({"username": "x1", "password": "short", "role": "public"}, "password"),
        ({"username": "x2", "password": "long enough pw", "role": "admin"}, "role"),
        ({"username": "office", "password": "long enough pw", "role": "public"}, "username"),
        ({"username": "x3", "password": "long enough pw", "role": "park_manager", "parks": ["nope"]}, "parks"),
        ({"username": "x4", "password": "long enough pw", "role": "enterprise"}, "enterprise_id"),
        ({"username": "x5", "password": "long enough pw", "role": "public", "parks": ["sc-a"]}, "parks"),
    ]
    for body, field in cases:
        r = client.post("/api/users", json=body, headers=office)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["errors"][0]["field"] == field, r.text
    r = client.post("/api/users", json={"username": "m2", "password": "long enough pw", "role": "park_manager",
                                        "parks": ["cq-b"]}, headers=office)
    assert r.status_code == 201 and r.json()["parks"] == ["cq-b"]
    names = [u["username"] for u in client.get("/api/users", headers=office).json()]
    assert names == ["office", "manager", "firm", "citizen", "m2"]
    audit = client.get("/api/audit?entity=users", headers=office).json()["items"][0]
    assert "password" not in str(audit) or "password_hash" not in str(audit)
    assert "long enough pw" not in str(audit)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_page_login_with_csrf(client: TestClient) -> None:
    page = client.get("/login")
    token = _csrf(page.text)
    r = client.post("/login", data={"username": "office", "password": PASSWORD, "next": "/parks"},
                    follow_redirects=False)
    assert r.status_code == 403  # no CSRF token in the form
    r = client.post("/login", data={"username": "office", "password": PASSWORD, "csrf": token + "x", "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 403
    r = client.post("/login", data={"username": "office", "password": "wrong password", "csrf": token, "next": "/"})
    assert r.status_code == 401 and "wrong user name or password" in r.text
    r = client.post("/login", data={"username": "office", "password": PASSWORD, "csrf": token,
                                    "next": "https://evil.example/"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"  # no open redirect
    cookie = r.cookies.get("parklink_session") or client.cookies.get("parklink_session")
    assert cookie
    home = client.get("/")
    assert "office" in home.text and "示范园区办公室" in home.text
    # the session cookie is for pages: the API ignores nothing but also needs no token for reads
    r = client.post("/logout", data={"csrf": _csrf(home.text)}, follow_redirects=False)
    assert r.status_code == 303
    client.cookies.delete("parklink_session")
    assert "office" not in client.get("/").text


def test_cli_users_add_and_list(web_url: str) -> None:
    import typer

    from parklink.web.cli import register

    app = typer.Typer()
    register(app)
    runner = CliRunner()
    r = runner.invoke(app, ["users", "add", "boss", "--role", "programme_office", "--password-stdin",
                            "--database", web_url], input="a very long password\n")
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["users", "add", "pm", "--role", "park_manager", "--park", "cq-b", "--park", "cq-c",
                            "--password-stdin", "--database", web_url], input="a very long password\n")
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["users", "add", "bad", "--role", "king", "--password-stdin", "--database", web_url],
                      input="a very long password\n")
    assert r.exit_code == 1 and "role" in r.output
    r = runner.invoke(app, ["users", "add", "weak", "--role", "public", "--password-stdin", "--database", web_url],
                      input="short\n")
    assert r.exit_code == 1 and "password" in r.output
    r = runner.invoke(app, ["users", "add", "hidden", "--role", "public", "--database", web_url],
                      input="a very long password\na very long password\n")
    assert r.exit_code == 0, r.output
    assert "a very long password" not in r.output  # hidden prompt
    r = runner.invoke(app, ["users", "list", "--database", web_url])
    assert r.exit_code == 0
    assert "boss" in r.output and "cq-b; cq-c" in r.output  # list cells wrap at "; " (80 columns)


def test_first_run_hint_without_admin(sqlite_url: str, caplog: pytest.LogCaptureFixture) -> None:
    from .conftest import load_registry

    load_registry(sqlite_url, users=False)
    from parklink.web import create_app

    with caplog.at_level("WARNING", logger="parklink.web"), TestClient(create_app(sqlite_url)):
        pass
    assert "parklink users add" in caplog.text and "programme_office" in caplog.text
