"""The promotion office's forms (issue 14): create a lead or project, record funds in place,
create a joint promotion event, create and edit a promotion plan (with its yearly goals),
add a target to a plan's list and drop one with a reason.

Every form POST is CSRF-checked (:func:`parklink.web.pages.check_form_csrf`), role-checked
with the API's policy (:func:`parklink.web.policy.authorize_promotion`; 403 page otherwise)
and writes through the same service functions as the API (:mod:`parklink.promotion.service`,
:mod:`parklink.promotion.plans`) inside a savepoint, so a refused write leaves nothing. A
problem a user can fix re-renders the form with what they typed and the reason next to each
field (422; field names from :data:`parklink.vocab.PROMOTION_FIELD_NAMES`); an edit sent from
an older version than the stored one re-renders with the conflict explained (409). Labels
come from :mod:`parklink.vocab`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from parklink import tables_promotion as tp
from parklink.errors import ConflictError as RecordConflict
from parklink.errors import Problem, ValidationError
from parklink.promotion import plans as plans_svc
from parklink.promotion import service
from parklink.promotion.records import read_record
from parklink.store import models as m
from parklink.store.models_promotion import PlanGoal
from parklink.vocab import (
    CHAIN_NAMES,
    FUND_USE_NAMES,
    PLAN_SCOPE_KIND_NAMES,
    PLAN_STATUS_NAMES,
    PROJECT_MODE_NAMES,
    PROMOTION_FIELD_NAMES,
    STAGE_NAMES,
)
from parklink.web import policy, registry
from parklink.web import promotion_data as pdata
from parklink.web.deps import Principal, SessionDep
from parklink.web.pages import check_form_csrf
from parklink.web.rendering import named, page_principal, render

router = APIRouter(include_in_schema=False)
VIA = "web form"
#: Longest value a form field may carry (the longest column is 4,000 characters).
MAX_FIELD = 4000
#: Goal rows shown on the plan form.
GOAL_ROWS = 5
#: Stages a new project may start at (a project signed at an event starts at signed).
FIRST_STAGES = ("lead", "negotiating", "signed")
CONFLICT = ("此记录在您打开表单后已被他人修改；请重新打开页面查看最新内容后再提交 / this record was changed by someone "
            "else after you opened the form; nothing was saved — reopen the page to see the latest version")


async def form_fields(request: Request) -> dict[str, str]:
    """The submitted form as text: values trimmed, a repeated name (checkboxes) joined by
    ``;`` in order; 413 when a value is longer than :data:`MAX_FIELD`."""
    form = await request.form(max_files=0, max_fields=200)
    out: dict[str, str] = {}
    for key in dict.fromkeys(form.keys()):
        values = [v.strip() for v in form.getlist(key) if isinstance(v, str)]
        if any(len(v) > MAX_FIELD for v in values):
            raise HTTPException(413, f"form field {key} longer than {MAX_FIELD} characters (字段过长)")
        out[key] = ";".join(v for v in values if v)
    return out


FormDep = Annotated[dict[str, str], Depends(form_fields)]


def _label(field: str | None) -> tuple[str, str] | None:
    """The bilingual name of a form field (a goal row's field names its row)."""
    if not field:
        return None
    if field.startswith("goal-"):
        _g, row, name = field.split("-", 2)
        zh, en = PROMOTION_FIELD_NAMES.get(name, (name, name))
        return f"第{int(row) + 1}行目标 {zh}", f"goal row {int(row) + 1}: {en}"
    return PROMOTION_FIELD_NAMES.get(field, (field, field))


def _errors(problems: Mapping[str | None, str]) -> list[dict[str, Any]]:
    return [{"field": k, "label": _label(k), "reason": v} for k, v in problems.items()]


def _keyed(problems: dict[str, str]) -> dict[str | None, str]:
    out: dict[str | None, str] = {}
    out.update(problems)
    return out


def _from_validation(exc: ValidationError) -> dict[str | None, str]:
    out: dict[str | None, str] = {}
    for p in exc.problems:
        key = p.column if p.column in PROMOTION_FIELD_NAMES else None
        out[key] = f"{out[key]}; {p.reason}" if key in out else p.reason
    return out


@contextmanager
def _write(session: Any) -> Iterator[None]:
    """A savepoint: a refused write leaves nothing of itself in the request's transaction."""
    with session.begin_nested():
        yield


def _base(session: Any) -> dict[str, Any]:
    return {"labels": PROMOTION_FIELD_NAMES, "chain_names": CHAIN_NAMES, "mode_names": PROJECT_MODE_NAMES,
            "fund_uses": FUND_USE_NAMES, "scope_kinds": PLAN_SCOPE_KIND_NAMES, "plan_statuses": PLAN_STATUS_NAMES,
            "stage_name": named(STAGE_NAMES), "errors": [], "field_errors": {}}


def _login_redirect(request: Request) -> RedirectResponse:
    from urllib.parse import quote

    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)


