"""The FastAPI application: API under ``/api``, server-rendered pages, local static assets.

``create_app(database_url)`` builds the app; ``parklink serve`` runs it with uvicorn.
Nothing is loaded from a CDN: plotly.js is served from the installed plotly package and
the API documentation (``/docs``) from the ``fastapi-offline`` package's bundled assets.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import lru_cache
from importlib import import_module, resources
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as SqlTimeoutError
from sqlalchemy.orm import sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parklink import __version__
from parklink.errors import ConfigError, NotFoundError, ParklinkError, ValidationError
from parklink.errors import ConflictError as RecordConflict
from parklink.settings import Settings, get_settings
from parklink.store.db import (
    RETRY_AFTER_S,
    DatabaseBusyError,
    busy_message,
    get_engine,
    is_busy_error,
    is_initialised,
    redact,
)
from parklink.store.db import database_url as resolve_url
from parklink.web.cache import ResponseCacheMiddleware
from parklink.web.deps import WRITE_METHODS, WebState, guard_writes, write_refusal
from parklink.web.registry import ConflictError
from parklink.web.routers.common import ERRORS
from parklink.web.security import LoginThrottle, TokenSigner, load_secret

log = logging.getLogger("parklink.web")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)
FIRST_ADMIN_HINT = (
    "没有示范园区办公室用户 No programme-office user exists yet. Create the first one with:\n"
    "  parklink users add ADMIN_NAME --role programme_office\n"
    "(the password is asked for with a hidden prompt; no default password is shipped)"
)


class SecurityHeaders:
    """Pure ASGI middleware adding security headers (CSP except on /docs, nosniff, referrer)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = str(scope.get("path", "")).startswith("/docs")

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-content-type-options", b"nosniff"))
                headers.append((b"referrer-policy", b"same-origin"))
                headers.append((b"x-frame-options", b"DENY"))
                if not docs:
                    headers.append((b"content-security-policy", CSP.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, wrapped)


@lru_cache(maxsize=1)
def plotly_js() -> bytes:
    """plotly.js as bundled with the installed plotly package (served at /static/plotly.min.js)."""
    from plotly.offline import get_plotlyjs

    js: str = get_plotlyjs()
    return js.encode("utf-8")


def _problems(exc: ValidationError) -> list[dict[str, Any]]:
    return [{"field": p.column, "reason": p.reason, "value": p.value} for p in exc.problems]


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api") and "text/html" in request.headers.get("accept", "")


#: Path prefixes of the routers whose writes are authenticated before the body is read.
GUARDED_PREFIXES = ("/api/parks", "/api/zones", "/api/designations", "/api/targets", "/api/enterprises",
                    "/api/users", "/api/scenarios", "/api/auth/logout",
                    "/api/projects", "/api/events", "/api/promotion-plans")


def _guarded(request: Request) -> bool:
    return request.url.path.startswith(GUARDED_PREFIXES)


#: Errors any route may answer before it runs, documented on every API operation.
PROTOCOL_ERRORS: dict[int | str, dict[str, Any]] = {code: ERRORS[code] for code in (400, 405)}


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn options of ``parklink serve``: forwarded headers (``X-Forwarded-For``,
    ``X-Forwarded-Proto``) are honoured only from the proxies of
    ``PARKLINK_WEB_TRUSTED_PROXIES``; by default none (uvicorn itself would trust them
    from 127.0.0.1, letting any local client choose the address that login throttling counts)."""
    proxies = settings.trusted_proxies
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": ",".join(proxies) if proxies else ""}


#: The cyclic garbage collector's thresholds in a server process (Python's default is
#: (700, 10, 10)): a full collection only after 100 (not 10) collections of the middle
#: generation. A full collection scans every object not frozen: in a worker that has served
#: the park pages and filled its caches, 20-190 ms each, every 0.3-2 s under load, with every
#: in-flight request of the process waiting (measured with a ``gc.callbacks`` log in both
#: workers during a cold park-detail run: the p99 tail of the API). Young garbage is still
#: collected as before; only the scan of the long-lived heap is made 10x rarer.
SERVER_GC_THRESHOLDS = (700, 10, 100)
_freeze_after_startup = False


def freeze_startup_objects() -> None:
    """Move every object alive once the application is built (the imports: ~400,000 objects)
    out of the cyclic garbage collector's reach (:func:`gc.freeze`), again at the end of the
    application's start-up (its state: ~50,000 more), and set :data:`SERVER_GC_THRESHOLDS`;
    called by the server entry points (``parklink serve``, :mod:`parklink.web.asgi`), not by
    tests. A full collection scanned them all (~0.4 s, more on a busy machine) while the
    event loop waited: under 200 concurrent requests every in-flight request was delayed by
    it, the KPI API's p99 tail (``bench/promotion_api.py``). Reference counting still frees
    them; only cyclic garbage among them is never collected. ``PARKLINK_WEB_GC_FREEZE=0``
    leaves the collector as is (the benchmark's comparison)."""
    import gc

    global _freeze_after_startup
    if os.environ.get("PARKLINK_WEB_GC_FREEZE", "1") != "0":
        gc.collect()
        gc.freeze()
        gc.set_threshold(*SERVER_GC_THRESHOLDS)
        _freeze_after_startup = True


def _freeze_started_app() -> None:
    """The second freeze of :func:`freeze_startup_objects`: the state built at start-up."""
    import gc

    if _freeze_after_startup:
        gc.collect()
        gc.freeze()


def _install_handlers(app: FastAPI) -> None:
    from parklink.web.pages import error_page

    @app.exception_handler(RequestValidationError)
    async def _request_invalid(request: Request, exc: RequestValidationError) -> Response:
        # a malformed body (not JSON) is refused before the dependencies run: still answer
        # an anonymous or CSRF-less write with 401/403 first, never reveal validation
        if request.method in WRITE_METHODS and _guarded(request):
            refused = await run_in_threadpool(write_refusal, request)
            if refused is not None:
                return await _http(request, refused)
        errors = []
        for e in exc.errors():
            loc = [str(x) for x in e.get("loc", ()) if x not in ("body",)]
            value = e.get("input")
            errors.append({"field": ".".join(loc) or None, "reason": str(e.get("msg", "invalid")),
                           "value": None if value is None or isinstance(value, dict) else str(value)[:200]})
        return JSONResponse({"detail": "validation failed (校验未通过)", "errors": errors}, status_code=422)

    async def _busy(request: Request, exc: Exception) -> Response:
        """A write that could not get the database (lock / conflict): 503 + Retry-After, never 500."""
        if not isinstance(exc, DatabaseBusyError | SqlTimeoutError) and not is_busy_error(exc):
            log.error("database error: %s", exc)
            return JSONResponse({"detail": "internal error", "errors": []}, status_code=500)
        log.warning("database busy (503): %s", type(exc).__name__)
        detail = busy_message(exc)
        headers = {"Retry-After": str(RETRY_AFTER_S)}
        if _wants_html(request):
            page = error_page(request, 503, detail)
            page.headers.update(headers)
            return page
        return JSONResponse({"detail": detail, "errors": []}, status_code=503, headers=headers)

    app.add_exception_handler(DBAPIError, _busy)
    app.add_exception_handler(SqlTimeoutError, _busy)

    @app.exception_handler(ParklinkError)
    async def _parklink(request: Request, exc: ParklinkError) -> Response:
        if isinstance(exc, DatabaseBusyError):
            return await _busy(request, exc)
        if isinstance(exc, ConflictError):
            status, detail, errors = 409, "conflict (冲突)", _problems(exc)
        elif isinstance(exc, RecordConflict):  # a promotion write lost a race (optimistic locking)
            status, detail, errors = 409, str(exc), [{"field": "row_version", "reason": str(exc), "value": None}]
        elif isinstance(exc, ValidationError):
            status, detail, errors = 422, "validation failed (校验未通过)", _problems(exc)
        elif isinstance(exc, NotFoundError):
            status, detail, errors = 404, str(exc), []
        else:
            log.error("server-side error: %s", exc)
            status, detail, errors = 500, str(exc) if isinstance(exc, ConfigError) else "internal error", []
        if _wants_html(request):
            return error_page(request, status, detail)
        return JSONResponse({"detail": detail, "errors": errors}, status_code=status)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if _wants_html(request) and exc.status_code != 401:
            return error_page(request, exc.status_code, str(exc.detail))
        return JSONResponse({"detail": str(exc.detail), "errors": []}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))


#: Set by ``parklink serve --workers N``: the login-throttle file all workers of that run share.
THROTTLE_FILE_ENV = "PARKLINK_WEB_THROTTLE_FILE"


def _throttle_file() -> Path | None:
    """The shared login-throttle file of a multi-worker server run, else None (in process)."""
    import os

    value = os.environ.get(THROTTLE_FILE_ENV)
    return Path(value) if value else None


def create_app(database_url: str | None = None, *, warm: bool = False) -> FastAPI:
    """The parklink web application on ``database_url`` (default: the configured database).

    The database must have the schema (``parklink db init``); the signing secret is read
    from (or created in) the data directory. ``warm``: a server process's start-up also
    does the work its first visitors would otherwise wait for
    (:func:`parklink.web.warmup.warm_process`; the server entry points ask for it).
    """
    url = resolve_url(database_url)
    settings = get_settings()
    engine = get_engine(url)
    state = WebState(
        database_url=url,
        sessions=sessionmaker(bind=engine, expire_on_commit=False),
        signer=TokenSigner(load_secret(settings.data_dir)),
        limiter=LoginThrottle(path=_throttle_file()),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if not is_initialised(url):
            raise ConfigError(f"database {redact(url)} has no parklink schema; run 'parklink db init' first")
        from parklink.web.accounts import count_office_users
        from parklink.web.status import current_status

        with state.sessions() as session:
            if count_office_users(session) == 0:
                log.warning(FIRST_ADMIN_HINT)
            try:  # warm the dashboard cache so the first visitor does not wait for it
                current_status(session)
            except (ParklinkError, ValueError, KeyError) as exc:
                log.warning("programme status not available yet: %s", exc)
        if os.environ.get("PARKLINK_WEB_PRECOMPUTE") == "1":  # park page analyses, in the background
            from parklink.web.park_precompute import precompute

            precompute(state.sessions)
        if warm:
            from parklink.web.warmup import warm_process

            try:
                log.info((await warm_process(_app)).summary())
            except Exception as exc:  # the warm-up only saves time: a server starts without it
                log.warning("warm-up not done: %s: %s", type(exc).__name__, exc)
        _freeze_started_app()
        yield

    app = FastAPIOffline(
        title="parklink — 川渝产业合作示范园区 API",
        version=__version__,
        description=(
            "Registry, programme status and maps of the Sichuan–Chongqing industrial cooperation "
            "demonstration parks. Read endpoints are public (published data); writes need a bearer "
            "token from `POST /api/auth/token` and a role that allows them."
        ),
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.web = state
    app.add_middleware(ResponseCacheMiddleware)  # inside SecurityHeaders: cached bodies get the headers too
    app.add_middleware(SecurityHeaders)
    _install_handlers(app)

    from parklink.web.pages import router as pages_router
    from parklink.web.pages_chains import router as pages_chains_router
    from parklink.web.routers import (
        chains,
        designations,
        enterprises,
        logistics,
        maps,
        parks,
        regions,
        scenarios,
        sme,
        users,
    )

    guarded = (regions, parks, designations, enterprises, scenarios, users, sme)
    for module in (regions, parks, designations, enterprises, chains, logistics, maps, scenarios, users, sme):
        # writes of these routers authenticate (and check CSRF) before the body is validated
        deps = [Depends(guard_writes)] if module in guarded else []
        app.include_router(module.router, prefix="/api", dependencies=deps, responses=PROTOCOL_ERRORS)
    app.include_router(import_module("parklink.web.routers.analyses").router, prefix="/api",
                       responses=PROTOCOL_ERRORS)
    app.include_router(import_module("parklink.web.routers.reports").router, responses=PROTOCOL_ERRORS)
    app.include_router(import_module("parklink.web.routers.coconstruction").router, prefix="/api",
                       responses=PROTOCOL_ERRORS)
    for name in ("promotion", "promotion_plans"):  # issue 14: projects, events, plans, KPIs
        app.include_router(import_module(f"parklink.web.routers.{name}").router, prefix="/api",
                           dependencies=[Depends(guard_writes)], responses=PROTOCOL_ERRORS)

    @app.get("/api/health", tags=["meta"], summary="Health check", responses=PROTOCOL_ERRORS)
    def health() -> dict[str, str]:
        """Liveness: the version (the database is checked at startup)."""
        return {"status": "ok", "version": __version__}

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_asset() -> Response:
        return Response(plotly_js(), media_type="application/javascript",
                        headers={"Cache-Control": "public, max-age=86400"})

    static_dir = resources.files("parklink.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static_dir)), name="static")
    app.include_router(pages_router)
    app.include_router(import_module("parklink.web.pages_analyses").router)
    app.include_router(import_module("parklink.web.pages_coconstruction").router)
    app.include_router(pages_chains_router)
    app.include_router(import_module("parklink.web.pages_promotion_forms").router)  # before: /promotion/*/new
    app.include_router(import_module("parklink.web.pages_promotion_edit").router)  # project edit form
    app.include_router(import_module("parklink.web.pages_promotion").router)
    app.include_router(import_module("parklink.web.pages_sme").router)
    app.include_router(import_module("parklink.web.pages_logistics").router)
    app.include_router(import_module("parklink.web.downloads").router)
    return app
