"""The logistics page (物流): route planner, accessibility map of the parks and logistics-site
recommendations per function — server-rendered, no script needed.

Everything goes through the one input path (:func:`parklink.web.park_analyses.web_inputs`):

* route planner — ``GET /logistics?origin=&destination=&cargo=`` runs
  :func:`parklink.runs.find_route` (as ``parklink route``), lists the legs and draws them on
  the inline SVG map (:mod:`parklink.report.mapsvg`);
* accessibility — :func:`parklink.web.park_analyses.park_accessibility` (as ``parklink
  access``, container profile); the parks on the map are coloured by the chosen measure;
* sites — :func:`parklink.logistics.location.recommend_sites` per function (as ``parklink
  sites --function F``, p = 3). It takes tens of seconds, so the page's "compute" link
  (``compute=1``) starts it on a single background worker and the page shows its state
  (refreshing itself every 15 s without script until the result is there); results are
  kept per inputs fingerprint (data version, registry digest, firm data).
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from parklink.configs import RouteConfig
from parklink.errors import ParklinkError
from parklink.logistics.location import FUNCTIONS, SiteRecommendation, get_function
from parklink.report.mapsvg import MapLeg, MapOptions, programme_map
from parklink.runs import RouteRun, find_route
from parklink.vocab import (
    ACCESS_MEASURE_NAMES,
    ACCESS_MEASURES,
    CARGO_NAMES,
    CARGOS,
    TRANSPORT_MODE_NAMES,
)
from parklink.web import park_analyses as pa
from parklink.web.deps import SessionDep
from parklink.web.downloads import download_links
from parklink.web.rendering import named, page_lang, page_principal, render
from parklink.web.table_views import access_table, sites_table

router = APIRouter(include_in_schema=False)
SITES_P = 3
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="parklink-sites")
_jobs: dict[tuple[str, ...], Future[SiteRecommendation]] = {}
_jobs_lock = threading.Lock()


def plan_route(session: Any, origin: str, destination: str, cargo: str = "container") -> RouteRun:
    """The least generalised-cost route (:func:`parklink.runs.find_route`) on the session's
    inputs bundle, cached under its inputs fingerprint."""
    from parklink.configs import fingerprint

    inputs = pa.web_inputs(session)
    config = RouteConfig(origin=origin, destination=destination, cargo=cargo)
    key = ("route", pa._db_key(session), fingerprint(inputs, config).digest)
    return pa.cached(key, lambda: find_route(inputs, config))


def _site_key(session: Any, function: str) -> tuple[str, ...]:
    inputs = pa.web_inputs(session)
    return ("sites", pa._db_key(session), inputs.data_version, inputs.registry_digest(), inputs.firm_version(),
            function, str(SITES_P))


def site_recommendation(session: Any, function: str, *, start: bool = True
                        ) -> tuple[str, SiteRecommendation | None]:
    """The site recommendation of ``function`` (p = 3) and its state: ``done``, ``running``,
    ``failed: reason`` or ``not started``; with ``start`` a missing one is queued."""
    fn = get_function(function)
    key = _site_key(session, fn.key)
    with _jobs_lock:
        job = _jobs.get(key)
        if job is not None and start and job.done() and job.exception() is not None:
            job = None  # a failed run is tried again when asked
        if job is None and start:
            inputs = pa.web_inputs(session)

            def compute() -> SiteRecommendation:
                from parklink.logistics.location import recommend_sites
                from parklink.logistics.plan import _in_region

                firms, _synthetic = inputs.firm_population()
                if firms is None:
                    raise ParklinkError("no firm data (没有企业数据)")
                in_region = _in_region(firms)
                assert in_region is not None
                return recommend_sites(inputs.network(), in_region, fn, p=SITES_P)

            job = _jobs[key] = _executor.submit(compute)
    if job is None:
        return "not started", None
    if not job.done():
        return "running", None
    exc = job.exception()
    if exc is not None:
        return f"failed: {exc}", None
    return "done", job.result()


def route_map_legs(legs: pd.DataFrame, lang: str) -> list[MapLeg]:
    """One map polyline per travelled leg (transfers have no length), labelled
    ``seq. from → to · mode km`` in the page language order."""
    out = []
    for r in legs.to_dict("records"):
        if r["mode"] == "transfer" or not r.get("geometry"):
            continue
        zh, en = TRANSPORT_MODE_NAMES.get(str(r["mode"]), (str(r["mode"]),) * 2)
        names = (f"{r['from_name_zh']} → {r['to_name_zh']}", f"{r['from_name_en']} → {r['to_name_en']}")
        first, second = (names, (zh, en)) if lang == "zh" else (names[::-1], (en, zh))
        label = f"{int(r['seq'])}. {first[0]} ({first[1]}) · {second[0]} {float(r['km']):,.1f} km"
        out.append(MapLeg(tuple((float(x), float(y)) for x, y, *_ in r["geometry"]), str(r["mode"]), label))
    return out


def _place_options(session: Any) -> list[dict[str, str]]:
    inputs = pa.web_inputs(session)
    out = [{"id": str(r.park_id), "zh": str(r.name_zh), "en": str(r.name_en)}
           for r in inputs.frame("parks").sort_values("park_id").itertuples()]
    nodes = inputs.frame("transport_nodes")
    out += [{"id": str(r.node_id), "zh": str(r.name_zh), "en": str(r.name_en)}
            for r in nodes.sort_values("node_id").itertuples()]
    return out


def _map(session: Any, lang: str, **kw: Any) -> str:
    inputs = pa.web_inputs(session)
    return programme_map(parks=inputs.frame("parks"), designations=inputs.frame("designations"),
                         transport_nodes=inputs.frame("transport_nodes"), boundaries=inputs.boundaries(),
                         legs=kw.pop("legs", ()), options=MapOptions(lang="zh" if lang == "zh" else "en", **kw)).svg


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): (None if isinstance(v, float) and v != v else v) for k, v in r.items()}
            for r in frame.to_dict("records")]


@router.get("/logistics", response_class=HTMLResponse)
def logistics_page(
    request: Request, session: SessionDep,
    origin: Annotated[str, Query(max_length=200)] = "",
    destination: Annotated[str, Query(max_length=200)] = "",
    cargo: Annotated[str, Query(max_length=32)] = "container",
    measure: Annotated[str, Query(max_length=40)] = "time_core_chengdu_h",
    function: Annotated[str, Query(max_length=64)] = "logistics_trade",
    compute: Annotated[bool, Query(description="start the site recommendation")] = False,
) -> HTMLResponse:
    """Route planner, accessibility map and logistics-site recommendations (see the module docstring)."""
    principal = page_principal(request, session)
    lang = page_lang(request)
    cargo = cargo if cargo in CARGOS else "container"
    measure = measure if measure in ACCESS_MEASURES else "time_core_chengdu_h"
    function = function if function in FUNCTIONS else "logistics_trade"
    ctx: dict[str, Any] = {"origin": origin, "destination": destination, "cargo": cargo, "measure": measure,
                           "function": function, "cargos": CARGOS, "cargo_name": named(CARGO_NAMES),
                           "measures": ACCESS_MEASURES, "measure_name": named(ACCESS_MEASURE_NAMES),
                           "functions": FUNCTIONS, "mode_name": named(TRANSPORT_MODE_NAMES),
                           "places": _place_options(session), "route": None, "route_error": None}
    legs: tuple[MapLeg, ...] = ()
    if origin.strip() and destination.strip():
        try:
            run = plan_route(session, origin, destination, cargo)
        except ParklinkError as exc:
            ctx["route_error"] = str(exc)
        else:
            legs = tuple(route_map_legs(run.route.legs, lang))
            table = run.route.legs.drop(columns=["geometry"], errors="ignore")
            ctx["route"] = {"summary": run.summary(), "legs": _records(table), "fingerprint": run.fingerprint.digest,
                            "downloads": download_links("route", origin=origin, destination=destination, cargo=cargo)}
    ctx["route_map"] = _map(session, lang, legs=legs, id_prefix="route-map")
    acc = pa.park_accessibility(session)
    if acc is not None:
        table = access_table(acc.result.table)
        values = dict(zip(table["park_id"].astype(str), pd.to_numeric(table[measure], errors="coerce"), strict=True))
        ordered = table.sort_values(measure, ascending=measure != "gravity_access", na_position="last")
        ctx["access"] = {"rows": _records(ordered),
                         "downloads": download_links("access"), "cargo": acc.result.cargo}
        ctx["access_map"] = _map(session, lang, park_values=values, value_label=ACCESS_MEASURE_NAMES[measure],
                                 id_prefix="access-map", legend=True)
    else:
        ctx["access"], ctx["access_map"] = None, ""
    try:
        state, rec = site_recommendation(session, function, start=compute)
    except ParklinkError as exc:
        state, rec = f"failed: {exc}", None
    ctx["sites_state"] = state
    ctx["sites"] = None
    if rec is not None:
        ctx["sites"] = {"rows": _records(sites_table(rec.sites).head(15)), "why": rec.why,
                        "covered": rec.mclp.covered_weight_share, "service_h": rec.function.service_h,
                        "downloads": download_links("sites", function=function)}
    return render(request, "logistics.html", ctx, principal=principal)
