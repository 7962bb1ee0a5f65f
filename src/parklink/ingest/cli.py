"""``parklink import`` / ``parklink export`` (导入 / 导出) commands."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from parklink.errors import ParklinkError, ValidationError
from parklink.ingest.changes import ChangePreview
from parklink.tables import SCHEMAS

__all__ = ["print_preview", "register"]

_out = Console()
_err = Console(stderr=True)
_KINDS = ", ".join(SCHEMAS)


class ImportMode(StrEnum):
    """How imported rows meet the stored ones."""

    APPEND = "append"
    UPSERT = "upsert"
    REPLACE = "replace"


def _cell(value: str | None, width: int = 40) -> str:
    if value is None:
        return "[dim]∅[/]"
    text = value if len(value) <= width else value[: width - 1] + "…"
    return escape(text)


def print_preview(console: Console, preview: ChangePreview, *, limit: int = 50) -> None:
    """Print a change preview: counts, then each changed field (old → new), added and removed
    keys (at most ``limit`` lines each); readable at 80 columns."""
    removed_label = ("删除 removed" if preview.removes else
                     "将被替换模式删除 not in file (removed by --mode replace)")
    counts = Table(show_header=False, box=None, pad_edge=False)
    counts.add_column(justify="left")
    counts.add_column(justify="right")
    counts.add_row("新增 added", str(len(preview.added)))
    counts.add_row("修改 changed", str(len(preview.changed)))
    counts.add_row("未变 unchanged", str(preview.unchanged))
    counts.add_row(removed_label, str(len(preview.removed)))
    console.print(f"[bold]变更预览 Change preview[/] — {escape(preview.kind)} ← {escape(preview.file)} "
                  f"(mode {preview.mode})", highlight=False)
    console.print(counts)
    if preview.changed:
        detail = Table(title="修改 Changed fields", title_justify="left", expand=False)
        detail.add_column("记录 key", overflow="fold", max_width=20)
        detail.add_column("字段 field", overflow="fold", max_width=16)
        detail.add_column("原值 old", overflow="fold", max_width=20)
        detail.add_column("新值 new", overflow="fold", max_width=20)
        shown = 0
        total = sum(len(c.changes) for c in preview.changed)
        for change in preview.changed:
            for fc in change.changes:
                if shown >= limit:
                    break
                detail.add_row(escape(change.key), escape(fc.field), _cell(fc.old), _cell(fc.new))
                shown += 1
        console.print(detail)
        if total > shown:
            console.print(f"  … {total - shown} more changed fields (另有 {total - shown} 项)", highlight=False)
    for label, keys in (("新增 added", preview.added), (removed_label, preview.removed)):
        if keys:
            listed = ", ".join(keys[:limit])
            more = f" … (+{len(keys) - limit})" if len(keys) > limit else ""
            console.print(f"{label}: {escape(listed)}{more}", highlight=False)
    for warning in preview.warnings[:limit]:
        console.print(f"[yellow]注意 Note:[/] {escape(warning)}", highlight=False)


def _fail(message: str) -> None:
    _err.print(f"[bold red]错误 Error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the ``import`` and ``export`` commands to ``app``."""

    @app.command(
        "import",
        help=(
            "导入 Import a table from CSV (UTF-8 / UTF-8-BOM / GBK), XLSX, Parquet or GeoJSON. "
            "The whole file is checked first; if any row is wrong nothing is written and every "
            "problem is listed (file, row, column, reason). Then a change preview is printed "
            "(rows added, changed field by field, unchanged, and stored rows the file lacks) and "
            "applied in one transaction, each change recorded in the history. Modes: append "
            "(new rows; identical rows are skipped, changed ones refused), upsert (add and "
            "update), replace (also delete stored rows missing from the file; refused while "
            "other records refer to them). --dry-run shows the preview and writes nothing. "
            "Transactions are Parquet files, not database rows: append or replace only, no "
            f"preview, no --dry-run, no history. 表类型 KIND: {_KINDS}."
        ),
    )
    def import_cmd(
        kind: Annotated[str, typer.Argument(help=f"表类型 kind of table: {_KINDS}")],
        file: Annotated[Path, typer.Argument(help="文件 file (.csv, .xlsx, .parquet, .geojson)")],
        mode: Annotated[ImportMode, typer.Option(
            "--mode", help="追加 append new rows; 更新 upsert: add and update; 替换 replace: "
            "also delete stored rows missing from the file")
        ] = ImportMode.APPEND,
        dry_run: Annotated[bool, typer.Option(
            "--dry-run", help="预览 show the change preview, write nothing")] = False,
        show: Annotated[int, typer.Option(
            "--show", min=0, help="预览行数 changed fields / keys listed in the preview")] = 50,
        sheet: Annotated[str | None, typer.Option(
            "--sheet", help="工作表 Excel sheet name (default: the first sheet)")] = None,
        errors: Annotated[Path | None, typer.Option(
            "--errors", help="问题清单 write every problem to this CSV file")] = None,
        database: Annotated[str | None, typer.Option(
            "--database", "-d", help="数据库 SQLAlchemy URL (default: PARKLINK_DATABASE_URL)")
        ] = None,
        firm_root: Annotated[Path | None, typer.Option(
            "--firm-root", help="企业数据目录 firm dataset folder for transactions "
            "(default: <data dir>/firms)")] = None,
    ) -> None:
        from parklink.ingest.api import import_file, write_problems

        try:
            report = import_file(kind, file, session_url=database, mode=mode.value,
                                 sheet=sheet, firm_root=firm_root, dry_run=dry_run)
        except ValidationError as exc:
            if errors is not None:
                try:
                    n = write_problems(exc.problems, errors)
                    _err.print(f"问题清单 problems list ({n}) → {escape(str(errors))}")
                except OSError as oe:
                    _err.print(f"cannot write {escape(str(errors))}: {escape(str(oe))}")
            _fail(exc.summary())
            return
        except (ParklinkError, OSError) as exc:
            _fail(str(exc))
            return
        except SQLAlchemyError as exc:
            _fail(f"database error (数据库错误); nothing was written: {exc}")
            return
        if report.preview is not None:
            print_preview(_out, report.preview, limit=show)
        if report.dry_run:
            _out.print("[cyan]试运行 Dry run:[/] nothing was written (未写入任何数据)", highlight=False)
            return
        if report.preview is not None:
            p = report.preview
            _out.print(
                f"[green]✓[/] 已导入 imported {report.rows} rows of {report.kind} from "
                f"{escape(report.file)} ({len(p.added)} added, {len(p.changed)} changed, "
                f"{p.unchanged} unchanged" + (f", {len(p.removed)} removed" if p.removes else "")
                + f"); {p.history} history entries (历史记录) in {report.seconds:.2f} s",
                highlight=False,
            )
            return
        rate = report.rows / report.seconds if report.seconds > 0 else float("inf")
        _out.print(
            f"[green]✓[/] 已导入 imported {report.rows} rows of {report.kind} from "
            f"{escape(report.file)} in {report.seconds:.2f} s ({rate:,.0f} rows/s)",
            highlight=False,
        )

    @app.command(
        "export",
        help=(
            "导出 Export a stored table to .csv (UTF-8 with BOM, opens in Excel), .xlsx, "
            f".parquet or .geojson (kinds with geometry). 表类型 KIND: {_KINDS}."
        ),
    )
    def export_cmd(
        kind: Annotated[str, typer.Argument(help=f"表类型 kind of table: {_KINDS}")],
        file: Annotated[Path, typer.Argument(help="文件 output file; format from the extension")],
        database: Annotated[str | None, typer.Option(
            "--database", "-d", help="数据库 SQLAlchemy URL (default: PARKLINK_DATABASE_URL)")
        ] = None,
        firm_root: Annotated[Path | None, typer.Option(
            "--firm-root", help="企业数据目录 firm dataset folder for transactions")] = None,
    ) -> None:
        from parklink.ingest.api import export_file

        try:
            n = export_file(kind, file, session_url=database, firm_root=firm_root)
        except (ParklinkError, OSError) as exc:
            _fail(str(exc))
            return
        except SQLAlchemyError as exc:
            _fail(f"database error (数据库错误): {exc}")
            return
        _out.print(f"[green]✓[/] 已导出 exported {n} rows of {kind} → {escape(str(file))}",
                   highlight=False)
