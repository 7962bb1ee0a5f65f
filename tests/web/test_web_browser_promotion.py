"""Browser tests of the promotion pages (issue 14): Playwright driving /usr/bin/chromium
against a live uvicorn server — create a lead from a plan target, advance it to signed from
its page, and see the KPI change; every promotion page at phone width (390 px) without
horizontal overflow; no request leaves the local server."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest

from .conftest import PASSWORD, live_server, load_registry
from .promotion_seed import seed_ledger
from .test_web_browser import ARGS, CHROMIUM, guarded_page
from .test_web_browser import pytestmark as browser_marks

pytestmark = browser_marks  # marked browser; skipped without /usr/bin/chromium


@pytest.fixture(scope="module")
def promo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live server on a registry with the hand-made promotion ledger."""
    from parklink.settings import get_settings
    from parklink.store.db import get_engine

    root = tmp_path_factory.mktemp("live-promo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PARKLINK_DATA_DIR", str(root / "data"))
        get_settings.cache_clear()
        url = load_registry(f"sqlite:///{root / 'live.sqlite'}")
        seed_ledger(url)
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


def _signed(page: Any, base: str) -> int:
    page.goto(f"{base}/promotion/kpi?by=park")
    return int(page.inner_text("#h-total + ul.kpis [data-kpi='n_signed']"))


def test_lead_from_target_advanced_to_signed_changes_the_kpi(promo_server: str, browser: Any) -> None:
    base = promo_server
    with guarded_page(browser, base, "promotion-flow", viewport={"width": 1280, "height": 900}) as (page, outside):
        page.goto(f"{base}/login?next=/promotion/plans/PL-A")
        page.fill("#username", "manager")
        page.fill("#password", PASSWORD)
        page.click("form.login button[type=submit]")
        page.wait_for_url(f"{base}/promotion/plans/PL-A")
        before = _signed(page, base)
        page.goto(f"{base}/promotion/plans/PL-A")
        row = page.locator("tr[data-target='PL-A:auto.castings:E2']")
        row.locator("button.make-lead").click()
        page.wait_for_url(re.compile(r".*/promotion/plans/PL-A\?created=PRJ-[0-9A-F]+$"))
        assert row.locator("a").count() == 1 and "线索" in row.inner_text()  # the target now links its lead
        page.click("#created-lead")
        page.wait_for_url(re.compile(r".*/promotion/projects/PRJ-[0-9A-F]+$"))
        assert page.get_attribute("#stage", "data-stage") == "lead"
        assert "chains.targets/test0001" in page.inner_text("table.facts")  # the recommendation it came from
        page.select_option("#a-stage", "signed")
        page.fill("#a-date", dt.date.today().isoformat())
        page.fill("#a-source", "签约合同 contract")
        page.click("#advance-form button[type=submit]")
        page.wait_for_url(re.compile(r".*\?saved=1$"))
        assert page.get_attribute("#stage", "data-stage") == "signed"
        assert page.locator("#timeline li").count() == 2
        assert _signed(page, base) == before + 1
        page.goto(f"{base}/promotion?park=sc-a")
        assert page.locator("section[data-stage='signed'] li[data-project^='PRJ-']").count() == 1
        assert outside == [], outside


def test_promotion_pages_fit_a_phone(promo_server: str, browser: Any) -> None:
    with guarded_page(browser, promo_server, "promotion-phone", viewport={"width": 390, "height": 844},
                      is_mobile=True) as (page, outside):
        for path in ("/promotion", "/promotion/projects/P1", "/promotion/events/EV1", "/promotion/plans/PL-A",
                     "/promotion/kpi?by=park", "/promotion/kpi?by=event", "/"):
            page.goto(f"{promo_server}{path}", wait_until="networkidle")
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 395, f"{path} is {width}px wide at phone width"
            if path.startswith("/promotion/kpi"):
                assert page.locator("#kpi-charts svg rect").count() >= 1  # server-side SVG bars drawn
        assert outside == [], outside


def _funds_rate(page: Any, base: str) -> str:
    page.goto(f"{base}/promotion/kpi?by=park")
    return str(page.inner_text("#h-total + ul.kpis [data-kpi='funds_rate']")).strip()


def test_new_project_form_then_funds_move_the_funds_in_place_rate(promo_server: str, browser: Any) -> None:
    """The park manager records a signed project from the form (a field error first), then
    funds in place from its page; the KPI page's funds-in-place rate follows: signed P1 100,
    P3 50, P4 20 and the new 100 M CNY (a lead made from a target has no amount) with 30 + 50
    in place → 80 / 270 = 29.6 %, and 140 / 270 = 51.9 % after 60 more."""
    base = promo_server
    with guarded_page(browser, base, "promotion-forms", viewport={"width": 1280, "height": 900}) as (page, outside):
        page.goto(f"{base}/login?next=/promotion")
        page.fill("#username", "manager")
        page.fill("#password", PASSWORD)
        page.click("form.login button[type=submit]")
        page.wait_for_url(f"{base}/promotion")
        page.click("#new-project")
        page.wait_for_url(f"{base}/promotion/projects/new")
        page.fill("#f-name_zh", "浏览器签约项目")
        page.fill("#f-investor_name", "丙电子 Gamma Electronics")
        page.fill("#f-origin_province", "GD")
        page.select_option("#f-chain", "electronics")
        page.fill("#f-signed_investment_cny_m", "-100")
        page.select_option("#f-stage", "signed")
        page.fill("#f-on_date", dt.date.today().isoformat())
        page.click("#project-form button[type=submit]")
        assert "不能为负" in page.inner_text("#e-signed_investment_cny_m")  # the field's own error, typed values kept
        assert page.input_value("#f-name_zh") == "浏览器签约项目"
        page.fill("#f-signed_investment_cny_m", "100")
        page.click("#project-form button[type=submit]")
        page.wait_for_url(re.compile(r".*/promotion/projects/PRJ-[0-9A-F]+\?saved=created$"))
        project_url = page.url.split("?")[0]
        assert page.get_attribute("#stage", "data-stage") == "signed"
        assert _funds_rate(page, base) == "29.6%"
        page.goto(project_url)
        page.fill("#f-amount_cny_m", "60")
        page.select_option("#f-use", "fixed_assets")
        page.fill("#f-source", "银行回单 bank slip")
        page.click("#funds-form button[type=submit]")
        page.wait_for_url(re.compile(r".*\?saved=funds$"))
        assert page.inner_text("#funds-total").strip() == "60.0"
        assert _funds_rate(page, base) == "51.9%"
        page.set_viewport_size({"width": 390, "height": 844})  # the forms at phone width
        for path in ("/promotion/projects/new", "/promotion/plans/new", "/promotion/plans/PL-A/edit", project_url):
            page.goto(path if path.startswith("http") else f"{base}{path}", wait_until="networkidle")
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 395, f"{path} is {width}px wide at phone width"
        assert outside == [], outside
