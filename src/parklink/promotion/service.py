"""The promotion ledger's operations, as the API and the CLI call them (one session each).

Reads: :func:`ledger` (every promotion frame plus the registry frames that group it),
:func:`list_projects`, :func:`get_project`, :func:`list_events`, :func:`get_event`,
:func:`kpis`, :func:`alerts`. Writes (validated, history recorded, in the caller's
transaction): :func:`create_project`, :func:`update_project`, :func:`advance_project`
(append a stage event; optimistic locking on the project's ``row_version``),
:func:`add_funds`, :func:`create_event`. Plans, targets and gap → lead are in
:mod:`parklink.promotion.plans`.

Concurrency: every write to a project (fields, a stage event, a funds entry) checks the
``row_version`` the writer read (``expected_version``; None = the version read now, inside
the transaction) in the ``UPDATE``'s ``WHERE`` clause and bumps it; a writer that lost the
race gets :class:`~parklink.errors.ConflictError` and nothing of its write is kept. Two
officers advancing one project from the same version: one wins, the other is told to read
again; a second advance to the same stage also fails on the stage event's key.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from parklink.errors import ConflictError, NotFoundError, ValidationError
from parklink.promotion.checks import order_key
from parklink.promotion.kpi import KPIResult
from parklink.promotion.pipeline import (
    PROMOTION_KINDS,
    PromotionFrames,
    frames_of,
    ledger_alerts,
    ledger_kpis,
)
from parklink.promotion.records import insert_records, read_record, update_fields, validate_records
from parklink.promotion.stages import TERMINATED, LoggedStage, next_stage_problem
from parklink.store import history as h

__all__ = [
    "ProjectDetail",
    "add_funds",
    "advance_project",
    "alerts",
    "create_event",
    "create_project",
    "get_event",
    "get_project",
    "kpis",
    "ledger",
    "list_events",
    "list_projects",
    "new_id",
    "update_project",
]

REGISTRY_KINDS = ("parks", "designations", "zones", "regions")


def new_id(prefix: str) -> str:
    """A fresh record id ``PREFIX-XXXXXXXX`` (8 hex digits)."""
    return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"


def ledger(session: Session) -> PromotionFrames:
    """Every promotion frame and the registry frames that group it, read in ``session``."""
    from parklink.store.io import read_frame

    promo = {k: read_frame(session, k) for k in PROMOTION_KINDS}
    reg = {k: read_frame(session, k) for k in REGISTRY_KINDS}
    from parklink.store import models as m

    revoked = dict(session.execute(select(m.Designation.designation_id, m.Designation.revoked_year)).all())
    d = reg["designations"]
    reg["designations"] = d.assign(revoked_year=d["designation_id"].map(revoked))
    return frames_of(promo, reg)


# ---------------------------------------------------------------------------- projects
@dataclass(frozen=True)
class ProjectDetail:
    """One project: its fields, the version to send back on writes, the stage derived from
    its log, the log itself (oldest first) and its funds series."""

    project: dict[str, Any]
    row_version: int
    stage: str | None
    events: pd.DataFrame
    funds: pd.DataFrame

    @property
    def funds_in_place_cny_m(self) -> float:
        """Σ funds arrived, million CNY."""
        return float(self.funds["amount_cny_m"].sum()) if len(self.funds) else 0.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (dates ISO 8601)."""
        def clean(v: Any) -> Any:
            if h.is_missing(v):
                return None
            if isinstance(v, dt.date):
                return v.isoformat()
            return v.item() if hasattr(v, "item") else v

        return {"project": {k: clean(v) for k, v in self.project.items()}, "row_version": self.row_version,
                "stage": self.stage, "funds_in_place_cny_m": self.funds_in_place_cny_m,
                "events": [{k: clean(v) for k, v in r.items()} for r in self.events.to_dict("records")],
                "funds": [{k: clean(v) for k, v in r.items()} for r in self.funds.to_dict("records")]}


