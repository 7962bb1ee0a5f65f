"""Promotion plans (``/api/promotion-plans``: goals, target list, conversions, gap → lead)
and the promotion KPIs and alerts (``/api/kpi``, ``/api/kpi/alerts``).

KPIs, plan goals and conversion rates are aggregates and public; a plan's target list names
firms (the chain engine's firm-level output) and is shown only to those who may write the
plan (programme office, managers of its parks). KPI bodies are memoised per data version and
report date (:func:`parklink.web.promotion_data.memo_bytes`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from parklink.promotion import plans as plans_svc
from parklink.promotion.kpi import KPI_COLUMNS, year_elapsed
from parklink.promotion.records import read_record, stored_version
from parklink.web import policy
from parklink.web import promotion_data as pdata
from parklink.web.cache import cacheable
from parklink.web.deps import Principal, PrincipalDep, SessionDep
from parklink.web.routers.common import ERRORS, IfMatchH, JSONBytes, dump, json_bytes
from parklink.web.routers.promotion import VIA, _detail_response, check_version, project_detail
from parklink.web.schemas_promotion import (
    KPI_BY,
    AlertOut,
    KpiBy,
    KPIOut,
    LeadFromTarget,
    PlanCreate,
    PlanDetailOut,
    PlanOut,
    PlanUpdateIn,
    ProjectDetailOut,
    TargetAdd,
    TargetDrop,
)

router = APIRouter(tags=["promotion 招商"], responses=ERRORS)
KeyPath = Annotated[str, Path(max_length=64)]
TargetPath = Annotated[str, Path(max_length=240)]
AsOfQ = Annotated[dt.date | None, Query(description="report date (default today); only events and funds "
                                                    "dated on or before it count")]


def _plan_parks(session: Any, plan_id: str) -> list[str]:
    plan, _v = read_record(session, "promotion_plans", plan_id)
    return pdata.plan_parks(session, str(plan["scope_kind"]), str(plan["scope_id"]))


def may_see_targets(session: Any, principal: Principal, plan: dict[str, Any]) -> bool:
    """True when ``principal`` may see the plan's target list (it names firms)."""
    parks = pdata.plan_parks(session, str(plan["scope_kind"]), str(plan["scope_id"]))
    return policy.may_write_promotion(principal, "promotion_plans", parks)


def plan_body(session: Any, principal: Principal, plan_id: str, as_of: dt.date) -> dict[str, Any]:
    """The detail body of a plan as ``principal`` may see it."""
    out = pdata.plan_detail(session, plan_id, as_of=as_of)
    plan = pdata.clean_record(out["plan"])
    plan["focal_chains"] = [c for c in str(plan.get("focal_chains") or "").split(";") if c]
    plan["focal_segments"] = [c for c in str(plan.get("focal_segments") or "").split(";") if c]
    targets = None
    if may_see_targets(session, principal, plan):
        targets = [pdata.clean_record(r) for r in out["targets"].to_dict("records")]
    return {"plan": plan, "row_version": int(out["row_version"]),
            "goals": [pdata.clean_record(r) for r in out["goals"].to_dict("records")],
            "conversion": [pdata.clean_record(r) for r in out["conversion"].to_dict("records")],
            "targets": targets, "synthetic": bool(plan.get("synthetic")), "as_of": as_of}


@router.get("/promotion-plans", response_model=list[PlanOut], summary="List promotion plans 招商计划列表")
def list_plans(session: SessionDep) -> JSONBytes:
    """Every promotion plan with its number of targets (not dropped) and of projects."""
    frame = plans_svc.list_plans(session)
    rows = [pdata.clean_record(r) for r in frame.to_dict("records")]
    for r in rows:
        r["focal_chains"] = [c for c in str(r.get("focal_chains") or "").split(";") if c]
        r["focal_segments"] = [c for c in str(r.get("focal_segments") or "").split(";") if c]
    return JSONBytes(json_bytes(rows))


@router.get("/promotion-plans/{plan_id}", response_model=PlanDetailOut, summary="One plan 招商计划详情")
def get_plan(plan_id: KeyPath, session: SessionDep, principal: PrincipalDep, as_of: AsOfQ = None) -> JSONBytes:
    """A plan: goals against achievement by year (with the share of the year elapsed),
    conversion of its recommended targets by ranking model version, and its target list
    (null for callers who may not write the plan: it names firms)."""
    return _detail_response(plan_body(session, principal, plan_id, as_of or dt.date.today()))


