"""Server-rendered pages (Jinja2): dashboard, map, park list, park page, login.

Every page shows Chinese and English side by side; the zh/en switch (``?lang=zh|en``,
remembered in a cookie) chooses which comes first and the page's ``lang`` attribute.
Forms (login, logout, park edits) carry a signed double-submit CSRF token.
"""

from __future__ import annotations

import math
from importlib import resources
from typing import Annotated, Any
from urllib.parse import urlencode

import plotly.io as pio
from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from sqlalchemy import select

from parklink import __version__
from parklink import tables as t
from parklink.errors import ParklinkError, ValidationError
from parklink.programme.status import AREA_TYPE_NAMES, PROVINCE_NAMES
from parklink.programme.zones_sql import park_zone_ids
from parklink.store import models as m
from parklink.store.io import CHAIN_NAMES
from parklink.web import accounts, registry
from parklink.web.deps import (
    ANONYMOUS,
    CSRF_COOKIE,
    LANG_COOKIE,
    SESSION_COOKIE,
    SESSION_TTL_S,
    Principal,
    SessionDep,
    check_write,
    may_write,
    principal_of,
    web_state,
)
from parklink.web.figures import INDICATORS, status_figures
from parklink.web.routers.parks import park_filters
from parklink.web.status import current_fingerprint, current_status

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(resources.files("parklink.web") / "templates"))

LEVEL_NAMES = {"national": ("国家级", "National"), "provincial": ("省级", "Provincial"), "other": ("其他", "Other")}
KIND_NAMES = {
    "new_area": ("新区", "New area"), "etdz": ("经济技术开发区", "Economic-technological development zone"),
    "htz": ("高新技术产业开发区", "High-tech industrial development zone"),
    "cbz": ("综合保税区", "Comprehensive bonded zone"), "edz": ("经济开发区", "Economic development zone"),
    "industrial_park": ("工业园区", "Industrial park"), "cooperation_area": ("合作园区", "Cooperation area"),
    "other": ("其他", "Other"),
}
CONFIDENCE_NAMES = {"confirmed": ("已证实", "confirmed"), "likely": ("较可信", "likely"),
                    "unconfirmed": ("未证实", "unconfirmed"), "synthetic": ("合成", "synthetic")}
MODE_NAMES = {
    "function_cobuild": ("功能共建", "Function co-building"), "industry_cobuild": ("产业共建", "Industry co-building"),
    "supporting_industry": ("产业配套", "Supporting industry"), "resource_development": ("资源开发", "Resource development"),
    "enclave_economy": ("飞地经济", "Enclave economy"), "unknown": ("未知", "unknown"),
}
ROLE_LABELS = {
    "programme_office": ("示范园区办公室", "Programme office"), "park_manager": ("园区管理者", "Park manager"),
    "enterprise": ("企业", "Enterprise"), "public": ("公众", "Public"),
}


def page_lang(request: Request) -> str:
    """'zh' or 'en': the ``lang`` query parameter, else the cookie, else Chinese."""
    q = request.query_params.get("lang")
    if q in ("zh", "en"):
        return q
    c = request.cookies.get(LANG_COOKIE)
    return c if c in ("zh", "en") else "zh"


def _bilingual(lang: str) -> Any:
    def both(zh: Any, en: Any) -> Markup:
        zh_t, en_t = escape(zh if zh is not None else ""), escape(en if en is not None else "")
        first, second = ((zh_t, "zh-Hans"), (en_t, "en")) if lang == "zh" else ((en_t, "en"), (zh_t, "zh-Hans"))
        if not str(second[0]) or str(second[0]) == str(first[0]):
            return Markup(f'<span lang="{first[1]}">{first[0]}</span>')
        return Markup(f'<span lang="{first[1]}">{first[0]}</span> <span class="alt" lang="{second[1]}">{second[0]}</span>')

    return both


def _named(table: dict[str, tuple[str, str]]) -> Any:
    def name(code: Any) -> tuple[str, str]:
        return table.get(str(code), (str(code), str(code)))

    return name


def _switch_url(request: Request, lang: str) -> str:
    params = dict(request.query_params)
    params["lang"] = "en" if lang == "zh" else "zh"
    return f"{request.url.path}?{urlencode(params)}"


