"""Chain explorer and the park page's analysis sections (server side).

The registry is ``tiny_registry()`` (chain ``auto``: castings (up) → vehicles (mid)); the
firm dataset is hand-made below, so the flows and presence are known by hand:

    F1 CQ 500112 park cq-b  auto.vehicles leader    F2 SC 510112 park sc-a auto.castings
    F3 CQ 500112 park cq-b  auto.castings           F4 OUT              auto.castings
    F5 SC 510112 park sc-a  auto.vehicles
    2023: F2→F1 300 (SC→CQ castings), F3→F1 100 (CQ→CQ), F4→F1 20, F1→F5 50 (CQ→SC vehicles)
    2022: F2→F1 200 (SC→CQ castings)
"""

from __future__ import annotations

import itertools
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from parklink.firmdata import FirmDataset
from parklink.settings import get_settings
from parklink.store.db import get_engine, session_scope
from parklink.testing import tiny_registry

from .conftest import write_firm_rows

FIRMS = [
    ("F1", "CQ", "500112", "cq-b", 106.51, 29.60, "auto", "auto.vehicles", 1000.0, True),
    ("F2", "SC", "510112", "sc-a", 104.27, 30.56, "auto", "auto.castings", 100.0, False),
    ("F3", "CQ", "500112", "cq-b", 106.52, 29.61, "auto", "auto.castings", 50.0, False),
    ("F4", "OUT", None, None, 121.47, 31.23, "auto", "auto.castings", 10.0, False),
    ("F5", "SC", "510112", "sc-a", 104.28, 30.57, "auto", "auto.vehicles", 30.0, False),
]
TX = [("F2", "F1", 2023, 300.0), ("F3", "F1", 2023, 100.0), ("F4", "F1", 2023, 20.0),
      ("F1", "F5", 2023, 50.0), ("F2", "F1", 2022, 200.0)]


def write_firm_dataset(root: Path) -> FirmDataset:
    """The hand-made synthetic firm dataset of the module docstring under ``root``."""
    write_firm_rows(root, FIRMS, TX)
    return FirmDataset(root)