def _parse_date(values: dict[str, str], name: str, problems: dict[str, str], *, required: bool) -> dt.date | None:
    text = values.get(name, "")
    if not text:
        if required:
            problems[name] = "required 必填"
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems[name] = "not a date (YYYY-MM-DD) 日期格式错误"
        return None


def _parse_number(values: dict[str, str], name: str, problems: dict[str, str], *, integer: bool = False,
                  required: bool = False, positive: bool = False) -> float | int | None:
    text = values.get(name, "").replace(",", "")
    if not text:
        if required:
            problems[name] = "required 必填"
        return None
    try:
        number: float | int = int(text) if integer else float(text)
    except ValueError:
        problems[name] = ("not a whole number 须为整数" if integer else "not a number 须为数字")
        return None
    if number < 0 or (positive and number == 0) or number != number:
        problems[name] = "must be greater than 0 须大于0" if positive else "must not be negative 不能为负"
        return None
    return number


def _writable_parks(session: Any, principal: Principal) -> list[dict[str, str]]:
    rows = session.execute(select(m.Park.park_id, m.Park.name_zh, m.Park.name_en).order_by(m.Park.park_id)).all()
    return [{"park_id": r[0], "name_zh": r[1], "name_en": r[2]} for r in rows
            if principal.is_office or r[0] in principal.parks]


# ------------------------------------------------------------------------------- new project
PROJECT_FIELDS = ("name_zh", "name_en", "investor_id", "investor_name", "origin_province", "origin_country",
                  "park_id", "chain", "segment_id", "mode", "signed_investment_cny_m", "jobs",
                  "expected_output_cny_m", "expected_tax_cny_m", "planned_sign", "planned_start",
                  "planned_production", "planned_capacity", "event_id", "plan_id", "source_url")


def _project_form(request: Request, session: Any, principal: Principal, values: dict[str, str],
                  problems: Mapping[str | None, str], status: int = 200, *, edit: str | None = None) -> HTMLResponse:
    """The project form: a new lead or project, or (``edit``: its id) the edit of one."""
    segments = session.execute(select(m.Segment.segment_id, m.Segment.name_zh, m.Segment.name_en)
                               .order_by(m.Segment.segment_id)).all()
    enterprises = session.execute(select(m.Enterprise.enterprise_id, m.Enterprise.name_zh)
                                  .order_by(m.Enterprise.enterprise_id).limit(2000)).all()
    return render(request, "promotion/project_form.html", {
        **_base(session), "values": values, "errors": _errors(problems),
        "field_errors": {k: v for k, v in problems.items() if k}, "parks": _writable_parks(session, principal),
        "segments": segments, "enterprises": enterprises, "events": pdata.event_rows(session),
        "first_stages": FIRST_STAGES, "today": dt.date.today().isoformat(), "edit": edit,
    }, principal=principal, status_code=status)


