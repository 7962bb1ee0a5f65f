"""``parklink import`` / ``parklink export`` (导入 / 导出) commands."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from parklink.errors import NotFoundError, ParklinkError, ValidationError
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


def history_kind(name: str) -> str:
    """The stored kind a user names, singular or plural (``park`` → ``parks``); ParklinkError
    listing the kinds otherwise."""
    from parklink.store.io import stored_kinds

    kinds = stored_kinds()
    for candidate in (name, name + "s", name.removesuffix("s") + "s"):
        if candidate in kinds:
            return candidate
    raise ParklinkError(f"unknown kind (未知表类型) {name!r}; expected one of {', '.join(kinds)}")


def _stored(session: Any, kind: str, key: str) -> bool:
    from parklink.store.io import KINDS
    from parklink.tables import schema

    keycol = schema(kind).key[0]
    if schema(kind).column(keycol).type == "int":
        if not key.isdigit():
            return False
        return session.get(KINDS[kind].model, int(key)) is not None
    return session.get(KINDS[kind].model, key) is not None


def print_history(console: Console, kind: str, key: str, items: list[dict[str, object]]) -> None:
    """Print the history of one record as a table (newest first), readable at 80 columns."""
    if not items:
        console.print(f"{escape(kind)} {escape(key)}: 没有变更记录 no recorded change", highlight=False)
        return
    table = Table(title=f"变更历史 History — {escape(kind)} {escape(key)}", title_justify="left")
    table.add_column("时间 when (UTC)", max_width=16, overflow="fold")
    table.add_column("修改人 who", max_width=14, overflow="fold")
    table.add_column("字段 field", max_width=14, overflow="fold")
    table.add_column("原值 → 新值 old → new", max_width=26, overflow="fold")
    table.add_column("来源 source", max_width=14, overflow="fold")
    for item in items:
        action = str(item["action"])
        field_ = str(item["field"]) if action == "update" else {"insert": "新建 created",
                                                                 "delete": "删除 deleted"}[action]
        change = (f"{_cell(item['old'] if item['old'] is None else str(item['old']), 12)} → "
                  f"{_cell(item['new'] if item['new'] is None else str(item['new']), 12)}"
                  if action == "update" else "")
        when = str(item["at"])[:16].replace("T", " ")
        who = f"{escape(str(item['actor']))}\n[dim]{escape(str(item['via']))}[/]"
        src = f"{_cell(None if item['source_url'] is None else str(item['source_url']), 30)}\n" \
              f"[dim]{escape(str(item['confidence'] or ''))}[/]"
        table.add_row(when, who, escape(field_), change, src)
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add the ``import``, ``export`` and ``history`` commands to ``app``."""

    @app.command(
        "history",
        help=("变更历史 Show the recorded changes of one record, newest first: when, who, through "
              "what (import file, API, web form), field, old → new value, and the source and "
              "confidence of the new value. KIND singular or plural (park, parks, ...)."),
    )
    def history_cmd(
        kind: Annotated[str, typer.Argument(help="表类型 kind: park, region, zone, designation, target, "
                                                 "transport_node, transport_link, chain_segment, enterprise")],
        key: Annotated[str, typer.Argument(help="记录编号 the record's key (park_id, adcode, ...)")],
        limit: Annotated[int, typer.Option("--limit", min=1, help="最多条数 newest entries")] = 200,
        as_json: Annotated[bool, typer.Option("--json", help="JSON 输出 print JSON")] = False,
        database: Annotated[str | None, typer.Option(
            "--database", "-d", help="数据库 SQLAlchemy URL (default: PARKLINK_DATABASE_URL)")
        ] = None,
    ) -> None:
        import json

        from parklink.ingest.api import _require_db
        from parklink.store import session_scope
        from parklink.store.history import read_history

        try:
            resolved = history_kind(kind)
            _require_db(database)
            with session_scope(database) as session:
                items = read_history(session, resolved, key, limit=limit)
                if not items and not _stored(session, resolved, key):
                    raise NotFoundError(f"{resolved} {key!r} not found and no history (未找到)")
        except ParklinkError as exc:
            _fail(str(exc))
            return
        except SQLAlchemyError as exc:
            _fail(f"database error (数据库错误): {exc}")
            return
        if as_json:
            typer.echo(json.dumps({"kind": resolved, "key": key, "items": items}, ensure_ascii=False, indent=1))
            return
        print_history(_out, resolved, key, items)

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
