"""The co-construction content of the bulletin: parks in the park, smart manufacturing, platforms.

Read from the co-construction registries of the inputs bundle and computed by the
co-construction analyses (:mod:`parklink.coconstruction.runs`, the same runs as
``parklink parks-in-park`` / ``smart`` / ``platforms`` at their default configuration):

* parks in the park (园中园) by cooperation mode and leading enterprise, with status;
* smart manufacturing per park (:func:`~parklink.coconstruction.runs.run_smart` up to the
  period's year: recognitions by kind and national tier, assessed firms, mean maturity
  level; plus the recognitions per list level — national / provincial / municipal) and the published totals, shown as published (never spread over parks);
* platform coverage of the chain gaps of designated parks
  (:func:`~parklink.coconstruction.runs.run_platform_gaps`: service standard 2 h, one new
  site), per chain, with the best site for a new platform — computed when platforms are
  registered (without any, every gap is uncovered and the section says so; the chain
  diagnosis of every designated park is the costly part of the bulletin).

Codes are shown with their labels from :mod:`parklink.vocab`. A registry without rows says
"暂无数据 / no data".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from parklink.report.common import SYNTHETIC_NOTE, chain_data, chain_label, park_names, table
from parklink.report.doc import Block, Heading, NoData, Para
from parklink.vocab import (
    CONFIDENCE_NAMES,
    LIST_LEVEL_NAMES,
    PIP_MODE_NAMES,
    PIP_STATUS_NAMES,
    PLATFORM_KIND_NAMES,
    SMART_KIND_NAMES,
    label,
)

if TYPE_CHECKING:
    from parklink.coconstruction.runs import CocoRun
    from parklink.report.data import Period, ReportInputs

__all__ = ["coconstruction_section", "platform_gap_run", "smart_run"]


def _lab(names: Any, code: Any) -> str:
    return "—" if code is None or pd.isna(code) or str(code) == "" else label(names, str(code))


def _park(names: dict[str, tuple[str, str]], pid: Any) -> str:
    if pid is None or pd.isna(pid) or str(pid) == "":
        return "—"
    return names.get(str(pid), (str(pid), ""))[0]


def smart_run(ri: ReportInputs, year: int) -> CocoRun:
    """Park smart-manufacturing indicators up to ``year`` (registry enterprises; memoised)."""
    from parklink.coconstruction.runs import SmartConfig, run_smart

    run: CocoRun = ri.inputs._once(("report", "smart", year), lambda: run_smart(ri.inputs, SmartConfig(ref_year=year)))
    return run


def platform_gap_run(ri: ReportInputs) -> CocoRun | None:
    """Platform gaps at the default configuration (memoised); None without a firm dataset
    (the chain gaps come from the chain engine on the firm data)."""
    from parklink.coconstruction.runs import PlatformGapConfig, run_platform_gaps

    firms = ri.inputs.firms
    if firms is None or not firms.exists():
        return None
    run: CocoRun = ri.inputs._once(("report", "platform_gaps"), lambda: run_platform_gaps(ri.inputs, PlatformGapConfig()))
    return run


def _pips(ri: ReportInputs) -> tuple[list[Block], dict[str, Any]]:
    head: list[Block] = [Heading("园中园", "Parks in the park", 2)]
    pip = ri.inputs.frame("parks_in_park")
    if not len(pip):
        return [*head, NoData("园中园登记暂无数据", "no park in the park recorded")], {"cocon_pips": 0}
    names = park_names(ri)
    f = pip.assign(
        name=pip["name_zh"].astype(str) + " " + pip["name_en"].astype(str),
        mode_label=pip["mode"].map(lambda c: _lab(PIP_MODE_NAMES, c) if pd.notna(c) else "未说明 not stated"),
        leader=pip["leaders"].where(pip["leaders"].notna() & (pip["leaders"].astype(str) != ""),
                                    pip["leader_ids"]).map(lambda v: "—" if v is None or pd.isna(v) or v == "" else
                                                           str(v)),
        host=pip["host_park_id"].map(lambda p: _park(names, p)),
        status_label=pip["status"].map(lambda c: _lab(PIP_STATUS_NAMES, c)),
        confidence_label=pip["confidence"].map(lambda c: _lab(CONFIDENCE_NAMES, c)),
    ).sort_values(["mode_label", "pip_id"])
    by_mode = f.groupby("mode_label").size()
    zh = "；".join(f"{str(m).split(' ')[0]}{n}个" for m, n in by_mode.items())
    en = "; ".join(f"{' '.join(str(m).split(' ')[1:]) or m} {n}" for m, n in by_mode.items())
    return [*head,
            Para(f"登记园中园{len(f)}个（按合作模式：{zh}）。", f"{len(f)} parks in the park are recorded (by mode: {en})."),
            table("parks_in_park", "园中园（按合作模式与牵头企业）", "Parks in the park by mode and leader", f,
                  (("name", "名称", "name"), ("mode_label", "合作模式", "mode"), ("leader", "牵头企业", "leader"),
                   ("host", "所在园区", "host park"), ("partner_name", "合作方", "partner"),
                   ("status_label", "状态", "status"), ("confidence_label", "可信度", "confidence")),
                  max_rows=10, max_chars=40)], {"cocon_pips": len(f)}


def _smart(ri: ReportInputs, period: Period) -> tuple[list[Block], dict[str, Any]]:
    head: list[Block] = [Heading("智能制造", "Smart manufacturing", 2)]
    blocks: list[Block] = []
    facts: dict[str, Any] = {}
    rec = ri.inputs.frame("smart_recognitions")
    if len(rec):
        run = smart_run(ri, period.year)
        t = run.to_frame()
        names = park_names(ri)
        t = t.assign(park=t["park_id"].map(lambda p: _park(names, p)))
        # recognitions per list level (national / provincial / municipal) up to the year: a count
        upto = rec[pd.to_numeric(rec["year"]) <= period.year]
        levels = pd.crosstab(upto["park_id"].astype(str), upto["list_level"].astype(str))
        for lv in LIST_LEVEL_NAMES:
            t[f"list_{lv}"] = t["park_id"].astype(str).map(levels.get(lv, {})).fillna(0).astype(int)
        s = run.summary()
        blocks += [
            Para(f"截至{period.year}年，园区内认定数字化车间{s['digital_workshops']}个、智能工厂{s['intelligent_factories']}个、"
                 f"智慧园区{s['intelligent_parks']}个；开展成熟度评估的企业{s['assessed_firms']}家。",
                 f"By {period.year}, parks hold {s['digital_workshops']} digital workshops, "
                 f"{s['intelligent_factories']} intelligent factories and {s['intelligent_parks']} intelligent parks; "
                 f"{s['assessed_firms']} firms have a maturity assessment."),
            table("smart", "各园区智能制造认定（按类型与等级）", "Smart-manufacturing recognitions by park, kind and tier", t,
                  (("park", "园区", "park"),
                   ("digital_workshops", SMART_KIND_NAMES["digital_workshop"][0], SMART_KIND_NAMES["digital_workshop"][1]),
                   ("intelligent_factories", SMART_KIND_NAMES["intelligent_factory"][0],
                    SMART_KIND_NAMES["intelligent_factory"][1]),
                   ("intelligent_parks", SMART_KIND_NAMES["intelligent_park"][0], SMART_KIND_NAMES["intelligent_park"][1]),
                   *[(f"tier_{k}", z, e) for k, (z, e) in _tiers()],
                   *[(f"list_{k}", z, e) for k, (z, e) in LIST_LEVEL_NAMES.items()],
                   ("assessed", "已评估企业", "assessed firms"), ("mean_level", "平均成熟度", "mean maturity level")),
                  max_rows=12)]
        facts.update(smart_recognitions=int(s["digital_workshops"] + s["intelligent_factories"]
                                            + s["intelligent_parks"]))
    agg = ri.inputs.frame("smart_aggregates")
    if len(agg):
        regions = ri.inputs.frame("regions")
        rname = dict(zip(regions["adcode"].astype(str), regions["name_zh"].astype(str), strict=True))
        a = agg.assign(region_label=agg["region"].map(lambda r: "—" if r is None or pd.isna(r) else rname.get(str(r), str(r))),
                       kind_label=agg["kind"].map(lambda c: _lab(SMART_KIND_NAMES, c)),
                       value=[("≥" if q == "at_least" else "~" if q == "about" else "") + str(int(c))
                              for c, q in zip(agg["count"], agg["qualifier"], strict=True)],
                       confidence_label=agg["confidence"].map(lambda c: _lab(CONFIDENCE_NAMES, c)))
        a = a[pd.to_numeric(a["year"]) <= period.year].sort_values(["region", "kind", "year"])
        blocks.append(table("smart_published", "公布的汇总数（按原文，不分摊到园区）",
                            "Published totals (as published, not spread over parks)", a,
                            (("region_label", "地区", "region"), ("kind_label", "类型", "kind"), ("year", "年份", "year"),
                             ("measure", "口径", "measure"), ("value", "数量", "count"),
                             ("confidence_label", "可信度", "confidence")), max_rows=10))
    if not blocks:
        return [*head, NoData("智能制造登记暂无数据", "no smart-manufacturing record")], {"smart_recognitions": 0}
    return [*head, *blocks], facts


def _tiers() -> list[tuple[str, tuple[str, str]]]:
    from parklink.vocab import SMART_TIER_NAMES

    return list(SMART_TIER_NAMES.items())


def _synthetic_firms(ri: ReportInputs) -> bool:
    """True when the firm dataset behind the chain gaps is synthetic."""
    return bool(chain_data(ri).synthetic)


def _platforms(ri: ReportInputs) -> tuple[list[Block], dict[str, Any]]:
    head: list[Block] = [Heading("研发与设计平台对产业链缺口的覆盖", "Platform coverage of chain gaps", 2)]
    plats = ri.inputs.frame("platforms")
    blocks: list[Block] = []
    facts: dict[str, Any] = {"platforms": len(plats)}
    if len(plats):
        kinds = plats.groupby("kind").size()
        blocks.append(Para("登记平台" + "、".join(f"{label(PLATFORM_KIND_NAMES, str(k), 'zh')}{n}个"
                                               for k, n in kinds.items()) + "。",
                           "Registered platforms: " + ", ".join(f"{n} {label(PLATFORM_KIND_NAMES, str(k), 'en')}"
                                                                for k, n in kinds.items()) + "."))
    if not len(plats):
        return [*head, NoData("研发与设计平台登记暂无数据", "no R&D or design platform recorded")], facts
    run = platform_gap_run(ri)
    if run is None:
        return [*head, *blocks, NoData("无企业数据集，产业链缺口未计算", "no firm dataset: no chain gaps")], facts
    s = run.summary()
    g = run.to_frame()
    if not len(g):
        return [*head, *blocks, NoData("示范园区无产业链缺口", "the designated parks show no chain gap")], facts
    by_chain = g.groupby("chain", as_index=False).agg(gaps=("segment_id", "size"), covered=("covered", "sum"))
    by_chain["uncovered"] = by_chain["gaps"] - by_chain["covered"]
    by_chain["share"] = by_chain["covered"] / by_chain["gaps"]
    by_chain["chain_label"] = by_chain["chain"].map(lambda c: chain_label(str(c)))
    sites = run.result.explain()["sites"]
    best = sites[sites["chain"] == "*"]
    names = park_names(ri)
    where = ", ".join(_park(names, p) for p in best["park_id"]) or "—"
    share = s["coverage_share"]
    blocks += [
        Para(f"示范园区产业链缺口{s['gaps']}个，其中{s['covered']}个在{s['max_hours']:g}小时内有服务平台"
             f"（覆盖率{'—' if share is None else f'{share:.1%}'}）；新建或共享平台的最佳选址：{where}。",
             f"{s['gaps']} chain gaps of designated parks; {s['covered']} have a serving platform within "
             f"{s['max_hours']:g} h (coverage {'—' if share is None else f'{share:.1%}'}); best site for a new or "
             f"shared platform: {where}."),
        table("platform_gaps", "各产业链平台覆盖", "Platform coverage by chain", by_chain,
              (("chain_label", "产业链", "chain"), ("gaps", "缺口", "gaps"), ("covered", "已覆盖", "covered"),
               ("uncovered", "未覆盖", "uncovered"), ("share", "覆盖率", "coverage")),
              note=f"{SYNTHETIC_NOTE[0]} / {SYNTHETIC_NOTE[1]}（产业链缺口 chain gaps）" if _synthetic_firms(ri) else ""),
    ]
    facts.update(platform_gaps=int(s["gaps"]), platform_covered=int(s["covered"]))
    return [*head, *blocks], facts


def coconstruction_section(ri: ReportInputs, period: Period) -> tuple[list[Block], dict[str, Any]]:
    """The bulletin's co-construction section and its facts for the findings."""
    head: list[Block] = [Heading("共建：园中园、智能制造、研发与设计平台",
                                 "Co-construction: parks in the park, smart manufacturing, platforms")]
    kinds = ("parks_in_park", "smart_recognitions", "smart_aggregates", "platforms")
    if not any(len(ri.inputs.frame(k)) for k in kinds):
        return [*head, NoData("共建登记暂无数据", "no co-construction records in the database")], {}
    b1, f1 = _pips(ri)
    b2, f2 = _smart(ri, period)
    b3, f3 = _platforms(ri)
    return [*head, *b1, *b2, *b3], {**f1, **f2, **f3}
