"""Analyses as background jobs: evaluation, designation scenario, chain diagnosis, route.

Each ``POST /api/analyses/<kind>`` validates its request, builds the canonical parameters
and submits a job (:mod:`parklink.web.jobs`) whose compute function calls the domain
package — :func:`parklink.evaluate.evaluate_parks`, :func:`parklink.designate.designate_from_frames`,
:func:`parklink.chains.diagnose`, :func:`parklink.logistics.routing.route` — on inputs read
by the domain CLIs' loaders. The answer is ``202 {job_id, status, status_url, result_url}``,
or ``200`` with the same body when a cached result exists. ``GET /api/jobs/{id}`` polls,
``GET /api/jobs/{id}/result`` reads the result.

Who may run what (enforced here, documented in docs/web.md "Analyses and jobs"):

* everybody (anonymous included): evaluations, routes, chain diagnoses as aggregate tables,
  designation runs of built-in or published scenarios as they are;
* logged-in park managers and enterprises, in addition: designation what-ifs (changed
  constraints or explicit weights) — their results are visible to them and the office only;
* the programme office: everything, including unpublished stored scenarios, firm-level
  chain tables (``detail="firm"``) and saving a run as a named scenario.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar

import pandas as pd
from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from parklink.errors import InfeasibleError, NotFoundError, Problem, ValidationError
from parklink.store import models as m
from parklink.web import jobs, registry
from parklink.web.deps import CSRF_COOKIE, Principal, PrincipalDep, SessionDep, forbid, web_state
from parklink.web.routers.common import ERRORS
from parklink.web.schemas import ErrorBody

router = APIRouter(tags=["analyses 分析"], responses=ERRORS)

METHODS = ("topsis", "vikor", "promethee_ii")
WEIGHTINGS = ("entropy", "critic", "std", "equal", "combined")
Method = Literal["topsis", "vikor", "promethee_ii"]
Weighting = Literal["entropy", "critic", "std", "equal", "combined"]
Key = Annotated[str, StringConstraints(min_length=1, max_length=80)]
CriterionKey = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]
Weight = Annotated[float, Field(ge=0.0, le=1000.0, allow_inf_nan=False)]
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
ScenarioName = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$")]
MAX_IDS = 500
_NETWORKS_LOCK = threading.Lock()  # guards the per-process input caches (_SCOPES, _NETWORKS)


_K = TypeVar("_K")
_V = TypeVar("_V")


def _cached(cache: dict[_K, _V], key: _K) -> _V | None:
    """``cache[key]`` or None, under the input-cache lock."""
    with _NETWORKS_LOCK:
        return cache.get(key)


def _remember(cache: dict[_K, _V], key: _K, value: _V, keep: int) -> _V:
    """Store ``value`` under ``key`` keeping the ``keep`` newest entries; returns ``value``."""
    with _NETWORKS_LOCK:
        cache[key] = value
        while len(cache) > keep:
            cache.pop(next(iter(cache)))
    return value
JOB_ERRORS: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorBody, "description": "too many analyses of this caller in progress"},
    503: {"model": ErrorBody, "description": "the analysis queue is full"},
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Scoring(_Body):
    """How parks are scored: MCDA method and a named weighting or explicit weights."""

    method: Method = "topsis"
    weighting: Weighting = "combined"
    weights: dict[CriterionKey, Weight] | None = Field(
        default=None, max_length=40,
        description="explicit weight per criterion key (normalised; criteria not listed get 0); "
                    "replaces `weighting`")


class EvaluationRequest(Scoring):
    """An evaluation run (parklink.evaluate.evaluate_parks)."""

    parks: list[Key] | None = Field(default=None, max_length=MAX_IDS, description="evaluate only these park ids")
    province: Literal["SC", "CQ"] | None = Field(default=None, description="evaluate only the parks of a province")
    draws: int = Field(default=1000, ge=100, le=5000, description="Monte Carlo weight draws")
    top_k: int = Field(default=10, ge=1, le=100, description="k of P(top k)")
    seed: int = Field(default=20200611, ge=0, le=2**31 - 1)


class Constraints(_Body):
    """Changes to a designation scenario (omitted fields keep the scenario's values)."""

    targets: dict[Annotated[int, Field(ge=2000, le=2100)], Annotated[int, Field(ge=0, le=10_000)]] | None = Field(
        default=None, max_length=20, description="target year → cumulative number of designated parks")
    min_province_share: float | None = Field(default=None, ge=0.0, le=0.5, allow_inf_nan=False)
    min_per_province: dict[Literal["SC", "CQ"], Annotated[int, Field(ge=0, le=10_000)]] | None = None
    area_type_min_share: dict[Literal["critical_development", "transport_node", "adjacent"],
                              Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]] | None = None
    require_pairing: bool | None = None
    max_pair_hours: float | None = Field(default=None, gt=0.0, le=24.0, allow_inf_nan=False)
    max_partners: int | None = Field(default=None, ge=1, le=10)
    synergy_weight: float | None = Field(default=None, ge=0.0, le=10.0, allow_inf_nan=False)
    forced_in: list[Key] | None = Field(default=None, max_length=MAX_IDS)
    forced_out: list[Key] | None = Field(default=None, max_length=MAX_IDS)
    fix_existing: bool | None = None
    time_limit: float | None = Field(default=None, ge=1.0, le=60.0, allow_inf_nan=False,
                                     description="HiGHS time limit (s)")
    mip_gap: float | None = Field(default=None, ge=0.0, le=0.5, allow_inf_nan=False)


