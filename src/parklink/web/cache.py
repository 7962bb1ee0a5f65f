"""Exact response cache for the public registry GET endpoints (park list and detail, ...).

A GET endpoint marked with :func:`cacheable` serves the same bytes for the same URL as long
as the stored data do not change, whoever asks: its response depends only on the path, the
query string and the database. :class:`ResponseCacheMiddleware` (pure ASGI, installed by
:func:`parklink.web.app.create_app` inside the security-header middleware) keeps, per
process, an LRU of the serialised JSON bodies keyed by

    (domain versions, path, normalised query string)

where the domain versions are those of :mod:`parklink.store.version` for the data domains
the path reads (:data:`PREFIX_DOMAINS`: the registry endpoints read only the ``registry``
domain; a path without an entry uses the global data version), set in the same transaction
by every committed write to the domain (API writes, imports through ``parklink.ingest``,
restores) and read once per request (one indexed ``meta`` read). A write to another domain
(a promotion project, an SME) leaves these entries valid. The cache is therefore exact
across worker processes and app instances: the first GET after a committed write sees a new
version and misses. Each body carries a strong ``ETag`` (a hash of the bytes, so every worker
gives the same tag) — or the endpoint's own ``ETag`` when it sets one (a registry row's
``row_version``, which changes with every write of the row) — and ``Cache-Control:
no-cache``; ``If-None-Match`` is answered with 304.

A hit is answered before FastAPI's routing, dependency injection and serialisation run.
Only 200 ``application/json`` responses of GET requests are stored; errors (404, 422) and
every other method go through untouched. Endpoints that depend on the caller (any
dependency other than the database session) are refused when the route table is built, so
a cached body can never leak from one role to another.

Exactness argument: the version is read before the endpoint reads its rows, and versions only
grow, so a stored body reflects data at least as new as its key; a later request reads a
version at least as new as the last committed write, so it never gets a body older than
that write. (A database replaced wholesale by a file copy that happens to carry the same
counter value is not detected; ``parklink db restore`` keeps the counter growing.)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from fastapi.routing import APIRoute
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from parklink.store import models as m
from parklink.store.version import DATA_VERSION_KEY, parse_versions, versions_statement
from parklink.web.deps import get_session

log = logging.getLogger("parklink.web.cache")

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")
CACHEABLE_ATTR = "__parklink_cacheable__"
DEFAULT_MAX_ENTRIES = 50_000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
_VERSION_STMT = select(m.Meta.__table__.c.value).where(m.Meta.__table__.c.key == DATA_VERSION_KEY)


def cacheable(endpoint: F) -> F:
    """Mark a GET endpoint whose JSON body depends only on its URL and the stored data.

    Its only dependency may be the database session (checked when the route table is built).
    """
    setattr(endpoint, CACHEABLE_ATTR, True)
    return endpoint


def current_version(bind: Engine | Session) -> int:
    """The data version of :func:`parklink.store.version.data_version`, read with one Core
    statement on a pooled connection (about 0.1 ms on SQLite, a fifth of an ORM select).

    Same row, same parsing (missing or unparsable: 0); ``tests/web/test_web_cache.py`` checks
    that both agree after writes.
    """
    if isinstance(bind, Session):
        value = bind.connection().execute(_VERSION_STMT).scalar_one_or_none()
    else:
        with bind.connect() as conn:
            value = conn.execute(_VERSION_STMT).scalar_one_or_none()
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return 0


def current_versions(bind: Engine | Session, names: tuple[str, ...]) -> tuple[int, ...]:
    """The versions of the data domains ``names`` (:func:`parklink.store.version.domain_versions`),
    read with one Core statement; ``()`` gives the global data version as a 1-tuple."""
    if not names:
        return (current_version(bind),)
    stmt = versions_statement(names)
    if isinstance(bind, Session):
        rows = bind.connection().execute(stmt).all()
    else:
        with bind.connect() as conn:
            rows = conn.execute(stmt).all()
    return parse_versions(rows, names)


def normalised_query(query: bytes | str) -> str:
    """The query string with its parameters sorted by name (a repeated name keeps its
    values' order, which FastAPI's parsing depends on); blank values kept."""
    text = query.decode("latin-1") if isinstance(query, bytes) else query
    if not text:
        return ""
    pairs = parse_qsl(text, keep_blank_values=True)
    return urlencode(sorted(pairs, key=lambda kv: kv[0]))


def etag_of(body: bytes) -> str:
    """A strong entity tag of ``body`` (BLAKE2b, 128 bits): equal bytes, equal tag, in any
    worker process."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def etag_matches(header: str | None, etag: str) -> bool:
    """True when an ``If-None-Match`` header names ``etag`` (weak comparison, RFC 9110
    §13.1.2: a ``W/`` prefix is ignored; ``*`` matches any current representation)."""
    if not header:
        return False
    for tag in header.split(","):
        tag = tag.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """A stored body with its entity tag and the endpoint's headers (content type, ...;
    without ``content-length``, which is recomputed)."""

    body: bytes
    headers: tuple[tuple[bytes, bytes], ...]
    etag: str


