"""``parklink promotion plan|conversion|alerts|drop-target``, ``parklink projects
from-target`` and ``parklink kpi``: plans with their engine target lists, gap → lead,
conversion tracking next to the ranking's hold-out figure, KPIs and alerts."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from parklink.console import bi, console, user_errors
from parklink.errors import ValidationError
from parklink.promotion.cli import (
    DatabaseOpt,
    JsonOpt,
    LangOpt,
    actor,
    cell,
    db,
    lbl,
    parse_day,
    records,
    table,
)
from parklink.promotion.kpi import GROUPS, KPI_COLUMNS
from parklink.vocab import STAGE_NAMES, TARGET_STATUS_NAMES

if TYPE_CHECKING:
    from parklink.inputs import Inputs

_BY = {"park": "park_id", "designation": "designation_id", "zone": "zone_id", "chain": "chain", "origin": "origin",
       "event": "event_id", "year": "signed_year", "in-park": "in_park"}
_SHOWN = ("n_projects", "n_signed", "signed_investment_cny_m", "performance_rate", "start_rate", "production_rate",
          "funds_rate")


def _pct(v: Any) -> str:
    return "—" if v is None or v != v else f"{100 * float(v):.1f}%"


def print_kpi_row(k: dict[str, Any]) -> None:
    """The KPIs of one group, one per line (zh/en, rates as percentages)."""
    for key, (zh, en, unit) in KPI_COLUMNS.items():
        if key in k:
            v = k[key]
            console.print(f"  {zh} {en}: {_pct(v) if unit == 'share' else cell(v)}"
                          + ("" if unit in ("share", "count") else f" ({unit})"), highlight=False)


def parse_scope(text: str) -> tuple[str, str]:
    """``designation:ID`` / ``park:ID`` / ``zone:ID`` / ``A+B`` (a park pair) → (kind, id)."""
    if "+" in text and ":" not in text:
        return "park_pair", text
    kind, _, ident = text.partition(":")
    if ident and kind in ("designation", "park", "zone", "park_pair"):
        return kind, ident
    raise ValidationError.single("SCOPE", "use designation:ID, park:ID, zone:ID or PARK_A+PARK_B (范围格式)", value=text)


def _show_plan(p: dict[str, Any], lang: str, limit: int) -> None:
    plan = p["plan"]
    console.print(f"[bold]{plan['plan_id']}[/] {plan['name_zh']} — {plan['scope_kind']} {plan['scope_id']}, "
                  f"{plan['period_start']}–{plan['period_end']} ({plan['status']}, row_version {p['row_version']})",
                  highlight=False)
    if plan.get("synthetic"):
        console.print(f"[yellow]{bi('合成数据', 'synthetic data')}[/]", highlight=False)
    g = p["goals"]
    if len(g):
        console.print(table(bi("目标与进度", "goals and progress"), [
            ("年 year", False), ("项目 目标/实际 projects", True), ("签约 百万元 signed", True), ("完成 share", True),
            ("到位 百万元 funds", True), ("完成 share", True), ("时间进度 elapsed", True)],
            [[r["year"], f"{cell(r['goal_projects'])}/{r['signed_projects']}",
              f"{cell(r['goal_signed_cny_m'])}/{cell(r['signed_cny_m'])}", _pct(r["signed_share"]),
              f"{cell(r['goal_funds_cny_m'])}/{cell(r['funds_cny_m'])}", _pct(r["funds_share"]), _pct(r["year_elapsed"])]
             for r in g.to_dict("records")]))
    t = p["targets"]
    rows = [[r["target_id"].split(":", 1)[1][:34], r["rank"], r["score"], lbl(TARGET_STATUS_NAMES, r["status"], lang),
             r["project_id"] or "", lbl(STAGE_NAMES, r["stage"], lang) if r["stage"] else ""]
            for r in t.to_dict("records")]
    console.print(table(f"{bi('目标清单', 'target list')} ({len(t)})", [
        ("环节:企业 segment:firm", False), ("名次 rank", True), ("得分 score", True), ("状态 status", False),
        ("项目 project", False), ("阶段 stage", False)], rows, limit=limit))
    if len(p["conversion"]):
        _print_conversion(p["conversion"], None)


def _print_conversion(conv: Any, holdout: dict[str, Any] | None) -> None:
    rows = [[r["model_version"], r["recommended"], r["leads"], _pct(r["lead_rate"]), r["signed"], _pct(r["signed_rate"]),
             r["started"], _pct(r["started_rate"])] for r in conv.to_dict("records")]
    console.print(table(bi("推荐转化", "conversion of recommended targets"), [
        ("模型版本 model", False), ("推荐 rec.", True), ("线索 leads", True), ("%", True), ("签约 signed", True),
        ("%", True), ("开工 started", True), ("%", True)], rows))
    if holdout:
        console.print(f"{bi('离线留出评估', 'offline hold-out')} ({holdout['scope']}, T={holdout['train_year']}, "
                      f"k={holdout['k']}): precision@k {cell(holdout.get('precision'))}, recall@k "
                      f"{cell(holdout.get('recall'))}, n_gaps {holdout.get('n_gaps')}"
                      + (" — 合成数据 synthetic" if holdout.get("synthetic") else ""), highlight=False)


def holdout_figure(scope: str, train_year: int, k: int = 10, *, inputs: Inputs | None = None) -> dict[str, Any]:
    """The ranking's offline hold-out figure (:func:`parklink.chains.evaluation.evaluate_targets`,
    method ``model``, all negatives, cut-off ``k``) on ``scope`` trained up to ``train_year``,
    on ``inputs`` (default: :func:`parklink.inputs.read_inputs`)."""
    from parklink.chains.data import ChainData
    from parklink.chains.evaluation import evaluate_targets
    from parklink.chains.scope import resolve_scope
    from parklink.inputs import read_inputs

    bundle = inputs if inputs is not None else read_inputs()
    sc = resolve_scope(scope, bundle.scope_frames())
    data = ChainData.from_dataset(bundle.require_firms(), template=bundle.chain_template())
    res = evaluate_targets(data, sc, train_year=train_year, ks=(k,))
    h = res.headline(negatives="all", k=k)
    row = h[h["method"] == "model"]
    out: dict[str, Any] = {"scope": sc.scope_id, "train_year": train_year, "k": k, "synthetic": res.synthetic}
    if len(row):
        r = row.iloc[0]
        out.update({c: (None if r[c] != r[c] else float(r[c])) for c in ("precision", "recall") if c in r.index})
        out["n_gaps"] = int(r["n_gaps"]) if r["n_gaps"] == r["n_gaps"] else 0
    return out


def register(app: typer.Typer, projects: typer.Typer) -> None:
    """Add ``promotion …``, ``kpi`` and ``projects from-target`` to the apps."""
    promo = typer.Typer(help="招商计划与转化 Promotion plans, target lists, conversion, alerts.", no_args_is_help=True)
    app.add_typer(promo, name="promotion")

    @promo.command("plan")
    def plan_cmd(
        scope: Annotated[str, typer.Argument(help="designation:ID, park:ID, zone:ID or PARK_A+PARK_B")],
        plan_id: Annotated[str | None, typer.Option("--id", help="计划编号 plan id (default plan-<scope>-<start>)")] = None,
        period: Annotated[str, typer.Option("--period", help="起止年 e.g. 2026-2028")] = "",
        chains: Annotated[str | None, typer.Option("--chains", help="重点产业链 a;b")] = None,
        top: Annotated[int, typer.Option("--top", min=1, help="每个缺口的目标数 targets per gap")] = 5,
        goal: Annotated[list[str] | None, typer.Option("--goal", help="YEAR:PROJECTS:SIGNED:FUNDS (百万元)")] = None,
        no_targets: Annotated[bool, typer.Option("--no-targets", help="不调用产业链引擎 skip the chain engine")] = False,
        limit: Annotated[int, typer.Option("--limit", min=1, help="最多行数 rows shown")] = 30,
        lang: LangOpt = "zh", as_json: JsonOpt = False, database: DatabaseOpt = None,
    ) -> None:
        """招商计划 Show the plan of SCOPE, or create it with its target list drawn from the
        chain engine's ranked investment targets for that scope."""
        from sqlalchemy import select

        from parklink.promotion.plans import create_plan, engine_targets, get_plan
        from parklink.store.models_promotion import PromotionPlan

        kind, ident = parse_scope(scope)
        with user_errors(), db(database) as s:
            found = s.scalar(select(PromotionPlan.plan_id).where(PromotionPlan.scope_kind == kind,
                                                                  PromotionPlan.scope_id == ident)
                             .order_by(PromotionPlan.period_start.desc())) if plan_id is None else (
                plan_id if s.get(PromotionPlan, plan_id) is not None else None)
            if found is not None:
                p = get_plan(s, found)
            else:
                y0 = dt.date.today().year
                start, _, end = (period or f"{y0}-{y0 + 2}").partition("-")
                chain_list = [c for c in (chains or "").split(";") if c]
                targets = None
                if not no_targets:
                    from parklink.inputs import read_inputs

                    targets = engine_targets(read_inputs(database), kind, ident, chains=chain_list or None, top_n=top)
                goals = []
                for gtext in goal or []:
                    parts = [*gtext.split(":"), "", "", ""][:4]
                    goals.append({"year": int(parts[0]), "projects": int(parts[1]) if parts[1] else None,
                                  "signed_investment_cny_m": float(parts[2]) if parts[2] else None,
                                  "funds_in_place_cny_m": float(parts[3]) if parts[3] else None})
                pid = plan_id or f"plan-{ident.replace('+', '-')}-{start}"[:64]
                p = create_plan(s, {"plan_id": pid, "name_zh": f"招商计划 {ident}", "name_en": f"promotion plan {ident}",
                                    "scope_kind": kind, "scope_id": ident, "period_start": int(start),
                                    "period_end": int(end or start), "focal_chains": ";".join(chain_list) or None},
                                targets=targets, goals=goals, actor=actor(), via="cli promotion plan")
                console.print(f"[green]✓[/] {bi('已创建招商计划', 'created plan')} {pid}", highlight=False)
        if as_json:
            typer.echo(json.dumps({"plan": p["plan"], "row_version": p["row_version"], "goals": records(p["goals"]),
                                   "targets": records(p["targets"]), "conversion": records(p["conversion"])},
                                  ensure_ascii=False, indent=1, default=str))
            return
        _show_plan(p, lang, limit)

    @promo.command("drop-target")
    def drop_cmd(target_id: str, reason: Annotated[str, typer.Option("--reason", help="剔除原因 why")],
                 version: Annotated[int | None, typer.Option("--version", help="读取时的版本 row_version you read")] = None, database: DatabaseOpt = None) -> None:
        """剔除目标 Drop a target from its plan's list (kept, with the reason)."""
        from parklink.promotion.plans import drop_target

        with user_errors(), db(database) as s:
            v = drop_target(s, target_id, reason, expected_version=version, actor=actor(), via="cli promotion drop-target")
        console.print(f"[green]✓[/] {target_id}: {bi('已剔除', 'dropped')} (row_version {v})", highlight=False)

    @promo.command("conversion")
    def conversion_cmd(
        as_of: Annotated[str | None, typer.Option("--as-of", help="截至日期 as-of date (default today)")] = None,
        holdout_scope: Annotated[str | None, typer.Option("--holdout-scope", help="留出评估范围 e.g. circle")] = None,
        train_year: Annotated[int | None, typer.Option("--train-year", help="训练年份 train year of the hold-out")] = None,
        k: Annotated[int, typer.Option("--k", min=1, help="截断位置 cut-off k")] = 10,
        as_json: JsonOpt = False, database: DatabaseOpt = None,
    ) -> None:
        """推荐转化 Share of recommended targets that became leads / signed / started, per
        ranking model version, next to the ranking's offline hold-out figure."""
        from parklink.promotion.pipeline import conversion
        from parklink.promotion.service import ledger

        with user_errors():
            with db(database) as s:
                conv = conversion(ledger(s), as_of=parse_day(as_of))
            hold = None
            if holdout_scope is not None:
                if train_year is None:
                    raise ValidationError.single("--train-year", "needed with --holdout-scope (须指定训练年份)")
                hold = holdout_figure(holdout_scope, train_year, k)
        if as_json:
            typer.echo(json.dumps({"conversion": records(conv), "holdout": hold}, ensure_ascii=False, indent=1))
            return
        if not len(conv):
            console.print(bi("尚无推荐目标：用 parklink promotion plan 建立目标清单",
                             "no recommended targets yet: create a target list with parklink promotion plan"))
        _print_conversion(conv, hold)

    @promo.command("alerts")
    def alerts_cmd(as_of: Annotated[str | None, typer.Option("--as-of", help="截至日期 as-of date (default today)")] = None,
                   stall_days: Annotated[int, typer.Option("--stall-days", min=1, help="停滞天数 days without an event")] = 90,
                   park: Annotated[list[str] | None, typer.Option("--park", help="园区 park id (repeatable)")] = None,
                   limit: Annotated[int, typer.Option("--limit", min=1, help="最多行数 rows shown")] = 50,
                   lang: LangOpt = "zh", as_json: JsonOpt = False, database: DatabaseOpt = None) -> None:
        """预警 Overdue milestones and stalled projects."""
        from parklink.promotion.service import alerts

        with user_errors(), db(database) as s:
            a = alerts(s, as_of=parse_day(as_of), stall_days=stall_days, park_ids=park)
        if as_json:
            typer.echo(json.dumps(records(a), ensure_ascii=False, indent=1))
            return
        names = {"start_overdue": "开工逾期 start overdue", "production_overdue": "投产逾期 production overdue",
                 "stalled": "停滞 stalled"}
        rows = [[r["project_id"], r["park_id"], names.get(r["alert"], r["alert"]), r["planned"], r["last_event"],
                 r["days"], lbl(STAGE_NAMES, r["stage"], lang)] for r in a.to_dict("records")]
        console.print(table(f"{bi('预警', 'alerts')} ({len(a)})", [
            ("项目 project", False), ("园区 park", False), ("类型 alert", False), ("计划 planned", False),
            ("最近 last", False), ("天 days", True), ("阶段 stage", False)], rows, limit=limit))

    @app.command("kpi")
    def kpi_cmd(
        by: Annotated[list[str] | None, typer.Option("--by", help="park, designation, zone, chain, origin, event, "
                                                     "year, in-park (repeatable)")] = None,
        year: Annotated[int | None, typer.Option("--year", help="签约年度队列 only projects signed that year")] = None,
        as_of: Annotated[str | None, typer.Option("--as-of", help="截至日期 as-of date (default today)")] = None,
        park: Annotated[list[str] | None, typer.Option("--park", help="园区 park id (repeatable)")] = None,
        limit: Annotated[int, typer.Option("--limit", min=1, help="最多行数 rows shown")] = 40,
        as_json: JsonOpt = False, database: DatabaseOpt = None,
    ) -> None:
        """招商指标 Performance, start, production and funds-in-place rates (formulas in
        docs/promotion.md), by group."""
        from parklink.promotion.kpi import year_elapsed
        from parklink.promotion.service import kpis

        keys = []
        for b in by or []:
            if b not in _BY:
                raise typer.BadParameter(f"--by {b!r}: choose from {', '.join(_BY)}")
            keys.append(_BY[b])
        day = parse_day(as_of)
        with user_errors(), db(database) as s:
            res = kpis(s, by=keys, as_of=day, year=year, park_ids=park)
            from parklink.promotion.service import list_projects

            syn = int(list_projects(s, park_ids=park)["synthetic"].fillna(False).astype(bool).sum())
        t = res.to_frame()
        if as_json:
            typer.echo(json.dumps({"as_of": day.isoformat(), "by": keys, "summary": res.summary(),
                                   "synthetic_projects": syn, "rows": records(t)}, ensure_ascii=False, indent=1,
                                  default=str))
            return
        heads = [(" / ".join(GROUPS[k][0] for k in keys) or bi("全部", "all"), False)] + [
            (f"{KPI_COLUMNS[c][0]}", True) for c in _SHOWN]
        rows = [[" / ".join(cell(r[k]) for k in keys) or "—"] + [
            _pct(r[c]) if KPI_COLUMNS[c][2] == "share" else r[c] for c in _SHOWN] for r in t.to_dict("records")]
        title = f"{bi('招商指标', 'promotion KPIs')} {bi('截至', 'as of')} {day.isoformat()}" + (
            f", {bi('签约年度', 'signed in')} {year}" if year else "")
        console.print(table(title, heads, rows, limit=limit))
        sm = res.summary()
        console.print(f"{bi('合计', 'total')}: {sm['n_signed']} {bi('签约', 'signed')}, 履约 {_pct(sm['performance_rate'])}, "
                      f"开工 {_pct(sm['start_rate'])}, 投产 {_pct(sm['production_rate'])}, "
                      f"到位 {_pct(sm['funds_rate'])}; 时间进度 year elapsed {_pct(year_elapsed(day))}", highlight=False)
        console.print("履约率 performance · 开工率 start · 投产率 production · 资金到位率 funds-in-place", highlight=False)
        if syn:
            console.print(f"[yellow]{bi('合成数据', 'synthetic')}[/]: {syn} {bi('个项目为合成数据', 'projects are synthetic')}",
                          highlight=False)

    @projects.command("from-target")
    def from_target(target_id: str, park: Annotated[str | None, typer.Option("--park", help="园区 park id (repeatable)")] = None,
                    on: Annotated[str | None, typer.Option("--on", help="日期 date (default today)")] = None,
                    origin: Annotated[str | None, typer.Option("--origin", help="来源省份 origin province")] = None,
                    database: DatabaseOpt = None) -> None:
        """缺口→线索 Turn a plan target (an investment target of a chain gap) into a lead,
        keeping its recommendation (rank, score, reason, model version)."""
        from parklink.promotion.plans import lead_from_target

        with user_errors(), db(database) as s:
            d = lead_from_target(s, target_id, park_id=park, actor=actor(), via="cli projects from-target",
                                 on=parse_day(on), origin_province=origin)
        p = d.project
        console.print(f"[green]✓[/] {bi('已建线索', 'lead created')} {p['project_id']} ← {target_id} "
                      f"(#{p['rec_rank']}, {p['rec_model_version']})", highlight=False)
