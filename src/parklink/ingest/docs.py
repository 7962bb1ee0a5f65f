"""Render the declared table schemas as Markdown, so the import/export guide cannot drift.

``docs/import-export.md`` holds the output of :func:`schema_markdown` between the markers
``<!-- schema:start -->`` and ``<!-- schema:end -->``; a test compares them, and
``python -m parklink.ingest.docs docs/import-export.md`` rewrites that section.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from parklink.tables import SCHEMAS, Column, TableSchema

__all__ = ["END", "START", "schema_markdown", "update_doc"]

START = "<!-- schema:start -->"
END = "<!-- schema:end -->"

_TYPES = {"str": "text 文本", "int": "integer 整数", "float": "number 数值",
          "bool": "yes/no 是/否", "date": "date 日期 (YYYY-MM-DD)", "list": "list 列表 (`;`)"}


def _fmt(v: float) -> str:
    return f"{v:g}"


def _rules(col: Column) -> str:
    parts: list[str] = []
    if col.choices is not None:
        parts.append(" / ".join(f"`{c}`" for c in col.choices))
    if col.minimum is not None and col.maximum is not None:
        parts.append(f"{_fmt(col.minimum)} – {_fmt(col.maximum)}")
    elif col.minimum is not None:
        parts.append(f"≥ {_fmt(col.minimum)}")
    elif col.maximum is not None:
        parts.append(f"≤ {_fmt(col.maximum)}")
    if col.pattern is not None:
        parts.append(f"pattern `{col.pattern}`")
    if col.ref is not None:
        parts.append(f"→ `{col.ref}`")
    if col.max_length is not None:
        parts.append(f"≤ {col.max_length} characters 字符")
    if col.multiline:
        parts.append("line breaks allowed 可换行")
    return "; ".join(parts).replace("|", "\\|")


def _table(schema: TableSchema) -> list[str]:
    geometry = {"point": "Point (lon/lat)", "polygon": "Polygon (region boundary)",
                "line": "LineString (from/to node)", None: "none"}[schema.geometry]
    lines = [
        f"### `{schema.kind}`",
        "",
        schema.doc,
        "",
        f"Key 主键: {', '.join(f'`{k}`' for k in schema.key)} · GeoJSON geometry 几何: {geometry}",
        "",
        "| column 列 | type 类型 | required 必填 | allowed values / range / reference 取值 | notes 说明 |",
        "| --- | --- | --- | --- | --- |",
    ]
    for col in schema.columns:
        lines.append(
            f"| `{col.name}` | {_TYPES[col.type]} | {'yes 是' if col.required else 'no 否'} | "
            f"{_rules(col)} | {col.doc.replace('|', '/')} |"
        )
    return lines


def schema_markdown(kinds: Iterable[str] | None = None) -> str:
    """Markdown tables of the columns of ``kinds`` (default: every kind in ``SCHEMAS``)."""
    lines: list[str] = []
    for kind in kinds if kinds is not None else SCHEMAS:
        lines += _table(SCHEMAS[kind])
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def update_doc(path: Path) -> bool:
    """Rewrite the generated section of the Markdown file at ``path``; True if it changed."""
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    new = f"{head}{START}\n{schema_markdown()}{END}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
        return True
    return False


if __name__ == "__main__":  # pragma: no cover - maintenance entry point
    for arg in sys.argv[1:]:
        print(f"{arg}: {'updated' if update_doc(Path(arg)) else 'up to date'}")
