"""Browser: plan a route on the logistics page and see its legs (listed and on the map), download
a table as CSV and XLSX, and the page fits a 390 px phone. Playwright + /usr/bin/chromium."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from .conftest import live_server
from .test_web_browser import ARGS, CHROMIUM, guarded_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason="/usr/bin/chromium is absent (apt-get install -y chromium; make test installs it)"),
]
ORIGIN, DESTINATION = "sc-chengdu-railport-cbz", "cq-yongchuan-cbz"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live server on a database loaded with the embedded dataset (real parks and hubs)."""
    from parklink.settings import get_settings
    from parklink.store.db import get_engine
    from parklink.store.seed import init_default
    from parklink.web import create_app
    from parklink.web.park_analyses import clear_cache

    root = tmp_path_factory.mktemp("livelog")
    url = f"sqlite:///{root / 'db.sqlite'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PARKLINK_DATA_DIR", str(root / "data"))
        get_settings.cache_clear()
        init_default(url, progress=False)
        clear_cache()
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


def test_plan_a_route_and_see_its_legs(browser: Any, server: str) -> None:
    with guarded_page(browser, server, "logistics-route", viewport={"width": 1280, "height": 900},
                      accept_downloads=True) as (page, outside):
        page.goto(f"{server}/logistics?lang=en")
        page.fill("#r-origin", ORIGIN)
        page.fill("#r-destination", DESTINATION)
        page.select_option("#r-cargo", "container")
        page.click("#route-form button[type=submit]")
        page.wait_for_selector("#legs-table")
        rows = page.locator("#legs-table tbody tr.leg-row")
        n = rows.count()
        assert n >= 2
        drawn = page.locator("svg#route-map polyline.leg")
        assert drawn.count() == page.locator('#legs-table tbody tr.leg-row:not([data-mode="transfer"])').count()
        box = drawn.first.bounding_box()
        assert box is not None and box["width"] + box["height"] > 0  # visible on the map
        assert "CNY/t" in page.locator("#route-gc").inner_text()
        # download the legs as CSV and as XLSX: valid files with one row per leg
        with page.expect_download() as info:
            page.click('a.download[data-format="csv"]')
        body = Path(info.value.path()).read_bytes()
        rows_csv = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        assert len(rows_csv) == n and rows_csv[0]["from_node"] == f"park.{ORIGIN}"
        with page.expect_download() as info:
            page.click('a.download[data-format="xlsx"]')
        assert info.value.suggested_filename.endswith(".xlsx")
        wb = openpyxl.load_workbook(io.BytesIO(Path(info.value.path()).read_bytes()), read_only=True)
        data = list(wb["data"].iter_rows(values_only=True))
        assert data[0][0] == "seq" and len(data) == n + 1
        assert outside == []


def test_logistics_page_fits_a_phone(browser: Any, server: str) -> None:
    with guarded_page(browser, server, "logistics-phone", viewport={"width": 390, "height": 844}) as (page, outside):
        page.goto(f"{server}/logistics?origin={ORIGIN}&destination={DESTINATION}&lang=zh")
        page.wait_for_selector("#legs-table")
        sw, iw = page.evaluate("() => [document.scrollingElement.scrollWidth, innerWidth]")
        assert sw <= iw, f"{sw} > {iw}"
        box = page.locator("svg#route-map").bounding_box()
        assert box is not None and box["width"] <= 390
        assert outside == []


@pytest.fixture(scope="module")
def chain_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The tiny registry with the hand-made firm dataset of test_web_chain_pages."""
    from parklink.settings import get_settings
    from parklink.store.db import get_engine
    from parklink.web import create_app
    from parklink.web.park_analyses import clear_cache

    from .conftest import load_registry
    from .test_web_chain_pages import write_firm_dataset

    root = tmp_path_factory.mktemp("livelsr")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PARKLINK_DATA_DIR", str(root / "data"))
        get_settings.cache_clear()
        write_firm_dataset(root / "data" / "firms")
        url = load_registry(f"sqlite:///{root / 'live.sqlite'}", users=False)
        clear_cache()
        with live_server(create_app(url)) as base:
            yield base, url
        get_engine(url).dispose()
    get_settings.cache_clear()


def test_park_page_shows_local_supporting_rates(browser: Any, chain_server: tuple[str, str],
                                                isolated_settings: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from parklink.settings import get_settings
    from parklink.store.db import session_scope
    from parklink.web import park_analyses as pa

    base, url = chain_server
    monkeypatch.setenv("PARKLINK_DATA_DIR", str(Path(url.removeprefix("sqlite:///")).parent / "data"))
    get_settings.cache_clear()  # the server thread reads the settings too
    with guarded_page(browser, base, "park-lsr", viewport={"width": 1280, "height": 900}) as (page, outside):
        page.goto(f"{base}/parks/cq-b?lang=en")
        page.wait_for_selector("html[data-diagnosis-ready]", state="attached", timeout=60_000)
        assert page.get_attribute("html", "data-diagnosis-ready") == "1", page.text_content("#diag-error")
        table = page.locator("#lsr-table")
        assert table.is_visible()
        cells = table.locator("tbody tr").first.locator("td").all_inner_texts()
        assert len(cells) == 5  # in scope, own province, circle, ΔLSR, coverage
        # the same number as the server-side table (shown with up to 3 decimals)
        with session_scope(url) as s:
            lsr = pa.diagnosis_view(pa.chain_diagnosis(s, "park:cq-b"))["lsr"]
        assert float(cells[3].replace(",", "")) == pytest.approx(round(lsr[0]["delta_lsr"], 3))
        assert page.locator("p.diag-downloads a.download").first.is_visible()
        assert not page.locator("#targets-table").is_visible()  # firm level: office only
        assert outside == []