def render(request: Request, name: str, context: dict[str, Any], *, principal: Principal = ANONYMOUS,
           status_code: int = 200) -> HTMLResponse:
    """Render ``name`` with the common context (language, user, CSRF token) and set cookies."""
    lang = page_lang(request)
    state = web_state(request)
    csrf = request.cookies.get(CSRF_COOKIE)
    # only pages with a form need a CSRF token: the login page and pages of logged-in users
    needs_csrf = principal.authenticated or name == "login.html"
    new_csrf = needs_csrf and (csrf is None or not state.signer.csrf_ok(csrf, csrf))
    if new_csrf:
        csrf = state.signer.new_csrf()
    ctx = {
        "request": request, "lang": lang, "B": _bilingual(lang), "user": principal, "csrf": csrf,
        "switch_url": _switch_url(request, lang), "version": __version__, "path": request.url.path,
        "role_name": _named(ROLE_LABELS), **context,
    }
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    secure = request.url.scheme == "https"
    if new_csrf and csrf:
        response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=secure, max_age=SESSION_TTL_S)
    if request.query_params.get("lang") in ("zh", "en"):
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", secure=secure, max_age=365 * 86400)
    return response


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    """An HTML error page (used by the app's exception handlers for page requests)."""
    return render(request, "error.html", {"status": status, "detail": detail}, status_code=status)


def _principal(request: Request, session: Any) -> Principal:
    try:
        return principal_of(request, session)
    except HTTPException:
        return ANONYMOUS


def _check_csrf(request: Request, submitted: str | None) -> None:
    if not web_state(request).signer.csrf_ok(request.cookies.get(CSRF_COOKIE), submitted):
        raise HTTPException(403, "form expired or forged (CSRF check failed; reload the page) 表单已失效")


def _figure_json(request: Request, status: Any) -> dict[str, str]:
    cache = web_state(request).cache
    hit = cache.get("dashboard")
    if hit is not None and hit[0] is status:
        return dict(hit[1])
    figs = {k: pio.to_json(f, validate=False) for k, f in status_figures(status).items()}
    cache["dashboard"] = (status, figs)
    return figs


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, session: SessionDep) -> HTMLResponse:
    """Dashboard: programme status vs targets by year, province, zone and area type."""
    principal = _principal(request, session)
    version = current_fingerprint(session)  # before the status: a key never outlives its content
    status = current_status(session)
    cache = web_state(request).cache
    key = ("dashboard-html", version, request.url.query, page_lang(request))
    if not principal.authenticated and (body := cache.get(key)) is not None:
        response = HTMLResponse(body)  # the public dashboard is the same for every visitor
        if request.query_params.get("lang") in ("zh", "en"):
            response.set_cookie(LANG_COOKIE, page_lang(request), samesite="lax", max_age=365 * 86400)
        return response
    response = render(request, "dashboard.html", {
        "figures": _figure_json(request, status),
        "by_year": status.by_year.astype(object).where(status.by_year.notna(), None).to_dict("records"),
        "by_province": status.by_province.to_dict("records"),
        "by_zone": status.by_zone.to_dict("records"),
        "by_area_type": status.by_area_type.to_dict("records"),
    }, principal=principal)
    if not principal.authenticated:
        for old in [k for k in list(cache) if isinstance(k, tuple) and k[0] == "dashboard-html" and k[1] != version]:
            cache.pop(old, None)
        if len(cache) < 256:
            cache[key] = bytes(response.body)
    return response


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, session: SessionDep,
             indicator: Annotated[str, Query(max_length=20)] = "parks") -> HTMLResponse:
    """Map of the 221 districts with parks, hubs and cross-border designation pairs."""
    principal = _principal(request, session)
    if indicator not in INDICATORS:
        indicator = "parks"
    return render(request, "map.html", {"indicators": INDICATORS, "indicator": indicator}, principal=principal)


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
    """Park list with filters (province, level, chain, area type, zone, text) and pages of 50."""
    principal = _principal(request, session)
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
    return render(request, "parks.html", {
        "rows": rows, "total": total, "page": page, "pages": pages, "filters": params,
        "query": lambda p: "?" + urlencode({**params, "page": p}),
        "provinces": PROVINCE_NAMES, "levels": LEVEL_NAMES, "chains": CHAIN_NAMES, "area_types": AREA_TYPE_NAMES,
    }, principal=principal)


