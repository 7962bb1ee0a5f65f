"""``parklink sme``, ``parklink services`` and ``parklink match``: SMEs, services and matching."""

from __future__ import annotations

import json
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.markup import escape

from parklink.console import bi, console, frame_table, user_errors
from parklink.errors import NotFoundError
from parklink.sme.registry import sme_table
from parklink.tables import SME_TIERS
from parklink.vocab import MATCH_KIND_NAMES, SME_SIZE_NAMES, SME_TIER_NAMES, label

Tier = Enum("Tier", {t: t for t in SME_TIERS}, type=str)  # type: ignore[misc]
_DB = typer.Option("--database", "-d", help="数据库 SQLAlchemy URL (default: PARKLINK_DATABASE_URL)")
_FIRMS = typer.Option("--firm-root", help="企业数据目录 firm dataset folder (default: <data dir>/firms)")


def _inputs(database: str | None, firm_root: Path | None) -> Any:
    from parklink.inputs import read_inputs

    return read_inputs(database, firm_root=firm_root)


def _generic_import(kind: str, file: Path, mode: str, dry_run: bool, database: str | None) -> None:
    from parklink.ingest.api import import_file
    from parklink.ingest.cli import print_preview

    report = import_file(kind, file, session_url=database, mode=mode, dry_run=dry_run)  # type: ignore[arg-type]
    if report.preview is not None:
        print_preview(console, report.preview)
    verb = bi("试运行，未写入", "dry run, nothing written") if dry_run else bi("已导入", "imported")
    console.print(f"[green]✓[/] {verb}: {report.rows} {kind} ← {escape(report.file)}", highlight=False)


def _generic_export(kind: str, file: Path, database: str | None) -> None:
    from parklink.ingest.api import export_file

    n = export_file(kind, file, session_url=database)
    console.print(f"[green]✓[/] {bi('已导出', 'exported')} {n} {kind} → {escape(str(file))}", highlight=False)


def _print_matches(result: Any, *, title: str, limit: int) -> None:
    tab = result.to_frame()
    for q in result.queries.to_dict("records"):
        console.print(f"\n[bold]{escape(title)} {escape(str(q['query_id']))}[/] "
                      f"{escape(str(q['title_zh']))} / {escape(str(q['title_en']))}", highlight=False)
        rows = tab[tab["query_id"] == q["query_id"]].head(limit)
        if rows.empty:
            console.print(bi("  没有相关候选", "  no relevant candidate"))
        for r in rows.to_dict("records"):
            syn = " [合成 synthetic]" if r["synthetic"] else ""
            console.print(f"  {r['rank']:>2}. {escape(str(r['candidate_id']))} {escape(str(r['name_zh']))} "
                          f"{escape(str(r['name_en']))}{escape(syn)}  {bi('得分', 'score')} {r['score']:.3f}",
                          highlight=False)
            console.print(f"      理由 {escape(r['reason_zh'])}", highlight=False)
            console.print(f"      reason {escape(r['reason_en'])}", highlight=False)
    for note in result.notes:
        console.print(f"[dim]{escape(note)}[/]", highlight=False)
    weights = result.meta.get("weights")
    if weights:
        console.print(bi("学习权重（标准化）", "fitted weights (standardised)") + ": " + escape(", ".join(
            f"{w['name_zh']} {w['name_en']} {w['weight_std']:+.2f}" for w in weights)), highlight=False)


