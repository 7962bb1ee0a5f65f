"""Browser tests of the chain explorer and the park page's analysis sections (Playwright on
Debian's /usr/bin/chromium against a live uvicorn server; helpers of test_web_browser.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import live_server, load_registry
from .test_web_browser import CHROMIUM, browser, guarded_page  # noqa: F401 (browser: fixture)
from .test_web_chain_pages import write_firm_dataset

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="/usr/bin/chromium is absent (apt-get install -y chromium)"),
]


@pytest.fixture(scope="module")
def chain_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A uvicorn server on the tiny registry with the hand-made synthetic firm dataset."""
    from parklink.settings import get_settings
    from parklink.store.db import get_engine
    from parklink.web.park_analyses import clear_cache

    root = tmp_path_factory.mktemp("livechains")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PARKLINK_DATA_DIR", str(root / "data"))
        get_settings.cache_clear()
        write_firm_dataset(root / "data" / "firms")
        url = load_registry(f"sqlite:///{root / 'live.sqlite'}", users=False)
        from parklink.web import create_app

        clear_cache()
        with live_server(create_app(url)) as base:
            yield base, root / "data"
        get_engine(url).dispose()
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def _server_data_dir(isolated_settings: Path, chain_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The server thread reads the settings too: keep them on its data directory."""
    from parklink.settings import get_settings

    monkeypatch.setenv("PARKLINK_DATA_DIR", str(chain_server[1]))
    get_settings.cache_clear()


def _until(check: Any, timeout: float = 20.0) -> None:
    """Poll ``check()`` until true (the page's CSP forbids Playwright's string predicates)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.1)


def _diagnosed(page: Any) -> None:
    """Wait for chains.js to render the diagnosis (fail with its error message otherwise)."""
    try:
        page.wait_for_selector("html[data-diagnosis-ready]", state="attached", timeout=60_000)
    except Exception:
        print("job message:", page.text_content("#job-message"), page.get_attribute("#job-progress", "value"))
        raise
    state = page.get_attribute("html", "data-diagnosis-ready")
    assert state == "1", page.text_content("#diag-error")


def test_chain_explorer_diagram_diagnosis_and_sankey(chain_server: tuple[str, Path], browser: Any) -> None:  # noqa: F811
    base = chain_server[0]
    with guarded_page(browser, base, "chains", viewport={"width": 1280, "height": 900}) as (page, outside):
        page.goto(f"{base}/chains")
        page.click("a[href='/chains/auto']")
        page.wait_for_url(f"{base}/chains/auto")
        nodes = page.locator("#chain-svg a.seg")
        assert nodes.count() == 2
        assert page.locator("#chain-svg path.edge").count() == 1
        # diagnosis (jobs API: submit, poll, result) colours the nodes and fills the tables
        _diagnosed(page)
        assert page.locator("#chain-svg a.seg.present").count() == 2
        assert page.text_content("#chain-svg a.seg[data-segment='auto.castings'] text.cnt") == "2"
        assert page.locator("#completeness-table tbody tr").count() == 1
        note = page.locator("#synthetic-note")
        assert note.is_visible() and "合成" in note.inner_text() and "ynthetic" in note.inner_text()
        # Sankey drawn as SVG paths: SC suppliers → castings → CQ buyers and CQ → vehicles → SC (2023)
        page.wait_for_selector("html[data-sankey-ready='1']")
        assert page.locator("#sankey path.sankey-link").count() == 4
        assert page.locator("#sankey g.sankey-node").count() == 6
        assert page.locator("#flows-table tbody tr").count() == 2
        page.select_option("#flow-year", "2022")
        _until(lambda: page.locator("#sankey path.sankey-link").count() == 2)
        # keyboard: Tab reaches the segments; Enter jumps to the details row
        page.focus("#chain-svg a.seg[data-segment='auto.castings']")
        assert page.locator("#chain-svg path.edge.hl").count() == 1
        page.keyboard.press("Enter")
        _until(lambda: page.evaluate("() => document.activeElement && document.activeElement.id") == "seg-auto.castings")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 1280
        assert outside == [], outside


def test_chain_explorer_other_scope_and_phone_width(chain_server: tuple[str, Path], browser: Any) -> None:  # noqa: F811
    base = chain_server[0]
    with guarded_page(browser, base, "chains-phone", viewport={"width": 375, "height": 812}, is_mobile=True) as (
            page, outside):
        page.goto(f"{base}/chains/auto?lang=en")
        page.select_option("#scope-select", "park:sc-a")
        page.click("#scope-form button[type=submit]")
        page.wait_for_url("**/chains/auto?scope=park%3Asc-a*")
        _diagnosed(page)
        assert page.text_content("#chain-svg a.seg[data-segment='auto.vehicles'] text.cnt") == "1"  # F5
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 380, f"chain page is {width}px wide at phone width"
        assert outside == [], outside


def test_park_page_sections(chain_server: tuple[str, Path], browser: Any) -> None:  # noqa: F811
    base = chain_server[0]
    with guarded_page(browser, base, "park-analyses", viewport={"width": 1280, "height": 900}) as (page, outside):
        page.goto(f"{base}/parks/sc-a")
        assert page.locator("#h-eval").is_visible()
        assert page.locator("#eval-table tbody tr").count() >= 5
        assert page.inner_text("#eval-rank").strip().endswith("/ 3")
        assert page.locator("#access-table tbody tr").count() == 6  # two polar cores, four hub kinds
        _diagnosed(page)
        assert page.locator("#completeness-table tbody tr").count() >= 1
        assert page.locator("#synthetic-note").is_visible()
        assert outside == [], outside
    with guarded_page(browser, base, "park-phone", viewport={"width": 375, "height": 812}, is_mobile=True) as (page, _):
        page.goto(f"{base}/parks/sc-a", wait_until="networkidle")
        _diagnosed(page)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 380, f"park page is {width}px wide at phone width"
