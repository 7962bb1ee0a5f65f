"""Browser test: an enterprise user posts a need and sees ranked matches with reasons
(Playwright on Debian's /usr/bin/chromium against a live uvicorn server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import PASSWORD, live_server, load_registry
from .test_web_browser import CHROMIUM, browser, guarded_page  # noqa: F401 (browser: fixture)
from .test_web_sme import add_sme_rows

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="/usr/bin/chromium is absent (apt-get install -y chromium)"),
]


@pytest.fixture(scope="module")
def sme_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A uvicorn server on the tiny registry with SME profiles and needs, one user per role."""
    from parklink.settings import get_settings
    from parklink.store.db import get_engine

    root = tmp_path_factory.mktemp("livesme")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PARKLINK_DATA_DIR", str(root / "data"))
        get_settings.cache_clear()
        url = load_registry(f"sqlite:///{root / 'live.sqlite'}")
        add_sme_rows(url)
        from parklink.web import create_app

        with live_server(create_app(url)) as base:
            yield base
        get_engine(url).dispose()
    get_settings.cache_clear()


def test_post_a_need_and_see_ranked_matches_with_reasons(sme_server: str, browser: Any) -> None:  # noqa: F811
    base = sme_server
    with guarded_page(browser, base, "sme", viewport={"width": 1280, "height": 900}) as (page, outside):
        page.goto(f"{base}/login?next=/needs/new")
        page.fill("#username", "firm")
        page.fill("#password", PASSWORD)
        page.click("form.login button[type=submit]")
        page.goto(f"{base}/needs/new")
        page.fill("#n-id", "browser-need")
        page.fill("#n-zh", "采购铝合金压铸件")
        page.fill("#n-en", "buying aluminium die castings")
        page.fill("#n-part", "压铸件")
        page.select_option("#n-seg", "auto.castings")
        page.check("input[name=certification][value=iso9001]")
        page.click("form.edit button[type=submit]")
        page.wait_for_url(f"{base}/needs/browser-need")
        first = page.locator("li.match").first
        assert first.get_attribute("data-candidate") == "E2"
        assert "Beta Castings" in first.inner_text()
        reasons = first.locator(".reason")
        assert "产业链环节匹配" in reasons.nth(0).inner_text()
        assert "chain segment match" in reasons.nth(1).inner_text()
        assert outside == []
