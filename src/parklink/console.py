"""Shared terminal output helpers for the CLI: one rich console, bilingual labels, clean errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from parklink.errors import ParklinkError, ValidationError

console = Console()
err_console = Console(stderr=True)


def bi(zh: str, en: str) -> str:
    """A bilingual label, Chinese first: ``"中文 English"``."""
    return f"{zh} {en}"


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn parklink errors into a clear message and exit code 1 (no traceback)."""
    try:
        yield
    except ValidationError as exc:
        err_console.print(f"[bold red]错误 Error:[/] {exc.summary()}", highlight=False)
        raise typer.Exit(1) from None
    except ParklinkError as exc:
        err_console.print(f"[bold red]错误 Error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None


#: Short bilingual column headings for CLI tables (JSON keeps the plain column names).
COLUMN_LABELS: dict[str, str] = {
    "year": "年 year",
    "target_parks": "目标 target",
    "designated_parks": "已认定 designated",
    "named_parks": "具名 named",
    "unnamed_parks": "未具名 unnamed",
    "designations": "认定单元 units",
    "gap_parks": "缺口 gap",
    "met": "达标 met",
    "candidate_parks": "园区 parks",
    "parks": "园区 parks",
    "kind": "类型 kind",
    "count": "数量 count",
    "rows": "行 rows",
    "province": "省 prov.",
    "synthetic": "合成 synth.",
}


def merge_names(frame: pd.DataFrame, *, lang: str = "zh") -> pd.DataFrame:
    """Fold ``name_zh``/``name_en`` into one bilingual ``name`` column (chosen language first)."""
    if not {"name_zh", "name_en"} <= set(frame.columns):
        return frame
    first, second = ("name_zh", "name_en") if lang == "zh" else ("name_en", "name_zh")
    merged = frame[first].astype("string").fillna("") + "\n" + frame[second].astype("string").fillna("")
    out = frame.drop(columns=["name_zh", "name_en"])
    out.insert(min(1, len(out.columns)), "名称 name", merged.str.strip())
    return out


def frame_table(frame: pd.DataFrame, title: str, *, max_rows: int = 50, lang: str = "zh") -> Table:
    """A rich table of the first ``max_rows`` rows of ``frame`` (bilingual names in one column)."""
    frame = merge_names(frame, lang=lang)
    table = Table(title=title, title_justify="left", show_lines=False)
    for col in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[col])
        table.add_column(COLUMN_LABELS.get(str(col), str(col)), justify="right" if numeric else "left")
    for row in frame.head(max_rows).itertuples(index=False):
        table.add_row(*[_fmt(v) for v in row])
    if len(frame) > max_rows:
        table.caption = f"{max_rows} / {len(frame)} rows shown"
    return table


def _fmt(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "—"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:,.0f}"
    return escape(str(value))
