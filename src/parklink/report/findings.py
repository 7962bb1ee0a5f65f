"""The bulletin's executive summary: 5–8 findings written as sentences from the figures.

:func:`bulletin_facts` gathers the headline figures (pure, from the tables the bulletin
shows); :func:`findings` writes one zh and one en sentence for each figure that exists, in
a fixed order, so every number in the summary is one of the bulletin's tables. Sentences
whose data is absent are left out (the section itself says "no data"); when fewer than
five remain, the data-coverage sentence and the provenance sentence fill the list.
"""

from __future__ import annotations

from dataclasses import dataclass

from parklink.report.common import SYNTHETIC_NOTE

__all__ = ["BulletinFacts", "findings"]


@dataclass(frozen=True)
class BulletinFacts:
    """Headline figures of one bulletin (None = not available)."""

    period: str
    year: int
    designated_parks: int
    designations: int
    target_year: int | None
    target_parks: int | None
    new_designations: int  # announced in the period's year
    new_parks: int
    sc_parks: int = 0  # designated named parks in Sichuan / Chongqing (units)
    cq_parks: int = 0
    zones_with: int | None = None  # cooperation zones hosting a designated park
    zones_total: int | None = None
    chains_year_from: int | None = None
    chains_year_to: int | None = None
    delta_lsr_from: float | None = None  # mean ΔLSR over the demonstration groups
    delta_lsr_to: float | None = None
    weakest_chain: str | None = None  # label of the chain with the lowest mean completeness
    weakest_completeness: float | None = None
    n_signed: int | None = None
    performance_rate: float | None = None
    funds_rate: float | None = None
    n_overdue: int | None = None
    synthetic_projects: int = 0  # synthetic projects in the ledger (their figures are labelled)
    cocon_pips: int | None = None
    smart_recognitions: int | None = None
    platforms: int | None = None
    platform_gaps: int | None = None
    platform_covered: int | None = None
    synthetic_chains: bool = False
    source_note: str = ""


