"""plan.html as a briefing: summary first, contents whose links resolve, the map, tables cut to
fit with the full table in the appendix, print CSS; the findings written from the data."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from typing import Any

import pandas as pd
import pytest

from parklink.inputs import embedded_inputs
from parklink.plan import build_plan
from parklink.programme.plan import overview_section, provenance_section, status_section
from parklink.report.briefing import APPENDIX_ROWS, anchor, findings, table_view
from parklink.report.html import render_plan_html
from parklink.report.plan import Plan
from parklink.report.section import Section, SectionTable


def wide_section(_inputs: Any) -> Section:
    """A section with a long and wide table of long bilingual names (the hard case)."""
    n = 40
    frame = pd.DataFrame({
        "park_id": [f"p-{i:03d}" for i in range(n)],
        "name_zh": ["重庆两江新区鱼复工业开发区汽车零部件配套产业园" + str(i) for i in range(n)],
        "name_en": ["Chongqing Liangjiang New Area Yufu Industrial Development Zone auto parts " + str(i)
                    for i in range(n)],
        **{f"indicator_{k:02d}": [1234567.891 * (k + 1) + i for i in range(n)] for k in range(14)},
        "url": ["https://example.org/" + "x" * 120 for _ in range(n)],
    })
    return Section("wide", "宽表", "Wide table", {"rows": n},
                   (SectionTable("很宽的表", "A very wide table", frame, key="wide"),), ("note",), True)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return build_plan(inputs=embedded_inputs(), hooks=[
        ("overview", overview_section), ("status", status_section), ("provenance", provenance_section),
        ("wide", wide_section)])


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.hrefs: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if a.get("id"):
            self.ids.append(str(a["id"]))
        if tag == "a" and a.get("href"):
            self.hrefs.append(str(a["href"]))


def _parse(html: str) -> _Collect:
    p = _Collect()
    p.feed(html)
    return p


def test_summary_contents_map_first_and_links_resolve(plan: Plan) -> None:
    html = render_plan_html(plan, lang="zh")
    doc = _parse(html)
    sections = [a.get("id") for t, a in doc.tags if t in ("section", "nav")]
    assert sections[:3] == ["summary", "contents", "map"]
    assert len(doc.ids) == len(set(doc.ids)), "ids are unique"
    internal = [h for h in doc.hrefs if h.startswith("#")]
    assert internal and all(h[1:] in doc.ids for h in internal)
    assert all(h.startswith("#") for h in doc.hrefs)  # nothing external
    for s in plan.sections:
        assert f'href="#{anchor(s)}"' in html
        for tb in s.tables:
            assert f'href="#{anchor(s, tb)}"' in html
    assert html.count('class="programme-map"') == 1
    assert html.count('class="park') >= 68
    assert not re.search(r"<(script|link|img|iframe)\b", html, re.I)
    assert "@media print" in html and "@page" in html


def test_wide_table_is_cut_in_the_body_and_whole_in_the_appendix(plan: Plan) -> None:
    s = plan.section("wide")
    tb = s.tables[0]
    view = table_view(s, tb)
    assert len(view.columns) <= 8 and len(view.rows) == 12 and view.cut
    assert view.columns[0] == "名称 name"  # names first, bilingual in one column
    assert view.rows[0][0][1].startswith("重庆两江新区") and " · Chongqing" in view.rows[0][0][1]
    html = render_plan_html(plan)
    a_id = anchor(s, tb, appendix=True)
    assert f'id="{a_id}"' in html and f'href="#{a_id}"' in html
    appendix = html[html.index(f'id="{a_id}"'):]
    appendix = appendix[: appendix.index("</table>")]
    assert appendix.count("<tr>") == 1 + min(len(tb.frame), APPENDIX_ROWS)
    assert "indicator_13" in appendix and "https://example.org/" in appendix
    # numbers are whole in both: 1234567.891 × 14 + 39 = 17,283,989 (≥ 1e6: no decimals)
    assert "17,283,989" in appendix


def test_findings_are_sentences_from_the_numbers() -> None:
    status = Section("status", "进度", "Status", {"latest": {
        "year": 2025, "target_parks": 20, "designated_parks": 35, "named_parks": 23, "gap_parks": 0,
        "met": True, "designations": 19}})
    chains = Section("chains", "产业链", "Chains", {"designations": {
        "d1": {"designation:d1": {"chains": {"auto": {"delta_lsr": 0.2, "gaps": {"build": 3}},
                                             "moto": {"delta_lsr": 0.4, "gaps": {"build": 1}}}},
               "park:x": {"chains": {"auto": {"delta_lsr": 0.9, "gaps": {"build": 50}}}}},
    }}, synthetic=True)
    plan = Plan("t", "db", "0", (status, chains))
    got = findings(plan)
    assert got[0].zh == "截至2025年，已认定示范园区35个（具名23个），目标20个，已达标。共19个认定单元。"
    assert got[0].en == "By 2025, 35 demonstration parks are designated (23 named) against a target of 20: met. " \
                        "They form 19 designations."
    # designation scopes only: mean(0.2, 0.4) = 30 %, best 40 % (moto), build gaps 3 + 1
    assert got[1].section == "chains" and got[1].synthetic
    assert "平均为30%" in got[1].zh and "最高为d1的摩托车（40%）" in got[1].zh and "共4个" in got[1].zh
    assert "averages 30%" in got[1].en and "(40%)" in got[1].en
    short = Plan("t", "db", "0", (Section("status", "进度", "Status", {"latest": {
        "year": 2025, "target_parks": 20, "designated_parks": 12, "named_parks": 12, "gap_parks": 8,
        "met": False}}),))
    assert findings(short)[0].en.endswith("against a target of 20: 8 short.")


def test_plan_json_round_trip(plan: Plan) -> None:
    data = json.loads(json.dumps(plan.to_dict(), ensure_ascii=False))
    again = Plan.from_dict(data)
    assert again.to_dict() == data
    assert "programme" in plan.maps and "maps" not in data
