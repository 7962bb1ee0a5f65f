"""Reads of the promotion ledger for the web layer (API routes and pages), role-filtered.

Every function takes the request's session and, where rows are shown, the caller: projects
pass through :func:`parklink.web.policy.project_for` (hidden, redacted or in full), so the
API and the pages can never show a caller more than the policy allows. The current stage of
a project is derived from its stage-event log in one grouped SQL statement
(:func:`stage_table`): the highest pipeline rank reached, or ``terminated`` when the log
holds a termination — the same rule as :func:`parklink.promotion.kpi.project_progress`.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import pandas as pd
from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.orm import Session

from parklink import tables as t
from parklink.promotion.stages import ACTIVE_STAGES, STAGE_RANK, TERMINATED
from parklink.store import models as m
from parklink.store import models_promotion as mp
from parklink.web import policy, registry
from parklink.web.cache import SingleFlightMemo
from parklink.web.deps import Principal

if TYPE_CHECKING:
    from parklink.promotion.kpi import KPIResult
    from parklink.promotion.pipeline import PromotionFrames

__all__ = [
    "STAGE_ORDER",
    "ProjectFilters",
    "alert_frame",
    "board_columns",
    "clear_memo",
    "event_rows",
    "kpi_result",
    "ledger_frames",
    "ledger_part",
    "memo_bytes",
    "plan_detail",
    "plan_parks",
    "project_funds",
    "project_parks",
    "project_timeline",
    "project_view",
    "signed_dates",
    "stage_table",
    "visible_projects",
]

#: Board columns in pipeline order, terminated last.
STAGE_ORDER: tuple[str, ...] = (*ACTIVE_STAGES, TERMINATED)


def _rank_expr() -> Any:
    return case({s: r for s, r in STAGE_RANK.items() if s != TERMINATED}, value=mp.StageEvent.stage, else_=-1)


def stage_table(session: Session, project_ids: Sequence[str] | None = None) -> dict[str, tuple[str, dt.date]]:
    """project_id → (derived current stage, date of its last event) for every project with
    at least one stage event (or just ``project_ids``)."""
    stmt = select(
        mp.StageEvent.project_id,
        func.max(_rank_expr()),
        func.max(case((mp.StageEvent.stage == TERMINATED, 1), else_=0)),
        func.max(mp.StageEvent.on_date),
    ).group_by(mp.StageEvent.project_id)
    if project_ids is not None:
        if not project_ids:
            return {}
        stmt = stmt.where(mp.StageEvent.project_id.in_(list(project_ids)))
    out: dict[str, tuple[str, dt.date]] = {}
    for pid, rank, term, last in session.execute(stmt):
        stage = TERMINATED if term or rank is None or rank < 0 else ACTIVE_STAGES[int(rank)]
        out[str(pid)] = (stage, last)
    return out


class ProjectFilters:
    """Filters of the project list (each optional; all must hold)."""

    def __init__(self, *, park: str | None = None, chain: str | None = None, event: str | None = None,
                 plan: str | None = None, origin: str | None = None, q: str | None = None,
                 stage: str | None = None, designation: str | None = None, zone: str | None = None,
                 year: int | None = None) -> None:
        self.park, self.chain, self.event, self.plan = park, chain, event, plan
        self.origin, self.q, self.stage, self.designation, self.zone, self.year = origin, q, stage, designation, zone, year

    def where(self) -> list[ColumnElement[bool]]:
        """SQL terms of the filters on the project table (stage and year are applied after
        the stage is derived)."""
        p = mp.Project
        terms: list[ColumnElement[bool]] = []
        if self.park:
            terms.append(p.park_id == self.park)
        if self.chain:
            terms.append(p.chain == self.chain)
        if self.event:
            terms.append(p.event_id == self.event)
        if self.plan:
            terms.append(p.plan_id == self.plan)
        if self.origin:
            terms.append(or_(p.origin_province == self.origin, p.origin_country == self.origin))
        if self.designation:
            members = select(m.DesignationMember.park_id).where(
                m.DesignationMember.designation_id == self.designation)
            terms.append(p.park_id.in_(members))
        if self.zone:
            from parklink.programme.zones_sql import zone_park_ids

            terms.append(p.park_id.in_(zone_park_ids(self.zone)))
        if self.q:
            pattern = f"%{self.q.strip()}%"
            terms.append(or_(p.name_zh.like(pattern), p.name_en.ilike(pattern), p.project_id.like(pattern),
                             p.investor_name.like(pattern)))
        return terms


def _project_rows(session: Session, where: Sequence[ColumnElement[bool]]) -> list[dict[str, Any]]:
    cols = [getattr(mp.Project, c) for c in t.schema("projects").names]
    stmt = select(*cols, mp.Project.row_version).where(*where).order_by(mp.Project.project_id)
    names = [*t.schema("projects").names, "row_version"]
    return [dict(zip(names, r, strict=True)) for r in session.execute(stmt)]


def _with_stage(rows: list[dict[str, Any]], stages: dict[str, tuple[str, dt.date]],
                signed: dict[str, dt.date]) -> list[dict[str, Any]]:
    for r in rows:
        stage, last = stages.get(r["project_id"], ("lead", None))
        r["stage"], r["last_event"], r["signed_on"] = stage, last, signed.get(r["project_id"])
    return rows


def visible_projects(session: Session, principal: Principal, filters: ProjectFilters) -> tuple[list[dict[str, Any]], int]:
    """(the projects matching ``filters`` that ``principal`` may see, as they may see them;
    the number of matching projects hidden from them)."""
    rows = _with_stage(_project_rows(session, filters.where()), stage_table(session), _signed_on(session))
    if filters.stage:
        rows = [r for r in rows if r["stage"] == filters.stage]
    if filters.year:
        rows = [r for r in rows if r["signed_on"] is not None and r["signed_on"].year == filters.year]
    shown = [v for r in rows if (v := policy.project_for(principal, r)) is not None]
    return shown, len(rows) - len(shown)


def _signed_on(session: Session, project_ids: Sequence[str] | None = None) -> dict[str, dt.date]:
    """project_id → date of its first event at or past *signed* (the signing date; a skipped
    stage counts as entered on the later event's date)."""
    signed = [s for s, r in STAGE_RANK.items() if r >= STAGE_RANK["signed"]]
    stmt = (select(mp.StageEvent.project_id, func.min(mp.StageEvent.on_date))
            .where(mp.StageEvent.stage.in_(signed)).group_by(mp.StageEvent.project_id))
    if project_ids is not None:
        stmt = stmt.where(mp.StageEvent.project_id.in_(list(project_ids)))
    return {str(pid): d for pid, d in session.execute(stmt) if d is not None}


def signed_dates(session: Session) -> list[dt.date]:
    """The signing dates of every signed project (for the year choices of the KPI page)."""
    return list(_signed_on(session).values())


def board_columns(projects: Iterable[dict[str, Any]], *, per_column: int = 60) -> list[dict[str, Any]]:
    """The pipeline board: one column per stage (pipeline order, terminated last) with its
    total and its first ``per_column`` projects (largest signed investment first)."""
    from parklink.vocab import STAGE_NAMES

    by_stage: dict[str, list[dict[str, Any]]] = {s: [] for s in STAGE_ORDER}
    for p in projects:
        by_stage.setdefault(p["stage"], []).append(p)
    cols = []
    for stage in STAGE_ORDER:
        items = sorted(by_stage[stage], key=lambda p: (-(p.get("signed_investment_cny_m") or 0.0), p["project_id"]))
        zh, en = STAGE_NAMES[stage]
        cols.append({"stage": stage, "zh": zh, "en": en, "total": len(items), "projects": items[:per_column]})
    return cols


def project_view(session: Session, principal: Principal, project_id: str) -> dict[str, Any]:
    """One project as ``principal`` may see it (NotFoundError — 404 — when hidden, so its
    existence is not revealed)."""
    from parklink.errors import NotFoundError

    rows = _project_rows(session, [mp.Project.project_id == project_id])
    if not rows:
        raise NotFoundError(f"project {project_id!r} not found (未找到)")
    row = _with_stage(rows, stage_table(session, [project_id]), _signed_on(session, [project_id]))[0]
    view = policy.project_for(principal, row)
    if view is None:
        raise NotFoundError(f"project {project_id!r} not found (未找到)")
    return view


def project_timeline(session: Session, project_id: str, *, redacted: bool) -> list[dict[str, Any]]:
    """The project's stage events in log order (date, then pipeline rank, termination last);
    who recorded each and its evidence are left out of a redacted view."""
    e = mp.StageEvent
    rows = session.execute(select(e.stage_event_id, e.stage, e.on_date, e.recorded_by, e.source, e.reason, e.note)
                           .where(e.project_id == project_id)).all()
    out: list[dict[str, Any]] = [{"stage_event_id": r[0], "stage": r[1], "on_date": r[2], "recorded_by": r[3],
                                  "source": r[4], "reason": r[5], "note": r[6]} for r in rows]
    out.sort(key=lambda r: (r["on_date"], 99 if r["stage"] == TERMINATED else STAGE_RANK.get(str(r["stage"]), 0)))
    if redacted:
        for r in out:
            r.update(recorded_by=None, source=None, note=None)
    return out


def project_funds(session: Session, project_id: str) -> list[dict[str, Any]]:
    """The project's funds-in-place entries by date."""
    f = mp.ProjectFund
    rows = session.execute(select(f.on_date, f.amount_cny_m, f.use, f.source).where(f.project_id == project_id)
                           .order_by(f.on_date)).all()
    return [{"on_date": r[0], "amount_cny_m": r[1], "use": r[2], "source": r[3]} for r in rows]


def project_parks(session: Session, project_id: str) -> list[str]:
    """The park of a stored project (the owner park of the write policy)."""
    park = session.scalar(select(mp.Project.park_id).where(mp.Project.project_id == project_id))
    if park is None:
        from parklink.errors import NotFoundError

        raise NotFoundError(f"project {project_id!r} not found (未找到)")
    return [str(park)]


def plan_parks(session: Session, scope_kind: str, scope_id: str) -> list[str]:
    """The parks that own a plan for the write policy: its park, the two parks of a park pair,
    the member parks of its designation; none for a zone plan (the programme office's)."""
    if scope_kind == "park":
        return [scope_id]
    if scope_kind == "park_pair":
        return [p for p in scope_id.split("+") if p]
    if scope_kind == "designation":
        return list(session.scalars(select(m.DesignationMember.park_id)
                                    .where(m.DesignationMember.designation_id == scope_id)))
    return []


def event_rows(session: Session, event_ids: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Promotion events (all, or these) by date, newest first."""
    if event_ids is not None:
        return registry.fetch_rows(session, "promotion_events", list(event_ids))
    keys = list(session.scalars(select(mp.PromotionEvent.event_id)
                                .order_by(mp.PromotionEvent.held_on.desc(), mp.PromotionEvent.event_id)))
    return registry.fetch_rows(session, "promotion_events", keys)


# ---------------------------------------------------------------------------------------------
# The ledger's frames and the KPI / alert results, memoised per database and data version.
#
# The data version (parklink.store.version) is bumped in the same transaction by every write,
# and read here *before* the frames: a stored entry is never older than its key, and a request
# after a committed write reads a newer version and misses (the argument of web/cache.py). The
# report date (as_of, default today) is part of the KPI and alert keys.

MEMO_ENTRIES = 256
_MEMO = SingleFlightMemo(MEMO_ENTRIES)
#: ``PARKLINK_PROMOTION_MEMO=0`` turns the memo off (every request reads the ledger and
#: computes): the uncached baseline of ``bench/promotion_api.py``.
MEMO_ENABLED = os.environ.get("PARKLINK_PROMOTION_MEMO", "1") != "0"
#: False: concurrent misses each compute (the comparison of ``bench/promotion_api.py``).
SINGLE_FLIGHT = True


def _memo(key: tuple[Any, ...] | None, compute: Callable[[], Any]) -> Any:
    """The memoised value of ``key``, computed once per process even when many requests
    miss at the same time (single flight, :class:`~parklink.web.cache.SingleFlightMemo`):
    after a data write, or on a cold worker, 200 concurrent KPI requests would otherwise
    each read the ledger and compute the same table (~0.6 s of CPU each with 10,000
    projects) on the 40 threads of the pool, holding the GIL the event loop needs; the
    first computes, the others wait for its value."""
    if not MEMO_ENABLED or key is None:
        return compute()
    return _MEMO.get(key, compute, single_flight=SINGLE_FLIGHT)


def clear_memo() -> None:
    """Forget every memoised ledger, KPI table and alert list (benchmarks: the uncached path)."""
    _MEMO.clear()


def _base_key(session: Session) -> tuple[str, int] | None:
    """(database, data version); None inside a transaction that has written (its version is
    not bumped before the commit: a memo keyed by it would serve the state before the write)."""
    from parklink.store.version import has_pending_write
    from parklink.web.cache import current_version

    if has_pending_write(session):
        return None
    return str(session.get_bind().engine.url), current_version(session)


def _key(session: Session, *parts: Any) -> tuple[Any, ...] | None:
    base = _base_key(session)
    return None if base is None else (parts[0], *base, *parts[1:])


def ledger_frames(session: Session) -> PromotionFrames:
    """The promotion ledger with its registry frames (:func:`parklink.promotion.service.ledger`),
    read once per data version."""
    from parklink.promotion import service

    return cast("PromotionFrames", _memo(_key(session, "ledger"), lambda: service.ledger(session)))


def ledger_part(session: Session, data: str = "all") -> PromotionFrames:
    """The ledger with only its real (``data="real"``) or synthetic projects, or all of them:
    real and synthetic figures are never mixed without saying so."""
    from parklink.promotion.pipeline import frames_of

    pf = ledger_frames(session)
    if data == "all":
        return pf
    p = pf["projects"]
    keep = p["synthetic"].fillna(False).astype(bool) == (data == "synthetic")
    return frames_of({**pf.frames, "projects": p[keep]}, pf.registry)


def kpi_result(session: Session, *, by: Sequence[str], year: int | None, as_of: dt.date,
               data: str = "all") -> KPIResult:
    """The KPI table of the stored ledger (:func:`parklink.promotion.pipeline.ledger_kpis`),
    of all projects or only the real or the synthetic ones (``data``)."""
    from parklink.promotion.pipeline import ledger_kpis

    key = _key(session, "kpi", tuple(by), year, as_of, data)
    return cast("KPIResult", _memo(key, lambda: ledger_kpis(ledger_part(session, data), as_of=as_of, by=by,
                                                            year=year)))


def alert_frame(session: Session, *, as_of: dt.date, stall_days: int) -> pd.DataFrame:
    """Overdue and stalled projects of the stored ledger
    (:func:`parklink.promotion.pipeline.ledger_alerts`)."""
    from parklink.promotion.pipeline import ledger_alerts

    key = _key(session, "alerts", as_of, stall_days)
    return cast(pd.DataFrame, _memo(key, lambda: ledger_alerts(ledger_frames(session), as_of=as_of,
                                                                stall_days=stall_days)))


def plan_detail(session: Session, plan_id: str, *, as_of: dt.date) -> dict[str, Any]:
    """:func:`parklink.promotion.plans.get_plan` (fields, goals vs achievement, target list,
    conversion), once per data version and date; NotFoundError when absent."""
    from parklink.promotion import plans

    return cast(dict[str, Any], _memo(_key(session, "plan", plan_id, as_of),
                                      lambda: plans.get_plan(session, plan_id, as_of=as_of)))


def memo_bytes(session: Session, name: str, params: tuple[Any, ...], build: Callable[[], bytes]) -> bytes:
    """A serialised response memoised per data version and ``params`` (which must include
    everything the body depends on, e.g. the report date)."""
    return cast(bytes, _memo(_key(session, name, *params), build))


def clean_record(record: Mapping[Any, Any]) -> dict[str, Any]:
    """A record with numpy scalars as Python values and NaN / NaT / NA as None."""
    out: dict[str, Any] = {}
    for k, v in record.items():
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
            out[str(k)] = None
        elif hasattr(v, "item"):
            item = v.item()
            out[str(k)] = None if isinstance(item, float) and item != item else item
        elif isinstance(v, pd.Timestamp):
            out[str(k)] = v.date()
        else:
            out[str(k)] = v
    return out
