"""CSV formula-injection neutralisation (导出CSV的公式注入防护), lossless in both directions.

A spreadsheet program opening a CSV treats a cell starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return as a formula (CSV injection, OWASP). Every CSV export of a text
cell therefore prefixes one apostrophe when the text starts with one of those characters,
or with apostrophes followed by one of them; every CSV import removes exactly one leading
apostrophe from a cell of that shape. The rule is a bijection: ``restore(neutralise(t)) == t``
for every text ``t``, so export → import is lossless, and a cell written by a person as
``'=A1`` (Excel's own way to type literal text) imports as ``=A1``. Numbers are written as
numbers and never prefixed. XLSX exports store text cells as strings (never formulas) and
need no prefix.
"""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["TRIGGERS", "neutralise", "neutralise_array", "neutralise_batch", "restore",
           "restore_array"]

#: First characters that make a spreadsheet evaluate a cell.
TRIGGERS = "=+-@\t\r"
_CLASS = "[=+\\-@\\t\\r]"
_NEEDS = re.compile(f"'*{_CLASS}", re.DOTALL)
_MARKED = re.compile(f"''*{_CLASS}", re.DOTALL)


def neutralise(text: str) -> str:
    """``text`` as written to a CSV cell: one apostrophe in front when it starts with a
    trigger character (see :data:`TRIGGERS`), possibly after apostrophes."""
    return "'" + text if _NEEDS.match(text) else text


def restore(text: str) -> str:
    """The text of a CSV cell as imported: the inverse of :func:`neutralise`."""
    return text[1:] if _MARKED.match(text) else text


def neutralise_array(array: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """:func:`neutralise` over an Arrow string array (RE2, vectorised)."""
    return pc.replace_substring_regex(array, f"^('*{_CLASS})", "'\\1")


def restore_array(array: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """:func:`restore` over an Arrow string array (RE2, vectorised)."""
    return pc.replace_substring_regex(array, f"^'('*{_CLASS})", "\\1")


def neutralise_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """A record batch with :func:`neutralise_array` applied to its string columns."""
    columns = [neutralise_array(c) if pa.types.is_string(c.type) or pa.types.is_large_string(c.type)
               else c for c in batch.columns]
    return pa.RecordBatch.from_arrays(columns, schema=batch.schema)