def _log(session: Session, project_id: str) -> pd.DataFrame:
    from parklink.store.models_promotion import StageEvent as E

    rows = session.execute(select(E.stage_event_id, E.stage, E.on_date, E.recorded_by, E.source, E.reason, E.note)
                           .where(E.project_id == project_id)).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=["stage_event_id", "stage", "on_date", "recorded_by",
                                                            "source", "reason", "note"])
    if len(frame):
        keys = [order_key(s, d.isoformat()) for s, d in zip(frame["stage"], frame["on_date"], strict=True)]
        frame = frame.iloc[sorted(range(len(frame)), key=lambda i: keys[i])].reset_index(drop=True)
    return frame


def current_stage(log: pd.DataFrame) -> str | None:
    """The stage a log (oldest first) leaves a project in: ``terminated`` when terminated,
    else the furthest stage reached; None for an empty log."""
    if not len(log):
        return None
    stages = log["stage"].tolist()
    if TERMINATED in stages:
        return TERMINATED
    return str(stages[-1])


def get_project(session: Session, project_id: str) -> ProjectDetail:
    """The project ``project_id`` with its log and funds; NotFoundError when absent."""
    from parklink.store.models_promotion import ProjectFund as F

    values, version = read_record(session, "projects", project_id)
    log = _log(session, project_id)
    funds = pd.DataFrame([tuple(r) for r in session.execute(
        select(F.fund_id, F.on_date, F.amount_cny_m, F.use, F.source).where(F.project_id == project_id)
        .order_by(F.on_date))], columns=["fund_id", "on_date", "amount_cny_m", "use", "source"])
    return ProjectDetail(values, version, current_stage(log), log, funds)


def list_projects(session: Session, *, park_ids: Sequence[str] | None = None, stage: str | None = None,
                  chain: str | None = None, event_id: str | None = None, plan_id: str | None = None,
                  synthetic: bool | None = None, as_of: dt.date | None = None) -> pd.DataFrame:
    """Projects with their derived ``stage``, ``stage_on`` (date of the last event) and
    ``row_version``, filtered; sorted by park then project id. ``park_ids`` None = all parks."""
    from parklink.promotion.kpi import project_progress
    from parklink.store.io import read_frame
    from parklink.store.models_promotion import Project

    p = read_frame(session, "projects")
    versions = dict(session.execute(select(Project.project_id, Project.row_version)).all())
    p["row_version"] = p["project_id"].map(versions).astype("Int64")
    if park_ids is not None:
        p = p[p["park_id"].isin(list(park_ids))]
    for col, val in (("chain", chain), ("event_id", event_id), ("plan_id", plan_id)):
        if val is not None:
            p = p[p[col] == val]
    if synthetic is not None:
        p = p[p["synthetic"].fillna(False).astype(bool) == synthetic]
    ev = read_frame(session, "stage_events")
    ev = ev[ev["project_id"].isin(p["project_id"])]
    if len(ev):
        prog = project_progress(pd.DataFrame({"project_id": ev["project_id"].astype(str), "stage": ev["stage"].astype(str),
                                              "on": pd.to_datetime(ev["on_date"].astype(str))}),
                                None, as_of=as_of or dt.date(2100, 1, 1))
        st = prog.set_index("project_id")
        p["stage"] = p["project_id"].map(st["stage"])
        p["stage_on"] = p["project_id"].map(st["last_at"])
    else:
        p["stage"], p["stage_on"] = None, None
    if stage is not None:
        p = p[p["stage"] == stage]
    return p.sort_values(["park_id", "project_id"]).reset_index(drop=True)


def _bump(session: Session, project_id: str, expected: int) -> int:
    """Raise the project's row_version from ``expected`` (ConflictError when it moved)."""
    from parklink.store.models_promotion import Project

    done = session.execute(update(Project).where(Project.project_id == project_id, Project.row_version == expected)
                           .values(row_version=expected + 1).execution_options(synchronize_session=False))
    if getattr(done, "rowcount", 0) != 1:
        now = session.scalar(select(Project.row_version).where(Project.project_id == project_id))
        raise ConflictError("projects", project_id, stored=None if now is None else int(now), expected=expected)
    return expected + 1


def _locked_version(session: Session, project_id: str, expected: int | None) -> int:
    h.begin_write(session)
    _values, version = read_record(session, "projects", project_id)
    if expected is not None and version != expected:
        raise ConflictError("projects", project_id, stored=version, expected=expected)
    return version


