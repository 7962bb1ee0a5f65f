"""Users, API tokens and the audit log."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from sqlalchemy import ColumnElement, func, select

from parklink.store import models as m
from parklink.web import accounts, registry
from parklink.web.deps import (
    API_TOKEN_TTL_S,
    DEVICE_COOKIE,
    OfficeDep,
    SessionDep,
    UserDep,
    web_state,
)
from parklink.web.routers.common import ERRORS, PageQ, PageSizeQ
from parklink.web.schemas import AuditPage, TokenOut, TokenRequest, UserCreate, UserOut, UserUpdate

router = APIRouter(tags=["users 用户"], responses=ERRORS | {429: {"description": "too many failed logins"}})


@router.post("/auth/token", response_model=TokenOut, summary="Get an API token 获取令牌")
def issue_token(body: TokenRequest, request: Request, session: SessionDep) -> dict[str, Any]:
    """Exchange user name and password for a bearer token (failed logins are throttled per
    address and per account with backoff: 429 with ``Retry-After``)."""
    state = web_state(request)
    client = request.client.host if request.client else "?"
    trusted = state.signer.device_ok(request.cookies.get(DEVICE_COOKIE), body.username)
    user = accounts.authenticate(session, state.limiter, body.username, body.password, client,
                                 trusted_device=trusted)
    token = accounts.open_session(session, state.signer, user, "api", ttl_s=API_TOKEN_TTL_S)
    return {"access_token": token, "token_type": "bearer", "expires_in": API_TOKEN_TTL_S}


@router.post("/auth/logout", status_code=204, summary="Revoke this token 注销令牌")
def revoke_token(principal: UserDep, session: SessionDep) -> Response:
    """Revoke the credential of this request (the bearer token, or the page session) at once."""
    accounts.close_session(session, principal.sid)
    return Response(status_code=204)


@router.get("/users/me", response_model=UserOut, summary="Who am I 当前用户")
def me(principal: UserDep, session: SessionDep) -> dict[str, Any]:
    """The logged-in user."""
    user = session.get(m.User, principal.user_id)
    assert user is not None
    return accounts.user_dict(session, user)


@router.get("/users", response_model=list[UserOut], summary="List users 用户列表")
def list_users(_office: OfficeDep, session: SessionDep) -> list[dict[str, Any]]:
    """All users (programme office only)."""
    return [accounts.user_dict(session, u) for u in session.scalars(select(m.User).order_by(m.User.id))]


@router.post("/users", response_model=UserOut, status_code=201, summary="Create a user 新增用户")
def create_user(body: UserCreate, office: OfficeDep, session: SessionDep) -> dict[str, Any]:
    """Create a user (programme office only); audited without the password."""
    user = accounts.create_user(session, body.username, body.password, body.role, parks=body.parks,
                                enterprise_id=body.enterprise_id, display_name=body.display_name)
    out = accounts.user_dict(session, user)
    registry.audit(session, office.username, "create", "users", user.id, None, out)
    return out


@router.patch("/users/{user_id}", response_model=UserOut, summary="Update a user 修改用户")
def update_user(user_id: Annotated[int, Path(ge=1, le=2**31 - 1)], body: UserUpdate, office: OfficeDep,
                session: SessionDep) -> dict[str, Any]:
    """Activate/deactivate a user, rename, or change a park manager's parks (programme office)."""
    user = session.get(m.User, user_id)
    before = accounts.user_dict(session, user) if user else None
    user = accounts.update_user(session, user_id, active=body.active, display_name=body.display_name,
                                parks=body.parks)
    out = accounts.user_dict(session, user)
    registry.audit(session, office.username, "update", "users", user.id, before, out)
    return out


@router.get("/audit", response_model=AuditPage, summary="Audit log 审计日志")
def list_audit(
    _office: OfficeDep,
    session: SessionDep,
    page: PageQ = 1,
    page_size: PageSizeQ = 50,
    entity: Annotated[str | None, Query(max_length=40)] = None,
    entity_id: Annotated[str | None, Query(max_length=120)] = None,
    actor: Annotated[str | None, Query(max_length=80)] = None,
) -> dict[str, Any]:
    """Who changed what and when, newest first (programme office only)."""
    where: list[ColumnElement[bool]] = []
    if entity:
        where.append(m.AuditEntry.entity == entity)
    if entity_id:
        where.append(m.AuditEntry.entity_id == entity_id)
    if actor:
        where.append(m.AuditEntry.actor == actor)
    total = int(session.scalar(select(func.count()).select_from(m.AuditEntry).where(*where)) or 0)
    stmt = (select(m.AuditEntry).where(*where).order_by(m.AuditEntry.id.desc())
            .limit(page_size).offset((page - 1) * page_size))
    items = [
        {"id": a.id, "at": a.at, "actor": a.actor, "action": a.action, "entity": a.entity,
         "entity_id": a.entity_id,
         "before": json.loads(a.before_json) if a.before_json else None,
         "after": json.loads(a.after_json) if a.after_json else None}
        for a in session.scalars(stmt)
    ]
    return {"items": items, "total": total, "page": page, "page_size": page_size}
