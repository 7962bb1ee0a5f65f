"""Regions (provinces, cities, districts) and zones: lists, details, zone writes; and the
record history of every registry kind (``/api/{kind}/{key}/history``, e.g.
``/api/parks/{park_id}/history``)."""

from __future__ import annotations

from typing import Annotated, Literal

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
    HistoryOut,
    RegionOut,
    RegionPage,
    ZoneCreate,
    ZoneOut,
    ZonePage,
    ZoneUpdate,
)

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
def create_zone(body: ZoneCreate, session: SessionDep, principal: PrincipalDep) -> JSONBytes:
    """Create a zone (programme office); audited."""
    data = dump(body)
    policy.authorize(principal, "zones", "create", None, data)
    return written_response(registry.create_row(session, "zones", data, actor=principal.username), 201)


@router.patch("/zones/{zone_id}", response_model=ZoneOut, summary="Update a zone 修改片区")
def update_zone(zone_id: ZoneKey, body: ZoneUpdate, session: SessionDep, principal: PrincipalDep, if_match: IfMatchH = None) -> JSONBytes:
    """Change a zone (programme office); audited."""
    data = dump(body)
    policy.authorize(principal, "zones", "update", zone_id, data)
    return written_response(registry.update_row(session, "zones", zone_id, data, actor=principal.username,
                            expected_version=registry.parse_if_match(if_match)))


@router.delete("/zones/{zone_id}", status_code=204, summary="Delete a zone 删除片区")
def delete_zone(zone_id: ZoneKey, session: SessionDep, principal: PrincipalDep, if_match: IfMatchH = None) -> Response:
    """Delete a zone (programme office); audited."""
    policy.authorize(principal, "zones", "delete", zone_id)
    registry.delete_row(session, "zones", zone_id, actor=principal.username,
                        expected_version=registry.parse_if_match(if_match))
    return Response(status_code=204)


HistoryKind = Literal["regions", "zones", "parks", "designations", "targets", "transport_nodes",
                      "transport_links", "chain_segments", "enterprises"]


@router.get("/{kind}/{key}/history", response_model=HistoryOut,
            summary="History of a record 记录变更历史 (e.g. /api/parks/{park_id}/history)")
def record_history(kind: HistoryKind, key: Annotated[str, Path(max_length=120)], session: SessionDep,
                   principal: PrincipalDep,
                   limit: Annotated[int, Query(ge=1, le=2000, description="newest entries")] = 200,
                   ) -> dict[str, object]:
    """Every recorded change of one record, newest first: who, when, through what, field,
    old and new value, and the source and confidence of the new value
    (:func:`parklink.store.history.read_history`). A deleted record keeps its history; a key
    that never existed is 404. The actor's name is shown to logged-in users only."""
    from parklink.errors import NotFoundError
    from parklink.store.history import read_history

    if not key.isprintable() or (kind == "targets" and not (key.isdigit() and len(key) == 4)):
        raise NotFoundError(f"target {key!r} not found (未找到)")
    items = read_history(session, kind, key, limit=limit)
    if not items:  # 404 unless the record exists (loaded without history, e.g. the seed)
        registry.get_row(session, kind, int(key) if kind == "targets" else key)
    if not principal.authenticated:
        items = [{**item, "actor": None} for item in items]
    return {"kind": kind, "key": key, "items": items}
