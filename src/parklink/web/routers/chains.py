"""Chains: the focal chains and their versioned templates (segments, inputs, codes)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from sqlalchemy import ColumnElement, func, select

from parklink import tables as t
from parklink.errors import NotFoundError
from parklink.store import models as m
from parklink.web import registry
from parklink.web.deps import SessionDep
from parklink.web.routers.common import ERRORS, PageQ, PageSizeQ, SortQ, page_body
from parklink.web.schemas import ChainOut, SegmentPage

router = APIRouter(prefix="/chains", tags=["chains 产业链"], responses=ERRORS)
ChainKey = Annotated[str, Path(pattern="^(" + "|".join(t.CHAINS) + ")$")]


@router.get("", response_model=list[ChainOut], summary="List chains 产业链列表")
def list_chains(session: SessionDep) -> list[dict[str, Any]]:
    """The focal chains with their bilingual names and number of template segments."""
    counts = {str(c): int(n) for c, n in session.execute(select(m.Segment.chain, func.count()).group_by(m.Segment.chain))}
    return [
        {"chain_id": c.chain_id, "name_zh": c.name_zh, "name_en": c.name_en, "segments": int(counts.get(c.chain_id, 0))}
        for c in session.scalars(select(m.Chain).order_by(m.Chain.chain_id))
    ]


@router.get("/{chain}/segments", response_model=SegmentPage, summary="Chain template 产业链环节")
def list_segments(
    chain: ChainKey,
    session: SessionDep,
    page: PageQ = 1,
    page_size: PageSizeQ = 200,
    sort: SortQ = None,
    level: Annotated[str | None, Query(pattern="^(" + "|".join(t.SEGMENT_LEVELS) + ")$")] = None,
) -> dict[str, Any]:
    """Segments of a chain's template (upstream → downstream), with inputs and GB/T 4754 codes."""
    if session.get(m.Chain, chain) is None:
        raise NotFoundError(f"chain {chain!r} not found (未找到产业链)")
    where: list[ColumnElement[bool]] = [m.Segment.chain == chain]
    if level:
        where.append(m.Segment.level == level)
    order = registry.sort_clause("chain_segments", sort, ("segment_id", "level", "weight", "name_en"))
    rows, total = registry.page_rows(session, "chain_segments", where=where, order_by=order, page=page,
                                     page_size=page_size)
    return page_body(rows, total, page, page_size)
