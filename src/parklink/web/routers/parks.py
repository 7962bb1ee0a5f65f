"""Parks: list (filter, sort, paginate), detail, create, update, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import ColumnElement, select

from parklink import tables as t
from parklink.programme.zones_sql import zone_park_ids
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
from parklink.web.schemas import ParkCreate, ParkOut, ParkPage, ParkUpdate, QueryBool

router = APIRouter(prefix="/parks", tags=["parks 园区"], responses=ERRORS)
SORTABLE = ("park_id", "name_zh", "name_en", "province", "adcode", "level", "kind", "area_km2")
KeyPath = Annotated[str, Path(max_length=64)]



def park_filters(
    province: str | None = None,
    zone: str | None = None,
    area_type: str | None = None,
    chain: str | None = None,
    level: str | None = None,
    kind: str | None = None,
    adcode: str | None = None,
    q: str | None = None,
    designated: bool | None = None,
) -> list[ColumnElement[bool]]:
    """WHERE terms for the park filters (each optional; all must hold)."""
    where: list[ColumnElement[bool]] = []
    if province:
        where.append(m.Park.province == province)
    if level:
        where.append(m.Park.level == level)
    if kind:
        where.append(m.Park.kind == kind)
    if adcode:
        where.append(m.Park.adcode == adcode)
    if zone:
        where.append(m.Park.park_id.in_(zone_park_ids(zone)))  # districts of the zone, partial rule
    if area_type:
        typed = select(m.ParkAreaType.park_id).where(m.ParkAreaType.area_type == area_type)
        where.append(m.Park.park_id.in_(typed))
    if chain:
        focus = select(m.ParkFocusChain.park_id).where(m.ParkFocusChain.chain == chain)
        where.append(m.Park.park_id.in_(focus))
    if q:
        pattern = f"%{q.strip()}%"
        where.append(m.Park.name_zh.like(pattern) | m.Park.name_en.ilike(pattern) | m.Park.park_id.like(pattern))
    if designated is not None:
        member = select(m.DesignationMember.park_id).join(
            m.Designation, m.Designation.designation_id == m.DesignationMember.designation_id
        ).where(m.Designation.revoked_year.is_(None))
        where.append(m.Park.park_id.in_(member) if designated else m.Park.park_id.not_in(member))
    return where


@router.get("", response_model=ParkPage, summary="List parks 园区列表")
@cacheable
def list_parks(
    session: SessionDep,
    page: PageQ = 1,
    page_size: PageSizeQ = 50,
    sort: SortQ = None,
    province: Annotated[str | None, Query(pattern="^(SC|CQ)$")] = None,
    zone: Annotated[str | None, Query(max_length=64, description="zone_id: parks in the zone's regions")] = None,
    area_type: Annotated[str | None, Query(pattern="^(" + "|".join(t.AREA_TYPES) + ")$")] = None,
    chain: Annotated[str | None, Query(pattern="^(" + "|".join(t.CHAINS) + ")$")] = None,
    level: Annotated[str | None, Query(pattern="^(" + "|".join(t.PARK_LEVELS) + ")$")] = None,
    kind: Annotated[str | None, Query(pattern="^(" + "|".join(t.PARK_KINDS) + ")$")] = None,
    adcode: Annotated[str | None, Query(pattern=r"^[0-9]{6}$")] = None,
    q: Annotated[str | None, Query(max_length=100, description="text in the name or id")] = None,
    designated: Annotated[QueryBool | None, Query(description="member of an active designation")] = None,
) -> JSONBytes:
    """Parks matching every given filter, one page at a time (served from the response cache
    while the data version is unchanged; see :mod:`parklink.web.cache`)."""
    where = park_filters(province, zone, area_type, chain, level, kind, adcode, q, designated)
    order = registry.sort_clause("parks", sort, SORTABLE)
    rows, total = registry.page_rows(session, "parks", where=where, order_by=order, page=page, page_size=page_size)
    return page_response(rows, total, page, page_size)


@router.get("/{park_id}", response_model=ParkOut, summary="One park 园区详情")
@cacheable
def get_park(park_id: KeyPath, session: SessionDep) -> JSONBytes:
    """The park ``park_id`` with its list attributes (cached like the list)."""
    return row_response(registry.get_row(session, "parks", park_id))


@router.post("", response_model=ParkOut, status_code=201, summary="Create a park 新增园区")
def create_park(body: ParkCreate, session: SessionDep, principal: PrincipalDep) -> JSONBytes:
    """Create a park (programme office), validated like an import row; audited."""
    data = dump(body)
    policy.authorize(principal, "parks", "create", None, data)
    return written_response(registry.create_row(session, "parks", data, actor=principal.username), 201)


@router.patch("/{park_id}", response_model=ParkOut, summary="Update a park 修改园区")
def update_park(park_id: KeyPath, body: ParkUpdate, session: SessionDep, principal: PrincipalDep, if_match: IfMatchH = None) -> JSONBytes:
    """Change some fields of a park (programme office, or its park manager); audited."""
    data = dump(body)
    policy.authorize(principal, "parks", "update", park_id, data)
    return written_response(registry.update_row(session, "parks", park_id, data, actor=principal.username,
                            expected_version=registry.parse_if_match(if_match)))


@router.delete("/{park_id}", status_code=204, summary="Delete a park 删除园区")
def delete_park(park_id: KeyPath, session: SessionDep, principal: PrincipalDep, if_match: IfMatchH = None) -> Response:
    """Delete a park (programme office); 409 while a designation or enterprise refers to it."""
    policy.authorize(principal, "parks", "delete", park_id)
    registry.delete_row(session, "parks", park_id, actor=principal.username,
                        expected_version=registry.parse_if_match(if_match))
    return Response(status_code=204)
