"""``parklink projects …`` and ``parklink events …``: the project pipeline and joint events
from the command line (tables readable at 80 columns, zh/en; ``--json`` for scripts).

``parklink promotion …`` and ``parklink kpi`` are in :mod:`parklink.promotion.cli_plan`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table
from sqlalchemy.orm import Session

from parklink.console import bi, console, err_console, user_errors
from parklink.errors import ConfigError, ValidationError
from parklink.vocab import STAGE_NAMES, TERMINATION_REASON_NAMES, label

DatabaseOpt = Annotated[str | None, typer.Option("--database", "-d", help="数据库 SQLAlchemy URL")]
LangOpt = Annotated[str, typer.Option("--lang", help="语言 zh | en | both")]
JsonOpt = Annotated[bool, typer.Option("--json", help="JSON 输出 print JSON")]


def actor() -> str:
    """``cli:<login>`` — who the history names for CLI writes."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


@contextmanager
def db(database: str | None) -> Iterator[Session]:
    """A session of an initialised database (ConfigError saying how to create it)."""
    from parklink.store import session_scope
    from parklink.store.db import database_url, is_initialised, redact

    if not is_initialised(database):
        raise ConfigError(f"database {redact(database_url(database))} is not initialised (数据库未初始化); "
                          "run 'parklink db init' first")
    with session_scope(database) as session:
        yield session


def lbl(vocabulary: Any, code: Any, lang: str) -> str:
    """A code's label in ``lang`` (zh, en or both)."""
    if code is None or (isinstance(code, float) and code != code) or code is pd.NA:
        return "—"
    return label(vocabulary, str(code), None if lang == "both" else lang)


def cell(v: Any) -> str:
    """Text of a cell (— for empty, dates ISO, floats with up to 1 decimal)."""
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return "—"
    if isinstance(v, dt.datetime | pd.Timestamp):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float):
        return f"{v:,.1f}"
    return str(v)


