"""Row checks of the promotion kinds that the column checks cannot see, run by every import
(``parklink import``, the ledger import) before it writes; problems name file, row, column.

* ``stage_events``: the id is ``PROJECT_ID:STAGE``; a reason goes with ``terminated`` only;
  and the stored log plus the file's rows, in date order, obey the log rules of
  :func:`parklink.promotion.stages.next_stage_problem` (a stored log is never rewritten:
  the store only accepts rows that fit after or between its events);
* ``plan_goals``: the id is ``PLAN_ID:YEAR``; ``plan_targets``: the id starts with the plan id
  and a dropped target names its reason; ``project_funds``: the id is ``PROJECT_ID:DATE``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from parklink.errors import Problem
from parklink.promotion.stages import STAGE_RANK, TERMINATED, LoggedStage, next_stage_problem

__all__ = ["check_funds", "check_goals", "check_stage_events", "check_targets", "order_key"]


def _text(value: Any) -> str | None:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    s = str(value)
    return s or None


def order_key(stage: str, on: str) -> tuple[str, int]:
    """Sort key of a stage event in its project's log: date, then pipeline rank (a
    termination on the same day comes after the stage it ends)."""
    rank = STAGE_RANK.get(stage, 0)
    return on, 99 if stage == TERMINATED else rank


def check_stage_events(session: Session | None, frame: pd.DataFrame, rows: Sequence[int],
                       file: str) -> list[Problem]:
    """Problems of new stage events against their ids and the stored logs of their projects
    (``session`` None: the file's rows alone)."""
    problems: list[Problem] = []
    recs = frame.to_dict("records")
    new: dict[str, list[tuple[str, str, str | None, int]]] = {}
    for rec, row in zip(recs, rows, strict=True):
        pid, stage, on = _text(rec.get("project_id")), _text(rec.get("stage")), _text(rec.get("on_date"))
        eid, reason = _text(rec.get("stage_event_id")), _text(rec.get("reason"))
        if pid is None or stage is None or on is None:
            continue
        if eid != f"{pid}:{stage}":
            problems.append(Problem(file, int(row), "stage_event_id", eid,
                                    f"must be '{pid}:{stage}' (项目编号:阶段)"))
        if (stage == TERMINATED) != (reason is not None):
            problems.append(Problem(file, int(row), "reason", reason,
                                    "a reason code goes with 'terminated' and only with it (终止须填原因)"))
            continue
        new.setdefault(pid, []).append((stage, on, reason, int(row)))
    stored: dict[str, list[tuple[str, str]]] = {}
    if session is not None and new:
        from parklink.store.models_promotion import StageEvent

        ids = list(new)
        for i in range(0, len(ids), 500):
            q = select(StageEvent.project_id, StageEvent.stage, StageEvent.on_date).where(
                StageEvent.project_id.in_(ids[i:i + 500]))
            for spid, sstage, son in session.execute(q):
                stored.setdefault(str(spid), []).append((str(sstage), son.isoformat()))
    for pid, items in new.items():
        old = stored.get(pid, [])
        have = {s for s, _ in old}
        merged: list[tuple[str, str, str | None, int | None]] = [(s, on, "x" if s == TERMINATED else None, None)
                                                                 for s, on in old]
        for stage, on, reason, frow in items:
            if stage in have:
                continue  # unchanged or changed rows: the change preview deals with them
            merged.append((stage, on, reason, frow))
        merged.sort(key=lambda e: order_key(e[0], e[1]))
        log: list[LoggedStage] = []
        for mstage, mon, _reason, mrow in merged:
            problem = next_stage_problem(log, mstage, mon, None if mstage != TERMINATED else "other")
            if problem is not None and mrow is not None:
                problems.append(Problem(file, mrow, "stage", mstage, f"project {pid}: {problem} (阶段顺序不符)"))
                continue
            log.append(LoggedStage(mstage, mon))
    return problems


def check_goals(session: Session | None, frame: pd.DataFrame, rows: Sequence[int], file: str) -> list[Problem]:
    """Each goal id is ``PLAN_ID:YEAR``."""
    out = []
    for rec, row in zip(frame.to_dict("records"), rows, strict=True):
        want = f"{_text(rec.get('plan_id'))}:{_text(rec.get('year'))}"
        if _text(rec.get("goal_id")) != want:
            out.append(Problem(file, int(row), "goal_id", _text(rec.get("goal_id")), f"must be '{want}' (计划编号:年度)"))
    return out


def check_targets(session: Session | None, frame: pd.DataFrame, rows: Sequence[int], file: str) -> list[Problem]:
    """Each target id starts with ``PLAN_ID:``; a dropped target names its reason."""
    out = []
    for rec, row in zip(frame.to_dict("records"), rows, strict=True):
        tid, plan = _text(rec.get("target_id")), _text(rec.get("plan_id"))
        if tid is not None and plan is not None and not tid.startswith(plan + ":"):
            out.append(Problem(file, int(row), "target_id", tid, f"must start with '{plan}:' (须以计划编号开头)"))
        if _text(rec.get("status")) == "dropped" and _text(rec.get("drop_reason")) is None:
            out.append(Problem(file, int(row), "drop_reason", None, "a dropped target needs a reason (剔除须说明原因)"))
    return out


def check_funds(session: Session | None, frame: pd.DataFrame, rows: Sequence[int], file: str) -> list[Problem]:
    """Each fund id is ``PROJECT_ID:YYYY-MM-DD``."""
    out = []
    for rec, row in zip(frame.to_dict("records"), rows, strict=True):
        want = f"{_text(rec.get('project_id'))}:{_text(rec.get('on_date'))}"
        if _text(rec.get("fund_id")) != want:
            out.append(Problem(file, int(row), "fund_id", _text(rec.get("fund_id")), f"must be '{want}' (项目编号:日期)"))
    return out
