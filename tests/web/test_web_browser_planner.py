"""Browser test of the designation planner (/planner): Playwright on Debian's /usr/bin/chromium
against a live uvicorn server (helpers and fixtures of test_web_browser.py).

Logged in as the programme office: run a feasible two-park scenario and save it, follow the
progress bar to the result table, then run a three-park variant compared with the saved
scenario and read the side-by-side comparison. Any request to a non-localhost URL fails.
"""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import PASSWORD
from .test_web_browser import CHROMIUM, browser, guarded_page, server  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not __import__("pathlib").Path(CHROMIUM).exists(),
                                                      reason="/usr/bin/chromium is absent")]


def _login(page: Any, base: str) -> None:
    page.goto(f"{base}/login?next=/planner")
    page.fill("#username", "office")
    page.fill("#password", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{base}/planner")
    page.wait_for_selector("html[data-planner='ready']")


def _constraints(page: Any, count: int, share: str) -> None:
    page.fill("#t-year-0", "2020")
    page.fill("#t-count-0", str(count))
    for i in (1, 2, 3):
        page.fill(f"#t-year-{i}", "")
        page.fill(f"#t-count-{i}", "")
    page.fill("#c-share", share)
    for area in ("critical_development", "transport_node", "adjacent"):
        page.fill(f"#c-area-{area}", "")
    page.uncheck("#c-pairing")


def test_run_a_designation_scenario_and_compare(server: str, browser: Any) -> None:  # noqa: F811
    with guarded_page(browser, server, "planner", viewport={"width": 1280, "height": 900}) as (page, outside):
        _login(page, server)
        assert page.locator("nav a[href='/planner'][aria-current='page']").count() == 1
        # run 1: two parks by 2020, one per province; saved as a scenario
        _constraints(page, 2, "0.5")
        page.fill("#p-save", "browser-two")
        page.click("#p-run")
        page.wait_for_selector("html[data-planner='result']", timeout=90_000)
        assert page.eval_on_selector("#p-progress", "el => el.value") == 1
        rows = page.locator("#p-plan tbody tr")
        assert rows.count() == 3
        assert page.locator("#p-plan tbody tr.selected").count() == 2
        assert "甲园区" in page.inner_text("#p-plan tbody tr.selected >> nth=0") or \
            "甲园区" in page.inner_text("#p-plan tbody")  # bilingual park names
        assert "Park A" in page.inner_text("#p-plan tbody")
        assert page.locator("#p-compare-result").is_hidden()

        # run 2: three parks, compared with the saved scenario; submitted from the keyboard
        _constraints(page, 3, "0")
        page.fill("#p-save", "")
        page.select_option("#p-compare", "browser-two")
        page.focus("#t-count-0")
        page.keyboard.press("Enter")
        page.wait_for_selector("html[data-planner='result']", timeout=90_000)
        page.wait_for_selector("#p-compare-result:not([hidden])")
        assert page.locator("#p-side-a li").count() == 3
        assert page.locator("#p-side-b li").count() == 2
        assert "browser-two" in page.inner_text("#p-side-b-h")
        diff = page.locator("#p-diff tbody tr")
        assert diff.count() == 1
        assert "only in A" in diff.first.inner_text()

        # the language switch keeps the page and puts English first
        page.click("#lang-switch")
        page.wait_for_selector("html[lang='en'][data-planner='ready']")
        assert page.inner_text("h1").startswith("Designation planner")
        assert not outside, outside


def test_planner_at_phone_width(server: str, browser: Any) -> None:  # noqa: F811
    with guarded_page(browser, server, "planner-phone", viewport={"width": 375, "height": 800}) as (page, outside):
        page.goto(f"{server}/planner")
        page.wait_for_selector("html[data-planner='ready']")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 376, width  # no horizontal scrolling of the page (tables scroll inside)
        assert page.locator("#p-constraints").get_attribute("disabled") is not None  # anonymous: read-only
        page.click("#p-run")  # the built-in scenario as is: allowed for everybody
        page.wait_for_selector("html[data-planner='result']", timeout=90_000)
        assert page.locator("#p-infeasible").is_visible()  # 3 parks cannot meet 10/15/20
        assert not outside, outside