@router.get("/promotion/projects/new", response_class=HTMLResponse)
def new_project_page(request: Request, session: SessionDep) -> Response:
    """The form recording a new lead or project (the office: any park; a park manager:
    their parks)."""
    principal = page_principal(request, session)
    if not principal.authenticated:
        return _login_redirect(request)
    policy.authorize_promotion(principal, "projects", "create", sorted(principal.parks) or ["*"])
    values = {"origin_country": "CN", "mode": "new", "stage": "lead", "on_date": dt.date.today().isoformat()}
    return _project_form(request, session, principal, values, {})


def _project_row(session: Any, values: dict[str, str], problems: dict[str, str]) -> dict[str, Any]:
    row: dict[str, Any] = {k: values[k] for k in PROJECT_FIELDS if values.get(k)}
    if row.get("investor_id") and not row.get("investor_name"):
        name = session.scalar(select(m.Enterprise.name_zh).where(m.Enterprise.enterprise_id == row["investor_id"]))
        if name is None:
            problems["investor_id"] = ("not an enterprise of the registry: give the investor's name "
                                       "(名录中无此企业，请填写投资方名称)")
        else:
            row["investor_name"] = name
    if not row.get("investor_id") and not row.get("investor_name"):
        problems["investor_name"] = "give the investor's name or a registry enterprise (请填写投资方名称或选择名录企业)"
    if not row.get("park_id"):
        problems["park_id"] = "required 必填"
    for name in ("signed_investment_cny_m", "expected_output_cny_m", "expected_tax_cny_m"):
        _parse_number(values, name, problems)
    _parse_number(values, "jobs", problems, integer=True)
    return row


@router.post("/promotion/projects/new", response_class=HTMLResponse)
def new_project(request: Request, session: SessionDep, form: FormDep) -> Response:
    """Create the lead or project of the form, with its first stage event; redirects to the
    new project's page."""
    check_form_csrf(request, form.get("csrf"))
    principal = page_principal(request, session)
    park = form.get("park_id", "")
    policy.authorize_promotion(principal, "projects", "create", [park] if park else sorted(principal.parks) or ["*"],
                               changes=[k for k in PROJECT_FIELDS if form.get(k)])
    problems: dict[str, str] = {}
    row = _project_row(session, form, problems)
    stage = form.get("stage") or "lead"
    if stage not in FIRST_STAGES:
        problems["stage"] = "a new project starts as a lead, in negotiation or signed (新项目阶段须为线索、在谈或签约)"
    on = _parse_date(form, "on_date", problems, required=True)
    if problems:
        return _project_form(request, session, principal, form, _keyed(problems), 422)
    try:
        with _write(session):
            detail = service.create_project(session, row, actor=principal.username, via=VIA, stage=stage, on=on,
                                            source=form.get("source") or None)
    except ValidationError as exc:
        return _project_form(request, session, principal, form, _from_validation(exc), 422)
    return RedirectResponse(f"/promotion/projects/{detail.project['project_id']}?saved=created", status_code=303)


# ------------------------------------------------------------------------------- funds
@router.post("/promotion/projects/{project_id}/funds", response_class=HTMLResponse)
def project_funds(request: Request, project_id: str, session: SessionDep, form: FormDep) -> Response:
    """Record funds in place from the project page (a dated amount; the version the page
    was rendered from: a concurrent write makes this one fail with 409)."""
    from parklink.web.pages_promotion import _project_context

    check_form_csrf(request, form.get("csrf"))
    principal = page_principal(request, session)
    policy.authorize_promotion(principal, "projects", "record funds of", pdata.project_parks(session, project_id),
                               key=project_id)
    problems: dict[str | None, str] = {}
    fp: dict[str, str] = {}
    on = _parse_date(form, "on_date", fp, required=True)
    amount = _parse_number(form, "amount_cny_m", fp, required=True, positive=True)
    use = form.get("use") or "unknown"
    if use not in tp.FUND_USES:
        fp["use"] = "unknown use 未知用途"
    problems.update(fp)
    status = 422
    if not problems and on is not None and amount is not None:
        version = form.get("version", "")
        expected = registry.parse_if_match(version) if version else None
        try:
            with _write(session):
                service.add_funds(session, project_id, on, float(amount), expected_version=expected,
                                  actor=principal.username, via=VIA, use=use, source=form.get("source") or None)
            return RedirectResponse(f"/promotion/projects/{project_id}?saved=funds", status_code=303)
        except RecordConflict:
            problems, status = {None: CONFLICT}, 409
        except ValidationError as exc:
            problems = _from_validation(exc)
            if any("already stored" in p.reason for p in exc.problems):
                problems = {"on_date": "funds of this project are already recorded on this date; record the "
                            "amount on another date (该日期已有到位资金记录)"}
    ctx = _project_context(session, principal, project_id)
    ctx.update(_base(session), fund_errors=_errors(problems), fund_field_errors={k: v for k, v in problems.items() if k},
               fund_values=form)
    return render(request, "promotion/project.html", ctx, principal=principal, status_code=status)


