"""Leads and projects (``/api/projects``) and joint promotion events (``/api/events``).

Reads are role-filtered (:func:`parklink.web.policy.project_for`): the programme office sees
every project, a park manager those of their parks, an enterprise its own investments; every
other project is shown only from signing on, with the investor hidden unless published.
Writes call :mod:`parklink.promotion.service` (validated, history recorded) after the role
check of :func:`parklink.web.policy.authorize_promotion`; ``If-Match`` naming another version
than the stored one is 412, a write that loses a race with another one is 409.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from sqlalchemy import select

from parklink import tables as t
from parklink.errors import NotFoundError
from parklink.promotion import service
from parklink.promotion.records import stored_version
from parklink.web import policy, registry
from parklink.web import promotion_data as pdata
from parklink.web.deps import PrincipalDep, SessionDep
from parklink.web.routers.common import (
    ERRORS,
    IfMatchH,
    JSONBytes,
    PageQ,
    PageSizeQ,
    dump,
    json_bytes,
)
from parklink.web.schemas_promotion import (
    EventCreate,
    EventDetailOut,
    EventOut,
    EventUpdate,
    FundsIn,
    FundsOut,
    ProjectCreate,
    ProjectDetailOut,
    ProjectPage,
    ProjectUpdate,
    StageEventIn,
)

router = APIRouter(tags=["promotion 招商"], responses=ERRORS)
KeyPath = Annotated[str, Path(max_length=64)]
VIA = "api"


def check_version(kind: str, key: str, stored: int | None, if_match: str | None) -> int | None:
    """The version ``If-Match`` names (None: any); 412 when it is not the stored one."""
    expected = registry.parse_if_match(if_match)
    if expected is not None and stored is not None and stored != expected:
        raise registry.PreconditionFailed(kind, key, stored, expected)
    return expected


def project_detail(session: Any, principal: Any, project_id: str) -> dict[str, Any]:
    """The detail body of a project as ``principal`` may see it (404 when hidden)."""
    view = pdata.project_view(session, principal, project_id)
    timeline = pdata.project_timeline(session, project_id, redacted=view["redacted"])
    funds = pdata.project_funds(session, project_id) if not view["redacted"] else []
    return {"project": view, "stage": view["stage"], "row_version": int(view["row_version"]),
            "timeline": timeline, "funds": funds,
            "funds_in_place_cny_m": float(sum(f["amount_cny_m"] for f in funds))}


def _detail_response(body: dict[str, Any], status_code: int = 200) -> JSONBytes:
    return JSONBytes(json_bytes(body), status_code=status_code,
                     headers={"ETag": registry.etag(int(body["row_version"]))})


# ------------------------------------------------------------------------------- projects
@router.get("/projects", response_model=ProjectPage, summary="List leads and projects 项目列表")
def list_projects(
    session: SessionDep,
    principal: PrincipalDep,
    page: PageQ = 1,
    page_size: PageSizeQ = 50,
    park: Annotated[str | None, Query(max_length=64)] = None,
    chain: Annotated[str | None, Query(pattern="^(" + "|".join(t.CHAINS) + ")$")] = None,
    stage: Annotated[str | None, Query(pattern="^(" + "|".join(pdata.STAGE_ORDER) + ")$")] = None,
    event: Annotated[str | None, Query(max_length=64)] = None,
    plan: Annotated[str | None, Query(max_length=64)] = None,
    designation: Annotated[str | None, Query(max_length=64)] = None,
    zone: Annotated[str | None, Query(max_length=64)] = None,
    origin: Annotated[str | None, Query(max_length=60, description="origin province or country")] = None,
    year: Annotated[int | None, Query(ge=2000, le=2100, description="year signed")] = None,
    q: Annotated[str | None, Query(max_length=100, description="text in the name, id or investor")] = None,
) -> JSONBytes:
    """Projects matching every filter that the caller may see (derived stage included);
    ``hidden`` counts the matching projects not shown to this caller."""
    filters = pdata.ProjectFilters(park=park, chain=chain, stage=stage, event=event, plan=plan,
                                   designation=designation, zone=zone, origin=origin, year=year, q=q)
    rows, hidden = pdata.visible_projects(session, principal, filters)
    start = (page - 1) * page_size
    return JSONBytes(json_bytes({"items": rows[start:start + page_size], "total": len(rows), "hidden": hidden,
                                 "page": page, "page_size": page_size}))


@router.get("/projects/{project_id}", response_model=ProjectDetailOut, summary="One project 项目详情")
def get_project(project_id: KeyPath, session: SessionDep, principal: PrincipalDep) -> JSONBytes:
    """A project with its derived stage, its stage timeline and funds in place (404 when the
    caller may not see it); the ``ETag`` is its row version."""
    return _detail_response(project_detail(session, principal, project_id))


@router.post("/projects", response_model=ProjectDetailOut, status_code=201, summary="Create a lead or project 新增项目")
def create_project(body: ProjectCreate, session: SessionDep, principal: PrincipalDep) -> JSONBytes:  # type: ignore[valid-type]
    """Create a lead (or a project at a later stage) in a park: the programme office, or the
    manager of that park. ``stage`` is its first stage event."""
    data = {k: v for k, v in dump(body).items() if v is not None}
    policy.authorize_promotion(principal, "projects", "create", [data.get("park_id", "")], changes=data)
    stage, on = data.pop("stage", "lead"), data.pop("on_date", None)
    detail = service.create_project(session, data, actor=principal.username, via=VIA, stage=stage, on=on)
    return _detail_response(project_detail(session, principal, str(detail.project["project_id"])), 201)


@router.patch("/projects/{project_id}", response_model=ProjectDetailOut, summary="Update a project 修改项目")
def update_project(project_id: KeyPath, body: ProjectUpdate, session: SessionDep,  # type: ignore[valid-type]
                   principal: PrincipalDep, if_match: IfMatchH = None) -> JSONBytes:
    """Change fields of a project (not its stage: POST its events). The office, or the manager
    of its park (and of the new park when it moves)."""
    data = dump(body)
    parks = pdata.project_parks(session, project_id)
    if data.get("park_id"):
        parks.append(str(data["park_id"]))
    policy.authorize_promotion(principal, "projects", "update", parks, key=project_id, changes=data, all_parks=True)
    expected = check_version("projects", project_id, stored_version(session, "projects", project_id), if_match)
    service.update_project(session, project_id, data, expected_version=expected, actor=principal.username, via=VIA)
    return _detail_response(project_detail(session, principal, project_id))


@router.post("/projects/{project_id}/events", response_model=ProjectDetailOut, summary="Advance a project 推进项目阶段",
             responses={409: ERRORS[409], 412: ERRORS[412]})
def advance_project(project_id: KeyPath, body: StageEventIn, session: SessionDep, principal: PrincipalDep,
                    if_match: IfMatchH = None) -> JSONBytes:
    """Append a stage event to the project's log (the log rules: a later stage, a date not
    before the last event, a reason only and always with ``terminated``). ``If-Match`` (the
    version read) makes a concurrent advance fail: 412 when the project already moved, 409
    when it moves during this write."""
    policy.authorize_promotion(principal, "projects", "advance", pdata.project_parks(session, project_id),
                               key=project_id)
    expected = check_version("projects", project_id, stored_version(session, "projects", project_id), if_match)
    service.advance_project(session, project_id, body.stage, body.on_date, expected_version=expected,
                            actor=principal.username, via=VIA, source=body.source, reason=body.reason,
                            note=body.note)
    return _detail_response(project_detail(session, principal, project_id))


@router.post("/projects/{project_id}/funds", response_model=ProjectDetailOut, status_code=201,
             summary="Record funds in place 记录到位资金", responses={409: ERRORS[409], 412: ERRORS[412]})
def record_funds(project_id: KeyPath, body: FundsIn, session: SessionDep, principal: PrincipalDep,
                 if_match: IfMatchH = None) -> JSONBytes:
    """Record funds that arrived for a project on a date (million CNY; one entry per project
    and date — a second entry on the same date is 422). The office, or the manager of the
    project's park. Audited like every project write (history of ``project_funds``) and
    bumps the project's version: ``If-Match`` naming an older version is 412, a concurrent
    write winning the race is 409."""
    policy.authorize_promotion(principal, "projects", "record funds of", pdata.project_parks(session, project_id),
                               key=project_id)
    expected = check_version("projects", project_id, stored_version(session, "projects", project_id), if_match)
    service.add_funds(session, project_id, body.on_date, body.amount_cny_m, expected_version=expected,
                      actor=principal.username, via=VIA, use=body.use, source=body.source)
    return _detail_response(project_detail(session, principal, project_id), 201)


@router.get("/projects/{project_id}/funds", response_model=FundsOut, summary="Funds in place of a project 到位资金")
def list_funds(project_id: KeyPath, session: SessionDep, principal: PrincipalDep) -> JSONBytes:
    """The project's funds-in-place series by date with its total (404 when the caller may
    not see the project; empty and ``redacted`` for a signed project seen without its
    investor)."""
    view = pdata.project_view(session, principal, project_id)
    funds = [] if view["redacted"] else pdata.project_funds(session, project_id)
    return _detail_response({"project_id": project_id, "row_version": int(view["row_version"]),
                             "redacted": bool(view["redacted"]), "funds": funds,
                             "funds_in_place_cny_m": float(sum(f["amount_cny_m"] for f in funds)),
                             "signed_investment_cny_m": view.get("signed_investment_cny_m")})


# ------------------------------------------------------------------------------- events
@router.get("/events", response_model=list[EventOut], summary="List joint promotion events 招商活动列表")
def list_events(session: SessionDep) -> JSONBytes:
    """Every joint promotion event, newest first (events are public)."""
    return JSONBytes(json_bytes(pdata.event_rows(session)))


@router.get("/events/{event_id}", response_model=EventDetailOut, summary="One event with its cohort's KPIs 招商活动详情")
def get_event(event_id: KeyPath, session: SessionDep,
              as_of: Annotated[dt.date | None, Query(description="report date (default today)")] = None) -> JSONBytes:
    """An event and the KPIs of its cohort (the projects it generated), as of ``as_of``."""
    rows = pdata.event_rows(session, [event_id])
    if not rows:
        raise NotFoundError(f"event {event_id!r} not found (未找到)")
    on = as_of or dt.date.today()
    res = pdata.kpi_result(session, by=["event_id"], year=None, as_of=on)
    table = res.to_frame()
    mine = table[table["event_id"] == event_id]
    kpis = pdata.clean_record(mine.iloc[0].to_dict()) if len(mine) else {}
    body = {"event": rows[0], "row_version": int(rows[0]["row_version"]), "kpis": kpis,
            "synthetic": bool(rows[0].get("synthetic")), "as_of": on}
    return _detail_response(body)


def _event_parks(session: Any, event_id: str) -> list[str]:
    from parklink.store.models_promotion import PromotionEvent

    if session.scalar(select(PromotionEvent.event_id).where(PromotionEvent.event_id == event_id)) is None:
        raise NotFoundError(f"event {event_id!r} not found (未找到)")
    return []


@router.post("/events", response_model=EventDetailOut, status_code=201, summary="Create an event 新增招商活动")
def create_event(body: EventCreate, session: SessionDep, principal: PrincipalDep) -> JSONBytes:  # type: ignore[valid-type]
    """Record a joint promotion event (programme office)."""
    data = {k: v for k, v in dump(body).items() if v is not None}
    policy.authorize_promotion(principal, "promotion_events", "create", [], changes=data)
    out = service.create_event(session, data, actor=principal.username, via=VIA)
    event_id = str(out["event"]["event_id"])
    return get_event(event_id, session)


@router.patch("/events/{event_id}", response_model=EventDetailOut, summary="Update an event 修改招商活动")
def update_event(event_id: KeyPath, body: EventUpdate, session: SessionDep, principal: PrincipalDep,  # type: ignore[valid-type]
                 if_match: IfMatchH = None) -> JSONBytes:
    """Change fields of an event (programme office)."""
    from parklink.promotion.records import update_fields
    from parklink.store import history as h

    data = dump(body)
    policy.authorize_promotion(principal, "promotion_events", "update", _event_parks(session, event_id),
                               key=event_id, changes=data)
    expected = check_version("promotion_events", event_id, stored_version(session, "promotion_events", event_id),
                             if_match)
    h.begin_write(session)
    update_fields(session, "promotion_events", event_id, data, expected_version=expected,
                  cs=h.ChangeSet(principal.username, VIA))
    return get_event(event_id, session)
