"""Browser tests: Playwright driving Debian's /usr/bin/chromium against a live uvicorn server.

Each test records every request the page makes (route interception) and fails if any goes
to a host other than the local server. On failure a screenshot is saved and its path is
printed (directory: ``$PARKLINK_TEST_ARTIFACTS`` or ``/tmp/parklink-test-artifacts``).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from .conftest import PASSWORD, live_server, load_registry

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(os.environ.get("PARKLINK_TEST_ARTIFACTS", "/tmp/parklink-test-artifacts"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason="/usr/bin/chromium is absent (apt-get install -y chromium; make test installs it)"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A uvicorn server on a free loopback port, on a fresh registry with one user per role."""
    from parklink.settings import get_settings
    from parklink.store.db import get_engine

    root = tmp_path_factory.mktemp("live")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PARKLINK_DATA_DIR", str(root / "data"))
        get_settings.cache_clear()
        url = load_registry(f"sqlite:///{root / 'live.sqlite'}")
        from parklink.web import create_app

        with live_server(create_app(url)) as base:
            yield base
        get_engine(url).dispose()
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@contextmanager
def guarded_page(browser: Any, base: str, name: str, **context_kw: Any) -> Iterator[tuple[Any, list[str]]]:
    """A page whose requests to other hosts are aborted and recorded; screenshot on failure."""
    context = browser.new_context(**context_kw)
    page = context.new_page()
    page.set_default_timeout(60_000)
    local = urlparse(base).netloc
    outside: list[str] = []

    def route(r: Any) -> None:
        u = urlparse(r.request.url)
        if u.scheme in ("data", "blob") or u.netloc == local:
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    try:
        yield page, outside
    except BaseException:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"{name}-{int(time.time())}.png"
        try:
            page.screenshot(path=str(shot), full_page=True)
            print(f"\nscreenshot of the failing page: {shot}")
        except Exception as exc:  # the page itself may be gone
            print(f"\nno screenshot ({exc})")
        raise
    finally:
        context.close()


def test_login_dashboard_map_park_and_language(server: str, browser: Any) -> None:
    with guarded_page(browser, server, "journey", viewport={"width": 1280, "height": 900}) as (page, outside):
        page.goto(f"{server}/login")
        page.fill("#username", "office")
        page.fill("#password", PASSWORD)
        page.click("form.login button[type=submit]")
        page.wait_for_url(f"{server}/")
        assert "office" in page.inner_text("header")
        page.wait_for_selector("html[data-plots-ready='1']")
        bars = page.locator("#plot-by_year .main-svg .bars path").count()
        assert bars >= 2  # named + unnamed bars drawn as SVG paths

        page.goto(f"{server}/map")
        page.wait_for_selector("html[data-map-ready='1']")
        districts = page.locator("#map path.choroplethlocation").count()
        assert districts == 221
        filled = page.evaluate(
            "() => [...document.querySelectorAll('#map path.choroplethlocation')]"
            ".filter(p => (p.getAttribute('d') || '').length > 20).length"
        )
        assert filled == 221  # every district has real geometry
        parks = page.locator("#map g.trace.scattergeo").last.locator("path.point")
        assert parks.count() == 3
        page.select_option("#indicator", "designated")
        page.wait_for_selector("html[data-map-ready='1']")
        box = parks.first.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_url(re.compile(r".*/parks/[a-z-]+$"))
        assert page.locator("table.facts tbody tr").count() == 11

        page.goto(f"{server}/parks/sc-a")
        assert page.get_attribute("html", "lang") == "zh-Hans"
        assert page.inner_text("#park-name").startswith("甲园区")
        page.click("#lang-switch")
        page.wait_for_function("document.documentElement.lang === 'en'")
        assert page.inner_text("#park-name").startswith("Park A")
        page.goto(f"{server}/")
        assert page.get_attribute("html", "lang") == "en"  # remembered across pages
        assert outside == [], outside


@pytest.mark.parametrize("path", ["/", "/map", "/parks", "/parks/cq-b", "/login", "/docs"])
def test_no_request_leaves_localhost(server: str, browser: Any, path: str) -> None:
    with guarded_page(browser, server, "offline" + path.replace("/", "_")) as (page, outside):
        seen: list[str] = []
        page.on("request", lambda r: seen.append(r.url))
        page.goto(f"{server}{path}", wait_until="networkidle")
        if path == "/map":
            page.wait_for_selector("html[data-map-ready='1']")
        assert seen, "no request recorded"
        assert outside == [], f"{path} requested non-local URLs: {outside}"


def test_phone_width_has_no_horizontal_overflow(server: str, browser: Any) -> None:
    with guarded_page(browser, server, "phone", viewport={"width": 375, "height": 812}, is_mobile=True) as (page, _):
        for path in ("/", "/parks", "/parks/sc-a", "/map"):
            page.goto(f"{server}{path}", wait_until="networkidle")
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 380, f"{path} is {width}px wide at phone width"
        page.wait_for_selector("html[data-map-ready='1']")
        assert page.locator("#map path.choroplethlocation").count() == 221


def test_keyboard_reaches_navigation(server: str, browser: Any) -> None:
    with guarded_page(browser, server, "keyboard") as (page, _):
        page.goto(f"{server}/parks")
        page.keyboard.press("Tab")
        assert page.evaluate("() => document.activeElement.className") == "skip"
        page.keyboard.press("Enter")
        labels = page.evaluate("() => [...document.querySelectorAll('select, input')].every("
                               "e => e.type === 'hidden' || (e.id && document.querySelector(`label[for=\"${e.id}\"]`)))")
        assert labels  # every form control has a label
