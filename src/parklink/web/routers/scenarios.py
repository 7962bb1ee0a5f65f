"""Scenarios: named parameter sets of analyses; the public sees only published ones."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path
from sqlalchemy import select

from parklink.errors import NotFoundError, ValidationError
from parklink.store import models as m
from parklink.web import registry
from parklink.web.deps import OfficeDep, PrincipalDep, SessionDep
from parklink.web.routers.common import ERRORS
from parklink.web.schemas import ScenarioIn, ScenarioOut, ScenarioUpdate

router = APIRouter(prefix="/scenarios", tags=["scenarios 情景"], responses=ERRORS)
Name = Annotated[str, Path(max_length=80)]


def _out(s: m.Scenario) -> dict[str, Any]:
    return {"name": s.name, "kind": s.kind, "params": json.loads(s.params_json), "published": bool(s.published),
            "created_at": s.created_at}


@router.get("", response_model=list[ScenarioOut], summary="List scenarios 情景列表")
def list_scenarios(principal: PrincipalDep, session: SessionDep) -> list[dict[str, Any]]:
    """Scenarios: all for the programme office, published ones for everybody else."""
    stmt = select(m.Scenario).order_by(m.Scenario.name)
    if not principal.is_office:
        stmt = stmt.where(m.Scenario.published.is_(True))
    return [_out(s) for s in session.scalars(stmt)]


@router.get("/{name}", response_model=ScenarioOut, summary="One scenario 情景详情")
def get_scenario(name: Name, principal: PrincipalDep, session: SessionDep) -> dict[str, Any]:
    """A scenario; unpublished ones exist only for the programme office (404 for others)."""
    s = session.get(m.Scenario, name)
    if s is None or (not s.published and not principal.is_office):
        raise NotFoundError(f"scenario {name!r} not found (情景不存在)")
    return _out(s)


@router.post("", response_model=ScenarioOut, status_code=201, summary="Save a scenario 保存情景")
def create_scenario(body: ScenarioIn, office: OfficeDep, session: SessionDep) -> dict[str, Any]:
    """Store a scenario (programme office); audited."""
    if session.get(m.Scenario, body.name) is not None:
        raise ValidationError.single("request body", "scenario name already taken (情景名已存在)", row=2,
                                     column="name", value=body.name)
    s = m.Scenario(name=body.name, kind=body.kind, params_json=json.dumps(body.params, ensure_ascii=False),
                   published=body.published)
    session.add(s)
    session.flush()
    session.refresh(s)
    out = _out(s)
    registry.audit(session, office.username, "create", "scenarios", s.name, None, out)
    return out


@router.patch("/{name}", response_model=ScenarioOut, summary="Update/publish a scenario 修改/发布情景")
def update_scenario(name: Name, body: ScenarioUpdate, office: OfficeDep, session: SessionDep) -> dict[str, Any]:
    """Change a scenario's parameters or publish it (programme office); audited."""
    s = session.get(m.Scenario, name)
    if s is None:
        raise NotFoundError(f"scenario {name!r} not found (情景不存在)")
    before = _out(s)
    if body.params is not None:
        s.params_json = json.dumps(body.params, ensure_ascii=False)
    if body.published is not None:
        s.published = body.published
    session.flush()
    out = _out(s)
    registry.audit(session, office.username, "update", "scenarios", name, before, out)
    return out
