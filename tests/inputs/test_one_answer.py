"""One question, one answer: the same analysis through every entry point — CLI (``--json``),
API job, park page, ``parklink plan`` — gives identical results and equal inputs
fingerprints, on SQLite and PostgreSQL; and an imported transport link changes
``parklink route``, the web route job and the plan alike.

The registry is the embedded Chengdu–Chongqing dataset loaded into the database, with a
small seeded synthetic firm population (1 500 firms, 15 000 transactions).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from parklink.cli import app
from parklink.settings import get_settings
from parklink.store.db import get_engine

runner = CliRunner()
ROUTE = ("cq-liangjiang-new-area", "sc-chengdu-htz")
PAGE_PARKS = ("cq-hechuan-htz", "sc-deyang-etdz", "cq-rongchang-htz")  # ranked parks (a parent whose sub-park stands for it is not)


@pytest.fixture
def programme(db_url: str, isolated_settings: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``db_url`` holding the embedded dataset, set as the default database, with a firm dataset."""
    from parklink.store.seed import init_default

    monkeypatch.setenv("PARKLINK_DATABASE_URL", db_url)
    get_settings.cache_clear()
    init_default(db_url, firm_root=get_settings().firm_dir, n_firms=1500, n_transactions=15_000, progress=False)
    yield db_url
    get_engine(db_url).dispose()


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def cli_json(tmp: Path, name: str, *args: str) -> dict[str, Any]:
    path = tmp / name
    cli(*args, "--json", str(path))
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def job(client: TestClient, kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """Submit an analysis job, wait for it, return its result."""
    r = client.post(f"/api/analyses/{kind}", json=body)
    assert r.status_code in (200, 202), r.text
    ref = r.json()
    end = time.monotonic() + 120
    while True:
        status = client.get(ref["status_url"]).json()
        if status["status"] in ("done", "failed"):
            break
        assert time.monotonic() < end, status
        time.sleep(0.05)
    assert status["status"] == "done", status
    result: dict[str, Any] = client.get(ref["result_url"]).json()["result"]
    return result


def plan_doc(url: str, names: tuple[str, ...]) -> dict[str, Any]:
    """``plan.json`` of :func:`parklink.plan.build_plan` with the named default hooks."""
    from parklink.plan import build_plan, default_hooks

    hooks = [(n, h) for n, h in default_hooks() if n in names]
    doc: dict[str, Any] = json.loads(json.dumps(build_plan(url, firm_root=get_settings().firm_dir,
                                                           hooks=hooks).to_dict(), default=str))
    return doc


def section(doc: dict[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in doc["sections"] if s["key"] == key)


def ranking(rows: list[dict[str, Any]]) -> dict[str, tuple[int, float]]:
    return {str(r["park_id"]): (int(r["rank"]), float(r["score"])) for r in rows}


def test_same_question_same_answer_everywhere(programme: str, tmp_path: Path) -> None:
    from parklink.web import create_app
    from parklink.web.park_analyses import clear_cache

    url = programme
    clear_cache()
    # ---- CLI
    ev_cli = cli_json(tmp_path, "ev.json", "evaluate", "--database", url, "--rows", "1")
    des_cli = cli_json(tmp_path, "des.json", "designate", "--database", url, "--explain", "--runner-ups", "5",
                       "--no-history")
    route_cli = cli_json(tmp_path, "route.json", "route", *ROUTE)
    cli("chains", "SC", "--out", str(tmp_path / "chains.json"))
    chains_cli = json.loads((tmp_path / "chains.json").read_text(encoding="utf-8"))
    assert ev_cli["source"] == "database" and ev_cli["config"]["travel_time"] == "network"
    n_parks = len(ev_cli["parks"])
    ranks = sorted(r["rank"] for r in ev_cli["parks"])
    assert n_parks >= 60 and ranks[0] == 1 and ranks[-1] <= n_parks  # ties share a rank

    # ---- API jobs and the park page
    with TestClient(create_app(url)) as client:
        ev_api = job(client, "evaluation", {})
        des_api = job(client, "designation", {"explain": True, "runner_ups": 5})
        route_api = job(client, "route", {"origin": ROUTE[0], "destination": ROUTE[1]})
        chains_api = job(client, "chains", {"scope": "SC"})
        pages = {}
        for park in PAGE_PARKS:
            html = client.get(f"/parks/{park}", headers={"accept": "text/html"}).text
            pages[park] = (int(re.search(r'id="eval-rank" data-value="(\d+)"', html).group(1)),  # type: ignore[union-attr]
                           float(re.search(r'id="eval-score" data-value="([^"]+)"', html).group(1)),  # type: ignore[union-attr]
                           re.search(r'id="eval-fingerprint">([0-9a-f]+)<', html).group(1))  # type: ignore[union-attr]
        from parklink.web import park_analyses as pa

        with client.app.state.web.sessions() as session:  # type: ignore[attr-defined]
            page_run = pa.park_evaluation(session)
            assert page_run is not None
            page_chains = pa.diagnosis_view(pa.chain_diagnosis(session, "SC"))

    # ---- plan
    doc = plan_doc(url, ("evaluation+designation",))
    ev_plan, des_plan = section(doc, "evaluation"), section(doc, "designation")

    # evaluation: identical scores and ranks, equal fingerprints
    want = ranking(ev_cli["parks"])
    assert ranking(ev_api["ranking"]) == want
    assert ranking(ev_plan["summary"]["parks"]) == want
    assert ranking(page_run.scores_json()["parks"]) == want  # type: ignore[arg-type]
    for park, (rank, score, fp) in pages.items():
        assert (rank, pytest.approx(score, rel=1e-12)) == want[park] and fp == ev_cli["fingerprint"]["digest"]
    digest = ev_cli["fingerprint"]["digest"]
    assert ev_api["fingerprint"]["digest"] == digest
    assert ev_plan["summary"]["fingerprint"]["digest"] == digest
    assert page_run.fingerprint.digest == digest
    # the plan's evaluation table carries park ids and has a stable key
    table = ev_plan["tables"][0]
    assert table["key"] == "evaluation.park_ranking_with_robustness" and "park_id" in table["columns"]

    # designation: the same designated parks (and years), equal fingerprints
    assert des_api["status"] == "solved"
    assert des_api["designated"] == des_cli["designated"] == des_plan["summary"]["designated"]
    assert len(des_cli["designated"]) >= 10
    assert (des_api["fingerprint"]["digest"] == des_cli["fingerprint"]["digest"]
            == des_plan["summary"]["fingerprint"]["digest"])
    assert des_api["summary"]["objective"] == pytest.approx(des_cli["objective"], rel=1e-9)

    # route: the same path and cost, equal fingerprints
    keys = ("gc_cny_per_t", "money_cny_per_t", "time_h", "distance_km", "modes", "transfers")
    assert {k: route_api["summary"][k] for k in keys} == {k: route_cli[k] for k in keys}
    assert route_api["fingerprint"]["digest"] == route_cli["fingerprint"]["digest"]

    # chain diagnosis: the same tables, equal fingerprints (CLI file, API job, explorer page data)
    fp = chains_cli["fingerprint"]["digest"]
    assert chains_api["fingerprint"]["digest"] == fp == page_chains["fingerprint"]
    for name in ("completeness", "gaps", "segments"):
        cli_t = pd.DataFrame(chains_cli["tables"][name])
        api_t = pd.DataFrame(chains_api["tables"][name])[list(cli_t.columns)]
        pd.testing.assert_frame_equal(cli_t, api_t, check_dtype=False)
    page_gaps = {(g["segment_id"], g["gap_type"]) for g in page_chains["gaps"]}
    assert page_gaps == {(g["segment_id"], g["gap_type"]) for g in chains_cli["tables"]["gaps"]
                         if g["scope_id"] == page_chains["scope"]["scope_id"]}
    assert page_gaps  # the small firm population leaves gaps in Sichuan

    # a different configuration is a different fingerprint (and the CLI says so)
    geo = cli_json(tmp_path, "geo.json", "evaluate", "--database", url, "--travel-time", "geodesic", "--rows", "1")
    assert geo["fingerprint"]["config"] != ev_cli["fingerprint"]["config"]
    assert geo["fingerprint"]["data_version"] == ev_cli["fingerprint"]["data_version"]


def test_imported_link_changes_route_web_route_and_plan(programme: str, tmp_path: Path) -> None:
    """One imported rail link (Guoyuan port ↔ Chengdu international railway port, replacing
    the approximate rail layer; priced low enough to beat the expressways) changes the route of the CLI, the web job and the plan's
    logistics section alike — and their fingerprints."""
    from parklink.web import create_app
    from parklink.web.park_analyses import clear_cache

    url = programme

    def observe(tag: str) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
        clear_cache()
        r_cli = cli_json(tmp_path, f"route-{tag}.json", "route", *ROUTE)
        with TestClient(create_app(url)) as client:
            r_api = job(client, "route", {"origin": ROUTE[0], "destination": ROUTE[1]})
        tables = section(plan_doc(url, ("logistics",)), "logistics")["tables"]
        by_mode = next(t for t in tables if t["key"] == "logistics.network_by_mode")["rows"]
        return r_cli, r_api, by_mode

    before_cli, before_api, before_acc = observe("before")
    link = pd.DataFrame([{
        "link_id": "guoyuan-cdrailport", "from_node": "port.guoyuan", "to_node": "rail.chengdu-railport",
        "mode": "rail", "distance_km": 330.0, "time_h": 1.0, "cost_cny_per_t": 1.0, "bidirectional": True,
        "approximate": False, "source_url": "https://example.org/test-link", "confidence": "likely",
    }])
    csv = tmp_path / "links.csv"
    link.to_csv(csv, index=False)
    cli("import", "transport_links", str(csv), "--database", url)
    after_cli, after_api, after_acc = observe("after")

    for before, after in ((before_cli, after_cli), (before_api["summary"], after_api["summary"])):
        assert after["gc_cny_per_t"] != before["gc_cny_per_t"]
        assert after["fingerprint"]["digest"] != before["fingerprint"]["digest"]
    keys = ("gc_cny_per_t", "time_h", "distance_km", "modes")
    assert {k: after_api["summary"][k] for k in keys} == {k: after_cli[k] for k in keys}
    rail_km = [leg["km"] for leg in after_cli["legs"] if leg["mode"] == "rail"]
    assert rail_km == [pytest.approx(330.0)]  # the imported link is the whole rail leg
    rail = {tag: [r for r in rows if r["mode"] == "rail"] for tag, rows in (("before", before_acc),
                                                                              ("after", after_acc))}
    assert rail["before"][0]["links"] > 1  # the approximate rail layer
    assert rail["after"] == [{"mode": "rail", "links": 1, "km": pytest.approx(330.0)}]  # the plan's network
