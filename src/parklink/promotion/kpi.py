"""Investment-promotion KPIs (招商指标) over the project ledger and its stage-event log.

No official definitions (口径) exist; parklink publishes its own in ``docs/promotion.md``,
built from the published usages gathered in ``operations-facts.md`` §1.2. With ``as_of`` the
date of the report, every figure counts only events and funds dated on or before it.

Per project (from the log; a skipped stage counts as entered on the later event's date):
``signed_at`` first event at or past *signed*; ``started_at`` at or past *construction
started*; ``production_at`` at or past *in production*; ``capacity_at`` *at capacity*;
``terminated_at``; ``lead_at`` the first *lead* event.

Per group (projects of the group; "signed" = ``signed_at`` set):

- performance rate 履约率 = performing / signed, where a signed project *performs* once it has
  funds in place or has started construction by ``as_of`` (the published usage: 履约 = a
  performance event — funds arrived or work started — after signing)
- start rate 开工率 = started by ``as_of`` among signed projects planned to start by ``as_of`` /
  signed projects planned to start by ``as_of``
- production rate 投产率 = in production (or at capacity) / signed
- funds-in-place rate 资金到位率 = Σ funds in place (cumulative to ``as_of``) / Σ signed investment,
  over signed projects
- mean days per stage: lead→signed, signed→started, started→production, production→capacity,
  over the projects that entered both stages

A project terminated after signing stays in the signed denominator (it counts as a failure);
stages it reached before termination stay reached.

Computed in one DuckDB query over the frames (zero-copy through Arrow); values enter the query
as bound parameters, group columns only from :data:`GROUPS`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pandas as pd

from parklink.errors import ValidationError
from parklink.promotion.stages import ACTIVE_STAGES, STAGE_RANK, TERMINATED

__all__ = [
    "GROUPS",
    "KPI_COLUMNS",
    "KPIResult",
    "compute_kpis",
    "overdue_alerts",
    "project_progress",
    "year_elapsed",
]

#: Columns a KPI table may be grouped by: key → (中文, English).
GROUPS: dict[str, tuple[str, str]] = {
    "park_id": ("园区", "park"),
    "designation_id": ("示范园区", "designation"),
    "zone_id": ("合作区域", "zone"),
    "chain": ("产业链", "chain"),
    "origin": ("投资来源地", "investor origin"),
    "event_id": ("招商活动", "promotion event"),
    "signed_year": ("签约年度", "year signed"),
    "in_park": ("是否入园", "in a demonstration park"),
}

#: The KPI columns of :meth:`KPIResult.to_frame`: key → (中文, English, unit).
KPI_COLUMNS: dict[str, tuple[str, str, str]] = {
    "n_projects": ("项目数", "projects", "count"),
    "n_signed": ("签约项目", "signed", "count"),
    "signed_investment_cny_m": ("协议投资额", "signed investment", "million CNY"),
    "n_performing": ("履约项目", "performing (funds or started)", "count"),
    "n_started": ("开工项目", "started", "count"),
    "n_in_production": ("投产项目", "in production", "count"),
    "n_at_capacity": ("达产项目", "at capacity", "count"),
    "n_terminated": ("终止项目", "terminated", "count"),
    "n_planned_start": ("计划开工", "planned to start by date", "count"),
    "n_started_as_planned": ("计划内已开工", "of those, started", "count"),
    "funds_in_place_cny_m": ("到位资金", "funds in place", "million CNY"),
    "performance_rate": ("履约率", "performance rate", "share"),
    "start_rate": ("开工率", "start rate", "share"),
    "production_rate": ("投产率", "production rate", "share"),
    "funds_rate": ("资金到位率", "funds-in-place rate", "share"),
    "days_lead_to_signed": ("线索→签约天数", "days lead→signed", "days"),
    "days_signed_to_started": ("签约→开工天数", "days signed→started", "days"),
    "days_started_to_production": ("开工→投产天数", "days started→production", "days"),
    "days_production_to_capacity": ("投产→达产天数", "days production→capacity", "days"),
}

_PROJECT_COLUMNS = ("project_id", "signed_investment_cny_m", "planned_start")
_EVENT_COLUMNS = ("project_id", "stage", "on")
_FUND_COLUMNS = ("project_id", "on", "amount_cny_m")


def year_elapsed(as_of: dt.date) -> float:
    """Share of the calendar year elapsed at the end of ``as_of`` (时间进度), e.g. 0.5 at 1 July
    of a leap year's 183rd day: ``day_of_year / days_in_year``."""
    days = 366 if (as_of.year % 4 == 0 and (as_of.year % 100 != 0 or as_of.year % 400 == 0)) else 365
    return as_of.timetuple().tm_yday / days