@pytest.fixture(scope="module")
def chain_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with the hand-made firm dataset (shared by the module)."""
    root = tmp_path_factory.mktemp("chainpages")
    write_firm_dataset(root / "data" / "firms")
    return root


@pytest.fixture(autouse=True)
def _chain_data_dir(isolated_settings: Path, chain_root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Point PARKLINK_DATA_DIR at the module's data directory (after the isolated default)."""
    monkeypatch.setenv("PARKLINK_DATA_DIR", str(chain_root / "data"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def chain_client(template_db: Path, chain_root: Path) -> Iterator[TestClient]:
    """A client on a copy of the template registry, with the hand-made firm dataset."""
    from parklink.web import create_app
    from parklink.web.park_analyses import clear_cache

    path = chain_root / "db.sqlite"
    shutil.copy(template_db, path)
    url = f"sqlite:///{path}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PARKLINK_DATA_DIR", str(chain_root / "data"))
        get_settings.cache_clear()
        clear_cache()
        with TestClient(create_app(url)) as c:
            yield c
        get_engine(url).dispose()
    get_settings.cache_clear()


def _html(client: TestClient, url: str) -> str:
    r = client.get(url, headers={"accept": "text/html"})
    assert r.status_code == 200, r.text[:500]
    return r.text


def _json_block(html: str, block_id: str) -> Any:
    m = re.search(rf'<script type="application/json" id="{block_id}">(.*?)</script>', html, re.S)
    assert m, block_id
    return json.loads(m.group(1))


# ------------------------------------------------------------------------------ pages


def test_chain_list_is_bilingual(chain_client: TestClient) -> None:
    html = _html(chain_client, "/chains")
    assert "产业链浏览" in html and "Chain explorer" in html
    assert 'href="/chains/auto"' in html
    assert "摩托车" in html and "Motorcycles" in html
    assert 'href="/chains" aria-current="page"' in html  # nav link


def test_diagram_has_one_node_per_segment_upstream_first(chain_client: TestClient) -> None:
    from sqlalchemy import select

    from parklink.store import models as m

    html = _html(chain_client, "/chains/auto")
    nodes = re.findall(r'<a class="seg lvl-(\w+)" href="#seg-([\w.]+)" data-segment="([\w.]+)" '
                       r'data-level="\w+" data-column="(\d+)"', html)
    url = str(chain_client.app.state.web.database_url)  # type: ignore[attr-defined]
    with session_scope(url) as s:
        segs = dict(s.execute(select(m.Segment.segment_id, m.Segment.level).where(m.Segment.chain == "auto")).all())
        links = s.execute(select(m.SegmentLink.from_segment, m.SegmentLink.to_segment)).all()
    assert sorted(n[2] for n in nodes) == sorted(segs)  # one node per template segment
    column = {n[2]: int(n[3]) for n in nodes}
    assert {n[2]: n[0] for n in nodes} == segs
    for a, b in links:
        assert column[a] < column[b], (a, b)  # inputs are upstream (left) of their users
    # every node links to its row of the details table (the accessible alternative)
    for sid in segs:
        assert f'<tr id="seg-{sid}" data-segment="{sid}"' in html
    assert html.count('class="edge"') == len(links)
    assert "上游" in html and "Upstream" in html and "中游" in html and "Midstream" in html


def test_layout_columns_follow_levels_and_inputs() -> None:
    """Hand-made template: columns are level blocks split by input depth inside a level."""
    from parklink.web.pages_chains import layout

    rows = [  # id, level, inputs
        ("x.a", "up", ""), ("x.b", "up", "x.a"), ("x.c", "mid", "x.b;x.e"), ("x.d", "mid", "x.c"),
        ("x.f", "mid", ""), ("x.g", "down", "x.d"), ("x.e", "enabler", ""),
    ]
    tpl = pd.DataFrame(rows, columns=["segment_id", "level", "inputs"])
    tpl["name_zh"] = tpl["segment_id"]
    tpl["name_en"] = tpl["segment_id"]
    d = layout(tpl)
    col = {n.segment_id: n.column for n in d.nodes}
    assert {k: col[k] for k in ("x.a", "x.b", "x.c", "x.f", "x.d", "x.g")} == {
        "x.a": 0, "x.b": 1, "x.c": 2, "x.f": 2, "x.d": 3, "x.g": 4}
    assert [lv for lv, _ in d.columns] == ["up", "up", "mid", "mid", "down"]
    e = d.node("x.e")
    assert e.y > max(n.y for n in d.nodes if n.level != "enabler")  # enablers in a band below
    assert len(d.edges) == 5
    # nodes of one column do not overlap
    for c in range(5):
        ys = sorted(n.y for n in d.nodes if n.column == c and n.level != "enabler")
        assert all(b - a >= 46 for a, b in itertools.pairwise(ys))


def test_chain_page_language_and_scope_picker(chain_client: TestClient) -> None:
    zh = _html(chain_client, "/chains/auto?lang=zh")
    en = _html(chain_client, "/chains/auto?lang=en")
    assert '<html lang="zh-Hans">' in zh and '<html lang="en">' in en
    for page in (zh, en):
        assert "产业链模板" in page and "Chain template" in page
        assert "川渝跨省采购流量" in page and "Sichuan↔Chongqing purchase flows" in page
        assert '<label for="scope-select">' in page and '<label for="year-input">' in page
        for spec in ("circle", "SC", "CQ", "park:sc-a", "designation:b1-a-b", "zone:core-cq", "city:510100"):
            assert f'value="{spec}"' in page, spec
    labels = _json_block(zh, "chain-labels")
    assert "合成" in labels["synthetic"][0] and "synthetic" in labels["synthetic"][1].lower()
    assert "<script>" not in zh  # CSP: only external scripts and JSON blocks
    assert '<script src="/static/chains.js"></script>' in zh


def test_chain_page_uses_the_jobs_api(chain_client: TestClient) -> None:
    cfg = _json_block(_html(chain_client, "/chains/auto?scope=park:sc-a&year=2023"), "chain-config")
    assert "submit" in cfg, cfg
    assert cfg["submit"] == "/api/analyses/chains" and cfg["jobs"] == "/api/jobs/"
    assert cfg["scope"] == "park:sc-a" and cfg["chain"] == "auto" and cfg["year"] == 2023
    unknown = _json_block(_html(chain_client, "/chains/auto?scope=park:nope"), "chain-config")
    assert unknown["scope"] == "circle"  # unknown scopes fall back to the circle


def test_server_side_diagnosis_without_jobs_api(chain_client: TestClient) -> None:
    """Without the jobs API the page embeds the cached diagnosis: hand-computed figures."""
    from starlette.routing import NoMatchFound

    from parklink.web.pages_chains import diagnosis_config

    class _App:
        def url_path_for(self, name: str) -> str:
            raise NoMatchFound(name, {})

    class _Req:
        app = _App()

    url = str(chain_client.app.state.web.database_url)  # type: ignore[attr-defined]
    with session_scope(url) as s:  # PARKLINK_DATA_DIR (the firm dataset) is set by the fixture
        cfg = diagnosis_config(_Req(), s, "circle", "auto", 2023)  # type: ignore[arg-type]
    view = cfg["view"]
    assert view["synthetic"] is True and view["year"] == 2023
    firms = {r["segment_id"]: r["n_firms"] for r in view["segments"]}
    assert firms == {"auto.castings": 2, "auto.vehicles": 2}  # F2, F3 / F1, F5 (F4 is outside)
    flows = {(r["year"], r["direction"], r["segment_id"]): r["value_kcny"] for r in view["flows"]}
    assert flows == {(2023, "SC→CQ", "auto.castings"): 300.0, (2022, "SC→CQ", "auto.castings"): 200.0,
                     (2023, "CQ→SC", "auto.vehicles"): 50.0}
    assert view["flow_years"] == [2022, 2023]
    assert view["completeness"][0]["completeness"] == pytest.approx(1.0)


def test_jobs_api_result_has_what_the_page_renders(chain_client: TestClient) -> None:
    import time

    r = chain_client.post("/api/analyses/chains", json={"scope": "park:sc-a", "chain": "auto", "year": 2023})
    assert r.status_code in (200, 202), r.text
    job = r.json()["job_id"]
    for _ in range(200):
        st = chain_client.get(f"/api/jobs/{job}").json()
        if st["status"] in ("done", "failed"):
            break
        time.sleep(0.05)
    assert st["status"] == "done", st
    res = chain_client.get(f"/api/jobs/{job}/result").json()["result"]
    assert res["synthetic"] is True
    tables = res["tables"]
    for name in ("segments", "completeness", "gaps", "flows"):
        assert name in tables
    seg = {r["segment_id"]: r for r in tables["segments"]}
    assert seg["auto.castings"]["n_firms"] == 1 and seg["auto.vehicles"]["n_firms"] == 1  # F2 / F5 in sc-a


# ------------------------------------------------------------------------------ park page


def _tiny_network(with_links: bool) -> Any:
    from parklink.datasets import chengyu
    from parklink.logistics.plan import network_from_frames

    f = tiny_registry()
    return network_from_frames(regions=f["regions"], parks=f["parks"], transport_nodes=f["transport_nodes"],
                               boundaries=chengyu.boundaries(),
                               transport_links=f["transport_links"] if with_links else None)


def test_park_evaluation_matches_direct_call(chain_client: TestClient) -> None:
    """The park page's evaluation is the default one: network travel times on the one
    network of the inputs (the registry's imported transport links included)."""
    from parklink.evaluate.api import evaluate_parks
    from parklink.logistics.skim import network_travel_time

    f = tiny_registry()
    net = _tiny_network(with_links=True)
    ev = evaluate_parks(f["parks"], regions=f["regions"], zones=f["zones"], transport_nodes=f["transport_nodes"],
                        enterprises=f["enterprises"], travel_time=network_travel_time(net))
    expected = ev.to_frame().set_index("alternative")
    for park in ("sc-a", "cq-b"):
        html = _html(chain_client, f"/parks/{park}")
        score = float(re.search(r'id="eval-score" data-value="([^"]+)"', html).group(1))  # type: ignore[union-attr]
        rank = int(re.search(r'id="eval-rank" data-value="(\d+)"', html).group(1))  # type: ignore[union-attr]
        assert score == pytest.approx(float(expected.at[park, "score"]), rel=1e-12)
        assert rank == int(expected.at[park, "rank"])
        assert f"{rank} / 3" in html
        weights = ev.weights.as_dict()
        for key, w in weights.items():
            m = re.search(rf'data-criterion="{key}">.*?data-key="weight" data-value="([^"]+)"', html, re.S)
            assert m and float(m.group(1)) == pytest.approx(w, rel=1e-12), key
        assert "综合评价" in html and "Evaluation" in html and "TOPSIS" in html


def test_park_accessibility_matches_logistics(chain_client: TestClient) -> None:
    from parklink.logistics.access import accessibility

    def shown(html: str) -> dict[str, float | None]:
        body = html.split('id="access-table"', 1)[1].split("</table>", 1)[0]
        out: dict[str, float | None] = {}
        for target, cell in re.findall(r'<tr data-target="(\w+)">.*?<td class="num"([^>]*)>', body, re.S):
            m = re.search(r'data-value="([^"]+)"', cell)
            out[target] = float(m.group(1)) if m else None
        return out

    def expected(with_links: bool, park: str) -> dict[str, float | None]:
        t = accessibility(_tiny_network(with_links)).table.set_index("park_id")
        cols = {"core_chengdu": "time_core_chengdu_h", "core_chongqing": "time_core_chongqing_h",
                **{k: f"time_{k}_h" for k in ("airport", "rail_port", "river_port", "bonded_zone")}}
        return {k: (float(t.at[park, c]) if pd.notna(t.at[park, c]) and t.at[park, c] != float("inf") else None)
                for k, c in cols.items()}

    html = _html(chain_client, "/parks/sc-a")
    assert "可达性" in html and "Accessibility" in html
    assert shown(html) == expected(True, "sc-a")  # the imported road link replaces the road layer

    # removing the imported link bumps the data version: the page recomputes on the approximate roads
    from sqlalchemy import delete

    from parklink.store import models as m

    url = str(chain_client.app.state.web.database_url)  # type: ignore[attr-defined]
    with session_scope(url) as s:
        s.execute(delete(m.TransportLink))
    after = shown(_html(chain_client, "/parks/sc-a"))
    exp = expected(False, "sc-a")
    assert exp["core_chengdu"] is not None  # finite now (sc-a lies in Chengdu)
    assert after.keys() == exp.keys()
    for k, v in exp.items():
        assert after[k] == (pytest.approx(v, rel=1e-12) if v is not None else None), k
    assert re.search(r"不可达|unreachable", html)


def test_park_page_chain_section_and_labels(chain_client: TestClient) -> None:
    html = _html(chain_client, "/parks/cq-b?lang=en")
    assert "产业链诊断与缺口" in html and "Chain diagnosis and gaps" in html
    cfg = _json_block(html, "chain-config")
    assert cfg["scope"] == "park:cq-b" and cfg["chain"] is None and cfg["top_gaps"] == 8
    assert 'href="/chains/auto?scope=park:cq-b"' in html
    assert '<script src="/static/chains.js"></script>' in html
    assert "合成数据均已标注" in html  # footer: synthetic data is labelled


def test_evaluation_cache_follows_the_data_version(chain_client: TestClient) -> None:
    from parklink.store import models as m
    from parklink.web import park_analyses as pa

    url = str(chain_client.app.state.web.database_url)  # type: ignore[attr-defined]
    with session_scope(url) as s:
        first = pa.park_evaluation(s)
        assert pa.park_evaluation(s) is first
    with session_scope(url) as s:
        park = s.get(m.Park, "cq-c")
        assert park is not None
        park.area_km2 = 30.0
    with session_scope(url) as s:
        again = pa.park_evaluation(s)
    assert again is not first and again is not None
    assert pa.evaluation_view(again, "cq-c") != pa.evaluation_view(first, "cq-c")  # type: ignore[arg-type]


def test_empty_or_bad_year_means_latest(chain_client: TestClient) -> None:
    for q in ("year=", "year=abc", "year=1800"):
        cfg = _json_block(_html(chain_client, f"/chains/auto?scope=SC&{q}"), "chain-config")
        assert cfg["year"] is None and cfg["scope"] == "SC"
    assert chain_client.get("/chains/nope", headers={"accept": "text/html"}).status_code == 404
