"""The report document: a format-independent, bilingual list of blocks.

The content modules (:mod:`~parklink.report.bulletin`, :mod:`~parklink.report.briefs`,
:mod:`~parklink.report.nextbrief`) compute a :class:`Document` from the inputs bundle; the
renderers turn the same document into a PDF (:mod:`~parklink.report.pdf`, Typst), an Excel
workbook (:mod:`~parklink.report.xlsx`) or an HTML page (:mod:`~parklink.report.htmldoc`).
Every document carries the inputs fingerprint and the data source it was computed from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from parklink.report.charts import Chart

__all__ = ["Block", "Bullets", "Document", "Facts", "Figure", "Heading", "NoData", "Para", "Row", "Table", "cell_text",
           "flat_blocks"]


@dataclass(frozen=True)
class Heading:
    """A section heading (level 1) or sub-heading (level 2), both languages."""

    zh: str
    en: str
    level: int = 1


@dataclass(frozen=True)
class Para:
    """A paragraph: the Chinese text, then the English text."""

    zh: str
    en: str


@dataclass(frozen=True)
class Bullets:
    """Numbered statements, each in both languages (the executive summary's findings)."""

    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Facts:
    """Label–value pairs: ``(label_zh, label_en, value)``."""

    rows: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True)
class Table:
    """A table: key (Excel sheet), bilingual title, the frame and its display columns
    ``(column, header_zh, header_en)``; ``max_rows`` rows are printed (all go to Excel)."""

    key: str
    title_zh: str
    title_en: str
    frame: pd.DataFrame = field(repr=False)
    columns: tuple[tuple[str, str, str], ...]
    note: str = ""
    max_rows: int = 12
    max_chars: int = 0  # printed cells longer than this are cut with "…" (0 = never; Excel keeps all)

    def printed(self) -> list[list[str]]:
        """The printed rows: the first ``max_rows`` rows as cell texts (:func:`cell_text`)."""
        rows = []
        for rec in self.frame.head(self.max_rows).to_dict("records"):
            cells = [cell_text(rec.get(c), c) for c, _zh, _en in self.columns]
            if self.max_chars:
                cells = [c if len(c) <= self.max_chars else c[: self.max_chars - 1] + "…" for c in cells]
            rows.append(cells)
        return rows


@dataclass(frozen=True)
class Figure:
    """A chart (its data and its SVG) or a map (SVG only, ``chart`` None)."""

    key: str
    title_zh: str
    title_en: str
    svg: str = field(repr=False)
    chart: Chart | None = None
    width_cm: float = 16.0


@dataclass(frozen=True)
class NoData:
    """A section whose data is absent: "暂无数据 / no data" and why."""

    reason_zh: str
    reason_en: str


@dataclass(frozen=True)
class Row:
    """Blocks side by side (a one-page brief's profile beside its map inset); ``widths`` are
    relative column widths. Formats without columns (Excel) read the cells in order."""

    cells: tuple[tuple[Block, ...], ...]
    widths: tuple[float, ...] = ()


Block = Heading | Para | Bullets | Facts | Table | Figure | NoData | Row


@dataclass(frozen=True)
class Document:
    """A report: kind, bilingual title and subtitle, blocks, and where its figures come from
    (``fingerprint`` digest, data version, source note); ``synthetic`` when any figure rests
    on synthetic data; ``one_page`` asks the renderers for a compact single-page layout."""

    kind: str
    title_zh: str
    title_en: str
    subtitle: str
    blocks: tuple[Block, ...]
    fingerprint: str
    data_version: str
    source_note: str
    as_of: str
    synthetic: bool = False
    one_page: bool = False
    meta: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> list[Table]:
        """The document's tables in order."""
        return [b for b in flat_blocks(self.blocks) if isinstance(b, Table)]

    def figures(self) -> list[Figure]:
        """The document's figures in order."""
        return [b for b in flat_blocks(self.blocks) if isinstance(b, Figure)]

    def headings(self) -> list[Heading]:
        """The document's headings in order."""
        return [b for b in flat_blocks(self.blocks) if isinstance(b, Heading)]


def flat_blocks(blocks: tuple[Block, ...]) -> list[Block]:
    """The blocks in reading order, the cells of every :class:`Row` expanded."""
    out: list[Block] = []
    for b in blocks:
        if isinstance(b, Row):
            for cell in b.cells:
                out += flat_blocks(cell)
        else:
            out.append(b)
    return out


def cell_text(value: Any, column: str = "") -> str:
    """A table cell as text: ``—`` for missing, shares as percentages for ``*_rate``/
    ``*share``/``completeness``/``lsr`` columns, thousands separators, 2 decimals at most."""
    if value is None or value is pd.NA or value is pd.NaT:
        return "—"
    if isinstance(value, float) and math.isnan(value):
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, int | float) and not isinstance(value, bool):
        v = float(value)
        if _is_share(column):
            return f"{v:.1%}"
        # a whole number up to float noise (a sum in another order: 19853.000000000004) is
        # shown as one, so the same figures always give the same text (byte-identical PDFs)
        if abs(v) < 1e15 and abs(v - round(v)) <= 1e-9 * max(1.0, abs(v)):
            return str(round(v)) if _is_plain(column) else f"{round(v):,}"
        return f"{v:,.2f}" if abs(v) >= 1 else f"{v:.3f}"
    if hasattr(value, "item"):
        return cell_text(value.item(), column)
    return str(value)


def _is_share(column: str) -> bool:
    c = column.lower()
    return (c.endswith(("_rate", "share", "completeness", "lsr")) or c.startswith(("lsr_", "delta", "p_top"))
            or c == "delta")


def _is_plain(column: str) -> bool:
    """Codes and years: no thousands separator."""
    c = column.lower()
    return c in ("year", "batch", "rank", "adcode") or c.endswith(("_year", "_id", "rank_min", "rank_max"))
