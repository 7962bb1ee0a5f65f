"""``parklink import`` / ``parklink export`` (导入 / 导出) commands."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError

from parklink.errors import ParklinkError, ValidationError
from parklink.tables import SCHEMAS

__all__ = ["register"]

_out = Console()
_err = Console(stderr=True)
_KINDS = ", ".join(SCHEMAS)


class ImportMode(StrEnum):
    """How imported rows meet the stored ones."""

    APPEND = "append"
    REPLACE = "replace"


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
            f"problem is listed (file, row, column, reason). 表类型 KIND: {_KINDS}."
        ),
    )
    def import_cmd(
        kind: Annotated[str, typer.Argument(help=f"表类型 kind of table: {_KINDS}")],
        file: Annotated[Path, typer.Argument(help="文件 file (.csv, .xlsx, .parquet, .geojson)")],
        mode: Annotated[ImportMode, typer.Option(
            "--mode", help="追加 append rows, or 替换 replace every stored row of the kind")
        ] = ImportMode.APPEND,
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
                                 sheet=sheet, firm_root=firm_root)
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
