"""The park page's analyses are computed in the background, once per data version.

* the compact table (:mod:`parklink.web.park_precompute`) rebuilds, park by park and after
  the JSON round trip of the job result, exactly the views the page showed when it computed
  them itself (:func:`park_analyses.evaluation_view`, :func:`park_analyses.accessibility_view`);
* a 300-park registry's park page answers at once with the "computing" state (the request
  does not compute), and once the background job is done it shows the score and rank of
  ``parklink evaluate`` on the same database, with the same inputs fingerprint;
* a second process (here: a second app on the same database) reuses the stored result.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from parklink.store.db import get_engine, session_scope, upgrade
from parklink.store.io import write_frame


def _rebuild(session: object) -> None:
    from parklink.web import park_analyses as pa
    from parklink.web import park_precompute as pp

    doc = pp.compute_table(session)  # type: ignore[arg-type]
    table = pp.table_from_json(json.loads(json.dumps(doc, ensure_ascii=False, allow_nan=False)))
    run = pa.park_evaluation(session)  # type: ignore[arg-type]
    acc = pa.park_accessibility(session)  # type: ignore[arg-type]
    assert run is not None and acc is not None
    parks = run.evaluation.to_frame()["alternative"].astype(str).tolist()
    assert len(parks) >= 3
    for park in [*parks, "no-such-park"]:
        assert table.evaluation_view(park) == pa.evaluation_view(run, park), park
        assert table.access_view(park) == pa.accessibility_view(acc, park), park
    assert table.fingerprint == run.fingerprint.digest


def test_compact_table_gives_the_same_views(template_db: Path, tmp_path: Path) -> None:
    from parklink.web.park_analyses import clear_cache

    path = tmp_path / "db.sqlite"
    shutil.copy(template_db, path)
    url = f"sqlite:///{path}"
    clear_cache()
    with session_scope(url) as s:
        _rebuild(s)
    get_engine(url).dispose()


N_PARKS = 300


def build_registry(url: str, n_parks: int = N_PARKS, seed: int = 3) -> None:
    """Embedded regions and zones with ``n_parks`` seeded synthetic parks at district seats."""
    from parklink import tables as t
    from parklink.datasets import chengyu

    rng = np.random.default_rng(seed)
    regions = chengyu.load("regions")
    districts = regions[regions["level"] == "district"].dropna(subset=["seat_lon", "seat_lat"]).reset_index(drop=True)
    pick = rng.integers(0, len(districts), n_parks)
    d = districts.iloc[pick].reset_index(drop=True)
    parks = pd.DataFrame({
        "park_id": [f"p-{i:04d}" for i in range(n_parks)],
        "name_zh": [f"合成园区{i}" for i in range(n_parks)], "name_en": [f"Synthetic park {i}" for i in range(n_parks)],
        "province": d["province"], "adcode": d["adcode"],
        "lon": d["seat_lon"].astype(float) + rng.normal(0, 0.01, n_parks),
        "lat": d["seat_lat"].astype(float) + rng.normal(0, 0.01, n_parks),
        "location_approximate": True, "area_km2": rng.uniform(1, 50, n_parks).round(2),
        "level": rng.choice(t.PARK_LEVELS, n_parks), "kind": rng.choice(t.PARK_KINDS, n_parks),
        "area_types": rng.choice(t.AREA_TYPES, n_parks),
        "focus_chains": [";".join(rng.choice(t.CHAINS, 2, replace=False)) for _ in range(n_parks)],
        "industries": None, "parent_park_id": None, "shared_point": None, "stated_zones": None,
        "source_url": None, "confidence": "synthetic",
    })
    upgrade(url)
    with session_scope(url) as s:
        write_frame(s, "regions", regions)
        write_frame(s, "zones", chengyu.load("zones"))
        write_frame(s, "parks", parks)
    get_engine(url).dispose()


@pytest.fixture
def big_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    from parklink.web.park_analyses import clear_cache

    url = f"sqlite:///{tmp_path / 'big.sqlite'}"
    build_registry(url)
    clear_cache()
    monkeypatch.setenv("PARKLINK_WEB_ANALYSIS_WAIT_S", "0")
    yield url
    clear_cache()
    get_engine(url).dispose()


def _score(html: str) -> tuple[float, int, str] | None:
    m = re.search(r'id="eval-score" data-value="([^"]+)"', html)
    if not m:
        return None
    rank = re.search(r'id="eval-rank" data-value="(\d+)"', html)
    fp = re.search(r'id="eval-fingerprint">([0-9a-f]+)<', html)
    assert rank and fp
    return float(m.group(1)), int(rank.group(1)), fp.group(1)


def test_park_page_does_not_compute_on_the_request(big_url: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from parklink.cli import app as cli_app
    from parklink.web import create_app
    from parklink.web import park_precompute as pp

    park = "p-0007"
    monkeypatch.setattr(pp, "SUBPROCESS_FROM", 100)  # this registry is computed in a child process
    with TestClient(create_app(big_url)) as client:
        t0 = time.perf_counter()
        first = client.get(f"/parks/{park}")
        first_s = time.perf_counter() - t0
        assert first.status_code == 200
        html = first.text
        assert 'id="analyses-state" data-state="computing"' in html
        assert "计算中" in html and "computing" in html and _score(html) is None
        assert '<script src="/static/park.js"></script>' in html
        job_url = re.search(r'data-status-url="(/api/jobs/[0-9a-f]+)"', html)
        assert job_url  # the page polls the public job status (anonymous visitors too)
        t_start = time.perf_counter()
        deadline = time.monotonic() + 600
        while True:
            status = client.get(job_url.group(1)).json()
            if status["status"] in ("done", "failed"):
                break
            assert time.monotonic() < deadline
            time.sleep(0.2)
        computed_s = time.perf_counter() - t_start + first_s
        assert status["status"] == "done", status
        # the first response did not include the computation
        assert first_s < computed_s
        shown = _score(client.get(f"/parks/{park}").text)
        assert shown is not None
        # every park shows its figures now, from the one table
        assert _score(client.get("/parks/p-0123").text) is not None

    # a second worker process on the same database: the stored result, not a new computation
    pp.clear()
    with TestClient(create_app(big_url)) as other:
        again = _score(other.get(f"/parks/{park}").text)
        assert again == shown

    out = tmp_path / "ev.json"
    result = CliRunner().invoke(cli_app, ["evaluate", "--database", big_url, "--rows", "1", "--json", str(out)])
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    cli = {str(r["park_id"]): (float(r["score"]), int(r["rank"])) for r in doc["parks"]}
    score, rank, fingerprint = shown
    assert (score, rank) == (pytest.approx(cli[park][0], rel=1e-12), cli[park][1])
    assert fingerprint == doc["fingerprint"]["digest"]


def test_page_waits_briefly_for_a_small_registry(template_db: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """With a wait bound, a registry computed within it is shown on the first view."""
    from parklink.web import create_app
    from parklink.web.park_analyses import clear_cache

    path = tmp_path / "db.sqlite"
    shutil.copy(template_db, path)
    url = f"sqlite:///{path}"
    clear_cache()
    monkeypatch.setenv("PARKLINK_WEB_ANALYSIS_WAIT_S", "120")
    with TestClient(create_app(url)) as client:
        html = client.get("/parks/sc-a").text
        assert _score(html) is not None and "analyses-state" not in html
    get_engine(url).dispose()


def test_concurrent_cold_lookups_load_the_stored_result_once(template_db: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that did not compute the table (here: the in-process tables forgotten) and
    gets 8 park-page requests at once loads the stored result once; all 8 get that table."""
    from sqlalchemy.orm import sessionmaker

    from parklink.testing import run_together
    from parklink.web import park_precompute as pp
    from parklink.web.park_analyses import clear_cache

    path = tmp_path / "db.sqlite"
    shutil.copy(template_db, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("PARKLINK_DATA_DIR", str(tmp_path / "data"))
    clear_cache()
    pp.clear()
    sessions = sessionmaker(bind=get_engine(url), expire_on_commit=False)
    with sessions() as session:
        assert pp.lookup(sessions, session, wait_s=120.0).state == "ready"
    pp.clear()  # as a second worker process: the stored result is there, not loaded here
    loads: list[int] = []
    real = pp.table_from_json

    def slow_load(doc: dict[str, object]) -> pp.ParkTable:
        loads.append(1)
        time.sleep(0.2)  # the window in which the other requests miss too
        return real(doc)

    monkeypatch.setattr(pp, "table_from_json", slow_load)
    def view() -> pp.Lookup:
        with sessions() as session:
            return pp.lookup(sessions, session, wait_s=0.0)

    found = run_together(8, view)
    assert len(loads) == 1
    assert [f.state for f in found] == ["ready"] * 8
    assert len({id(f.table) for f in found}) == 1
    assert pp._flights == {}
    pp.clear()
    get_engine(url).dispose()
