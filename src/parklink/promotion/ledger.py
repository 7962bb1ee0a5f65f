"""The office's project ledger (招商项目台账): one row per project, imported into projects,
their stage events and funds in place, and exported in the same layout.

The layout (:data:`LEDGER`; Chinese or English headers, in any order, columns optional
unless marked required) is documented in ``docs/promotion.md``. Each filled stage-date
column becomes one stage event (``PROJECT_ID:STAGE``) dated that day; ``terminated_on``
needs ``termination_reason`` (a code or its Chinese / English label). The cumulative
``funds_in_place_cny_m`` as of ``funds_as_of`` becomes one funds entry holding the increment
over the funds already stored before that date. Choice columns accept the code or either
label (e.g. 汽车（含新能源汽车） for ``auto``, 园中园：研发+转化 for ``pip_rd_transformation``).

The import reads the whole file (CSV UTF-8/BOM/GBK, XLSX, Parquet), validates every cell,
the stage order of every row against itself and the stored log, and writes nothing unless
every row is right: the problems name the ledger's row, its column (as the file names it)
and the reason. Then projects (upsert or append), stage events (append-only) and funds go
through the generic change path (:func:`parklink.ingest.changes.apply_changes`) in one
transaction, with history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select

from parklink import tables_promotion as tp
from parklink import vocab
from parklink.errors import Problem, ValidationError
from parklink.promotion.checks import check_stage_events
from parklink.tables import CONFIDENCE, Column, TableSchema
from parklink.tables_promotion import PROJECTS

__all__ = ["LEDGER", "LEDGER_ZH", "LedgerReport", "export_ledger", "import_ledger", "ledger_frame"]

#: stage → (ledger column, 中文表头)
STAGE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("lead", "lead_on", "线索日期"),
    ("negotiating", "negotiating_on", "在谈日期"),
    ("signed", "signed_on", "签约日期"),
    ("construction_started", "construction_started_on", "开工日期"),
    ("in_production", "in_production_on", "投产日期"),
    ("at_capacity", "at_capacity_on", "达产日期"),
    ("terminated", "terminated_on", "终止日期"),
)
_PROJECT_ZH: tuple[tuple[str, str], ...] = (
    ("project_id", "项目编号"), ("name_zh", "项目名称"), ("name_en", "英文名称"), ("investor_id", "投资方编号"),
    ("investor_name", "投资方"), ("origin_province", "来源省份"), ("origin_country", "来源国家"),
    ("park_id", "园区编号"), ("chain", "产业链"), ("segment_id", "产业链环节"), ("mode", "投资方式"),
    ("signed_investment_cny_m", "协议投资额（百万元）"), ("jobs", "就业人数"),
    ("expected_output_cny_m", "预计年产值（百万元）"), ("expected_tax_cny_m", "预计年税收（百万元）"),
    ("planned_sign", "计划签约日期"), ("planned_start", "计划开工日期"), ("planned_production", "计划投产日期"),
    ("planned_capacity", "计划达产日期"), ("event_id", "招商活动编号"), ("plan_id", "招商计划编号"),
)
_EXTRA_ZH: tuple[tuple[str, str], ...] = (
    ("termination_reason", "终止原因"), ("funds_in_place_cny_m", "累计到位资金（百万元）"),
    ("funds_as_of", "到位资金截至日期"), ("recorded_by", "填报人"), ("source", "信息来源"),
    ("synthetic", "合成数据"), ("source_url", "来源链接"), ("confidence", "可信度"),
)
#: English column → Chinese header.
ZH_HEADERS: dict[str, str] = {**dict(_PROJECT_ZH), **{c: z for _s, c, z in STAGE_COLUMNS}, **dict(_EXTRA_ZH)}

_REQUIRED = {"project_id", "name_zh", "investor_name", "park_id"}
_DEFAULTS: dict[str, str] = {"origin_country": "CN", "mode": "new", "synthetic": "false", "confidence": "confirmed"}


def _ledger_columns() -> tuple[Column, ...]:
    cols: list[Column] = []
    for name, _zh in _PROJECT_ZH:
        c = PROJECTS.column(name)
        cols.append(Column(c.name, c.type, required=name in _REQUIRED, doc=c.doc, choices=c.choices,
                           minimum=c.minimum, maximum=c.maximum, ref=c.ref, pattern=c.pattern,
                           max_length=c.max_length))
    cols += [Column(col, "date", required=False, doc=f"date the project became {stage}")
             for stage, col, _zh in STAGE_COLUMNS]
    cols += [
        Column("termination_reason", "str", required=False, choices=tp.TERMINATION_REASONS),
        Column("funds_in_place_cny_m", "float", required=False, minimum=0.0,
               doc="cumulative funds in place, million CNY, as of funds_as_of"),
        Column("funds_as_of", "date", required=False),
        Column("recorded_by", "str", required=False, max_length=80),
        Column("source", "str", required=False, max_length=1000),
        Column("synthetic", "bool", required=False),
        Column("source_url", "str", required=False, max_length=2000),
        Column("confidence", "str", required=False, choices=CONFIDENCE),
    ]
    return tuple(cols)


#: The ledger layout (English headers).
LEDGER = TableSchema("project_ledger", _ledger_columns(), key=("project_id",),
                     doc="The office's project ledger: one row per project with its stage dates and funds.")
#: The same layout with the Chinese headers.
LEDGER_ZH = TableSchema("project_ledger", tuple(
    Column(ZH_HEADERS[c.name], c.type, c.required, c.doc, c.choices, c.minimum, c.maximum, None, c.pattern,
           c.max_length) for c in LEDGER.columns), key=(ZH_HEADERS["project_id"],))

_LABELLED: dict[str, Mapping[str, tuple[str, str]]] = {
    "chain": vocab.CHAIN_NAMES, "mode": vocab.PROJECT_MODE_NAMES, "termination_reason": vocab.TERMINATION_REASON_NAMES,
    "confidence": vocab.CONFIDENCE_NAMES,
}


def _normalise(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, str]]:
    """Chinese headers → English; labels of choice columns → codes; defaults filled.
    Returns the frame and English column → header as the file names it."""
    back = {z: c for c, z in ZH_HEADERS.items()}
    shown: dict[str, str] = {}
    renamed = {}
    for h in frame.columns:
        key = str(h).strip()
        en = back.get(key, key)
        renamed[h] = en
        shown[en] = str(h)
    out = frame.rename(columns=renamed)
    for col, names in _LABELLED.items():
        if col in out.columns:
            lookup = {**{zh: c for c, (zh, _en) in names.items()}, **{en.lower(): c for c, (_zh, en) in names.items()}}
            out[col] = out[col].map(lambda v, lk=lookup: v if not isinstance(v, str) else lk.get(v.strip(), lk.get(v.strip().lower(), v)))
    for col, default in _DEFAULTS.items():
        if col not in out.columns:
            out[col] = default
        else:
            out[col] = out[col].where(out[col].notna() & (out[col].astype(str).str.strip() != ""), default)
    return out, shown


@dataclass(frozen=True, slots=True)
class LedgerReport:
    """What a ledger import did (or would do, for a dry run): rows read, and per kind the
    records added, changed and unchanged; history entries written."""

    file: str
    rows: int
    counts: dict[str, dict[str, int]]
    history: int
    dry_run: bool

    def to_frame(self) -> pd.DataFrame:
        """One row per kind: added, changed, unchanged."""
        return pd.DataFrame([{"kind": k, **v} for k, v in self.counts.items()])


def _derive(checked: pd.DataFrame, rows: np.ndarray[Any, Any], file: str, actor: str
            ) -> tuple[pd.DataFrame, pd.DataFrame, list[int], list[str], pd.DataFrame, list[int]]:
    """Projects, stage events (+ their ledger rows and date columns) and funds (+ rows)."""
    proj = checked[[c.name for c in PROJECTS.columns if c.name in checked.columns]].copy()
    for c in PROJECTS.names:
        if c not in proj.columns:
            proj[c] = None
    proj = proj[list(PROJECTS.names)]
    ev_rows: list[dict[str, Any]] = []
    ev_at: list[int] = []
    ev_col: list[str] = []
    for rec, row in zip(checked.to_dict("records"), rows.tolist(), strict=True):
        for stage, col, _zh in STAGE_COLUMNS:
            on = rec.get(col)
            if on is None or (isinstance(on, float) and np.isnan(on)) or on is pd.NaT:
                continue
            reason = rec.get("termination_reason") if stage == "terminated" else None
            ev_rows.append({"stage_event_id": f"{rec['project_id']}:{stage}", "project_id": rec["project_id"],
                            "stage": stage, "on_date": on, "recorded_by": rec.get("recorded_by") or actor[:80],
                            "source": rec.get("source") or f"ledger {file}",
                            "reason": None if pd.isna(reason) else reason, "note": None})
            ev_at.append(int(row))
            ev_col.append(col)
    events = pd.DataFrame(ev_rows, columns=list(tp.STAGE_EVENTS.names))
    f_rows = [{"fund_id": f"{r['project_id']}:{r['funds_as_of'].isoformat()}", "project_id": r["project_id"],
               "on_date": r["funds_as_of"], "amount_cny_m": float(r["funds_in_place_cny_m"]), "use": "unknown",
               "source": r.get("source") or f"ledger {file}"}
              for r in checked.to_dict("records")
              if not pd.isna(r.get("funds_in_place_cny_m")) and isinstance(r.get("funds_as_of"), dt.date)]
    f_at = [int(row) for r, row in zip(checked.to_dict("records"), rows.tolist(), strict=True)
            if not pd.isna(r.get("funds_in_place_cny_m")) and isinstance(r.get("funds_as_of"), dt.date)]
    funds = pd.DataFrame(f_rows, columns=list(tp.PROJECT_FUNDS.names))
    return proj, events, ev_at, ev_col, funds, f_at


def _row_problems(checked: pd.DataFrame, rows: np.ndarray[Any, Any], file: str, shown: Mapping[str, str]) -> list[Problem]:
    out = []
    for rec, row in zip(checked.to_dict("records"), rows.tolist(), strict=True):
        term = rec.get("terminated_on")
        has_term = isinstance(term, dt.date)
        reason = rec.get("termination_reason")
        has_reason = isinstance(reason, str) and bool(reason)
        if has_term != has_reason:
            col = "termination_reason" if has_term else "terminated_on"
            out.append(Problem(file, int(row), shown.get(col, ZH_HEADERS[col]), None,
                               "a termination needs both its date and its reason (终止日期与终止原因须同时填写)"))
        prev: tuple[str, dt.date] | None = None
        for stage, col, _zh in STAGE_COLUMNS:
            on = rec.get(col)
            if not isinstance(on, dt.date):
                continue
            if prev is not None and on < prev[1]:
                out.append(Problem(file, int(row), shown.get(col, ZH_HEADERS[col]), on.isoformat(),
                                   f"{stage} on {on.isoformat()} is before {prev[0]} on {prev[1].isoformat()} "
                                   "(阶段日期早于前一阶段)"))
                break
            prev = (stage, on)
        fi, fa = rec.get("funds_in_place_cny_m"), rec.get("funds_as_of")
        if (fi is None or pd.isna(fi)) != (not isinstance(fa, dt.date)):
            col = "funds_as_of" if not isinstance(fa, dt.date) else "funds_in_place_cny_m"
            out.append(Problem(file, int(row), shown.get(col, ZH_HEADERS[col]), None,
                               "funds in place need both the amount and its date (到位资金与截至日期须同时填写)"))
    return out


def _new_events(session: Any, events: pd.DataFrame, at: list[int], cols: list[str], file: str,
                shown: Mapping[str, str]) -> tuple[pd.DataFrame, list[int], list[str], int, list[Problem]]:
    """The ledger's stage events not yet in the log; a stored one with another date is a
    problem (the log is append-only: a recorded stage keeps its date)."""
    from parklink.store.models_promotion import StageEvent as E

    ids = events["stage_event_id"].astype(str).tolist()
    stored: dict[str, dt.date] = {}
    for i in range(0, len(ids), 500):
        stored.update({str(k): d for k, d in session.execute(
            select(E.stage_event_id, E.on_date).where(E.stage_event_id.in_(ids[i:i + 500])))})
    keep: list[bool] = []
    problems: list[Problem] = []
    for eid, on, row, col in zip(ids, events["on_date"], at, cols, strict=True):
        old = stored.get(eid)
        keep.append(old is None)
        if old is not None and old != on:
            problems.append(Problem(file, row, shown.get(col, ZH_HEADERS[col]), on.isoformat(),
                                    f"the stage log already records this stage on {old.isoformat()}; stage events "
                                    "are never changed (阶段日志只可追加：该阶段已记录为其他日期)"))
    mask = np.array(keep, dtype=bool)
    sel = [i for i, k in enumerate(keep) if k]
    return (events[mask].reset_index(drop=True), [at[i] for i in sel], [cols[i] for i in sel],
            int((~mask).sum()), problems)


def _fund_increments(session: Any, funds: pd.DataFrame, at: list[int], file: str, shown: Mapping[str, str]
                     ) -> tuple[pd.DataFrame, list[int], list[Problem]]:
    """Cumulative ledger figures → increments over the funds stored before each date (rows
    whose stored increment is already that amount are left out)."""
    from parklink.store.models_promotion import ProjectFund as F

    problems: list[Problem] = []
    amounts = []
    keep: list[bool] = []
    ids = sorted(set(funds["project_id"].astype(str)))
    stored: dict[str, list[tuple[dt.date, str, float]]] = {}
    for i in range(0, len(ids), 500):
        for pid, on, fid, amount in session.execute(select(F.project_id, F.on_date, F.fund_id, F.amount_cny_m)
                                                    .where(F.project_id.in_(ids[i:i + 500]))):
            stored.setdefault(str(pid), []).append((on, str(fid), float(amount)))
    for rec, row in zip(funds.to_dict("records"), at, strict=True):
        mine = stored.get(str(rec["project_id"]), [])
        before = sum(a for on, _f, a in mine if on < rec["on_date"])
        same = next((a for _on, f, a in mine if f == rec["fund_id"]), None)
        inc = float(rec["amount_cny_m"]) - before
        keep.append(same is None or abs(same - inc) > 1e-9)
        if inc < -1e-9:
            problems.append(Problem(file, row, shown.get("funds_in_place_cny_m", ZH_HEADERS["funds_in_place_cny_m"]),
                                    str(rec["amount_cny_m"]), f"cumulative funds fall below the {before:g} already "
                                    "stored before that date (累计到位资金小于已记录数)"))
        amounts.append(round(max(inc, 0.0), 9))
    sel = [i for i, k in enumerate(keep) if k]
    out = funds.assign(amount_cny_m=amounts).iloc[sel].reset_index(drop=True)
    return out, [at[i] for i in sel], problems


def import_ledger(path: Path | str, *, session_url: str | None = None, mode: str = "upsert", sheet: str | None = None,
                  dry_run: bool = False, actor: str = "cli") -> LedgerReport:
    """Import the ledger at ``path`` (all or nothing; see the module docstring). ``mode``:
    ``upsert`` (add and update projects) or ``append`` (a stored project with other values
    is a problem). Stage events are only ever added; funds entries upserted."""
    from parklink.ingest.changes import apply_changes
    from parklink.ingest.readers import read_text_table
    from parklink.ingest.validate import validate_table
    from parklink.store import session_scope
    from parklink.store.history import begin_write

    if mode not in ("upsert", "append"):
        raise ValidationError.single(str(path), "mode must be upsert or append (模式须为 upsert 或 append)", value=mode)
    path = Path(path)
    table = read_text_table(path, LEDGER, sheet=sheet)
    frame, shown = _normalise(table.frame)
    table = type(table)(table.file, frame, table.rows, table.problems)
    with session_scope(session_url) as session:
        from parklink.promotion.records import _refs

        checked = validate_table(table, LEDGER, refs=_refs(session, LEDGER, frame))
        problems = [Problem(p.file, p.row, shown.get(p.column or "", p.column), p.value, p.reason)
                    for p in checked.problems]
        problems += _row_problems(checked.frame, checked.rows, table.file, shown)
        bad = {p.row for p in problems}
        if any(r is None for r in bad):  # a file-level problem (header, missing column)
            raise ValidationError(problems)
        good = np.array([int(r) not in bad for r in checked.rows], dtype=bool)
        proj, events, ev_at, ev_col, funds, f_at = _derive(checked.frame[good].reset_index(drop=True),
                                                           checked.rows[good], table.file, actor)
        events, ev_at, ev_col, kept, eprobs = _new_events(session, events, ev_at, ev_col, table.file, shown)
        problems += eprobs
        got = check_stage_events(session, events, ev_at, table.file)
        col_of = {(r, e["stage"]): c for r, c, e in zip(ev_at, ev_col, events.to_dict("records"), strict=True)}
        for p in got:
            col = col_of.get((p.row or 0, p.value or ""), "")
            problems.append(Problem(p.file, p.row, shown.get(col, ZH_HEADERS.get(col, p.column)), p.value, p.reason))
        funds, f_at, fprobs = _fund_increments(session, funds, f_at, table.file, shown)
        problems += fprobs
        if problems:
            problems.sort(key=lambda p: (p.row or 0, p.column or ""))
            raise ValidationError(problems)
        begin_write(session)
        counts: dict[str, dict[str, int]] = {}
        history = 0
        rows = checked.rows[good].tolist()
        counts["stage_events_kept"] = {"added": 0, "changed": 0, "unchanged": kept}
        for kind, fr, at, kmode in (("projects", proj, rows, mode), ("stage_events", events, ev_at, "append"),
                                    ("project_funds", funds, f_at, "upsert")):
            if not len(fr):
                counts[kind] = {"added": 0, "changed": 0, "unchanged": 0}
                continue
            from parklink.store.io import coerce_frame

            pv = apply_changes(session, kind, coerce_frame(fr.reset_index(drop=True), kind), at, file=table.file,
                               mode=kmode, actor=actor)
            counts[kind] = {"added": len(pv.added), "changed": len(pv.changed), "unchanged": pv.unchanged}
            history += pv.history
        if dry_run:
            session.rollback()
            history = 0
    return LedgerReport(table.file, len(checked.frame), counts, history, dry_run)


def ledger_frame(session: Any, *, park_ids: list[str] | None = None) -> pd.DataFrame:
    """The stored projects in the ledger layout (:data:`LEDGER` columns): one row per
    project, its stage dates and its cumulative funds in place as of the last entry."""
    from parklink.store.io import read_frame

    p = read_frame(session, "projects")
    if park_ids is not None:
        p = p[p["park_id"].isin(park_ids)]
    ev = read_frame(session, "stage_events")
    ev = ev[ev["project_id"].isin(p["project_id"])]
    out = p.copy()
    for stage, col, _zh in STAGE_COLUMNS:
        d = ev[ev["stage"] == stage].set_index("project_id")["on_date"]
        out[col] = out["project_id"].map(d)
    term = ev[ev["stage"] == "terminated"].set_index("project_id")["reason"]
    out["termination_reason"] = out["project_id"].map(term)
    fu = read_frame(session, "project_funds")
    fu = fu[fu["project_id"].isin(p["project_id"])]
    if len(fu):
        g = fu.groupby("project_id").agg(total=("amount_cny_m", "sum"), last=("on_date", "max"))
        out["funds_in_place_cny_m"] = out["project_id"].map(g["total"]).astype("Float64")
        out["funds_as_of"] = out["project_id"].map(g["last"])
    else:
        out["funds_in_place_cny_m"], out["funds_as_of"] = None, None
    last_by = ev.sort_values("on_date").groupby("project_id")["recorded_by"].last() if len(ev) else pd.Series(dtype=object)
    out["recorded_by"] = out["project_id"].map(last_by)
    out["source"] = None
    return out[list(LEDGER.names)].sort_values("project_id").reset_index(drop=True)


def export_ledger(path: Path | str, *, session_url: str | None = None, zh_headers: bool = True,
                  park_ids: list[str] | None = None) -> int:
    """Write the ledger layout of the stored projects to ``path`` (.xlsx, .csv with BOM,
    .parquet); Chinese headers by default. Returns the number of rows. Re-importing the file
    changes nothing."""
    from parklink.ingest.writers import write_frame_file
    from parklink.store import session_scope

    with session_scope(session_url) as session:
        frame = ledger_frame(session, park_ids=park_ids)
    schema = LEDGER
    if zh_headers:
        frame = frame.rename(columns=ZH_HEADERS)
        schema = LEDGER_ZH
    write_frame_file(frame, schema, Path(path))
    return len(frame)
