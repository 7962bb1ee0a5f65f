"""Chain-diagnosis jobs: ``POST /api/analyses/chains`` (:func:`parklink.runs.diagnose_chains`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from parklink.configs import ChainsConfig
from parklink.errors import NotFoundError, ValidationError
from parklink.vocab import ChainDetail, ChainName
from parklink.web import jobs
from parklink.web.deps import PrincipalDep, SessionDep, forbid
from parklink.web.routers.analyses_common import (
    JOB_ERRORS,
    Body,
    JobRef,
    Key,
    check_csrf,
    job_inputs,
    jsonable,
    records,
    submit,
)
from parklink.web.routers.common import ERRORS

router = APIRouter(tags=["analyses 分析"], responses=ERRORS)

#: Tables of a chain diagnosis that aggregate firms (served to everybody); the others
#: (firm_lsr, evidence, targets, leader_*, dependencies, replacements) name firms.
AGGREGATE_TABLES = ("segments", "completeness", "lsr", "delta_lsr", "gaps", "flows")
FIRM_ID_COLUMNS = ("enterprise_id", "buyer_id", "supplier_id", "firm_id", "leader_id")


class ChainsRequest(Body):
    """A chain diagnosis of one scope (:func:`parklink.runs.diagnose_chains`) on the firm-level dataset."""

    scope: Key = Field(description="circle, SC, CQ, park:ID, designation:ID, zone:ID, city:ADCODE or a name")
    chain: ChainName | None = None
    year: int | None = Field(default=None, ge=1990, le=2100)
    detail: ChainDetail = Field(
        default="aggregate", description="aggregate tables (everybody) or also firm-level tables (office)")


@router.post("/analyses/chains", response_model=JobRef, status_code=202,
             responses={200: {"model": JobRef, "description": "cached result"}, **JOB_ERRORS},
             summary="Run a chain diagnosis 产业链诊断")
def run_chains(body: ChainsRequest, request: Request, principal: PrincipalDep, session: SessionDep) -> JSONResponse:
    """Diagnose the chains of one scope for a year (:func:`parklink.runs.diagnose_chains`) on the
    firm-level dataset. Everybody gets the aggregate tables (segments, completeness, LSR, ΔLSR,
    gaps, SC↔CQ flows); ``detail="firm"`` adds the firm-level tables (programme office only)."""
    from parklink.chains import resolve_scope
    from parklink.web.park_analyses import web_inputs

    check_csrf(request, principal)
    if body.detail == "firm" and not principal.is_office:
        if not principal.authenticated:
            raise HTTPException(401, "log in first (请先登录)", headers={"WWW-Authenticate": "Bearer"})
        raise forbid("firm-level chain tables are for the programme office (企业级数据仅限示范园区办公室)")
    inputs = web_inputs(session)
    try:
        scope = resolve_scope(body.scope, inputs.scope_frames())
    except NotFoundError as exc:
        raise ValidationError.single("request body", str(exc), column="scope", value=body.scope) from None
    inputs.require_firms()
    config = ChainsConfig(scope=scope.scope_id, chain=body.chain, year=body.year)
    params: dict[str, Any] = {**config.to_dict(), "detail": body.detail}

    def compute(ctx: jobs.JobContext) -> dict[str, Any]:
        from parklink.runs import diagnose_chains
        from parklink.web.park_analyses import diagnosis_view

        ctx.progress(0.05, "读取登记数据", "reading the registry")
        bundle = job_inputs(ctx)
        ctx.progress(0.3, "产业链诊断", "diagnosing the chains")
        run = diagnose_chains(bundle, config)
        res = run.diagnosis
        tables = res.tables()
        names = list(tables) if params["detail"] == "firm" else list(AGGREGATE_TABLES)
        out_tables = {}
        for name in names:
            frame = tables[name]
            if params["detail"] != "firm":
                frame = frame.drop(columns=[c for c in FIRM_ID_COLUMNS if c in frame.columns])
            out_tables[name] = records(frame)
        return {
            "year": res.year, "engine": res.engine, "synthetic": bool(res.synthetic), "detail": params["detail"],
            "chains": list(res.chains),
            "scopes": [{"scope_id": s.scope_id, "name_zh": s.name_zh, "name_en": s.name_en} for s in res.scopes],
            "summary": jsonable(run.summary()),
            "fingerprint": run.fingerprint.to_dict(),
            "tables": out_tables,
            "view": diagnosis_view(run, chain=config.chain, targets=params["detail"] == "firm"),
        }

    return submit(request, principal, "chains", params, compute, public=body.detail == "aggregate")
