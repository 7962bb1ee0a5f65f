"""Analyses as background jobs: evaluation, designation scenario, chain diagnosis, route.

Each ``POST /api/analyses/<kind>`` (one router per domain: :mod:`.analyses_evaluation`,
:mod:`.analyses_designation`, :mod:`.analyses_next`, :mod:`.analyses_chains`,
:mod:`.analyses_route`) validates
its request, builds the analysis configuration (:mod:`parklink.configs`) and submits a job
(:mod:`parklink.web.jobs`) whose compute function calls :mod:`parklink.runs` on the inputs
bundle of the one input path (:func:`parklink.web.park_analyses.web_inputs`). Every result
carries its inputs fingerprint. The answer is ``202 {job_id, status, status_url,
result_url}``, or ``200`` with the same body when a cached result exists.
``GET /api/jobs/{id}`` polls, ``GET /api/jobs/{id}/result`` reads the result.

Who may run what (enforced in the domain routers, documented in docs/web.md "Analyses and jobs"):

* everybody (anonymous included): evaluations, routes, chain diagnoses as aggregate tables,
  designation runs of built-in or published scenarios as they are;
* logged-in park managers and enterprises, in addition: designation what-ifs (changed
  constraints or explicit weights) and next-batch plans — their results are visible to them
  and the office only;
* the programme office: everything, including unpublished stored scenarios, firm-level
  chain tables (``detail="firm"``) and saving a run as a named scenario.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from sqlalchemy.orm import Session

from parklink.errors import NotFoundError
from parklink.web import jobs
from parklink.web.deps import Principal, PrincipalDep, SessionDep, web_state
from parklink.web.routers import (
    analyses_chains,
    analyses_designation,
    analyses_evaluation,
    analyses_next,
    analyses_route,
)
from parklink.web.routers.analyses_chains import AGGREGATE_TABLES, FIRM_ID_COLUMNS, ChainsRequest
from parklink.web.routers.analyses_common import JobOut, JobRef, Scoring, owner
from parklink.web.routers.analyses_designation import Constraints, DesignationRequest, _stored
from parklink.web.routers.analyses_evaluation import EvaluationRequest
from parklink.web.routers.analyses_route import RouteRequest
from parklink.web.routers.common import ERRORS
from parklink.web.schemas import ErrorBody

__all__ = [
    "AGGREGATE_TABLES", "FIRM_ID_COLUMNS", "ChainsRequest", "Constraints", "DesignationRequest", "EvaluationRequest",
    "JobOut", "JobRef", "RouteRequest", "Scoring", "router",
]

router = APIRouter(tags=["analyses 分析"], responses=ERRORS)
for _domain in (analyses_evaluation, analyses_designation, analyses_next, analyses_chains, analyses_route):
    router.include_router(_domain.router)

JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


# ---------------------------------------------------------------------------- jobs
def _visible(info: jobs.JobInfo, principal: Principal, request: Request, session: Session) -> bool:
    """The programme office sees every job; others public jobs and their own."""
    if principal.is_office:
        return True
    if info.owner == owner(principal, request) and principal.authenticated:
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
