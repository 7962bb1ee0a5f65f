"""The ``parklink`` command line: one Typer app; each domain adds its commands via ``register``."""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from pathlib import Path
from typing import Annotated

import typer

from parklink import __version__
from parklink.console import bi, console, err_console, frame_table, user_errors
from parklink.settings import get_settings

app = typer.Typer(
    name="parklink",
    help=(
        "parklink — 川渝产业合作示范园区 规划·匹配·监测 / planning, matching and monitoring of "
        "Sichuan–Chongqing industrial cooperation demonstration parks (示范园区)."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="数据库 Database: create, upgrade, back up and restore the registry.", no_args_is_help=True)
app.add_typer(db_app, name="db")

DatabaseOpt = Annotated[
    str | None,
    typer.Option("--database", "-d", help="数据库 SQLAlchemy URL (default: PARKLINK_DATABASE_URL or the SQLite file in the data dir)."),
]

#: Domain modules contributing commands through ``register(app)``.
DOMAIN_CLIS: tuple[str, ...] = (
    "parklink.datasets.cli",
    "parklink.ingest.cli",
    "parklink.evaluate.cli",
    "parklink.designate.cli",
    "parklink.logistics.cli",
    "parklink.chains.cli",
    "parklink.chains.eval_cli",
    "parklink.web.cli",
    "parklink.report.cli",
    "parklink.coconstruction.cli",
    "parklink.sme.cli",
    "parklink.promotion.cli",
    "parklink.monitoring.cli",
)


#: How many tables of a section `parklink plan` prints without --full.
HEADLINE_TABLES = {"status": 4, "overview": 1}


def _version(value: bool) -> None:
    if value:
        console.print(f"parklink {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")] = False,
    wide: Annotated[bool, typer.Option("--wide", help="宽表 Tables at their natural width (no wrapping to the terminal); may also follow the command.")] = False,
) -> None:
    """parklink command line."""
    if wide:
        from parklink.console import set_wide

        set_wide()


@db_app.command("init")
def db_init(
    database: DatabaseOpt = None,
    firms: Annotated[bool, typer.Option("--firms/--no-firms", help="Also generate the synthetic firm dataset (合成企业数据).")] = True,
) -> None:
    """Create the database with the embedded Chengdu–Chongqing dataset (成渝默认数据集) if it is empty."""
    from parklink.store.seed import init_default

    with user_errors():
        settings = get_settings()
        t0 = time.perf_counter()
        report = init_default(database, firm_root=settings.firm_dir if firms else None)
        if report.created:
            console.print(f"[green]✓[/] {bi('已载入默认数据集', 'loaded the embedded dataset')}: "
                          + ", ".join(f"{k} {v}" for k, v in report.rows.items()))
        else:
            console.print(f"{bi('数据库已有数据', 'database already holds data')}; schema at {report.revision}")
        if report.firms_generated:
            console.print(f"[green]✓[/] {bi('已生成合成企业数据', 'generated the synthetic firm dataset')} → {settings.firm_dir}")
        console.print(f"({time.perf_counter() - t0:.1f} s)")


@db_app.command("upgrade")
def db_upgrade(database: DatabaseOpt = None) -> None:
    """Apply schema migrations (数据库迁移) up to the newest revision."""
    from parklink.store.db import upgrade

    with user_errors():
        console.print(f"[green]✓[/] schema at revision {upgrade(database)}")


@db_app.command("status")
def db_status(database: DatabaseOpt = None) -> None:
    """Show the schema revision and row counts (行数) per kind."""
    import pandas as pd

    from parklink.store.db import (
        current_revision,
        database_url,
        head_revision,
        redact,
        session_scope,
    )
    from parklink.store.io import count_rows

    with user_errors():
        console.print(f"{bi('数据库', 'database')}: {redact(database_url(database))}")
        rev = current_revision(database)
        console.print(f"revision: {rev or '—'} (head {head_revision()})")
        if rev:
            with session_scope(database) as s:
                counts = count_rows(s)
            console.print(frame_table(pd.DataFrame({"kind": list(counts), "rows": list(counts.values())}), bi("行数", "Rows")))


