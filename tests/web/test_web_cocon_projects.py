"""Each mode's projects on the co-construction pages: promotion projects of mode ``pip_*``
linked to the parks in the park by host park and mode, counted per mode, through the public
project visibility rule (hidden before signing; investors of unpublished projects hidden)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from parklink.promotion import service
from parklink.store.db import session_scope
from parklink.web.deps import ANONYMOUS, Principal

from .conftest import token_headers


def _seed(url: str) -> None:
    """Q1 cq-b hq published signed 100 (funds 30+10); Q2 cq-b hq unpublished signed 50 (5);
    Q3 cq-b hq lead 70; Q4 sc-a R&D signed 20; Q5 cq-b mode new signed 999."""
    base = {"origin_country": "CN", "chain": "auto"}
    with session_scope(url) as s:
        def add(pid: str, park: str, mode: str, inv: float, stage: str, **extra: object) -> None:
            service.create_project(s, {**base, "project_id": pid, "name_zh": f"项目{pid}", "park_id": park,
                                       "mode": mode, "signed_investment_cny_m": inv, **extra},
                                   actor="seed", via="test", stage=stage, on=dt.date(2025, 3, 1))
        add("Q1", "cq-b", "pip_hq_base", 100.0, "signed", investor_name="公开投资方 Open Investor",
            source_url="https://example.org/q1", confidence="confirmed")
        add("Q2", "cq-b", "pip_hq_base", 50.0, "signed", investor_name="秘密资本 Secret Capital")
        add("Q3", "cq-b", "pip_hq_base", 70.0, "lead", investor_name="线索公司 Lead Co")
        add("Q4", "sc-a", "pip_rd_transformation", 20.0, "signed", investor_name="丁 D")
        add("Q5", "cq-b", "new", 999.0, "signed", investor_name="戊 E")
        service.add_funds(s, "Q1", dt.date(2025, 5, 1), 30.0, expected_version=None, actor="seed", via="test")
        service.add_funds(s, "Q1", dt.date(2025, 6, 1), 10.0, expected_version=None, actor="seed", via="test")
        service.add_funds(s, "Q2", dt.date(2025, 6, 1), 5.0, expected_version=None, actor="seed", via="test")


@pytest.fixture
def seeded(web_url: str) -> Iterator[TestClient]:
    from parklink.web import create_app

    _seed(web_url)
    with TestClient(create_app(web_url)) as c:
        yield c


def test_visible_projects_and_mode_totals(seeded: TestClient, web_url: str) -> None:
    from parklink.coconstruction.projects import projects_by_mode
    from parklink.web.pages_coconstruction import visible_pip_projects

    office = Principal(1, "office", "programme_office")
    with session_scope(web_url) as s:
        public = visible_pip_projects(s, ANONYMOUS).set_index("project_id")
        full = visible_pip_projects(s, office).set_index("project_id")
    assert sorted(public.index) == ["Q1", "Q2", "Q4"]  # Q3 is a lead, Q5 not a park-in-park project
    assert pd.isna(public.loc["Q2", "investor_name"]) and public.loc["Q2", "redacted"]
    assert public.loc["Q1", "investor_name"] == "公开投资方 Open Investor"
    assert (public.loc["Q1", "funds_in_place_cny_m"], public.loc["Q2", "funds_in_place_cny_m"]) == (40.0, 5.0)
    assert sorted(full.index) == ["Q1", "Q2", "Q3", "Q4"] and full.loc["Q2", "investor_name"] == "秘密资本 Secret Capital"
    by_mode = projects_by_mode(public.reset_index(), ("lead", "signed")).set_index("mode")
    assert by_mode.loc["hq_base"].tolist() == [2, 150.0, 45.0, 0, 2]
    assert by_mode.loc["rd_transformation"].tolist() == [1, 20.0, 0.0, 0, 1]
    assert by_mode.loc["terminal_support"].tolist() == [0, 0.0, 0.0, 0, 0]
    office_modes = projects_by_mode(full.reset_index(), ("lead", "signed")).set_index("mode")
    assert office_modes.loc["hq_base"].tolist() == [3, 220.0, 45.0, 1, 2]


def test_pages_show_linked_projects_to_the_public(seeded: TestClient) -> None:
    page = seeded.get("/coconstruction/parks-in-park/pip-1")
    assert page.status_code == 200
    text = page.text
    assert "Q1" in text and "Q2" in text and "公开投资方 Open Investor" in text
    assert "Q3" not in text and "线索公司" not in text and "Q4" not in text and "Q5" not in text
    assert "秘密资本" not in text and "Secret Capital" not in text and "未公开" in text
    assert seeded.get("/coconstruction/parks-in-park/nope").status_code == 404
    registry = seeded.get("/coconstruction/parks-in-park").text
    assert "Projects of each mode" in registry and 'href="/coconstruction/parks-in-park/pip-1"' in registry
    assert "秘密资本" not in registry and "线索公司" not in registry
    park = seeded.get("/parks/cq-b").text
    assert "Projects of the parks in the park" in park and "Q1" in park and "Q3" not in park
    assert "秘密资本" not in park
    # the office sees the lead and the hidden investor
    office = seeded.get("/coconstruction/parks-in-park/pip-1", headers=token_headers(seeded, "office")).text
    assert "Q3" in office and "秘密资本 Secret Capital" in office
