"""Analysis pages: the designation planner (``/planner``).

The page opens with the next-batch panel (下一批): a small form that ``static/planner.js``
submits to ``POST /api/analyses/next-batch``; it draws the proposed parks with their
reasons, or the smallest relaxation when the rules conflict. Below it, the scenario planner
is a form (scoring method and weights, constraints, scenario to start from and to
compare with); ``static/planner.js`` submits it to ``POST /api/analyses/designation``,
follows the job's progress at ``/api/jobs/{id}`` and draws the result tables. Nothing is
computed here.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from parklink.store import models as m
from parklink.vocab import (
    AREA_TYPE_NAMES,
    INDICATOR_GROUP_NAMES,
    METHOD_NAMES,
    PROVINCE_NAMES,
    WEIGHTING_NAMES,
)
from parklink.web.deps import SessionDep
from parklink.web.rendering import page_principal as _principal
from parklink.web.rendering import render

router = APIRouter(include_in_schema=False)

GROUP_NAMES = INDICATOR_GROUP_NAMES
MAX_PARK_HINTS = 1000


@router.get("/planner", response_class=HTMLResponse)
def planner_page(request: Request, session: SessionDep) -> HTMLResponse:
    """Designation planner: the next batch first, then weights and constraints, run, progress, results, comparison."""
    from parklink.designate import BUILTIN_SCENARIOS
    from parklink.designate.nextbatch import NextBatchRules
    from parklink.evaluate import DEFAULT_INDICATORS

    principal = _principal(request, session)
    stmt = select(m.Scenario.name, m.Scenario.published, m.Scenario.params_json).where(
        m.Scenario.kind == "designation").order_by(m.Scenario.name)
    if not principal.is_office:
        stmt = stmt.where(m.Scenario.published.is_(True))
    scenarios: list[dict[str, Any]] = [
        {"name": n, "builtin": True, "published": True, "description": s.description, "params": s.to_dict()}
        for n, s in BUILTIN_SCENARIOS.items()
    ]
    for name, published, params_json in session.execute(stmt):
        if name in BUILTIN_SCENARIOS:
            continue
        try:
            params = json.loads(params_json)
        except ValueError:
            continue
        scenarios.append({"name": name, "builtin": False, "published": bool(published),
                          "description": str(params.get("description", "")), "params": params})
    parks = session.execute(select(m.Park.park_id, m.Park.name_zh, m.Park.name_en).order_by(m.Park.park_id)
                            .limit(MAX_PARK_HINTS)).all()
    default = BUILTIN_SCENARIOS["programme"]
    return render(request, "planner.html", {
        "scenarios": scenarios,
        "scenarios_json": json.dumps({s["name"]: s["params"] for s in scenarios}, ensure_ascii=False).replace("<", "\\u003c"),
        "criteria": [{"key": c.key, "name_zh": c.name_zh, "name_en": c.name_en, "group": c.group, "unit": c.unit}
                     for c in DEFAULT_INDICATORS],
        "group_names": GROUP_NAMES, "methods": METHOD_NAMES, "weightings": WEIGHTING_NAMES,
        "provinces": PROVINCE_NAMES, "area_types": AREA_TYPE_NAMES, "parks": parks, "default": default.to_dict(),
        "can_change": principal.role in ("programme_office", "park_manager", "enterprise"),
        "can_save": principal.is_office, "next_default": NextBatchRules(),
    }, principal=principal)