# ------------------------------------------------------------------------------- new event
EVENT_FIELDS = ("event_id", "name_zh", "name_en", "held_on", "city", "country", "organisers_sc", "organisers_cq",
                "chains", "invited_firms", "attending_firms", "leads_generated", "signed_on_site",
                "signed_on_site_cny_m", "source_url")


def _event_form(request: Request, session: Any, principal: Principal, values: dict[str, str],
                problems: Mapping[str | None, str], status: int = 200) -> HTMLResponse:
    return render(request, "promotion/event_form.html", {
        **_base(session), "values": values, "errors": _errors(problems),
        "field_errors": {k: v for k, v in problems.items() if k},
        "chosen_chains": set(values.get("chains", "").split(";")),
    }, principal=principal, status_code=status)


@router.get("/promotion/events/new", response_class=HTMLResponse)
def new_event_page(request: Request, session: SessionDep) -> Response:
    """The form recording a joint promotion event (programme office)."""
    principal = page_principal(request, session)
    if not principal.authenticated:
        return _login_redirect(request)
    policy.authorize_promotion(principal, "promotion_events", "create", [])
    return _event_form(request, session, principal, {"country": "CN"}, {})


@router.post("/promotion/events/new", response_class=HTMLResponse)
def new_event(request: Request, session: SessionDep, form: FormDep) -> Response:
    """Create the event of the form; redirects to the event's page."""
    check_form_csrf(request, form.get("csrf"))
    principal = page_principal(request, session)
    row = {k: form[k] for k in EVENT_FIELDS if form.get(k)}
    policy.authorize_promotion(principal, "promotion_events", "create", [], changes=list(row))
    problems: dict[str, str] = {}
    _parse_date(form, "held_on", problems, required=True)
    for name in ("invited_firms", "attending_firms", "leads_generated", "signed_on_site"):
        _parse_number(form, name, problems, integer=True)
    _parse_number(form, "signed_on_site_cny_m", problems)
    if problems:
        return _event_form(request, session, principal, form, _keyed(problems), 422)
    try:
        with _write(session):
            out = service.create_event(session, row, actor=principal.username, via=VIA)
    except ValidationError as exc:
        return _event_form(request, session, principal, form, _from_validation(exc), 422)
    return RedirectResponse(f"/promotion/events/{out['event']['event_id']}?saved=created", status_code=303)


# ------------------------------------------------------------------------------- plans
PLAN_FIELDS = ("plan_id", "name_zh", "name_en", "scope_kind", "scope_id", "period_start", "period_end",
               "focal_chains", "status", "note", "source_url")
GOAL_FIELDS = ("projects", "signed_investment_cny_m", "funds_in_place_cny_m")