class DesignationRequest(_Body):
    """A designation run (parklink.designate.designate_from_frames), optionally compared and saved."""

    scenario: ScenarioName = Field(default="programme", description="built-in or stored scenario to start from")
    constraints: Constraints = Field(default_factory=Constraints)
    scoring: Scoring = Field(default_factory=Scoring)
    compare_to: ScenarioName | None = Field(default=None, description="also run this scenario and compare")
    explain: bool = Field(default=False, description="re-solve designated parks and runner-ups forced out / in")
    runner_ups: int = Field(default=3, ge=0, le=10)
    save_as: ScenarioName | None = Field(default=None, description="store the scenario under this name (office)")
    publish: bool = Field(default=False, description="publish the saved scenario (office)")


class ChainsRequest(_Body):
    """A chain diagnosis of one scope (parklink.chains.diagnose) on the firm-level dataset."""

    scope: Key = Field(description="circle, SC, CQ, park:ID, designation:ID, zone:ID, city:ADCODE or a name")
    chain: Literal["auto", "moto", "electronics", "biomed"] | None = None
    year: int | None = Field(default=None, ge=1990, le=2100)
    detail: Literal["aggregate", "firm"] = Field(
        default="aggregate", description="aggregate tables (everybody) or also firm-level tables (office)")


class RouteRequest(_Body):
    """A least generalised-cost route (parklink.logistics.routing.route)."""

    origin: Key
    destination: Key
    cargo: Literal["bulk", "container", "electronics", "vehicles"] = "container"


class JobRef(BaseModel):
    """Where to follow a submitted analysis."""

    job_id: str
    kind: str
    status: str
    progress: float
    message: str | None
    cached: bool
    status_url: str
    result_url: str


class JobOut(BaseModel):
    """A job's state."""

    job_id: str
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    progress: float
    message: str | None
    public: bool
    params: dict[str, Any]
    data_version: int
    firm_version: str | None
    created_at: str | None
    started_at: str | None
    finished_at: str | None
    error: str | None
    cached: bool
    result_url: str