_UNSEEN = object()


class ResponseCache:
    """A bounded LRU of responses (thread-safe; per process), in *scopes* of one version each.

    A scope is the set of data domains its entries depend on (``None``: the global data
    version). Entries of an older version of their scope are useless once a newer version is
    seen, so the scope's entries are dropped when its observed version changes; the other
    scopes keep theirs. Bounded (all scopes together) by entry count and by body bytes; the
    least recently used entries go first.
    """

    def __init__(self, *, max_entries: int = DEFAULT_MAX_ENTRIES, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[Any, str, str], CachedResponse] = OrderedDict()
        self._bytes = 0
        self._versions: dict[Any, Any] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _adopt(self, scope: Any, version: Any) -> None:
        seen = self._versions.get(scope, _UNSEEN)
        if seen != version:
            if seen is not _UNSEEN:
                for k in [k for k in self._entries if k[0] == scope]:
                    self._bytes -= len(self._entries.pop(k).body)
            self._versions[scope] = version

    def get(self, version: Any, key: tuple[str, str], scope: Any = None) -> CachedResponse | None:
        """The entry stored under ``key`` for ``version`` of ``scope`` (None when absent)."""
        with self._lock:
            self._adopt(scope, version)
            full = (scope, *key)
            entry = self._entries.get(full)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(full)
            self.hits += 1
            return entry

    def put(self, version: Any, key: tuple[str, str], entry: CachedResponse, scope: Any = None) -> None:
        """Store ``entry``, unless the scope has moved on to another version meanwhile."""
        size = len(entry.body)
        if size > self.max_bytes:
            return
        with self._lock:
            if self._versions.get(scope, _UNSEEN) != version:
                return
            full = (scope, *key)
            old = self._entries.pop(full, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._entries[full] = entry
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.body)

    def clear(self) -> None:
        """Drop every entry (the next request of each URL misses)."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        """Bytes of the stored bodies."""
        return self._bytes


def check_dependencies(route: APIRoute) -> None:
    """Raise TypeError when a cacheable route depends on anything but the database session
    (the caller, the request, headers or cookies): its body could then differ by caller."""
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        if dep.call is get_session:
            continue
        name = getattr(dep.call, "__name__", repr(dep.call))
        raise TypeError(
            f"route {route.path} is marked cacheable but depends on {name}; a cached response "
            "may depend only on the URL and the database session"
        )
    d = route.dependant
    if d.request_param_name or d.http_connection_param_name or d.response_param_name \
            or d.header_params or d.cookie_params:
        raise TypeError(f"route {route.path} is marked cacheable but reads the request, headers or cookies")


def _in_memory(engine: Engine) -> bool:
    """True for an in-memory SQLite database (private to its connection or pool)."""
    url = engine.url
    return url.get_backend_name() == "sqlite" and (
        url.database in (None, "", ":memory:") or ":memory:" in url.database or url.query.get("mode") == "memory"
    )


#: Path prefixes where the cache is tried (a cheap filter: only these requests pay for the
#: version lookup). Whether a response is stored is decided by the route that served it.
REGISTRY_PREFIXES = ("/api/parks", "/api/regions", "/api/zones", "/api/designations", "/api/targets",
                     "/api/enterprises", "/api/kpi")
#: The data domains (:func:`parklink.store.version.table_domain`) each cached path prefix
#: reads; a prefix not listed here keys on the global data version (every write).
PREFIX_DOMAINS: dict[str, tuple[str, ...]] = {
    "/api/parks": ("registry",), "/api/regions": ("registry",), "/api/zones": ("registry",),
    "/api/designations": ("registry",), "/api/targets": ("registry",), "/api/enterprises": ("registry",),
}
#: Cacheable paths whose bodies also depend on the date (a report "as of today" by default):
#: today's date is part of their key, so a body never outlives its day.
DATED_PREFIXES = ("/api/kpi",)


class ResponseCacheMiddleware:
    """Pure ASGI middleware serving :func:`cacheable` GET endpoints from a
    :class:`ResponseCache` keyed by the data version (see the module docstring).

    The route is not resolved here: a request goes to the application on a miss, and its
    200 JSON response is stored only when the endpoint that FastAPI's router chose (left in
    ``scope["endpoint"]``) is marked cacheable. Routing depends only on the method and the
    path, so a later GET of the same path and query is served by the same endpoint.
    """

    def __init__(self, app: ASGIApp, *, max_entries: int = DEFAULT_MAX_ENTRIES,
                 max_bytes: int = DEFAULT_MAX_BYTES, prefixes: tuple[str, ...] = REGISTRY_PREFIXES) -> None:
        self.app = app
        self.cache = ResponseCache(max_entries=max_entries, max_bytes=max_bytes)
        self.prefixes = prefixes
        self._checked: dict[int, bool] = {}
        self._engine: Engine | None = None

    def _version(self, scope: Scope, domains: tuple[str, ...] = ()) -> tuple[int, ...]:
        """The versions of ``domains`` (``()``: the global data version), read on a
        connection pool of this middleware's own.

        Not the application's pool: this read runs on the event loop, and the application's
        connections may all be held by endpoints in worker threads that need the event loop
        to commit and give them back; waiting for one of those would deadlock the worker.
        The loop holds at most one connection of this pool at a time, so it never waits.
        The single SELECT runs in autocommit mode: it sees every transaction committed before
        it started, like the first statement of a transaction would.
        """
        sessions = scope["app"].state.web.sessions
        bind = sessions.kw.get("bind")
        if not isinstance(bind, Engine) or _in_memory(bind):  # another pool would see another database
            with sessions() as session:
                return current_versions(session, domains)
        if self._engine is None or self._engine.url != bind.url:
            # autocommit: one statement, one round trip (no BEGIN, no ROLLBACK on return)
            self._engine = create_engine(bind.url, pool_size=1, max_overflow=2, isolation_level="AUTOCOMMIT",
                                         pool_reset_on_return=None)
        return current_versions(self._engine, domains)

    async def _lifespan(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def on_send(message: Message) -> None:
            if message["type"] == "lifespan.shutdown.complete" and self._engine is not None:
                self._engine.dispose()
                self._engine = None
            await send(message)

        await self.app(scope, receive, on_send)

    def _tried(self, path: str) -> bool:
        return any(path == p or path.startswith(p + "/") for p in self.prefixes)

    def _route_ok(self, scope: Scope) -> bool:
        endpoint = scope.get("endpoint")
        if not getattr(endpoint, CACHEABLE_ATTR, False):
            return False
        route = scope.get("route")
        ok = self._checked.get(id(route))
        if ok is None:
            try:
                if not isinstance(route, APIRoute) or route.methods != {"GET"}:
                    raise TypeError(f"endpoint {getattr(endpoint, '__name__', endpoint)}: only FastAPI GET "
                                    "routes can be cacheable")
                check_dependencies(route)
                ok = True
            except TypeError as exc:
                log.error("response not cached: %s", exc)
                ok = False
            self._checked[id(route)] = ok
        return ok

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if scope["type"] != "http" or scope["method"] != "GET" or not self._tried(str(scope.get("path", ""))):
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        domains = next((d for p, d in PREFIX_DOMAINS.items() if path == p or path.startswith(p + "/")), ())
        try:
            version = self._version(scope, domains)
        except SQLAlchemyError as exc:  # no version, no cache: the endpoint reports the error
            log.warning("response cache bypassed: cannot read the data version: %s", exc)
            await self.app(scope, receive, send)
            return
        key = (str(scope["path"]), normalised_query(scope.get("query_string", b"")))
        if key[0].startswith(DATED_PREFIXES):
            key = (key[0], f"{key[1]}#{dt.date.today().isoformat()}")
        if_none_match = None
        for name, value in scope.get("headers", ()):
            if name == b"if-none-match":
                if_none_match = value.decode("latin-1")
        entry = self.cache.get(version, key, domains)
        if entry is not None:
            await _send_entry(send, entry, not_modified=etag_matches(if_none_match, entry.etag))
            return
        await self._fill(scope, receive, send, (domains, version), key, if_none_match)

    async def _fill(self, scope: Scope, receive: Receive, send: Send, scoped: tuple[tuple[str, ...], Any],
                    key: tuple[str, str], if_none_match: str | None) -> None:
        start: Message | None = None
        chunks: list[bytes] = []
        passthrough = False

        async def capture(message: Message) -> None:
            nonlocal start, passthrough
            if passthrough:
                await send(message)
                return
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", ()))
                if message["status"] != 200 or not headers.get(b"content-type", b"").startswith(b"application/json") \
                        or b"set-cookie" in headers or not self._route_ok(scope):
                    passthrough = True
                    await send(message)
                    return
                start = message
                return
            if message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                kept = tuple((k, v) for k, v in start.get("headers", ()) if k not in _RECOMPUTED)
                own = dict(start.get("headers", ())).get(b"etag")  # a registry row's version
                entry = CachedResponse(body, kept, own.decode("latin-1") if own else etag_of(body))
                self.cache.put(scoped[1], key, entry, scoped[0])
                await _send_entry(send, entry, not_modified=etag_matches(if_none_match, entry.etag))
                return
            await send(message)

        await self.app(scope, receive, capture)


_RECOMPUTED = frozenset({b"content-length", b"etag", b"cache-control"})


async def _send_entry(send: Send, entry: CachedResponse, *, not_modified: bool) -> None:
    headers = [(b"etag", entry.etag.encode("latin-1")), (b"cache-control", b"no-cache")]
    if not_modified:  # RFC 9110 §15.4.5: no body; the validator and cache headers only
        await send({"type": "http.response.start", "status": 304, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    headers += [*entry.headers, (b"content-length", str(len(entry.body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": entry.body})


def response_cache(app: Any) -> ResponseCache | None:
    """The :class:`ResponseCache` of a running application (None before its first request
    or without the middleware); for statistics and tests."""
    layer = getattr(app, "middleware_stack", None)
    while layer is not None:
        if isinstance(layer, ResponseCacheMiddleware):
            return layer.cache
        layer = getattr(layer, "app", None)
    return None


class PageCache:
    """Rendered HTML of public pages (anonymous visitors), per data version (thread-safe LRU).

    A page seen by an anonymous visitor depends only on its URL (path and query), the
    language and the stored data, so its bytes can be served again until the data version
    changes (the whole cache is dropped then, as in :class:`ResponseCache`). Bounded by
    entry count and body bytes.
    """

    def __init__(self, *, max_entries: int = 20_000, max_bytes: int = 128 * 1024 * 1024) -> None:
        self._inner = ResponseCache(max_entries=max_entries, max_bytes=max_bytes)

    def get(self, version: Any, key: tuple[str, str]) -> bytes | None:
        """The page stored under ``key`` for ``version`` (None when absent)."""
        entry = self._inner.get(_version_number(version), key)
        return None if entry is None else entry.body

    def put(self, version: Any, key: tuple[str, str], body: bytes) -> None:
        """Store a rendered page."""
        self._inner.put(_version_number(version), key, CachedResponse(body, (), ""))

    def __len__(self) -> int:
        return len(self._inner)


def _version_number(version: Any) -> int:
    """An int standing for any hashable version (the inner cache compares ints)."""
    return version if isinstance(version, int) else hash(version)


class Flights(dict[Any, threading.Lock]):
    """The locks of computations in flight, by key (*single flight*): :meth:`hold` lets one
    thread at a time through per key, so the threads that miss a value together wait for
    the first one's work and then find its result instead of each doing it. A key's lock is
    dropped when its holder is done, so the dict holds only keys in flight."""

    def __init__(self) -> None:
        super().__init__()
        self._guard = threading.Lock()

    @contextmanager
    def hold(self, key: Any) -> Iterator[None]:
        """Hold ``key``'s lock (waiting while another thread holds it)."""
        with self._guard:
            flight = self.setdefault(key, threading.Lock())
        try:
            with flight:
                yield
        finally:
            with self._guard:
                if self.get(key) is flight:
                    del self[key]