def table(title: str, columns: list[tuple[str, bool]], rows: list[list[Any]], *, limit: int = 50) -> Table:
    """A compact rich table: ``columns`` (heading, right-aligned); at most ``limit`` rows."""
    t = Table(title=title, title_justify="left", show_lines=False, pad_edge=False, collapse_padding=True)
    for head, right in columns:
        t.add_column(head, justify="right" if right else "left", overflow="fold")
    for r in rows[:limit]:
        t.add_row(*[cell(v) for v in r])
    if len(rows) > limit:
        t.caption = f"{limit} / {len(rows)} {bi('行', 'rows')} (--limit)"
    return t


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready records of a frame."""
    return json.loads(frame.to_json(orient="records", date_format="iso", force_ascii=False))  # type: ignore[no-any-return]


def parse_day(text: str | None) -> dt.date:
    """An ISO date (today when None); ValidationError naming the value otherwise."""
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError.single("--on", "not a date: use YYYY-MM-DD (日期格式应为YYYY-MM-DD)", value=text) from None


def _show_project(d: Any, lang: str) -> None:
    p = d.project
    console.print(f"[bold]{p['project_id']}[/] {p['name_zh']}" + (f" / {p['name_en']}" if p.get("name_en") else ""),
                  highlight=False)
    if p.get("synthetic"):
        console.print(f"[yellow]{bi('合成数据', 'synthetic data')}[/] — {p.get('source_url') or ''}", highlight=False)
    facts = [("投资方 investor", p["investor_name"]), ("园区 park", p["park_id"]), ("产业链 chain", p.get("chain")),
             ("环节 segment", p.get("segment_id")), ("阶段 stage", lbl(STAGE_NAMES, d.stage, lang)),
             ("协议投资 signed (百万元 CNY m)", p.get("signed_investment_cny_m")),
             ("到位资金 funds in place", d.funds_in_place_cny_m), ("计划开工 planned start", p.get("planned_start")),
             ("计划投产 planned production", p.get("planned_production")), ("活动 event", p.get("event_id")),
             ("计划 plan", p.get("plan_id")), ("版本 row_version", d.row_version)]
    if p.get("rec_model_version"):
        facts.append(("推荐 recommendation", f"#{p.get('rec_rank')} score {cell(p.get('rec_score'))} "
                      f"({p['rec_model_version']}): {p.get('rec_reason') or ''}"))
    for k, v in facts:
        console.print(f"  {k}: {cell(v)}", highlight=False)
    rows = [[r["on_date"], lbl(STAGE_NAMES, r["stage"], lang),
             lbl(TERMINATION_REASON_NAMES, r["reason"], lang) if r["reason"] else "", r["recorded_by"]]
            for r in d.events.to_dict("records")]
    console.print(table(bi("阶段记录", "stage log"), [("日期 date", False), ("阶段 stage", False),
                                                    ("原因 reason", False), ("记录人 by", False)], rows))


def register(app: typer.Typer) -> None:
    """Add ``projects`` and ``events`` (and, via :mod:`parklink.promotion.cli_plan`,
    ``promotion`` and ``kpi``) to ``app``."""
    from parklink.promotion import cli_plan

    projects = typer.Typer(help="招商项目 Projects and leads: list, show, add, advance, import/export the ledger.",
                           no_args_is_help=True)
    events = typer.Typer(help="联合招商活动 Joint promotion events.", no_args_is_help=True)
    app.add_typer(projects, name="projects")
    app.add_typer(events, name="events")
    cli_plan.register(app, projects)

    @projects.command("list")
    def projects_list(
        park: Annotated[list[str] | None, typer.Option("--park", help="园区 park id (repeatable)")] = None,
        stage: Annotated[str | None, typer.Option("--stage", help="阶段 stage code")] = None,
        chain: Annotated[str | None, typer.Option("--chain", help="产业链 chain code")] = None,
        event: Annotated[str | None, typer.Option("--event", help="招商活动 event id")] = None,
        plan: Annotated[str | None, typer.Option("--plan", help="招商计划 plan id")] = None,
        synthetic: Annotated[bool | None, typer.Option("--synthetic/--real", help="合成/真实 only synthetic or real rows")] = None,
        limit: Annotated[int, typer.Option("--limit", min=1, help="最多行数 rows shown")] = 50,
        lang: LangOpt = "zh", as_json: JsonOpt = False, database: DatabaseOpt = None,
    ) -> None:
        """列出项目 List projects with the stage derived from their logs."""
        from parklink.promotion.service import list_projects

        with user_errors(), db(database) as s:
            f = list_projects(s, park_ids=park, stage=stage, chain=chain, event_id=event, plan_id=plan, synthetic=synthetic)
        if as_json:
            typer.echo(json.dumps(records(f), ensure_ascii=False, indent=1))
            return
        rows = [[r["project_id"], str(r["name_zh"])[:18], r["park_id"], lbl(STAGE_NAMES, r["stage"], lang),
                 r["stage_on"], r["signed_investment_cny_m"], "S" if r["synthetic"] else ""] for r in f.to_dict("records")]
        console.print(table(f"{bi('项目', 'projects')} ({len(f)})", [
            ("编号 id", False), ("名称 name", False), ("园区 park", False), ("阶段 stage", False),
            ("日期 on", False), ("百万元 CNY m", True), ("", False)], rows, limit=limit))
        if len(f) and f["synthetic"].fillna(False).astype(bool).any():
            console.print(f"S = {bi('合成数据', 'synthetic')}", highlight=False)

    @projects.command("show")
    def projects_show(project_id: str, lang: LangOpt = "zh", as_json: JsonOpt = False,
                      database: DatabaseOpt = None) -> None:
        """查看项目 Show a project with its stage log and funds."""
        from parklink.promotion.service import get_project

        with user_errors(), db(database) as s:
            d = get_project(s, project_id)
        if as_json:
            typer.echo(json.dumps(d.to_dict(), ensure_ascii=False, indent=1, default=str))
            return
        _show_project(d, lang)

    @projects.command("add")
    def projects_add(
        name: Annotated[str, typer.Option("--name", help="项目名称 name (中文)")],
        investor: Annotated[str, typer.Option("--investor", help="投资方 investor name")],
        park: Annotated[str, typer.Option("--park", help="园区 park id")],
        investor_id: Annotated[str | None, typer.Option("--investor-id", help="投资方企业编号 investor enterprise id")] = None,
        origin: Annotated[str | None, typer.Option("--origin", help="来源省份 origin province")] = None,
        country: Annotated[str, typer.Option("--country", help="来源国家 origin country")] = "CN",
        chain: Annotated[str | None, typer.Option("--chain", help="产业链 chain code")] = None,
        segment: Annotated[str | None, typer.Option("--segment", help="产业链环节 segment id")] = None,
        mode: Annotated[str, typer.Option("--mode", help="new, expansion, relocation, pip_*")] = "new",
        investment: Annotated[float | None, typer.Option("--investment", help="协议投资额 百万元 million CNY")] = None,
        planned_start: Annotated[str | None, typer.Option("--planned-start", help="计划开工 planned start date")] = None,
        planned_production: Annotated[str | None, typer.Option("--planned-production", help="计划投产 planned production date")] = None,
        event: Annotated[str | None, typer.Option("--event", help="招商活动 event id")] = None,
        plan: Annotated[str | None, typer.Option("--plan", help="招商计划 plan id")] = None,
        stage: Annotated[str, typer.Option("--stage", help="首个阶段 first stage")] = "lead",
        on: Annotated[str | None, typer.Option("--on", help="日期 date (default today)")] = None,
        project_id: Annotated[str | None, typer.Option("--id", help="编号 record id (default generated)")] = None,
        database: DatabaseOpt = None,
    ) -> None:
        """新增线索/项目 Add a lead or project with its first stage event."""
        from parklink.promotion.service import create_project

        row = {"project_id": project_id, "name_zh": name, "investor_name": investor, "investor_id": investor_id,
               "origin_province": origin, "origin_country": country, "park_id": park, "chain": chain,
               "segment_id": segment, "mode": mode, "signed_investment_cny_m": investment,
               "planned_start": planned_start, "planned_production": planned_production, "event_id": event,
               "plan_id": plan}
        with user_errors(), db(database) as s:
            d = create_project(s, {k: v for k, v in row.items() if v is not None}, actor=actor(),
                               via="cli projects add", stage=stage, on=parse_day(on))
        console.print(f"[green]✓[/] {bi('已新增', 'added')} {d.project['project_id']} "
                      f"({lbl(STAGE_NAMES, d.stage, 'both')}, row_version {d.row_version})", highlight=False)

    @projects.command("advance")
    def projects_advance(
        project_id: str,
        stage: Annotated[str, typer.Argument(help="阶段 " + ", ".join(STAGE_NAMES))],
        on: Annotated[str | None, typer.Option("--on", help="日期 date (default today)")] = None,
        version: Annotated[int | None, typer.Option("--version", help="读取时的版本 row_version you read")] = None,
        reason: Annotated[str | None, typer.Option("--reason", help="终止原因 " + ", ".join(TERMINATION_REASON_NAMES))] = None,
        source: Annotated[str | None, typer.Option("--source", help="依据 evidence")] = None,
        note: Annotated[str | None, typer.Option("--note", help="备注 note")] = None,
        database: DatabaseOpt = None,
    ) -> None:
        """推进阶段 Append a stage event (the log is append-only; --version guards against
        concurrent edits)."""
        from parklink.promotion.service import advance_project

        with user_errors(), db(database) as s:
            d = advance_project(s, project_id, stage, parse_day(on), expected_version=version, actor=actor(),
                                via="cli projects advance", source=source, reason=reason, note=note)
        console.print(f"[green]✓[/] {project_id}: {lbl(STAGE_NAMES, d.stage, 'both')} "
                      f"(row_version {d.row_version})", highlight=False)

    @projects.command("funds")
    def projects_funds(
        project_id: str,
        amount: Annotated[float, typer.Argument(help="到位资金 百万元 funds arrived, million CNY")],
        on: Annotated[str | None, typer.Option("--on", help="日期 date (default today)")] = None,
        use: Annotated[str, typer.Option("--use", help="fixed_assets, working_capital, unknown")] = "unknown",
        version: Annotated[int | None, typer.Option("--version", help="读取时的版本 row_version you read")] = None,
        database: DatabaseOpt = None,
    ) -> None:
        """记录到位资金 Record funds arrived for a project."""
        from parklink.promotion.service import add_funds

        with user_errors(), db(database) as s:
            d = add_funds(s, project_id, parse_day(on), amount, expected_version=version, actor=actor(),
                          via="cli projects funds", use=use)
        console.print(f"[green]✓[/] {project_id}: {bi('累计到位', 'funds in place')} {d.funds_in_place_cny_m:,.1f}",
                      highlight=False)

    @projects.command("import")
    def projects_import(
        file: Path,
        mode: Annotated[str, typer.Option("--mode", help="upsert | append")] = "upsert",
        dry_run: Annotated[bool, typer.Option("--dry-run", help="试运行 check and preview, write nothing")] = False,
        sheet: Annotated[str | None, typer.Option("--sheet", help="工作表 Excel sheet")] = None,
        errors: Annotated[Path | None, typer.Option("--errors", help="问题清单 write every problem to a CSV")] = None,
        database: DatabaseOpt = None,
    ) -> None:
        """导入台账 Import the office's project ledger (XLSX/CSV UTF-8 or GBK, zh or en
        headers); all or nothing, every bad row listed (row, column, reason)."""
        from parklink.errors import ParklinkError
        from parklink.ingest.api import write_problems
        from parklink.promotion.ledger import import_ledger

        try:
            with db(database):
                pass
            rep = import_ledger(file, session_url=database, mode=mode, sheet=sheet, dry_run=dry_run, actor=actor())
        except ValidationError as exc:
            if errors is not None:
                n = write_problems(exc.problems, errors)
                err_console.print(f"{bi('问题清单', 'problems list')} ({n}) → {errors}", highlight=False)
            err_console.print(f"[bold red]错误 Error:[/] {exc.summary()}", highlight=False)
            raise typer.Exit(1) from None
        except ParklinkError as exc:
            err_console.print(f"[bold red]错误 Error:[/] {exc}", highlight=False)
            raise typer.Exit(1) from None
        console.print(table(f"{bi('台账导入', 'ledger import')} {file.name}: {rep.rows} {bi('行', 'rows')}",
                            [("类型 kind", False), ("新增 added", True), ("修改 changed", True), ("未变 unchanged", True)],
                            [[k, v["added"], v["changed"], v["unchanged"]] for k, v in rep.counts.items()]))
        console.print(bi("试运行：未写入", "dry run: nothing written") if rep.dry_run
                      else f"[green]✓[/] {rep.history} {bi('条历史记录', 'history entries')}", highlight=False)

    @projects.command("export")
    def projects_export(
        file: Path,
        headers: Annotated[str, typer.Option("--headers", help="表头 zh | en")] = "zh",
        park: Annotated[list[str] | None, typer.Option("--park", help="园区 park id (repeatable)")] = None,
        database: DatabaseOpt = None,
    ) -> None:
        """导出台账 Export the projects in the ledger layout (.xlsx, .csv, .parquet)."""
        from parklink.promotion.ledger import export_ledger

        with user_errors():
            with db(database):
                pass
            n = export_ledger(file, session_url=database, zh_headers=headers != "en", park_ids=park)
        console.print(f"[green]✓[/] {bi('已导出', 'exported')} {n} → {file}", highlight=False)

    @events.command("list")
    def events_list(limit: Annotated[int, typer.Option("--limit", min=1, help="最多行数 rows shown")] = 50, as_json: JsonOpt = False,
                    database: DatabaseOpt = None) -> None:
        """列出活动 List joint promotion events (newest first)."""
        from parklink.promotion.service import list_events

        with user_errors(), db(database) as s:
            f = list_events(s)
        if as_json:
            typer.echo(json.dumps(records(f), ensure_ascii=False, indent=1))
            return
        rows = [[r["event_id"], r["held_on"], r["city"], r["signed_on_site"], r["signed_on_site_cny_m"], r["projects"],
                 "S" if r["synthetic"] else ""] for r in f.to_dict("records")]
        console.print(table(f"{bi('联合招商活动', 'joint events')} ({len(f)})", [
            ("编号 id", False), ("日期 date", False), ("城市 city", False), ("现场签约 signed", True),
            ("百万元 CNY m", True), ("项目 projects", True), ("", False)], rows, limit=limit))

    @events.command("show")
    def events_show(event_id: str, as_of: Annotated[str | None, typer.Option("--as-of", help="截至日期 as-of date (default today)")] = None,
                    as_json: JsonOpt = False, database: DatabaseOpt = None) -> None:
        """查看活动 Show an event and the KPIs of its cohort."""
        from parklink.promotion.service import get_event

        with user_errors(), db(database) as s:
            e = get_event(s, event_id, as_of=parse_day(as_of))
        if as_json:
            typer.echo(json.dumps(e, ensure_ascii=False, indent=1, default=str))
            return
        ev = e["event"]
        console.print(f"[bold]{ev['event_id']}[/] {ev['name_zh']} — {cell(ev['held_on'])} {ev['city']}", highlight=False)
        if ev.get("synthetic"):
            console.print(f"[yellow]{bi('合成数据', 'synthetic data')}[/]", highlight=False)
        cli_plan.print_kpi_row(e["kpis"])

    @events.command("add")
    def events_add(
        name: Annotated[str, typer.Option("--name", help="名称 name")],
        held_on: Annotated[str, typer.Option("--on", help="日期 date")],
        city: Annotated[str, typer.Option("--city", help="城市 city")],
        name_en: Annotated[str | None, typer.Option("--name-en", help="英文名称 English name")] = None,
        country: Annotated[str, typer.Option("--country", help="来源国家 origin country")] = "CN",
        chains: Annotated[str | None, typer.Option("--chains", help="a;b")] = None,
        organisers_sc: Annotated[str | None, typer.Option("--organisers-sc", help="四川侧主办 Sichuan-side organisers")] = None,
        organisers_cq: Annotated[str | None, typer.Option("--organisers-cq", help="重庆侧主办 Chongqing-side organisers")] = None,
        event_id: Annotated[str | None, typer.Option("--id", help="编号 record id (default generated)")] = None,
        database: DatabaseOpt = None,
    ) -> None:
        """新增活动 Add a joint promotion event."""
        from parklink.promotion.service import create_event

        row = {"event_id": event_id, "name_zh": name, "name_en": name_en or name, "held_on": held_on, "city": city,
               "country": country, "chains": chains, "organisers_sc": organisers_sc, "organisers_cq": organisers_cq}
        with user_errors(), db(database) as s:
            e = create_event(s, {k: v for k, v in row.items() if v is not None}, actor=actor(), via="cli events add")
        console.print(f"[green]✓[/] {bi('已新增活动', 'added event')} {e['event']['event_id']}", highlight=False)

