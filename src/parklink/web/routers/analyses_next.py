"""Next-batch jobs: ``POST /api/analyses/next-batch``
(:func:`parklink.runs.next_batch`).

The real designations stay fixed history; the job proposes the next batch under the stated
rules (:class:`parklink.designate.nextbatch.NextBatchRules`) on the inputs bundle of the one
input path, with network travel times unless ``travel_time="geodesic"``. Who may run it: as
a designation what-if — logged-in park managers, enterprises and the programme office; the
result is visible to its owner and the office.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import Field, StrictBool

from parklink.configs import EvaluationConfig, config_hash, fingerprint
from parklink.designate.nextbatch import NextBatchRules
from parklink.errors import Problem, ValidationError
from parklink.vocab import AreaType, MethodName, ProvinceCode, TravelTimeSource, WeightingName
from parklink.web import jobs
from parklink.web.deps import PrincipalDep, SessionDep, forbid
from parklink.web.routers.analyses_common import (
    JOB_ERRORS,
    MAX_IDS,
    Body,
    JobRef,
    Key,
    check_csrf,
    jsonable,
    records,
    submit,
    unknown_parks,
)
from parklink.web.routers.common import ERRORS

router = APIRouter(tags=["analyses 分析"], responses=ERRORS)
_RULES = NextBatchRules()
_EVAL = EvaluationConfig()
FocalGroup = Literal["auto_moto", "electronics", "biomed"]
Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Cap = Annotated[int, Field(ge=0, le=10_000)]
PROPOSAL_COLUMNS = ("park_id", "name_zh", "name_en", "province", "score", "rank", "partner", "partner_hours",
                    "needed_by", "lift_zh", "lift_en", "reason_zh", "reason_en")
SWAP_COLUMNS = ("park_id", "best_left_out", "swap_delta")


class NextBatchRequest(Body):
    """A next-batch plan; defaults are those of :class:`NextBatchRules` and ``parklink designate next``."""

    year: int = Field(default=_RULES.year, ge=2000, le=2100, description="programme year of the batch")
    size: int | None = Field(default=None, ge=1, le=500,
                             description="new parks or designations (default: gap to the target, else the last batch)")
    count: Literal["parks", "designations"] = Field(default=_RULES.count,
                                                    description="unit of size and target (both are reported)")
    target: int | None = Field(default=None, ge=0, le=10_000,
                               description="cumulative target of the year in the count unit (default: targets table)")
    min_province_share: float = Field(default=_RULES.min_province_share, ge=0.0, le=0.5, allow_inf_nan=False)
    min_per_province: dict[ProvinceCode, Cap] = Field(default_factory=dict)
    require_pairing: StrictBool = _RULES.require_pairing
    pair_with_existing: StrictBool = _RULES.pair_with_existing
    max_pair_hours: float = Field(default=_RULES.max_pair_hours, gt=0.0, le=24.0, allow_inf_nan=False)
    area_type_min_share: dict[AreaType, Share] = Field(
        default_factory=lambda: dict(_RULES.area_type_min_share))  # type: ignore[arg-type]
    zone_coverage: StrictBool = _RULES.zone_coverage
    require_zones: list[Key] | None = Field(default=None, max_length=100,
                                            description="zone ids to represent (default: every zone with a candidate)")
    max_per_district: int | None = Field(default=None, ge=1, le=100)
    max_per_city: int | None = Field(default=None, ge=1, le=100)
    focal_chains: list[FocalGroup] = Field(default_factory=lambda: list(_RULES.focal_chains),  # type: ignore[arg-type]
                                           max_length=3)
    forced_in: list[Key] = Field(default_factory=list, max_length=MAX_IDS)
    forced_out: list[Key] = Field(default_factory=list, max_length=MAX_IDS)
    method: MethodName = _EVAL.method  # type: ignore[assignment]
    weighting: WeightingName = _EVAL.weighting  # type: ignore[assignment]
    travel_time: TravelTimeSource = Field(default=_EVAL.travel_time)  # type: ignore[arg-type]
    swaps: int = Field(default=5, ge=0, le=10, description="left-out parks tried per pick (0 = skip)")
    time_limit: float = Field(default=_RULES.time_limit, ge=1.0, le=60.0, allow_inf_nan=False,
                              description="HiGHS time limit (s)")

    def rules(self) -> NextBatchRules:
        """The :class:`NextBatchRules` of this request (problems named by request field)."""
        try:
            return NextBatchRules(
                year=self.year, size=self.size, count=self.count, target=self.target,
                min_province_share=self.min_province_share, min_per_province={str(k): v for k, v in self.min_per_province.items()},
                require_pairing=self.require_pairing, pair_with_existing=self.pair_with_existing,
                max_pair_hours=self.max_pair_hours, area_type_min_share={str(k): v for k, v in self.area_type_min_share.items()},
                zone_coverage=self.zone_coverage,
                require_zones=None if self.require_zones is None else tuple(dict.fromkeys(self.require_zones)),
                max_per_district=self.max_per_district, max_per_city=self.max_per_city,
                focal_chains=tuple(dict.fromkeys(self.focal_chains)), forced_in=tuple(dict.fromkeys(self.forced_in)),
                forced_out=tuple(dict.fromkeys(self.forced_out)), time_limit=self.time_limit,
            )
        except ValidationError as exc:
            raise ValidationError([Problem("request body", p.row, p.column, p.value, p.reason)
                                   for p in exc.problems]) from None


@dataclass(frozen=True)
class NextBatchConfig:
    """The configuration of one next-batch job (its hash is part of the fingerprint)."""

    params: tuple[tuple[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        """The request's parameters, JSON-ready."""
        return dict(self.params)

    def hash(self) -> str:
        """The configuration hash (:func:`parklink.configs.config_hash`)."""
        return config_hash("next_batch", self)


