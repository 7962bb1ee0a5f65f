"""The exact response cache of the registry GET endpoints and their fast (orjson) bodies.

Expectations are independent of the code under test: the hand-made tiny registry
(``parklink.testing.tiny_registry``: e.g. park cq-b has area types ``transport_node;adjacent``
in that order), the pydantic response models of ``parklink.web.schemas`` (the OpenAPI schema),
and RFC 9110 for ETag / If-None-Match.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from parklink.store.version import data_version
from parklink.web import create_app, schemas
from parklink.web.cache import (
    CachedResponse,
    ResponseCache,
    ResponseCacheMiddleware,
    cacheable,
    check_dependencies,
    current_version,
    etag_matches,
    etag_of,
    normalised_query,
    response_cache,
)
from parklink.web.deps import PrincipalDep, SessionDep
from parklink.web.registry import _ordered_items

#: Every cached endpoint of the registry with its response model (the OpenAPI schema).
ENDPOINTS: list[tuple[str, type[BaseModel]]] = [
    ("/api/parks", schemas.ParkPage),
    ("/api/parks?chain=auto&sort=-name_en&page_size=2", schemas.ParkPage),
    ("/api/parks/cq-b", schemas.ParkOut),
    ("/api/parks/cq-c", schemas.ParkOut),
    ("/api/regions?level=district", schemas.RegionPage),
    ("/api/regions/510112", schemas.RegionOut),
    ("/api/zones", schemas.ZonePage),
    ("/api/zones/test-platform", schemas.ZoneOut),
    ("/api/designations", schemas.DesignationPage),
    ("/api/designations/b1-a-b", schemas.DesignationOut),
    ("/api/targets", schemas.TargetPage),
    ("/api/targets/2022", schemas.TargetOut),
    ("/api/enterprises", schemas.EnterprisePage),
    ("/api/enterprises/E2", schemas.EnterpriseOut),
]


def cache_of(client: TestClient) -> ResponseCache:
    cache = response_cache(client.app)
    assert cache is not None
    return cache


# --- bodies: true to the response models ---------------------------------------------------------

@pytest.mark.parametrize(("url", "model"), ENDPOINTS)
def test_fast_bodies_match_the_response_model(ro_client: TestClient, url: str, model: type[BaseModel]) -> None:
    first = ro_client.get(url)
    second = ro_client.get(url)
    assert first.status_code == second.status_code == 200, first.text
    assert first.content == second.content  # the miss and the hit serve the same bytes
    assert first.headers["content-type"] == "application/json"
    parsed = model.model_validate_json(first.content)
    # nothing dropped, added or coerced by the model: the bytes are exactly its JSON form
    assert json.loads(first.content) == parsed.model_dump(mode="json")


def test_openapi_still_names_the_models(ro_client: TestClient) -> None:
    paths = ro_client.get("/openapi.json").json()["paths"]
    for path, model in [("/api/parks", schemas.ParkPage), ("/api/parks/{park_id}", schemas.ParkOut),
                        ("/api/enterprises", schemas.EnterprisePage), ("/api/targets/{year}", schemas.TargetOut)]:
        ref = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert ref == "#/components/schemas/" + model.__name__


def test_list_cells_keep_their_stored_order(ro_client: TestClient) -> None:
    # tiny_registry: cq-b area_types "transport_node;adjacent" (not alphabetical), sc-a chains
    # "auto;electronics", cq-c no list values; designation b1-a-b members "cq-b;sc-a"
    parks = {p["park_id"]: p for p in ro_client.get("/api/parks").json()["items"]}
    assert parks["cq-b"]["area_types"] == ["transport_node", "adjacent"]
    assert parks["sc-a"]["focus_chains"] == ["auto", "electronics"]
    assert parks["cq-c"]["area_types"] == [] and parks["cq-c"]["focus_chains"] == []
    assert parks["sc-a"]["location_approximate"] is True and parks["cq-b"]["area_km2"] is None
    des = ro_client.get("/api/designations/b1-a-b").json()
    assert des["members"] == ["cq-b", "sc-a"] and des["announced"] == "2021-01-05"
    assert ro_client.get("/api/regions/510100").json()["name_zh"] == "成都市"


def test_ordered_items_sorts_by_position() -> None:
    assert _ordered_items(None) == [] and _ordered_items("") == []
    assert _ordered_items("0:auto") == ["auto"]
    assert _ordered_items("2:c;0:a;10:d;1:b") == ["a", "b", "c", "d"]  # numeric, not text order
    assert _ordered_items("1:3392:E;0:3391:P") == ["3391:P", "3392:E"]  # items may contain ':'


# --- cache behaviour ------------------------------------------------------------------------------

def test_hit_etag_304_and_security_headers(client: TestClient) -> None:
    r1 = client.get("/api/parks?province=CQ&page_size=10")
    cache = cache_of(client)
    hits = cache.hits
    r2 = client.get("/api/parks?page_size=10&province=CQ")  # same query, other order: same entry
    assert cache.hits == hits + 1
    assert r1.content == r2.content and r1.headers["etag"] == r2.headers["etag"] == etag_of(r1.content)
    assert r2.headers["cache-control"] == "no-cache"
    assert r2.headers["x-content-type-options"] == "nosniff"  # cached bodies still get them
    assert "content-security-policy" in r2.headers
    r3 = client.get("/api/parks?province=CQ&page_size=10", headers={"If-None-Match": r1.headers["etag"]})
    assert r3.status_code == 304 and r3.content == b"" and r3.headers["etag"] == r1.headers["etag"]
    r4 = client.get("/api/parks?province=CQ&page_size=10", headers={"If-None-Match": '"other"'})
    assert r4.status_code == 200 and r4.content == r1.content


def test_errors_are_not_cached(client: TestClient) -> None:
    client.get("/api/parks")
    cache = cache_of(client)
    before = len(cache)
    for _ in range(2):
        assert client.get("/api/parks/no-such-park").status_code == 404
        assert client.get("/api/parks?page=0").status_code == 422
        assert client.get("/api/parks?sort=nonsense").status_code == 422
    assert len(cache) == before


def test_same_bytes_for_every_role(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    bodies = {role: client.get("/api/parks/sc-a", headers=h).content for role, h in headers.items()}
    assert len(set(bodies.values())) == 1
    assert cache_of(client).hits >= len(headers) - 1


def test_api_write_is_visible_on_the_next_get_from_any_instance(
    client: TestClient, web_url: str, headers: dict[str, dict[str, str]]
) -> None:
    office = headers["programme_office"]
    with TestClient(create_app(web_url)) as other:
        for c in (client, other):  # both instances cache the current state
            assert c.get("/api/parks/sc-a").json()["area_km2"] == 10.5
            assert c.get("/api/parks/sc-a").json()["area_km2"] == 10.5
            assert c.get("/api/parks?province=SC").json()["items"][0]["area_km2"] == 10.5
        r = client.patch("/api/parks/sc-a", json={"area_km2": 11.25, "focus_chains": ["moto"]}, headers=office)
        assert r.status_code == 200, r.text
        for c in (client, other):
            park = c.get("/api/parks/sc-a").json()
            assert park["area_km2"] == 11.25 and park["focus_chains"] == ["moto"]
            assert c.get("/api/parks?province=SC").json()["items"][0]["area_km2"] == 11.25
            assert c.get("/api/parks?chain=moto").json()["total"] == 1
        assert client.post("/api/parks", json={
            "park_id": "sc-new", "name_zh": "新园区", "name_en": "New Park", "province": "SC", "adcode": "510112",
            "lon": 104.3, "lat": 30.6, "location_approximate": False, "level": "provincial", "kind": "edz",
            "area_types": ["adjacent"], "focus_chains": ["moto"], "confidence": "synthetic"}, headers=office,
        ).status_code == 201
        assert other.get("/api/parks").json()["total"] == 4
        assert client.delete("/api/parks/sc-new", headers=office).status_code == 204
        assert other.get("/api/parks/sc-new").status_code == 404
        assert other.get("/api/parks").json()["total"] == 3


def test_import_is_visible_on_the_next_get(client: TestClient, web_url: str, tmp_path: Path) -> None:
    from parklink.ingest import import_file

    with TestClient(create_app(web_url)) as other:
        for c in (client, other):
            assert c.get("/api/parks").json()["total"] == 3
            assert c.get("/api/parks/sc-imp").status_code == 404
        csv = tmp_path / "parks.csv"
        csv.write_text(
            "park_id,name_zh,name_en,province,adcode,lon,lat,location_approximate,area_km2,level,kind,"
            "area_types,focus_chains,industries,source_url,confidence\n"
            "sc-imp,导入园区,Imported Park,SC,510112,104.2,30.5,true,2.5,provincial,edz,"
            "adjacent,moto;auto,,,synthetic\n",
            encoding="utf-8",
        )
        assert import_file("parks", csv, session_url=web_url).rows == 1
        for c in (client, other):
            body = c.get("/api/parks").json()
            assert body["total"] == 4 and "sc-imp" in [p["park_id"] for p in body["items"]]
            assert c.get("/api/parks/sc-imp").json()["focus_chains"] == ["moto", "auto"]


def test_current_version_agrees_with_data_version(client: TestClient, headers: dict[str, dict[str, str]]) -> None:
    state = client.app.state.web  # type: ignore[attr-defined]
    engine = state.sessions.kw["bind"]

    def both() -> tuple[int, int, int]:
        with state.sessions() as s:
            return current_version(engine), current_version(s), data_version(s)

    v0 = both()
    assert len(set(v0)) == 1
    r = client.patch("/api/parks/cq-c", json={"area_km2": 4.0}, headers=headers["programme_office"])
    assert r.status_code == 200
    v1 = both()
    assert len(set(v1)) == 1 and v1[0] > v0[0]


def test_caller_dependent_routes_are_refused(client: TestClient) -> None:
    async def who(principal: PrincipalDep) -> dict[str, str]:
        return {"role": principal.role}

    async def fine(session: SessionDep) -> dict[str, int]:
        return {"n": 1}

    with pytest.raises(TypeError, match="depends on get_principal"):
        check_dependencies(APIRoute("/api/parks/x", cacheable(who), methods=["GET"]))
    check_dependencies(APIRoute("/api/parks/y", cacheable(fine), methods=["GET"]))

    app = FastAPI()
    app.state.web = client.app.state.web  # type: ignore[attr-defined]
    app.add_api_route("/api/parks/who", cacheable(who), methods=["GET"])
    app.add_middleware(ResponseCacheMiddleware)
    with TestClient(app) as c:
        assert c.get("/api/parks/who").json() == {"role": "public"}
        assert c.get("/api/parks/who").json() == {"role": "public"}
        assert len(cache_of(c)) == 0 and cache_of(c).hits == 0


# --- units ------------------------------------------------------------------------------------------

def _entry(n: int) -> CachedResponse:
    body = b"x" * n
    return CachedResponse(body, ((b"content-type", b"application/json"),), etag_of(body))


def test_lru_bounds_and_versions() -> None:
    cache = ResponseCache(max_entries=2, max_bytes=100)
    assert cache.get(1, ("/a", "")) is None
    cache.put(1, ("/a", ""), _entry(10))
    cache.put(1, ("/b", ""), _entry(10))
    assert cache.get(1, ("/a", "")) is not None  # /a is now the most recent
    cache.put(1, ("/c", ""), _entry(10))  # evicts /b, the least recently used
    assert cache.get(1, ("/b", "")) is None and cache.get(1, ("/c", "")) is not None
    cache.put(1, ("/d", ""), _entry(95))  # over the byte bound: only /d stays
    assert len(cache) == 1 and cache.size_bytes == 95
    cache.put(1, ("/e", ""), _entry(101))  # larger than the bound: not stored
    assert cache.get(1, ("/e", "")) is None
    assert cache.get(2, ("/d", "")) is None and len(cache) == 0  # a new version drops everything
    cache.put(1, ("/old", ""), _entry(1))  # a body read under an older version is not kept
    assert len(cache) == 0


def test_in_memory_sqlite_reads_the_version_through_the_app() -> None:
    # a second pool on an in-memory SQLite URL would open another (empty) database
    import warnings

    from sqlalchemy import create_engine

    from parklink.web.cache import _in_memory

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _in_memory(create_engine("sqlite://")) and _in_memory(create_engine("sqlite:///:memory:"))
        assert _in_memory(create_engine("sqlite:///file:x?mode=memory&cache=shared&uri=true"))
        assert not _in_memory(create_engine("sqlite:////tmp/parklink.sqlite"))


def test_etag_matching_rfc9110() -> None:
    tag = etag_of(b"{}")
    assert tag.startswith('"') and tag.endswith('"') and tag == etag_of(b"{}") != etag_of(b"[]")
    assert etag_matches(tag, tag) and etag_matches(f'"a", W/{tag}', tag) and etag_matches("*", tag)
    assert not etag_matches(None, tag) and not etag_matches('"a", "b"', tag)


def test_normalised_query_examples() -> None:
    assert normalised_query(b"") == ""
    assert normalised_query(b"page=2&province=SC") == normalised_query("province=SC&page=2") == "page=2&province=SC"
    assert normalised_query("q=%E5%9B%AD&x=") == "q=%E5%9B%AD&x="
    assert normalised_query("a=2&b=1&a=1") == "a=2&a=1&b=1"  # repeated names keep their order


_names = st.sampled_from(["page", "page_size", "sort", "province", "chain", "q"])
_values = st.text(alphabet="abcSC-_ 园区;&=%", max_size=6)


@given(st.lists(st.tuples(_names, _values), max_size=6), st.randoms())
def test_normalised_query_is_order_free_per_name(pairs: list[tuple[str, str]], rnd: Any) -> None:
    from urllib.parse import parse_qsl, urlencode

    shuffled = pairs[:]
    rnd.shuffle(shuffled)
    # reorder across names only: keep each name's values in their original relative order
    by_name: dict[str, list[str]] = {}
    for name, value in pairs:
        by_name.setdefault(name, []).append(value)
    regrouped = [(name, by_name[name].pop(0)) for name, _ in shuffled]
    a, b = normalised_query(urlencode(pairs)), normalised_query(urlencode(regrouped))
    assert a == b
    # and it keeps what the application reads: every name's values in order
    decoded = parse_qsl(a, keep_blank_values=True)
    for name in {n for n, _ in pairs}:
        assert [v for n, v in decoded if n == name] == [v for n, v in pairs if n == name]


def test_cache_is_exact_on_both_databases(db_url: str, tmp_path: Path) -> None:
    from .conftest import load_registry, token_headers

    load_registry(db_url)
    with TestClient(create_app(db_url)) as one, TestClient(create_app(db_url)) as two:
        office = token_headers(one, "office")
        for c in (one, two):
            assert c.get("/api/parks/cq-b").json()["area_types"] == ["transport_node", "adjacent"]
            assert c.get("/api/parks?chain=auto").json()["total"] == 2
        r = one.patch("/api/parks/cq-b", json={"area_types": ["adjacent", "transport_node"], "focus_chains": ["moto"]},
                      headers=office)
        assert r.status_code == 200, r.text
        for c in (two, one):
            assert c.get("/api/parks/cq-b").json()["area_types"] == ["adjacent", "transport_node"]
            assert c.get("/api/parks?chain=auto").json()["total"] == 1
        body = two.get("/api/parks/cq-b")
        assert schemas.ParkOut.model_validate_json(body.content).model_dump(mode="json") == body.json()


def test_hits_do_not_wait_for_the_application_pool(client: TestClient) -> None:
    # Endpoints in worker threads hold the application's connections until the event loop
    # commits their sessions; a version read waiting on that pool from the loop would
    # deadlock the worker. The cache reads the version on a pool of its own.
    import time

    assert client.get("/api/parks/sc-a").status_code == 200
    engine = client.app.state.web.sessions.kw["bind"]  # type: ignore[attr-defined]
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    held = []
    engine.pool._timeout = 0.05  # fail fast once exhausted
    try:
        while True:  # exhaust the application's pool
            try:
                held.append(engine.connect())
            except PoolTimeout:
                break
        assert len(held) >= engine.pool.size()
        t0 = time.perf_counter()
        r = client.get("/api/parks/sc-a")
        assert r.status_code == 200 and time.perf_counter() - t0 < 5
    finally:
        for conn in held:
            conn.close()
        engine.pool._timeout = 30


def test_single_flight_memo_bound_and_comparison_mode() -> None:
    """The memo keeps its newest ``max_entries`` keys (least recently used dropped first),
    and ``single_flight=False`` (a benchmark's comparison) lets concurrent misses each compute."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from parklink.web.cache import SingleFlightMemo

    memo = SingleFlightMemo(3)
    for k in "abc":
        memo.get(k, lambda k=k: k.upper())
    assert memo.get("a", lambda: "recomputed") == "A"  # a hit: 'a' is now the newest
    memo.get("d", lambda: "D")  # drops 'b', the least recently used
    assert "b" not in memo and all(k in memo for k in "acd")

    calls: list[int] = []
    inside = threading.Barrier(4)  # passed only when all four threads compute at once

    def compute() -> int:
        calls.append(1)
        inside.wait(5)
        return len(calls)

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: memo.get("x", compute, single_flight=False), range(4)))
    assert len(calls) == 4 and "x" in memo
    memo.clear()
    assert "a" not in memo