def _need(frame: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValidationError.single(name, f"missing column(s): {', '.join(missing)}")


def _stage_case() -> str:
    arms = " ".join(f"WHEN '{s}' THEN {r}" for s, r in STAGE_RANK.items())  # fixed vocabulary
    return f"CASE stage {arms} END"


def _progress_sql(with_funds: bool) -> str:
    r = _stage_case()
    names = ", ".join(f"'{s}'" for s in ACTIVE_STAGES)  # fixed vocabulary
    funds_cte = (
        'fu AS (SELECT project_id, sum(amount_cny_m) AS funds_in_place_cny_m FROM funds '
        'WHERE CAST("on" AS DATE) <= $as_of GROUP BY project_id)'
        if with_funds else "fu AS (SELECT NULL::VARCHAR AS project_id, 0.0::DOUBLE AS funds_in_place_cny_m WHERE false)"
    )
    # the CASE arms and stage names come from the fixed stage vocabulary; the date is a bound parameter
    return f"""
        WITH ev AS (
            SELECT project_id, {r} AS r, CAST("on" AS DATE) AS d FROM events WHERE CAST("on" AS DATE) <= $as_of
        ),
        g AS (
            SELECT project_id,
                   min(d) AS first_at,
                   min(d) FILTER (WHERE r = 0) AS lead_at,
                   min(d) FILTER (WHERE r >= 2) AS signed_at,
                   min(d) FILTER (WHERE r >= 3) AS started_at,
                   min(d) FILTER (WHERE r >= 4) AS production_at,
                   min(d) FILTER (WHERE r >= 5) AS capacity_at,
                   min(d) FILTER (WHERE r = -1) AS terminated_at,
                   max(d) AS last_at,
                   max(r) AS max_rank
            FROM ev GROUP BY project_id
        ),
        {funds_cte}
        SELECT g.project_id, first_at, lead_at, signed_at, started_at, production_at, capacity_at,
               terminated_at, last_at,
               coalesce(fu.funds_in_place_cny_m, 0.0) AS funds_in_place_cny_m,
               CASE WHEN terminated_at IS NOT NULL OR max_rank < 0 THEN '{TERMINATED}'
                    ELSE list_extract([{names}], max_rank + 1) END AS stage
        FROM g LEFT JOIN fu USING (project_id)
    """  # noqa: S608


@dataclass(frozen=True, eq=False)
class KPIResult:
    """KPI table by group, with the per-project progress it was computed from."""

    table: pd.DataFrame = field(repr=False)
    progress: pd.DataFrame = field(repr=False)
    by: tuple[str, ...]
    as_of: dt.date

    def to_frame(self) -> pd.DataFrame:
        """One row per group: the group columns then :data:`KPI_COLUMNS`."""
        return self.table.copy()

    def explain(self) -> Mapping[str, pd.DataFrame]:
        """Read-only view of the intermediate table: each project's stage dates and funds."""
        return MappingProxyType({"progress": self.progress.copy()})

    def summary(self) -> dict[str, Any]:
        """Totals over all groups (rates recomputed from the totals, not averaged)."""
        t = self.table
        signed = float(t["n_signed"].sum())
        planned = float(t["n_planned_start"].sum())
        inv = float(t["signed_investment_cny_m"].sum())
        return {
            "as_of": self.as_of.isoformat(),
            "year_elapsed": year_elapsed(self.as_of),
            "groups": len(t),
            "n_projects": int(t["n_projects"].sum()),
            "n_signed": int(signed),
            "performance_rate": float(t["n_performing"].sum()) / signed if signed else None,
            "start_rate": float(t["n_started_as_planned"].sum()) / planned if planned else None,
            "production_rate": float(t["n_in_production"].sum()) / signed if signed else None,
            "funds_rate": float(t["funds_in_place_cny_m"].sum()) / inv if inv else None,
        }


def _connect(events: pd.DataFrame, funds: pd.DataFrame | None) -> Any:
    import duckdb

    _need(events, _EVENT_COLUMNS, "stage events")
    con = duckdb.connect()
    con.register("events", events[list(_EVENT_COLUMNS)])
    if funds is not None and len(funds):
        _need(funds, _FUND_COLUMNS, "funds in place")
        con.register("funds", funds[list(_FUND_COLUMNS)])
    return con


def project_progress(events: pd.DataFrame, funds: pd.DataFrame | None, *, as_of: dt.date) -> pd.DataFrame:
    """Per project: first dates of each stage, last event date, current stage and funds in
    place as of ``as_of`` (see the module docstring)."""
    con = _connect(events, funds)
    try:
        sql = _progress_sql(funds is not None and len(funds) > 0) + " ORDER BY project_id"
        out: pd.DataFrame = con.execute(sql, {"as_of": as_of}).df()
        return out
    finally:
        con.close()


def compute_kpis(
    projects: pd.DataFrame,
    events: pd.DataFrame,
    funds: pd.DataFrame | None = None,
    *,
    as_of: dt.date,
    by: Sequence[str] = (),
) -> KPIResult:
    """The KPI table of the ledger grouped by ``by`` (keys of :data:`GROUPS`; empty = one row).

    ``projects``: ``project_id``, ``signed_investment_cny_m``, ``planned_start`` and the group
    columns used; ``events``: ``project_id, stage, on``; ``funds``: ``project_id, on,
    amount_cny_m`` (increments). ``signed_year`` is derived from the signing event.
    """
    unknown = [b for b in by if b not in GROUPS]
    if unknown:
        raise ValidationError.single("kpi", f"cannot group by {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    _need(projects, [*_PROJECT_COLUMNS, *[b for b in by if b != "signed_year"]], "projects")
    cols = list(dict.fromkeys([*_PROJECT_COLUMNS, *[b for b in by if b != "signed_year"]]))
    group_sql = ", ".join(f'"{b}"' for b in by)  # identifiers from the GROUPS whitelist only
    select_groups = f"{group_sql}, " if by else ""
    group_clause = f"GROUP BY {group_sql} ORDER BY {group_sql}" if by else ""
    # group identifiers come from the GROUPS whitelist; values are bound parameters
    sql = f"""
        WITH j AS (
            SELECT p.*, g.*, year(g.signed_at) AS signed_year,
                   CAST(p.planned_start AS DATE) AS planned_start_d
            FROM proj p JOIN prog g USING (project_id)
        )
        SELECT {select_groups}
            count(*) AS n_projects,
            count(*) FILTER (WHERE signed_at IS NOT NULL) AS n_signed,
            coalesce(sum(signed_investment_cny_m) FILTER (WHERE signed_at IS NOT NULL), 0) AS signed_investment_cny_m,
            count(*) FILTER (WHERE signed_at IS NOT NULL
                             AND (started_at IS NOT NULL OR funds_in_place_cny_m > 0)) AS n_performing,
            count(*) FILTER (WHERE started_at IS NOT NULL) AS n_started,
            count(*) FILTER (WHERE production_at IS NOT NULL) AS n_in_production,
            count(*) FILTER (WHERE capacity_at IS NOT NULL) AS n_at_capacity,
            count(*) FILTER (WHERE terminated_at IS NOT NULL) AS n_terminated,
            count(*) FILTER (WHERE signed_at IS NOT NULL AND planned_start_d <= $as_of) AS n_planned_start,
            count(*) FILTER (WHERE signed_at IS NOT NULL AND planned_start_d <= $as_of
                             AND started_at IS NOT NULL) AS n_started_as_planned,
            coalesce(sum(funds_in_place_cny_m) FILTER (WHERE signed_at IS NOT NULL), 0) AS funds_in_place_cny_m,
            avg(date_diff('day', lead_at, signed_at)) FILTER (WHERE lead_at IS NOT NULL AND signed_at IS NOT NULL) AS days_lead_to_signed,
            avg(date_diff('day', signed_at, started_at)) FILTER (WHERE started_at IS NOT NULL) AS days_signed_to_started,
            avg(date_diff('day', started_at, production_at)) FILTER (WHERE production_at IS NOT NULL) AS days_started_to_production,
            avg(date_diff('day', production_at, capacity_at)) FILTER (WHERE capacity_at IS NOT NULL) AS days_production_to_capacity
        FROM j {group_clause}
    """  # noqa: S608
    con = _connect(events, funds)
    try:
        con.register("proj", projects[cols])
        con.execute(
            "CREATE TEMP TABLE prog AS " + _progress_sql(funds is not None and len(funds) > 0), {"as_of": as_of}
        )
        table = con.execute(sql, {"as_of": as_of}).df()
        prog = con.execute("SELECT * FROM prog ORDER BY project_id").df()
    finally:
        con.close()

    def ratio(num: str, den: str) -> pd.Series:
        d = table[den].astype(float)
        share: pd.Series = (table[num].astype(float) / d).where(d > 0)
        return share

    table["performance_rate"] = ratio("n_performing", "n_signed")
    table["start_rate"] = ratio("n_started_as_planned", "n_planned_start")
    table["production_rate"] = ratio("n_in_production", "n_signed")
    table["funds_rate"] = ratio("funds_in_place_cny_m", "signed_investment_cny_m")
    ordered = [*by, *KPI_COLUMNS]
    return KPIResult(table[ordered].reset_index(drop=True), prog, tuple(by), as_of)


def overdue_alerts(
    projects: pd.DataFrame,
    events: pd.DataFrame,
    *,
    as_of: dt.date,
    stall_days: int = 90,
) -> pd.DataFrame:
    """Projects needing attention on ``as_of``: ``start_overdue`` (planned start passed, not
    started), ``production_overdue`` (planned production passed, not in production), and
    ``stalled`` (no event for ``stall_days`` days, before production: projects in production,
    at capacity or terminated are not stalled; terminated and at-capacity projects get no
    alert at all)).
    Columns: project_id, alert, planned, last_event, days, stage."""
    prog = project_progress(events, None, as_of=as_of)
    cols = [c for c in ("project_id", "planned_start", "planned_production") if c in projects.columns]
    j = projects[cols].merge(prog, on="project_id", how="inner")
    j = j[~j["stage"].isin([TERMINATED, "at_capacity"])]
    parts: list[pd.DataFrame] = []
    today = pd.Timestamp(as_of)
    for alert, plan_col, done_col in (("start_overdue", "planned_start", "started_at"),
                                      ("production_overdue", "planned_production", "production_at")):
        if plan_col not in j.columns:
            continue
        planned = pd.to_datetime(j[plan_col], errors="coerce")
        hit = j[(planned < today) & j[done_col].isna()]
        parts.append(pd.DataFrame({
            "project_id": hit["project_id"], "alert": alert, "planned": planned[hit.index].dt.date,
            "last_event": hit["last_at"], "days": (today - planned[hit.index]).dt.days, "stage": hit["stage"],
        }))
    last = pd.to_datetime(j["last_at"])
    idle = (today - last).dt.days
    stalled = j[(idle > stall_days) & ~j["stage"].isin(["in_production"])]
    parts.append(pd.DataFrame({
        "project_id": stalled["project_id"], "alert": "stalled", "planned": None,
        "last_event": stalled["last_at"], "days": idle[stalled.index], "stage": stalled["stage"],
    }))
    columns = ["project_id", "alert", "planned", "last_event", "days", "stage"]
    out = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else pd.DataFrame(columns=columns)
    return out[columns].sort_values(["days", "project_id"], ascending=[False, True]).reset_index(drop=True)