def _n(n: int, noun: str) -> str:
    """``1 park`` / ``2 parks``."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _pct(v: float) -> str:
    return f"{v:.1%}"


def findings(f: BulletinFacts) -> tuple[tuple[str, str], ...]:
    """The findings (zh, en) of ``f``; between 5 and 8 sentences."""
    out: list[tuple[str, str]] = []
    if f.target_parks is not None and f.target_year is not None:
        gap = f.target_parks - f.designated_parks
        if gap <= 0:
            out.append((f"截至{f.year}年，累计认定示范园区{f.designated_parks}个（{f.designations}个示范单元），"
                        f"已达到{f.target_year}年累计{f.target_parks}个的目标（超出{-gap}个）。",
                        f"By {f.year}, {f.designated_parks} demonstration parks ({f.designations} designations) "
                        f"were designated, meeting the cumulative {f.target_year} target of {f.target_parks} "
                        f"(by {-gap})."))
        else:
            out.append((f"截至{f.year}年，累计认定示范园区{f.designated_parks}个（{f.designations}个示范单元），"
                        f"距{f.target_year}年累计{f.target_parks}个的目标尚差{gap}个。",
                        f"By {f.year}, {f.designated_parks} demonstration parks ({f.designations} designations) "
                        f"were designated, {gap} short of the cumulative {f.target_year} target of {f.target_parks}."))
    else:
        out.append((f"截至{f.year}年，累计认定示范园区{f.designated_parks}个（{f.designations}个示范单元）；无当年目标。",
                    f"By {f.year}, {f.designated_parks} demonstration parks ({f.designations} designations) were "
                    "designated; no target is set for that year."))
    if f.new_designations:
        out.append((f"报告期{f.period}新认定{f.new_designations}个示范单元，涉及具名园区{f.new_parks}个。",
                    f"{_n(f.new_designations, 'designation')} naming {_n(f.new_parks, 'park')} "
                    f"{'was' if f.new_designations == 1 else 'were'} announced in {f.period}."))
    else:
        out.append((f"报告期{f.period}没有新认定的示范园区。", f"No designation was announced in {f.period}."))
    if f.sc_parks or f.cq_parks:
        out.append((f"具名的已认定园区中，四川{f.sc_parks}个、重庆{f.cq_parks}个。",
                    f"Of the named designated parks, {f.sc_parks} are in Sichuan and {f.cq_parks} in Chongqing."))
    if f.zones_total:
        out.append((f"{f.zones_total}个合作区域中有{f.zones_with}个已有示范园区。",
                    f"{f.zones_with} of the {f.zones_total} cooperation zones host a demonstration park."))
    if f.delta_lsr_to is not None and f.chains_year_to is not None:
        if f.delta_lsr_from is not None and f.chains_year_from is not None and f.chains_year_from < f.chains_year_to:
            d = f.delta_lsr_to - f.delta_lsr_from
            zh_dir, en_dir = ("上升", "rose") if d > 0 else ("下降", "fell") if d < 0 else ("持平", "held")
            out.append((f"示范园区组的跨省配套贡献（ΔLSR，平均）由{f.chains_year_from}年的{_pct(f.delta_lsr_from)}"
                        f"{zh_dir}至{f.chains_year_to}年的{_pct(f.delta_lsr_to)}（{d * 100:+.1f}个百分点）。",
                        f"The mean cross-border supporting contribution (ΔLSR) of the demonstration groups {en_dir} "
                        f"from {_pct(f.delta_lsr_from)} in {f.chains_year_from} to {_pct(f.delta_lsr_to)} in "
                        f"{f.chains_year_to} ({d * 100:+.1f} points)."))
        else:
            out.append((f"{f.chains_year_to}年示范园区组的平均跨省配套贡献（ΔLSR）为{_pct(f.delta_lsr_to)}。",
                        f"The mean cross-border supporting contribution (ΔLSR) of the demonstration groups was "
                        f"{_pct(f.delta_lsr_to)} in {f.chains_year_to}."))
    if f.weakest_chain is not None and f.weakest_completeness is not None:
        zh, _, en = f.weakest_chain.partition(" ")
        out.append((f"产业链完整度最低的是{zh}（平均{_pct(f.weakest_completeness)}），补链、建链应优先。",
                    f"The least complete chain is {en or zh} (mean completeness {_pct(f.weakest_completeness)}); "
                    "gap-filling should start there."))
    if f.n_signed is not None:
        perf = f"，履约率{_pct(f.performance_rate)}" if f.performance_rate is not None else ""
        perf_en = f", performance rate {_pct(f.performance_rate)}" if f.performance_rate is not None else ""
        funds = f"，资金到位率{_pct(f.funds_rate)}" if f.funds_rate is not None else ""
        funds_en = f", funds in place {_pct(f.funds_rate)}" if f.funds_rate is not None else ""
        synth = f"（含合成项目，{SYNTHETIC_NOTE[0]}）" if f.synthetic_projects else ""
        synth_en = f" (synthetic projects included: {SYNTHETIC_NOTE[1]})" if f.synthetic_projects else ""
        due = f"；{f.n_overdue}个项目需要督办（开工或投产逾期、或长期无进展）" if f.n_overdue is not None else ""
        due_en = (f"; {f.n_overdue} projects need follow-up (start or production overdue, or stalled)"
                  if f.n_overdue is not None else "")
        out.append((f"截至报告期末，签约项目{f.n_signed}个{perf}{funds}{synth}{due}。",
                    f"At the end of the period {f.n_signed} projects were signed{perf_en}{funds_en}{synth_en}{due_en}."))
    if f.cocon_pips is not None or f.smart_recognitions is not None or f.platforms is not None:
        zh = f"共建登记：园中园{f.cocon_pips or 0}个、智能制造认定{f.smart_recognitions or 0}项、研发与设计平台{f.platforms or 0}个"
        en = (f"Co-construction: {_n(f.cocon_pips or 0, 'park')} in the park, "
              f"{_n(f.smart_recognitions or 0, 'smart-manufacturing recognition')}, {_n(f.platforms or 0, 'platform')}")
        if f.platform_gaps:
            zh += f"；示范园区产业链缺口{f.platform_gaps}个中{f.platform_covered or 0}个有平台覆盖"
            en += f"; {f.platform_covered or 0} of {f.platform_gaps} chain gaps of designated parks have a platform"
        out.append((zh + "。", en + "."))
    fillers = []
    if f.chains_year_to is None:
        fillers.append(("无企业交易数据，产业链指标未计算。", "No firm transactions: the chain figures are not computed."))
    if f.n_signed is None:
        fillers.append(("招商项目台账暂无数据，招商指标未计算。",
                        "The project ledger holds no data yet; no investment-promotion KPI is computed."))
    if f.synthetic_chains:
        fillers.append(("产业链指标基于合成企业数据，仅验证方法，不作为事实。",
                        "The chain figures rest on synthetic firm data: they validate the method, not facts."))
    fillers.append((f"数据来源：{f.source_note}。", f"Data source: {f.source_note}."))
    for item in fillers:
        if len(out) >= 5:
            break
        out.append(item)
    return tuple(out[:8])