@router.post("/promotion-plans", response_model=PlanDetailOut, status_code=201, summary="Create a plan 新增招商计划")
def create_plan(body: PlanCreate, session: SessionDep, principal: PrincipalDep) -> JSONBytes:  # type: ignore[valid-type]
    """Create a plan with its yearly goals (the office, or a manager of one of the plan's
    parks); ``from_engine`` fills the target list with the chain engine's ranked targets."""
    data = {k: v for k, v in dump(body).items() if v is not None}
    goals = [dict(g) for g in data.pop("goals", [])]
    from_engine = bool(data.pop("from_engine", False))
    parks = pdata.plan_parks(session, str(data["scope_kind"]), str(data["scope_id"]))
    policy.authorize_promotion(principal, "promotion_plans", "create", parks, changes=data)
    targets = None
    if from_engine:
        from parklink.web.park_analyses import web_inputs

        inputs = web_inputs(session)
        inputs.require_firms()
        targets = plans_svc.engine_targets(inputs, str(data["scope_kind"]), str(data["scope_id"]),
                                           chains=data.get("focal_chains") or None)
    for key in ("focal_chains", "focal_segments"):
        if isinstance(data.get(key), list):
            data[key] = ";".join(data[key])
    out = plans_svc.create_plan(session, data, targets=targets, goals=goals, actor=principal.username, via=VIA)
    plan_id = str(out["plan"]["plan_id"])
    return _detail_response(plan_body(session, principal, plan_id, dt.date.today()), 201)


@router.patch("/promotion-plans/{plan_id}", response_model=PlanDetailOut, summary="Update a plan 修改招商计划")
def update_plan(plan_id: KeyPath, body: PlanUpdateIn, session: SessionDep, principal: PrincipalDep,  # type: ignore[valid-type]
                if_match: IfMatchH = None) -> JSONBytes:
    """Change fields of a plan and set the goals of the years given (the office, or a manager
    of its parks; a new owner scope must be theirs too). Any change bumps the plan's version."""
    data = dump(body)
    goals = data.pop("goals", None)
    policy.authorize_promotion(principal, "promotion_plans", "update", _plan_parks(session, plan_id), key=plan_id,
                               changes=data)
    if data.get("scope_kind") or data.get("scope_id"):  # the new owner must be theirs too
        plan, _v = read_record(session, "promotion_plans", plan_id)
        policy.authorize_promotion(principal, "promotion_plans", "move",
                                   pdata.plan_parks(session, str(data.get("scope_kind") or plan["scope_kind"]),
                                                    str(data.get("scope_id") or plan["scope_id"])), key=plan_id)
    for key in ("focal_chains", "focal_segments"):
        if isinstance(data.get(key), list):
            data[key] = ";".join(data[key])
    expected = check_version("promotion_plans", plan_id, stored_version(session, "promotion_plans", plan_id), if_match)
    plans_svc.update_plan(session, plan_id, data, expected_version=expected,
                          goals=None if goals is None else [dict(g) for g in goals], actor=principal.username, via=VIA)
    return _detail_response(plan_body(session, principal, plan_id, dt.date.today()))


@router.post("/promotion-plans/{plan_id}/targets", response_model=PlanDetailOut, status_code=201,
             summary="Add a target by hand 添加目标企业")
def add_target(plan_id: KeyPath, body: TargetAdd, session: SessionDep, principal: PrincipalDep) -> JSONBytes:
    """Add a firm to the plan's target list (status ``added``)."""
    policy.authorize_promotion(principal, "promotion_plans", "add a target to", _plan_parks(session, plan_id),
                               key=plan_id)
    plans_svc.add_target(session, plan_id, dump(body), actor=principal.username, via=VIA)
    return _detail_response(plan_body(session, principal, plan_id, dt.date.today()), 201)


def _target_plan(session: Any, plan_id: str, target_id: str) -> None:
    from parklink.errors import NotFoundError

    target, _v = read_record(session, "plan_targets", target_id)
    if str(target["plan_id"]) != plan_id:
        raise NotFoundError(f"target {target_id!r} is not on plan {plan_id!r} (未找到)")


@router.patch("/promotion-plans/{plan_id}/targets/{target_id}", response_model=PlanDetailOut,
              summary="Drop a target with a reason 剔除目标企业")
def drop_target(plan_id: KeyPath, target_id: TargetPath, body: TargetDrop, session: SessionDep,
                principal: PrincipalDep, if_match: IfMatchH = None) -> JSONBytes:
    """Drop a target from the list with its reason (kept, status ``dropped``)."""
    policy.authorize_promotion(principal, "promotion_plans", "drop a target of", _plan_parks(session, plan_id),
                               key=plan_id)
    _target_plan(session, plan_id, target_id)
    expected = check_version("plan_targets", target_id, stored_version(session, "plan_targets", target_id), if_match)
    plans_svc.drop_target(session, target_id, body.drop_reason, expected_version=expected,
                          actor=principal.username, via=VIA)
    return _detail_response(plan_body(session, principal, plan_id, dt.date.today()))


@router.post("/promotion-plans/{plan_id}/targets/{target_id}/lead", response_model=ProjectDetailOut,
             status_code=201, summary="Create a lead from a target 由目标创建线索")