# ---------------------------------------------------------------------------- helpers
def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON records of ``frame`` (NaN/NA → null, numpy scalars → numbers, dates → ISO)."""
    if frame is None or frame.empty:
        return []
    out: list[dict[str, Any]] = json.loads(frame.to_json(orient="records", force_ascii=False, date_format="iso"))
    return out


def _owner(principal: Principal, request: Request) -> str:
    if principal.authenticated:
        return principal.username
    host = request.client.host if request.client else "unknown"
    return f"anonymous@{host}"[:80]


def _check_csrf(request: Request, principal: Principal) -> None:
    """Cookie-authenticated calls (pages) must echo the CSRF token in ``X-CSRF-Token``."""
    if principal.authenticated and not request.headers.get("authorization"):
        token = request.headers.get("x-csrf-token")
        if not web_state(request).signer.csrf_ok(request.cookies.get(CSRF_COOKIE), token):
            raise HTTPException(403, "missing or invalid X-CSRF-Token header (CSRF check failed; reload the page)")


def _ref(info: jobs.JobInfo) -> dict[str, Any]:
    return {
        "job_id": info.job_id, "kind": info.kind, "status": info.status, "progress": info.progress,
        "message": info.message, "cached": info.cached, "status_url": f"/api/jobs/{info.job_id}",
        "result_url": f"/api/jobs/{info.job_id}/result",
    }


def _submit(request: Request, principal: Principal, kind: str, params: dict[str, Any], compute: jobs.Compute,
            *, public: bool, firm_version: str | None = None) -> JSONResponse:
    state = web_state(request)
    try:
        info = jobs.runner_for(state.sessions).submit(
            kind, params, compute, owner=_owner(principal, request), public=public, firm_version=firm_version,
            see_all=principal.is_office, per_owner=4 if principal.is_office else 2,
        )
    except jobs.TooManyJobsError as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
    except jobs.QueueFullError as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
    return JSONResponse(_ref(info), status_code=200 if info.cached else 202)


def _unknown_parks(session: Session, ids: list[str], field: str) -> list[Problem]:
    if not ids:
        return []
    known = set(session.scalars(select(m.Park.park_id).where(m.Park.park_id.in_(ids))))
    return [Problem("request body", None, field, p, "unknown park id (园区不存在)") for p in ids if p not in known]


def _criteria_problems(weights: Mapping[str, float] | None, field: str) -> list[Problem]:
    if weights is None:
        return []
    from parklink.evaluate import DEFAULT_INDICATORS

    keys = {c.key for c in DEFAULT_INDICATORS}
    out = [Problem("request body", None, f"{field}.{k}", k, f"unknown criterion; expected one of {', '.join(sorted(keys))}")
           for k in weights if k not in keys]
    if not out and sum(weights.values()) <= 0:
        out.append(Problem("request body", None, field, None, "at least one weight must be positive"))
    return out


def _frames(database_url: str) -> dict[str, pd.DataFrame]:
    """Registry frames as the ``evaluate`` and ``designate`` commands read them."""
    from parklink.evaluate.cli import load_frames

    frames, _source = load_frames(database_url)
    return frames


def _scoring_params(s: Scoring) -> dict[str, Any]:
    if s.weights is not None:
        total = sum(s.weights.values())
        return {"method": s.method, "weighting": "given",
                "weights": {k: round(v / total, 12) for k, v in sorted(s.weights.items())}}
    return {"method": s.method, "weighting": s.weighting, "weights": None}


def _evaluate(frames: dict[str, pd.DataFrame], parks: pd.DataFrame, scoring: Mapping[str, Any], *,
              draws: int, top_k: int, seed: int) -> Any:
    """parklink.evaluate on ``parks``: a named weighting, or explicit weights ('given')."""
    from parklink.evaluate import compute_indicators, evaluate_matrix, evaluate_parks

    kw: dict[str, Any] = {"regions": frames["regions"], "zones": frames["zones"], "transport_nodes": frames["transport_nodes"],
          "enterprises": frames["enterprises"], "designations": frames.get("designations")}
    if scoring["weighting"] != "given":
        return evaluate_parks(parks, **kw, method=scoring["method"], weighting=scoring["weighting"], draws=draws,
                              top_k=top_k, seed=seed)
    table = compute_indicators(parks, **kw)
    dm = table.matrix(parks)
    given = scoring["weights"]
    dm = dm.with_weights({k: float(given.get(k, 0.0)) for k in dm.keys})
    _kept, dropped = table.usable()
    ignored = tuple(f"weight of {k} ignored: the indicator is left out of the matrix" for k in given if k not in dm.keys)
    return evaluate_matrix(dm, method=scoring["method"], weighting="given", draws=draws, top_k=top_k, seed=seed,
                           notes=table.notes + dropped + ignored, synthetic=table.synthetic)


# ---------------------------------------------------------------------------- evaluation
@router.post("/analyses/evaluation", response_model=JobRef, status_code=202,
             responses={200: {"model": JobRef, "description": "cached result"}, **JOB_ERRORS},
             summary="Run a park evaluation 园区评价")
def run_evaluation(body: EvaluationRequest, request: Request, principal: PrincipalDep,
                   session: SessionDep) -> JSONResponse:
    """Evaluate parks with an MCDA method and a named weighting or explicit weights
    (parklink.evaluate.evaluate_parks / evaluate_matrix), with the robustness report.
    Everybody may run it; the result is public (published registry data only)."""
    _check_csrf(request, principal)
    problems = _criteria_problems(body.weights, "weights") + _unknown_parks(session, body.parks or [], "parks")
    if problems:
        raise ValidationError(problems)
    params: dict[str, Any] = {**_scoring_params(body), "parks": sorted(set(body.parks)) if body.parks else None,
              "province": body.province, "draws": body.draws, "top_k": body.top_k, "seed": body.seed}
    url = web_state(request).database_url

    def compute(ctx: jobs.JobContext) -> dict[str, Any]:
        ctx.progress(0.05, "读取登记数据", "reading the registry")
        frames = _frames(url)
        parks = frames["parks"]
        if params["parks"]:
            parks = parks[parks["park_id"].astype(str).isin(params["parks"])]
        if params["province"]:
            parks = parks[parks["province"].astype(str) == params["province"]]
        if len(parks) < 2:
            raise ValidationError.single("request body", "an evaluation needs at least two parks (至少需要两个园区)",
                                         column="parks")
        parks = parks.reset_index(drop=True)
        ctx.progress(0.2, "计算指标、权重与排名", "indicators, weights, ranking and robustness")
        ev = _evaluate(frames, parks, params, draws=params["draws"], top_k=params["top_k"], seed=params["seed"])
        from parklink.evaluate import weights_table

        ranking = ev.to_frame()
        names = parks.set_index(parks["park_id"].astype(str))[["name_zh", "name_en", "province"]]
        ranking = ranking.join(names, on="alternative")
        return {
            "summary": ev.summary(),
            "ranking": _records(ranking),
            "weights": _records(weights_table(ev)),
            "notes": list(ev.notes),
            "synthetic": bool(ev.synthetic),
        }

    return _submit(request, principal, "evaluation", params, compute, public=True)


# ---------------------------------------------------------------------------- designation
def _stored(session: Session, name: str) -> m.Scenario | None:
    row = session.get(m.Scenario, name)
    return row if row is not None and row.kind == "designation" else None


def _scenario(session: Session, name: str, principal: Principal, field: str) -> tuple[Any, bool, str | None]:
    """(Scenario, published?, stored name) of a built-in or stored scenario the caller may use."""
    from parklink.designate import BUILTIN_SCENARIOS, Scenario

    if name in BUILTIN_SCENARIOS:
        return BUILTIN_SCENARIOS[name], True, None
    row = _stored(session, name)
    if row is None or not (row.published or principal.is_office):
        raise ValidationError.single("request body", "unknown scenario (情景不存在): not built-in and not a "
                                     "stored designation scenario you may see", column=field, value=name)
    return Scenario.from_json(row.params_json, source=field).with_(name=name), bool(row.published), name


def _save_scenario(request: Request, office: Principal, name: str, scenario: Any, publish: bool) -> None:
    """Store (or replace) a designation scenario in its own committed transaction; audited."""
    with web_state(request).sessions() as s:
        row = s.get(m.Scenario, name)
        if row is not None and row.kind != "designation":
            raise ValidationError.single("request body", "name taken by a scenario of another kind (情景名已被占用)",
                                         column="save_as", value=name)
        text = scenario.to_json()
        if row is not None and row.params_json == text and bool(row.published) == publish:
            return  # unchanged: no write, the data version (cache key) stays
        before = None if row is None else {"name": row.name, "kind": row.kind,
                                           "params": json.loads(row.params_json), "published": bool(row.published)}
        if row is None:
            row = m.Scenario(name=name, kind="designation", params_json=text, published=publish)
            s.add(row)
        else:
            row.params_json, row.published = text, publish
        s.flush()
        registry.audit(s, office.username, "create" if before is None else "update", "scenarios", name, before,
                       {"name": name, "kind": "designation", "params": scenario.to_dict(), "published": publish})
        s.commit()


def _designation_result(res: Any) -> dict[str, Any]:
    plan = res.plan.sort_values(["designated", "year", "score"], ascending=[False, True, False])
    return {
        "status": "solved",
        "summary": res.summary(),
        "plan": _records(plan),
        "pairs": _records(res.pairs),
        "binding": _records(res.binding),
        "explanations": _records(res.explanations),
    }


def _infeasible(exc: InfeasibleError, scenario: Any) -> dict[str, Any]:
    from parklink.designate import group_label

    return {"status": "infeasible", "message": str(exc), "summary": {"scenario": scenario.name},
            "conflicts": [{"group": g, "label": group_label(g)} for g in exc.conflicts],
            "plan": [], "pairs": [], "binding": [], "explanations": []}


@router.post("/analyses/designation", response_model=JobRef, status_code=202,
             responses={200: {"model": JobRef, "description": "cached result"}, **JOB_ERRORS},
             summary="Run a designation scenario 示范园区认定情景")
def run_designation(body: DesignationRequest, request: Request, principal: PrincipalDep,
                    session: SessionDep) -> JSONResponse:
    """Solve the designation MILP (parklink.designate.designate_from_frames) for a scenario
    with changed constraints and scoring, optionally compared with another scenario
    (parklink.designate.compare) and saved. An infeasible scenario is a result naming the
    conflicting constraint groups. Built-in/published scenarios as they are: everybody;
    changes: logged-in park managers, enterprises and the office; saving: the office."""
    from parklink.designate import Scenario

    _check_csrf(request, principal)
    changes = body.constraints.model_dump(exclude_none=True)
    custom = bool(changes) or body.scoring.weights is not None
    if custom and principal.role not in ("programme_office", "park_manager", "enterprise"):
        if not principal.authenticated:
            raise HTTPException(401, "log in to change a scenario's constraints or weights (请先登录)",
                                headers={"WWW-Authenticate": "Bearer"})
        raise forbid("role public may run built-in and published scenarios only")
    if body.save_as is not None and not principal.is_office:
        if not principal.authenticated:
            raise HTTPException(401, "log in first (请先登录)", headers={"WWW-Authenticate": "Bearer"})
        raise forbid("saving scenarios is for the programme office (仅限示范园区办公室)")
    base, published, stored = _scenario(session, body.scenario, principal, "scenario")
    other = None
    other_published = True
    if body.compare_to is not None:
        other, other_published, _ = _scenario(session, body.compare_to, principal, "compare_to")
    problems = _criteria_problems(body.scoring.weights, "scoring.weights")
    problems += _unknown_parks(session, list(changes.get("forced_in", [])), "constraints.forced_in")
    problems += _unknown_parks(session, list(changes.get("forced_out", [])), "constraints.forced_out")
    if problems:
        raise ValidationError(problems)
    merged = base.to_dict()
    merged.update({k: ({str(y): n for y, n in v.items()} if k == "targets" else v) for k, v in changes.items()})
    if body.save_as is not None:
        merged["name"] = body.save_as
    elif changes:
        merged["name"] = f"{base.name} (已修改 modified)"
    try:
        scenario = Scenario.from_dict(merged, source="constraints")
    except ValidationError as exc:  # name the request fields
        raise ValidationError([Problem("request body", p.row, f"constraints.{p.column}" if p.column else "constraints",
                                       p.value, p.reason) for p in exc.problems]) from None
    if body.save_as is not None:
        _save_scenario(request, principal, body.save_as, scenario, body.publish)
    params: dict[str, Any] = {
        "scenario": scenario.to_dict(), "stored": body.save_as or (stored if not custom else None),
        "scoring": _scoring_params(body.scoring), "compare_to": None if other is None else other.to_dict(),
        "explain": body.explain, "runner_ups": body.runner_ups if body.explain else 0,
    }
    public = not custom and body.save_as is None and published and other_published
    url = web_state(request).database_url

    def compute(ctx: jobs.JobContext) -> dict[str, Any]:
        from parklink.designate import compare, compare_summary, designate_from_frames
        from parklink.evaluate import score_parks

        ctx.progress(0.05, "读取登记数据", "reading the registry")
        frames = _frames(url)
        ctx.progress(0.15, "园区评分", "scoring the parks")
        sc = params["scoring"]
        if sc["weighting"] == "given":
            scores = _evaluate(frames, frames["parks"], sc, draws=100, top_k=1, seed=20200611).scores()
        else:
            scores = score_parks(frames["parks"], regions=frames["regions"], zones=frames["zones"],
                                 transport_nodes=frames["transport_nodes"], enterprises=frames["enterprises"],
                                 method=sc["method"], weighting=sc["weighting"], designations=frames["designations"])
        kw: dict[str, Any] = {"zones": frames["zones"], "regions": frames["regions"], "designations": frames["designations"]}
        a_sc = Scenario.from_dict(params["scenario"])
        ctx.progress(0.35, "求解认定模型", "solving the designation model")
        a_res = None
        try:
            a_res = designate_from_frames(frames["parks"], scores, scenario=a_sc, explain=params["explain"],
                                          runner_ups=params["runner_ups"], **kw)
            out = _designation_result(a_res)
        except InfeasibleError as exc:
            out = _infeasible(exc, a_sc)
        out["scenario"] = a_sc.to_dict()
        out["scoring"] = sc
        out["compare"] = None
        if params["compare_to"] is not None:
            b_sc = Scenario.from_dict(params["compare_to"])
            ctx.progress(0.7, "求解对比情景", "solving the comparison scenario")
            try:
                b_res = designate_from_frames(frames["parks"], scores, scenario=b_sc, explain=False, **kw)
                b_out = _designation_result(b_res)
                if a_res is not None:
                    b_out["differences"] = _records(compare(a_res, b_res))
                    b_out["comparison"] = json.loads(json.dumps(compare_summary(a_res, b_res), default=str))
            except InfeasibleError as exc:
                b_out = _infeasible(exc, b_sc)
            b_out["scenario"] = b_sc.to_dict()
            out["compare"] = b_out
        return out

    return _submit(request, principal, "designation", params, compute, public=public)


# ---------------------------------------------------------------------------- chains
#: Tables of a chain diagnosis that aggregate firms (served to everybody); the others
#: (firm_lsr, evidence, targets, leader_*, dependencies, replacements) name firms.
AGGREGATE_TABLES = ("segments", "completeness", "lsr", "delta_lsr", "gaps", "flows")
FIRM_ID_COLUMNS = ("enterprise_id", "buyer_id", "supplier_id", "firm_id", "leader_id")


_SCOPES: dict[tuple[str, int], tuple[Any, pd.DataFrame]] = {}


def _scope_frames(session: Session) -> tuple[Any, pd.DataFrame]:
    """The chain engine's scope frames and template from the registry (kept per data version)."""
    from parklink.chains import ScopeFrames
    from parklink.store.io import read_frame
    from parklink.store.version import data_version

    key = (str(session.get_bind().engine.url), data_version(session))
    hit = _cached(_SCOPES, key)
    if hit is not None:
        return hit
    frames = {k: read_frame(session, k) for k in ("regions", "zones", "parks", "designations", "chain_segments")}
    return _remember(_SCOPES, key, (ScopeFrames.from_frames(frames), frames["chain_segments"]), 4)


