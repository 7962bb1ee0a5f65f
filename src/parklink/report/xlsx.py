"""Excel rendering of a report document through XlsxWriter, with native Excel charts.

Sheets: ``summary`` (title, provenance and fingerprint, findings, paragraphs, facts and
"no data" notes in reading order), one sheet per table (every row, not only the printed
ones; bilingual two-line headers, frozen header, autofilter) and one ``chart_<key>`` sheet
per chart holding the chart's data with a native Excel chart over it (column / line /
bar; a rank interval as a bar chart of the low and high ends with the rank as a line).
The workbook's creation date is the report's as-of date (reproducible metadata).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from typing import Any

import pandas as pd

from parklink.report.charts import Chart
from parklink.report.doc import (
    Bullets,
    Document,
    Facts,
    Figure,
    Heading,
    NoData,
    Para,
    Table,
    flat_blocks,
)

__all__ = ["render_xlsx"]


def _sheet_name(key: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", key)[:28] or "sheet"
    name, i = base, 2
    while name.lower() in used:
        name, i = f"{base[:26]}_{i}", i + 1
    used.add(name.lower())
    return name


def _value(v: Any) -> Any:
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if hasattr(v, "item"):
        return _value(v.item())
    if isinstance(v, int | float | bool | str):
        return v
    if isinstance(v, dt.date):
        return v.isoformat()
    return str(v)


def render_xlsx(doc: Document) -> bytes:
    """The document as an .xlsx workbook (bytes)."""
    import xlsxwriter  # type: ignore[import-untyped]

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_urls": False})
    day = dt.date.fromisoformat(doc.as_of[:10])
    wb.set_properties({"title": doc.title_en, "subject": doc.title_zh, "author": "parklink",
                       "comments": f"fingerprint {doc.fingerprint}", "created": dt.datetime(day.year, day.month, day.day)})
    bold = wb.add_format({"bold": True})
    title = wb.add_format({"bold": True, "font_size": 14})
    head = wb.add_format({"bold": True, "text_wrap": True, "bg_color": "#EDF2F7", "valign": "top", "border": 1})
    grey = wb.add_format({"font_color": "#555555", "text_wrap": True})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    used: set[str] = set()
    summary = wb.add_worksheet(_sheet_name("summary", used))
    summary.set_column(0, 0, 28)
    summary.set_column(1, 1, 100)
    row = 0
    summary.write(row, 0, doc.title_zh, title)
    summary.write(row + 1, 0, doc.title_en, bold)
    summary.write(row + 2, 0, doc.subtitle)
    row += 4
    for b in flat_blocks(doc.blocks):
        if isinstance(b, Heading):
            row += 1
            summary.write(row, 0, f"{b.zh} {b.en}", bold)
            row += 1
        elif isinstance(b, Para):
            summary.write(row, 1, b.zh, wrap)
            summary.write(row + 1, 1, b.en, grey)
            row += 2
        elif isinstance(b, Bullets):
            for i, (zh, en) in enumerate(b.items, 1):
                summary.write(row, 0, i)
                summary.write(row, 1, zh, wrap)
                summary.write(row + 1, 1, en, grey)
                row += 2
        elif isinstance(b, Facts):
            for zh, en, v in b.rows:
                summary.write(row, 0, f"{zh} {en}", bold)
                summary.write(row, 1, v, wrap)
                row += 1
        elif isinstance(b, NoData):
            summary.write(row, 0, "暂无数据 no data", bold)
            summary.write(row, 1, f"{b.reason_zh} / {b.reason_en}", grey)
            row += 1
        elif isinstance(b, Table):
            summary.write(row, 0, f"{b.title_zh} {b.title_en}")
            summary.write(row, 1, f"→ sheet {_table_sheet(wb, b, used, head)} ({len(b.frame)} rows)", grey)
            row += 1
        elif isinstance(b, Figure) and b.chart is not None and not b.chart.empty:
            summary.write(row, 0, f"{b.title_zh} {b.title_en}")
            summary.write(row, 1, f"→ sheet {_chart_sheet(wb, b.chart, used, head)} (chart)", grey)
            row += 1
    wb.close()
    return buf.getvalue()


def _table_sheet(wb: Any, t: Table, used: set[str], head: Any) -> str:
    name = _sheet_name(t.key, used)
    ws = wb.add_worksheet(name)
    cols = list(t.columns) or [(c, c, c) for c in t.frame.columns]
    extra = [c for c in t.frame.columns if c not in {x[0] for x in cols}]
    for j, (_col, zh, en) in enumerate(cols):
        ws.write(0, j, f"{zh}\n{en}", head)
    for j, col in enumerate(extra, len(cols)):  # id and detail columns the printed table leaves out
        ws.write(0, j, str(col), head)
    names = [c[0] for c in cols] + extra
    for i, rec in enumerate(t.frame.to_dict("records"), 1):
        for j, col in enumerate(names):
            v = _value(rec.get(col))
            if v is not None:
                ws.write(i, j, v)
    ws.set_row(0, 30)
    ws.set_column(0, max(len(names) - 1, 0), 16)
    ws.freeze_panes(1, 0)
    ws.autofilter(0, 0, max(len(t.frame), 1), max(len(names) - 1, 0))
    if t.note:
        ws.write(len(t.frame) + 2, 0, t.note)
    return name


def _chart_sheet(wb: Any, c: Chart, used: set[str], head: Any) -> str:
    name = _sheet_name(f"chart_{c.key}", used)
    ws = wb.add_worksheet(name)
    ws.write(0, 0, "category", head)
    for j, s in enumerate(c.series, 1):
        ws.write(0, j, f"{s.name_zh} {s.name_en}", head)
    for i, cat in enumerate(c.categories, 1):
        ws.write(i, 0, cat)
        for j, s in enumerate(c.series, 1):
            v = s.values[i - 1]
            if v is not None:
                ws.write_number(i, j, float(v))
    n = len(c.categories)
    kind = {"bar": "column", "line": "line", "barh": "bar", "interval": "bar"}[c.kind]
    chart = wb.add_chart({"type": kind})
    for j, s in enumerate(c.series, 1):
        spec = {"name": [name, 0, j], "categories": [name, 1, 0, n, 0], "values": [name, 1, j, n, j]}
        if c.kind == "bar" and s.style == "line":
            line = wb.add_chart({"type": "line"})
            line.add_series({**spec, "line": {"none": True}, "marker": {"type": "dash", "size": 12}})
            chart.combine(line)
            continue
        if c.kind == "interval" and j == 1:
            continue  # the point is in the sheet; the bars show the interval's ends
        chart.add_series(spec)
    chart.set_title({"name": f"{c.title_zh} {c.title_en}"})
    if c.percent:
        chart.set_y_axis({"num_format": "0%"})
    if c.invert:
        chart.set_y_axis({"reverse": True})
    chart.set_size({"width": 720, "height": 360})
    ws.insert_chart(1, len(c.series) + 2, chart)
    return name
