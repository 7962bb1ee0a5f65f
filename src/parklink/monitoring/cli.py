"""``parklink monitoring ...`` (监测指标): indicator registry, series import/export, per-mu evaluation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from parklink.errors import ParklinkError, ValidationError

_out = Console()
_err = Console(stderr=True)
DatabaseOpt = Annotated[str | None, typer.Option(
    "--database", "-d", help="数据库 SQLAlchemy URL (default: PARKLINK_DATABASE_URL)")]


def _fail(message: str) -> None:
    _err.print(f"[bold red]错误 Error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(1)


def _benchmarks(items: list[str]) -> dict[str, float] | None:
    out: dict[str, float] = {}
    for item in items:
        term, sep, value = item.partition("=")
        try:
            out[term.strip()] = float(value)
        except ValueError:
            raise ParklinkError(f"--benchmark {item!r}: expected TERM=NUMBER, e.g. tax_per_mu=24.097 "
                                "(基准值格式：指标=数值)") from None
        if not sep:
            raise ParklinkError(f"--benchmark {item!r}: expected TERM=NUMBER (基准值格式：指标=数值)")
    return out or None


def register(app: typer.Typer) -> None:
    """Add the ``monitoring`` command group to ``app``."""
    mon = typer.Typer(help="监测指标 Monitoring indicators: registry, per-park series, per-mu evaluation (亩均论英雄).",
                      no_args_is_help=True)
    app.add_typer(mon, name="monitoring")

    @mon.command("indicators", help="指标清单 List the indicator registry (the embedded default definitions "
                                    "when none are stored; `monitoring load-defaults` stores them).")
    def indicators_cmd(database: DatabaseOpt = None) -> None:
        from parklink.inputs import read_inputs
        from parklink.monitoring.defaults import default_indicators
        from parklink.vocab import MONITORING_FREQUENCY_NAMES, label

        try:
            frame = read_inputs(database).frame("monitoring_indicators")
        except ParklinkError as exc:
            _fail(str(exc))
            return
        origin = "registry 登记"
        if frame.empty:
            frame, origin = default_indicators(), "embedded defaults, not stored 内置默认（未入库）"
        table = Table(title=f"监测指标 Monitoring indicators — {origin}", title_justify="left")
        for col in ("指标 id", "名称 name", "单位 unit", "频率 frequency", "可信度 confidence"):
            table.add_column(col, overflow="fold")
        for r in frame.sort_values("indicator_id").itertuples():
            table.add_row(str(r.indicator_id), f"{r.name_zh} {r.name_en}", str(r.unit),
                          label(MONITORING_FREQUENCY_NAMES, str(r.frequency)), str(r.confidence))
        _out.print(table)

    @mon.command("load-defaults", help="载入默认指标 Store the embedded default indicator definitions "
                                       "(upsert through the generic import: preview, history).")
    def load_defaults_cmd(database: DatabaseOpt = None,
                          dry_run: Annotated[bool, typer.Option("--dry-run", help="预览 write nothing")] = False) -> None:
        from parklink.ingest.api import import_file
        from parklink.monitoring.defaults import DEFAULTS_FILE

        try:
            report = import_file("monitoring_indicators", DEFAULTS_FILE, session_url=database, mode="upsert",
                                 dry_run=dry_run)
        except ValidationError as exc:
            _fail(exc.summary())
            return
        except (ParklinkError, OSError) as exc:
            _fail(str(exc))
            return
        p = report.preview
        done = "试运行 dry run" if report.dry_run else "已载入 stored"
        _out.print(f"[green]✓[/] {done}: {report.rows} indicators"
                   + (f" ({len(p.added)} added, {len(p.changed)} changed, {p.unchanged} unchanged)" if p else ""),
                   highlight=False)

    @mon.command("import", help="导入序列 Import per-park series (indicator_values: value_id = "
                                "park_id:indicator_id:period) with the generic import: whole-file check "
                                "with row-level errors, change preview, upsert by default, history.")
    def import_cmd(
        file: Annotated[Path, typer.Argument(help="文件 .csv / .xlsx / .parquet")],
        mode: Annotated[str, typer.Option("--mode", help="append | upsert | replace")] = "upsert",
        dry_run: Annotated[bool, typer.Option("--dry-run", help="预览 write nothing")] = False,
        database: DatabaseOpt = None,
    ) -> None:
        from parklink.ingest.api import import_file

        if mode not in ("append", "upsert", "replace"):
            _fail(f"--mode {mode!r}: expected append, upsert or replace")
        try:
            report = import_file("indicator_values", file, session_url=database, mode=mode,  # type: ignore[arg-type]
                                 dry_run=dry_run)
        except ValidationError as exc:
            _fail(exc.summary())
            return
        except (ParklinkError, OSError) as exc:
            _fail(str(exc))
            return
        p = report.preview
        done = "试运行 dry run, nothing written" if report.dry_run else "已导入 imported"
        _out.print(f"[green]✓[/] {done}: {report.rows} values"
                   + (f" ({len(p.added)} added, {len(p.changed)} changed, {p.unchanged} unchanged)" if p else ""),
                   highlight=False)

    @mon.command("export", help="导出序列 Export the per-park series (indicator_values) to .csv / .xlsx / .parquet.")
    def export_cmd(file: Annotated[Path, typer.Argument(help="文件 output file")], database: DatabaseOpt = None) -> None:
        from parklink.ingest.api import export_file

        try:
            n = export_file("indicator_values", file, session_url=database)
        except (ParklinkError, OSError) as exc:
            _fail(str(exc))
            return
        _out.print(f"[green]✓[/] 已导出 exported {n} values → {escape(str(file))}", highlight=False)

    @mon.command("permu", help="亩均评价 Per-mu evaluation: the Zhejiang composite (tax/mu ×30, VA/mu ×20, "
                               "VA/energy ×20, VA/emissions ×10, VA/employee ×10, R&D share ×10, each over its "
                               "benchmark) and the Sichuan bands (A ≤ 30 %, C ≥ 10 %). docs/monitoring.md.")
    def permu_cmd(
        period: Annotated[str | None, typer.Option("--period", help="期间 e.g. 2024 (default: latest)")] = None,
        benchmark: Annotated[list[str] | None, typer.Option(
            "--benchmark", help="基准 TERM=VALUE, repeatable (default: mean of the rated parks)")] = None,
        rows: Annotated[int, typer.Option("--rows", min=0, help="显示行数 rows shown")] = 30,
        json_out: Annotated[Path | None, typer.Option("--json", help="JSON 输出文件 write the result")] = None,
        database: DatabaseOpt = None,
    ) -> None:
        from parklink.inputs import read_inputs
        from parklink.monitoring.permu import PerMuConfig, per_mu
        from parklink.vocab import PERMU_BAND_NAMES, label

        try:
            values = read_inputs(database).frame("indicator_values")
            result = per_mu(values, PerMuConfig(period=period, benchmarks=_benchmarks(benchmark or [])))
        except ParklinkError as exc:
            _fail(str(exc))
            return
        frame = result.to_frame()
        s = result.summary()
        table = Table(title=f"亩均评价 Per-mu evaluation {result.period}: "
                            + ", ".join(f"{label(PERMU_BAND_NAMES, b)} {n}" for b, n in s["bands"].items()),
                      title_justify="left")
        for col in ("排名 rank", "园区 park", "综合 score", "档 band", "插补 imputed / 原因 reason"):
            table.add_column(col, overflow="fold")
        for rec in frame.head(rows).to_dict("records"):
            rank, comp = rec["rank"], rec["composite"]
            table.add_row("" if pd.isna(rank) else str(int(rank)), str(rec["park_id"]),
                          "—" if pd.isna(comp) else f"{float(comp):.2f}",
                          label(PERMU_BAND_NAMES, str(rec["band"])), str(rec["imputed"] or rec["reason"] or ""))
        _out.print(table)
        for note in result.notes:
            _out.print(f"[dim]{escape(note)}[/]", highlight=False)
        if json_out is not None:
            doc = {"summary": s, "benchmarks": result.benchmarks,
                   "parks": json.loads(frame.to_json(orient="records", force_ascii=False)),
                   "terms": json.loads(result.explain()["terms"].to_json(orient="records", force_ascii=False))}
            json_out.write_text(json.dumps(doc, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