@router.post("/analyses/chains", response_model=JobRef, status_code=202,
             responses={200: {"model": JobRef, "description": "cached result"}, **JOB_ERRORS},
             summary="Run a chain diagnosis 产业链诊断")
def run_chains(body: ChainsRequest, request: Request, principal: PrincipalDep, session: SessionDep) -> JSONResponse:
    """Diagnose the chains of one scope for a year (parklink.chains.diagnose) on the firm-level
    dataset. Everybody gets the aggregate tables (segments, completeness, LSR, ΔLSR, gaps,
    SC↔CQ flows); ``detail="firm"`` adds the firm-level tables (programme office only)."""
    from parklink.chains import resolve_scope
    from parklink.firmdata import FirmDataset
    from parklink.settings import get_settings

    _check_csrf(request, principal)
    if body.detail == "firm" and not principal.is_office:
        if not principal.authenticated:
            raise HTTPException(401, "log in first (请先登录)", headers={"WWW-Authenticate": "Bearer"})
        raise forbid("firm-level chain tables are for the programme office (企业级数据仅限示范园区办公室)")
    frames, _tpl = _scope_frames(session)
    try:
        scope = resolve_scope(body.scope, frames)
    except NotFoundError as exc:
        raise ValidationError.single("request body", str(exc), column="scope", value=body.scope) from None
    dataset = FirmDataset.default(get_settings())
    if not dataset.exists():
        raise NotFoundError("no firm-level dataset (企业数据不存在); run 'parklink db init --firms' or "
                            "'parklink generate'")
    params: dict[str, Any] = {"scope": scope.scope_id, "chain": body.chain, "year": body.year, "detail": body.detail}
    spec = body.scope if scope.scope_id in ("circle", "SC", "CQ") else scope.scope_id

    def compute(ctx: jobs.JobContext) -> dict[str, Any]:
        from parklink.chains import ChainData, diagnose

        ctx.progress(0.05, "读取登记数据", "reading the registry")
        sframes, tpl = _scope_frames(ctx.session)
        sc = resolve_scope(spec, sframes)
        ctx.progress(0.15, "打开企业数据", "opening the firm-level dataset")
        data = ChainData.from_dataset(dataset, template=tpl if tpl is not None and not tpl.empty else None)
        ctx.progress(0.3, "产业链诊断", "diagnosing the chains")
        res = diagnose(data, sc, chains=[params["chain"]] if params["chain"] else None, year=params["year"])
        tables = res.tables()
        names = list(tables) if params["detail"] == "firm" else list(AGGREGATE_TABLES)
        out_tables = {}
        for name in names:
            frame = tables[name]
            if params["detail"] != "firm":
                frame = frame.drop(columns=[c for c in FIRM_ID_COLUMNS if c in frame.columns])
            out_tables[name] = _records(frame)
        return {
            "year": res.year, "engine": res.engine, "synthetic": bool(res.synthetic), "detail": params["detail"],
            "chains": list(res.chains),
            "scopes": [{"scope_id": s.scope_id, "name_zh": s.name_zh, "name_en": s.name_en} for s in res.scopes],
            "summary": json.loads(json.dumps(res.summary(sc.scope_id), default=str)),
            "tables": out_tables,
        }

    return _submit(request, principal, "chains", params, compute, public=body.detail == "aggregate",
                   firm_version=dataset.version())


