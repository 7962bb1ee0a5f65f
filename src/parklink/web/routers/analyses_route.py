"""Route jobs: ``POST /api/analyses/route`` (:func:`parklink.runs.find_route`)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from parklink.configs import RouteConfig
from parklink.vocab import CargoName
from parklink.web import jobs
from parklink.web.deps import PrincipalDep
from parklink.web.routers.analyses_common import (
    JOB_ERRORS,
    Body,
    JobRef,
    Key,
    check_csrf,
    job_inputs,
    records,
    submit,
)
from parklink.web.routers.common import ERRORS

router = APIRouter(tags=["analyses 分析"], responses=ERRORS)


class RouteRequest(Body):
    """A least generalised-cost route (:func:`parklink.runs.find_route`)."""

    origin: Key
    destination: Key
    cargo: CargoName = "container"


@router.post("/analyses/route", response_model=JobRef, status_code=202,
             responses={200: {"model": JobRef, "description": "cached result"}, **JOB_ERRORS},
             summary="Find a multimodal route 多式联运路线")
def run_route(body: RouteRequest, request: Request, principal: PrincipalDep) -> JSONResponse:
    """Least generalised-cost route of one tonne of a cargo profile between two places (park
    id, hub id, adcode, IATA code or name) on the multimodal network of the registry —
    the approximate network with the imported transport links replacing the modes they
    cover (:func:`parklink.runs.find_route`). Everybody may run it."""
    check_csrf(request, principal)
    config = RouteConfig(body.origin, body.destination, body.cargo)
    params: dict[str, Any] = config.to_dict()

    def compute(ctx: jobs.JobContext) -> dict[str, Any]:
        from parklink.runs import find_route

        ctx.progress(0.1, "构建交通网络", "building the network")
        inputs = job_inputs(ctx)
        ctx.progress(0.6, "求最短路径", "finding the route")
        run = find_route(inputs, config)
        r = run.route
        legs = r.legs.drop(columns=[c for c in ("geometry",) if c in r.legs.columns])
        return {"summary": run.summary(), "fingerprint": run.fingerprint.to_dict(), "legs": records(legs),
                "geojson": r.to_geojson()}

    return submit(request, principal, "route", params, compute, public=True)
