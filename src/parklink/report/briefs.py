"""One-page briefs: one demonstration park, or one designation (a pair or group of parks).

Each brief is computed from the inputs bundle with the default analyses (the same numbers
the CLI and the web show):

* profile with its source and confidence (the registry row);
* evaluation score, rank and **rank interval** — the 5th–95th percentile of the rank over
  the Monte Carlo weight draws and the min–max over the method × weighting grid
  (:func:`parklink.runs.evaluate`, robustness report);
* chain completeness, local supporting rates and ΔLSR per focus chain, the top gaps with
  their action (build / supplement / extend / strengthen) and the first investment targets
  of each gap (:func:`parklink.chains.diagnose`);
* projects of the stored promotion ledger: KPIs of the park's projects and the largest
  projects with their stage (:func:`parklink.report.projects.brief_projects`; "暂无数据 /
  no data" without one);
* accessibility (:func:`parklink.logistics.access.accessibility`);
* a map inset (:mod:`parklink.report.mapsvg`, focused on the park or the designation).

Many briefs share one evaluation, one diagnosis and one accessibility table: pass the
same :class:`~parklink.report.data.ReportInputs` and call :func:`prepare_parks` first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from parklink.errors import NotFoundError
from parklink.report.bulletin import map_figure
from parklink.report.charts import Chart, Series, chart_svg
from parklink.report.common import (
    SYNTHETIC_NOTE,
    accessibility_table,
    chain_label,
    diagnosis,
    evaluation,
    header_facts,
    park_names,
    province_label,
    table,
)
from parklink.report.data import ReportConfig, ReportInputs
from parklink.report.doc import Block, Document, Facts, Figure, Heading, NoData, Row
from parklink.report.projects import brief_projects
from parklink.tables import split_list
from parklink.vocab import ACTION_NAMES, CONFIDENCE_NAMES, PARK_KIND_NAMES, PARK_LEVEL_NAMES, label

__all__ = ["designation_brief", "park_brief", "prepare_parks"]

TOP_GAPS = 5
TARGETS = 2  # investment targets shown per gap


def _park_row(ri: ReportInputs, park_id: str) -> dict[str, Any]:
    parks = ri.inputs.frame("parks")
    hit = parks[parks["park_id"].astype(str) == park_id]
    if hit.empty:
        raise NotFoundError(f"unknown park id {park_id!r} (园区不存在); see 'parklink export parks'")
    return {str(k): v for k, v in hit.iloc[0].to_dict().items()}


def _text(v: Any) -> str:
    return "—" if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or str(v) == "" else str(v)


def prepare_parks(ri: ReportInputs, park_ids: Sequence[str]) -> None:
    """Compute once what the briefs of ``park_ids`` share: evaluation, one chain diagnosis
    of all their scopes, accessibility."""
    evaluation(ri)
    diagnosis(ri, [f"park:{p}" for p in park_ids], top_n=TARGETS)
    accessibility_table(ri)


def _scope_diagnosis(ri: ReportInputs, scope_id: str, shared: Sequence[str] | None) -> Any:
    """The diagnosis containing ``scope_id``: the shared one when it covers it, else its own."""
    if shared and scope_id in shared:
        return diagnosis(ri, list(shared), top_n=TARGETS)
    return diagnosis(ri, [scope_id], top_n=TARGETS)


def _profile(ri: ReportInputs, p: dict[str, Any]) -> Facts:
    des = ri.inputs.frame("designations")
    pid = str(p["park_id"])
    member_of = [f"{d} ({int(b)}批 batch {int(b)}, {int(y)})" for d, b, y, m in
                 zip(des["designation_id"], des["batch"], des["year"], des["members"], strict=True)
                 if pid in split_list(m)]
    area = p.get("area_km2")
    return Facts((
        ("编号", "Park id", pid),
        ("省市", "Province", province_label(str(p["province"]))),
        ("级别 / 类型", "Level / kind", f"{label(PARK_LEVEL_NAMES, str(p['level']))} · "
                                          f"{label(PARK_KIND_NAMES, str(p['kind']))}"),
        ("面积", "Area", "—" if area is None or pd.isna(area) else f"{float(area):,.1f} km²"),
        ("主导产业链", "Focus chains", ", ".join(chain_label(c) for c in split_list(p.get("focus_chains"))) or "—"),
        ("示范园区认定", "Designations", "; ".join(member_of) or "未认定 not designated"),
        ("上级园区", "Parent park", _text(p.get("parent_park_id"))),
        ("来源", "Source", _text(p.get("source_url"))),
        ("可信度", "Confidence", label(CONFIDENCE_NAMES, str(p.get("confidence")))),
    ))


def _evaluation_facts(ri: ReportInputs, park_ids: Sequence[str]) -> tuple[list[Block], Chart | None]:
    run = evaluation(ri)
    if run is None:
        return [NoData("园区不足两个，无法评价", "fewer than two parks: no evaluation")], None
    ev = run.to_frame().reset_index(drop=True)
    n = len(ev)
    rows = []
    for pid in park_ids:
        hit = ev[ev["park_id"] == pid]
        if hit.empty:
            rows.append((f"评价 {pid}", f"Evaluation {pid}", "未单独评价（由同一园区族的园区代表） not evaluated on its own "
                         "(its park family is evaluated through one member)"))
            continue
        r = hit.iloc[0]
        who = ("", "") if len(park_ids) == 1 else (f" {pid}", f" {pid}")
        rows.append((f"得分与排名{who[0]}", f"Score and rank{who[1]}",
                     f"{float(r['score']):.3f} · 第{int(r['rank'])}/{n}名 rank {int(r['rank'])} of {n}"))
        rows.append(("排名区间", "Rank interval",
                     f"P5–P95 {int(r['rank_p05'])}–{int(r['rank_p95'])} (蒙特卡洛权重 Monte Carlo weights) · "
                     f"{int(r['rank_min'])}–{int(r['rank_max'])} (方法×赋权 methods × weightings)"
                     + "".join(f" · P(前{c[6:]} top {c[6:]}) {float(r[c]):.0%}" for c in ev.columns
                               if str(c).startswith("p_top_") and pd.notna(r[c]))))
    hits = ev[ev["park_id"].isin(park_ids)]
    chart = None
    if len(hits):
        ranks = hits["rank"].astype(int)
        window = ev[(ev["rank"] >= ranks.min() - 2) & (ev["rank"] <= ranks.max() + 2)]
        chart = Chart("rank_interval", "interval", "排名区间", "rank P5–P95",
                      tuple(f"{'▶ ' if pid in park_ids else ''}{str(z)[:10]}" for pid, z in
                            zip(window["park_id"], window["name_zh"], strict=True)),
                      (Series("排名", "rank", tuple(float(v) for v in window["rank"])),
                       Series("P5", "P5", tuple(float(v) for v in window["rank_p05"])),
                       Series("P95", "P95", tuple(float(v) for v in window["rank_p95"]))), y_label="rank 排名")
    note = "合成企业数据参与评价 / synthetic firms in the evaluation" if run.evaluation.synthetic else ""
    blocks: list[Block] = [Facts(tuple(rows))]
    if note:
        blocks.append(Facts((("注", "Note", note),)))
    return blocks, chart


def _chains(ri: ReportInputs, scope_id: str, chains: list[str], shared: Sequence[str] | None) -> list[Block]:
    res = _scope_diagnosis(ri, scope_id, shared)
    if res is None:
        return [NoData("无企业数据集（parklink db init --firms）", "no firm dataset (parklink db init --firms)")]
    comp = res.completeness[res.completeness["scope_id"] == scope_id]
    dl = res.delta_lsr[(res.delta_lsr["scope_id"] == scope_id) & (res.delta_lsr["level"] == "scope")
                       & (res.delta_lsr["version"] == "value")]
    ov = comp.merge(dl[["chain", "lsr_own_province", "lsr_circle", "delta"]], on="chain", how="left")
    ov = ov[ov["chain"].isin(chains)] if chains else ov
    ov = ov.assign(chain_label=ov["chain"].map(lambda c: chain_label(str(c))))
    gaps = res.gaps[(res.gaps["scope_id"] == scope_id) & (res.gaps["action"] != "none")]
    if chains:
        gaps = gaps[gaps["chain"].isin(chains)]
    top = gaps.sort_values(["priority", "segment_id"], ascending=[False, True]).head(TOP_GAPS).copy()
    top["segment"] = top["name_zh"].astype(str) + " " + top["name_en"].astype(str)
    top["action_label"] = top["action"].map(lambda a: label(ACTION_NAMES, str(a)))
    tg = res.targets[(res.targets["scope_id"] == scope_id) & (res.targets["segment_id"].isin(top["segment_id"]))]
    first = tg[tg["rank"] <= TARGETS].merge(top[["segment_id", "segment"]], on="segment_id")
    first = first.sort_values(["segment_id", "rank"])
    note = f"{SYNTHETIC_NOTE[0]} / {SYNTHETIC_NOTE[1]} ({res.year})" if res.synthetic else f"{res.year}"
    return [
        table("chains", "产业链概况", "Chains", ov,
              (("chain_label", "产业链", "chain"), ("completeness", "完整度", "completeness"),
               ("lsr_own_province", "本省配套率", "LSR own province"), ("lsr_circle", "川渝配套率", "LSR circle"),
               ("delta", "ΔLSR", "ΔLSR")), note=note, max_rows=4),
        table("gaps", "主要缺口与行动", "Top gaps and actions", top,
              (("segment", "环节", "segment"), ("gap_type", "缺口", "gap"), ("action_label", "行动", "action"),
               ("priority", "优先级", "priority")), max_rows=TOP_GAPS, max_chars=60),
        table("targets", "首批招商目标", "First investment targets", first,
              (("segment", "环节", "segment"), ("rank", "序", "rank"), ("enterprise_id", "企业", "enterprise"),
               ("province", "省", "prov."), ("score", "得分", "score"), ("reason", "理由", "reason")),
              note=note, max_rows=6, max_chars=60),
    ]


def _access(ri: ReportInputs, park_id: str) -> Facts:
    acc = accessibility_table(ri)
    hit = acc[acc["park_id"].astype(str) == park_id]
    if hit.empty:
        return Facts((("可达性", "Accessibility", "—"),))
    r = hit.iloc[0]

    def h(v: Any) -> str:
        return "—" if pd.isna(v) else f"{float(v):.1f} h"

    return Facts((
        ("至成都 / 重庆中心", "To Chengdu / Chongqing core", f"{h(r['time_core_chengdu_h'])} / {h(r['time_core_chongqing_h'])}"),
        ("机场 / 铁路港 / 港口", "Airport / rail port / river port",
         f"{h(r['time_airport_h'])} / {h(r['time_rail_port_h'])} / {h(r['time_river_port_h'])}"),
        ("1 h / 2 h 内企业", "Firms within 1 h / 2 h", f"{int(r['firms_within_1h']):,} / {int(r['firms_within_2h']):,}"),
    ))


def _rank_figure(chart: Chart | None) -> list[Block]:
    if chart is None:
        return []
    return [Figure(chart.key, chart.title_zh, chart.title_en, chart_svg(chart, width_in=3.6, height_in=1.9), chart, 8.0)]


def park_brief(ri: ReportInputs, park_id: str, *, shared_scopes: Sequence[str] | None = None,
               as_of: str | None = None, public: bool = False) -> Document:
    """The one-page brief of ``park_id`` (NotFoundError for an unknown id); ``public`` lists
    the park's projects only as the promotion API shows them to the public."""
    p = _park_row(ri, park_id)
    config = ReportConfig("park", target=park_id)
    day = as_of or _as_of(ri)
    ev_blocks, chart = _evaluation_facts(ri, [park_id])
    chains = split_list(p.get("focus_chains"))
    blocks: tuple[Block, ...] = (
        header_facts(ri, config),
        Row(((Heading("概况", "Profile", 2), _profile(ri, p)),
             (map_figure(ri, key="map", width=300, focus_park=park_id, legend=False),)), (1.5, 1.0)),
        Heading("评价", "Evaluation", 2),
        Row((tuple(ev_blocks), tuple(_rank_figure(chart))), (1.5, 1.0)),
        Heading("产业链、缺口与招商目标", "Chains, gaps and investment targets", 2),
        *_chains(ri, f"park:{park_id}", chains, shared_scopes),
        Row(((Heading("项目", "Projects", 2), *brief_projects(ri, [park_id], day, public)),
             (Heading("可达性", "Accessibility", 2), _access(ri, park_id))), (1.0, 1.2)),
    )
    fp = ri.fingerprint(config)
    return Document("park", f"{p['name_zh']} 园区简报", f"{p['name_en']}: park brief",
                    f"{province_label(str(p['province']))} · 截至 as of {day}", blocks, fp.digest, fp.data_version,
                    ri.inputs.note, day, synthetic=True, one_page=True, meta={"fingerprint": fp.to_dict()})


