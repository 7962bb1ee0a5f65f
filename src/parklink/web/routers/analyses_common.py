"""What the analysis routers share: request bases, job references, submission, access helpers.

The request models are built from the analysis configurations of :mod:`parklink.configs`
(defaults) and the enumerations of :mod:`parklink.vocab` (``Literal`` types whose tuples
the CLI validates against), so an API request with no options is the configuration of the
CLI, the pages and ``parklink plan``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from parklink.configs import EvaluationConfig
from parklink.errors import Problem
from parklink.inputs import Inputs
from parklink.store import models as m
from parklink.vocab import MethodName, TravelTimeSource, WeightingName
from parklink.web import jobs
from parklink.web.deps import Principal, web_state
from parklink.web.deps import check_csrf as check_csrf
from parklink.web.schemas import ErrorBody

Key = Annotated[str, StringConstraints(min_length=1, max_length=80)]
CriterionKey = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]
Weight = Annotated[float, Field(ge=0.0, le=1000.0, allow_inf_nan=False)]
MAX_IDS = 500
_DEFAULT = EvaluationConfig()

JOB_ERRORS: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorBody, "description": "too many analyses of this caller in progress"},
    503: {"model": ErrorBody, "description": "the analysis queue is full"},
}


class Body(BaseModel):
    """A request body: unknown fields are rejected."""

    model_config = ConfigDict(extra="forbid")


class Scoring(Body):
    """How parks are scored: MCDA method, a named weighting or explicit weights, and the
    travel-time source of the location indicators (defaults: :class:`EvaluationConfig`)."""

    method: MethodName = _DEFAULT.method  # type: ignore[assignment]
    weighting: WeightingName = _DEFAULT.weighting  # type: ignore[assignment]
    weights: dict[CriterionKey, Weight] | None = Field(
        default=None, max_length=40,
        description="explicit weight per criterion key (normalised; criteria not listed get 0); "
                    "replaces `weighting`")
    travel_time: TravelTimeSource = Field(
        default=_DEFAULT.travel_time,  # type: ignore[arg-type]
        description="network: multimodal network incl. imported links; geodesic: straight line × 1.3 at 60 km/h")

    def config(self, **kw: Any) -> EvaluationConfig:
        """The :class:`EvaluationConfig` of this scoring (plus ``kw``)."""
        weights = None if self.weights is None else tuple(self.weights.items())
        return EvaluationConfig(method=self.method, weighting=self.weighting, weights=weights,
                                travel_time=self.travel_time, **kw)


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


def plain(value: Any) -> Any:
    """``value`` as plain JSON: NaN/NA/NaT → null, numpy scalars → Python numbers at full
    precision, dates → ISO text, containers recursively."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dt.date | dt.datetime | pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):
        return plain(value.item())
    return value


def records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """JSON records of ``frame`` at full float precision (NaN/NA → null, numpy scalars →
    numbers, dates → ISO): the numbers of the API equal those of the CLI's JSON files."""
    if frame is None or frame.empty:
        return []
    return [{str(k): plain(v) for k, v in rec.items()} for rec in frame.to_dict("records")]


def jsonable(value: Any) -> Any:
    """``value`` through JSON (numpy scalars, dates → plain JSON)."""
    return json.loads(json.dumps(value, default=str))


def owner(principal: Principal, request: Request) -> str:
    """The job owner: the user name, or ``anonymous@<client host>``."""
    if principal.authenticated:
        return principal.username
    host = request.client.host if request.client else "unknown"
    return f"anonymous@{host}"[:80]


def ref(info: jobs.JobInfo) -> dict[str, Any]:
    """The :class:`JobRef` body of a job."""
    return {
        "job_id": info.job_id, "kind": info.kind, "status": info.status, "progress": info.progress,
        "message": info.message, "cached": info.cached, "status_url": f"/api/jobs/{info.job_id}",
        "result_url": f"/api/jobs/{info.job_id}/result",
    }


def firm_version() -> str:
    """The fingerprint of the configured firm dataset (part of every job's cache key)."""
    from parklink.firmdata import FirmDataset

    return FirmDataset.default().version()


def submit(request: Request, principal: Principal, kind: str, params: dict[str, Any], compute: jobs.Compute,
           *, public: bool) -> JSONResponse:
    """Submit (or find cached) a job; ``202`` + :class:`JobRef`, ``200`` when cached."""
    state = web_state(request)
    try:
        info = jobs.runner_for(state.sessions).submit(
            kind, params, compute, owner=owner(principal, request), public=public, firm_version=firm_version(),
            see_all=principal.is_office, per_owner=4 if principal.is_office else 2,
        )
    except jobs.TooManyJobsError as exc:
        raise HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
    except jobs.QueueFullError as exc:
        raise HTTPException(503, str(exc), headers={"Retry-After": str(exc.retry_after)}) from None
    return JSONResponse(ref(info), status_code=200 if info.cached else 202)


def job_inputs(ctx: jobs.JobContext) -> Inputs:
    """The inputs bundle a job computes on (the pages' cached bundle of the same version)."""
    from parklink.web.park_analyses import web_inputs

    return web_inputs(ctx.session)


def unknown_parks(session: Session, ids: list[str], field: str) -> list[Problem]:
    """Problems naming ids of ``ids`` that are not parks of the registry."""
    if not ids:
        return []
    known = set(session.scalars(select(m.Park.park_id).where(m.Park.park_id.in_(ids))))
    return [Problem("request body", None, field, p, "unknown park id (园区不存在)") for p in ids if p not in known]


def criteria_problems(weights: Mapping[str, float] | None, field: str) -> list[Problem]:
    """Problems with explicit weights: unknown criterion keys, or no positive weight."""
    if weights is None:
        return []
    from parklink.evaluate import DEFAULT_INDICATORS

    keys = {c.key for c in DEFAULT_INDICATORS}
    out = [Problem("request body", None, f"{field}.{k}", k, f"unknown criterion; expected one of {', '.join(sorted(keys))}")
           for k in weights if k not in keys]
    if not out and sum(weights.values()) <= 0:
        out.append(Problem("request body", None, field, None, "at least one weight must be positive"))
    return out
