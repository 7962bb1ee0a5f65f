"""Browser flow of the co-construction pages (Playwright + /usr/bin/chromium, marked browser):
dashboard → nav → parks-in-park registry → smart tab → platforms tab → one park in the park →
park page section; and the map's co-construction layer toggles."""

from __future__ import annotations

from typing import Any

from .test_web_browser import CHROMIUM, browser, guarded_page, pytestmark, server  # noqa: F401


def test_cocon_registry_flow(server: str, browser: Any) -> None:  # noqa: F811
    with guarded_page(browser, server, "cocon", viewport={"width": 1280, "height": 900}) as (page, outside):
        page.goto(f"{server}/")
        page.wait_for_selector("#cocon")
        assert "总部+基地" in page.inner_text("#cocon")
        page.click("nav a[href='/coconstruction/parks-in-park']")
        page.wait_for_url(f"{server}/coconstruction/parks-in-park")
        assert "甲园中园" in page.inner_text("main")
        assert "合成（演示）" in page.inner_text("main")  # synthetic rows are labelled
        page.click("ul.tabs a[href='/coconstruction/smart']")
        page.wait_for_url(f"{server}/coconstruction/smart")
        assert "甲汽车" in page.inner_text("main") and "GB/T 39116" in page.inner_text("main")
        page.click("ul.tabs a[href='/coconstruction/platforms']")
        page.wait_for_url(f"{server}/coconstruction/platforms")
        assert "甲设计中心" in page.inner_text("main") and "平台缺口" in page.inner_text("main")
        page.goto(f"{server}/coconstruction/parks-in-park")
        page.click("main a[href='/coconstruction/parks-in-park/pip-1']")
        page.wait_for_url(f"{server}/coconstruction/parks-in-park/pip-1")
        assert "甲园中园" in page.inner_text("h1") and "本模式在所在园区的招商项目" in page.inner_text("main")
        page.goto(f"{server}/parks/cq-b")
        assert "甲园中园" in page.inner_text("#cocon")
        page.click("#cocon a[href^='/coconstruction/parks-in-park?park=']")
        page.wait_for_url("**/coconstruction/parks-in-park?park=cq-b")
        assert "cq-b" in page.inner_text("h1")
        assert outside == []


def test_map_layer_toggle_shows_markers(server: str, browser: Any) -> None:  # noqa: F811
    with guarded_page(browser, server, "cocon-map", viewport={"width": 1280, "height": 900}) as (page, outside):
        page.goto(f"{server}/map")
        page.wait_for_selector("html[data-map-ready='1']")
        points = "() => document.querySelectorAll('#map g.trace.scattergeo path.point').length"
        metas = "() => document.getElementById('map').data.map(t => t.meta)"
        before = page.evaluate(points)
        assert page.evaluate(metas) == ["districts", "pairs", "hubs", "parks"]
        page.check("#layer-pip")
        page.wait_for_selector("html[data-map-ready='1']")
        assert page.evaluate(metas)[4:] == ["pip:hq_base"]
        assert page.evaluate(points) == before + 1  # the tiny registry's one park in the park
        assert "layers=pip" in page.url
        page.check("#layer-smart")
        page.check("#layer-platforms")
        page.wait_for_function("() => document.getElementById('map').data.length === 7"
                               " && document.documentElement.getAttribute('data-map-ready') === '1'")
        assert page.evaluate(points) == before + 3
        legend = page.inner_text("#map-legend")
        assert "总部+基地" in legend and "智能工厂" in legend and "省级" in legend
        page.uncheck("#layer-pip")
        page.wait_for_function("() => document.getElementById('map').data.length === 6"
                               " && document.documentElement.getAttribute('data-map-ready') === '1'")
        assert page.evaluate(points) == before + 2
        assert outside == []
