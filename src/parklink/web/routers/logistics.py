"""Logistics: the freight network's nodes (hubs) and links as stored in the registry."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from sqlalchemy import ColumnElement, select

from parklink import tables as t
from parklink.store import models as m
from parklink.web import registry
from parklink.web.deps import SessionDep
from parklink.web.routers.common import ERRORS, PageQ, PageSizeQ, SortQ, page_body
from parklink.web.schemas import TransportLinkPage, TransportNodeOut, TransportNodePage

router = APIRouter(tags=["logistics 物流"], responses=ERRORS)


@router.get("/transport-nodes", response_model=TransportNodePage, summary="List hubs 物流节点列表")
def list_nodes(
    session: SessionDep,
    page: PageQ = 1,
    page_size: PageSizeQ = 50,
    sort: SortQ = None,
    kind: Annotated[str | None, Query(pattern="^(" + "|".join(t.NODE_KINDS) + ")$")] = None,
    mode: Annotated[str | None, Query(pattern="^(" + "|".join(t.TRANSPORT_MODES) + ")$")] = None,
    province: Annotated[str | None, Query(pattern="^(SC|CQ)$")] = None,
) -> dict[str, Any]:
    """Airports, rail ports, river ports and other nodes, filtered and paginated."""
    where: list[ColumnElement[bool]] = []
    if kind:
        where.append(m.TransportNode.kind == kind)
    if mode:
        where.append(m.TransportNode.node_id.in_(
            select(m.TransportNodeMode.node_id).where(m.TransportNodeMode.mode == mode)))
    if province:
        where.append(m.TransportNode.adcode.in_(select(m.Region.adcode).where(m.Region.province == province)))
    order = registry.sort_clause("transport_nodes", sort, ("node_id", "name_en", "name_zh", "kind"))
    rows, total = registry.page_rows(session, "transport_nodes", where=where, order_by=order, page=page,
                                     page_size=page_size)
    return page_body(rows, total, page, page_size)


@router.get("/transport-nodes/{node_id}", response_model=TransportNodeOut, summary="One hub 物流节点详情")
def get_node(node_id: Annotated[str, Path(max_length=64)], session: SessionDep) -> dict[str, Any]:
    """The node ``node_id``."""
    return registry.get_row(session, "transport_nodes", node_id)


@router.get("/transport-links", response_model=TransportLinkPage, summary="List links 运输线路列表")
def list_links(
    session: SessionDep,
    page: PageQ = 1,
    page_size: PageSizeQ = 50,
    sort: SortQ = None,
    mode: Annotated[str | None, Query(pattern="^(" + "|".join(t.TRANSPORT_MODES) + ")$")] = None,
    node: Annotated[str | None, Query(max_length=64, description="links touching this node")] = None,
) -> dict[str, Any]:
    """Links of the multimodal network (distance km, time h, cost CNY/t)."""
    where: list[ColumnElement[bool]] = []
    if mode:
        where.append(m.TransportLink.mode == mode)
    if node:
        where.append((m.TransportLink.from_node == node) | (m.TransportLink.to_node == node))
    order = registry.sort_clause("transport_links", sort, ("link_id", "mode", "distance_km", "time_h", "cost_cny_per_t"))
    rows, total = registry.page_rows(session, "transport_links", where=where, order_by=order, page=page,
                                     page_size=page_size)
    return page_body(rows, total, page, page_size)