def lead_from_target(plan_id: KeyPath, target_id: TargetPath, body: LeadFromTarget, session: SessionDep,
                     principal: PrincipalDep) -> JSONBytes:
    """Turn a chain-gap target into a lead in one step: a project of the plan with the target
    firm as investor, keeping the recommendation it came from (rank, score, reason, model
    version). The park must be one of the plan's (default: its only park) and the caller's."""
    plan_parks = _plan_parks(session, plan_id)
    policy.authorize_promotion(principal, "promotion_plans", "create a lead of", plan_parks, key=plan_id)
    _target_plan(session, plan_id, target_id)
    park = body.park_id or (plan_parks[0] if len(plan_parks) == 1 else None)
    if park is not None:
        if plan_parks and park not in plan_parks:
            from parklink.errors import ValidationError

            raise ValidationError.single("request body", f"park {park} is not one of the plan's parks "
                                         f"({', '.join(plan_parks)}) (园区不属于该计划)", column="park_id", value=park)
        policy.authorize_promotion(principal, "projects", "create", [park])
    detail = plans_svc.lead_from_target(session, target_id, park_id=park, actor=principal.username, via=VIA,
                                        on=body.on_date, origin_province=body.origin_province)
    return _detail_response(project_detail(session, principal, str(detail.project["project_id"])), 201)


# ------------------------------------------------------------------------------- KPIs
def kpi_body(session: Any, by: str, year: int | None, as_of: dt.date, data: str = "all") -> bytes:
    """The serialised KPI body (memoised per data version, grouping, year, date and data)."""
    def build() -> bytes:
        res = pdata.kpi_result(session, by=[KPI_BY[by]], year=year, as_of=as_of, data=data)
        rows = [pdata.clean_record(r) for r in res.to_frame().to_dict("records")]
        return json_bytes({
            "by": by, "year": year, "as_of": as_of, "year_elapsed": year_elapsed(as_of), "data": data,
            "synthetic": pdata.ledger_part(session, data).synthetic,
            "summary": pdata.clean_record(res.summary()),
            "columns": {k: list(v) for k, v in KPI_COLUMNS.items()}, "rows": rows,
        })

    return pdata.memo_bytes(session, "kpi-body", (by, year, as_of, data), build)


@router.get("/kpi", response_model=KPIOut, summary="Promotion KPIs 招商指标")
@cacheable
def get_kpi(
    session: SessionDep,
    by: Annotated[KpiBy, Query(description="group by park, designation, zone, chain, investor origin, event "
                                           "(cohort), year signed, or in a demonstration park or not")] = "park",
    year: Annotated[int | None, Query(ge=2000, le=2100, description="only the projects signed in this year")] = None,
    as_of: AsOfQ = None,
    data: Annotated[Literal["all", "real", "synthetic"], Query(
        description="all projects, only real ones or only the seeded synthetic ones")] = "all",
) -> JSONBytes:
    """Performance, start, production and funds-in-place rates and days per stage by group
    (formulas: docs/promotion.md), with totals recomputed from the group totals and the share
    of the year elapsed (时间进度). Aggregates only: public; served from the response cache
    while the data version and the date are unchanged (:mod:`parklink.web.cache`)."""
    return JSONBytes(kpi_body(session, by, year, as_of or dt.date.today(), data))


def alert_items(session: Any, principal: Principal, as_of: dt.date, stall_days: int,
                limit: int = 200) -> dict[str, Any]:
    """Counts of every alert kind, and the alerts of the projects the caller may see (as
    they may see them; at most ``limit``)."""
    frame = pdata.alert_frame(session, as_of=as_of, stall_days=stall_days)
    counts = {k: int((frame["alert"] == k).sum()) for k in ("start_overdue", "production_overdue", "stalled")}
    ids = list(dict.fromkeys(frame["project_id"].astype(str).tolist()))
    views: dict[str, dict[str, Any]] = {}
    if ids:
        rows, _hidden = pdata.visible_projects(session, principal, pdata.ProjectFilters())
        views = {r["project_id"]: r for r in rows if r["project_id"] in set(ids)}
    items = []
    for rec in frame.to_dict("records"):
        view = views.get(str(rec["project_id"]))
        if view is None:
            continue
        items.append({**pdata.clean_record(rec), "name_zh": view.get("name_zh"), "name_en": view.get("name_en"),
                      "redacted": view["redacted"], "synthetic": bool(view.get("synthetic"))})
        if len(items) >= limit:
            break
    return {"as_of": as_of, "stall_days": stall_days, "counts": counts, "total": len(frame), "items": items}


@router.get("/kpi/alerts", response_model=AlertOut, summary="Overdue and stalled projects 逾期与停滞预警")
def get_alerts(
    session: SessionDep,
    principal: PrincipalDep,
    as_of: AsOfQ = None,
    stall_days: Annotated[int, Query(ge=1, le=3650, description="no event for this many days = stalled")] = 90,
) -> JSONBytes:
    """Milestones past their planned date without the stage event (start, production) and
    projects with no event for ``stall_days``: counts for everybody, the projects for those
    who may see them."""
    return JSONBytes(json_bytes(alert_items(session, principal, as_of or dt.date.today(), stall_days)))
