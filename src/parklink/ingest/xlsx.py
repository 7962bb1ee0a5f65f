"""Open .xlsx workbooks safely and stream their rows as text cells.

Every archive member is decompressed once before openpyxl sees the file (damaged zip, CRC
and zlib streams surface as file-level problems; a bound on the expanded size refuses zip
bombs) and no XML part may declare a DTD or entities (external entities, entity expansion).
openpyxl parses the workbook parts with defusedxml (installed; ``openpyxl.DEFUSEDXML``) and
the worksheets with the standard library's expat; any exception it raises on a malformed
workbook becomes a :class:`ValidationError` (file-level, or at the row being read).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from parklink.errors import ValidationError
from parklink.ingest.cells import EMPTY_FILE, file_cell_text

__all__ = ["XLSX_MAX_UNCOMPRESSED", "iter_xlsx", "open_sheet"]


#: Bytes decompressed from an .xlsx archive at most (a zip bomb is refused, not expanded).
XLSX_MAX_UNCOMPRESSED = 4 << 30
_DTD_MARKERS = (b"<!doctype", b"<!entity")


def _xlsx_unreadable(file: str, exc: BaseException) -> ValidationError:
    detail = str(exc).splitlines()[0][:200] if str(exc) else ""
    return ValidationError.single(
        file, f"not a readable .xlsx workbook ({type(exc).__name__}: {detail}) (无法读取Excel文件)")


def _check_xlsx_archive(path: Path, file: str) -> None:
    """Refuse damaged or hostile workbooks before openpyxl parses them: every member is
    decompressed once (CRC and zlib errors surface here, with a bound on the total size) and
    no XML part may declare a DTD or entities (Excel never writes them; they are how
    external-entity and entity-expansion attacks work). openpyxl parses the workbook parts
    with defusedxml (installed), the worksheets with the standard library's expat."""
    import zipfile
    import zlib

    total = 0
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                xml = info.filename.lower().endswith((".xml", ".rels", ".vml"))
                tail = b""
                with zf.open(info) as fh:
                    while chunk := fh.read(1 << 20):
                        total += len(chunk)
                        if total > XLSX_MAX_UNCOMPRESSED:
                            raise ValidationError.single(
                                file, "the .xlsx workbook expands to more than "
                                f"{XLSX_MAX_UNCOMPRESSED >> 30} GiB (Excel文件解压后过大)")
                        if xml:
                            window = (tail + chunk).lower()
                            if any(m in window for m in _DTD_MARKERS):
                                raise ValidationError.single(
                                    file, f"the .xlsx part {info.filename} declares a DTD or "
                                    "XML entities, which are not allowed (Excel文件含不允许的XML实体声明)")
                            tail = window[-16:]
    except ValidationError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        raise _xlsx_unreadable(file, exc) from exc
    except Exception as exc:  # zipfile raises struct, Unicode, Index... errors on garbage
        raise _xlsx_unreadable(file, exc) from exc


def open_sheet(path: Path, file: str, sheet: str | None) -> tuple[Any, Any]:
    """(workbook, worksheet) of ``sheet`` (default the first) in read-only mode, its stored
    dimension reset so that every cell is read; ValidationError when unreadable."""
    import openpyxl

    _check_xlsx_archive(path, file)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types on malformed workbooks
        raise _xlsx_unreadable(file, exc) from exc
    names = list(wb.sheetnames)
    if sheet is None:
        if not names:
            wb.close()
            raise ValidationError.single(file, EMPTY_FILE)
        ws = wb[names[0]]
    elif sheet not in names:
        wb.close()
        raise ValidationError.single(
            file, f"no sheet named {sheet!r}; the workbook has: {', '.join(names)} "
            "(工作表不存在)", column=None, value=sheet)
    else:
        ws = wb[sheet]
    if hasattr(ws, "reset_dimensions"):
        # the stored <dimension> may be stale: read every cell, not only those it names
        ws.reset_dimensions()
    return wb, ws


def iter_xlsx(path: Path, file: str, sheet: str | None) -> Iterator[tuple[int, list[str | None]]]:
    """(row number, cell texts) of every row of the sheet (see :func:`open_sheet`)."""
    wb, ws = open_sheet(path, file, sheet)
    try:
        rows = ws.iter_rows(values_only=True)
        number = 0
        while True:
            try:
                values = next(rows, None)
            except Exception as exc:  # the worksheet XML is parsed lazily, row by row
                raise ValidationError.single(
                    file, f"the .xlsx worksheet cannot be read at row {number + 1} "
                    f"({type(exc).__name__}: {str(exc)[:200]}) (工作表无法读取)",
                    row=number + 1) from exc
            if values is None:
                return
            number += 1
            yield number, [file_cell_text(v) for v in values]
    finally:
        wb.close()
