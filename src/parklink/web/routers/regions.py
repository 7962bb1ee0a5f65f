"""Regions (provinces, cities, districts) and zones: lists, details, zone writes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy import ColumnElement, select

from parklink import tables as t
from parklink.store import models as m
from parklink.web import registry
from parklink.web.cache import cacheable
from parklink.web.deps import PrincipalDep, SessionDep, check_write
from parklink.web.routers.common import (
    ERRORS,
    JSONBytes,
    PageQ,
    PageSizeQ,
    SortQ,
    dump,
    page_response,
    row_response,
)
from parklink.web.schemas import RegionOut, RegionPage, ZoneCreate, ZoneOut, ZonePage, ZoneUpdate

router = APIRouter(tags=["regions & zones 区域与片区"], responses=ERRORS)
REGION_SORT = ("adcode", "name_zh", "name_en", "level", "province", "area_km2")
ZONE_SORT = ("zone_id", "name_zh", "name_en", "kind")
ZoneKey = Annotated[str, Path(max_length=64)]


@router.get("/regions", response_model=RegionPage, summary="List regions 行政区列表")
@cacheable
def list_regions(
    session: SessionDep,
    page: PageQ = 1,
    page_size: PageSizeQ = 50,
    sort: SortQ = None,
    province: Annotated[str | None, Query(pattern="^(SC|CQ)$")] = None,
    level: Annotated[str | None, Query(pattern="^(" + "|".join(t.REGION_LEVELS) + ")$")] = None,
    parent: Annotated[str | None, Query(pattern=r"^[0-9]{6}$", description="parent adcode")] = None,
    zone: Annotated[str | None, Query(max_length=64, description="regions in this zone")] = None,
) -> JSONBytes:
    """Provinces, cities and districts/counties, filtered and paginated."""
    where: list[ColumnElement[bool]] = []
    if province:
        where.append(m.Region.province == province)
    if level:
        where.append(m.Region.level == level)
    if parent:
        where.append(m.Region.parent_adcode == parent)
    if zone:
        where.append(m.Region.adcode.in_(select(m.ZoneMember.adcode).where(m.ZoneMember.zone_id == zone)))
    order = registry.sort_clause("regions", sort, REGION_SORT)
    rows, total = registry.page_rows(session, "regions", where=where, order_by=order, page=page, page_size=page_size)
    return page_response(rows, total, page, page_size)


@router.get("/regions/{adcode}", response_model=RegionOut, summary="One region 行政区详情")
@cacheable
def get_region(adcode: Annotated[str, Path(max_length=6)], session: SessionDep) -> JSONBytes:
    """The region with GB/T 2260 code ``adcode``."""
    return row_response(registry.get_row(session, "regions", adcode))


@router.get("/zones", response_model=ZonePage, summary="List zones 片区列表")
@cacheable
def list_zones(
    session: SessionDep,
    page: PageQ = 1,
    page_size: PageSizeQ = 50,
    sort: SortQ = None,
    kind: Annotated[str | None, Query(pattern="^(" + "|".join(t.ZONE_KINDS) + ")$")] = None,
    province: Annotated[str | None, Query(pattern="^(SC|CQ)$", description="zones with a member region in this province")] = None,
    adcode: Annotated[str | None, Query(pattern=r"^[0-9]{6}$", description="zones containing this region")] = None,
) -> JSONBytes:
    """Cooperation zones, platforms and polar cores."""
    where: list[ColumnElement[bool]] = []
    if kind:
        where.append(m.Zone.kind == kind)
    if province:
        inside = select(m.ZoneMember.zone_id).join(m.Region, m.Region.adcode == m.ZoneMember.adcode).where(
            m.Region.province == province
        )
        where.append(m.Zone.zone_id.in_(inside))
    if adcode:
        where.append(m.Zone.zone_id.in_(select(m.ZoneMember.zone_id).where(m.ZoneMember.adcode == adcode)))
    order = registry.sort_clause("zones", sort, ZONE_SORT)
    rows, total = registry.page_rows(session, "zones", where=where, order_by=order, page=page, page_size=page_size)
    return page_response(rows, total, page, page_size)


@router.get("/zones/{zone_id}", response_model=ZoneOut, summary="One zone 片区详情")
@cacheable
def get_zone(zone_id: ZoneKey, session: SessionDep) -> JSONBytes:
    """The zone ``zone_id`` with its member regions."""
    return row_response(registry.get_row(session, "zones", zone_id))


@router.post("/zones", response_model=ZoneOut, status_code=201, summary="Create a zone 新增片区")
def create_zone(body: ZoneCreate, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """Create a zone (programme office); audited."""
    check_write(principal, "zones", "create")
    return registry.create_row(session, "zones", dump(body), actor=principal.username)


@router.patch("/zones/{zone_id}", response_model=ZoneOut, summary="Update a zone 修改片区")
def update_zone(zone_id: ZoneKey, body: ZoneUpdate, session: SessionDep, principal: PrincipalDep) -> dict[str, Any]:
    """Change a zone (programme office); audited."""
    check_write(principal, "zones", "update", zone_id)
    return registry.update_row(session, "zones", zone_id, dump(body), actor=principal.username)


@router.delete("/zones/{zone_id}", status_code=204, summary="Delete a zone 删除片区")
def delete_zone(zone_id: ZoneKey, session: SessionDep, principal: PrincipalDep) -> Response:
    """Delete a zone (programme office); audited."""
    check_write(principal, "zones", "delete", zone_id)
    registry.delete_row(session, "zones", zone_id, actor=principal.username)
    return Response(status_code=204)
