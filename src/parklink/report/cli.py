"""``parklink report KIND``: bulletins and briefs as PDF (Typst), Excel or HTML files.

``report bulletin --period 2025Q3``, ``report park ID``, ``report parks`` (every park's
brief into a folder), ``report designation ID``, ``report next-batch``; each with
``--format pdf|xlsx|html`` (default: from the ``--out`` suffix, else pdf), ``--out`` and
``--database``. Progress goes to stderr; the file name and the fingerprint to stdout.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from parklink.console import bi, console, err_console, user_errors

__all__ = ["register"]

FormatOpt = Annotated[str | None, typer.Option("--format", "-f", help="格式 pdf | xlsx | html (default: --out suffix, else pdf)")]
OutOpt = Annotated[Path | None, typer.Option("--out", "-o", help="输出文件 output file (default: ./<kind>-<id>.<format>)")]
DbOpt = Annotated[str | None, typer.Option("--database", "-d", help="数据库 SQLAlchemy URL")]


def _format(fmt: str | None, out: Path | None) -> str:
    from parklink.report.render import check_format

    if fmt is None:
        suffix = out.suffix.lower().lstrip(".") if out is not None else ""
        fmt = suffix if suffix in ("pdf", "xlsx", "html") else "pdf"
    return check_format(fmt.lower())


def _run(kind: str, target: str, fmt: str | None, out: Path | None, database: str | None, default_name: str) -> None:
    from parklink.report.data import read_report_inputs
    from parklink.report.render import build_document, render, write

    with user_errors():
        f = _format(fmt, out)
        start = time.perf_counter()
        with err_console.status(bi("读取数据", "reading the registry")) as status:
            ri = read_report_inputs(database)

            def step(name: str) -> None:
                status.update(f"{bi('计算', 'computing')} {name} ({time.perf_counter() - start:.1f} s)")

            step(kind)
            doc = build_document(ri, kind, target, progress=step)
            status.update(bi("排版", "typesetting") + f" {f}")
            data = render(doc, f)
        path = write(data, out if out is not None else Path(f"{default_name}.{f}"))
        console.print(f"[green]✓[/] {bi('已写出', 'wrote')} {path} ({len(data):,} bytes, "
                      f"{time.perf_counter() - start:.1f} s) · {bi('指纹', 'fingerprint')} {doc.fingerprint} · "
                      f"{ri.inputs.note}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the ``report`` command group."""
    group = typer.Typer(help="报告 Reports: programme bulletin, park and designation briefs, next-batch brief "
                             "(PDF via Typst, Excel, HTML).", no_args_is_help=True)
    app.add_typer(group, name="report")

    @group.command("bulletin")
    def bulletin(
        period: Annotated[str, typer.Option("--period", "-p", help="报告期 2025 | 2025Q3 | 2025-09")],
        fmt: FormatOpt = None, out: OutOpt = None, database: DbOpt = None,
    ) -> None:
        """项目通报 Programme bulletin of a year, quarter or month: status vs targets, designations,
        chain trends, promotion KPIs, co-construction, map, executive summary."""
        _run("bulletin", period, fmt, out, database, f"bulletin-{period}")

    @group.command("park")
    def park(
        park_id: Annotated[str, typer.Argument(help="园区编号 park id (parklink export parks)")],
        fmt: FormatOpt = None, out: OutOpt = None, database: DbOpt = None,
    ) -> None:
        """园区简报 One-page brief of a park: profile, score and rank interval, gaps and targets,
        projects, accessibility, map inset."""
        _run("park", park_id, fmt, out, database, f"park-{park_id}")

    @group.command("designation")
    def designation(
        designation_id: Annotated[str, typer.Argument(help="示范单元编号 designation id")],
        fmt: FormatOpt = None, out: OutOpt = None, database: DbOpt = None,
    ) -> None:
        """示范单元简报 One-page brief of a designation (pair or group of parks)."""
        _run("designation", designation_id, fmt, out, database, f"designation-{designation_id}")

    @group.command("next-batch")
    def next_batch(
        year: Annotated[int, typer.Option("--year", help="批次年份 programme year of the batch")] = 2025,
        fmt: FormatOpt = None, out: OutOpt = None, database: DbOpt = None,
    ) -> None:
        """下一批方案简报 Brief of the proposed next batch (designate next, default rules)."""
        _run("next_batch", str(year), fmt, out, database, f"next-batch-{year}")

    @group.command("parks")
    def parks(
        out_dir: Annotated[Path, typer.Option("--out-dir", help="输出目录 folder for the briefs")] = Path("briefs"),
        fmt: Annotated[str, typer.Option("--format", "-f", help="格式 pdf | xlsx | html")] = "pdf",
        database: DbOpt = None,
    ) -> None:
        """全部园区简报 The brief of every park into a folder (one shared evaluation and diagnosis)."""
        from rich.progress import Progress

        from parklink.report.briefs import park_brief, prepare_parks
        from parklink.report.data import read_report_inputs
        from parklink.report.render import check_format, render, write

        with user_errors():
            f = check_format(fmt)
            start = time.perf_counter()
            with err_console.status(bi("读取数据并计算共享分析", "reading and computing the shared analyses")):
                ri = read_report_inputs(database)
                ids = [str(p) for p in ri.inputs.frame("parks")["park_id"]]
                prepare_parks(ri, ids)
            scopes = [f"park:{p}" for p in ids]
            with Progress(console=err_console, transient=True) as bar:
                task = bar.add_task(bi("园区简报", "park briefs"), total=len(ids))
                for pid in ids:
                    write(render(park_brief(ri, pid, shared_scopes=scopes), f), out_dir / f"park-{pid}.{f}")
                    bar.advance(task)
            console.print(f"[green]✓[/] {bi('已写出', 'wrote')} {len(ids)} → {out_dir} "
                          f"({time.perf_counter() - start:.1f} s) · {ri.inputs.note}", highlight=False)
