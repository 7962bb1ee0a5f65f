"""Login throttling (issue 12, defect 13): per address and per account, with backoff, no
attacker-triggered lock-out of a user who logs in from a familiar place, and forwarded
headers trusted only when configured."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from .conftest import PASSWORD, live_server


def _client(web_url: str, address: str) -> TestClient:
    from parklink.web import create_app

    return TestClient(create_app(web_url), client=(address, 40000))


def _login(c: TestClient, username: str, password: str) -> int:
    return c.post("/api/auth/token", json={"username": username, "password": password}).status_code


def test_own_successful_logins_do_not_reset_the_address_budget(web_url: str) -> None:
    """An attacker with one own account interleaves successful logins with guesses against
    other accounts: before the fix 30 guesses in a row were answered; now the address is
    throttled after its free budget whatever the outcome of the attacker's own logins."""
    from parklink.web import create_app
    from parklink.web.security import LoginThrottle

    app = create_app(web_url)
    with TestClient(app, client=("10.9.9.9", 1)) as c:
        answered = 0
        for i in range(30):
            target = ("manager", "citizen", "firm")[i % 3]
            status = _login(c, target, f"guess number {i}")
            assert status in (401, 429)
            answered += status == 401
            if i % 4 == 3:
                assert _login(c, "office", PASSWORD) in (200, 429)
        # the free budget, plus the few attempts the backoff (1 s, 2 s, ...) lets through
        # while the 30 attempts take their time (each costs an Argon2 verification)
        assert answered <= LoginThrottle().free_per_address + 3, answered


def test_attacker_cannot_lock_out_a_user_from_a_familiar_place(web_url: str) -> None:
    from parklink.web import create_app

    app = create_app(web_url)
    with TestClient(app, client=("10.1.1.1", 1)) as user, TestClient(app, client=("10.6.6.6", 1)) as attacker, \
            TestClient(app, client=("10.7.7.7", 1)) as attacker2:
        assert _login(user, "office", PASSWORD) == 200  # the user's usual place
        for i in range(25):
            _login(attacker, "office", f"wrong guess {i}")
            _login(attacker2, "office", f"wrong guess {i}")
        assert _login(attacker, "office", PASSWORD) == 429  # the attacker is throttled...
        assert _login(user, "office", PASSWORD) == 200  # ...the user is not locked out
        assert _login(user, "office", PASSWORD) == 200


def test_device_cookie_exempts_from_the_account_throttle(web_url: str) -> None:
    import re

    from parklink.web import create_app
    from parklink.web.deps import DEVICE_COOKIE

    app = create_app(web_url)
    with TestClient(app, client=("10.1.1.2", 1)) as home:
        token = re.search(r'name="csrf" value="([^"]+)"', home.get("/login").text)
        assert token
        r = home.post("/login", data={"username": "manager", "password": PASSWORD, "csrf": token.group(1)},
                      follow_redirects=False)
        assert r.status_code == 303
        device = home.cookies.get(DEVICE_COOKIE)
        assert device
    with TestClient(app, client=("10.6.6.7", 1)) as attacker:
        for i in range(25):
            _login(attacker, "manager", f"wrong guess {i}")
    with TestClient(app, client=("10.2.2.2", 1)) as travelling, TestClient(app, client=("10.2.2.3", 1)) as stranger:
        assert _login(stranger, "manager", PASSWORD) == 429  # unfamiliar, no device cookie: throttled
        r = stranger.post("/api/auth/token", json={"username": "manager", "password": PASSWORD})
        assert 0 < int(r.headers["Retry-After"]) <= 300  # a bounded wait, never a lock
        travelling.cookies.set(DEVICE_COOKIE, device)
        assert _login(travelling, "manager", PASSWORD) == 200
        travelling.cookies.set(DEVICE_COOKIE, device[:-3] + "AAA")  # a forged device cookie is ignored
        assert _login(travelling, "office", PASSWORD) in (200, 429)


def test_throttle_backoff_and_decay() -> None:
    from parklink.web.security import LoginThrottle

    now = [1000.0]
    th = LoginThrottle(free_per_address=3, free_per_account=3, free_per_pair=5, base_s=1.0, cap_s=8.0,
                       decay_s=60.0, clock=lambda: now[0])
    for _ in range(3):
        assert th.wait("alice", "1.1.1.1") == 0
        th.failed("alice", "1.1.1.1")
    assert th.wait("alice", "1.1.1.1") == 1  # budgets of 3 spent: base_s * 2**0
    assert th.wait("bob", "1.1.1.1") == 1  # the address budget covers every account
    assert th.wait("alice", "9.9.9.9") == 1  # the account budget covers every unfamiliar address
    waits = []
    for _ in range(6):
        now[0] += th.wait("alice", "1.1.1.1")  # wait as told, then fail again
        th.failed("alice", "1.1.1.1")
        waits.append(th.wait("alice", "1.1.1.1"))
    assert waits == [2, 4, 8, 8, 8, 8]  # doubling, capped at cap_s
    th.succeeded("alice", "1.1.1.1")
    assert th.wait("alice", "1.1.1.1") > 0  # a success does not reset the address
    assert th.wait("bob", "2.2.2.2") == 0
    now[0] += 61
    assert th.wait("alice", "1.1.1.1") == 0  # failures decay