class SingleFlightMemo:
    """Computed values by key: a bounded LRU (thread-safe, per process) that computes a
    missing key once even when many threads miss it at the same time (*single flight*: the
    first computes, the others wait for its value instead of each computing it). Keys carry
    the data versions their value was computed from (read before the content), so entries
    of older versions are never asked for again and age out.

    Used for the web analyses (:func:`parklink.web.park_analyses.cached`) and the promotion
    ledger, KPI and alert tables (:mod:`parklink.web.promotion_data`).
    """

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._values: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._flights = Flights()

    def get(self, key: Any, compute: Callable[[], T], *, single_flight: bool = True) -> T:
        """The value under ``key``, ``compute()`` stored under it on a miss. With
        ``single_flight=False`` concurrent misses each compute (a benchmark's comparison).
        An exception of ``compute`` reaches its caller; a waiting thread then computes."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]  # type: ignore[no-any-return]
        if not single_flight:
            return self._store(key, compute())
        with self._flights.hold(key):
            with self._lock:
                if key in self._values:
                    self._values.move_to_end(key)
                    return self._values[key]  # type: ignore[no-any-return]
            return self._store(key, compute())

    def _store(self, key: Any, value: T) -> T:
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.max_entries:
                self._values.popitem(last=False)
        return value

    def __contains__(self, key: Any) -> bool:
        """Whether a value is held under ``key`` (no computation, no LRU change)."""
        with self._lock:
            return key in self._values

    def clear(self) -> None:
        """Forget every value (tests, benchmarks' uncached path)."""
        with self._lock:
            self._values.clear()
