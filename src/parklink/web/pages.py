"""Server-rendered pages (Jinja2): dashboard, map, park list, park page, login.

Every page shows Chinese and English side by side; the zh/en switch (``?lang=zh|en``,
remembered in a cookie) chooses which comes first and the page's ``lang`` attribute.
Forms (login, logout, park edits) carry a signed double-submit CSRF token.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

import plotly.io as pio
from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape
from sqlalchemy import select

from parklink import tables as t
from parklink.errors import ValidationError
from parklink.programme.zones_sql import ZoneIndex
from parklink.store import models as m
from parklink.vocab import (
    AREA_TYPE_NAMES,
    CHAIN_NAMES,
    CONFIDENCE_NAMES,
    COOPERATION_MODE_NAMES,
    PARK_KIND_NAMES,
    PARK_LEVEL_NAMES,
    PROVINCE_NAMES,
)
from parklink.web import accounts, policy, registry
from parklink.web.cache import Flights, PageCache, current_versions, normalised_query
from parklink.web.deps import (
    CSRF_COOKIE,
    DEVICE_COOKIE,
    LANG_COOKIE,
    SESSION_COOKIE,
    SESSION_TTL_S,
    Principal,
    SessionDep,
    csrf_valid,
    may_write,
    session_binding,
    web_state,
)
from parklink.web.figures import INDICATORS, status_figures
from parklink.web.rendering import error_page as error_page
from parklink.web.rendering import named, page_lang, page_principal, render
from parklink.web.routers.parks import park_filters
from parklink.web.status import current_status

router = APIRouter(include_in_schema=False)
T = TypeVar("T")
LEVEL_NAMES = PARK_LEVEL_NAMES
KIND_NAMES = PARK_KIND_NAMES
MODE_NAMES = COOPERATION_MODE_NAMES  # cooperation modes of a designation (not transport modes)
_named = named
_principal = page_principal


def check_form_csrf(request: Request, submitted: str | None) -> None:
    """403 unless the page form carried the session's CSRF token (every page form POST)."""
    if not csrf_valid(request, submitted):
        raise HTTPException(403, "form expired or forged (CSRF check failed; reload the page) 表单已失效")


def _page_cache(request: Request) -> PageCache:
    cache = web_state(request).cache
    pages = cache.get("public-pages")
    if pages is None:
        pages = cache.setdefault("public-pages", PageCache())
    return pages  # type: ignore[no-any-return]


def _public_key(request: Request) -> tuple[str, str]:
    """The cache key of a public page: path, and the sorted query with the page language."""
    return request.url.path, f"{normalised_query(request.url.query)}|{page_lang(request)}"


def _cached_page(request: Request, body: bytes) -> HTMLResponse:
    response = HTMLResponse(body)
    if request.query_params.get("lang") in ("zh", "en"):  # as render() does
        response.set_cookie(LANG_COOKIE, page_lang(request), samesite="lax", secure=request.url.scheme == "https",
                            max_age=365 * 86400)
    return response


def _figure_json(request: Request, status: Any) -> dict[str, str]:
    cache = web_state(request).cache
    hit = cache.get("dashboard")
    if hit is not None and hit[0] is status:
        return dict(hit[1])
    figs = {k: pio.to_json(f, validate=False) for k, f in status_figures(status).items()}
    cache["dashboard"] = (status, figs)
    return figs


#: The data domains each public page reads (its cached bytes survive writes to the others).
LIST_DOMAINS = ("registry",)
PARK_DOMAINS = ("registry", "monitoring", "coconstruction", "promotion")  # promotion: its parks-in-park projects
COCON_DOMAINS = ("coconstruction",)


def _cocon_dashboard(request: Request, session: Any) -> list[dict[str, Any]]:
    """The dashboard's co-construction tables, computed once per co-construction version."""
    from parklink.web.pages_coconstruction import dashboard_tables

    return _memo(request, "cocon-dashboard", current_versions(session, COCON_DOMAINS),
                 lambda: dashboard_tables(session))


_MEMO_FLIGHTS = Flights()