def create_project(session: Session, row: Mapping[str, Any], *, actor: str, via: str,
                   stage: str | None = "lead", on: dt.date | None = None, source: str | None = None) -> ProjectDetail:
    """Create a project (``project_id`` generated when absent; ``synthetic`` false,
    ``confidence`` unconfirmed and ``origin_country`` CN by default, ``mode`` new) and, with
    ``stage``, its first stage event dated ``on`` (default today)."""
    h.begin_write(session)
    data = {"synthetic": False, "confidence": "unconfirmed", "origin_country": "CN", "mode": "new", **dict(row)}
    data.setdefault("project_id", new_id("PRJ"))
    if h.is_missing(data.get("project_id")) or not str(data["project_id"]).strip():
        data["project_id"] = new_id("PRJ")
    cs = h.ChangeSet(actor, via)
    frame = validate_records(session, "projects", [data], file=via)
    insert_records(session, "projects", frame, cs)
    pid = str(frame["project_id"].iloc[0])
    if stage is not None:
        _append_event(session, pid, stage, on or dt.date.today(), cs=cs, source=source, reason=None, note=None)
    return get_project(session, pid)


def update_project(session: Session, project_id: str, changes: Mapping[str, Any], *, expected_version: int | None,
                   actor: str, via: str) -> ProjectDetail:
    """Change fields of a project (not its stage: see :func:`advance_project`)."""
    h.begin_write(session)
    update_fields(session, "projects", project_id, changes, expected_version=expected_version, cs=h.ChangeSet(actor, via))
    return get_project(session, project_id)


def _append_event(session: Session, project_id: str, stage: str, on: dt.date, *, cs: h.ChangeSet,
                  source: str | None, reason: str | None, note: str | None) -> None:
    log = _log(session, project_id)
    logged = [LoggedStage(str(s), d.isoformat()) for s, d in zip(log["stage"], log["on_date"], strict=True)]
    problem = next_stage_problem(logged, stage, on.isoformat(), reason)
    if problem is not None:
        raise ValidationError.single(cs.via, f"project {project_id}: {problem} (阶段不能这样推进)", column="stage",
                                     value=stage)
    row = {"stage_event_id": f"{project_id}:{stage}", "project_id": project_id, "stage": stage, "on_date": on,
           "recorded_by": cs.actor[:80], "source": source, "reason": reason, "note": note}
    frame = validate_records(session, "stage_events", [row], file=cs.via)
    try:
        insert_records(session, "stage_events", frame, cs)
    except ValidationError as exc:  # the same stage written meanwhile by someone else
        raise ConflictError("projects", project_id, stored=None, expected=None,
                            detail=f"stage {stage} already recorded") from exc


def advance_project(session: Session, project_id: str, stage: str, on: dt.date, *, expected_version: int | None,
                    actor: str, via: str, source: str | None = None, reason: str | None = None,
                    note: str | None = None) -> ProjectDetail:
    """Append the stage event ``stage`` dated ``on`` to the project's log (rules:
    :func:`parklink.promotion.stages.next_stage_problem`) and bump the project's version.
    ConflictError when the project is not at ``expected_version`` (None: no check beyond
    the transaction), ValidationError when the log rules refuse the event."""
    version = _locked_version(session, project_id, expected_version)
    cs = h.ChangeSet(actor, via)
    try:
        with session.begin_nested():
            _append_event(session, project_id, stage, on, cs=cs, source=source, reason=reason, note=note)
            _bump(session, project_id, version)
    except IntegrityError as exc:
        raise ConflictError("projects", project_id, stored=None, expected=version, detail=str(exc.orig)) from exc
    return get_project(session, project_id)


def add_funds(session: Session, project_id: str, on: dt.date, amount_cny_m: float, *, expected_version: int | None,
              actor: str, via: str, use: str = "unknown", source: str | None = None) -> ProjectDetail:
    """Record funds arrived for a project on ``on`` (million CNY); bumps the project's version."""
    version = _locked_version(session, project_id, expected_version)
    cs = h.ChangeSet(actor, via)
    row = {"fund_id": f"{project_id}:{on.isoformat()}", "project_id": project_id, "on_date": on,
           "amount_cny_m": amount_cny_m, "use": use, "source": source}
    frame = validate_records(session, "project_funds", [row], file=via)
    insert_records(session, "project_funds", frame, cs)
    _bump(session, project_id, version)
    return get_project(session, project_id)


