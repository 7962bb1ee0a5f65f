"""Designations and targets: lists, details, writes, and programme status vs targets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import ColumnElement, select

from parklink import tables as t
from parklink.store import models as m
from parklink.web import policy, registry
from parklink.web.cache import cacheable
from parklink.web.deps import PrincipalDep, SessionDep
from parklink.web.routers.common import (
    ERRORS,
    IfMatchH,
    JSONBytes,
    PageQ,
    PageSizeQ,
    SortQ,
    dump,
    page_response,
    row_response,
    written_response,
)
from parklink.web.schemas import (
    DesignationCreate,
    DesignationOut,
    DesignationPage,
    DesignationUpdate,
    QueryBool,
    StatusOut,
    TargetCreate,
    TargetOut,
    TargetPage,
    TargetUpdate,
)
from parklink.web.status import status_tables

router = APIRouter(tags=["designations & targets 认定与目标"], responses=ERRORS)
DES_SORT = ("designation_id", "batch", "year", "announced", "mode", "revoked_year")
DesKey = Annotated[str, Path(max_length=64)]
YearKey = Annotated[int, Path(ge=2000, le=2100)]


@router.get("/designations", response_model=DesignationPage, summary="List designations 认定列表")
@cacheable
def list_designations(
    session: SessionDep,
    page: PageQ = 1,
    page_size: PageSizeQ = 50,
    sort: SortQ = None,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    batch: Annotated[int | None, Query(ge=1, le=99)] = None,
    chain: Annotated[str | None, Query(pattern="^(" + "|".join(t.CHAINS) + ")$")] = None,
    mode: Annotated[str | None, Query(pattern="^(" + "|".join(t.COOPERATION_MODES) + ")$")] = None,
    province: Annotated[str | None, Query(pattern="^(SC|CQ)$", description="with a member park in this province")] = None,
    park_id: Annotated[str | None, Query(max_length=64, description="with this member park")] = None,
    active: Annotated[QueryBool | None, Query(description="not revoked")] = None,
) -> JSONBytes:
    """Designations (one or more parks per designation), filtered and paginated."""
    where: list[ColumnElement[bool]] = []
    if year is not None:
        where.append(m.Designation.year == year)
    if batch is not None:
        where.append(m.Designation.batch == batch)
    if mode:
        where.append(m.Designation.mode == mode)
    if chain:
        where.append(m.Designation.designation_id.in_(
            select(m.DesignationChain.designation_id).where(m.DesignationChain.chain == chain)))
    if province:
        where.append(m.Designation.designation_id.in_(
            select(m.DesignationMember.designation_id)
            .join(m.Park, m.Park.park_id == m.DesignationMember.park_id)
            .where(m.Park.province == province)))
    if park_id:
        where.append(m.Designation.designation_id.in_(
            select(m.DesignationMember.designation_id).where(m.DesignationMember.park_id == park_id)))
    if active is not None:
        where.append(m.Designation.revoked_year.is_(None) if active else m.Designation.revoked_year.is_not(None))
    order = registry.sort_clause("designations", sort, DES_SORT)
    rows, total = registry.page_rows(session, "designations", where=where, order_by=order, page=page,
                                     page_size=page_size)
    return page_response(rows, total, page, page_size)


@router.get("/designations/{designation_id}", response_model=DesignationOut, summary="One designation 认定详情")
@cacheable
def get_designation(designation_id: DesKey, session: SessionDep) -> JSONBytes:
    """The designation ``designation_id``."""
    return row_response(registry.get_row(session, "designations", designation_id))


@router.post("/designations", response_model=DesignationOut, status_code=201, summary="Create a designation 新增认定")
def create_designation(body: DesignationCreate, session: SessionDep, principal: PrincipalDep) -> JSONBytes:
    """Record a designation (programme office); audited."""
    data = dump(body)
    policy.authorize(principal, "designations", "create", None, data)
    revoked = data.pop("revoked_year", None)
    row = registry.create_row(session, "designations", data, actor=principal.username)
    if revoked is not None:
        row = registry.update_row(session, "designations", row["designation_id"], {"revoked_year": revoked},
                                  actor=principal.username)
    return written_response(row, 201)


@router.patch("/designations/{designation_id}", response_model=DesignationOut, summary="Update a designation 修改认定")
def update_designation(designation_id: DesKey, body: DesignationUpdate, session: SessionDep,
                       principal: PrincipalDep, if_match: IfMatchH = None) -> JSONBytes:
    """Change a designation, e.g. set ``revoked_year`` to end it (programme office); audited."""
    data = dump(body)
    policy.authorize(principal, "designations", "update", designation_id, data)
    return written_response(registry.update_row(session, "designations", designation_id, data, actor=principal.username,
                            expected_version=registry.parse_if_match(if_match)))


@router.delete("/designations/{designation_id}", status_code=204, summary="Delete a designation 删除认定")
def delete_designation(designation_id: DesKey, session: SessionDep, principal: PrincipalDep, if_match: IfMatchH = None) -> Response:
    """Delete a designation recorded by mistake (programme office; to end one, set revoked_year)."""
    policy.authorize(principal, "designations", "delete", designation_id)
    registry.delete_row(session, "designations", designation_id, actor=principal.username,
                        expected_version=registry.parse_if_match(if_match))
    return Response(status_code=204)


@router.get("/targets", response_model=TargetPage, summary="List targets 目标列表")
@cacheable
def list_targets(session: SessionDep, page: PageQ = 1, page_size: PageSizeQ = 50, sort: SortQ = None) -> JSONBytes:
    """Cumulative park targets by year."""
    order = registry.sort_clause("targets", sort, ("year", "cumulative_parks"))
    rows, total = registry.page_rows(session, "targets", order_by=order, page=page, page_size=page_size)
    return page_response(rows, total, page, page_size)


@router.get("/targets/{year}", response_model=TargetOut, summary="One target 目标详情")
@cacheable
def get_target(year: YearKey, session: SessionDep) -> JSONBytes:
    """The target of ``year``."""
    return row_response(registry.get_row(session, "targets", year))


@router.post("/targets", response_model=TargetOut, status_code=201, summary="Create a target 新增目标")
def create_target(body: TargetCreate, session: SessionDep, principal: PrincipalDep) -> JSONBytes:
    """Add a target year (programme office); audited."""
    data = dump(body)
    policy.authorize(principal, "targets", "create", None, data)
    return written_response(registry.create_row(session, "targets", data, actor=principal.username), 201)


@router.patch("/targets/{year}", response_model=TargetOut, summary="Update a target 修改目标")
def update_target(year: YearKey, body: TargetUpdate, session: SessionDep, principal: PrincipalDep, if_match: IfMatchH = None) -> JSONBytes:
    """Change a target (programme office); audited."""
    data = dump(body)
    policy.authorize(principal, "targets", "update", year, data)
    return written_response(registry.update_row(session, "targets", year, data, actor=principal.username,
                            expected_version=registry.parse_if_match(if_match)))


@router.delete("/targets/{year}", status_code=204, summary="Delete a target 删除目标")
def delete_target(year: YearKey, session: SessionDep, principal: PrincipalDep, if_match: IfMatchH = None) -> Response:
    """Delete a target (programme office); audited."""
    policy.authorize(principal, "targets", "delete", year)
    registry.delete_row(session, "targets", year, actor=principal.username,
                        expected_version=registry.parse_if_match(if_match))
    return Response(status_code=204)


@router.get("/status", response_model=StatusOut, summary="Programme status vs targets 示范园区进度")
def get_status(session: SessionDep) -> dict[str, Any]:
    """Designated parks vs targets by year, province, zone and area type
    (:func:`parklink.programme.status.programme_status`)."""
    return status_tables(session)