def test_forwarded_headers_are_not_trusted_by_default(web_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    from parklink.settings import get_settings
    from parklink.web import create_app
    from parklink.web.app import uvicorn_options

    get_settings.cache_clear()
    opts = uvicorn_options(get_settings())
    assert opts["proxy_headers"] is False
    # live: rotating X-Forwarded-For from 127.0.0.1 does not give fresh addresses
    app = create_app(web_url)
    config_cls = uvicorn.Config

    def config(app_: object, **kw: object) -> uvicorn.Config:
        return config_cls(app_, **{**kw, **opts})  # type: ignore[arg-type]

    monkeypatch.setattr(uvicorn, "Config", config)
    with live_server(app) as base:
        statuses = [httpx.post(f"{base}/api/auth/token", json={"username": "office", "password": f"bad {i}"},
                               headers={"X-Forwarded-For": f"203.0.113.{i}"}, timeout=30).status_code
                    for i in range(25)]
    assert 429 in statuses
    monkeypatch.setenv("PARKLINK_WEB_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.5")
    get_settings.cache_clear()
    try:
        opts = uvicorn_options(get_settings())
        assert opts["proxy_headers"] is True and opts["forwarded_allow_ips"] == "127.0.0.1,10.0.0.5"
    finally:
        get_settings.cache_clear()


def test_workers_sharing_the_throttle_file_share_one_budget(tmp_path: Path) -> None:
    """Two worker processes of one server (two throttles on one file, separate SQLite
    connections) count failures together: the address budget is spent once, not twice."""
    from parklink.web.security import LoginThrottle

    now = [1_000_000.0]
    path = tmp_path / "login-throttle.sqlite"
    workers = [LoginThrottle(path=path, clock=lambda: now[0]) for _ in range(2)]
    for i in range(10):  # 10 free failures per address, alternating between the workers
        worker = workers[i % 2]
        assert worker.wait(f"user{i}", "10.0.0.7") == 0
        worker.failed(f"user{i}", "10.0.0.7")
    # the 11th attempt waits on both workers (alone, each had seen only 5 failures)
    assert workers[0].wait("someone", "10.0.0.7") == 1
    assert workers[1].wait("someone", "10.0.0.7") == 1
    # a success in one worker makes the place familiar for the other
    workers[0].succeeded("alice", "10.0.0.8")
    assert workers[1]._is_familiar("alice", "10.0.0.8")
    # decay: 15 minutes after the last failure the address is free again everywhere
    now[0] += 901
    assert workers[1].wait("someone", "10.0.0.7") == 0
    # an in-process throttle (no file) keeps its own count
    alone = LoginThrottle(clock=lambda: now[0])
    for i in range(5):
        alone.failed(f"user{i}", "10.0.0.9")
    assert alone.wait("x", "10.0.0.9") == 0


def test_serve_with_workers_gives_them_one_throttle_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """``parklink serve --workers N`` points every worker at one throttle file of that run."""
    from parklink.web import cli as web_cli
    from parklink.web import server
    from parklink.web.app import THROTTLE_FILE_ENV, _throttle_file

    seen: dict[str, object] = {}

    def fake_serve(target: object, **kw: object) -> int:
        import os

        seen["target"], seen["workers"], seen["file"] = target, kw.get("workers"), os.environ.get(THROTTLE_FILE_ENV)
        seen["resolved"] = _throttle_file()
        return 0

    monkeypatch.setattr(server, "serve_workers", fake_serve)
    monkeypatch.delenv(THROTTLE_FILE_ENV, raising=False)
    monkeypatch.setattr(web_cli, "_first_admin_hint", lambda url: None)
    monkeypatch.setattr("parklink.store.db.is_initialised", lambda url: True)
    monkeypatch.setattr("parklink.store.seed.has_data", lambda url: True)
    web_cli.serve(host="127.0.0.1", port=8123, database="sqlite:///unused.sqlite", workers=2)
    assert seen["target"] == "parklink.web.asgi:app" and seen["workers"] == 2
    assert isinstance(seen["file"], str) and str(seen["file"]).endswith("login-throttle.sqlite")
    assert str(seen["resolved"]) == seen["file"]
    assert _throttle_file() is None  # the run's file is gone and so is its path