# ---------------------------------------------------------------------------- events
def list_events(session: Session) -> pd.DataFrame:
    """Joint promotion events (newest first) with the number of projects of each cohort."""
    from parklink.store.io import read_frame
    from parklink.store.models_promotion import Project, PromotionEvent

    ev = read_frame(session, "promotion_events")
    versions = dict(session.execute(select(PromotionEvent.event_id, PromotionEvent.row_version)).all())
    counts: dict[str, int] = {}
    for eid in session.scalars(select(Project.event_id).where(Project.event_id.is_not(None))):
        counts[str(eid)] = counts.get(str(eid), 0) + 1
    ev["projects"] = ev["event_id"].map(lambda e: counts.get(str(e), 0)).astype("Int64")
    ev["row_version"] = ev["event_id"].map(versions).astype("Int64")
    return ev.sort_values(["held_on", "event_id"], ascending=[False, True]).reset_index(drop=True)


def get_event(session: Session, event_id: str, *, as_of: dt.date | None = None) -> dict[str, Any]:
    """One event: its fields, version and the KPIs of its cohort (projects with this
    ``event_id``) as of ``as_of`` (default today)."""
    values, version = read_record(session, "promotion_events", event_id)
    pf = ledger(session)
    res = ledger_kpis(pf, as_of=as_of or dt.date.today(), by=["event_id"])
    table = res.to_frame()
    row = table[table["event_id"] == event_id]
    kpi = {k: (None if h.is_missing(v) else (v.item() if hasattr(v, "item") else v))
           for k, v in (row.iloc[0].to_dict().items() if len(row) else {})}
    return {"event": values, "row_version": version, "kpis": kpi}


def create_event(session: Session, row: Mapping[str, Any], *, actor: str, via: str) -> dict[str, Any]:
    """Create a joint promotion event (``event_id`` generated when absent; not synthetic,
    confidence unconfirmed and country CN by default)."""
    h.begin_write(session)
    data = {"synthetic": False, "confidence": "unconfirmed", "country": "CN", **dict(row)}
    if h.is_missing(data.get("event_id")) or not str(data.get("event_id") or "").strip():
        data["event_id"] = new_id("EVT")
    frame = validate_records(session, "promotion_events", [data], file=via)
    insert_records(session, "promotion_events", frame, h.ChangeSet(actor, via))
    return get_event(session, str(frame["event_id"].iloc[0]))


# ---------------------------------------------------------------------------- KPIs
def kpis(session: Session, *, by: Sequence[str] = (), as_of: dt.date | None = None,
         year: int | None = None, park_ids: Sequence[str] | None = None) -> KPIResult:
    """The KPI table (:func:`parklink.promotion.pipeline.ledger_kpis`) of the stored ledger,
    optionally restricted to the projects of ``park_ids``."""
    pf = ledger(session)
    if park_ids is not None:
        keep = pf["projects"]["park_id"].isin(list(park_ids))
        pf = frames_of({**pf.frames, "projects": pf["projects"][keep]}, pf.registry)
    return ledger_kpis(pf, as_of=as_of or dt.date.today(), by=by, year=year)


def alerts(session: Session, *, as_of: dt.date | None = None, stall_days: int = 90,
           park_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """Overdue milestones and stalled projects of the stored ledger."""
    out = ledger_alerts(ledger(session), as_of=as_of or dt.date.today(), stall_days=stall_days)
    if park_ids is not None:
        out = out[out["park_id"].isin(list(park_ids))].reset_index(drop=True)
    return out


def require_project(session: Session, project_id: str) -> None:
    """NotFoundError when ``project_id`` is not stored."""
    from parklink.store.models_promotion import Project

    if session.get(Project, project_id) is None:
        raise NotFoundError(f"project {project_id!r} not found (项目不存在)")
