"""The programme bulletin (项目通报) for a month, a quarter or a year.

Sections, each computed from the inputs bundle (:class:`~parklink.report.data.ReportInputs`)
as of the period's last day:

1. executive summary — 5–8 findings (:mod:`parklink.report.findings`);
2. status vs the cumulative targets (10 / 15 / 20; :func:`parklink.programme.status.programme_status`);
3. designations — every designation active at the period's end, new ones flagged;
4. chains — completeness and local supporting rates per demonstration group and chain with
   their trend over the transaction years up to the period (mean ΔLSR per chain and year;
   the chain engine's :func:`~parklink.chains.diagnose`, one diagnosis per year);
5. investment promotion — KPIs per park and overdue / stalled projects of the stored ledger
   as of the period's end (:mod:`parklink.report.projects`: the promotion code's
   ``ledger_kpis`` / ``ledger_alerts``; the public version lists projects as the promotion
   API shows them to the public), or "暂无数据 / no data" without a project;
6. co-construction — parks in the park by mode and leader, smart manufacturing per park,
   platform coverage of chain gaps (:mod:`parklink.report.cocon`), or "no data";
7. the programme map (:mod:`parklink.report.mapsvg`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from parklink.programme.status import programme_status
from parklink.report.charts import Chart, Series, chart_svg
from parklink.report.cocon import coconstruction_section
from parklink.report.common import (
    SYNTHETIC_NOTE,
    chain_label,
    header_facts,
    park_names,
    table,
    transaction_years,
)
from parklink.report.data import Period, ReportConfig, ReportInputs
from parklink.report.doc import Block, Bullets, Document, Figure, Heading, NoData, Para
from parklink.report.findings import BulletinFacts, findings
from parklink.report.projects import bulletin_promotion
from parklink.tables import CHAINS, split_list
from parklink.vocab import COOPERATION_MODE_NAMES, PERIOD_KIND_NAMES, label

__all__ = ["bulletin_document", "chain_trends", "map_figure"]

Progress = Callable[[str], None]


def _noop(_step: str) -> None:
    return None


def _status(ri: ReportInputs, period: Period) -> tuple[pd.DataFrame, list[Block], dict[str, Any]]:
    inp = ri.inputs
    st = programme_status(inp.frame("designations"), inp.frame("parks"), inp.frame("zones"), inp.frame("targets"),
                          regions=inp.frame("regions"), years=[period.year])
    by_year = st.by_year[st.by_year["year"] <= max(period.year, int(st.by_year["year"].min()))].copy()
    now = st.by_year[st.by_year["year"] == period.year].iloc[0].to_dict()
    targets = st.by_year.dropna(subset=["target_parks"])
    later = targets[targets["year"] >= period.year]
    tgt = (later.iloc[0] if len(later) else targets.iloc[-1]) if len(targets) else None
    chart = Chart("status", "bar", "示范园区数量与累计目标", "Designated parks vs cumulative targets",
                  tuple(str(int(y)) for y in by_year["year"]),
                  (Series("已认定园区", "designated parks", tuple(int(v) for v in by_year["designated_parks"])),
                   Series("累计目标", "cumulative target",
                          tuple(None if pd.isna(v) else float(v) for v in by_year["target_parks"]), "line")))
    blocks: list[Block] = [
        Heading("建设进度与目标", "Status vs targets"),
        Figure("status", chart.title_zh, chart.title_en, chart_svg(chart), chart),
        table("status", "按年度（累计）", "By year (cumulative)", by_year,
              (("year", "年份", "year"), ("target_parks", "目标", "target"),
               ("designated_parks", "已认定园区", "designated parks"), ("named_parks", "具名", "named"),
               ("unnamed_parks", "未具名", "unnamed"), ("designations", "示范单元", "designations"),
               ("gap_parks", "差距", "gap"), ("met", "达标", "met")),
              note="目标出自2020年6月11日通知，未说明以园区或对计 — targets of the 11 June 2020 notice; "
                   "the unit is not stated, so parks and designations are both shown."),
    ]
    des = inp.frame("designations")
    active = pd.to_numeric(des["year"]).astype(int) <= period.year
    if "revoked_year" in des.columns:
        active &= des["revoked_year"].isna() | (pd.to_numeric(des["revoked_year"]) > period.year)
    st_now = programme_status(des[active], inp.frame("parks"), inp.frame("zones"), inp.frame("targets"),
                              regions=inp.frame("regions"), years=[period.year])
    prov = st_now.by_province.set_index("province")["designated_parks"]
    zones = st_now.by_zone
    facts = {"designated_parks": int(now["designated_parks"]), "designations": int(now["designations"]),
             "sc_parks": int(prov.get("SC", 0)), "cq_parks": int(prov.get("CQ", 0)),
             "zones_with": int((zones["designated_parks"] > 0).sum()) if len(zones) else None,
             "zones_total": len(zones) if len(zones) else None,
             "target_year": None if tgt is None else int(tgt["year"]),
             "target_parks": None if tgt is None else int(tgt["target_parks"])}
    return by_year, blocks, facts


def _designations(ri: ReportInputs, period: Period) -> tuple[list[Block], dict[str, Any]]:
    des = ri.inputs.frame("designations")
    names = park_names(ri)
    year = pd.to_numeric(des["year"]).astype(int)
    active = year <= period.year
    if "revoked_year" in des.columns:
        active &= des["revoked_year"].isna() | (pd.to_numeric(des["revoked_year"]) > period.year)
    d = des[active].copy()
    d["members_named"] = [" / ".join(names.get(p, (p, p))[0] for p in split_list(v)) for v in d["members"]]
    d["chains_label"] = [", ".join(chain_label(c, "zh") for c in split_list(v)) for v in d["theme_chains"]]
    d["mode_label"] = [label(COOPERATION_MODE_NAMES, str(m)) if pd.notna(m) else "—" for m in d["mode"]]
    # new in the period: announced within it (the notice's date), else — no date recorded —
    # a programme year equal to the period's year (annual bulletins only)
    announced = pd.to_datetime(d["announced"], errors="coerce") if "announced" in d.columns else None
    by_year = (pd.to_numeric(d["year"]).astype(int) == period.year) & (period.kind == "year")
    if announced is not None:
        within = (announced >= pd.Timestamp(period.start)) & (announced <= pd.Timestamp(period.end))
        d["new"] = within.where(announced.notna(), by_year).astype(bool)
    else:
        d["new"] = by_year
    new = d[d["new"]]
    new_parks = len({p for v in new["members"] for p in split_list(v)})
    blocks: list[Block] = [
        Heading("示范园区认定", "Designations"),
        Para(f"报告期末有效的示范单元{len(d)}个，其中报告期内新认定{len(new)}个（按公布日期；无日期时按认定年份）。",
             f"{len(d)} designations are active at the end of the period; {len(new)} were announced in the period "
             "(by the notice's date; by programme year where no date is recorded)."),
        table("designations", "示范单元", "Designations", d.sort_values(["batch", "designation_id"]),
              (("designation_id", "编号", "id"), ("batch", "批次", "batch"), ("year", "年份", "year"),
               ("members_named", "成员园区", "member parks"), ("unknown_members", "未具名", "unnamed"),
               ("chains_label", "主题产业链", "theme chains"), ("mode_label", "合作模式", "mode"),
               ("confidence", "可信度", "confidence"), ("new", "新认定", "new")), max_rows=24),
    ]
    return blocks, {"new_designations": len(new), "new_parks": new_parks}


def chain_trends(ri: ReportInputs, years: list[int], progress: Progress = _noop) -> pd.DataFrame:
    """Per demonstration group × themed chain × year: completeness, LSR (own province,
    circle) and ΔLSR (value version, scope level) — one diagnosis of every group per year."""
    from parklink.chains.plan import designation_scopes
    from parklink.report.common import diagnosis

    _scopes, links = designation_scopes(ri.inputs.scope_frames())
    groups = links[links["role"] == "group"]
    if groups.empty:
        return pd.DataFrame()
    scope_ids = [f"designation:{d}" for d in groups["designation_id"]]
    themed = groups.assign(chain=groups["chains"].str.split(";")).explode("chain")[["designation_id", "scope_id",
                                                                                     "chain"]]
    rows = []
    for y in years:
        progress(f"chains {y}")
        res = diagnosis(ri, scope_ids, year=y, top_n=0)
        if res is None:
            return pd.DataFrame()
        comp = res.completeness[["scope_id", "chain", "completeness", "completeness_depth"]]
        dl = res.delta_lsr[(res.delta_lsr["level"] == "scope") & (res.delta_lsr["version"] == "value")][
            ["scope_id", "chain", "lsr_circle", "lsr_own_province", "delta"]]
        part = themed.merge(comp, on=["scope_id", "chain"], how="left").merge(dl, on=["scope_id", "chain"], how="left")
        rows.append(part.assign(year=y, synthetic=bool(res.synthetic)))
    return pd.concat(rows, ignore_index=True)


def _chains(ri: ReportInputs, period: Period, progress: Progress) -> tuple[list[Block], dict[str, Any]]:
    years = [y for y in transaction_years(ri) if y <= period.year]
    head: list[Block] = [Heading("产业链完整度与本地配套率", "Chain completeness and local supporting rates")]
    if not years:
        return [*head, NoData("无企业交易数据（或报告期早于数据年份）",
                              "no firm transactions (or the period precedes the data years)")], {}
    trends = chain_trends(ri, years, progress)
    if trends.empty:
        return [*head, NoData("无具名成员的示范园区", "no designation names its member parks")], {}
    mean = trends.groupby(["chain", "year"], as_index=False)[["completeness", "delta", "lsr_circle"]].mean()
    chains = [c for c in CHAINS if c in set(mean["chain"])]
    cats = tuple(str(y) for y in years)
    chart = Chart("delta_lsr", "line", "跨省配套贡献ΔLSR（示范园区组平均）", "Cross-border contribution ΔLSR (group mean)",
                  cats, tuple(Series(chain_label(c, "zh"), chain_label(c, "en"),
                                     tuple(_val(mean, c, y, "delta") for y in years), "line") for c in chains),
                  percent=True)
    latest = trends[trends["year"] == years[-1]].copy()
    prev = trends[trends["year"] == years[-2]] if len(years) > 1 else None
    if prev is not None:
        latest = latest.merge(prev[["designation_id", "chain", "delta"]].rename(columns={"delta": "delta_prev"}),
                              on=["designation_id", "chain"], how="left")
        latest["delta_change"] = latest["delta"] - latest["delta_prev"]
    latest["chain_label"] = latest["chain"].map(lambda c: chain_label(str(c)))
    synthetic = bool(trends["synthetic"].any())
    note = f"{SYNTHETIC_NOTE[0]} / {SYNTHETIC_NOTE[1]}" if synthetic else ""
    comp_last = mean[mean["year"] == years[-1]].sort_values("completeness")
    blocks: list[Block] = [
        *head,
        Para(f"数据年份{years[0]}–{years[-1]}（报告期{period.label}；晚于数据的年份按最新数据）。",
             f"Data years {years[0]}–{years[-1]} (period {period.label}; later years use the latest data)."),
        Figure("delta_lsr", chart.title_zh, chart.title_en, chart_svg(chart), chart),
        table("chains", f"{years[-1]}年各示范园区组产业链", f"Chains of each demonstration group, {years[-1]}",
              latest.sort_values(["designation_id", "chain"]),
              (("designation_id", "示范单元", "designation"), ("chain_label", "产业链", "chain"),
               ("completeness", "完整度", "completeness"), ("lsr_own_province", "本省配套率", "LSR own province"),
               ("lsr_circle", "川渝配套率", "LSR circle"), ("delta", "ΔLSR", "ΔLSR"),
               ("delta_change", "较上年", "change vs previous year")), note=note, max_rows=20),
    ]
    first = mean[mean["year"] == years[0]]["delta"].mean()
    last = mean[mean["year"] == years[-1]]["delta"].mean()
    weakest = comp_last.iloc[0] if len(comp_last) else None
    return blocks, {"chains_year_from": years[0], "chains_year_to": years[-1],
                    "delta_lsr_from": None if pd.isna(first) else float(first),
                    "delta_lsr_to": None if pd.isna(last) else float(last),
                    "weakest_chain": None if weakest is None else chain_label(str(weakest["chain"])),
                    "weakest_completeness": None if weakest is None else float(weakest["completeness"]),
                    "synthetic_chains": synthetic}


def _val(frame: pd.DataFrame, chain: str, year: int, col: str) -> float | None:
    hit = frame[(frame["chain"] == chain) & (frame["year"] == year)][col]
    return None if hit.empty or pd.isna(hit.iloc[0]) else float(hit.iloc[0])


def map_figure(ri: ReportInputs, *, key: str = "map", width: int = 760, **options: Any) -> Block:
    """The programme map (districts, parks, designations, hubs) as a figure, or a no-data
    note when the map module or the boundaries are unavailable."""
    import importlib

    try:
        mapsvg = importlib.import_module("parklink.report.mapsvg")
    except ImportError:
        return NoData("地图模块不可用", "the map module is not available")
    try:
        svg = mapsvg.programme_map_svg(ri.inputs, width=width, **options)
    except KeyError:  # the focused park or designation has no located park
        return NoData("所选园区或组合没有位置数据，无法绘制地图",
                      "no located park for this park or designation: no map inset")
    return Figure(key, "示范园区分布图", "Programme map", svg, None, 16.0 if width >= 600 else 7.0)


def bulletin_document(ri: ReportInputs, period: Period, *, progress: Progress = _noop,
                      public: bool = False) -> Document:
    """The programme bulletin of ``period`` (see the module docstring); ``public`` lists
    projects only as the promotion API shows them to the public (no unsigned lead, investor
    and names blanked unless published)."""
    config = ReportConfig("bulletin", period.label, "public" if public else "")
    progress("status")
    _by_year, status_blocks, f_status = _status(ri, period)
    des_blocks, f_des = _designations(ri, period)
    chain_blocks, f_chains = _chains(ri, period, progress)
    progress("promotion")
    promo_blocks, f_promo = bulletin_promotion(ri, period, public)
    progress("co-construction")
    cocon_blocks, f_cocon = coconstruction_section(ri, period)
    progress("map")
    facts = BulletinFacts(period=period.label, year=period.year, **f_status, **f_des, **f_chains, **f_promo,
                          **f_cocon, source_note=ri.inputs.note)
    summary = findings(facts)
    kind = PERIOD_KIND_NAMES[period.kind]
    blocks: tuple[Block, ...] = (
        header_facts(ri, config, ("报告期", "Period", f"{period.label} ({period.start} – {period.end})")),
        Heading("摘要", "Executive summary"),
        Bullets(summary),
        *status_blocks,
        *des_blocks,
        *chain_blocks,
        *promo_blocks,
        *cocon_blocks,
        Heading("示范园区分布图", "Programme map"),
        map_figure(ri),
    )
    fp = ri.fingerprint(config)
    return Document("bulletin", f"川渝产业合作示范园区{kind[0]}通报 {period.label}",
                    f"Sichuan–Chongqing cooperation parks: {kind[1]} bulletin {period.label}",
                    f"截至 as of {period.end.isoformat()}", blocks, fp.digest, fp.data_version, ri.inputs.note,
                    period.end.isoformat(), synthetic=bool(f_chains.get("synthetic_chains")),
                    meta={"findings": [list(x) for x in summary], "fingerprint": fp.to_dict(), "period": period.label})