def _memo(request: Request, name: str, version: Any, compute: Callable[[], T]) -> T:
    """``compute()`` cached in the app's state under ``name`` for one ``version`` (the
    version is read before the content, so a value never outlives its data). Single flight:
    requests that miss while it is computed wait for that value instead of each computing it
    (a cold worker takes many park pages at once; the registry index and co-construction
    sets cost 30-60 ms each at 10,000 parks, and eight of each at once stalled the process)."""
    cache = web_state(request).cache
    hit = cache.get(name)
    if hit is not None and hit[0] == version:
        return hit[1]  # type: ignore[no-any-return]
    with _MEMO_FLIGHTS.hold(name):
        hit = cache.get(name)
        if hit is not None and hit[0] == version:
            return hit[1]  # type: ignore[no-any-return]
        value = compute()
        cache[name] = (version, value)
        return value


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, session: SessionDep) -> HTMLResponse:
    """Dashboard: programme status vs targets by year, province, zone and area type."""
    principal = _principal(request, session)
    cache = web_state(request).cache
    from parklink.web.cocon_gaps import (
        dashboard_coverage,  # issue 15: platform coverage (background job)
    )
    from parklink.web.pages_promotion import dashboard_key  # issue 14: the promotion section's key

    coverage = dashboard_coverage(request, session)
    # the whole page shows every domain: its key is the global data version (and the day)
    # of dashboard_key, read before any content; its parts are cached by their own domains
    version = dashboard_key(session)
    key = ("dashboard-html", version, request.url.query, page_lang(request), coverage["state"])
    if principal.authenticated:
        return _dashboard_page(request, session, principal, coverage)
    if (body := cache.get(key)) is not None:
        return _public_dashboard(request, body)  # the public dashboard is the same for every visitor
    with _DASHBOARD_RENDER:  # single flight: concurrent cold requests render it once, the rest reuse it
        if (body := cache.get(key)) is not None:
            return _public_dashboard(request, body)
        response = _dashboard_page(request, session, principal, coverage)
        for old in [k for k in list(cache) if isinstance(k, tuple) and k[0] == "dashboard-html"
                    and k[1] != version]:
            cache.pop(old, None)
        if len(cache) < 256 and response.status_code == 200:
            cache[key] = bytes(response.body)
    return response


#: Held while the public dashboard is rendered on a cache miss (one render per key, not one
#: per concurrent request: a cold worker under load otherwise renders it once per connection).
_DASHBOARD_RENDER = threading.Lock()


def _public_dashboard(request: Request, body: bytes) -> HTMLResponse:
    response = HTMLResponse(body)
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie(LANG_COOKIE, page_lang(request), samesite="lax", max_age=365 * 86400)
    return response


def _dashboard_page(request: Request, session: Any, principal: Principal, coverage: dict[str, Any]) -> HTMLResponse:
    """The dashboard rendered from the cached status and the parts cached per domain."""
    from parklink.web.pages_promotion import dashboard_section

    status = current_status(session)
    return render(request, "dashboard.html", {
        "figures": _figure_json(request, status),
        "by_year": status.by_year.astype(object).where(status.by_year.notna(), None).to_dict("records"),
        "by_province": status.by_province.to_dict("records"),
        "by_zone": status.by_zone.to_dict("records"),
        "by_area_type": status.by_area_type.to_dict("records"),
        "promo": dashboard_section(request, session, principal),
        "cocon_tables": _cocon_dashboard(request, session),  # co-construction section (issue 15)
        "cocon_coverage": coverage,
    }, principal=principal)


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, session: SessionDep,
             indicator: Annotated[str, Query(max_length=20)] = "parks") -> HTMLResponse:
    """Map of the 221 districts with parks, hubs and cross-border designation pairs."""
    principal = _principal(request, session)
    if indicator not in INDICATORS:
        indicator = "parks"
    from parklink.web.map_layers import legend, parse_layers  # co-construction layers (issue 15)

    return render(request, "map.html", {"indicators": INDICATORS, "indicator": indicator, "layer_legend": legend(),
                                        "layers": parse_layers(request.query_params.get("layers"))},
                  principal=principal)


