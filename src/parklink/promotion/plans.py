"""Promotion plans, their target lists from the chain engine, and gap → lead in one step.

A plan's target list starts as the chain engine's ranked investment targets for the plan's
scope (:func:`engine_targets`: :func:`parklink.runs.diagnose_chains` on the inputs bundle,
``ChainDiagnosis.targets``), each row keeping the recommendation it came from — rank, score,
reason and the ranking **model version** (:func:`ranking_model_version`). Officers add
targets by hand (``added``) or drop them with a reason (``dropped``); nothing is deleted.
:func:`lead_from_target` turns a target into a lead with that provenance copied onto the
project (``rec_*`` columns), which is what conversion tracking counts
(:func:`parklink.promotion.pipeline.conversion`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from parklink.errors import NotFoundError, ValidationError
from parklink.promotion.pipeline import conversion, plan_progress
from parklink.promotion.records import insert_records, read_record, update_fields, validate_records
from parklink.store import history as h

if TYPE_CHECKING:
    from parklink.inputs import Inputs

__all__ = [
    "TARGET_COLUMNS",
    "add_target",
    "create_plan",
    "drop_target",
    "engine_targets",
    "get_plan",
    "lead_from_target",
    "list_plans",
    "plan_scope_specs",
    "ranking_model_version",
    "update_plan",
]

TARGET_COLUMNS = ("segment_id", "enterprise_id", "enterprise_name", "province", "rank", "score", "reason",
                  "model_version", "scope_id")


def ranking_model_version(weights: Any = None) -> str:
    """The version label of the target ranking: ``chains.targets/<8 hex>`` from the target
    weights (:class:`parklink.chains.rules.TargetWeights`; default weights when None), so a
    change of weights is a new model version in conversion tracking."""
    from parklink.chains.rules import TargetWeights

    w = weights if weights is not None else TargetWeights()
    digest = hashlib.sha256(json.dumps(asdict(w), sort_keys=True).encode()).hexdigest()[:8]
    return f"chains.targets/{digest}"


def plan_scope_specs(scope_kind: str, scope_id: str) -> list[str]:
    """The chain-engine scope specs of a plan owner (a park pair gives both parks)."""
    if scope_kind == "park_pair":
        parts = [p.strip() for p in scope_id.split("+") if p.strip()]
        if len(parts) != 2:
            raise ValidationError.single("scope_id", "a park pair is 'PARK_A+PARK_B' (结对园区格式)", value=scope_id)
        return [f"park:{p}" for p in parts]
    if scope_kind not in ("designation", "park", "zone"):
        raise ValidationError.single("scope_kind", "expected designation, park_pair, park or zone", value=scope_kind)
    return [f"{scope_kind}:{scope_id}"]


def engine_targets(inputs: Inputs, scope_kind: str, scope_id: str, *, chains: Sequence[str] | None = None,
                   top_n: int = 5, year: int | None = None) -> pd.DataFrame:
    """The chain engine's ranked investment targets for a plan owner: every gap of the
    scope (of ``chains``; all when None) with its ``top_n`` best-ranked external suppliers.
    Columns :data:`TARGET_COLUMNS`; a park pair merges both parks' lists (re-ranked by
    score per segment). Needs the firm-level dataset (NotFoundError otherwise)."""
    from parklink.configs import ChainsConfig
    from parklink.runs import diagnose_chains

    parts = []
    for spec in plan_scope_specs(scope_kind, scope_id):
        run = diagnose_chains(inputs, ChainsConfig(scope=spec, year=year))
        tg = run.diagnosis.targets
        if chains:
            tg = tg[tg["segment_id"].astype(str).str.split(".").str[0].isin(list(chains))]
        parts.append(tg.assign(scope_id=run.scope_id))
    tg = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if not len(tg):
        return pd.DataFrame(columns=list(TARGET_COLUMNS))
    tg = tg.sort_values(["segment_id", "score", "enterprise_id"], ascending=[True, False, True])
    tg = tg.drop_duplicates(["segment_id", "enterprise_id"])
    tg["rank"] = tg.groupby("segment_id").cumcount() + 1
    tg = tg[tg["rank"] <= top_n]
    names = _firm_names(inputs, tg["enterprise_id"].astype(str).tolist())
    out = pd.DataFrame({
        "segment_id": tg["segment_id"].astype(str), "enterprise_id": tg["enterprise_id"].astype(str),
        "enterprise_name": tg["enterprise_id"].astype(str).map(names),
        "province": tg["province"].astype(object), "rank": tg["rank"].astype(int),
        "score": tg["score"].astype(float).round(6), "reason": tg["reason"].astype(str),
        "model_version": ranking_model_version(), "scope_id": tg["scope_id"].astype(str)})
    return out.reset_index(drop=True)


def _firm_names(inputs: Inputs, ids: list[str]) -> dict[str, str]:
    ent = inputs.frames.get("enterprises")
    names = (dict(zip(ent["enterprise_id"].astype(str), ent["name_zh"].astype(str), strict=True))
             if ent is not None and len(ent) else {})
    if inputs.firms is not None and inputs.firms.firms_path.is_file():
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        t = pq.read_table(inputs.firms.firms_path, columns=["enterprise_id", "name_zh"])
        t = t.filter(pc.is_in(t.column("enterprise_id"), value_set=pa.array(ids)))
        names.update(zip(t.column("enterprise_id").to_pylist(), t.column("name_zh").to_pylist(), strict=True))
    return names


def _target_row(plan_id: str, r: Mapping[str, Any], status: str) -> dict[str, Any]:
    return {"target_id": f"{plan_id}:{r['segment_id']}:{r['enterprise_id']}", "plan_id": plan_id,
            "segment_id": r["segment_id"], "enterprise_id": r["enterprise_id"],
            "enterprise_name": r.get("enterprise_name"), "rank": r.get("rank"), "score": r.get("score"),
            "reason": r.get("reason"), "model_version": r.get("model_version"), "status": status,
            "drop_reason": None}


def create_plan(session: Session, plan: Mapping[str, Any], *, targets: pd.DataFrame | None = None,
                goals: Sequence[Mapping[str, Any]] = (), actor: str, via: str) -> dict[str, Any]:
    """Create a plan (fields of ``promotion_plans``; not synthetic, unconfirmed, status
    draft by default), its yearly ``goals`` (``year, projects, signed_investment_cny_m,
    funds_in_place_cny_m``) and its target list (rows of :func:`engine_targets`, status
    ranked); all in one transaction with history."""
    h.begin_write(session)
    cs = h.ChangeSet(actor, via)
    data = {"synthetic": False, "confidence": "unconfirmed", "status": "draft", **dict(plan)}
    frame = validate_records(session, "promotion_plans", [data], file=via)
    plan_id = str(frame["plan_id"].iloc[0])
    plan_specs = plan_scope_specs(str(data["scope_kind"]), str(data["scope_id"]))
    _check_scope(session, plan_specs, via)
    insert_records(session, "promotion_plans", frame, cs)
    if goals:
        rows = [{"goal_id": f"{plan_id}:{int(g['year'])}", "plan_id": plan_id, **dict(g)} for g in goals]
        insert_records(session, "plan_goals", validate_records(session, "plan_goals", rows, file=via), cs)
    if targets is not None and len(targets):
        rows = [_target_row(plan_id, {str(c): v for c, v in r.items()}, "ranked") for r in targets.to_dict("records")]
        insert_records(session, "plan_targets", validate_records(session, "plan_targets", rows, file=via), cs)
    return get_plan(session, plan_id)


def update_plan(session: Session, plan_id: str, changes: Mapping[str, Any], *, expected_version: int | None,
                goals: Sequence[Mapping[str, Any]] | None = None, actor: str, via: str) -> dict[str, Any]:
    """Change fields of a plan and (with ``goals``) set its yearly goals: a year given is
    created or changed, a year not given is kept (goals are never deleted here). Optimistic
    locking on the plan's ``row_version``: ConflictError when it is not ``expected_version``
    (None: the version read now) or moves during the write; the plan's version is bumped by
    any change of its fields or goals, so two officers editing one plan never both win."""
    from sqlalchemy import update

    from parklink.errors import ConflictError
    from parklink.store.models_promotion import PlanGoal, PromotionPlan

    h.begin_write(session)
    cs = h.ChangeSet(actor, via)
    old, version = read_record(session, "promotion_plans", plan_id)
    if expected_version is not None and version != expected_version:
        raise ConflictError("promotion_plans", plan_id, stored=version, expected=expected_version)
    new = {**old, **dict(changes)}
    if "scope_kind" in changes or "scope_id" in changes:
        _check_scope(session, plan_scope_specs(str(new["scope_kind"]), str(new["scope_id"])), via)
    got = update_fields(session, "promotion_plans", plan_id, changes, expected_version=version, cs=cs)
    goal_changed = False
    for g in goals or ():
        year = int(g["year"])
        goal_id = f"{plan_id}:{year}"
        row = {"goal_id": goal_id, "plan_id": plan_id, **dict(g), "year": year}
        stored = session.get(PlanGoal, goal_id)
        if stored is None:
            insert_records(session, "plan_goals", validate_records(session, "plan_goals", [row], file=via), cs)
            goal_changed = True
        elif update_fields(session, "plan_goals", goal_id, row, expected_version=None, cs=cs) != stored.row_version:
            goal_changed = True
    if goal_changed and got == version:  # only goals changed: the plan's version moves too
        done = session.execute(update(PromotionPlan).where(PromotionPlan.plan_id == plan_id,
                                                           PromotionPlan.row_version == version)
                               .values(row_version=version + 1).execution_options(synchronize_session=False))
        if getattr(done, "rowcount", 0) != 1:
            raise ConflictError("promotion_plans", plan_id, stored=None, expected=version)
    return get_plan(session, plan_id)


def _check_scope(session: Session, specs: Sequence[str], via: str) -> None:
    from parklink.store import models as m

    columns = (("park", m.Park.park_id), ("designation", m.Designation.designation_id), ("zone", m.Zone.zone_id))
    for spec in specs:
        kind, _, ident = spec.partition(":")
        col = next(c for k, c in columns if k == kind)
        if session.scalar(select(col).where(col == ident)) is None:
            raise ValidationError.single(via, f"unknown {kind} (未知{kind})", column="scope_id", value=ident)


def list_plans(session: Session) -> pd.DataFrame:
    """Every plan with its number of targets (not dropped) and of projects."""
    from parklink.store.io import read_frame
    from parklink.store.models_promotion import PlanTarget, Project

    p = read_frame(session, "promotion_plans")
    nt: dict[str, int] = {}
    for pid in session.scalars(select(PlanTarget.plan_id).where(PlanTarget.status != "dropped")):
        nt[pid] = nt.get(pid, 0) + 1
    npj: dict[str, int] = {}
    for ppid in session.scalars(select(Project.plan_id).where(Project.plan_id.is_not(None))):
        npj[str(ppid)] = npj.get(str(ppid), 0) + 1
    p["targets"] = p["plan_id"].map(lambda x: nt.get(str(x), 0)).astype("Int64")
    p["projects"] = p["plan_id"].map(lambda x: npj.get(str(x), 0)).astype("Int64")
    return p.sort_values("plan_id").reset_index(drop=True)


def get_plan(session: Session, plan_id: str, *, as_of: dt.date | None = None) -> dict[str, Any]:
    """One plan: fields, version, goals with progress (goal vs actual, 时间进度), the target
    list with the stage of the lead each target became (if any), and conversion by model
    version."""
    from parklink.promotion.service import ledger

    values, version = read_record(session, "promotion_plans", plan_id)
    pf = ledger(session)
    on = as_of or dt.date.today()
    tg = pf["plan_targets"]
    tg = tg[tg["plan_id"] == plan_id].copy()
    pj = pf["projects"]
    pj = pj[pj["plan_id"] == plan_id]
    from parklink.promotion.pipeline import stages_of

    st = stages_of(pf, as_of=on)
    stage = dict(zip(st["project_id"], st["stage"], strict=True)) if len(st) else {}
    lead = {(str(a), str(b)): str(c) for a, b, c in zip(pj["investor_id"], pj["segment_id"], pj["project_id"], strict=True)
            if not h.is_missing(a)}
    tg["project_id"] = [lead.get((str(e), str(s))) for e, s in zip(tg["enterprise_id"], tg["segment_id"], strict=True)]
    tg["stage"] = tg["project_id"].map(lambda p: stage.get(p) if p else None)
    plan_pf = type(pf)({**pf.frames, "plan_targets": pf["plan_targets"][pf["plan_targets"]["plan_id"] == plan_id],
                        "projects": pj}, pf.registry)
    return {"plan": values, "row_version": version, "goals": plan_progress(pf, plan_id, as_of=on),
            "targets": tg.sort_values(["segment_id", "rank"]).reset_index(drop=True),
            "conversion": conversion(plan_pf, as_of=on)}


def add_target(session: Session, plan_id: str, target: Mapping[str, Any], *, actor: str, via: str) -> str:
    """Add a target to a plan by hand (status ``added``); its id."""
    h.begin_write(session)
    read_record(session, "promotion_plans", plan_id)
    row = _target_row(plan_id, target, "added")
    insert_records(session, "plan_targets", validate_records(session, "plan_targets", [row], file=via),
                   h.ChangeSet(actor, via))
    return str(row["target_id"])


def drop_target(session: Session, target_id: str, reason: str, *, expected_version: int | None,
                actor: str, via: str) -> int:
    """Drop a target from its plan's list with a reason (kept, status ``dropped``); the
    target's new version."""
    h.begin_write(session)
    if not reason or not reason.strip():
        raise ValidationError.single(via, "a dropped target needs a reason (剔除须说明原因)", column="drop_reason")
    return update_fields(session, "plan_targets", target_id, {"status": "dropped", "drop_reason": reason.strip()},
                         expected_version=expected_version, cs=h.ChangeSet(actor, via))


