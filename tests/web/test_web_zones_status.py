"""Programme status through every entry point (GET /api/status, the dashboard, `parklink plan`):
no crash when no designation names a member, and zone counts on the embedded dataset."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from typer.testing import CliRunner

from parklink.store import models as m
from parklink.store.db import get_engine, session_scope


def _drop_named_members(url: str) -> None:
    with session_scope(url) as s:
        s.execute(delete(m.DesignationMember))


def test_status_without_named_members_api_and_dashboard(web_url: str) -> None:
    from parklink.web import create_app

    _drop_named_members(web_url)
    with TestClient(create_app(web_url)) as client:
        r = client.get("/api/status")
        assert r.status_code == 200, r.text
        body = r.json()
        by_year = {x["year"]: x for x in body["by_year"]}
        # b1-a-b now names nobody; b1-unknown keeps its 2 unnamed members
        assert (by_year[2020]["named_parks"], by_year[2020]["unnamed_parks"]) == (0, 2)
        assert all(x["designated_parks"] == 0 for x in body["by_area_type"])
        assert all(x["designated_parks"] == 0 for x in body["by_zone"])
        page = client.get("/")
        assert page.status_code == 200
        assert "测试平台" in page.text or "Test platform" in page.text


def test_status_without_named_members_cli_plan(web_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from parklink.cli import app
    from parklink.settings import get_settings

    _drop_named_members(web_url)
    get_engine(web_url).dispose()
    monkeypatch.setenv("PARKLINK_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["plan", "--database", web_url, "--out", str(tmp_path / "out")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "plan.json").exists()


@pytest.fixture(scope="module")
def chengyu_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A registry holding the embedded dataset (no firm data)."""
    from parklink.datasets import chengyu
    from parklink.store.db import upgrade
    from parklink.store.io import LOAD_ORDER, write_frame

    url = f"sqlite:///{tmp_path_factory.mktemp('chengyu') / 'c.sqlite'}"
    upgrade(url)
    with session_scope(url) as s:
        for kind in LOAD_ORDER:
            if kind in chengyu.available_kinds():
                write_frame(s, kind, chengyu.load(kind), source=f"{kind}.csv")
    return url


def test_dashboard_counts_parks_in_every_notice_zone(chengyu_url: str) -> None:
    from parklink.web import create_app

    with TestClient(create_app(chengyu_url)) as client:
        body = client.get("/api/status").json()
        zones = {z["zone_id"]: z for z in body["by_zone"]}
        for zid in ("south-sichuan", "near-chengdu", "cq-main-city-new-area", "northeast-sichuan",
                    "three-gorges-ne-cq", "wan-da-kai", "sui-tong", "gaozhu", "lu-yong-jiang", "chuannan-yuxi"):
            assert zones[zid]["parks"] > 0, zid
        assert zones["northeast-sichuan"]["parks"] == 5  # hand count, see tests/datasets
        assert zones["gaozhu"]["parks"] == 1 and zones["gaozhu"]["partial_districts"] == 2
        assert zones["gaozhu"]["undetermined_parks"] == 3  # Yubei's parks: not placed inside the two towns
        html = client.get("/?lang=en").text
        assert "Northeast Sichuan" in html and 'href="/parks?zone=northeast-sichuan"' in html
        listing = client.get("/parks?zone=gaozhu&lang=en").text
        assert "Chuan-Yu Gaozhu New Area" in listing and "Konggang" not in listing


def test_stored_zones_and_parks_round_trip(chengyu_url: str) -> None:
    from parklink.datasets import chengyu
    from parklink.store.io import read_frame
    from parklink.testing import assert_frames_equivalent

    with session_scope(chengyu_url) as s:
        for kind in ("zones", "parks"):
            back = read_frame(s, kind)
            assert_frames_equivalent(back, chengyu.load(kind), kind)
        zones = read_frame(s, "zones").set_index("zone_id")
    assert zones.loc["gaozhu", "partial_members"] == "511623;500112"
    assert str(zones.loc["gaozhu", "member_notes"]).startswith("511623: Gaotan")


def test_park_filter_and_page_follow_the_zone_rule(chengyu_url: str) -> None:
    from parklink.web import create_app

    with TestClient(create_app(chengyu_url)) as client:
        rows = client.get("/api/parks", params={"zone": "northeast-sichuan", "page_size": 200}).json()
        ids = {r["park_id"] for r in rows["items"]}
        assert ids == {"sc-yingshan-edz", "sc-kaijiang-edz", "sc-guangan-etdz", "sc-guangyuan-etdz",
                       "sc-gaozhu-new-area"}
        rows = client.get("/api/parks", params={"zone": "gaozhu"}).json()
        ids = {r["park_id"] for r in rows["items"]}
        assert ids == {"sc-gaozhu-new-area"}
        park = client.get("/api/parks/cq-liangjiang-yufu").json()
        assert park["parent_park_id"] == "cq-liangjiang-new-area" and park["shared_point"] is False
        page = client.get("/parks/cq-konggang-ip?lang=en").text
        assert "Chuan-Yu Gaozhu New Area" in page and "not counted" in page  # partial district, not stated
        page = client.get("/parks/cq-liangjiang-yufu?lang=en").text
        assert "Chongqing Liangjiang New Area" in page  # its parent park


def test_api_writes_refuse_parent_cycles_and_ambiguous_zone_members(
    client: TestClient, headers: dict[str, dict[str, str]]
) -> None:
    office = headers["programme_office"]
    r = client.patch("/api/parks/cq-c", json={"parent_park_id": "cq-b"}, headers=office)
    assert r.status_code == 200 and r.json()["parent_park_id"] == "cq-b"
    r = client.patch("/api/parks/cq-b", json={"parent_park_id": "cq-c"}, headers=office)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "parent_park_id"
    r = client.patch("/api/parks/cq-b", json={"parent_park_id": "cq-b"}, headers=office)
    assert r.status_code == 422
    # status counts cq-b (parent) and cq-c (child) once in every zone holding both
    zones = {z["zone_id"]: z["parks"] for z in client.get("/api/status").json()["by_zone"]}
    assert zones == {"core-cq": 1, "test-platform": 2}
    zone = {"zone_id": "z-new", "name_zh": "新片区", "name_en": "New zone", "kind": "platform",
            "members": ["510112"], "partial_members": ["510112"], "confidence": "synthetic"}
    r = client.post("/api/zones", json=zone, headers=office)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "partial_members"
    zone |= {"members": [], "partial_members": ["500112"], "member_notes": ["500112: two towns"]}
    r = client.post("/api/zones", json=zone, headers=office)
    assert r.status_code == 201, r.text
    body = client.get("/api/zones/z-new").json()
    assert body["partial_members"] == ["500112"] and body["member_notes"] == ["500112: two towns"]
    zones = {z["zone_id"]: z for z in client.get("/api/status").json()["by_zone"]}
    assert zones["z-new"]["parks"] == 0 and zones["z-new"]["undetermined_parks"] == 2
