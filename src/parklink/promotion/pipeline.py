"""Pure functions over the promotion frames: KPI inputs with their group columns, the derived
stage of each project, conversion of recommended targets, and plan progress.

Frames are the canonical frames of :mod:`parklink.tables_promotion` (``read_frame``) and of
the registry (parks, designations, zones, regions). No database access here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pandas as pd

from parklink.promotion.kpi import KPIResult, compute_kpis, overdue_alerts, project_progress

__all__ = [
    "CONVERSION_COLUMNS",
    "PromotionFrames",
    "conversion",
    "frames_of",
    "kpi_inputs",
    "ledger_alerts",
    "ledger_kpis",
    "origin_of",
    "park_groups",
    "plan_progress",
    "stages_of",
]

PROMOTION_KINDS = ("promotion_plans", "plan_goals", "plan_targets", "promotion_events", "projects",
                   "stage_events", "project_funds")


@dataclass(frozen=True, eq=False)
class PromotionFrames:
    """The promotion ledger's frames (canonical columns) with the registry frames needed to
    group it (parks, designations, zones, regions); ``synthetic`` is true when any project
    row is synthetic."""

    frames: Mapping[str, pd.DataFrame]
    registry: Mapping[str, pd.DataFrame]

    def __getitem__(self, kind: str) -> pd.DataFrame:
        return self.frames[kind]

    @property
    def synthetic(self) -> bool:
        """True when any project of the ledger is synthetic."""
        p = self.frames["projects"]
        return bool(len(p) and p["synthetic"].fillna(False).astype(bool).any())

    def events_frame(self) -> pd.DataFrame:
        """Stage events as the KPI engine takes them: ``project_id, stage, on`` (ISO text)."""
        ev = self.frames["stage_events"]
        return pd.DataFrame({"project_id": ev["project_id"].astype(str), "stage": ev["stage"].astype(str),
                             "on": pd.to_datetime(ev["on_date"].astype(str))})

    def funds_frame(self) -> pd.DataFrame:
        """Funds arrivals as the KPI engine takes them: ``project_id, on, amount_cny_m``."""
        f = self.frames["project_funds"]
        return pd.DataFrame({"project_id": f["project_id"].astype(str), "on": pd.to_datetime(f["on_date"].astype(str)),
                             "amount_cny_m": f["amount_cny_m"].astype(float)})


def origin_of(province: Any, country: Any) -> str:
    """The investor-origin group: the province for a domestic investor, else the country."""
    prov = None if province is None or pd.isna(province) or str(province) == "" else str(province)
    ctry = "CN" if country is None or pd.isna(country) or str(country) == "" else str(country)
    if ctry.upper() in ("CN", "CHN", "CHINA", "中国"):
        return prov or "CN"
    return ctry


def park_groups(registry: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Per park: ``designations`` and ``zones`` (lists of ids) and ``in_park`` (member of an
    active designation)."""
    from parklink.programme.zones import park_zones
    from parklink.tables import split_list

    parks = registry["parks"]
    des = registry.get("designations", pd.DataFrame(columns=["designation_id", "members"]))
    member: dict[str, list[str]] = {}
    for rec in des.to_dict("records"):
        revoked = rec.get("revoked_year")
        if revoked is not None and not pd.isna(revoked):
            continue
        for pid in split_list(rec.get("members")):
            member.setdefault(pid, []).append(str(rec["designation_id"]))
    zones = registry.get("zones")
    regions = registry.get("regions")
    zl: list[list[str]] = (park_zones(parks, zones, regions)
                           if zones is not None and regions is not None and len(zones) and len(parks)
                           else [[] for _ in range(len(parks))])
    ids = parks["park_id"].astype(str).tolist()
    return pd.DataFrame({"park_id": ids, "designations": [member.get(p, []) for p in ids], "zones": zl,
                         "in_park": [bool(member.get(p)) for p in ids]})