def _goals(form: dict[str, str], problems: dict[str, str]) -> list[dict[str, Any]]:
    """The goal rows of the plan form (``goal-I-year``, ``goal-I-projects`` …); a row
    without a year is empty and ignored."""
    goals: list[dict[str, Any]] = []
    years: set[int] = set()
    for i in range(GOAL_ROWS):
        year = _parse_number(form, f"goal-{i}-year", problems, integer=True)
        row: dict[str, Any] = {f: _parse_number(form, f"goal-{i}-{f}", problems, integer=f == "projects")
                               for f in GOAL_FIELDS}
        if year is None:
            if any(v is not None for v in row.values()) and f"goal-{i}-year" not in problems:
                problems[f"goal-{i}-year"] = "a goal needs its year 请填写目标年份"
            continue
        if not 2000 <= int(year) <= 2100 or int(year) in years:
            problems[f"goal-{i}-year"] = "a year from 2000 to 2100, once 年份须在2000–2100之间且不重复"
            continue
        years.add(int(year))
        goals.append({"year": int(year), **row})
    return goals


def _plan_form(request: Request, session: Any, principal: Principal, values: dict[str, str],
               problems: Mapping[str | None, str], *, plan_id: str | None, status: int = 200) -> HTMLResponse:
    scopes = {"park": [(p["park_id"], f"{p['name_zh']} {p['name_en']}") for p in _writable_parks(session, principal)],
              "designation": [(str(d), str(d)) for d in session.scalars(
                  select(m.Designation.designation_id).order_by(m.Designation.designation_id))],
              "zone": [(str(z), str(z)) for z in session.scalars(select(m.Zone.zone_id).order_by(m.Zone.zone_id))]}
    labels = dict(PROMOTION_FIELD_NAMES)
    field_errors = {k: v for k, v in problems.items() if k}
    return render(request, "promotion/plan_form.html", {
        **_base(session), "values": values, "errors": _errors(problems), "field_errors": field_errors,
        "labels": labels, "plan_id": plan_id, "scopes": scopes, "goal_rows": range(GOAL_ROWS),
        "chosen_chains": set(values.get("focal_chains", "").split(";")),
    }, principal=principal, status_code=status)


def _plan_values(plan: dict[str, Any], version: int, goals: list[dict[str, Any]]) -> dict[str, str]:
    values = {k: "" if v is None else str(v) for k, v in plan.items()}
    values["row_version"] = str(version)
    for i, g in enumerate(goals[:GOAL_ROWS]):
        for f in ("year", *GOAL_FIELDS):
            v = g.get(f)
            values[f"goal-{i}-{f}"] = "" if v is None else (f"{v:g}" if isinstance(v, float) else str(v))
    return values


@router.get("/promotion/plans/new", response_class=HTMLResponse)
def new_plan_page(request: Request, session: SessionDep) -> Response:
    """The form creating a promotion plan (the office; a park manager for their parks)."""
    principal = page_principal(request, session)
    if not principal.authenticated:
        return _login_redirect(request)
    policy.authorize_promotion(principal, "promotion_plans", "create", sorted(principal.parks) or ["*"])
    year = dt.date.today().year
    values = {"scope_kind": "park", "status": "draft", "period_start": str(year), "period_end": str(year + 2)}
    return _plan_form(request, session, principal, values, {}, plan_id=None)


def _plan_owner_parks(session: Any, principal: Principal, form: dict[str, str]) -> list[str]:
    kind, ident = form.get("scope_kind", ""), form.get("scope_id", "")
    if kind in tp.PLAN_SCOPE_KINDS and ident:
        return pdata.plan_parks(session, kind, ident)
    return sorted(principal.parks) or ["*"]


def _plan_problems(form: dict[str, str], problems: dict[str, str]) -> None:
    for name in ("name_zh", "name_en", "scope_id"):
        if not form.get(name):
            problems[name] = "required 必填"
    start = _parse_number(form, "period_start", problems, integer=True, required=True)
    end = _parse_number(form, "period_end", problems, integer=True, required=True)
    if start is not None and end is not None and end < start:
        problems["period_end"] = "the last year is before the first 结束年份早于起始年份"


