"""Shared terminal output helpers for the CLI: one rich console, bilingual labels, clean errors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd
import typer
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from parklink.errors import ParklinkError, ValidationError

console = Console()
err_console = Console(stderr=True)
if os.environ.get("PARKLINK_WIDE", "") in ("1", "true", "yes"):
    console.width = max(console.width, 400)


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


#: ``--wide``: the unconstrained layout (every column at its natural width; the terminal
#: wraps long lines). Set by the root option or ``PARKLINK_WIDE=1``.
WIDE_WIDTH = 400
MIN_TEXT_WIDTH = 8
#: Below this width the bilingual name column shows one language (the full names: --wide / --json).
NAME_MIN_WIDTH = 24


def set_wide(wide: bool = True) -> None:
    """Switch the CLI to the wide layout: tables and rules are laid out for WIDE_WIDTH columns."""
    if wide:
        console.width = max(console.width, WIDE_WIDTH)


def is_wide() -> bool:
    """True in the wide layout (``--wide`` or ``PARKLINK_WIDE=1``)."""
    return console.width >= WIDE_WIDTH or os.environ.get("PARKLINK_WIDE", "") in ("1", "true", "yes")


def _words_width(text: str) -> int:
    """Width of the longest word (space-separated) of ``text`` in terminal cells."""
    return max((cell_len(w) for line in text.splitlines() for w in line.split()), default=0)


def _lines_width(text: str) -> int:
    return max((cell_len(line) for line in text.splitlines()), default=0)


def plan_widths(headers: list[str], cells: list[list[str]], numeric: list[bool], width: int
                ) -> tuple[list[int], list[int]]:
    """Column widths for a table of ``width`` terminal cells (3 cells of padding/separator per
    column, no outer edge) and the indexes of the columns kept.

    Numeric columns get the width of their widest value (never less: numbers are not cut;
    their heading may fold at 8 cells); text columns at least ``MIN_TEXT_WIDTH`` (or their
    natural width when narrower) and wrap beyond. When even that does not fit, columns are
    dropped from the right — text columns before numeric ones — keeping the first two (the id
    and the name). The space left is
    water-filled over the text columns: each grows one cell at a time until it reaches its
    natural width or the space runs out, so short columns are whole and long ones share."""
    n = len(headers)
    need: list[int] = []
    natural: list[int] = []
    for j in range(n):
        longest = max((_lines_width(row[j]) for row in cells), default=0)
        head = _words_width(headers[j])
        if numeric[j]:
            need.append(max(longest, min(head, 8), 1))
            natural.append(need[-1])
        else:
            nat = max(longest, head, 1)
            natural.append(nat)
            need.append(min(nat, MIN_TEXT_WIDTH))
    keep = list(range(n))

    def overhead(k: int) -> int:
        return 3 * max(k - 1, 0)

    while len(keep) > 2 and sum(need[j] for j in keep) + overhead(len(keep)) > width:
        text = [j for j in keep[2:] if not numeric[j]]
        keep.remove(text[-1] if text else keep[-1])  # text columns go before numbers
    widths = {j: need[j] for j in keep}
    spare = width - overhead(len(keep)) - sum(widths.values())
    growing = [j for j in keep if not numeric[j] and widths[j] < natural[j]]
    while spare > 0 and growing:
        for j in list(growing):
            if spare <= 0:
                break
            widths[j] += 1
            spare -= 1
            if widths[j] >= natural[j]:
                growing.remove(j)
    return [widths[j] for j in keep], keep


def frame_table(frame: pd.DataFrame, title: str, *, max_rows: int = 50, lang: str = "zh",
                width: int | None = None) -> Table:
    """A rich table of the first ``max_rows`` rows of ``frame`` (bilingual names in one column)
    laid out for the console width (or ``width``): numbers are never cut, text wraps; columns
    that do not fit at all are named in the caption (``--wide`` or ``--json`` shows them)."""
    avail = width if width is not None else console.width
    wide = is_wide() and width is None
    short_names = False
    if (not wide and {"name_zh", "name_en"} <= set(frame.columns)
            and _name_width(merge_names(frame, lang=lang).head(max_rows), avail) < NAME_MIN_WIDTH):
        # too narrow for both names: the chosen language only
        frame = frame.drop(columns=["name_en" if lang == "zh" else "name_zh"])
        frame = frame.rename(columns={"name_zh": "名称 name", "name_en": "名称 name"})
        short_names = True
    frame = merge_names(frame, lang=lang)
    frame = frame.apply(lambda col: col.str.replace(";", "; ", regex=False)
                        if col.dtype == object or pd.api.types.is_string_dtype(col) else col)
    cols = [str(c) for c in frame.columns]
    headers, cells, numeric = _cells(frame.head(max_rows))
    notes = []
    if len(frame) > max_rows:
        notes.append(f"{max_rows} / {len(frame)} rows shown")
    if short_names:
        notes.append(bi("只显示中文名称", "names in one language") + " (--wide / --json: "
                     + bi("完整双语名称", "full bilingual names") + ")")
    if wide:
        table = Table(title=title, title_justify="left", show_lines=False)
        for head, num in zip(headers, numeric, strict=True):
            table.add_column(head, justify="right" if num else "left", no_wrap=num)
        for row in cells:
            table.add_row(*row)
    else:
        widths, keep = plan_widths(headers, cells, numeric, avail)
        table = Table(title=title, title_justify="left", show_lines=False, box=box.SIMPLE_HEAD, pad_edge=False,
                      show_edge=False, collapse_padding=False)
        for j, w in zip(keep, widths, strict=True):
            # numeric columns are as wide as their widest value: values never wrap, headers may
            table.add_column(headers[j], justify="right" if numeric[j] else "left", width=w, overflow="fold")
        for row in cells:
            table.add_row(*[row[j] for j in keep])
        hidden = [headers[j] for j in range(len(cols)) if j not in keep]
        if hidden:
            notes.append(f"{len(hidden)} {bi('列未显示', 'columns not shown')}: {', '.join(hidden)} (--wide / --json)")
    if notes:
        table.caption = " · ".join(notes)
        table.caption_justify = "left"
    return table


def _cells(frame: pd.DataFrame) -> tuple[list[str], list[list[str]], list[bool]]:
    headers = [COLUMN_LABELS.get(str(c), str(c)) for c in frame.columns]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
               for c in frame.columns]
    return headers, [[_fmt(v) for v in row] for row in frame.itertuples(index=False)], numeric


def _name_width(frame: pd.DataFrame, width: int) -> int:
    """The width the bilingual name column would get at ``width`` (0 when it would be dropped)."""
    headers, cells, numeric = _cells(frame)
    widths, keep = plan_widths(headers, cells, numeric, width)
    j = list(frame.columns).index("名称 name")
    return widths[keep.index(j)] if j in keep else 0


def _fmt(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "—"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 1e6 else f"{value:,.0f}"
    return escape(str(value))