def kpi_inputs(pf: PromotionFrames, by: Sequence[str] = ()) -> pd.DataFrame:
    """Projects with the KPI columns and every group column of :data:`GROUPS` (a project of
    a park in two designations or zones appears once per group when grouping by them)."""
    p = pf["projects"]
    groups = park_groups(pf.registry)
    out = pd.DataFrame({
        "project_id": p["project_id"].astype(str),
        "park_id": p["park_id"].astype(str),
        "chain": p["chain"].astype(object).where(p["chain"].notna(), None),
        "origin": [origin_of(a, b) for a, b in zip(p["origin_province"], p["origin_country"], strict=True)],
        "event_id": p["event_id"].astype(object).where(p["event_id"].notna(), None),
        "signed_investment_cny_m": pd.to_numeric(p["signed_investment_cny_m"]).astype(float),
        "planned_start": pd.to_datetime(p["planned_start"].astype(object)).dt.date.astype(object),
        "planned_production": pd.to_datetime(p["planned_production"].astype(object)).dt.date.astype(object),
    })
    out = out.merge(groups, on="park_id", how="left")
    out["in_park"] = out["in_park"].fillna(False).astype(bool)
    for col, src in (("designation_id", "designations"), ("zone_id", "zones")):
        lists = out[src].map(lambda v: v if isinstance(v, list) and v else [None])
        if col in by:
            out = out.assign(**{col: lists}).explode(col)
        else:
            out[col] = lists.map(lambda v: v[0])
    out["planned_start"] = out["planned_start"].where(out["planned_start"].notna(), None)
    return out.drop(columns=["designations", "zones"]).reset_index(drop=True)


def ledger_kpis(pf: PromotionFrames, *, as_of: dt.date, by: Sequence[str] = (),
                year: int | None = None) -> KPIResult:
    """The KPI table of the ledger (:func:`parklink.promotion.kpi.compute_kpis`) grouped by
    ``by``; with ``year`` only the projects signed in that year (the year's cohort)."""
    projects = kpi_inputs(pf, by)
    events = pf.events_frame()
    if year is not None:
        prog = project_progress(events, None, as_of=as_of)
        signed_in = set(prog.loc[pd.to_datetime(prog["signed_at"]).dt.year == year, "project_id"])
        projects = projects[projects["project_id"].isin(signed_in)]
        events = events[events["project_id"].isin(signed_in)]
    funds = pf.funds_frame()
    return compute_kpis(projects, events, funds if len(funds) else None, as_of=as_of, by=list(by))


def ledger_alerts(pf: PromotionFrames, *, as_of: dt.date, stall_days: int = 90) -> pd.DataFrame:
    """Overdue and stalled projects (:func:`parklink.promotion.kpi.overdue_alerts`) with the
    project's name and park."""
    p = pf["projects"]
    if not len(p) or not len(pf["stage_events"]):
        return pd.DataFrame(columns=["project_id", "name_zh", "park_id", "alert", "planned", "last_event", "days", "stage"])
    inp = kpi_inputs(pf)
    alerts = overdue_alerts(inp, pf.events_frame(), as_of=as_of, stall_days=stall_days)
    names = p[["project_id", "name_zh", "park_id"]].astype({"project_id": str})
    out = alerts.merge(names, on="project_id", how="left")
    return out[["project_id", "name_zh", "park_id", "alert", "planned", "last_event", "days", "stage"]]


def stages_of(pf: PromotionFrames, *, as_of: dt.date | None = None) -> pd.DataFrame:
    """Per project: the current stage derived from the log (``lead`` … ``at_capacity`` or
    ``terminated``; None without events) and the stage dates (``signed_at`` …)."""
    ev = pf.events_frame()
    on = as_of or dt.date(2100, 1, 1)
    if not len(ev):
        return pd.DataFrame(columns=["project_id", "stage", "signed_at", "started_at", "last_at"])
    return project_progress(ev, None, as_of=on)


CONVERSION_COLUMNS = ("model_version", "recommended", "leads", "signed", "started", "lead_rate",
                      "signed_rate", "started_rate")


