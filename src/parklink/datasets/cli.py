"""``parklink generate``: write a seeded synthetic firm-level dataset (合成企业与交易数据)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from parklink.console import bi, console, frame_table, user_errors
from parklink.errors import ValidationError

__all__ = ["parse_years", "register"]


def parse_years(text: str) -> tuple[int, ...]:
    """Years from ``"2021,2022,2023"`` or a range ``"2021-2023"``; ValidationError otherwise."""
    items: list[int] = []
    try:
        for part in (p.strip() for p in text.split(",") if p.strip()):
            if "-" in part:
                lo, hi = (int(x) for x in part.split("-", 1))
                items.extend(range(lo, hi + 1))
            else:
                items.append(int(part))
    except ValueError:
        raise ValidationError.single("--years", "expected years like 2021,2022,2023 or 2021-2023",
                                     column="years", value=text) from None
    if not items:
        raise ValidationError.single("--years", "no year given", column="years", value=text)
    return tuple(items)


def register(app: typer.Typer) -> None:
    """Add the ``generate`` command to the parklink Typer app."""

    @app.command("generate")
    def generate(
        firms: Annotated[int, typer.Option("--firms", "-n", help="企业数 number of firms (incl. real leading enterprises 链主).")] = 20_000,
        transactions: Annotated[int, typer.Option("--transactions", "-t", help="交易数 target number of supplier→buyer transactions (供应链交易) over all years.")] = 500_000,
        seed: Annotated[int | None, typer.Option("--seed", "-s", help="随机种子 seed (default: PARKLINK_SEED).")] = None,
        years: Annotated[str, typer.Option("--years", help="年份 years, e.g. 2021,2022,2023 or 2021-2023.")] = "2021,2022,2023",
        out: Annotated[Path | None, typer.Option("--out", "-o", help="输出目录 output directory (default: the firm dataset dir in PARKLINK_DATA_DIR).")] = None,
        chunk_rows: Annotated[int, typer.Option("--chunk-rows", help="每个 Parquet 分片的行数 rows per Parquet part.")] = 2_000_000,
        overwrite: Annotated[bool, typer.Option("--overwrite", help="覆盖 replace an existing non-empty output directory.")] = False,
        progress: Annotated[bool, typer.Option("--progress/--no-progress", help="进度条 show a progress bar.")] = True,
    ) -> None:
        """Generate a synthetic firm population and transactions (合成企业与交易; labelled synthetic).

        Firms are placed in Sichuan/Chongqing districts and parks (园区) plus an out-of-region
        pool; the real leading enterprises (链主) of the embedded dataset are included as chain
        leaders. Writes OUT/firms.parquet and OUT/transactions/part-*.parquet, all or nothing.
        """
        from parklink.datasets.synthetic import write_dataset
        from parklink.settings import get_settings

        with user_errors():
            settings = get_settings()
            root = out if out is not None else settings.firm_dir
            report = write_dataset(
                root,
                n_firms=firms,
                n_transactions=transactions,
                seed=settings.seed if seed is None else seed,
                years=parse_years(years),
                chunk_rows=chunk_rows,
                progress=progress,
                overwrite=overwrite,
            )
            console.print(frame_table(report.to_frame(), bi("合成数据集", "Synthetic dataset")))
            cal = report.calibration[["statistic", "name_zh", "name_en", "value", "target", "low", "high",
                                      "within_tolerance"]]
            console.print(frame_table(cal, bi("校准统计", "Calibration statistics"), max_rows=30))
            console.print(f"[green]✓[/] {bi('已写出合成数据', 'wrote synthetic data')} → {report.root}")