# ---------------------------------------------------------------------------- route
_NETWORKS: dict[tuple[str, int], Any] = {}


def _network(url: str, version: int) -> Any:
    """The logistics network of the registry at ``version`` (kept per process, last two versions)."""
    hit = _cached(_NETWORKS, (url, version))
    if hit is not None:
        return hit
    from parklink.datasets import chengyu
    from parklink.logistics.plan import network_from_frames

    frames = _frames(url)
    net = network_from_frames(regions=frames["regions"], parks=frames["parks"],
                              transport_nodes=frames["transport_nodes"], boundaries=chengyu.boundaries())
    return _remember(_NETWORKS, (url, version), net, 2)


@router.post("/analyses/route", response_model=JobRef, status_code=202,
             responses={200: {"model": JobRef, "description": "cached result"}, **JOB_ERRORS},
             summary="Find a multimodal route 多式联运路线")
def run_route(body: RouteRequest, request: Request, principal: PrincipalDep) -> JSONResponse:
    """Least generalised-cost route of one tonne of a cargo profile between two places (park
    id, hub id, adcode, IATA code or name) on the approximate multimodal network
    (parklink.logistics.routing.route). Everybody may run it."""
    _check_csrf(request, principal)
    params: dict[str, Any] = {"origin": body.origin.strip(), "destination": body.destination.strip(), "cargo": body.cargo}
    url = web_state(request).database_url

    def compute(ctx: jobs.JobContext) -> dict[str, Any]:
        from parklink.logistics.routing import route

        ctx.progress(0.1, "构建交通网络", "building the network")
        net = _network(url, ctx.data_version)
        ctx.progress(0.6, "求最短路径", "finding the route")
        r = route(net, params["origin"], params["destination"], cargo=params["cargo"])
        legs = r.legs.drop(columns=[c for c in ("geometry",) if c in r.legs.columns])
        return {"summary": r.summary(), "legs": _records(legs), "geojson": r.to_geojson()}

    return _submit(request, principal, "route", params, compute, public=True)


