"""User accounts: create, list, authenticate (shared by the API, the pages and the CLI)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from typing import Any

from fastapi import HTTPException
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from parklink.errors import NotFoundError, Problem, ValidationError
from parklink.store import models as m
from parklink.store.io import ensure_reference_rows
from parklink.web.registry import ConflictError
from parklink.web.security import (
    LoginThrottle,
    TokenSigner,
    hash_password,
    password_problem,
    verify_password,
)

# A valid hash of a random password: verifying against it costs as much as a real user,
# so a login for an unknown user name takes the same time as a wrong password.
_DUMMY_HASH = hash_password("x" * 24)


def _problem(column: str, reason: str, value: object = None) -> ValidationError:
    return ValidationError.single("request body", reason, row=2, column=column, value=value)


def user_dict(session: Session, user: m.User) -> dict[str, Any]:
    """A user as the API shows it (never the password hash)."""
    parks = list(session.scalars(select(m.UserPark.park_id).where(m.UserPark.user_id == user.id)
                                 .order_by(m.UserPark.park_id)))
    return {"id": user.id, "username": user.username, "display_name": user.display_name, "role": user.role,
            "active": bool(user.active), "parks": parks, "enterprise_id": user.enterprise_id}


def _set_parks(session: Session, user: m.User, parks: Sequence[str]) -> None:
    known = set(session.scalars(select(m.Park.park_id).where(m.Park.park_id.in_(list(parks)))))
    unknown = [p for p in parks if p not in known]
    if unknown:
        raise _problem("parks", "unknown park id(s) (园区不存在): " + ", ".join(unknown), ";".join(unknown))
    session.execute(delete(m.UserPark).where(m.UserPark.user_id == user.id))
    session.add_all([m.UserPark(user_id=user.id, park_id=p) for p in dict.fromkeys(parks)])
    session.flush()


def create_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    *,
    parks: Sequence[str] = (),
    enterprise_id: str | None = None,
    display_name: str | None = None,
) -> m.User:
    """Create a user with an Argon2 password hash; ValidationError naming the field otherwise."""
    ensure_reference_rows(session)
    if role not in m.ROLES:
        raise _problem("role", f"not one of: {', '.join(m.ROLES)} (角色无效)", role)
    if (why := password_problem(password)) is not None:
        raise _problem("password", why)
    if session.scalar(select(m.User.id).where(m.User.username == username)) is not None:
        raise _problem("username", "user name already taken (用户名已存在)", username)
    if parks and role != "park_manager":
        raise _problem("parks", "only park managers are assigned parks (仅园区管理者可分配园区)")
    if role == "enterprise":
        if not enterprise_id:
            raise _problem("enterprise_id", "an enterprise user needs an enterprise (企业用户须指定企业)")
        if session.get(m.Enterprise, enterprise_id) is None:
            raise _problem("enterprise_id", "unknown enterprise (企业不存在)", enterprise_id)
    elif enterprise_id:
        raise _problem("enterprise_id", "only enterprise users have an enterprise (仅企业用户可指定企业)")
    user = m.User(username=username, password_hash=hash_password(password), role=role,
                  enterprise_id=enterprise_id, display_name=display_name, active=True)
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        raise _problem("username", f"rejected by the database: {exc.orig}") from exc
    _set_parks(session, user, list(parks))
    return user


def update_user(session: Session, user_id: int, *, active: bool | None = None,
                display_name: str | None = None, parks: Sequence[str] | None = None) -> m.User:
    """Change a user's active flag, display name or parks.

    Deactivating a user revokes all their sessions and tokens (a later reactivation does
    not revive them); the last active programme-office user cannot be deactivated
    (:class:`~parklink.web.registry.ConflictError`, HTTP 409).
    """
    user = session.get(m.User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} not found (用户不存在)")
    if active is False and user.active and user.role == "programme_office":
        # lock the active office rows (PostgreSQL) so two concurrent deactivations cannot
        # both see "another office user remains"
        office = list(session.scalars(select(m.User.id).where(
            m.User.role == "programme_office", m.User.active.is_(True)).with_for_update()))
        if set(office) <= {user.id}:
            raise ConflictError([Problem("request body", 2, "active", "false",
                                         "the last active programme-office user cannot be deactivated; "
                                         "create or activate another one first (不能停用最后一个示范园区办公室用户)")])
    if active is not None:
        if not active:
            revoke_sessions(session, user.id)
        user.active = active
    if display_name is not None:
        user.display_name = display_name
    if parks is not None:
        if parks and user.role != "park_manager":
            raise _problem("parks", "only park managers are assigned parks (仅园区管理者可分配园区)")
        _set_parks(session, user, list(parks))
    session.flush()
    return user


def open_session(session: Session, signer: TokenSigner, user: m.User, purpose: str, *, ttl_s: int) -> str:
    """A new signed token of ``purpose`` ('api' or 'session') for ``user``, backed by a
    ``web_session`` row (expired rows are deleted on the way)."""
    now = int(time.time())
    session.execute(delete(m.WebSession).where(m.WebSession.expires < now))
    sid = secrets.token_hex(16)
    session.add(m.WebSession(sid=sid, user_id=user.id, kind=purpose, created=now, expires=now + ttl_s))
    session.flush()
    return signer.issue(purpose, user.id, user.password_hash, ttl_s=ttl_s, sid=sid)


def close_session(session: Session, sid: str | None) -> None:
    """Revoke one session or token (logout)."""
    if sid:
        session.execute(delete(m.WebSession).where(m.WebSession.sid == sid))


def revoke_sessions(session: Session, user_id: int) -> int:
    """Revoke every session and token of a user; the number revoked."""
    result = session.execute(delete(m.WebSession).where(m.WebSession.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


def count_office_users(session: Session) -> int:
    """Number of active programme-office users (0 on a fresh installation)."""
    stmt = select(func.count()).select_from(m.User).where(m.User.role == "programme_office", m.User.active.is_(True))
    return int(session.scalar(stmt) or 0)


def authenticate(session: Session, limiter: LoginThrottle, username: str, password: str, client: str,
                 *, trusted_device: bool = False) -> m.User:
    """The active user with these credentials; 429 (with ``Retry-After``) while throttled,
    401 when wrong. ``trusted_device``: the client holds a device token for ``username``
    (see :class:`~parklink.web.security.LoginThrottle`)."""
    wait = limiter.wait(username, client, trusted=trusted_device)
    if wait:
        raise HTTPException(429, f"too many failed logins; try again in {wait} s (登录失败次数过多，请{wait}秒后再试)",
                            headers={"Retry-After": str(wait)})
    user = session.scalar(select(m.User).where(m.User.username == username))
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    if user is None or not ok or not user.active:
        limiter.failed(username, client, trusted=trusted_device)
        raise HTTPException(401, "wrong user name or password (用户名或密码错误)")
    limiter.succeeded(username, client)
    return user