def _park_context(session: Any, park_id: str, request: Request | None = None) -> dict[str, Any]:
    park = registry.get_row(session, "parks", park_id)
    region = session.get(m.Region, park["adcode"])
    des_ids = list(session.scalars(select(m.DesignationMember.designation_id)
                                   .where(m.DesignationMember.park_id == park_id)))
    designations = registry.fetch_rows(session, "designations", des_ids)
    partner_ids = {p for d in designations for p in d["members"] if p != park_id}
    partners = {p["park_id"]: p for p in registry.fetch_rows(session, "parks", sorted(partner_ids))}
    inside, partly = park_zone_ids(session, park_id, park["adcode"])
    zone_cols = (m.Zone.zone_id, m.Zone.name_zh, m.Zone.name_en, m.Zone.kind)
    zones = session.execute(select(*zone_cols).where(m.Zone.zone_id.in_(inside)).order_by(m.Zone.zone_id)).all()
    partial_zones = session.execute(select(*zone_cols).where(m.Zone.zone_id.in_(partly))
                                    .order_by(m.Zone.zone_id)).all()
    enterprises = session.execute(select(m.Enterprise.enterprise_id, m.Enterprise.name_zh, m.Enterprise.name_en,
                                         m.Enterprise.chain, m.Enterprise.leading, m.Enterprise.source_url,
                                         m.Enterprise.confidence)
                                  .where(m.Enterprise.park_id == park_id).order_by(m.Enterprise.enterprise_id)
                                  .limit(200)).all()
    hosted = session.execute(select(m.ParkInPark.mode, m.ParkInPark.since_year, m.Enterprise.name_zh,
                                    m.Enterprise.name_en, m.ParkInPark.source_url, m.ParkInPark.confidence)
                             .join(m.Enterprise, m.Enterprise.enterprise_id == m.ParkInPark.enterprise_id)
                             .where(m.ParkInPark.host_park_id == park_id)).all()
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
    return {"park": park, "region": region, "facts": facts, "designations": designations, "partners": partners,
            "zones": zones, "partial_zones": partial_zones, "enterprises": enterprises, "hosted": hosted, "mode_name": _named(MODE_NAMES),
            "conf_name": _named(CONFIDENCE_NAMES), "chain_name": _named(dict(CHAIN_NAMES)),
            **_park_analyses(session, park_id, request)}


def _park_analyses(session: Any, park_id: str, request: Request | None) -> dict[str, Any]:
    """The park page's analysis sections: evaluation (score, rank, explain rows), accessibility
    (hours to the polar cores and the nearest hubs) and the chain-diagnosis configuration of
    ``chains.js`` (jobs API, or the cached diagnosis); each is None with a reason when it
    cannot be computed on the current data."""
    from parklink.web import park_analyses as pa
    from parklink.web.pages_chains import JS_LABELS, diagnosis_config, json_script

    out: dict[str, Any] = {"evaluation": None, "evaluation_error": None, "access": None, "access_error": None}
    try:
        ev = pa.park_evaluation(session)
        out["evaluation"] = None if ev is None else pa.evaluation_view(ev, park_id)
    except (ParklinkError, ValueError) as exc:
        out["evaluation_error"] = str(exc)
    try:
        acc = pa.park_accessibility(session)
        out["access"] = None if acc is None else pa.accessibility_view(acc, park_id)
    except (ParklinkError, ValueError) as exc:
        out["access_error"] = str(exc)
    if request is not None:
        out["chain_config"] = json_script(diagnosis_config(request, session, f"park:{park_id}", None, None, top_gaps=8))
        out["chain_labels"] = json_script(JS_LABELS)
        out["chain_names_json"] = json_script(CHAIN_NAMES)
    return out


def _sources(text: str | None) -> list[str]:
    if not text:
        return []
    return [s.strip() for s in str(text).replace(" ; ", ";").split(";") if s.strip()]


@router.get("/parks/{park_id}", response_class=HTMLResponse)
def park_page(request: Request, park_id: str, session: SessionDep) -> HTMLResponse:
    """A park's profile with the provenance of each fact, its designations, zones and firms."""
    principal = _principal(request, session)
    ctx = _park_context(session, park_id, request)
    ctx["can_edit"] = may_write(principal, "parks", "update", park_id)
    ctx["sources"] = _sources
    ctx["errors"] = []
    ctx["saved"] = request.query_params.get("saved") == "1"
    return render(request, "park.html", ctx, principal=principal)


EDITABLE = ("name_zh", "name_en", "area_km2", "industries", "source_url")


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
) -> Response:
    """Save the editable facts of a park from its page (CSRF-checked, role-checked, audited)."""
    _check_csrf(request, csrf)
    principal = _principal(request, session)
    check_write(principal, "parks", "update", park_id)
    changes = dict(zip(EDITABLE, (name_zh, name_en, area_km2, industries, source_url), strict=True))
    try:
        with session.begin_nested():
            registry.update_row(session, "parks", park_id, changes, actor=principal.username)
    except ValidationError as exc:
        ctx = _park_context(session, park_id, request)
        ctx.update(can_edit=True, sources=_sources, saved=False,
                   errors=[{"field": p.column, "reason": p.reason, "value": p.value} for p in exc.problems])
        return render(request, "park.html", ctx, principal=principal, status_code=422)
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
    _check_csrf(request, csrf)
    state = web_state(request)
    client = request.client.host if request.client else "?"
    try:
        user = accounts.authenticate(session, state.limiter, username, password, client)
    except HTTPException as exc:
        return render(request, "login.html", {"next": _safe_next(next), "error": exc.detail},
                      status_code=exc.status_code)
    token = state.signer.issue("session", user.id, user.password_hash, ttl_s=SESSION_TTL_S)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", secure=request.url.scheme == "https",
                        max_age=SESSION_TTL_S)
    return response


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
    """End the page session."""
    _check_csrf(request, csrf)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
