"""Designation jobs: ``POST /api/analyses/designation`` (:func:`parklink.runs.designate`).

Built-in or published scenarios as they are: everybody; changed constraints or explicit
weights: logged-in park managers, enterprises and the office; saving a scenario: the office.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import Field, StrictBool, StringConstraints
from sqlalchemy.orm import Session

from parklink.configs import DesignationConfig
from parklink.errors import InfeasibleError, Problem, ValidationError
from parklink.store import models as m
from parklink.vocab import AreaType, ProvinceCode
from parklink.web import jobs, registry
from parklink.web.deps import Principal, PrincipalDep, SessionDep, forbid, web_state
from parklink.web.routers.analyses_common import (
    JOB_ERRORS,
    MAX_IDS,
    Body,
    JobRef,
    Key,
    Scoring,
    check_csrf,
    criteria_problems,
    job_inputs,
    jsonable,
    records,
    submit,
    unknown_parks,
)
from parklink.web.routers.common import ERRORS

router = APIRouter(tags=["analyses 分析"], responses=ERRORS)
ScenarioName = Annotated[str, StringConstraints(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$")]
_DEFAULT = DesignationConfig()


class Constraints(Body):
    """Changes to a designation scenario (omitted fields keep the scenario's values)."""

    targets: dict[Annotated[int, Field(ge=2000, le=2100)], Annotated[int, Field(ge=0, le=10_000)]] | None = Field(
        default=None, max_length=20, description="target year → cumulative number of designated parks")
    min_province_share: float | None = Field(default=None, ge=0.0, le=0.5, allow_inf_nan=False)
    min_per_province: dict[ProvinceCode, Annotated[int, Field(ge=0, le=10_000)]] | None = None
    area_type_min_share: dict[AreaType,
                              Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]] | None = None
    require_pairing: StrictBool | None = None
    max_pair_hours: float | None = Field(default=None, gt=0.0, le=24.0, allow_inf_nan=False)
    max_partners: int | None = Field(default=None, ge=1, le=10)
    synergy_weight: float | None = Field(default=None, ge=0.0, le=10.0, allow_inf_nan=False)
    forced_in: list[Key] | None = Field(default=None, max_length=MAX_IDS)
    forced_out: list[Key] | None = Field(default=None, max_length=MAX_IDS)
    fix_existing: StrictBool | None = None
    time_limit: float | None = Field(default=None, ge=1.0, le=60.0, allow_inf_nan=False,
                                     description="HiGHS time limit (s)")
    mip_gap: float | None = Field(default=None, ge=0.0, le=0.5, allow_inf_nan=False)


class DesignationRequest(Body):
    """A designation run (parklink.designate.designate_from_frames), optionally compared and saved."""

    scenario: ScenarioName = Field(default="programme", description="built-in or stored scenario to start from")
    constraints: Constraints = Field(default_factory=Constraints)
    scoring: Scoring = Field(default_factory=Scoring)
    compare_to: ScenarioName | None = Field(default=None, description="also run this scenario and compare")
    explain: StrictBool = Field(default=_DEFAULT.explain,
                          description="re-solve designated parks and runner-ups forced out / in")
    runner_ups: int = Field(default=_DEFAULT.runner_ups, ge=0, le=10)
    save_as: ScenarioName | None = Field(default=None, description="store the scenario under this name (office)")
    publish: StrictBool = Field(default=False, description="publish the saved scenario (office)")


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


def _designation_result(run: Any) -> dict[str, Any]:
    res = run.result
    plan = res.plan.sort_values(["designated", "year", "score"], ascending=[False, True, False])
    return {
        "status": "solved",
        "summary": jsonable(run.summary()),
        "fingerprint": run.fingerprint.to_dict(),
        "designated": run.designated(),
        "plan": records(plan),
        "pairs": records(res.pairs),
        "binding": records(res.binding),
        "explanations": records(res.explanations),
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

    check_csrf(request, principal)
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
    problems = criteria_problems(body.scoring.weights, "scoring.weights")
    problems += unknown_parks(session, list(changes.get("forced_in", [])), "constraints.forced_in")
    problems += unknown_parks(session, list(changes.get("forced_out", [])), "constraints.forced_out")
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
    scoring = body.scoring.config()
    config = DesignationConfig.from_scenario(scenario, scoring=scoring, explain=body.explain,
                                             runner_ups=body.runner_ups if body.explain else 0)
    other_config = None if other is None else DesignationConfig.from_scenario(other, scoring=scoring, explain=False)
    params: dict[str, Any] = {
        **config.to_dict(), "stored": body.save_as or (stored if not custom else None),
        "compare_to": None if other is None else other.to_dict(),
    }
    public = not custom and body.save_as is None and published and other_published
    def compute(ctx: jobs.JobContext) -> dict[str, Any]:
        from parklink.designate import compare, compare_summary
        from parklink.runs import designate, park_scores

        ctx.progress(0.05, "读取登记数据", "reading the registry")
        inputs = job_inputs(ctx)
        ctx.progress(0.15, "园区评分", "scoring the parks")
        scored = park_scores(inputs, scoring)
        ctx.progress(0.35, "求解认定模型", "solving the designation model")
        a_run = None
        try:
            a_run = designate(inputs, config, scores=scored)
            out = _designation_result(a_run)
        except InfeasibleError as exc:
            out = _infeasible(exc, config.scenario_object())
        out["scenario"] = config.scenario_object().to_dict()
        out["scoring"] = scoring.scoring.to_dict()
        out["compare"] = None
        if other_config is not None:
            ctx.progress(0.7, "求解对比情景", "solving the comparison scenario")
            try:
                b_run = designate(inputs, other_config, scores=scored)
                b_out = _designation_result(b_run)
                if a_run is not None:
                    b_out["differences"] = records(compare(a_run.result, b_run.result))
                    b_out["comparison"] = jsonable(compare_summary(a_run.result, b_run.result))
            except InfeasibleError as exc:
                b_out = _infeasible(exc, other_config.scenario_object())
            b_out["scenario"] = other_config.scenario_object().to_dict()
            out["compare"] = b_out
        return out

    return submit(request, principal, "designation", params, compute, public=public)
