"""The text of one cell value read from Excel, Parquet or JSON (shared by the readers)."""

from __future__ import annotations

import datetime as dt
import json
import math

__all__ = ["EMPTY_FILE", "cell_text", "file_cell_text"]

EMPTY_FILE = "file is empty (文件为空)"


def cell_text(value: object) -> str | None:
    """The text of one cell value from Excel/Parquet/JSON (None for empty). Never raises:
    a value of no column type (a duration, bytes, a nested mapping) becomes a text the
    validator then judges; NaN (a missing value in pandas) is empty here, see
    :func:`file_cell_text` for cells of files."""
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        return text or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        parts = [t for v in value if (t := cell_text(v)) is not None]
        return ";".join(parts) or None
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            return raw.decode("utf-8").strip() or None
        except UnicodeDecodeError:
            return raw.decode("utf-8", errors="backslashreplace")
    if isinstance(value, dt.timedelta):
        return f"duration {value}"
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        return str(value)


def file_cell_text(value: object) -> str | None:
    """:func:`cell_text` of a cell read from a file: a NaN or infinite number stored in the
    file is the text ``nan``/``inf`` (rejected by number columns), never an empty cell."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return cell_text(value)