def _infeasible(exc: Any, rules: NextBatchRules) -> dict[str, Any]:
    """The result of an impossible request: the message and the smallest relaxation."""
    from parklink.designate.nextbatch import next_group_label

    relaxation = getattr(exc, "relaxation", None)
    return {"status": "infeasible", "message": str(exc), "summary": {"year": rules.year, "count": rules.count},
            "conflicts": [{"group": g, "label": next_group_label(g)} for g in exc.conflicts],
            "relaxation": records(relaxation), "proposal": [], "swaps": [], "counts": []}


@router.post("/analyses/next-batch", response_model=JobRef, status_code=202,
             responses={200: {"model": JobRef, "description": "cached result"}, **JOB_ERRORS},
             summary="Plan the next batch 下一批示范园区")
def run_next_batch(body: NextBatchRequest, request: Request, principal: PrincipalDep,
                   session: SessionDep) -> JSONResponse:
    """Propose the next batch of parks (parklink.runs.next_batch):
    real designations stay fixed, the batch is chosen under the stated rules; each proposed
    park has a reason in zh and en and its best swap; counts in both units (parks,
    designations). An impossible request is a result with ``status: infeasible`` and the
    smallest relaxation. Logged-in park managers, enterprises and the programme office."""
    check_csrf(request, principal)
    if principal.role not in ("programme_office", "park_manager", "enterprise"):
        if not principal.authenticated:
            raise HTTPException(401, "log in to plan the next batch (请先登录)",
                                headers={"WWW-Authenticate": "Bearer"})
        raise forbid("role public may not plan the next batch (下一批方案仅限园区、企业与办公室用户)")
    rules = body.rules()
    problems = unknown_parks(session, list(rules.forced_in), "forced_in")
    problems += unknown_parks(session, list(rules.forced_out), "forced_out")
    if problems:
        raise ValidationError(problems)
    params: dict[str, Any] = jsonable(body.model_dump())
    config = NextBatchConfig(tuple(sorted(params.items())))
    method, weighting, source, swaps = body.method, body.weighting, body.travel_time, body.swaps

    def compute(ctx: jobs.JobContext) -> dict[str, Any]:
        from parklink.configs import EvaluationConfig
        from parklink.designate.nextbatch import NextBatchInfeasibleError
        from parklink.errors import InfeasibleError
        from parklink.runs import next_batch
        from parklink.web.routers.analyses_common import job_inputs

        ctx.progress(0.05, "读取登记数据", "reading the registry")
        inputs = job_inputs(ctx)
        fp = fingerprint(inputs, config)
        ctx.progress(0.2, "评分并求解下一批模型", "scoring and solving the next-batch model")
        try:
            scoring = EvaluationConfig(method=method, weighting=weighting, travel_time=source)
            res = next_batch(inputs, rules, scoring, explain=swaps > 0, swaps=swaps)
        except NextBatchInfeasibleError as exc:
            out = _infeasible(exc, rules)
        except InfeasibleError as exc:  # no solution within the time limit: no relaxation computed
            out = _infeasible(exc, rules)
        else:
            proposal = res.proposal
            out = {
                "status": "solved",
                "summary": jsonable({**res.summary(), "size_basis": res.size_basis}),
                "proposal": records(proposal[[c for c in PROPOSAL_COLUMNS if c in proposal.columns]]
                                    .assign(year=rules.year)),
                "swaps": records(proposal[[c for c in SWAP_COLUMNS if c in proposal.columns]]),
                "counts": records(res.counts),
                "history": records(res.history),
                "relaxation": [],
            }
        out["fingerprint"] = fp.to_dict()
        out["source"] = inputs.source
        return out

    return submit(request, principal, "next_batch", params, compute, public=False)
