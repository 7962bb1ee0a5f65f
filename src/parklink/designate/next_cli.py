"""``parklink designate next`` (下一批示范园区): plan the next batch from the real designations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from parklink.console import bi, console, frame_table, user_errors

__all__ = ["register_next"]


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(t.strip() for t in (text or "").split(",") if t.strip())


def _pairs(text: str | None, what: str) -> dict[str, float]:
    """Parse ``SC=4,CQ=4`` / ``adjacent=0.3`` into a dict."""
    from parklink.errors import ValidationError

    out: dict[str, float] = {}
    for part in _split(text):
        key, sep, val = part.partition("=")
        try:
            if not sep:
                raise ValueError(part)
            out[key.strip()] = float(val)
        except ValueError:
            raise ValidationError.single(what, f"expected KEY=NUMBER, got {part!r}", column=what) from None
    return out


def register_next(group: typer.Typer) -> None:
    """Add ``next`` to the ``designate`` command group."""

    @group.command("next")
    def next_cmd(
        year: Annotated[int, typer.Option("--year", help="批次年份 programme year of the batch")] = 2025,
        size: Annotated[int | None, typer.Option(
            "--size", help="批次规模 new parks or designations (default: gap to the target, else the last batch's size)")] = None,
        count: Annotated[str, typer.Option("--count", help="计数单位 parks | designations (both are shown)")] = "parks",
        target: Annotated[int | None, typer.Option(
            "--target", help="累计目标 cumulative target of the year in the --count unit (default: targets table)")] = None,
        province_share: Annotated[float, typer.Option(
            "--province-share", help="川渝比例 each province ≥ share × new parks (0 = off)")] = 0.4,
        province_min: Annotated[str | None, typer.Option(
            "--province-min", help="省份最少 minimum new parks, e.g. SC=4,CQ=3")] = None,
        pairing: Annotated[bool, typer.Option(
            "--pairing/--no-pairing", help="跨省结对 each new park needs a partner across the border")] = True,
        pair_hours: Annotated[float, typer.Option("--pair-hours", help="结对时间上限 pairing radius (h)")] = 3.0,
        pair_existing: Annotated[bool, typer.Option(
            "--pair-existing/--no-pair-existing", help="可与已认定园区结对 a designated park may be the partner")] = True,
        area_shares: Annotated[str, typer.Option(
            "--area-shares", help="区域类型比例 e.g. critical_development=0.2,transport_node=0.2,adjacent=0.2 ('' = off)")]
        = "critical_development=0.2,transport_node=0.2,adjacent=0.2",
        zones: Annotated[bool, typer.Option("--zones/--no-zones", help="区域覆盖 every zone represented")] = True,
        require_zones: Annotated[str | None, typer.Option(
            "--require-zones", help="指定区域 zone ids to represent (default: every zone with a candidate)")] = None,
        max_district: Annotated[int | None, typer.Option("--max-per-district", help="每区县上限 at most N parks")] = None,
        max_city: Annotated[int | None, typer.Option("--max-per-city", help="每市上限 at most N parks")] = None,
        focal: Annotated[str, typer.Option(
            "--focal", help="重点产业链 groups each served by the batch: auto_moto,electronics,biomed ('' = off)")]
        = "auto_moto,electronics,biomed",
        forced_in: Annotated[str | None, typer.Option("--in", help="指定入选 park ids, comma-separated")] = None,
        forced_out: Annotated[str | None, typer.Option("--out-park", help="指定排除 park ids, comma-separated")] = None,
        method: Annotated[str, typer.Option("--method", help="评分方法 topsis | vikor | promethee_ii")] = "topsis",
        weighting: Annotated[str, typer.Option("--weighting", help="赋权 weighting of the scores")] = "combined",
        swaps: Annotated[int, typer.Option("--swaps", help="替换检验 left-out parks tried per pick (0 = skip)")] = 5,
        out: Annotated[Path | None, typer.Option("--out", help="导出Excel write the plan tables to this .xlsx")] = None,
        database: Annotated[str | None, typer.Option("--database", "-d", help="数据库 SQLAlchemy URL")] = None,
    ) -> None:
        """下一批示范园区 Plan the next batch: real designations stay fixed, the batch is chosen
        (MILP on HiGHS) under the stated rules; an impossible set of rules reports the smallest
        relaxation."""
        from parklink.configs import EvaluationConfig
        from parklink.designate.nextbatch import NextBatchInfeasibleError, NextBatchRules
        from parklink.evaluate.cli import write_excel
        from parklink.inputs import read_inputs
        from parklink.runs import next_batch

        with user_errors():
            rules = NextBatchRules(
                year=year, size=size, count=count,  # type: ignore[arg-type]  # validated by the rules
                target=target, min_province_share=province_share,
                min_per_province={k: int(v) for k, v in _pairs(province_min, "--province-min").items()},
                require_pairing=pairing, max_pair_hours=pair_hours, pair_with_existing=pair_existing,
                area_type_min_share=_pairs(area_shares, "--area-shares"), zone_coverage=zones,
                require_zones=_split(require_zones) or None, max_per_district=max_district, max_per_city=max_city,
                focal_chains=_split(focal), forced_in=_split(forced_in), forced_out=_split(forced_out),
            )
            inputs = read_inputs(database)
            scoring = EvaluationConfig(method=method, weighting=weighting, travel_time="network")
            console.print(f"{bi('数据来源', 'Data')}: {inputs.note}; {bi('评分', 'scores')}: {method}/{weighting}, "
                          "network travel times")
            try:
                res = next_batch(inputs, rules, scoring, swaps=swaps)
            except NextBatchInfeasibleError as exc:
                console.print(frame_table(exc.relaxation[["label", "row", "slack", "text_zh", "text_en"]],
                                          bi("最小放宽", "Smallest relaxation")))
                if out is not None:
                    write_excel(out, {"relaxation": exc.relaxation})
                raise
            s = res.summary()
            console.print(f"{bi('下一批', 'Next batch')} {year}: {s['status']}, {res.size} {count} "
                          f"({res.size_basis}), objective {res.objective:.4f}, {res.seconds:.2f} s")
            console.print(frame_table(res.counts, bi("累计数量（两种口径）", "Cumulative counts (both units)")))
            console.print(frame_table(res.proposal[["park_id", "province", "score", "partner", "best_left_out",
                                                    "swap_delta"]], bi("建议名单", "Proposed parks")))
            for zh, en in zip(res.proposal["reason_zh"], res.proposal["reason_en"], strict=True):
                console.print(f"• {zh}\n  {en}")
            if out is not None:
                write_excel(out, {"proposal": res.proposal, "counts": res.counts, "history": res.history,
                                  "constraints": res.rows})
                console.print(f"[green]✓[/] {bi('已导出', 'written')} → {out}")