def lead_from_target(session: Session, target_id: str, *, park_id: str | None = None, actor: str, via: str,
                     on: dt.date | None = None, origin_province: str | None = None,
                     extra: Mapping[str, Any] | None = None) -> Any:
    """Turn a plan target into a lead in one step: a project of the plan with the target
    firm as investor, its segment and chain, and the recommendation's provenance (rank,
    score, reason, model version, scope) copied to ``rec_*``; plus its ``lead`` event.
    ``park_id`` defaults to the plan's park (park plans); other plans must name one of their
    parks. ValidationError when the target was dropped or already became a project."""
    from parklink.promotion.service import create_project
    from parklink.store.models_promotion import Project

    t, _v = read_record(session, "plan_targets", target_id)
    if t["status"] == "dropped":
        raise ValidationError.single(via, "the target was dropped from the plan (目标已剔除)", column="target_id",
                                     value=target_id)
    plan, _pv = read_record(session, "promotion_plans", str(t["plan_id"]))
    specs = plan_scope_specs(str(plan["scope_kind"]), str(plan["scope_id"]))
    parks = [s.split(":", 1)[1] for s in specs if s.startswith("park:")]
    park: str | None = park_id or (parks[0] if len(parks) == 1 else None)
    if park is None:
        raise ValidationError.single(via, "name the park the lead goes to (--park) (请指定落地园区)", column="park_id")
    dup = session.scalar(select(Project.project_id).where(
        Project.plan_id == t["plan_id"], Project.investor_id == t["enterprise_id"], Project.segment_id == t["segment_id"]))
    if dup is not None:
        raise ValidationError.single(via, f"this target is already project {dup} (该目标已转为项目)", column="target_id",
                                     value=target_id)
    seg = str(t["segment_id"])
    row = {"name_zh": f"{t.get('enterprise_name') or t['enterprise_id']} · {seg}",
           "investor_id": t["enterprise_id"], "investor_name": t.get("enterprise_name") or t["enterprise_id"],
           "origin_province": origin_province, "park_id": park, "chain": seg.split(".")[0], "segment_id": seg,
           "plan_id": t["plan_id"], "rec_rank": t.get("rank"), "rec_score": t.get("score"),
           "rec_reason": t.get("reason"), "rec_model_version": t.get("model_version"),
           "rec_scope_id": ";".join(specs)[:140], **dict(extra or {})}
    return create_project(session, row, actor=actor, via=via, stage="lead", on=on,
                          source=f"plan target {target_id}")


def require_plan(session: Session, plan_id: str) -> None:
    """NotFoundError when the plan is not stored."""
    from parklink.store.models_promotion import PromotionPlan

    if session.get(PromotionPlan, plan_id) is None:
        raise NotFoundError(f"plan {plan_id!r} not found (招商计划不存在)")
