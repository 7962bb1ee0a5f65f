"""Server-side SVG charts: bar geometry against hand-computed widths, escaping, labels."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from parklink.web.svgcharts import PLOT_W, X0, Bar, bar_chart, format_value, nice_max

NS = {"s": "http://www.w3.org/2000/svg"}


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_share_bars_are_proportional_to_the_values() -> None:
    svg = _parse(bar_chart([Bar("甲", "A", 0.5), Bar("乙", "B", 0.25), Bar("丙", "C", None)],
                           title_zh="履约率", title_en="performance rate", unit="share"))
    rects = svg.findall(".//s:rect", NS)
    assert [float(r.get("width", "")) for r in rects] == [150.0, 75.0]  # 300 * 0.5, 300 * 0.25
    assert all(float(r.get("x", "")) == X0 for r in rects)
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "50.0%" in texts and "25.0%" in texts and "—" in texts  # None is drawn as a dash, no bar


def test_reference_line_sits_at_its_share() -> None:
    svg = _parse(bar_chart([Bar("甲", "A", 0.9)], title_zh="开工率", title_en="start rate",
                           reference=0.25, reference_zh="时间进度", reference_en="year elapsed"))
    ref = svg.find(".//s:line[@class='ref']", NS)
    assert ref is not None and float(ref.get("x1", "")) == pytest.approx(X0 + PLOT_W * 0.25)


def test_count_axis_uses_a_nice_maximum() -> None:
    assert [nice_max(v) for v in (0, 3, 7, 10, 11, 23, 240, 0.3)] == [1, 5, 10, 10, 20, 25, 250, 0.5]
    svg = _parse(bar_chart([Bar("甲", "A", 12), Bar("乙", "B", 3)], title_zh="项目", title_en="projects", unit="count"))
    widths = [float(r.get("width", "")) for r in svg.findall(".//s:rect", NS)]
    assert widths == [pytest.approx(300 * 12 / 20), pytest.approx(300 * 3 / 20)]


def test_text_is_escaped_and_synthetic_is_in_the_title() -> None:
    svg = str(bar_chart([Bar("<b>", "a&b", 0.1, href="/x?a=1&b=2")], title_zh="图", title_en="chart",
                        synthetic=True, lang="en"))
    assert "<b>" not in svg and "&lt;b&gt;" in svg and "a&amp;b" in svg
    root = _parse(svg)
    assert "synthetic" in root.get("aria-label", "") and "合成数据" in root.get("aria-label", "")
    assert root.find(".//s:a", NS) is not None


def test_formats() -> None:
    assert format_value(0.8567, "share") == "85.7%"
    assert format_value(1234.0, "count") == "1,234"
    assert format_value(None, "days") == "—"
    assert format_value(float("nan"), "cny_m") == "—"