def conversion(pf: PromotionFrames, *, as_of: dt.date) -> pd.DataFrame:
    """Share of recommended targets that became leads, signed and started projects, per
    ranking model version.

    Recommended = plan targets with ``status`` ranked (the engine's list; dropped ones count:
    dropping is a decision about a recommendation). A target *became a lead* when a project
    of the same plan has its ``investor_id`` and ``segment_id``; signed / started when that
    project reached the stage by ``as_of``. Rates are over the recommended targets.
    """
    tg = pf["plan_targets"]
    tg = tg[tg["status"].astype(str).isin(["ranked", "dropped"]) & tg["model_version"].notna()]
    if not len(tg):
        return pd.DataFrame(columns=list(CONVERSION_COLUMNS))
    p = pf["projects"]
    prog = stages_of(pf, as_of=as_of)
    cols = ["project_id", "plan_id", "investor_id", "segment_id"]
    pj = p[cols].astype(object).merge(prog[["project_id", "signed_at", "started_at"]] if len(prog)
                                      else pd.DataFrame(columns=["project_id", "signed_at", "started_at"]),
                                      on="project_id", how="left")
    pj = pj.dropna(subset=["plan_id", "investor_id"])
    agg = pj.groupby(["plan_id", "investor_id", "segment_id"], dropna=False).agg(
        signed=("signed_at", lambda s: bool(s.notna().any())),
        started=("started_at", lambda s: bool(s.notna().any()))).reset_index()
    agg["lead"] = True
    t = tg[["plan_id", "enterprise_id", "segment_id", "model_version"]].astype(object).merge(
        agg.rename(columns={"investor_id": "enterprise_id"}), on=["plan_id", "enterprise_id", "segment_id"], how="left")
    for c in ("lead", "signed", "started"):
        t[c] = [v is True for v in t[c].tolist()]  # NaN / NaT (no project, or none yet) = False
    out = t.groupby("model_version").agg(recommended=("enterprise_id", "size"), leads=("lead", "sum"),
                                         signed=("signed", "sum"), started=("started", "sum")).reset_index()
    for c in ("leads", "signed", "started"):
        out[f"{c.rstrip('s')}_rate" if c == "leads" else f"{c}_rate"] = out[c] / out["recommended"]
    return out[list(CONVERSION_COLUMNS)]


def plan_progress(pf: PromotionFrames, plan_id: str, *, as_of: dt.date) -> pd.DataFrame:
    """Per goal year of a plan: goal vs actual signed projects, signed investment and funds
    in place of the plan's projects (signed in that year; funds arrived in that year), the
    completion shares and the share of the year elapsed (时间进度) at ``as_of``."""
    from parklink.promotion.kpi import year_elapsed

    goals = pf["plan_goals"]
    goals = goals[goals["plan_id"].astype(str) == plan_id].sort_values("year")
    p = pf["projects"]
    mine = p[p["plan_id"].astype(object) == plan_id]
    prog = stages_of(pf, as_of=as_of)
    prog = prog[prog["project_id"].isin(mine["project_id"])] if len(prog) else prog
    signed_year = pd.to_datetime(prog["signed_at"]).dt.year if len(prog) else pd.Series(dtype=float)
    inv = mine.set_index("project_id")["signed_investment_cny_m"].astype(float)
    funds = pf.funds_frame()
    funds = funds[funds["project_id"].isin(mine["project_id"]) & (funds["on"].dt.date <= as_of)]
    rows = []
    for g in goals.to_dict("records"):
        y = int(g["year"])
        ids = prog.loc[signed_year == y, "project_id"] if len(prog) else pd.Series(dtype=object)
        actual_inv = float(inv.reindex(ids).fillna(0).sum())
        actual_funds = float(funds.loc[funds["on"].dt.year == y, "amount_cny_m"].sum())
        elapsed = 1.0 if as_of.year > y else (year_elapsed(as_of) if as_of.year == y else 0.0)

        def share(a: float, goal: Any) -> float | None:
            return None if goal is None or pd.isna(goal) or float(goal) == 0 else a / float(goal)

        rows.append({"year": y, "goal_projects": g["projects"], "signed_projects": len(ids),
                     "projects_share": share(len(ids), g["projects"]),
                     "goal_signed_cny_m": g["signed_investment_cny_m"], "signed_cny_m": actual_inv,
                     "signed_share": share(actual_inv, g["signed_investment_cny_m"]),
                     "goal_funds_cny_m": g["funds_in_place_cny_m"], "funds_cny_m": actual_funds,
                     "funds_share": share(actual_funds, g["funds_in_place_cny_m"]), "year_elapsed": elapsed})
    return pd.DataFrame(rows, columns=["year", "goal_projects", "signed_projects", "projects_share",
                                       "goal_signed_cny_m", "signed_cny_m", "signed_share", "goal_funds_cny_m",
                                       "funds_cny_m", "funds_share", "year_elapsed"])


def frames_of(promotion: Mapping[str, pd.DataFrame], registry: Mapping[str, pd.DataFrame]) -> PromotionFrames:
    """Bundle the promotion frames and the registry frames (read-only views)."""
    return PromotionFrames(MappingProxyType(dict(promotion)), MappingProxyType(dict(registry)))

