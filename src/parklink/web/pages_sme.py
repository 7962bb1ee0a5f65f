"""Pages of SMEs and matching: the SME registry with tier filters, a need's matches (with a
form to post a need), an enterprise's matches. Role rules as in :mod:`parklink.web.routers.sme`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError as PydanticError

from parklink import tables as t
from parklink.errors import ValidationError
from parklink.sme.engine import MatchConfig
from parklink.sme.registry import sme_table
from parklink.sme.run import run_need, universe
from parklink.vocab import (
    CAPACITY_UNIT_NAMES,
    CERTIFICATION_NAMES,
    MATCH_KIND_NAMES,
    PROCESS_NAMES,
    SME_SIZE_NAMES,
    SME_TIER_NAMES,
)
from parklink.web import registry
from parklink.web.deps import SessionDep, csrf_valid
from parklink.web.park_analyses import web_inputs
from parklink.web.rendering import named, page_principal, render
from parklink.web.routers.sme import (
    RETRY_AFTER_S,
    NeedIn,
    SupplierModelComputingError,
    enterprise_results,
    may_see_enterprise,
    may_see_need,
    post_need,
)

router = APIRouter(include_in_schema=False)
PAGE_ROWS = 100


@router.get("/sme", response_class=HTMLResponse)
def sme_page(request: Request, session: SessionDep,
             tier: Annotated[list[str] | None, Query()] = None,
             park_id: Annotated[str, Query(max_length=64)] = "",
             size: Annotated[str, Query(max_length=10)] = "",
             active: bool = False) -> HTMLResponse:
    """The SME registry (synthetic rows labelled) with tier, park and size filters."""
    principal = page_principal(request, session)
    tiers = [x for x in tier or [] if x in t.SME_TIERS]
    view = sme_table(web_inputs(session), tier=tiers, park=park_id or None,
                     size=size if size in t.SME_SIZE_CLASSES else None, active=active)
    return render(request, "sme.html", {
        "rows": view.head(PAGE_ROWS).astype(object).where(view.head(PAGE_ROWS).notna(), None).to_dict("records"),
        "total": len(view), "filters": {"tier": tiers, "park_id": park_id, "size": size, "active": active},
        "tiers": SME_TIER_NAMES, "sizes": SME_SIZE_NAMES, "tier_name": named(SME_TIER_NAMES),
        "size_name": named(SME_SIZE_NAMES), "limit": PAGE_ROWS,
    }, principal=principal)


def _matches_ctx(results: list[Any]) -> list[dict[str, Any]]:
    return [{"kind": named(MATCH_KIND_NAMES)(r.kind), "summary": r.summary(),
             "rows": r.to_frame().to_dict("records"), "notes": r.notes} for r in results]


@router.get("/needs/new", response_class=HTMLResponse)
def need_form(request: Request, session: SessionDep) -> HTMLResponse:
    """The form to post a need (logged-in users)."""
    principal = page_principal(request, session)
    if not principal.authenticated:
        return RedirectResponse("/login?next=/needs/new", status_code=303)  # type: ignore[return-value]
    return _form(request, session, principal, [], {})


def _form(request: Request, session: Any, principal: Any, errors: list[dict[str, Any]],
          values: dict[str, Any], status: int = 200) -> HTMLResponse:
    segs = web_inputs(session).frame("chain_segments")
    return render(request, "need_form.html", {
        "errors": errors, "values": values, "processes": PROCESS_NAMES, "certs": CERTIFICATION_NAMES,
        "units": CAPACITY_UNIT_NAMES,
        "segments": [(s, f"{z} {e}") for s, z, e in zip(segs["segment_id"], segs["name_zh"], segs["name_en"],
                                                           strict=True)],
    }, principal=principal, status_code=status)


@router.post("/needs/new", response_class=HTMLResponse)
def need_post(request: Request, session: SessionDep,
              csrf: Annotated[str, Form(max_length=200)] = "",
              item_id: Annotated[str, Form(max_length=64)] = "",
              title_zh: Annotated[str, Form(max_length=200)] = "",
              title_en: Annotated[str, Form(max_length=300)] = "",
              part: Annotated[str, Form(max_length=400)] = "",
              segment_id: Annotated[str, Form(max_length=80)] = "",
              process: Annotated[str, Form(max_length=40)] = "",
              certification: Annotated[list[str] | None, Form()] = None,
              quantity: Annotated[str, Form(max_length=40)] = "",
              quantity_unit: Annotated[str, Form(max_length=10)] = "",
              park_id: Annotated[str, Form(max_length=64)] = "") -> Response:
    """Post a need from the form (CSRF- and role-checked), then show its matches."""
    if not csrf_valid(request, csrf):
        raise HTTPException(403, "missing or invalid CSRF token (表单已失效，请刷新页面)")
    principal = page_principal(request, session)
    if not principal.authenticated:
        raise HTTPException(401, "log in first (请先登录)")
    values = {"item_id": item_id, "title_zh": title_zh, "title_en": title_en, "part": part,
              "segment_id": segment_id, "process": process, "quantity": quantity,
              "quantity_unit": quantity_unit, "park_id": park_id}
    poster = "enterprise" if principal.role == "enterprise" or (principal.is_office and not park_id) else "park"
    try:
        body = NeedIn(item_id=item_id, poster=poster,
                      enterprise_id=principal.enterprise_id if poster == "enterprise" else None,
                      park_id=park_id or None, title_zh=title_zh, title_en=title_en, part=part or None,
                      processes=[process] if process else [], segment_id=segment_id or None,
                      quantity=float(quantity) if quantity.strip() else None,
                      quantity_unit=quantity_unit or None, certifications=certification or [])
    except PydanticError as exc:
        errs = [{"field": ".".join(map(str, e.get("loc", ()))), "reason": e.get("msg")} for e in exc.errors()]
        return _form(request, session, principal, errs, values, 422)
    except ValueError as exc:  # quantity is not a number
        return _form(request, session, principal, [{"field": "quantity", "reason": str(exc)}], values, 422)
    try:
        with session.begin_nested():
            post_need(session, principal, body, via="web form")
    except ValidationError as exc:
        errs2: list[dict[str, Any]] = [{"field": p.column, "reason": p.reason} for p in exc.problems]
        return _form(request, session, principal, errs2, values, 409 if isinstance(exc, registry.ConflictError) else 422)
    session.commit()
    return RedirectResponse(f"/needs/{item_id}", status_code=303)


@router.get("/needs/{item_id}", response_class=HTMLResponse)
def need_page(request: Request, item_id: str, session: SessionDep,
              k: Annotated[int, Query(ge=1, le=100)] = 10) -> HTMLResponse:
    """A need with its ranked matches and reasons (role rules of the API)."""
    principal = page_principal(request, session)
    need = registry.get_row(session, "supply_demand", item_id)
    if not may_see_need(principal, need):
        raise HTTPException(401 if not principal.authenticated else 403,
                            "no access to this need's matches (无权查看该需求的匹配)")
    res = run_need(web_inputs(session), [item_id], MatchConfig(k=k))
    return render(request, "sme_matches.html", {"title": (need["title_zh"], need["title_en"]), "need": need,
                                                "results": _matches_ctx([res])}, principal=principal)


@router.get("/sme/{enterprise_id}/matches", response_class=HTMLResponse)
def enterprise_page(request: Request, enterprise_id: str, session: SessionDep,
                    k: Annotated[int, Query(ge=1, le=100)] = 10,
                    ranking: Annotated[str, Query(pattern="^(learned|hand)$")] = "learned") -> HTMLResponse:
    """An enterprise's matches: suppliers for it (learned ranking and its fitted weights;
    ``ranking=hand``: the hand-weighted baseline) and, for an SME, eligible service offers."""
    principal = page_principal(request, session)
    inputs = web_inputs(session)
    ent = universe(inputs).enterprises
    row = ent[ent["enterprise_id"] == enterprise_id]
    if row.empty:
        raise HTTPException(404, f"unknown enterprise {enterprise_id} (未知企业)")
    park = row["park_id"].iloc[0]
    if not may_see_enterprise(principal, enterprise_id, None if park is None or str(park) == "<NA>" else str(park)):
        raise HTTPException(401 if not principal.authenticated else 403,
                            "no access to this enterprise's matches (无权查看该企业的匹配)")
    r0 = row.iloc[0]
    title = (str(r0["name_zh"]), str(r0["name_en"]))
    try:
        results = enterprise_results(session, inputs, enterprise_id, k=k, ranking=ranking)
    except SupplierModelComputingError as exc:  # the fit runs in the background: say so, refresh
        response = render(request, "sme_matches.html", {"title": title, "need": None, "results": [],
                                                        "computing": (exc.message_zh, exc.message_en),
                                                        "refresh_s": RETRY_AFTER_S}, principal=principal)
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response
    return render(request, "sme_matches.html", {"title": title, "need": None,
                                                "results": _matches_ctx(results)}, principal=principal)