@router.post("/promotion/plans/new", response_class=HTMLResponse)
def new_plan(request: Request, session: SessionDep, form: FormDep) -> Response:
    """Create the plan of the form with its goals; redirects to the plan's page."""
    check_form_csrf(request, form.get("csrf"))
    principal = page_principal(request, session)
    row = {k: form[k] for k in PLAN_FIELDS if form.get(k)}
    policy.authorize_promotion(principal, "promotion_plans", "create", _plan_owner_parks(session, principal, form),
                               changes=list(row))
    problems: dict[str, str] = {}
    _plan_problems(form, problems)
    goals = _goals(form, problems)
    if problems:
        return _plan_form(request, session, principal, form, _keyed(problems), plan_id=None, status=422)
    row.setdefault("plan_id", service.new_id("PLAN"))
    try:
        with _write(session):
            out = plans_svc.create_plan(session, row, goals=goals, actor=principal.username, via=VIA)
    except ValidationError as exc:
        return _plan_form(request, session, principal, form, _from_validation(exc), plan_id=None, status=422)
    return RedirectResponse(f"/promotion/plans/{out['plan']['plan_id']}?saved=plan", status_code=303)


@router.get("/promotion/plans/{plan_id}/edit", response_class=HTMLResponse)
def edit_plan_page(request: Request, plan_id: str, session: SessionDep) -> Response:
    """The plan's edit form, carrying the version it was read at."""
    principal = page_principal(request, session)
    if not principal.authenticated:
        return _login_redirect(request)
    plan, version = read_record(session, "promotion_plans", plan_id)
    parks = pdata.plan_parks(session, str(plan["scope_kind"]), str(plan["scope_id"]))
    policy.authorize_promotion(principal, "promotion_plans", "update", parks, key=plan_id)
    goals = [{"year": g.year, "projects": g.projects, "signed_investment_cny_m": g.signed_investment_cny_m,
              "funds_in_place_cny_m": g.funds_in_place_cny_m}
             for g in session.scalars(select(PlanGoal).where(PlanGoal.plan_id == plan_id).order_by(PlanGoal.year))]
    return _plan_form(request, session, principal, _plan_values(plan, version, goals), {}, plan_id=plan_id)


@router.post("/promotion/plans/{plan_id}/edit", response_class=HTMLResponse)
def edit_plan(request: Request, plan_id: str, session: SessionDep, form: FormDep) -> Response:
    """Save the plan's edit form (fields and goals) if the plan is still at the version the
    form was read at; 409 with the conflict explained otherwise."""
    check_form_csrf(request, form.get("csrf"))
    principal = page_principal(request, session)
    plan, _v = read_record(session, "promotion_plans", plan_id)
    parks = pdata.plan_parks(session, str(plan["scope_kind"]), str(plan["scope_id"]))
    changes = {k: form.get(k) or None for k in PLAN_FIELDS if k != "plan_id"}
    policy.authorize_promotion(principal, "promotion_plans", "update", parks, key=plan_id,
                               changes=[k for k, v in changes.items() if v is not None and v != str(plan.get(k) or "")])
    if (changes["scope_kind"], changes["scope_id"]) != (plan["scope_kind"], plan["scope_id"]):
        # the new owner must be theirs too
        policy.authorize_promotion(principal, "promotion_plans", "move", _plan_owner_parks(session, principal, form),
                                   key=plan_id)
    problems: dict[str, str] = {}
    _plan_problems(form, problems)
    goals = _goals(form, problems)
    if problems:
        return _plan_form(request, session, principal, form, _keyed(problems), plan_id=plan_id, status=422)
    version = form.get("row_version", "")
    try:
        with _write(session):
            plans_svc.update_plan(session, plan_id, changes, goals=goals, actor=principal.username, via=VIA,
                                  expected_version=registry.parse_if_match(version) if version else None)
    except RecordConflict:
        return _plan_form(request, session, principal, form, {None: CONFLICT}, plan_id=plan_id, status=409)
    except ValidationError as exc:
        return _plan_form(request, session, principal, form, _from_validation(exc), plan_id=plan_id, status=422)
    return RedirectResponse(f"/promotion/plans/{plan_id}?saved=plan", status_code=303)


