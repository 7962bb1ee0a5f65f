"""One answer for leader ↔ supplier matching: the CLI, the API and the page give the same
learned top-k for the same enterprise, show the fitted weights, and do not refit per request."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from parklink.cli import app
from parklink.datasets import synthetic as syn
from parklink.settings import get_settings
from parklink.store import models as m
from parklink.store.db import session_scope

from .conftest import PASSWORD, token_headers

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _count_fits(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that gets one item per fit of the learned supplier ranker (the real fit runs)."""
    from parklink.sme import run as sme_run

    fits: list[int] = []
    real_fit = sme_run.fit_supplier_ranker

    def counting_fit(*a, **kw):  # type: ignore[no-untyped-def]
        fits.append(1)
        return real_fit(*a, **kw)

    monkeypatch.setattr(sme_run, "fit_supplier_ranker", counting_fit)
    return fits


@pytest.fixture
def learned_env(web_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path, str]]:
    """The tiny registry plus a small generated firm dataset in the data dir; a buyer of it."""
    data = tmp_path / "data"
    root = data / "firms"
    syn.write_dataset(root, n_firms=600, n_transactions=9_000, seed=7, progress=False)
    monkeypatch.setenv("PARKLINK_DATA_DIR", str(data))
    get_settings.cache_clear()
    tx = pd.read_parquet(root / "transactions")
    last = tx[tx["year"] == tx["year"].max()]
    buyer = str(last.groupby("buyer_id").size().sort_values(ascending=False, kind="stable").index[0])
    yield web_url, root, buyer
    get_settings.cache_clear()


def test_cli_api_page_give_the_same_learned_top_k(learned_env: tuple[str, Path, str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from parklink.web import create_app

    url, root, buyer = learned_env
    r = CliRunner().invoke(app, ["match", buyer, "--k", "5", "--json", "-d", url, "--firm-root", str(root)])
    assert r.exit_code == 0, r.output
    cli = json.loads(r.output)[0]
    assert cli["kind"] == "leader_supplier" and cli["learned"] is True and cli["ranking"] == "learned"
    cli_top = [m["candidate_id"] for m in cli["matches"]]
    assert len(cli_top) == 5 and buyer not in cli_top
    feats = {w["feature"] for w in cli["weights"]}
    assert {"text", "segment", "log_degree"} <= feats
    # the CLI's text output prints the fitted weights too
    text = CliRunner().invoke(app, ["match", buyer, "--k", "5", "-d", url, "--firm-root", str(root)])
    assert text.exit_code == 0 and "fitted weights" in text.output

    fits = _count_fits(monkeypatch)
    monkeypatch.setenv("PARKLINK_WEB_ANALYSIS_WAIT_S", "300")  # the first request waits for the fit
    with TestClient(create_app(url)) as client:
        h = token_headers(client, "office")
        api = client.get(f"/api/sme/{buyer}/matches?k=5", headers=h)
        assert api.status_code == 200, api.text
        res = api.json()["results"][0]
        assert res["learned"] is True and res["weights"] == cli["weights"]
        assert [m["candidate_id"] for m in res["matches"]] == cli_top
        assert res["fingerprint"] == cli["fingerprint"]  # issuing a token does not change the data version
        # a second request and the page reuse the fitted model (one fit per data fingerprint)
        assert client.get(f"/api/sme/{buyer}/matches?k=5", headers=h).status_code == 200
        login = client.get("/login")
        token = login.text.split('name="csrf" value="')[1].split('"')[0]
        client.post("/login", data={"username": "office", "password": PASSWORD, "csrf": token})
        page = client.get(f"/sme/{buyer}/matches?k=5")
        assert page.status_code == 200
        page_top = re.findall(r'<li class="match" data-candidate="([^"]+)"', page.text)
        assert page_top == cli_top
        assert 'data-ranking="learned"' in page.text and "Fitted weights" in page.text
        assert 'data-feature="log_degree"' in page.text
        assert len(fits) == 1
        # the hand weights stay available as the explicit baseline, and say so
        hand = client.get(f"/api/sme/{buyer}/matches?k=5&ranking=hand", headers=h).json()["results"][0]
        assert hand["learned"] is False and hand["ranking"] == "hand" and "weights" not in hand
        assert any("baseline" in n for n in hand["notes"])
        # role rules unchanged: the public and anonymous callers see nothing
        assert client.get(f"/api/sme/{buyer}/matches", headers=token_headers(client, "citizen")).status_code == 403
    r = CliRunner().invoke(app, ["match", buyer, "--k", "5", "--json", "--hand-weights", "-d", url,
                                 "--firm-root", str(root)])
    assert r.exit_code == 0 and json.loads(r.output)[0]["ranking"] == "hand"


def test_without_firm_data_the_result_says_it_is_not_learned(web_url: str) -> None:
    from parklink.web import create_app

    with TestClient(create_app(web_url)) as client:
        h = token_headers(client, "office")
        body = client.get("/api/sme/E1/matches", headers=h).json()["results"][0]
        assert body["learned"] is False and body["not_learned"]
        assert any(n.startswith("未学习") and "not learned" in n for n in body["notes"])


def test_the_fit_runs_in_the_background_and_other_domains_do_not_refit(
        learned_env: tuple[str, Path, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """No request holds a worker for the whole fit: with no wait the API answers 503 with
    Retry-After and the page says it is computing (and refreshes); once the background fit is
    done both answer from it. A promotion write (another data domain) does not refit; a write
    to the enterprise registry does (on the next request)."""
    from parklink.web import create_app
    from parklink.web.park_analyses import clear_cache
    from parklink.web.routers import sme as sme_router

    from .test_web_cache_domains import _promotion_write

    url, _root, buyer = learned_env
    clear_cache()
    fits = _count_fits(monkeypatch)
    monkeypatch.setenv("PARKLINK_WEB_ANALYSIS_WAIT_S", "0")
    with TestClient(create_app(url)) as client:
        h = token_headers(client, "office")
        first = client.get(f"/api/sme/{buyer}/matches?k=5", headers=h)
        assert first.status_code == 503, first.text
        assert first.headers["Retry-After"] == str(sme_router.RETRY_AFTER_S)
        assert "being fitted" in first.json()["detail"]
        login = client.get("/login")
        token = login.text.split('name="csrf" value="')[1].split('"')[0]
        client.post("/login", data={"username": "office", "password": PASSWORD, "csrf": token})
        page = client.get(f"/sme/{buyer}/matches?k=5")
        assert page.status_code in (200, 503)  # the fit may have finished in between
        if page.status_code == 503:
            assert 'data-state="computing"' in page.text and 'http-equiv="refresh"' in page.text
        for thread in list(sme_router._fits.values()):
            thread.join(300)
        ready = client.get(f"/api/sme/{buyer}/matches?k=5", headers=h)
        assert ready.status_code == 200 and ready.json()["results"][0]["learned"] is True
        assert len(fits) == 1
        _promotion_write(url)  # another domain: the fitted model stays valid
        assert client.get(f"/api/sme/{buyer}/matches?k=5", headers=h).status_code == 200
        assert len(fits) == 1
        with session_scope(url) as s:  # the enterprise registry: the next request refits
            ent = s.scalars(select(m.Enterprise).limit(1)).first()
            assert ent is not None
            ent.name_en = f"{ent.name_en or ''} (renamed)"
        again = client.get(f"/api/sme/{buyer}/matches?k=5", headers=h)
        assert again.status_code == 503
        for thread in list(sme_router._fits.values()):
            thread.join(300)
        assert client.get(f"/api/sme/{buyer}/matches?k=5", headers=h).status_code == 200
        assert len(fits) == 2