@db_app.command("backup")
def db_backup(
    file: Annotated[Path, typer.Argument(help="Zip file to write (备份文件).")],
    database: DatabaseOpt = None,
    firms: Annotated[bool, typer.Option("--firms/--no-firms", help="Include the firm-level Parquet files.")] = True,
) -> None:
    """Back up the whole database (and firm data) to a zip file (备份), losslessly."""
    from parklink.store.backup import backup

    with user_errors():
        report = backup(file, url=database, firm_root=get_settings().firm_dir if firms else None)
        console.print(f"[green]✓[/] {bi('已备份', 'backed up')} {sum(report.rows.values())} rows, "
                      f"{report.firm_files} firm files → {report.path}")


@db_app.command("restore")
def db_restore(
    file: Annotated[Path, typer.Argument(help="Backup zip file (备份文件) written by 'db backup'.")],
    database: DatabaseOpt = None,
    firms: Annotated[bool, typer.Option("--firms/--no-firms", help="Also restore the firm-level Parquet files.")] = True,
) -> None:
    """Replace the database content with a backup (恢复); all or nothing."""
    from parklink.store.backup import restore

    with user_errors():
        report = restore(file, url=database, firm_root=get_settings().firm_dir if firms else None)
        console.print(f"[green]✓[/] {bi('已恢复', 'restored')} {sum(report.rows.values())} rows, "
                      f"{report.firm_files} firm files from {report.path}")


@app.command("plan")
def plan_cmd(
    database: DatabaseOpt = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder for plan.json and plan.html.")] = Path("out"),
    lang: Annotated[str, typer.Option("--lang", help="Primary language of the report: zh or en (both are always shown).")] = "zh",
    full: Annotated[bool, typer.Option("--full", help="Print every table of every section (默认只显示摘要 default: the headline tables).")] = False,
) -> None:
    """Run the main job: programme status vs targets (示范园区进度), analyses, plan.json + plan.html."""
    from parklink.plan import build_plan, write_plan
    from parklink.store.db import is_initialised
    from parklink.store.seed import has_data

    with user_errors():
        if lang not in ("zh", "en"):
            raise typer.BadParameter("--lang must be zh or en")
        settings = get_settings()
        if not is_initialised(database) or not has_data(database):
            from parklink.errors import ParklinkError

            raise ParklinkError(
                "the database is empty (数据库为空); run 'parklink db init' first (make plan does it)"
            )
        with console.status(bi("正在计算规划…", "computing the plan…")):
            plan = build_plan(database, firm_root=settings.firm_dir)
        for section in plan.sections:
            head = f"{section.title_zh} {section.title_en}" if lang == "zh" else f"{section.title_en} {section.title_zh}"
            console.rule(f"[bold]{head}" + (" [yellow](含合成数据 synthetic)" if section.synthetic else ""))
            shown = section.tables if full else section.tables[: HEADLINE_TABLES.get(section.key, 1)]
            for tb in shown:
                title = f"{tb.title_zh} {tb.title_en}" if lang == "zh" else f"{tb.title_en} {tb.title_zh}"
                frame = tb.frame if full else tb.frame.iloc[:, :8]
                console.print(frame_table(frame, title, max_rows=25 if full else 12, lang=lang))
                if tb.note:
                    console.print(f"[dim]{tb.note}[/]")
            hidden = len(section.tables) - len(shown)
            if hidden:
                console.print(f"[dim]… {hidden} {bi('个表格见 plan.html', 'more tables in plan.html')} (--full)[/]")
            for note in section.notes:
                console.print(f"[dim]{note}[/]")
        for w in plan.warnings:
            err_console.print(f"[yellow]{w}[/]")
        json_path, html_path = write_plan(plan, out, lang=lang)  # type: ignore[arg-type]
        console.print(f"[green]✓[/] {bi('已写出', 'wrote')} {json_path} , {html_path}")


def _register_domains() -> None:
    for module_name in DOMAIN_CLIS:
        module = importlib.import_module(module_name)
        module.register(app)


_register_domains()


def main() -> None:
    """Console entry point: run the app; an unexpected error is logged, not dumped on the user."""
    if "--wide" in sys.argv[2:]:  # `parklink evaluate --wide` as well as `parklink --wide evaluate`
        from parklink.console import set_wide

        sys.argv.remove("--wide")
        set_wide()
    try:
        app()
    except SystemExit:
        raise
    except Exception as exc:  # a bug, not a user error
        log = get_settings().data_dir / "error.log"
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            log.write_text(traceback.format_exc(), encoding="utf-8")
        except OSError:
            log = Path("(not written)")
        err_console.print(
            f"[bold red]内部错误 Internal error:[/] {type(exc).__name__}: {exc}\n"
            f"details in {log}; please report it."
        )
        sys.exit(2)