# ------------------------------------------------------------------------------- targets
def _plan_page_error(request: Request, session: Any, principal: Principal, plan_id: str,
                     problems: dict[str | None, str], form: dict[str, str], status: int) -> HTMLResponse:
    from parklink.web.pages_promotion import _plan_context

    ctx = _plan_context(request, session, principal, plan_id)
    ctx.update(errors=_errors(problems), labels=PROMOTION_FIELD_NAMES,
               field_errors={k: v for k, v in problems.items() if k}, values=form)
    return render(request, "promotion/plan.html", ctx, principal=principal, status_code=status)


def _plan_writer(request: Request, session: Any, plan_id: str, action: str) -> Principal:
    principal = page_principal(request, session)
    plan, _v = read_record(session, "promotion_plans", plan_id)
    policy.authorize_promotion(principal, "promotion_plans", action,
                               pdata.plan_parks(session, str(plan["scope_kind"]), str(plan["scope_id"])), key=plan_id)
    return principal


@router.post("/promotion/plans/{plan_id}/targets", response_class=HTMLResponse)
def add_target(request: Request, plan_id: str, session: SessionDep, form: FormDep) -> Response:
    """Add a firm to the plan's target list by hand, with the reason (status added)."""
    check_form_csrf(request, form.get("csrf"))
    principal = _plan_writer(request, session, plan_id, "add a target to")
    problems: dict[str | None, str] = {}
    for name in ("segment_id", "enterprise_id", "reason"):
        if not form.get(name):
            problems[name] = "required 必填"
    if not problems:
        target = {k: form.get(k) or None for k in ("segment_id", "enterprise_id", "enterprise_name", "reason")}
        try:
            with _write(session):
                plans_svc.add_target(session, plan_id, target, actor=principal.username, via=VIA)
            return RedirectResponse(f"/promotion/plans/{plan_id}?saved=target#h-targets", status_code=303)
        except ValidationError as exc:
            problems = _from_validation(exc)
            if any("already stored" in p.reason for p in exc.problems):
                problems = {"enterprise_id": "this firm is already a target of this segment (该企业已在本环节目标清单中)"}
    return _plan_page_error(request, session, principal, plan_id, problems, form, 422)


@router.post("/promotion/plans/{plan_id}/targets/drop", response_class=HTMLResponse)
def drop_target(request: Request, plan_id: str, session: SessionDep, form: FormDep) -> Response:
    """Drop a target from the plan's list with its reason (kept, status dropped), if the
    target is still at the version the page showed."""
    check_form_csrf(request, form.get("csrf"))
    principal = _plan_writer(request, session, plan_id, "drop a target of")
    target_id = form.get("target_id", "")
    target, _tv = read_record(session, "plan_targets", target_id)
    if str(target["plan_id"]) != plan_id:
        raise ValidationError([Problem(VIA, None, "target_id", target_id, "not a target of this plan (非本计划目标)")])
    problems: dict[str | None, str] = {}
    status = 422
    if not form.get("drop_reason"):
        problems["drop_reason"] = "a dropped target needs a reason (剔除须说明原因)"
    else:
        version = form.get("version", "")
        try:
            with _write(session):
                plans_svc.drop_target(session, target_id, form["drop_reason"], actor=principal.username, via=VIA,
                                      expected_version=registry.parse_if_match(version) if version else None)
            return RedirectResponse(f"/promotion/plans/{plan_id}?saved=dropped#h-targets", status_code=303)
        except RecordConflict:
            problems, status = {None: CONFLICT}, 409
        except ValidationError as exc:
            problems = _from_validation(exc)
    return _plan_page_error(request, session, principal, plan_id, problems, form, status)


__all__ = ["form_fields", "router"]
