"""Report downloads: ``GET /reports/{kind}/{id}.{pdf|xlsx|html}`` (public read).

The same documents as ``parklink report`` (:mod:`parklink.report.render`) on the web's
inputs bundle (:func:`parklink.web.park_analyses.web_inputs`). Anyone may download them —
they hold published registry data and aggregates, and list projects only as the promotion
API shows them to the public (``public=True``: no unsigned lead, investor and names of an
unpublished project blanked; :func:`parklink.report.projects.public_view`); no report
carries a secret. A rendered file is cached by its inputs fingerprint until the
registry changes; at most two reports are computed at once (others get 503 with
``Retry-After``), so anonymous downloads cannot pile up analyses.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Request, Response

from parklink.report.render import MEDIA_TYPES
from parklink.web.deps import SessionDep, web_state
from parklink.web.routers.common import ERRORS

router = APIRouter(prefix="/reports", tags=["reports 报告"], responses=ERRORS)
Fmt = Literal["pdf", "xlsx", "html"]
_SLOTS = threading.BoundedSemaphore(2)
_CACHE_KEEP = 32


def _download(request: Request, session: SessionDep, kind: str, target: str, fmt: str) -> Response:
    from parklink.report.data import ReportConfig, report_inputs
    from parklink.report.render import build_document, render
    from parklink.web.park_analyses import web_inputs

    ri = report_inputs(web_inputs(session), session)
    cache = web_state(request).cache
    key = ("report", kind, target, fmt, ri.fingerprint(ReportConfig(kind, target, "public")).digest)
    hit = cache.get(key)
    if hit is None:
        if not _SLOTS.acquire(blocking=False):
            raise HTTPException(503, "reports are being computed; retry shortly (报告生成中，请稍后重试)",
                                headers={"Retry-After": "5"})
        try:
            doc = build_document(ri, kind, target, public=True)
            hit = (render(doc, fmt), doc.fingerprint)
        finally:
            _SLOTS.release()
        old = [k for k in list(cache) if isinstance(k, tuple) and k[:1] == ("report",)]
        for k in old[: max(len(old) - _CACHE_KEEP + 1, 0)]:
            cache.pop(k, None)
        cache[key] = hit
    body, fp = hit
    name = f"{kind.replace('_', '-')}-{target}.{fmt}"
    disposition = "inline" if fmt in ("pdf", "html") else "attachment"
    return Response(body, media_type=MEDIA_TYPES[fmt], headers={
        "Content-Disposition": f'{disposition}; filename="{name}"', "X-Parklink-Fingerprint": fp,  # the document's
        "Cache-Control": "private, max-age=60"})


Ident = Annotated[str, Path(pattern=r"^[A-Za-z0-9_\-]{1,64}$")]

_FILE: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}, MEDIA_TYPES["xlsx"]: {}, "text/html": {}},
               "description": "the report file"}}


@router.get("/park/{park_id}.{fmt}", summary="Park brief 园区简报", response_class=Response, responses=_FILE)
def park_report(request: Request, session: SessionDep, park_id: Ident, fmt: Fmt) -> Response:
    """One-page brief of a park (404 for an unknown park id)."""
    return _download(request, session, "park", park_id, fmt)


@router.get("/designation/{designation_id}.{fmt}", summary="Designation brief 示范单元简报",
            response_class=Response, responses=_FILE)
def designation_report(request: Request, session: SessionDep, designation_id: Ident, fmt: Fmt) -> Response:
    """One-page brief of a designation (404 for an unknown id)."""
    return _download(request, session, "designation", designation_id, fmt)


@router.get("/bulletin/{period}.{fmt}", summary="Programme bulletin 项目通报", response_class=Response,
            responses=_FILE)
def bulletin_report(request: Request, session: SessionDep,
                    period: Annotated[str, Path(pattern=r"^\d{4}([Qq][1-4]|-\d{1,2})?$")], fmt: Fmt) -> Response:
    """The public bulletin of a year (``2025``), quarter (``2025Q3``) or month (``2025-09``)."""
    return _download(request, session, "bulletin", period.upper(), fmt)


@router.get("/next-batch/{year}.{fmt}", summary="Next-batch plan brief 下一批方案简报", response_class=Response,
            responses=_FILE)
def next_batch_report(request: Request, session: SessionDep,
                      year: Annotated[int, Path(ge=2020, le=2100)], fmt: Fmt) -> Response:
    """Brief of the proposed next batch for a programme year (default rules)."""
    return _download(request, session, "next_batch", str(year), fmt)