@router.get("/parks", response_class=HTMLResponse)
def parks_page(
    request: Request,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    province: Annotated[str | None, Query(max_length=2)] = None,
    level: Annotated[str | None, Query(max_length=12)] = None,
    chain: Annotated[str | None, Query(max_length=16)] = None,
    area_type: Annotated[str | None, Query(max_length=24)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    zone: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """Park list with filters (province, level, chain, area type, zone, text) and pages of 50
    (an anonymous visitor's page is rendered once per data version: :class:`PageCache`)."""
    principal = _principal(request, session)
    public = not principal.authenticated
    version = current_versions(session, LIST_DOMAINS) if public else None
    key = _public_key(request)
    if public and (body := _page_cache(request).get(version, key)) is not None:
        return _cached_page(request, body)
    province = province if province in t.PROVINCES else None
    level = level if level in t.PARK_LEVELS else None
    chain = chain if chain in t.CHAINS else None
    area_type = area_type if area_type in t.AREA_TYPES else None
    size = 50
    where = park_filters(province, zone or None, area_type, chain, level, None, None, q or None, None)
    rows, total = registry.page_rows(session, "parks", where=where, order_by=[m.Park.province, m.Park.name_en],
                                     page=page, page_size=size)
    pages = max(1, math.ceil(total / size))
    params = {k: v for k, v in {"province": province, "level": level, "chain": chain, "area_type": area_type,
                                "zone": zone, "q": q}.items() if v}
    response = render(request, "parks.html", {
        "rows": rows, "total": total, "page": page, "pages": pages, "filters": params,
        "query": lambda p: "?" + urlencode({**params, "page": p}),
        "provinces": PROVINCE_NAMES, "levels": LEVEL_NAMES, "chains": CHAIN_NAMES, "area_types": AREA_TYPE_NAMES,
    }, principal=principal)
    if public and response.status_code == 200:
        _page_cache(request).put(version, key, bytes(response.body))
    return response


_ZONE_COLUMNS = (m.Zone.zone_id, m.Zone.name_zh, m.Zone.name_en, m.Zone.kind)
_REGION_COLUMNS = (m.Region.adcode, m.Region.name_zh, m.Region.name_en, m.Region.source_url, m.Region.confidence)


class _RegistryIndex:
    """What every park page needs of the registry beyond its own rows, read in seven
    statements once per registry version (a few thousand small rows even at 10,000 parks):
    each zone's names and kind, each region's names and source, the zone rule
    (:class:`~parklink.programme.zones_sql.ZoneIndex`) and each park's designations."""

    def __init__(self, session: Any) -> None:
        self.zones = {row.zone_id: row for row in session.execute(select(*_ZONE_COLUMNS))}
        self.regions = {row.adcode: row for row in session.execute(select(*_REGION_COLUMNS))}
        self.zone_index = ZoneIndex(session)
        self.designations: dict[str, list[str]] = {}
        members = select(m.DesignationMember.park_id, m.DesignationMember.designation_id)
        for park_id, designation_id in session.execute(members.order_by(m.DesignationMember.designation_id)):
            self.designations.setdefault(park_id, []).append(designation_id)


def _registry_index(session: Any, request: Request, registry_version: tuple[int, ...]) -> _RegistryIndex:
    """The :class:`_RegistryIndex` of ``registry_version`` (read before it), kept in the
    app's state for the pages."""
    return _memo(request, "registry-index", registry_version, lambda: _RegistryIndex(session))


def _park_context(session: Any, park_id: str, request: Request,
                  registry_version: tuple[int, ...] | None = None) -> dict[str, Any]:
    if registry_version is None:
        registry_version = current_versions(session, LIST_DOMAINS)  # before any content is read
    park = registry.get_row(session, "parks", park_id)
    index = _registry_index(session, request, registry_version)
    region = index.regions.get(park["adcode"])
    designations = registry.fetch_rows(session, "designations", index.designations.get(park_id, []))
    partner_ids = {p for d in designations for p in d["members"] if p != park_id}
    partners = {p["park_id"]: p for p in registry.fetch_rows(session, "parks", sorted(partner_ids))}
    inside, partly = index.zone_index.park_zone_ids(park_id, park["adcode"])
    zones = [index.zones[z] for z in inside if z in index.zones]
    partial_zones = [index.zones[z] for z in partly if z in index.zones]
    enterprises = session.execute(select(m.Enterprise.enterprise_id, m.Enterprise.name_zh, m.Enterprise.name_en,
                                         m.Enterprise.chain, m.Enterprise.leading, m.Enterprise.source_url,
                                         m.Enterprise.confidence)
                                  .where(m.Enterprise.park_id == park_id).order_by(m.Enterprise.enterprise_id)
                                  .limit(200)).all()
    src = (park["source_url"], park["confidence"])
    loc_note = ("区县政府驻地（近似）", "host district seat (approximate)") if park["location_approximate"] else None
    if park.get("shared_point"):
        loc_note = ("与其他园区共用位置点（近似）", "point shared with other parks (approximate)")
    parent = registry.fetch_rows(session, "parks", [park["parent_park_id"]]) if park.get("parent_park_id") else []
    facts = [
        (("中文名称", "Chinese name"), park["name_zh"], None, src),
        (("英文名称", "English name"), park["name_en"], None, src),
        (("省市", "Province"), PROVINCE_NAMES.get(park["province"], (park["province"],) * 2), None, src),
        (("所在区县", "Host district"), (region.name_zh, region.name_en) if region else park["adcode"],
         park["adcode"], (region.source_url, region.confidence) if region else src),
        (("位置", "Location (lon, lat)"), f"{park['lon']:.4f}, {park['lat']:.4f}", loc_note, src),
        (("面积", "Area (km²)"), None if park["area_km2"] is None else f"{park['area_km2']:g}", None, src),
        (("级别", "Level"), LEVEL_NAMES.get(park["level"], (park["level"],) * 2), None, src),
        (("类型", "Kind"), KIND_NAMES.get(park["kind"], (park["kind"],) * 2), None, src),
        (("区域类型", "Area types"), [AREA_TYPE_NAMES.get(a, (a, a)) for a in park["area_types"]], None, src),
        (("重点产业链", "Focus chains"), [CHAIN_NAMES.get(c, (c, c)) for c in park["focus_chains"]], None, src),
        (("主导产业", "Main industries"), park["industries"], None, src),
    ]
    if parent:  # the park lies inside another (counted and evaluated as one unit with it)
        facts.append((("上级园区", "Parent park"), (parent[0]["name_zh"], parent[0]["name_en"]),
                      park["parent_park_id"], src))
    from parklink.store.history import read_history

    return {"park": park, "region": region, "facts": facts, "designations": designations, "partners": partners,
            "history": read_history(session, "parks", park_id, limit=HISTORY_SHOWN),
            "zones": zones, "partial_zones": partial_zones, "enterprises": enterprises, "mode_name": _named(MODE_NAMES),
            "conf_name": _named(CONFIDENCE_NAMES), "chain_name": _named(dict(CHAIN_NAMES)),
            **_park_analyses(session, park_id, request)}


@lru_cache(maxsize=1)
def _constant_scripts() -> tuple[Markup, Markup]:
    """The chain explorer's label and chain-name JSON of the park page (constants: encoded once)."""
    from parklink.web.pages_chains import JS_LABELS, json_script

    return json_script(JS_LABELS), json_script(CHAIN_NAMES)


_EVAL_CELL_KEYS = ("value", "normalised", "weight", "weighted", "ideal", "anti_ideal")


def eval_cells(row: dict[str, Any]) -> Markup:
    """The numeric cells of one criterion row of the park page's evaluation table: per
    column a ``<td>`` with the exact value in ``data-value`` and 4 significant digits shown
    (``—`` when missing); Python rather than a template loop (about 120 cells a page)."""
    cells = []
    for key in _EVAL_CELL_KEYS:
        v = row[key]
        if v is None:
            cells.append(f'<td class="num" data-key="{key}" >—</td>')
        else:
            cells.append(f'<td class="num" data-key="{key}" data-value="{escape(v)}">{escape(format(v, ".4g"))}</td>')
    return Markup("".join(cells))


def _park_analyses(session: Any, park_id: str, request: Request) -> dict[str, Any]:
    """The park page's analysis sections: evaluation (score, rank, explain rows), accessibility
    (hours to the polar cores and the nearest hubs) from the table computed in the background
    (:mod:`parklink.web.park_precompute`; the computation's state while it runs), and the
    chain-diagnosis configuration of ``chains.js`` (jobs API, or the cached diagnosis); each
    is None with a reason when it cannot be computed on the current data."""
    from parklink.web import park_precompute as pp
    from parklink.web.pages_chains import diagnosis_config, json_script

    out: dict[str, Any] = {"evaluation": None, "evaluation_error": None, "access": None, "access_error": None,
                           "analyses": None, "eval_cells": eval_cells}
    found = pp.lookup(web_state(request).sessions, session)
    if found.table is not None:
        table = found.table
        out["evaluation"] = table.evaluation_view(park_id)
        out["evaluation_error"] = table.evaluation_error
        out["access"] = table.access_view(park_id)
        out["access_error"] = table.access_error
    else:  # computing in the background (or failed): the page says so and polls the job
        out["analyses"] = {"state": found.state, "job_id": found.job_id, "progress": found.progress,
                           "error": found.error}
    out["chain_config"] = json_script(diagnosis_config(request, session, f"park:{park_id}", None, None, top_gaps=8,
                                                       office=_principal(request, session).is_office))
    out["chain_labels"], out["chain_names_json"] = _constant_scripts()
    return out


_COCON_PARK_COLUMNS = (("parks_in_park", "host_park_id"), ("benefit_sharing", "park_id"),
                       ("smart_recognitions", "park_id"), ("maturity_assessments", "park_id"),
                       ("platforms", "host_park_id"))
"""Where :func:`parklink.web.pages_coconstruction.park_cocon` finds a park's rows (benefit
sharing also through the park's parks in the park, which name it as host)."""


def _cocon_parks(session: Any) -> frozenset[str]:
    from parklink.store.io import read_frame

    found: set[str] = set()
    for kind, column in _COCON_PARK_COLUMNS:
        frame = read_frame(session, kind)
        if column in frame.columns:
            found.update(str(v) for v in frame[column].dropna())
    return frozenset(found)


def _park_cocon(request: Request, session: Any, park_id: str, principal: Principal,
                version: tuple[int, ...] | None = None) -> list[dict[str, Any]]:
    """The park page's co-construction tables: none without a co-construction row naming the
    park (the set of such parks is read once per co-construction version), else the registry
    tables of :func:`~parklink.web.pages_coconstruction.park_cocon_registry`, kept per park
    for that version, and the projects of its parks in the park as ``principal`` may see them
    (:func:`~parklink.web.pages_coconstruction.park_pip_projects`, read on each request)."""
    from parklink.web.pages_coconstruction import park_cocon_registry, park_pip_projects

    if version is None:
        version = current_versions(session, COCON_DOMAINS)
    parks = _memo(request, "cocon-parks", version, lambda: _cocon_parks(session))
    if park_id not in parks:
        return []
    per_park: dict[str, list[dict[str, Any]]] = _memo(request, "cocon-park-tables", version, dict)
    tables = per_park.get(park_id)
    if tables is None:
        tables = park_cocon_registry(session, park_id)
        if len(per_park) < 2048:
            per_park[park_id] = tables
    projects = park_pip_projects(session, park_id, principal)
    if projects is None:
        return tables
    return [*tables[:1], projects, *tables[1:]]


@router.get("/parks/{park_id}", response_class=HTMLResponse)
def park_page(request: Request, park_id: str, session: SessionDep) -> HTMLResponse:
    """A park's profile with the provenance of each fact, its designations, zones and firms
    (an anonymous visitor's page, once its analyses are ready, is rendered once per data
    version and firm dataset: :class:`PageCache`)."""
    from parklink.web.park_analyses import firm_dataset

    principal = _principal(request, session)
    public = not principal.authenticated
    domain_versions = current_versions(session, PARK_DOMAINS)  # before any content is read
    version = (domain_versions, firm_dataset().version()) if public else None
    key = _public_key(request)
    if public and (body := _page_cache(request).get(version, key)) is not None:
        return _cached_page(request, body)
    ctx = _park_context(session, park_id, request, domain_versions[:1])
    ctx["can_edit"] = may_write(principal, "parks", "update", park_id)
    ctx["writable"] = policy.writable_fields(principal, "parks")
    ctx["errors"] = []
    ctx["saved"] = request.query_params.get("saved") == "1"
    ctx["cocon_tables"] = _park_cocon(request, session, park_id, principal,  # co-construction (issue 15)
                                      domain_versions[PARK_DOMAINS.index("coconstruction"):][:1])
    response = render(request, "park.html", ctx, principal=principal)
    if public and ctx.get("analyses") is None and response.status_code == 200:
        _page_cache(request).put(version, key, bytes(response.body))
    return response


EDITABLE = ("name_zh", "name_en", "area_km2", "industries", "source_url")
#: History entries shown on a park page (all of them: ``/api/parks/{id}/history``).
HISTORY_SHOWN = 20


@router.post("/parks/{park_id}/edit", response_class=HTMLResponse)
def park_edit(
    request: Request,
    park_id: str,
    session: SessionDep,
    csrf: Annotated[str, Form(max_length=200)] = "",
    name_zh: Annotated[str, Form(max_length=2000)] = "",
    name_en: Annotated[str, Form(max_length=2000)] = "",
    area_km2: Annotated[str, Form(max_length=40)] = "",
    industries: Annotated[str, Form(max_length=2000)] = "",
    source_url: Annotated[str, Form(max_length=2000)] = "",
    version: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Save the editable facts of a park from its page (CSRF-checked, role-checked, audited,
    recorded in the history). ``version`` (hidden field: the row version the form was
    rendered from) makes a save over someone else's newer save fail with 409 instead of
    overwriting it; only the fields that differ from the stored row are written."""
    from parklink.store.history import begin_write

    check_form_csrf(request, csrf)
    principal = _principal(request, session)
    changes = dict(zip(EDITABLE, (name_zh, name_en, area_km2, industries, source_url), strict=True))
    expected = registry.parse_if_match(version) if version.strip() else None
    # fields the role may not write are shown read-only (not submitted): leave them as they are
    allowed = policy.writable_fields(principal, "parks")
    changes = {k: v for k, v in changes.items() if allowed is None or k in allowed}
    policy.authorize(principal, "parks", "update", park_id, changes)
    try:
        begin_write(session)
        with session.begin_nested():
            registry.update_row(session, "parks", park_id, changes, actor=principal.username,
                                expected_version=expected, via="web form")
    except (ValidationError, registry.PreconditionFailed) as exc:
        if isinstance(exc, registry.PreconditionFailed):
            status = 409
            errors = [{"field": None, "value": None, "reason": "此园区在您打开页面后已被他人修改，请查看最新内容后重新编辑 / "
                       "the park was changed by someone else since you opened this page; review it and edit again"}]
        else:
            status = 409 if isinstance(exc, registry.ConflictError) else 422
            errors = [{"field": p.column, "reason": p.reason, "value": p.value} for p in exc.problems]
        ctx = _park_context(session, park_id, request)
        ctx.update(can_edit=True, saved=False, errors=errors)
        return render(request, "park.html", ctx, principal=principal, status_code=status)
    return RedirectResponse(f"/parks/{park_id}?saved=1", status_code=303)


def _safe_next(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, session: SessionDep, next: Annotated[str, Query(max_length=500)] = "/") -> HTMLResponse:
    """The login form."""
    principal = _principal(request, session)
    return render(request, "login.html", {"next": _safe_next(next), "error": None}, principal=principal)


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=80)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Check the credentials (rate limited) and set the session cookie."""
    check_form_csrf(request, csrf)
    state = web_state(request)
    client = request.client.host if request.client else "?"
    trusted = state.signer.device_ok(request.cookies.get(DEVICE_COOKIE), username)
    try:
        user = accounts.authenticate(session, state.limiter, username, password, client, trusted_device=trusted)
    except HTTPException as exc:
        return render(request, "login.html", {"next": _safe_next(next), "error": exc.detail},
                      status_code=exc.status_code)
    accounts.close_session(session, session_binding(request))  # a session cookie already held ends here
    token = accounts.open_session(session, state.signer, user, "session", ttl_s=SESSION_TTL_S)
    claims = state.signer.verify(token, "session")
    assert claims is not None
    response = RedirectResponse(_safe_next(next), status_code=303)
    secure = request.url.scheme == "https"
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure, max_age=SESSION_TTL_S)
    # the pre-login CSRF token is not valid for the new session: a new one, bound to it
    response.set_cookie(CSRF_COOKIE, state.signer.new_csrf(claims.sid), httponly=True, samesite="strict",
                        secure=secure, max_age=SESSION_TTL_S)
    if not trusted:
        response.set_cookie(DEVICE_COOKIE, state.signer.device(user.username), httponly=True, samesite="strict",
                            secure=secure, max_age=365 * 86400)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    """End the page session (revoked server-side: the cookie is worthless afterwards)."""
    check_form_csrf(request, csrf)
    accounts.close_session(session, session_binding(request))
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response
