"""The next-batch plan brief (下一批方案简报) from ``designate next``'s result.

The plan is :func:`parklink.designate.next_api.plan_next_batch_from_frames` with the default
rules of :class:`~parklink.designate.nextbatch.NextBatchRules` (the same as ``parklink
designate next`` without options) on network travel times; an impossible set of rules gives
the smallest relaxation instead of a batch.
"""

from __future__ import annotations

from parklink.report.bulletin import map_figure
from parklink.report.charts import Chart, Series, chart_svg
from parklink.report.common import header_facts, table
from parklink.report.data import ReportConfig, ReportInputs
from parklink.report.doc import Block, Bullets, Document, Facts, Figure, Heading, NoData

__all__ = ["next_batch_brief"]


def next_batch_brief(ri: ReportInputs, *, year: int = 2025, swaps: int = 5) -> Document:
    """The brief of the proposed next batch for programme ``year``."""
    from dataclasses import replace

    from parklink.designate.next_api import plan_next_batch_from_frames
    from parklink.designate.nextbatch import NextBatchInfeasibleError, NextBatchRules

    rules = replace(NextBatchRules(), year=year)
    config = ReportConfig("next_batch", period=str(year))
    fp = ri.fingerprint(config)
    head: list[Block] = [header_facts(ri, config, ("批次年份", "Programme year", str(year)))]
    try:
        res = plan_next_batch_from_frames(dict(ri.inputs.frames), rules, swaps=swaps,
                                          travel_time=ri.inputs.travel_time("network"))
    except NextBatchInfeasibleError as exc:
        blocks: tuple[Block, ...] = (
            *head, Heading("规则无法同时满足", "The rules cannot all be met"),
            NoData("没有满足全部规则的批次，下表为最小放宽", "no batch meets every rule; the smallest relaxation follows"),
            table("relaxation", "最小放宽", "Smallest relaxation", exc.relaxation,
                  (("label", "规则", "rule"), ("slack", "放宽量", "slack"), ("text_zh", "说明", "explanation (zh)"),
                   ("text_en", "Explanation", "explanation (en)"))),
        )
        return Document("next_batch", f"{year}年下一批示范园区方案简报", f"Next batch {year}: plan brief",
                        "不可行 infeasible", blocks, fp.digest, fp.data_version, ri.inputs.note, f"{year}-12-31",
                        meta={"fingerprint": fp.to_dict(), "status": "infeasible"})
    s = res.summary()
    counts = res.counts
    chart = Chart("counts", "bar", "认定前后的累计数量", "Cumulative counts before and after the batch",
                  tuple(f"{zh} {en}" for zh, en in zip(counts["unit_zh"], counts["unit"], strict=True)),
                  (Series("批次前", "before", tuple(float(v) for v in counts["before"])),
                   Series("批次后", "after", tuple(float(v) for v in counts["after"])),
                   Series("目标", "target", tuple(None if v is None or str(v) == "<NA>" else float(v)
                                                for v in counts["target"]), "line")))
    proposal = res.proposal.assign(name=res.proposal["name_zh"] + " " + res.proposal["name_en"])
    blocks = (
        *head,
        Facts((("方案", "Plan", f"{res.size} ({rules.count}) · {res.size_basis}"),
               ("求解", "Solver", f"{s['status']} · objective {res.objective:.4f} · gap {res.mip_gap:.2%}"))),
        Heading("建议名单与理由", "Proposed parks and reasons"),
        Bullets(tuple(zip(res.proposal["reason_zh"], res.proposal["reason_en"], strict=True))),
        table("proposal", "建议名单", "Proposed parks", proposal,
              (("park_id", "编号", "id"), ("name", "园区", "park"), ("province", "省", "prov."),
               ("score", "得分", "score"), ("rank", "候选排名", "rank"), ("partner", "伙伴", "partner"),
               ("partner_hours", "伙伴时间(h)", "partner h"), ("best_left_out", "最佳替补", "best left out"),
               ("swap_delta", "替换变化", "swap Δ")), max_rows=20),
        Heading("累计数量（两种口径）", "Cumulative counts (both units)"),
        Figure("counts", chart.title_zh, chart.title_en, chart_svg(chart, height_in=2.2), chart, 12.0),
        table("counts", "累计数量", "Counts", counts,
              (("unit_zh", "口径", "unit"), ("unit", "unit", "unit (en)"), ("before", "批次前", "before"),
               ("batch", "本批", "batch"), ("after", "批次后", "after"), ("target", "目标", "target"),
               ("met", "达标", "met"))),
        Heading("示范园区分布图", "Programme map"),
        map_figure(ri),
    )
    return Document("next_batch", f"{year}年下一批示范园区方案简报", f"Next batch {year}: plan brief",
                    f"{res.size} 个 new {rules.count} · {res.size_basis}", blocks, fp.digest, fp.data_version,
                    ri.inputs.note, f"{year}-12-31", meta={"fingerprint": fp.to_dict(), "proposed": res.proposed})
