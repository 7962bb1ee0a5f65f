"""Investment-promotion pages: the pipeline board (``/promotion``), a project with its
timeline, events with their cohort's KPIs, plans with their target list and conversions,
the KPI dashboard with server-side SVG charts, and the dashboard's promotion section.

Every page shows Chinese and English side by side, works at phone width (the board's
columns and the charts stack), and carries the synthetic-data banner whenever a row it shows
is synthetic. Rows pass the same role filter as the API (:mod:`parklink.web.promotion_data`);
the forms (advance a project, create a lead from a target) are CSRF-checked, role-checked and
call the same service functions as the API. Nothing is computed here.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from parklink import tables as t
from parklink.errors import ConflictError as RecordConflict
from parklink.errors import NotFoundError, ValidationError
from parklink.promotion import plans as plans_svc
from parklink.promotion import service
from parklink.promotion.kpi import GROUPS, KPI_COLUMNS, year_elapsed
from parklink.promotion.records import read_record
from parklink.promotion.stages import STAGE_RANK, TERMINATED
from parklink.store import models as m
from parklink.vocab import (
    CHAIN_NAMES,
    CONFIDENCE_NAMES,
    FUND_USE_NAMES,
    PLAN_SCOPE_KIND_NAMES,
    PLAN_STATUS_NAMES,
    PROJECT_MODE_NAMES,
    PROMOTION_ALERT_NAMES,
    PROMOTION_FIELD_NAMES,
    STAGE_NAMES,
    TARGET_STATUS_NAMES,
    TERMINATION_REASON_NAMES,
)
from parklink.web import policy, registry
from parklink.web import promotion_data as pdata
from parklink.web.deps import Principal, SessionDep
from parklink.web.pages import check_form_csrf
from parklink.web.rendering import named, page_principal, render
from parklink.web.routers.promotion_plans import alert_items, may_see_targets, plan_body
from parklink.web.schemas_promotion import KPI_BY
from parklink.web.svgcharts import Bar, bar_chart

router = APIRouter(include_in_schema=False)
VIA = "web form"
#: Rates drawn on the KPI dashboard, in order.
RATE_KEYS = ("performance_rate", "start_rate", "production_rate", "funds_rate")
#: KPI columns of the tables on the pages.
TABLE_KEYS = ("n_projects", "n_signed", "signed_investment_cny_m", "n_started", "performance_rate", "start_rate",
              "production_rate", "funds_rate", "days_lead_to_signed", "days_signed_to_started")
#: Groups drawn in a chart (the largest by signed projects); the table lists all.
CHART_GROUPS = 12


def _park_names(session: Any) -> dict[str, tuple[str, str]]:
    return {str(a): (str(b), str(c)) for a, b, c in session.execute(select(m.Park.park_id, m.Park.name_zh,
                                                                             m.Park.name_en))}


def _names(session: Any) -> dict[str, Any]:
    """The label functions every promotion template uses."""
    parks = _park_names(session)
    return {
        "stage_name": named(STAGE_NAMES), "chain_name": named(CHAIN_NAMES), "mode_name": named(PROJECT_MODE_NAMES),
        "conf_name": named(CONFIDENCE_NAMES), "reason_name": named(TERMINATION_REASON_NAMES),
        "fund_use_name": named(FUND_USE_NAMES), "scope_kind_name": named(PLAN_SCOPE_KIND_NAMES),
        "plan_status_name": named(PLAN_STATUS_NAMES), "target_status_name": named(TARGET_STATUS_NAMES),
        "alert_name": named(PROMOTION_ALERT_NAMES), "park_name": named(parks),
        "kpi_labels": KPI_COLUMNS, "chains": CHAIN_NAMES,
    }


def _choice(value: str | None, allowed: Any) -> str | None:
    return value if value in allowed else None


# ------------------------------------------------------------------------------- board
@router.get("/promotion", response_class=HTMLResponse)
def board_page(
    request: Request,
    session: SessionDep,
    park: Annotated[str | None, Query(max_length=64)] = None,
    chain: Annotated[str | None, Query(max_length=16)] = None,
    event: Annotated[str | None, Query(max_length=64)] = None,
    origin: Annotated[str | None, Query(max_length=60)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    """The pipeline board: one column per stage, the projects the caller may see, filters."""
    principal = page_principal(request, session)
    filters = {"park": park or None, "chain": _choice(chain, t.CHAINS), "event": event or None,
               "origin": origin or None, "q": q or None}
    rows, hidden = pdata.visible_projects(session, principal, pdata.ProjectFilters(
        park=filters["park"], chain=filters["chain"], event=filters["event"], origin=filters["origin"],
        q=filters["q"]))
    names = _names(session)
    project_parks = sorted({r["park_id"] for r in rows} | ({park} if park else set()))
    parks = [{"park_id": p, "name_zh": names["park_name"](p)[0], "name_en": names["park_name"](p)[1]}
             for p in project_parks]
    return render(request, "promotion/board.html", {
        **names, "columns": pdata.board_columns(rows), "total": len(rows), "hidden": hidden,
        "filters": filters, "parks": parks, "events": pdata.event_rows(session),
        "synthetic": any(r.get("synthetic") for r in rows),
        "can_create": principal.is_office or (principal.role == "park_manager" and bool(principal.parks)),
    }, principal=principal)


# ------------------------------------------------------------------------------- project
def _project_context(session: Any, principal: Principal, project_id: str) -> dict[str, Any]:
    view = pdata.project_view(session, principal, project_id)
    timeline = pdata.project_timeline(session, project_id, redacted=view["redacted"])
    funds = [] if view["redacted"] else pdata.project_funds(session, project_id)
    event = pdata.event_rows(session, [view["event_id"]]) if view.get("event_id") else []
    can_advance = policy.may_write_promotion(principal, "projects", [view["park_id"]]) and principal.authenticated
    stage = view["stage"]
    nxt: list[str] = []
    if stage != TERMINATED:
        rank = STAGE_RANK.get(stage or "lead", 0)
        nxt = [s for s in pdata.STAGE_ORDER if s == TERMINATED or STAGE_RANK[s] > rank]
    return {**_names(session), "p": view, "timeline": timeline, "funds": funds,
            "funds_total": sum(f["amount_cny_m"] for f in funds) if funds else None,
            "event": event[0] if event else None, "can_advance": can_advance, "next_stages": nxt,
            "reasons": TERMINATION_REASON_NAMES, "today": dt.date.today().isoformat(), "errors": [], "saved": None,
            "fund_uses": FUND_USE_NAMES, "labels": PROMOTION_FIELD_NAMES, "fund_errors": [], "fund_field_errors": {},
            "fund_values": {"on_date": dt.date.today().isoformat(), "use": "unknown"}}


@router.get("/promotion/projects/{project_id}", response_class=HTMLResponse)
def project_page(request: Request, project_id: str, session: SessionDep) -> HTMLResponse:
    """A project: its facts (investor hidden when unpublished and not the caller's), the
    recommendation it came from, its stage timeline, funds, and the advance form."""
    principal = page_principal(request, session)
    ctx = _project_context(session, principal, project_id)
    saved = request.query_params.get("saved")
    ctx["saved"] = saved if saved in ("1", "created", "funds", "edited") else None
    return render(request, "promotion/project.html", ctx, principal=principal)


@router.post("/promotion/projects/{project_id}/advance", response_class=HTMLResponse)
def project_advance(
    request: Request,
    project_id: str,
    session: SessionDep,
    csrf: Annotated[str, Form(max_length=200)] = "",
    stage: Annotated[str, Form(max_length=24)] = "",
    on_date: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=24)] = "",
    source: Annotated[str, Form(max_length=1000)] = "",
    version: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Record a stage event from the project page (CSRF, role, the version the page was
    rendered from: a concurrent advance makes this one fail with 409 instead of stacking)."""
    check_form_csrf(request, csrf)
    principal = page_principal(request, session)
    policy.authorize_promotion(principal, "projects", "advance", pdata.project_parks(session, project_id),
                               key=project_id)
    expected = registry.parse_if_match(version) if version.strip() else None
    errors: list[dict[str, Any]] = []
    status = 200
    try:
        on = dt.date.fromisoformat(on_date)
    except ValueError:
        errors, status = [{"field": "on_date", "reason": "not a date (YYYY-MM-DD) 日期格式错误"}], 422
    if not errors:
        try:
            with session.begin_nested():
                service.advance_project(session, project_id, stage, on, expected_version=expected,
                                        actor=principal.username, via=VIA, source=source.strip() or None,
                                        reason=reason or None)
        except RecordConflict as exc:
            errors, status = [{"field": None, "reason": "此项目在您打开页面后已被他人推进，请查看最新时间线 / "
                               "the project was advanced by someone else since you opened this page; "
                               f"review the timeline ({exc})"}], 409
        except ValidationError as exc:
            errors, status = [{"field": p.column, "reason": p.reason} for p in exc.problems], 422
    if errors:
        ctx = _project_context(session, principal, project_id)
        ctx["errors"] = errors
        return render(request, "promotion/project.html", ctx, principal=principal, status_code=status)
    return RedirectResponse(f"/promotion/projects/{project_id}?saved=1", status_code=303)


# ------------------------------------------------------------------------------- events
@router.get("/promotion/events", response_class=HTMLResponse)
def events_page(request: Request, session: SessionDep) -> HTMLResponse:
    """Joint promotion events with their cohort size and performance rate."""
    principal = page_principal(request, session)
    rows = pdata.event_rows(session)
    table = pdata.kpi_result(session, by=["event_id"], year=None, as_of=dt.date.today()).to_frame()
    kpis = {str(r["event_id"]): pdata.clean_record(r) for r in table.to_dict("records")}
    for r in rows:
        k = kpis.get(str(r["event_id"]), {})
        r["n_projects"], r["performance_rate"] = k.get("n_projects", 0), k.get("performance_rate")
    return render(request, "promotion/events.html", {**_names(session), "rows": rows,
                                                     "synthetic": any(r.get("synthetic") for r in rows),
                                                     "can_create": principal.is_office},
                  principal=principal)


def _rate_charts(rows: list[dict[str, Any]], labels: dict[str, tuple[str, str]], lang: str, synthetic: bool,
                 hrefs: dict[str, str] | None = None) -> list[Any]:
    charts = []
    for key in RATE_KEYS:
        zh, en, _unit = KPI_COLUMNS[key]
        bars = [Bar(*labels[r["_key"]], value=r[key], href=(hrefs or {}).get(r["_key"])) for r in rows]
        charts.append(bar_chart(bars, title_zh=zh, title_en=en, unit="share", lang=lang, synthetic=synthetic))
    return charts


@router.get("/promotion/events/{event_id}", response_class=HTMLResponse)
def event_page(request: Request, event_id: str, session: SessionDep) -> HTMLResponse:
    """An event: its facts, the KPIs of its cohort (charts against the whole ledger), and the
    projects of the cohort the caller may see."""
    principal = page_principal(request, session)
    rows = pdata.event_rows(session, [event_id])
    if not rows:
        raise NotFoundError(f"event {event_id!r} not found (未找到)")
    on = dt.date.today()
    table = pdata.kpi_result(session, by=["event_id"], year=None, as_of=on).to_frame()
    mine = table[table["event_id"] == event_id]
    summary = pdata.clean_record(mine.iloc[0].to_dict()) if len(mine) else {k: None for k in KPI_COLUMNS} | {
        "n_projects": 0, "n_signed": 0}
    total = pdata.clean_record(pdata.kpi_result(session, by=[], year=None, as_of=on).summary())
    projects, hidden = pdata.visible_projects(session, principal, pdata.ProjectFilters(event=event_id))
    synthetic = bool(rows[0].get("synthetic")) or any(p.get("synthetic") for p in projects)
    lang = _lang(request)
    compare = [{"_key": "event", **summary}, {"_key": "all", **total}]
    labels = {"event": ("本活动", "this event"), "all": ("全部项目", "all projects")}
    return render(request, "promotion/event.html", {
        **_names(session), "e": rows[0], "summary": summary, "as_of": on, "year_elapsed": year_elapsed(on),
        "charts": _rate_charts(compare, labels, lang, synthetic), "projects": projects, "hidden": hidden,
        "synthetic": synthetic,
    }, principal=principal)


def _lang(request: Request) -> str:
    from parklink.web.rendering import page_lang

    return page_lang(request)


# ------------------------------------------------------------------------------- plans
@router.get("/promotion/plans", response_class=HTMLResponse)
def plans_page(request: Request, session: SessionDep) -> HTMLResponse:
    """Every promotion plan."""
    principal = page_principal(request, session)
    frame = plans_svc.list_plans(session)
    rows = [pdata.clean_record(r) for r in frame.to_dict("records")]
    return render(request, "promotion/plans.html", {**_names(session), "rows": rows,
                                                    "synthetic": any(r.get("synthetic") for r in rows),
                                                    "can_create": principal.is_office or (
                                                        principal.role == "park_manager" and bool(principal.parks))},
                  principal=principal)


def _plan_context(request: Request, session: Any, principal: Principal, plan_id: str) -> dict[str, Any]:
    on = dt.date.today()
    body = plan_body(session, principal, plan_id, on)
    goals = [{"year": g["year"], "projects": g["goal_projects"], "done_projects": g["signed_projects"],
              "signed_investment_cny_m": g["goal_signed_cny_m"], "done_signed_cny_m": g["signed_cny_m"],
              "funds_in_place_cny_m": g["goal_funds_cny_m"], "done_funds_cny_m": g["funds_cny_m"],
              "year_elapsed": g["year_elapsed"], "projects_share": g["projects_share"]} for g in body["goals"]]
    lang = _lang(request)
    charts = []
    current = [g for g in body["goals"] if g["year"] == on.year]
    if current:
        g = current[0]
        bars = [Bar("签约项目", "signed projects", g["projects_share"]),
                Bar("协议投资", "signed investment", g["signed_share"]),
                Bar("到位资金", "funds in place", g["funds_share"])]
        charts.append(bar_chart(bars, title_zh=f"{on.year}年目标完成率", title_en=f"{on.year} goals achieved",
                                unit="share", lang=lang, reference=g["year_elapsed"], reference_zh="时间进度",
                                reference_en="year elapsed", synthetic=body["synthetic"]))
    conv = [{**c, "targets": c.get("recommended")} for c in body["conversion"]]
    if conv:
        bars = [Bar(f"{c['model_version']} →签约", f"{c['model_version']} → signed", c.get("signed_rate")) for c in conv]
        charts.append(bar_chart(bars, title_zh="推荐目标签约转化率", title_en="recommended targets signed",
                                unit="share", lang=lang, synthetic=body["synthetic"]))
    parks = pdata.plan_parks(session, str(body["plan"]["scope_kind"]), str(body["plan"]["scope_id"]))
    return {**_names(session), "plan": body["plan"], "goals": goals, "conversions": conv, "charts": charts,
            "targets": body["targets"], "synthetic": body["synthetic"], "plan_parks": parks,
            "lead_parks": [p for p in parks if principal.is_office or p in principal.parks],
            "can_write": principal.authenticated and policy.may_write_promotion(principal, "promotion_plans", parks),
            "created": None, "errors": [], "saved": None, "labels": PROMOTION_FIELD_NAMES, "field_errors": {},
            "values": {}, "target_versions": _target_versions(session, plan_id) if body["targets"] is not None else {},
            "segments": _segments(session)}


def _target_versions(session: Any, plan_id: str) -> dict[str, int]:
    from parklink.store.models_promotion import PlanTarget

    return {str(k): int(v) for k, v in session.execute(
        select(PlanTarget.target_id, PlanTarget.row_version).where(PlanTarget.plan_id == plan_id))}


def _segments(session: Any) -> list[tuple[str, str, str]]:
    return [(str(a), str(b), str(c)) for a, b, c in session.execute(
        select(m.Segment.segment_id, m.Segment.name_zh, m.Segment.name_en).order_by(m.Segment.segment_id))]


@router.get("/promotion/plans/{plan_id}", response_class=HTMLResponse)
def plan_page(request: Request, plan_id: str, session: SessionDep) -> HTMLResponse:
    """A plan: goals against achievement (时间进度), conversions by model version, and its
    target list with a "create lead from target" button (for those who may write it)."""
    principal = page_principal(request, session)
    ctx = _plan_context(request, session, principal, plan_id)
    created = request.query_params.get("created")
    ctx["created"] = created if created and created.replace("-", "").isalnum() else None
    saved = request.query_params.get("saved")
    ctx["saved"] = saved if saved in ("plan", "target", "dropped") else None
    return render(request, "promotion/plan.html", ctx, principal=principal)


@router.post("/promotion/plans/{plan_id}/lead", response_class=HTMLResponse)
def plan_lead(
    request: Request,
    plan_id: str,
    session: SessionDep,
    csrf: Annotated[str, Form(max_length=200)] = "",
    target_id: Annotated[str, Form(max_length=240)] = "",
    park_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Create a lead from a plan target (the page's button); redirects to the plan page
    naming the new lead."""
    check_form_csrf(request, csrf)
    principal = page_principal(request, session)
    plan, _v = read_record(session, "promotion_plans", plan_id)
    parks = pdata.plan_parks(session, str(plan["scope_kind"]), str(plan["scope_id"]))
    policy.authorize_promotion(principal, "promotion_plans", "create a lead of", parks, key=plan_id)
    park = park_id or (parks[0] if len(parks) == 1 else None)
    if park:
        policy.authorize_promotion(principal, "projects", "create", [park])
    try:
        if park and parks and park not in parks:
            raise ValidationError.single(VIA, f"park {park} is not one of the plan's parks (园区不属于该计划)",
                                         column="park_id", value=park)
        target, _tv = read_record(session, "plan_targets", target_id)
        if str(target["plan_id"]) != plan_id:
            raise NotFoundError(f"target {target_id!r} is not on plan {plan_id!r} (未找到)")
        with session.begin_nested():
            detail = plans_svc.lead_from_target(session, target_id, park_id=park, actor=principal.username, via=VIA)
    except ValidationError as exc:
        ctx = _plan_context(request, session, principal, plan_id)
        ctx["errors"] = [{"field": p.column, "reason": p.reason} for p in exc.problems]
        return render(request, "promotion/plan.html", ctx, principal=principal, status_code=422)
    new_id = str(detail.project["project_id"])
    return RedirectResponse(f"/promotion/plans/{plan_id}?{urlencode({'created': new_id})}", status_code=303)


# ------------------------------------------------------------------------------- KPIs
def group_labels(session: Any, by: str, keys: list[Any]) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """(label, link) of each group key of a KPI table grouped by ``by`` (a GROUPS column)."""
    labels: dict[str, tuple[str, str]] = {}
    links: dict[str, str] = {}
    if by == "park_id":
        names = _park_names(session)
        for k in keys:
            labels[str(k)] = names.get(str(k), (str(k), str(k)))
            links[str(k)] = f"/parks/{k}"
    elif by == "designation_id":
        rows = dict((str(a), (str(b or a), str(c or a))) for a, b, c in session.execute(
            select(m.Designation.designation_id, m.Designation.theme, m.Designation.theme)))
        labels = {str(k): rows.get(str(k), (str(k), str(k))) for k in keys}
    elif by == "zone_id":
        rows = {str(a): (str(b), str(c)) for a, b, c in session.execute(select(m.Zone.zone_id, m.Zone.name_zh,
                                                                                m.Zone.name_en))}
        labels = {str(k): rows.get(str(k), (str(k), str(k))) for k in keys}
    elif by == "chain":
        labels = {str(k): CHAIN_NAMES.get(str(k), (str(k), str(k))) for k in keys}
    elif by == "event_id":
        rows = {str(e["event_id"]): (str(e["name_zh"]), str(e["name_en"])) for e in pdata.event_rows(session)}
        labels = {str(k): rows.get(str(k), (str(k), str(k))) for k in keys}
        links = {str(k): f"/promotion/events/{k}" for k in keys if str(k) in rows}
    elif by == "in_park":
        labels = {str(k): (("示范园区内", "in a demonstration park") if str(k) == "True"
                           else ("示范园区外", "outside the demonstration parks")) for k in keys}
    else:
        labels = {str(k): (str(k), str(k)) for k in keys}
    none = ("未归属", "none")
    return {k: (none if k in ("None", "nan", "<NA>") else v) for k, v in labels.items()}, links


def kpi_view(request: Request, session: Any, by: str, year: int | None, on: dt.date,
             data: str = "all") -> dict[str, Any]:
    """The KPI table of a grouping with its labels, totals and charts (KPI page, dashboard),
    of all, real or synthetic projects (``data``)."""
    res = pdata.kpi_result(session, by=[by] if by else [], year=year, as_of=on, data=data)
    rows = [pdata.clean_record(r) for r in res.to_frame().to_dict("records")]
    for r in rows:
        r["_key"] = str(r.get(by)) if by else "all"
    labels, links = group_labels(session, by, [r["_key"] for r in rows]) if by else ({"all": ("全部", "all")}, {})
    for r in rows:
        r["zh"], r["en"] = labels.get(r["_key"], (r["_key"], r["_key"]))
        r["href"] = links.get(r["_key"])
    synthetic = pdata.ledger_part(session, data).synthetic
    top = sorted(rows, key=lambda r: (-(r.get("n_signed") or 0), r["_key"]))[:CHART_GROUPS]
    charts = _rate_charts(top, labels, _lang(request), synthetic, links)
    return {"rows": rows, "summary": pdata.clean_record(res.summary()), "charts": charts, "synthetic": synthetic}


@router.get("/promotion/kpi", response_class=HTMLResponse)
def kpi_page(
    request: Request,
    session: SessionDep,
    by: Annotated[str, Query(max_length=16)] = "park",
    year: Annotated[str, Query(max_length=4)] = "",
    data: Annotated[str, Query(max_length=9)] = "all",
) -> HTMLResponse:
    """The KPI dashboard: totals, rate charts by group, the KPI table and the alerts; all,
    real or synthetic projects."""
    principal = page_principal(request, session)
    by = by if by in KPI_BY else "park"
    data = data if data in ("all", "real", "synthetic") else "all"
    year_n = int(year) if year.isdigit() and 2000 <= int(year) <= 2100 else None
    on = dt.date.today()
    view = kpi_view(request, session, KPI_BY[by], year_n, on, data)
    alerts = alert_items(session, principal, on, 90, limit=100)
    groups = {k: GROUPS[v] for k, v in KPI_BY.items()}
    signed_years = sorted({d.year for d in pdata.signed_dates(session)}, reverse=True)
    return render(request, "promotion/kpi.html", {
        **_names(session), **view, "by": by, "year": year_n, "years": signed_years, "groups": groups, "data": data,
        "as_of": on, "year_elapsed": year_elapsed(on), "kpi_keys": TABLE_KEYS,
        "alerts": alerts["items"], "alerts_total": alerts["total"], "alert_counts": alerts["counts"],
    }, principal=principal)


def dashboard_section(request: Request, session: Any, principal: Principal) -> dict[str, Any]:
    """The dashboard's promotion section: totals, the rates by designation, and the alerts
    (counts for everybody; the projects for those who may see them)."""
    on = dt.date.today()
    view = kpi_view(request, session, "designation_id", None, on)
    alerts = alert_items(session, principal, on, 90, limit=20)
    return {"summary": view["summary"], "charts": view["charts"][:2], "synthetic": view["synthetic"],
            "as_of": on, "year_elapsed": year_elapsed(on), "kpi_labels": KPI_COLUMNS,
            "alerts": alerts["items"], "alerts_total": alerts["total"], "alert_counts": alerts["counts"],
            "alert_name": named(PROMOTION_ALERT_NAMES), "stage_name": named(STAGE_NAMES)}


def dashboard_key(session: Any) -> tuple[Any, ...]:
    """What the dashboard's promotion section depends on besides the caller: the data
    version and the report date (part of the public dashboard's cache key)."""
    from parklink.web.cache import current_version

    return (current_version(session), dt.date.today())


__all__ = ["dashboard_key", "dashboard_section", "kpi_view", "may_see_targets", "router"]
