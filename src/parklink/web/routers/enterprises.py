"""Enterprises of the registry (named firms): list, detail, profile update by their own user."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from sqlalchemy import ColumnElement

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
from parklink.web.schemas import EnterpriseOut, EnterprisePage, EnterpriseUpdate, QueryBool

router = APIRouter(prefix="/enterprises", tags=["enterprises 企业"], responses=ERRORS)
SORTABLE = ("enterprise_id", "name_zh", "name_en", "province", "chain", "size_class", "employees", "output_cny_m")
Key = Annotated[str, Path(max_length=64)]


@router.get("", response_model=EnterprisePage, summary="List enterprises 企业列表")
@cacheable
def list_enterprises(
    session: SessionDep,
    page: PageQ = 1,
    page_size: PageSizeQ = 50,
    sort: SortQ = None,
    province: Annotated[str | None, Query(pattern="^(SC|CQ|OUT)$")] = None,
    chain: Annotated[str | None, Query(pattern="^(" + "|".join(t.CHAINS) + ")$")] = None,
    park_id: Annotated[str | None, Query(max_length=64)] = None,
    size_class: Annotated[str | None, Query(pattern="^(" + "|".join(t.SIZE_CLASSES) + ")$")] = None,
    leading: Annotated[QueryBool | None, Query(description="leading enterprises only / not")] = None,
) -> JSONBytes:
    """Registry enterprises (named, sourced firms; firm-level transactions are not served)."""
    where: list[ColumnElement[bool]] = []
    if province:
        where.append(m.Enterprise.province == province)
    if chain:
        where.append(m.Enterprise.chain == chain)
    if park_id:
        where.append(m.Enterprise.park_id == park_id)
    if size_class:
        where.append(m.Enterprise.size_class == size_class)
    if leading is not None:
        where.append(m.Enterprise.leading.is_(leading))
    order = registry.sort_clause("enterprises", sort, SORTABLE)
    rows, total = registry.page_rows(session, "enterprises", where=where, order_by=order, page=page,
                                     page_size=page_size)
    return page_response(rows, total, page, page_size)


@router.get("/{enterprise_id}", response_model=EnterpriseOut, summary="One enterprise 企业详情")
@cacheable
def get_enterprise(enterprise_id: Key, session: SessionDep) -> JSONBytes:
    """The enterprise ``enterprise_id``."""
    return row_response(registry.get_row(session, "enterprises", enterprise_id))


@router.patch("/{enterprise_id}", response_model=EnterpriseOut, summary="Update an enterprise 修改企业")
def update_enterprise(enterprise_id: Key, body: EnterpriseUpdate, session: SessionDep,
                      principal: PrincipalDep, if_match: IfMatchH = None) -> JSONBytes:
    """Change an enterprise profile (programme office, or the enterprise's own user); audited."""
    data = dump(body)
    policy.authorize(principal, "enterprises", "update", enterprise_id, data)
    return written_response(registry.update_row(session, "enterprises", enterprise_id, data, actor=principal.username,
                            expected_version=registry.parse_if_match(if_match)))