def register(app: typer.Typer) -> None:
    """Add the ``sme``, ``services`` and ``match`` commands to ``app``."""
    sme = typer.Typer(help="中小企业 SMEs: registry, 专精特新 tiers, size classes, synthetic default",
                      no_args_is_help=True)
    services = typer.Typer(help="服务 Service providers and offers for SMEs", no_args_is_help=True)
    app.add_typer(sme, name="sme")
    app.add_typer(services, name="services")

    @sme.command("list", help="列出中小企业 List SME profiles (filters: tier, park, size class).")
    def sme_list(
        tier: Annotated[list[Tier] | None, typer.Option("--tier", help="梯度 tier (repeatable): "
                                                        + ", ".join(SME_TIERS))] = None,
        park: Annotated[str | None, typer.Option("--park", help="园区 park_id")] = None,
        size: Annotated[str | None, typer.Option("--size", help="规模 size: large/medium/small/micro/unknown")] = None,
        active: Annotated[bool, typer.Option("--active", help="仅有效期内 tier still valid today")] = False,
        limit: Annotated[int, typer.Option("--limit", min=1, help="最多行数 rows shown")] = 30,
        as_json: Annotated[bool, typer.Option("--json", help="JSON 输出")] = False,
        database: Annotated[str | None, _DB] = None,
        firm_root: Annotated[Path | None, _FIRMS] = None,
    ) -> None:
        with user_errors():
            view = sme_table(_inputs(database, firm_root), tier=[t.value for t in tier or []], park=park,
                             size=size, active=active)
        if as_json:
            out = view.head(limit).astype(object).where(view.head(limit).notna(), None)
            typer.echo(json.dumps({"count": len(view), "items": out.to_dict("records")}, ensure_ascii=False,
                                  default=str))
            return
        show = view.head(limit).copy()
        show["tier"] = [label(SME_TIER_NAMES, t, "zh") + ("" if t == a else "（已过期）")
                        for t, a in zip(show["tier"], show["tier_active"], strict=True)]
        show["size"] = [label(SME_SIZE_NAMES, s, "zh") for s in show["size"]]
        cols = ["enterprise_id", "name_zh", "name_en", "size", "tier", "tier_year"]
        console.print(frame_table(show[cols].rename(columns={"size": "规模 size", "tier": "梯度 tier",
                                                             "tier_year": "认定年 year"}),
                                  f"{bi('中小企业', 'SMEs')}: {len(view)}", max_rows=limit))
        n_syn = int(view["synthetic"].fillna(False).astype(bool).sum())
        if n_syn:
            console.print(f"[dim]{bi('合成数据', 'synthetic rows')}: {n_syn} / {len(view)}[/]", highlight=False)

    @sme.command("thresholds", help="划型标准 The SME size-classification thresholds encoded (versioned, sourced).")
    def sme_thresholds() -> None:
        from parklink.sme.classification import SOURCE, SOURCE_URL, thresholds_frame

        f = thresholds_frame()
        console.print(frame_table(f[["industry", "employees_max", "revenue_max_10k_cny", "employees_medium",
                                     "revenue_medium_10k_cny", "employees_small", "revenue_small_10k_cny"]]
                                  .rename(columns=lambda c: c.replace("_10k_cny", "万")),
                                  f"{SOURCE} ({f['confidence'].iloc[0]})"))
        console.print(f"{SOURCE_URL}; {bi('其他行业未编码（未知）', 'other industries not encoded (unknown)')}")
        console.print(f"[dim]{bi('核对', 'checked')}: {f['verification'].iloc[0]}[/]", highlight=False)

    @sme.command("seed", help="写入合成示例 Write the seeded synthetic SME default (labelled synthetic) "
                              "built from the synthetic firms: profiles, providers, offers, 供需清单.")
    def sme_seed(
        seed: Annotated[int, typer.Option("--seed", help="随机种子 seed")] = 20200611,
        n: Annotated[int, typer.Option("--profiles", min=1, max=50_000, help="中小企业数 SME profiles")] = 3000,
        database: Annotated[str | None, _DB] = None,
        firm_root: Annotated[Path | None, _FIRMS] = None,
    ) -> None:
        from parklink.ingest.api import _require_db
        from parklink.sme.store import write_sme_frames
        from parklink.sme.synthetic import generate
        from parklink.store import session_scope

        with user_errors():
            _require_db(database)
            inputs = _inputs(database, firm_root)
            firms = pd.read_parquet(inputs.require_firms().firms_path)
            frames = generate(firms, inputs.frame("chain_segments"), inputs.frame("parks"), seed=seed, n_profiles=n)
            with session_scope(database) as session:
                written = write_sme_frames(session, frames, actor="cli:sme-seed")
        console.print(f"[green]✓[/] {bi('已写入合成示例', 'wrote the synthetic default')}: "
                      + ", ".join(f"{k} {v}" for k, v in written.items()), highlight=False)

    @sme.command("import", help="导入 Import SME profiles (generic import: CSV/XLSX/Parquet, row-level errors).")
    def sme_import(file: Annotated[Path, typer.Argument(help="文件 .csv/.xlsx/.parquet")], mode: Annotated[str, typer.Option("--mode", help="模式 append / upsert / replace")] = "upsert",
                   dry_run: Annotated[bool, typer.Option("--dry-run", help="预览 preview, write nothing")] = False,
                   database: Annotated[str | None, _DB] = None) -> None:
        with user_errors():
            _generic_import("sme_profiles", file, mode, dry_run, database)

    @sme.command("export", help="导出 Export SME profiles (.csv/.xlsx/.parquet).")
    def sme_export(file: Annotated[Path, typer.Argument(help="文件 output file")], database: Annotated[str | None, _DB] = None) -> None:
        with user_errors():
            _generic_export("sme_profiles", file, database)

    @services.command("list", help="列出服务 List service offers with their providers.")
    def services_list(
        service: Annotated[str | None, typer.Option("--service", help="服务类型 service code")] = None,
        park: Annotated[str | None, typer.Option("--park", help="园区 park_id")] = None,
        limit: Annotated[int, typer.Option("--limit", min=1, help="最多行数 rows shown")] = 30,
        database: Annotated[str | None, _DB] = None,
        firm_root: Annotated[Path | None, _FIRMS] = None,
    ) -> None:
        from parklink.vocab import SERVICE_NAMES

        with user_errors():
            inputs = _inputs(database, firm_root)
        offers = inputs.frame("service_offers")
        if service:
            offers = offers[offers["service"] == service]
        if park:
            offers = offers[(offers["park_id"] == park) | offers["park_id"].isna()]
        show = offers.head(limit).assign(service=lambda f: [label(SERVICE_NAMES, s, "zh") for s in f["service"]])
        console.print(frame_table(show[["offer_id", "provider_id", "service", "park_id", "eligible_tiers"]]
                                  .rename(columns={"service": "服务 service"}),
                                  f"{bi('服务产品', 'service offers')}: {len(offers)}", max_rows=limit))

    @services.command("import", help="导入 Import providers or offers (KIND: service_providers|service_offers).")
    def services_import(kind: Annotated[str, typer.Argument(help="表类型 service_providers|service_offers")],
                        file: Annotated[Path, typer.Argument(help="文件 .csv/.xlsx/.parquet")], mode: Annotated[str, typer.Option("--mode", help="模式 append / upsert / replace")] = "upsert",
                        dry_run: Annotated[bool, typer.Option("--dry-run", help="预览 preview, write nothing")] = False,
                        database: Annotated[str | None, _DB] = None) -> None:
        with user_errors():
            if kind not in ("service_providers", "service_offers"):
                raise NotFoundError("KIND must be service_providers or service_offers")
            _generic_import(kind, file, mode, dry_run, database)

    @services.command("export", help="导出 Export providers or offers (KIND: service_providers|service_offers).")
    def services_export(kind: Annotated[str, typer.Argument(help="表类型 service_providers|service_offers")],
                        file: Annotated[Path, typer.Argument(help="文件 output file")], database: Annotated[str | None, _DB] = None) -> None:
        with user_errors():
            if kind not in ("service_providers", "service_offers"):
                raise NotFoundError("KIND must be service_providers or service_offers")
            _generic_export(kind, file, database)

    @app.command("match", help="匹配 Rank matches with reasons: NEED (a 供需清单 need id) → suppliers; "
                               "ENTERPRISE → suppliers for it and, for an SME, service offers. "
                               "--evaluate: time-split evaluation of leader ↔ supplier matching.")
    def match_cmd(
        target: Annotated[str | None, typer.Argument(help="需求编号 NEED item_id or 企业 ENTERPRISE id")] = None,
        k: Annotated[int, typer.Option("--k", min=1, max=100, help="前k个 top k")] = 10,
        evaluate: Annotated[bool, typer.Option("--evaluate", help="时间切分评估 time-split evaluation")] = False,
        test_year: Annotated[int | None, typer.Option("--test-year", help="测试年 test year T")] = None,
        hand_weights: Annotated[bool, typer.Option("--hand-weights", help="人工权重 ENTERPRISE: rank suppliers "
                                                   "by the documented hand weights (baseline) instead of "
                                                   "the model learned from past years (default)")] = False,
        out: Annotated[Path | None, typer.Option("--out", help="写出 write the table (.csv/.json)")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="JSON 输出 print JSON")] = False,
        database: Annotated[str | None, _DB] = None,
        firm_root: Annotated[Path | None, _FIRMS] = None,
    ) -> None:
        from parklink.sme.run import run_match

        with user_errors():
            inputs = _inputs(database, firm_root)
            if evaluate:
                from parklink.sme.evaluation import evaluate_matching, print_evaluation

                ev = evaluate_matching(inputs, test_year=test_year)
                if as_json:
                    typer.echo(json.dumps(ev.summary(), ensure_ascii=False, default=str))
                else:
                    print_evaluation(console, ev)
                if out is not None:
                    ev.to_frame().to_csv(out, index=False, encoding="utf-8-sig")
                return
            if not target:
                raise NotFoundError("give a NEED or ENTERPRISE id, or --evaluate (请给出需求或企业编号)")
            results = run_match(inputs, target, k=k, supplier_ranking="hand" if hand_weights else "learned")
        if as_json:
            typer.echo(json.dumps([{**r.summary(), "matches": json.loads(r.to_frame().to_json(
                orient="records", force_ascii=False))} for r in results], ensure_ascii=False, default=str))
        else:
            for r in results:
                _print_matches(r, title=label(MATCH_KIND_NAMES,
                                              r.kind), limit=k)
        if out is not None:
            pd.concat([r.to_frame().assign(kind=r.kind) for r in results]).to_csv(out, index=False,
                                                                                   encoding="utf-8-sig")
