"""Start-up warm-up of one server process: the work its first visitors would otherwise wait for.

A new worker process pays, on its first requests, for work that is the same for every
visitor: FastAPI builds each route's request model on the first request it routes (about
0.4 s for the ~100 routes), anyio imports its thread backend (0.25 s), Jinja compiles each
template in each page language (0.6 s for all of them), the dashboard computes its parts,
and the park page loads the stored park analyses and builds its per-version indexes (0.2 s).
Under load, every request that reaches a cold process waits for that work: measured with a
per-request log in both uvicorn workers (``bench/web_load.py``), a worker that missed the
benchmark's warm-up requests answered its first park pages in 350-535 ms and its first
dashboard in 0.6-1.1 s.

:func:`warm_process` does that work once, in the application's start-up (before the
process accepts connections), with in-process GETs of the public pages and API through
the whole application (anonymous, as a first visitor), and then **empties the response
caches** it filled: what is warmed is code, templates and per-version state, not answers,
so a first request for a page is still rendered (a cold response cache, as the load targets
of issue 12 require). It never starts a computation: the park page is requested only when
its analyses are already stored (:func:`parklink.web.park_precompute.load_stored`).

Only the server entry points ask for it (``create_app(..., warm=True)`` in ``parklink
serve`` and :mod:`parklink.web.asgi`); tests build applications without it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from parklink.store import models as m

log = logging.getLogger("parklink.web.warmup")

#: Public pages and API routes requested at start-up (anonymous), in both page languages.
WARM_PATHS = ("/", "/?lang=en", "/parks", "/parks?lang=en", "/map", "/map?lang=en", "/api/parks?page_size=50",
              "/api/health", "/api/status")


@dataclass
class WarmReport:
    """What :func:`warm_process` did: each request's path and status, milliseconds per step."""

    requests: list[tuple[str, int]] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    park_page: bool = False  # the park page was warmed (its analyses were stored)

    def summary(self) -> str:
        """One line for the server log."""
        failed = [f"{path} {status}" for path, status in self.requests if status != 200]
        steps = ", ".join(f"{name} {ms:.0f} ms" for name, ms in self.timings_ms.items())
        return (f"warm-up: {len(self.requests)} requests ({steps}); park page "
                f"{'warmed' if self.park_page else 'skipped (analyses not stored yet)'}"
                + (f"; not 200: {', '.join(failed)}" if failed else ""))


async def asgi_get(app: Any, path: str, query: str = "") -> tuple[int, bytes]:
    """One GET of ``path`` (with ``query``) through the whole application in this process
    (no socket, anonymous); the status code and the body. Also the benchmarks' in-process
    client (``bench/web_load.py``)."""
    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
             "query_string": query.encode(), "root_path": "", "server": ("127.0.0.1", 80),
             "headers": [(b"host", b"127.0.0.1"), (b"user-agent", b"parklink-warmup")],
             "client": ("127.0.0.1", 1), "state": {}}
    status = 0
    body: list[bytes] = []
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(body)


def compile_templates() -> int:
    """Compile every page template in both page languages (kept by Jinja); their number."""
    from parklink.web.rendering import _TEMPLATES_BY_LANG

    n = 0
    for templates in _TEMPLATES_BY_LANG.values():
        for name in templates.env.list_templates(extensions=["html"]):
            templates.env.get_template(name)
            n += 1
    return n


def forget_answers(app: Any) -> None:
    """Empty the response cache and the rendered public pages (not the per-version state)."""
    from parklink.web.cache import response_cache

    cache = response_cache(app)
    if cache is not None:
        cache.clear()
    state = app.state.web.cache
    for key in [k for k in list(state) if k == "public-pages" or (isinstance(k, tuple) and k[0] == "dashboard-html")]:
        state.pop(key, None)


async def warm_process(app: Any) -> WarmReport:
    """Warm this process (see the module docstring): compile the templates, request the
    public pages and API once, the park page too when its analyses are stored (loading
    them), then forget the answers. Returns what was done; a failed request is logged, not
    raised (the warm-up never stops a server from starting)."""
    from parklink.web import park_precompute as pp

    report = WarmReport()
    t0 = time.perf_counter()
    compile_templates()
    report.timings_ms["templates"] = 1000 * (time.perf_counter() - t0)
    state = app.state.web
    t0 = time.perf_counter()
    with state.sessions() as session:
        first = session.scalar(select(m.Park.park_id).order_by(m.Park.park_id).limit(1))
        report.park_page = first is not None and pp.load_stored(state.sessions, session)
    report.timings_ms["park analyses"] = 1000 * (time.perf_counter() - t0)
    paths = list(WARM_PATHS)
    if first is not None:
        paths.append(f"/api/parks/{first}")
        if report.park_page:
            paths += [f"/parks/{first}", f"/parks/{first}?lang=en"]
    t0 = time.perf_counter()
    for target in paths:
        path, _, query = target.partition("?")
        report.requests.append((target, (await asgi_get(app, path, query))[0]))
    report.timings_ms["requests"] = 1000 * (time.perf_counter() - t0)
    forget_answers(app)
    return report
