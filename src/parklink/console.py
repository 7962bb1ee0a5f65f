"""Shared terminal output helpers for the CLI: one rich console, bilingual labels, clean errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import typer
from rich.console import Console
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


def frame_table(frame: pd.DataFrame, title: str, *, max_rows: int = 50) -> Table:
    """A rich table of the first ``max_rows`` rows of ``frame``."""
    table = Table(title=title, title_justify="left", show_lines=False)
    for col in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[col])
        table.add_column(str(col), justify="right" if numeric else "left")
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
    return str(value)
