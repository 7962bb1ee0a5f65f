"""Request dependencies: the database session, the current principal and role checks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from parklink.store import models as m
from parklink.store.db import read_only
from parklink.web.security import LoginThrottle, TokenClaims, TokenSigner

SESSION_COOKIE = "parklink_session"
CSRF_COOKIE = "parklink_csrf"
DEVICE_COOKIE = "parklink_device"
CSRF_HEADER = "x-csrf-token"
LANG_COOKIE = "parklink_lang"
API_TOKEN_TTL_S = 8 * 3600
SESSION_TTL_S = 12 * 3600
#: HTTP methods whose request session is read-only (deferred transaction on SQLite).
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class WebState:
    """Per-application state: session factory, token signer, login throttle, small caches."""

    database_url: str
    sessions: sessionmaker[Session]
    signer: TokenSigner
    limiter: LoginThrottle
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
    sid: str | None = None  # the server-side session (web_session.sid) of the credential
    via: str | None = None  # 'bearer' (Authorization header) or 'cookie' (page session)

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


def load_principal(session: Session, claims: TokenClaims, signer: TokenSigner, via: str) -> Principal | None:
    """The active user of ``claims`` whose password fingerprint still matches and whose
    server-side session still exists (not logged out or revoked); None otherwise."""
    row = session.get(m.WebSession, claims.sid)
    if row is None or row.user_id != claims.user_id or row.kind != claims.purpose:
        return None
    user = session.get(m.User, claims.user_id)
    if user is None or not user.active or signer.fingerprint(user.password_hash) != claims.fingerprint:
        return None
    parks = frozenset(session.scalars(select(m.UserPark.park_id).where(m.UserPark.user_id == user.id)))
    return Principal(user.id, user.username, user.role, parks, user.enterprise_id, user.display_name,
                     claims.sid, via)


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

    An invalid or expired bearer token is an error (401), not a silent downgrade; an
    invalid session cookie (expired, logged out, malformed) means anonymous.
    """
    state = web_state(request)
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, token = auth.partition(" ")
        claims = state.signer.verify(token.strip(), "api") if scheme.lower() == "bearer" else None
        principal = claims and load_principal(session, claims, state.signer, "bearer")
        if not principal:
            raise HTTPException(
                401, "invalid or expired token (令牌无效或已过期)", headers={"WWW-Authenticate": "Bearer"}
            )
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        claims = state.signer.verify(cookie, "session")
        if claims:
            principal = load_principal(session, claims, state.signer, "cookie")
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


def session_binding(request: Request) -> str:
    """The CSRF binding of the request: the session id of a valid session cookie, else ''.

    Only the signature and expiry are checked here (no database read); the session's
    existence is checked by :func:`principal_of` on the same request.
    """
    cookie = request.cookies.get(SESSION_COOKIE)
    claims = web_state(request).signer.verify(cookie, "session") if cookie else None
    return claims.sid if claims else ""


def csrf_valid(request: Request, submitted: str | None) -> bool:
    """True when ``submitted`` equals the CSRF cookie and is signed for this session."""
    return web_state(request).signer.csrf_ok(request.cookies.get(CSRF_COOKIE), submitted,
                                              session_binding(request))


CSRF_FAILED = "missing or invalid CSRF token (CSRF check failed; reload the page) 表单已失效，请刷新页面"


def check_csrf(request: Request, principal: Principal, submitted: str | None = None) -> None:
    """403 unless a cookie-authenticated caller sent the session's CSRF token (in
    ``submitted`` — a form field — or the ``X-CSRF-Token`` header). Bearer-token and
    anonymous calls carry no ambient credential and need none."""
    if principal.via != "cookie":
        return
    token = submitted if submitted is not None else request.headers.get(CSRF_HEADER)
    if not csrf_valid(request, token):
        raise HTTPException(403, CSRF_FAILED)


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Write routes open to anonymous callers (no login, no CSRF: there is no session yet).
ANONYMOUS_WRITES = frozenset({"/api/auth/token"})


def write_guard_error(request: Request, session: Session) -> HTTPException | None:
    """Why a write request must be refused before its body is even read: 401 for an
    anonymous caller (or an invalid token), 403 for a cookie-authenticated caller without
    the session's CSRF token; None when it may proceed (role and field checks follow)."""
    if request.method not in WRITE_METHODS or request.url.path in ANONYMOUS_WRITES:
        return None
    try:
        principal = principal_of(request, session)
    except HTTPException as exc:
        return exc
    if not principal.authenticated:
        return HTTPException(401, "log in first (请先登录)", headers={"WWW-Authenticate": "Bearer"})
    try:
        check_csrf(request, principal)
    except HTTPException as exc:
        return exc
    return None


def write_refusal(request: Request) -> HTTPException | None:
    """:func:`write_guard_error` on a database session of its own (closed before returning)."""
    with web_state(request).sessions() as session:
        return write_guard_error(request, session)


async def guard_writes(request: Request) -> None:
    """Router dependency of the registry, user and scenario routers: authenticate (and check
    CSRF) every write before its body is validated (see :func:`write_guard_error`). Reads
    return at once, on the event loop, without a database session or a thread hop; writes
    check in the thread pool (database reads never block the event loop)."""
    if request.method not in WRITE_METHODS or request.url.path in ANONYMOUS_WRITES:
        return
    if (error := await run_in_threadpool(write_refusal, request)) is not None:
        raise error
