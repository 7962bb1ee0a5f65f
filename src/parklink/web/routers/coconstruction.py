"""Co-construction registries and analyses over HTTP: parks in the park, benefit sharing,
smart manufacturing and platforms (issue 15).

Reads are public. Writes authenticate and check CSRF before the body is read (router
dependency :func:`parklink.web.deps.guard_writes`), then the per-record rule of
:mod:`parklink.coconstruction.access`, then the same validation as an import
(:mod:`parklink.web.registry`: schema rules, history, audit, ``If-Match``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query

from parklink.coconstruction.access import COCON_KIND_NAMES, PARK_FIELD, refusal
from parklink.tables import schema
from parklink.web import registry
from parklink.web.deps import PrincipalDep, SessionDep, guard_writes
from parklink.web.routers.common import (
    ERRORS,
    IfMatchH,
    JSONBytes,
    PageQ,
    PageSizeQ,
    json_bytes,
    page_response,
    row_response,
    written_response,
)

router = APIRouter(prefix="/coconstruction", tags=["co-construction 共建"], responses=ERRORS,
                   dependencies=[Depends(guard_writes)])
KindP = Annotated[str, Path(pattern="^(" + "|".join(COCON_KIND_NAMES) + ")$")]
Key = Annotated[str, Path(max_length=80)]


def _park_of(session: Any, kind: str) -> dict[str, str | None]:
    """Parks of the records a rule or revenue record is placed through."""
    if kind not in ("benefit_sharing", "sharing_realised"):
        return {}
    from sqlalchemy import select

    from parklink.store import models_coconstruction as mc

    pips = dict(session.execute(select(mc.CoconPip.pip_id, mc.CoconPip.host_park_id)).all())
    out: dict[str, str | None] = {str(k): v for k, v in pips.items()}
    for aid, park, pip in session.execute(select(mc.CoconSharing.agreement_id, mc.CoconSharing.park_id,
                                                 mc.CoconSharing.pip_id)).all():
        out[str(aid)] = park or (pips.get(pip) if pip else None)
    return out


def _authorize(session: Any, principal: Any, kind: str, records: list[dict[str, Any]],
               fields: list[str]) -> None:
    if not principal.authenticated:
        raise HTTPException(401, "log in first (请先登录)", headers={"WWW-Authenticate": "Bearer"})
    why = refusal(principal.role, principal.parks, principal.enterprise_id, kind, records, fields,
                  _park_of(session, kind))
    if why:
        raise HTTPException(403, why)


def _check_fields(kind: str, data: dict[str, Any]) -> None:
    unknown = sorted(set(data) - set(schema(kind).names))
    if unknown:
        raise HTTPException(422, f"unknown fields of {kind}: {', '.join(unknown)} (未知字段)")


# analysis routes first: their two-segment paths must not reach /{kind}/{key}
def _run_json(run: Any, tables: dict[str, Any]) -> JSONBytes:
    return JSONBytes(json_bytes({"summary": run.summary(), **{
        k: v.astype(object).where(v.notna(), None).to_dict(orient="records") for k, v in tables.items()}}))


@router.get("/analyses/scorecard", summary="Co-built park scorecard 共建园区评分")
def scorecard(session: SessionDep, ref_year: Annotated[int | None, Query(ge=1990, le=2100)] = None) -> JSONBytes:
    """Scorecard and promised vs realised shares (formulas: docs/coconstruction.md)."""
    from parklink.coconstruction.runs import ScorecardConfig, run_scorecard
    from parklink.inputs import session_inputs

    run = run_scorecard(session_inputs(session), ScorecardConfig(ref_year=ref_year))
    return _run_json(run, {"scorecard": run.to_frame(), "shares": run.explain()["shares"]})


@router.get("/analyses/smart", summary="Park smart-manufacturing indicators 园区智能制造指标")
def smart(session: SessionDep, ref_year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> JSONBytes:
    """Recognised counts, share assessed, mean level and trend per park."""
    from parklink.coconstruction.runs import SmartConfig, run_smart
    from parklink.inputs import session_inputs

    run = run_smart(session_inputs(session), SmartConfig(ref_year=ref_year))
    return _run_json(run, {"parks": run.to_frame()})


@router.get("/{kind}", summary="List a co-construction registry 共建登记列表")
def list_records(kind: KindP, session: SessionDep, page: PageQ = 1, page_size: PageSizeQ = 50,
                 park_id: Annotated[str | None, Query(max_length=64)] = None) -> JSONBytes:
    """Rows of ``kind``, optionally of one park (the kind's park column)."""
    where = []
    field = PARK_FIELD.get(kind)
    if park_id and field:
        where.append(getattr(registry.model_of(kind), field) == park_id)
    rows, total = registry.page_rows(session, kind, where=where, page=page, page_size=page_size)
    return page_response(rows, total, page, page_size)


@router.get("/analyses/platform-gaps", summary="Platform gaps of designated parks 平台缺口")
def platform_gaps(session: SessionDep,
                  max_hours: Annotated[float, Query(gt=0, le=24)] = 2.0,
                  p: Annotated[int, Query(ge=1, le=10)] = 1) -> JSONBytes:
    """Chain gaps with no serving platform within ``max_hours`` (network travel time) and the
    best site(s) for a new platform (MCLP). Needs the firm dataset (chain engine). The run of
    the one input path, cached by fingerprint (:func:`parklink.web.cocon_gaps.platform_gap_run`,
    shared with the dashboard)."""
    from parklink.coconstruction.runs import PlatformGapConfig
    from parklink.web.cocon_gaps import platform_gap_run

    run = platform_gap_run(session, PlatformGapConfig(max_hours=max_hours, p=p))
    return _run_json(run, {"gaps": run.to_frame(), "sites": run.explain()["sites"]})


@router.get("/{kind}/{key}/history", summary="History of a co-construction record 共建登记变更历史")
def record_history(kind: KindP, key: Key, session: SessionDep, principal: PrincipalDep,
                   limit: Annotated[int, Query(ge=1, le=2000)] = 200) -> JSONBytes:
    """Every recorded change of one record, newest first (as ``/api/{kind}/{key}/history``
    of the other registries; the actor is shown to logged-in users only)."""
    from parklink.store.history import read_history

    items = read_history(session, kind, key, limit=limit)
    if not items:
        registry.get_row(session, kind, key)
    if not principal.authenticated:
        items = [{**item, "actor": None} for item in items]
    return JSONBytes(json_bytes({"kind": kind, "key": key, "items": items}))


@router.get("/{kind}/{key}", summary="One co-construction record 共建登记详情")
def get_record(kind: KindP, key: Key, session: SessionDep) -> JSONBytes:
    """The record ``key`` of ``kind`` (ETag = row version)."""
    return row_response(registry.get_row(session, kind, key))


@router.post("/{kind}", status_code=201, summary="Create a co-construction record 新增共建登记")
def create_record(kind: KindP, body: Annotated[dict[str, Any], Body()], session: SessionDep,
                  principal: PrincipalDep) -> JSONBytes:
    """Create a record (office; a park manager in their parks; an enterprise its own
    recognitions and assessments). Other roles' records are stored ``unconfirmed``."""
    _check_fields(kind, body)
    data = dict(body)
    _authorize(session, principal, kind, [data], list(data))
    if not principal.is_office:
        data["confidence"] = "unconfirmed"
    return written_response(registry.create_row(session, kind, data, actor=principal.username), 201)


@router.patch("/{kind}/{key}", summary="Update a co-construction record 修改共建登记")
def update_record(kind: KindP, key: Key, body: Annotated[dict[str, Any], Body()], session: SessionDep,
                  principal: PrincipalDep, if_match: IfMatchH = None) -> JSONBytes:
    """Change fields of a record; the record must be the caller's before and after."""
    _check_fields(kind, body)
    before = registry.get_row(session, kind, key)
    _authorize(session, principal, kind, [before, {**before, **body}], list(body))
    return written_response(registry.update_row(session, kind, key, body, actor=principal.username,
                                                expected_version=registry.parse_if_match(if_match)))


@router.delete("/{kind}/{key}", status_code=204, summary="Delete a co-construction record 删除共建登记")
def delete_record(kind: KindP, key: Key, session: SessionDep, principal: PrincipalDep,
                  if_match: IfMatchH = None) -> JSONBytes:
    """Delete a record the caller may write (409 while other records refer to it)."""
    before = registry.get_row(session, kind, key)
    _authorize(session, principal, kind, [before], [])
    registry.delete_row(session, kind, key, actor=principal.username,
                        expected_version=registry.parse_if_match(if_match))
    return JSONBytes(b"", status_code=204)
