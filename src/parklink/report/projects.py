"""The investment-promotion content of the reports: bulletin KPIs and alerts, brief projects.

Every figure comes from the promotion code over the stored ledger
(:class:`~parklink.promotion.pipeline.PromotionFrames` of
:meth:`parklink.report.data.ReportInputs.promotion`): the KPI table is
:func:`parklink.promotion.pipeline.ledger_kpis` (the same call as ``parklink kpi`` and the
``/api`` KPI routes, formulas in :mod:`parklink.promotion.kpi`), the overdue / stalled list
:func:`~parklink.promotion.pipeline.ledger_alerts`, the stage of each project
:func:`~parklink.promotion.pipeline.stages_of` — all as of the report's date.

Public documents (the web's anonymous downloads) list a project only as the promotion API
shows it to the public (:func:`parklink.promotion.visibility.project_for` with the public
viewer, the rule the web's policy uses too): never an unsigned lead, and the investor and project names blanked unless the
project is published. Synthetic projects are counted apart and labelled wherever they are
summarised.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from parklink.report.common import SYNTHETIC_NOTE, park_names, share_text, table
from parklink.report.doc import Block, Facts, Heading, NoData, Para
from parklink.vocab import STAGE_NAMES, label

if TYPE_CHECKING:
    from parklink.promotion.pipeline import PromotionFrames
    from parklink.report.data import Period, ReportInputs

__all__ = ["SHOWN_KPIS", "brief_projects", "bulletin_promotion", "public_view", "restrict", "restrict_ids"]

#: The KPI columns a report prints (all of them go to the Excel sheet).
SHOWN_KPIS = ("n_signed", "signed_investment_cny_m", "n_started", "n_in_production", "performance_rate",
              "start_rate", "production_rate", "funds_rate")
NO_LEDGER = ("项目台账暂无数据", "no project ledger in the database")


def _synthetic(frame: pd.DataFrame) -> pd.Series:
    return frame["synthetic"].astype("boolean").fillna(False).astype(bool)


def restrict(pf: PromotionFrames, park_ids: Sequence[str]) -> PromotionFrames:
    """The ledger restricted to the projects of ``park_ids`` (their events and funds follow
    through the project ids, as :func:`parklink.promotion.service.kpis` restricts it)."""
    from parklink.promotion.pipeline import frames_of

    p = pf["projects"]
    return frames_of({**pf.frames, "projects": p[p["park_id"].astype(str).isin(list(park_ids))]}, pf.registry)


def restrict_ids(pf: PromotionFrames, project_ids: Sequence[str] | pd.Series) -> PromotionFrames:
    """The ledger restricted to the projects ``project_ids``."""
    from parklink.promotion.pipeline import frames_of

    p = pf["projects"]
    return frames_of({**pf.frames, "projects": p[p["project_id"].astype(str).isin(list(project_ids))]}, pf.registry)


def public_view(pf: PromotionFrames, as_of: dt.date) -> pd.DataFrame:
    """The projects as the public sees them on ``as_of``: each row through
    :func:`parklink.promotion.visibility.project_for` (public viewer) — hidden before signing,
    investor and names blanked unless published; columns of the ledger plus ``stage``,
    ``signed_on`` and ``redacted``."""
    from parklink.promotion.pipeline import stages_of
    from parklink.promotion.visibility import PUBLIC, project_for

    p = pf["projects"]
    st = stages_of(pf, as_of=as_of)
    stage = dict(zip(st["project_id"].astype(str), st["stage"], strict=True))
    signed = {str(k): v for k, v in zip(st["project_id"], st["signed_at"], strict=True) if pd.notna(v)}
    rows = []
    for raw in p.to_dict("records"):
        rec = {str(k): v for k, v in raw.items()}
        pid = str(rec["project_id"])
        view = project_for(PUBLIC, {**rec, "stage": stage.get(pid), "signed_on": signed.get(pid)})
        if view is not None:
            rows.append(view)
    cols = [*p.columns, "stage", "signed_on", "redacted"]
    return pd.DataFrame(rows, columns=cols)


def _kpi_frame(ri: ReportInputs, pf: PromotionFrames, as_of: dt.date) -> tuple[pd.DataFrame, dict[str, Any]]:
    """KPIs per park (``ledger_kpis`` by park_id) with the park's name and its number of
    synthetic projects; the summary over all parks."""
    from parklink.promotion.pipeline import ledger_kpis

    res = ledger_kpis(pf, as_of=as_of, by=["park_id"])
    frame = res.to_frame()
    names = park_names(ri)
    frame.insert(1, "park", frame["park_id"].map(lambda p: names.get(str(p), (str(p), ""))[0]))
    p = pf["projects"]
    synth = p[_synthetic(p)].groupby(p["park_id"].astype(str)).size()
    frame["n_synthetic"] = frame["park_id"].astype(str).map(synth).fillna(0).astype(int)
    return frame, res.summary()


def _kpi_columns() -> list[tuple[str, str, str]]:
    from parklink.promotion.kpi import KPI_COLUMNS

    return [("park", "园区", "park"), *[(k, KPI_COLUMNS[k][0], KPI_COLUMNS[k][1]) for k in SHOWN_KPIS],
            ("n_synthetic", "其中合成", "of which synthetic")]


def _notes(pf: PromotionFrames) -> tuple[str, str]:
    """The synthetic label of a ledger holding synthetic projects (zh, en); empty otherwise."""
    if not pf.synthetic:
        return "", ""
    p = pf["projects"]
    n = int(_synthetic(p).sum())
    return (f"{SYNTHETIC_NOTE[0]}：{len(p)}个项目中{n}个为合成项目",
            f"{SYNTHETIC_NOTE[1]}: {n} of {len(p)} projects are synthetic")


def _note(pf: PromotionFrames) -> str:
    zh, en = _notes(pf)
    return f"{zh} / {en}" if zh else ""


def bulletin_promotion(ri: ReportInputs, period: Period, public: bool) -> tuple[list[Block], dict[str, Any]]:
    """The bulletin's investment-promotion section as of the period's last day: the
    summary sentence, KPIs per park, and the overdue / stalled projects (public: only
    the projects the public may see, investor and names blanked unless published)."""
    from parklink.promotion.pipeline import ledger_alerts

    head: list[Block] = [Heading("招商引资与重大项目", "Investment promotion and major projects")]
    pf = ri.promotion()
    if pf is None:
        return [*head, NoData(*NO_LEDGER)], {}
    frame, s = _kpi_frame(ri, pf, period.end)
    note = _note(pf)
    note_zh, note_en = _notes(pf)
    alerts = ledger_alerts(pf, as_of=period.end)
    n_overdue = int(alerts["project_id"].nunique())
    p = pf["projects"]
    synth = p[_synthetic(p)]["project_id"].astype(str)
    alerts = alerts.assign(synthetic=alerts["project_id"].astype(str).isin(set(synth)),
                           last_event=pd.to_datetime(alerts["last_event"]).dt.date,
                           stage_label=alerts["stage"].map(lambda c: label(STAGE_NAMES, str(c))))
    hidden = 0
    if public:
        seen = public_view(pf, period.end)
        redacted = set(seen.loc[seen["redacted"].astype(bool), "project_id"].astype(str))
        shown = alerts["project_id"].astype(str).isin(set(seen["project_id"].astype(str)))
        hidden = int(alerts.loc[~shown, "project_id"].nunique())
        alerts = alerts[shown].copy()
        alerts.loc[alerts["project_id"].astype(str).isin(redacted), "name_zh"] = "（未公开 unpublished）"
    blocks: list[Block] = [
        *head,
        Para(f"截至{period.end.isoformat()}：签约项目{s['n_signed']}个，履约率{share_text(s['performance_rate'])}，"
             f"开工率{share_text(s['start_rate'])}，投产率{share_text(s['production_rate'])}，"
             f"资金到位率{share_text(s['funds_rate'])}；时间进度{s['year_elapsed']:.0%}。"
             + (f"（{note_zh}）" if note_zh else ""),
             f"As of {period.end.isoformat()}: {s['n_signed']} signed projects; performance rate "
             f"{share_text(s['performance_rate'])}, start rate {share_text(s['start_rate'])}, production rate "
             f"{share_text(s['production_rate'])}, funds in place {share_text(s['funds_rate'])}; "
             f"{s['year_elapsed']:.0%} of the year elapsed." + (f" ({note_en}.)" if note_en else "")),
        table("kpi", "招商指标（按园区）", "Investment-promotion KPIs by park", frame, _kpi_columns(), note=note,
              max_rows=15),
        table("overdue", "逾期与停滞项目", "Overdue and stalled projects", alerts,
              (("project_id", "项目", "project"), ("name_zh", "名称", "name"), ("park_id", "园区", "park"),
               ("alert", "提示", "alert"), ("planned", "计划日期", "planned"), ("last_event", "最近事件", "last event"),
               ("days", "天数", "days"), ("stage_label", "阶段", "stage"), ("synthetic", "合成", "synthetic")),
              note=note, max_rows=15, max_chars=40),
    ]
    if hidden:
        blocks.append(Para(f"另有{hidden}个需督办项目未签约或不公开，公开版不列明细。",
                           f"{hidden} more projects needing follow-up are unsigned leads; the public version "
                           "does not list them."))
    return blocks, {"n_signed": int(s["n_signed"]), "performance_rate": s["performance_rate"],
                    "funds_rate": s["funds_rate"], "n_overdue": n_overdue,
                    "synthetic_projects": int(_synthetic(p).sum())}


def brief_projects(ri: ReportInputs, park_ids: Sequence[str], as_of: str, public: bool) -> list[Block]:
    """The projects of a brief (one park, or the members of a designation): KPIs of their
    projects and the projects themselves (public: as the public may see them)."""
    from parklink.promotion.pipeline import ledger_kpis, stages_of

    pf = ri.promotion()
    if pf is None:
        return [NoData(*NO_LEDGER)]
    day = dt.date.fromisoformat(as_of)
    mine = restrict(pf, park_ids)
    # the projects of the ledger on that day: those with a stage event by then
    known = set(stages_of(mine, as_of=day)["project_id"].astype(str))
    p = mine["projects"]
    mine = restrict_ids(mine, p.loc[p["project_id"].astype(str).isin(known), "project_id"].astype(str))
    if not len(mine["projects"]):
        return [NoData("本园区暂无项目", "no project recorded for this park")]
    s = ledger_kpis(mine, as_of=day).summary()
    n_synth = int(_synthetic(mine["projects"]).sum())
    rows = [("项目", "Projects", f"{s['n_projects']} · 签约 signed {s['n_signed']}"
             + (f" · 合成 synthetic {n_synth}" if n_synth else "")),
            ("履约率 / 投产率", "Performance / production",
             f"{share_text(s['performance_rate'], 0)} / {share_text(s['production_rate'], 0)}"),
            ("资金到位率", "Funds in place", share_text(s["funds_rate"], 0))]
    if public:
        listed = public_view(mine, day)
    else:
        st = stages_of(mine, as_of=day)
        listed = mine["projects"].merge(st[["project_id", "stage"]].astype({"project_id": str}),
                                        on="project_id", how="left")
    listed = listed.assign(stage_label=listed["stage"].map(lambda c: label(STAGE_NAMES, str(c)) if pd.notna(c)
                                                           else "—"),
                           name=listed["name_zh"].where(listed["name_zh"].notna(), "（未公开 unpublished）"),
                           synthetic=_synthetic(listed))
    listed = listed.sort_values(["signed_investment_cny_m", "project_id"], ascending=[False, True])[
        ["project_id", "name", "park_id", "chain", "stage", "stage_label", "signed_investment_cny_m", "synthetic"]]
    blocks: list[Block] = [Facts(tuple(rows))]
    if len(listed):
        blocks.append(table("projects", "项目", "Projects", listed,
                            (("name", "名称", "name"), ("stage_label", "阶段", "stage"),
                             ("signed_investment_cny_m", "协议投资(百万元)", "signed (CNY m)"),
                             ("synthetic", "合成", "synthetic")), note=_note(mine), max_rows=3, max_chars=24))
    return blocks
