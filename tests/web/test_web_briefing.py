"""Logistics page, table downloads (CSV/XLSX from the same data as the page), report links,
and the local supporting rates on the chain panel — on the tiny registry with the hand-made
firm dataset of test_web_chain_pages."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from parklink.settings import get_settings
from parklink.store.db import get_engine, session_scope

from .conftest import token_headers
from .test_web_chain_pages import write_firm_dataset


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("briefingweb")
    write_firm_dataset(root / "data" / "firms")
    return root


@pytest.fixture(autouse=True)
def _data_dir(isolated_settings: Path, root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("PARKLINK_DATA_DIR", str(root / "data"))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def web(template_db: Path, root: Path) -> Iterator[tuple[TestClient, str]]:
    from parklink.web import create_app
    from parklink.web.park_analyses import clear_cache

    path = root / "db.sqlite"
    shutil.copy(template_db, path)
    url = f"sqlite:///{path}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PARKLINK_DATA_DIR", str(root / "data"))
        get_settings.cache_clear()
        clear_cache()
        with TestClient(create_app(url)) as c:
            yield c, url
        get_engine(url).dispose()
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    """A client on a database loaded with the embedded dataset (no firm data): real network."""
    from parklink.store.seed import init_default
    from parklink.web import create_app
    from parklink.web.park_analyses import clear_cache

    root = tmp_path_factory.mktemp("embeddedweb")
    url = f"sqlite:///{root / 'db.sqlite'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PARKLINK_DATA_DIR", str(root / "data"))
        get_settings.cache_clear()
        init_default(url, progress=False)
        clear_cache()
        with TestClient(create_app(url)) as c:
            yield c, url
        get_engine(url).dispose()
    get_settings.cache_clear()


def _csv(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the Chinese
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def _xlsx(body: bytes) -> tuple[list[str], list[tuple[object, ...]], dict[str, object]]:
    wb = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    rows = list(wb["data"].iter_rows(values_only=True))
    about = {str(r[0]): r[1] for r in wb["about"].iter_rows(values_only=True)}
    return [str(c) for c in rows[0]], rows[1:], about


ORIGIN, DESTINATION = "sc-chengdu-railport-cbz", "cq-yongchuan-cbz"


def test_route_planner_lists_and_draws_the_legs(embedded: tuple[TestClient, str]) -> None:
    client, url = embedded
    from parklink.web.pages_logistics import plan_route

    with session_scope(url) as s:
        run = plan_route(s, ORIGIN, DESTINATION, "container")
    legs = run.route.legs
    travelled = legs[legs["mode"] != "transfer"]
    r = client.get("/logistics", params={"origin": ORIGIN, "destination": DESTINATION, "cargo": "container"})
    assert r.status_code == 200
    html = r.text
    assert html.count('class="leg-row"') == len(legs) > 0
    assert html.count('class="leg"') == len(travelled)  # one polyline per travelled leg on the map
    assert f"{run.route.summary()['gc_cny_per_t']:.1f} CNY/t" in html
    assert f'href="/downloads/route.csv?origin={ORIGIN}&amp;destination={DESTINATION}&amp;cargo=container"' in html
    assert 'id="sites-compute"' in html  # the slow site models start only on request
    assert "<script" not in html.split("<main", 1)[1]  # the page works without script
    # the download has the same legs and numbers
    rows = _csv(client.get("/downloads/route.csv", params={"origin": ORIGIN, "destination": DESTINATION}).content)
    assert [int(x["seq"]) for x in rows] == legs["seq"].tolist()
    assert [float(x["km"]) for x in rows] == pytest.approx(legs["km"].tolist())
    head, data, about = _xlsx(client.get("/downloads/route.xlsx", params={"origin": ORIGIN,
                                                                          "destination": DESTINATION}).content)
    assert head[:3] == ["seq", "from_node", "to_node"] and len(data) == len(legs)
    assert [float(row[head.index("gc_cny_per_t")]) for row in data] == pytest.approx(legs["gc_cny_per_t"].tolist())
    assert about["fingerprint"] == run.fingerprint.digest
    bad = client.get("/logistics", params={"origin": "nowhere-at-all", "destination": DESTINATION})
    assert bad.status_code == 200 and 'id="route-error"' in bad.text


def test_accessibility_map_and_download(embedded: tuple[TestClient, str]) -> None:
    client, url = embedded
    from parklink.web import park_analyses as pa

    html = client.get("/logistics", params={"measure": "time_core_chongqing_h"}).text
    assert 'id="access-map"' in html and html.count('class="park') >= 2 * 68  # both maps draw every park
    rows = _csv(client.get("/downloads/access.csv").content)
    with session_scope(url) as s:
        acc = pa.park_accessibility(s)
    assert acc is not None
    t = acc.result.table.set_index("park_id")
    assert {r["park_id"] for r in rows} == set(t.index)
    for r in rows:
        assert float(r["time_core_chongqing_h"]) == pytest.approx(float(t.loc[r["park_id"], "time_core_chongqing_h"]))


def test_status_and_park_downloads_and_report_links(web: tuple[TestClient, str]) -> None:
    client, url = web
    from parklink.web.status import current_status

    dash = client.get("/").text
    for href in ("/reports/bulletin.pdf", "/reports/next-batch.pdf", "/downloads/status-by-year.csv",
                 "/downloads/status-by-zone.xlsx"):
        assert f'href="{href}"' in dash
    with session_scope(url) as s:
        by_year = current_status(s).by_year
    rows = _csv(client.get("/downloads/status-by-year.csv").content)
    assert [int(r["designated_parks"]) for r in rows] == by_year["designated_parks"].astype(int).tolist()
    park = client.get("/parks/cq-b").text
    assert 'href="/reports/park/cq-b.pdf"' in park and 'href="/reports/designation/b1-a-b.pdf"' in park
    assert 'href="/downloads/park-evaluation.csv?park=cq-b"' in park
    head, data, about = _xlsx(client.get("/downloads/park-access.xlsx", params={"park": "cq-b"}).content)
    assert "time_h" in head and len(data) >= 2 and str(about["标题 title"]).startswith("可达性")
    assert len(_csv(client.get("/downloads/parks.csv").content)) == 3
    assert 'href="/downloads/parks.csv"' in client.get("/parks").text
    assert client.get("/downloads/nope.csv").status_code == 404
    assert client.get("/downloads/parks.pdf").status_code == 404


def test_formula_cells_are_neutralised() -> None:
    import pandas as pd

    from parklink.web.downloads import to_csv

    rows = _csv(to_csv(pd.DataFrame({"name": ["=HYPERLINK(\"http://x\")", "plain"]})))
    assert rows[0]["name"].startswith("'=") and rows[1]["name"] == "plain"


def test_lsr_on_the_chain_panel_equals_parklink_chains(web: tuple[TestClient, str], root: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    client, url = web
    from parklink.cli import app

    monkeypatch.setenv("PARKLINK_DATABASE_URL", url)
    get_settings.cache_clear()
    out = root / "chains.json"
    res = CliRunner().invoke(app, ["chains", "park:cq-b", "--out", str(out)])
    assert res.exit_code == 0, res.output
    tables = json.loads(out.read_text(encoding="utf-8"))["tables"]
    lsr = {(r["chain"], r["region"]): r["lsr"] for r in tables["lsr"]
           if r["scope_id"] == "park:cq-b" and r["level"] == "scope" and r["version"] == "value"}
    delta = {r["chain"]: r["delta"] for r in tables["delta_lsr"]
             if r["scope_id"] == "park:cq-b" and r["level"] == "scope" and r["version"] == "value"}
    rows = _csv(client.get("/downloads/chain-lsr.csv", params={"scope": "park:cq-b"}).content)
    assert rows
    for r in rows:
        assert float(r["lsr_own_province"]) == pytest.approx(lsr[(r["chain"], "own_province")])
        assert float(r["lsr_circle"]) == pytest.approx(lsr[(r["chain"], "circle")])
        assert float(r["delta_lsr"]) == pytest.approx(delta[r["chain"]])
    # the panel's view (server-side path) carries the same rates; targets only for the office
    from parklink.web import park_analyses as pa

    with session_scope(url) as s:
        run = pa.chain_diagnosis(s, "park:cq-b")
    view = pa.diagnosis_view(run)
    assert {v["chain"]: v["delta_lsr"] for v in view["lsr"]} == pytest.approx(delta)
    assert view["targets"] is None and pa.diagnosis_view(run, targets=True)["targets"] is not None
    park = client.get("/parks/cq-b").text
    assert 'id="lsr-table"' in park and "/downloads/chain-lsr.csv?scope=park%3Acq-b" in park
    assert client.get("/downloads/chain-targets.csv", params={"scope": "park:cq-b"}).status_code == 403
    office = token_headers(client, "office")
    ok = client.get("/downloads/chain-targets.csv", params={"scope": "park:cq-b"}, headers=office)
    assert ok.status_code == 200
    targets = _csv(ok.content)
    expected = run.diagnosis.targets
    expected = expected[(expected["scope_id"] == "park:cq-b") & (expected["rank"] <= 3)]
    assert len(targets) == len(expected)
    assert [t["enterprise_id"] for t in targets] == expected["enterprise_id"].astype(str).tolist()
    assert re.search(r'id="h-targets"', park)
