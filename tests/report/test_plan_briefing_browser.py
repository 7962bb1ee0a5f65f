"""plan.html in headless Chromium at 1280 px and on a 390 px phone: no horizontal page
overflow, every contents link lands on its target, the map is drawn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from parklink.inputs import embedded_inputs
from parklink.plan import build_plan
from parklink.programme.plan import overview_section, provenance_section, status_section
from parklink.report.html import render_plan_html

from .test_plan_briefing import wide_section

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason="/usr/bin/chromium is absent (apt-get install -y chromium; make test installs it)"),
]


@pytest.fixture(scope="module")
def plan_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    plan = build_plan(inputs=embedded_inputs(), hooks=[
        ("overview", overview_section), ("status", status_section), ("provenance", provenance_section),
        ("wide", wide_section)])
    path = tmp_path_factory.mktemp("plan") / "plan.html"
    path.write_text(render_plan_html(plan, lang="en"), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.mark.parametrize("width,height", [(1280, 800), (390, 844)])
def test_fits_the_screen_and_links_resolve(browser: Any, plan_file: Path, width: int, height: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(60_000)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(plan_file.as_uri())
        sw, iw = page.evaluate("() => [document.scrollingElement.scrollWidth, innerWidth]")
        assert sw <= iw, f"page overflows horizontally at {width}px: {sw} > {iw}"
        missing = page.evaluate("""() => [...document.querySelectorAll('a[href^="#"]')]
            .map(a => a.getAttribute('href').slice(1)).filter(id => !document.getElementById(id))""")
        assert missing == []
        # the body tables never push the page wider: each is inside its scroll container
        outside = page.evaluate("""() => [...document.querySelectorAll('.wrap')]
            .filter(w => w.getBoundingClientRect().right > innerWidth + 0.5).length""")
        assert outside == 0
        assert page.locator("svg.programme-map circle.park").count() == 68
        box = page.locator("svg.programme-map").bounding_box()
        assert box is not None and box["width"] <= width
        # following a contents link scrolls its table to the top of the viewport
        link = page.locator('nav.contents a[href="#t-wide-wide"]')
        link.click()
        assert page.evaluate("location.hash") == "#t-wide-wide"
        top = page.evaluate("document.getElementById('t-wide-wide').getBoundingClientRect().top")
        assert -2 <= top < height / 2
        # the appendix link opens the full table (fragment navigation into <details>)
        page.locator('a[href="#a-wide-wide"]').click()
        assert page.evaluate("document.getElementById('a-wide-wide').closest('details').open") is True
        assert all(u.startswith("file://") for u in requests)
    finally:
        context.close()
