"""SMEs, 供需清单 needs and their matches (issue 16).

Reads of the SME registry and of the needs are public (published lists, synthetic rows
labelled). Matches are per object: the programme office sees every match; a park manager the
matches of needs posted in (or by) their parks and of enterprises located there; an
enterprise user those of its own needs and its own enterprise. Posting a need: the office any,
an enterprise user for its own enterprise, a park manager for its parks; writes authenticate
(and check CSRF for cookies) like the registry routers, with history and audit.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from parklink import tables as t
from parklink.sme.engine import MatchConfig
from parklink.sme.registry import sme_table
from parklink.sme.run import SupplierModel, run_enterprise, run_need, supplier_model, universe
from parklink.web import registry
from parklink.web.deps import Principal, PrincipalDep, SessionDep, forbid
from parklink.web.park_analyses import web_inputs
from parklink.web.routers.common import ERRORS, JSONBytes, json_bytes, written_response

router = APIRouter(tags=["sme 中小企业"], responses=ERRORS)
Key = Annotated[str, Path(max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


#: Domains the learned supplier ranker reads (enterprises: registry; SME profiles: sme);
#: a write elsewhere (promotion, co-construction, monitoring) does not refit it.
MODEL_DOMAINS = ("registry", "sme")
#: Seconds a client is asked to wait (``Retry-After``) while the ranker is being fitted.
RETRY_AFTER_S = 15


class SupplierModelComputingError(Exception):
    """The learned supplier ranker of the current data is being fitted in the background
    (about a minute on the default data): the request is answered 503 with ``Retry-After``
    (API) or a page that refreshes itself, instead of holding a worker for the whole fit."""

    message_zh = "正在按往年数据拟合供货商排序模型（默认数据约需一分钟），请稍后刷新"
    message_en = "the learned supplier ranking is being fitted on past years' data (about a minute on the default data); try again shortly"

    def __str__(self) -> str:
        return f"{self.message_en} ({self.message_zh})"


_fits: dict[tuple[Any, ...], threading.Thread] = {}
_fits_lock = threading.Lock()


def _model_key(session: Any, inputs: Any) -> tuple[Any, ...]:
    from parklink.web.cache import current_versions
    from parklink.web.park_analyses import _db_key

    return ("sme_supplier_model", _db_key(session), current_versions(session, MODEL_DOMAINS),
            inputs.firm_version(), MatchConfig().hash())


def web_supplier_model(session: Any, inputs: Any, *, wait_s: float | None = None) -> SupplierModel:
    """The learned leader ↔ supplier ranker of the session's data, fitted once per version of
    the data it reads (:data:`MODEL_DOMAINS` and the firm dataset) in the web cache
    (:func:`parklink.web.park_analyses.cached`), never on every request. The fit runs in a
    background thread; the request waits for it at most ``wait_s`` seconds
    (default :func:`parklink.web.park_precompute.wait_seconds`) and otherwise raises
    :class:`SupplierModelComputingError`."""
    from parklink.web.park_analyses import cached, is_cached
    from parklink.web.park_precompute import wait_seconds

    key = _model_key(session, inputs)
    if is_cached(key):
        return cached(key, lambda: supplier_model(inputs))
    with _fits_lock:
        thread = _fits.get(key)
        if thread is None or not thread.is_alive():
            thread = threading.Thread(target=cached, args=(key, lambda: supplier_model(inputs)),
                                      name="sme-supplier-fit", daemon=True)
            _fits[key] = thread
            for old in [k for k, t in _fits.items() if k != key and not t.is_alive()]:
                _fits.pop(old, None)
            thread.start()
    thread.join(wait_seconds() if wait_s is None else wait_s)
    if thread.is_alive() or not is_cached(key):
        raise SupplierModelComputingError
    return cached(key, lambda: supplier_model(inputs))


def enterprise_results(session: Any, inputs: Any, enterprise_id: str, *, k: int,
                       ranking: str = "learned") -> list[Any]:
    """:func:`parklink.sme.run.run_enterprise` with the web-cached supplier model (API and page);
    raises :class:`SupplierModelComputingError` while the learned model is being fitted."""
    cfg = MatchConfig(k=k, supplier_ranking=ranking)
    model = web_supplier_model(session, inputs) if ranking == "learned" else None
    return run_enterprise(inputs, enterprise_id, cfg, model)


def _records(frame: Any) -> list[dict[str, Any]]:
    return [{k: (None if v is None or (isinstance(v, float) and v != v) or str(v) in ("<NA>", "NaT")
                 else v.isoformat() if isinstance(v, dt.date) else v)
             for k, v in r.items()} for r in frame.astype(object).to_dict("records")]


def _deny(principal: Principal, what: str) -> HTTPException:
    if not principal.authenticated:
        return HTTPException(401, "log in first (请先登录)", headers={"WWW-Authenticate": "Bearer"})
    return forbid(f"role {principal.role} may not see the matches of {what} (无权查看该匹配)")


def may_see_need(principal: Principal, need: dict[str, Any]) -> bool:
    """Office: all; park manager: needs of their parks; enterprise: its own needs."""
    if principal.is_office:
        return True
    if principal.role == "park_manager":
        return need.get("park_id") is not None and str(need["park_id"]) in principal.parks
    if principal.role == "enterprise":
        return principal.enterprise_id is not None and need.get("enterprise_id") == principal.enterprise_id
    return False


def may_see_enterprise(principal: Principal, enterprise_id: str, park_id: str | None) -> bool:
    """Office: all; park manager: enterprises in their parks; enterprise: itself."""
    if principal.is_office:
        return True
    if principal.role == "park_manager":
        return park_id is not None and park_id in principal.parks
    if principal.role == "enterprise":
        return principal.enterprise_id == enterprise_id
    return False


def may_post_need(principal: Principal, body: NeedIn) -> bool:
    """Office: any; enterprise: for itself; park manager: for one of its parks."""
    if principal.is_office:
        return True
    if principal.role == "enterprise":
        return body.poster == "enterprise" and body.enterprise_id == principal.enterprise_id
    if principal.role == "park_manager":
        return body.park_id is not None and body.park_id in principal.parks
    return False


class NeedIn(BaseModel):
    """A need to post (供需清单 需求); ``item_id`` unique, lower-case letters, digits, ``._-``."""

    model_config = ConfigDict(extra="forbid")
    item_id: str = Field(pattern=r"^[a-z0-9_.-]+$", max_length=64)
    poster: str = Field(pattern="^(enterprise|park)$")
    enterprise_id: str | None = Field(default=None, max_length=64)
    park_id: str | None = Field(default=None, max_length=64)
    title_zh: str = Field(min_length=1, max_length=200)
    title_en: str = Field(min_length=1, max_length=300)
    part: str | None = Field(default=None, max_length=400)
    processes: list[str] = Field(default_factory=list, max_length=20)
    segment_id: str | None = Field(default=None, max_length=80)
    quantity: float | None = Field(default=None, ge=0)
    quantity_unit: str | None = Field(default=None, pattern="^(" + "|".join(t.CAPACITY_UNITS) + ")$")
    certifications: list[str] = Field(default_factory=list, max_length=10)
    needed_by: dt.date | None = None


def post_need(session: Any, principal: Principal, body: NeedIn, *, via: str = "api") -> dict[str, Any]:
    """Check the role and store the need (validated, history, audit); the stored row."""
    if not may_post_need(principal, body):
        raise forbid(f"role {principal.role} may not post this need (无权发布该需求)")
    data = body.model_dump()
    data.update(direction="need", status="open", posted=dt.date.today(), synthetic=False,
                source_url=None, confidence="unconfirmed",
                processes=";".join(body.processes) or None, certifications=";".join(body.certifications) or None)
    return registry.create_row(session, "supply_demand", data, actor=principal.username, via=via)


@router.get("/sme", summary="SME registry 中小企业名录")
def list_sme(
    session: SessionDep,
    tier: Annotated[list[str] | None, Query(description="tiers: " + ", ".join(t.SME_TIERS))] = None,
    park_id: Annotated[str | None, Query(max_length=64)] = None,
    size: Annotated[str | None, Query(pattern="^(" + "|".join(t.SME_SIZE_CLASSES) + ")$")] = None,
    active: bool = False,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 50,
) -> JSONBytes:
    """SME profiles with the computed size class and the tier's validity; filters by tier
    (repeatable), park, size class and ``active`` (tier still valid today)."""
    bad = [x for x in tier or [] if x not in t.SME_TIERS]
    if bad:
        raise HTTPException(422, f"unknown tier {bad[0]!r}; expected one of {', '.join(t.SME_TIERS)}")
    view = sme_table(web_inputs(session), tier=tier, park=park_id, size=size, active=active)
    items = _records(view.iloc[(page - 1) * page_size: page * page_size])
    return JSONBytes(json_bytes({"items": items, "total": len(view), "page": page, "page_size": page_size}))


@router.get("/needs", summary="Needs 供需清单需求")
def list_needs(session: SessionDep, park_id: Annotated[str | None, Query(max_length=64)] = None) -> JSONBytes:
    """Open and closed needs of the 供需清单 (optionally of one park)."""
    items = web_inputs(session).frame("supply_demand")
    needs = items[items["direction"] == "need"]
    if park_id:
        needs = needs[needs["park_id"] == park_id]
    return JSONBytes(json_bytes({"items": _records(needs), "total": len(needs)}))


@router.post("/needs", status_code=201, summary="Post a need 发布需求")
def create_need(body: NeedIn, session: SessionDep, principal: PrincipalDep) -> JSONBytes:
    """Post a need (office; an enterprise user for itself; a park manager for its parks)."""
    return written_response(post_need(session, principal, body), status_code=201)


def _need(session: Any, item_id: str) -> dict[str, Any]:
    return registry.get_row(session, "supply_demand", item_id)


@router.get("/needs/{item_id}/matches", summary="A need's matches 需求匹配结果")
def need_matches(item_id: Key, session: SessionDep, principal: PrincipalDep,
                 k: Annotated[int, Query(ge=1, le=100)] = 10) -> JSONBytes:
    """Ranked suppliers for the need with reasons (zh/en), per the role rules."""
    need = _need(session, item_id)
    if need.get("direction") != "need":
        raise HTTPException(404, f"{item_id} is not a need (不是需求)")
    if not may_see_need(principal, need):
        raise _deny(principal, f"need {item_id}")
    res = run_need(web_inputs(session), [item_id], MatchConfig(k=k))
    return JSONBytes(json_bytes({**res.summary(), "matches": _records(res.to_frame())}))


@router.get("/sme/{enterprise_id}/matches", summary="An enterprise's matches 企业匹配结果")
def enterprise_matches(enterprise_id: Key, session: SessionDep, principal: PrincipalDep,
                       k: Annotated[int, Query(ge=1, le=100)] = 10,
                       ranking: Annotated[str, Query(pattern="^(learned|hand)$",
                                                     description="leader ↔ supplier ranking: learned "
                                                     "(default, fitted on past years) or hand (baseline)")]
                       = "learned") -> JSONBytes:
    """Suppliers for the enterprise as a buyer (learned ranking with its fitted weights in
    ``weights``; ``ranking=hand``: the documented hand weights) and, for an SME, eligible
    service offers (documented weights, not learned: no recorded outcomes)."""
    inputs = web_inputs(session)
    uni = universe(inputs)
    row = uni.enterprises[uni.enterprises["enterprise_id"] == enterprise_id]
    if row.empty:
        raise HTTPException(404, f"unknown enterprise {enterprise_id} (未知企业)")
    park = row["park_id"].iloc[0]
    if not may_see_enterprise(principal, enterprise_id, None if park is None or str(park) == "<NA>" else str(park)):
        raise _deny(principal, f"enterprise {enterprise_id}")
    try:
        results = enterprise_results(session, inputs, enterprise_id, k=k, ranking=ranking)
    except SupplierModelComputingError as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": str(RETRY_AFTER_S)}) from None
    return JSONBytes(json_bytes({"enterprise_id": enterprise_id,
                                 "results": [{**r.summary(), "matches": _records(r.to_frame())}
                                             for r in results]}))
