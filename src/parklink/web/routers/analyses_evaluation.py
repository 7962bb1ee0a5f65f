"""Evaluation jobs: ``POST /api/analyses/evaluation`` (:func:`parklink.runs.evaluate`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from parklink.configs import MAX_DRAWS, EvaluationConfig
from parklink.errors import ValidationError
from parklink.vocab import ProvinceCode
from parklink.web import jobs
from parklink.web.deps import PrincipalDep, SessionDep
from parklink.web.routers.analyses_common import (
    JOB_ERRORS,
    MAX_IDS,
    JobRef,
    Key,
    Scoring,
    check_csrf,
    criteria_problems,
    job_inputs,
    records,
    submit,
    unknown_parks,
)
from parklink.web.routers.common import ERRORS

router = APIRouter(tags=["analyses 分析"], responses=ERRORS)
_DEFAULT = EvaluationConfig()


class EvaluationRequest(Scoring):
    """An evaluation run (:func:`parklink.runs.evaluate`); defaults are :class:`EvaluationConfig`."""

    parks: list[Key] | None = Field(default=None, max_length=MAX_IDS, description="evaluate only these park ids")
    province: ProvinceCode | None = Field(default=None, description="evaluate only the parks of a province")
    draws: int = Field(default=_DEFAULT.draws, ge=100, le=MAX_DRAWS, description="Monte Carlo weight draws")
    top_k: int = Field(default=_DEFAULT.top_k, ge=1, le=100, description="k of P(top k)")
    seed: int = Field(default=_DEFAULT.seed, ge=0, le=2**31 - 1)

    def evaluation_config(self) -> EvaluationConfig:
        """The :class:`EvaluationConfig` of this request."""
        return self.config(draws=self.draws, top_k=self.top_k, seed=self.seed,
                           parks=None if not self.parks else tuple(self.parks), province=self.province)


@router.post("/analyses/evaluation", response_model=JobRef, status_code=202,
             responses={200: {"model": JobRef, "description": "cached result"}, **JOB_ERRORS},
             summary="Run a park evaluation 园区评价")
def run_evaluation(body: EvaluationRequest, request: Request, principal: PrincipalDep,
                   session: SessionDep) -> JSONResponse:
    """Evaluate parks with an MCDA method and a named weighting or explicit weights
    (:func:`parklink.runs.evaluate`), with the robustness report and the inputs fingerprint.
    Everybody may run it; the result is public (published registry data only)."""
    check_csrf(request, principal)
    problems = criteria_problems(body.weights, "weights") + unknown_parks(session, body.parks or [], "parks")
    if problems:
        raise ValidationError(problems)
    config = body.evaluation_config()
    params: dict[str, Any] = config.to_dict()

    def compute(ctx: jobs.JobContext) -> dict[str, Any]:
        from parklink.evaluate import weights_table
        from parklink.runs import evaluate

        ctx.progress(0.05, "读取登记数据", "reading the registry")
        inputs = job_inputs(ctx)
        ctx.progress(0.2, "计算指标、权重与排名", "indicators, weights, ranking and robustness")
        run = evaluate(inputs, config)
        return {
            "summary": run.summary(),
            "fingerprint": run.fingerprint.to_dict(),
            "ranking": records(run.to_frame()),
            "weights": records(weights_table(run.evaluation)),
            "notes": list(run.evaluation.notes),
            "synthetic": bool(run.evaluation.synthetic),
        }

    return submit(request, principal, "evaluation", params, compute, public=True)
