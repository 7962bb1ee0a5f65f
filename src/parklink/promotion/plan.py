"""The promotion section of the plan (招商引资): KPIs by designation, the overall totals
against the share of the year elapsed, overdue and stalled alerts, and conversion of
recommended targets — computed from the inputs bundle's promotion ledger
(:meth:`parklink.inputs.Inputs.promotion`).

Synthetic and real rows are never mixed without the label: the KPI tables are computed on
the synthetic rows and on the real rows separately; the section is marked synthetic when
any figure rests on synthetic rows, and real (sourced) projects are listed on their own.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from parklink.promotion.pipeline import (
    PromotionFrames,
    conversion,
    frames_of,
    ledger_alerts,
    ledger_kpis,
)
from parklink.report.section import Section, SectionTable

if TYPE_CHECKING:
    from parklink.inputs import Inputs

__all__ = ["promotion_hook", "promotion_section"]


def _split(pf: PromotionFrames, synthetic: bool) -> PromotionFrames:
    p = pf["projects"]
    keep = p["synthetic"].fillna(False).astype(bool) == synthetic
    ids = set(p.loc[keep, "project_id"])
    frames = dict(pf.frames)
    frames["projects"] = p[keep]
    frames["stage_events"] = pf["stage_events"][pf["stage_events"]["project_id"].isin(ids)]
    frames["project_funds"] = pf["project_funds"][pf["project_funds"]["project_id"].isin(ids)]
    return frames_of(frames, pf.registry)


def promotion_section(pf: PromotionFrames, *, as_of: dt.date, stall_days: int = 90) -> Section | None:
    """The promotion section for the ledger ``pf`` on ``as_of`` (None without projects)."""
    from parklink.promotion.kpi import year_elapsed

    p = pf["projects"]
    if not len(p):
        return None
    tables: list[SectionTable] = []
    summary: dict[str, object] = {"as_of": as_of.isoformat(), "year_elapsed": round(year_elapsed(as_of), 4)}
    syn = pf.synthetic
    for label, is_syn in (("synthetic", True), ("real", False)):
        part = _split(pf, is_syn)
        if not len(part["projects"]):
            continue
        tag_zh, tag_en = ("（合成数据）", " (synthetic)") if is_syn else ("（真实来源）", " (sourced)")
        res = ledger_kpis(part, as_of=as_of, by=["designation_id"])
        summary[label] = {k: (None if v is None else (round(v, 4) if isinstance(v, float) else v))
                          for k, v in res.summary().items() if k not in ("as_of", "year_elapsed", "groups")}
        tables.append(SectionTable(f"招商指标（按示范园区）{tag_zh}", f"Promotion KPIs by designation{tag_en}",
                                   res.to_frame(), note="formulas: docs/promotion.md", key=f"kpi_{label}"))
        yr = ledger_kpis(part, as_of=as_of, by=["signed_year"]).to_frame().rename(columns={"signed_year": "year"})
        tables.append(SectionTable(f"签约年度队列{tag_zh}", f"Cohorts by year signed{tag_en}", yr,
                                   key=f"kpi_year_{label}"))
        alerts = ledger_alerts(part, as_of=as_of, stall_days=stall_days)
        summary[f"{label}_alerts"] = alerts["alert"].value_counts().to_dict()
        tables.append(SectionTable(f"逾期与停滞预警{tag_zh}", f"Overdue and stalled projects{tag_en}", alerts.head(200),
                                   note=f"{len(alerts)} alerts; stalled = no event for {stall_days} days",
                                   key=f"alerts_{label}"))
    real = p[~p["synthetic"].fillna(False).astype(bool)]
    if len(real):
        tables.append(SectionTable("重大项目（真实来源）", "Major projects (sourced)",
                                   real[["project_id", "name_zh", "investor_name", "park_id", "chain", "source_url",
                                         "confidence"]].reset_index(drop=True), key="real_projects"))
    conv = conversion(pf, as_of=as_of)
    summary["conversion_model_versions"] = len(conv)
    tables.append(SectionTable("推荐目标转化", "Conversion of recommended targets", conv,
                               note="share of the engine's recommended targets that became leads / signed / started "
                                    "projects, per ranking model version; empty until plans hold target lists",
                               key="conversion"))
    notes = ("合成数据：招商流水为按公开队列比率校准的合成数据，不代表真实项目 / synthetic data: the pipeline is "
             "seeded and calibrated to published cohort rates, not real projects",) if syn else ()
    return Section(key="promotion", title_zh="招商引资与重大项目", title_en="Investment promotion and major projects",
                   summary=summary, tables=tuple(tables), notes=notes, synthetic=syn)


def promotion_hook(inputs: Inputs) -> Section | None:
    """Plan hook: the promotion section of the bundle's ledger, as of today (or the last
    synthetic day for the embedded default)."""
    from parklink.promotion.synthetic import SYNTHETIC_AS_OF

    pf = inputs.promotion()
    if not len(pf["projects"]):
        return None
    as_of = SYNTHETIC_AS_OF if inputs.embedded else dt.date.today()
    return promotion_section(pf, as_of=as_of)