def designation_brief(ri: ReportInputs, designation_id: str, *, as_of: str | None = None,
                      public: bool = False) -> Document:
    """The one-page brief of one designation (a pair or group of parks); ``public`` as for
    :func:`park_brief`."""
    des = ri.inputs.frame("designations")
    hit = des[des["designation_id"].astype(str) == designation_id]
    if hit.empty:
        raise NotFoundError(f"unknown designation id {designation_id!r} (示范单元不存在); see "
                            "'parklink export designations'")
    d = hit.iloc[0].to_dict()
    members = split_list(d["members"])
    names = park_names(ri)
    config = ReportConfig("designation", target=designation_id)
    day = as_of or _as_of(ri)
    chains = split_list(d.get("theme_chains"))
    ev_blocks, chart = _evaluation_facts(ri, members)
    tt = ri.inputs.travel_time()
    parks = ri.inputs.frame("parks").set_index("park_id")
    has_xy = set(parks.index[parks["lon"].notna() & parks["lat"].notna()].astype(str))
    located = [m for m in members if m in has_xy]
    pair = "—"
    if len(located) >= 2:
        xy = parks.loc[located, ["lon", "lat"]].astype(float).to_numpy()
        hours = np.asarray(tt(xy[:1], xy[1:]))
        pair = ", ".join(f"{names[located[0]][0]}→{names[m][0]} {float(h):.1f} h" for m, h in zip(located[1:], hours[0],
                                                                                                   strict=True))
    profile = Facts((
        ("编号", "Designation id", designation_id),
        ("批次 / 年份", "Batch / year", f"{int(d['batch'])} / {int(d['year'])}"),
        ("成员园区", "Member parks", "; ".join(f"{names.get(m, (m, m))[0]} {names.get(m, (m, m))[1]}" for m in members)
         or "未具名 unnamed"),
        ("未具名成员", "Unnamed members", _text(d.get("unknown_members"))),
        ("主题产业链", "Theme chains", ", ".join(chain_label(c) for c in chains) or "—"),
        ("成员间时间", "Travel time between members", pair),
        ("来源", "Source", _text(d.get("source_url"))),
        ("可信度", "Confidence", label(CONFIDENCE_NAMES, str(d.get("confidence")))),
    ))
    chain_blocks: list[Block] = (_chains(ri, f"designation:{designation_id}", chains, None) if members
                                 else [NoData("成员未具名，无法诊断", "members unnamed: no chain diagnosis")])
    blocks: tuple[Block, ...] = (
        header_facts(ri, config),
        Row(((Heading("概况", "Profile", 2), profile),
             (map_figure(ri, key="map", width=300, focus_designation=designation_id, legend=False),)), (1.5, 1.0)),
        Heading("成员评价", "Evaluation of the members", 2),
        Row((tuple(ev_blocks), tuple(_rank_figure(chart))), (1.5, 1.0)),
        Heading("产业链（园区组）、缺口与招商目标", "Chains of the group, gaps and investment targets", 2),
        *chain_blocks,
        Heading("项目", "Projects", 2),
        *brief_projects(ri, members, day, public),
    )
    fp = ri.fingerprint(config)
    title = " — ".join(names.get(m, (m, m))[0] for m in members) or designation_id
    return Document("designation", f"{title} 示范单元简报", f"Designation {designation_id}: brief",
                    f"第{int(d['batch'])}批 batch {int(d['batch'])} · 截至 as of {day}", blocks, fp.digest,
                    fp.data_version, ri.inputs.note, day, synthetic=True, one_page=True,
                    meta={"fingerprint": fp.to_dict()})


def _as_of(ri: ReportInputs) -> str:
    """The as-of date of a brief: 31 December of the latest designation, firm-data or
    stage-event year (the registry carries no clock; a fixed date keeps the PDF
    reproducible)."""
    from parklink.report.common import transaction_years

    years = [int(pd.to_numeric(ri.inputs.frame("designations")["year"]).max() or 2020), *transaction_years(ri)]
    ledger = ri.promotion()
    if ledger is not None and len(ledger["stage_events"]):
        years.append(int(pd.to_datetime(ledger["stage_events"]["on_date"].astype(str)).dt.year.max()))
    return f"{max(years)}-12-31"