# ---------------------------------------------------------------------------- jobs
def _visible(info: jobs.JobInfo, principal: Principal, request: Request, session: Session) -> bool:
    """The programme office sees every job; others public jobs and their own."""
    if principal.is_office:
        return True
    if info.owner == _owner(principal, request) and principal.authenticated:
        return True
    if not info.public:
        return False
    stored = info.params.get("stored") if info.kind == "designation" else None
    if stored:  # a published scenario that was unpublished since
        row = _stored(session, str(stored))
        return row is not None and bool(row.published)
    return True


def _job_or_404(job_id: str, request: Request, principal: Principal, session: Session) -> jobs.JobInfo:
    info = jobs.runner_for(web_state(request).sessions).get(job_id)
    if info is None or not _visible(info, principal, request, session):
        raise NotFoundError(f"job {job_id!r} not found (任务不存在)")
    return info


@router.get("/jobs/{job_id}", response_model=JobOut, summary="Job status 任务状态")
def job_status(job_id: JobId, request: Request, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    """Status (queued, running, done, failed), progress 0–1 and a bilingual message."""
    info = _job_or_404(job_id, request, principal, session)
    return {**info.to_dict(), "result_url": f"/api/jobs/{job_id}/result"}


@router.get("/jobs/{job_id}/result", summary="Job result 任务结果",
            responses={409: {"model": ErrorBody, "description": "the job is not done (queued, running or failed)"}})
def job_result(job_id: JobId, request: Request, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    """The result of a finished job (JSON; its shape depends on the kind)."""
    info = _job_or_404(job_id, request, principal, session)
    try:
        value = jobs.runner_for(web_state(request).sessions).result(job_id)
    except jobs.JobNotReadyError as exc:
        raise HTTPException(409, f"{exc} (任务尚未完成或已失败)") from None
    return {"job_id": info.job_id, "kind": info.kind, "params": info.params, "result": value}
