"""Request dependencies: the database session, the current principal and role checks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from parklink.store import models as m
from parklink.store.db import read_only
from parklink.web.security import LoginLimiter, TokenSigner

SESSION_COOKIE = "parklink_session"
CSRF_COOKIE = "parklink_csrf"
LANG_COOKIE = "parklink_lang"
API_TOKEN_TTL_S = 8 * 3600
SESSION_TTL_S = 12 * 3600
#: HTTP methods whose request session is read-only (deferred transaction on SQLite).
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class WebState:
    """Per-application state: session factory, token signer, login limiter, small caches."""

    database_url: str
    sessions: sessionmaker[Session]
    signer: TokenSigner
    limiter: LoginLimiter
    cache: dict[Any, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: a user (with role, parks and enterprise) or the anonymous public."""

    user_id: int | None
    username: str
    role: str
    parks: frozenset[str] = frozenset()
    enterprise_id: str | None = None
    display_name: str | None = None

    @property
    def is_office(self) -> bool:
        """True for the programme office (may do everything)."""
        return self.role == "programme_office"

    @property
    def authenticated(self) -> bool:
        """True for a logged-in user."""
        return self.user_id is not None


ANONYMOUS = Principal(None, "anonymous", "public")


def web_state(request: Request) -> WebState:
    """The :class:`WebState` of the running application."""
    state: WebState = request.app.state.web
    return state


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A database session per request: committed on success, rolled back on error.

    Every endpoint that touches the database is a plain function run in the thread pool,
    so the event loop never waits for a pooled connection: a blocking checkout on the loop
    could deadlock once the pool is exhausted, because the connections are given back by
    this dependency's teardown, which runs on the loop. The connection is checked out lazily
    by the thread that runs the endpoint.
    """
    factory = web_state(request).sessions
    if request.method in READ_METHODS:  # SQLite: a deferred BEGIN, never waiting for writers
        session = factory(bind=read_only(factory.kw["bind"]))
    else:  # SQLite: BEGIN IMMEDIATE (store/db.py, docs/store.md "Write concurrency")
        session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]  # commit before responding


def load_principal(session: Session, user_id: int, fingerprint: str, signer: TokenSigner) -> Principal | None:
    """The active user ``user_id`` whose password fingerprint still matches; None otherwise."""
    user = session.get(m.User, user_id)
    if user is None or not user.active or signer.fingerprint(user.password_hash) != fingerprint:
        return None
    parks = frozenset(session.scalars(select(m.UserPark.park_id).where(m.UserPark.user_id == user.id)))
    return Principal(user.id, user.username, user.role, parks, user.enterprise_id, user.display_name)


def get_principal(request: Request, session: SessionDep) -> Principal:
    """The caller (dependency form of :func:`principal_of`).

    A plain function, so FastAPI runs it in the thread pool: it is usually the request's
    first statement, which checks a connection out of the pool. On the event loop that
    checkout could wait for a pool emptied by writers waiting for SQLite's write lock,
    while the lock holder's commit (this module's teardown) waits for the loop: a deadlock
    until the pool times out (docs/store.md, "Write concurrency").
    """
    return principal_of(request, session)


def principal_of(request: Request, session: Session) -> Principal:
    """The caller: a bearer token (API) or the session cookie (pages); anonymous otherwise.

    An invalid or expired bearer token is an error (401), not a silent downgrade.
    """
    state = web_state(request)
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, token = auth.partition(" ")
        claims = state.signer.verify(token.strip(), "api") if scheme.lower() == "bearer" else None
        principal = claims and load_principal(session, claims.user_id, claims.fingerprint, state.signer)
        if not principal:
            raise HTTPException(
                401, "invalid or expired token (令牌无效或已过期)", headers={"WWW-Authenticate": "Bearer"}
            )
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        claims = state.signer.verify(cookie, "session")
        if claims:
            principal = load_principal(session, claims.user_id, claims.fingerprint, state.signer)
            if principal:
                return principal
    return ANONYMOUS


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def forbid(reason: str) -> HTTPException:
    """A 403 error with a bilingual reason."""
    return HTTPException(403, f"not allowed (无权限): {reason}")


def require_office(principal: PrincipalDep) -> Principal:
    """Allow only the programme office (401 when not logged in, 403 for other roles)."""
    if not principal.authenticated:
        raise HTTPException(401, "log in first (请先登录)", headers={"WWW-Authenticate": "Bearer"})
    if not principal.is_office:
        raise forbid("programme office only (仅限示范园区办公室)")
    return principal


OfficeDep = Annotated[Principal, Depends(require_office)]


def require_user(principal: PrincipalDep) -> Principal:
    """Allow any logged-in user (401 otherwise)."""
    if not principal.authenticated:
        raise HTTPException(401, "log in first (请先登录)", headers={"WWW-Authenticate": "Bearer"})
    return principal


UserDep = Annotated[Principal, Depends(require_user)]


def may_write(principal: Principal, kind: str, action: str, key: Any = None) -> bool:
    """The role policy for registry writes.

    programme office: everything; park manager: update the parks assigned to them;
    enterprise: update their own enterprise profile; public: nothing.
    """
    if principal.is_office:
        return True
    if principal.role == "park_manager":
        return kind == "parks" and action == "update" and str(key) in principal.parks
    if principal.role == "enterprise":
        return kind == "enterprises" and action == "update" and key == principal.enterprise_id
    return False


def check_write(principal: Principal, kind: str, action: str, key: Any = None) -> None:
    """Raise 401 (anonymous) or 403 unless ``principal`` may do ``action`` on ``kind``."""
    if not principal.authenticated:
        raise HTTPException(401, "log in first (请先登录)", headers={"WWW-Authenticate": "Bearer"})
    if not may_write(principal, kind, action, key):
        raise forbid(f"role {principal.role} may not {action} {kind}" + (f" {key}" if key is not None else ""))
