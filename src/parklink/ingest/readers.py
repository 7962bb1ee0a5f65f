"""Read CSV, XLSX, Parquet and GeoJSON files as *text* tables, keeping spreadsheet row numbers.

Every cell is read as text first (numbers as their shortest round-trip decimal form, booleans
as ``true``/``false``, dates as ISO ``YYYY-MM-DD``); empty cells become missing. Coercion to
the schema's types happens in :mod:`parklink.ingest.validate`, so every problem can be
reported with the cell's original value. Row numbers follow the spreadsheet convention
(header = row 1, first data row = row 2) for every format; for Parquet and GeoJSON the
*n*-th record/feature is row *n + 1*.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from parklink.errors import Problem, ValidationError
from parklink.ingest.cells import EMPTY_FILE, cell_text, file_cell_text
from parklink.ingest.csvsafe import restore, restore_array
from parklink.ingest.encoding import decode_bytes, detect_file_encoding
from parklink.ingest.xlsx import iter_xlsx
from parklink.tables import TableSchema

__all__ = ["EMPTY_FILE", "FORMATS", "TextTable", "cell_text", "file_cell_text", "file_format",
           "iter_text_chunks", "read_text_table"]

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".geojson": "geojson",
           ".json": "geojson", ".pq": "parquet"}

UNNAMED_VALUES = "column has values but no header (列有数据但无表头)"


@dataclass
class TextTable:
    """A table read as text: ``frame`` (cells as str or missing), ``rows`` (spreadsheet row of
    each frame row), the file label used in problems, and problems found while reading
    (ragged rows, duplicate or blank headers). ``header_checked`` is False for the later chunks
    of a stream (the header problems came with the first chunk); ``restart`` marks that the
    consumer must discard every earlier data chunk of the stream (the reader starts over).
    ``geometries`` (GeoJSON input only) holds each row's geometry as a GeoJSON dict."""

    file: str
    frame: pd.DataFrame
    rows: np.ndarray[Any, np.dtype[np.int64]]
    problems: list[Problem] = field(default_factory=list)
    header_checked: bool = True
    restart: bool = False
    geometries: list[dict[str, Any] | None] | None = None


def file_format(path: Path) -> str:
    """The format of ``path`` from its extension ('csv', 'xlsx', 'parquet', 'geojson')."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValidationError.single(
            path.name,
            f"unsupported file type {path.suffix or '(none)'!r}; use .csv, .xlsx, .parquet or "
            ".geojson (不支持的文件类型)",
        )
    return fmt


def _header_problems(
    file: str, header: Sequence[object], data_cols: Sequence[Sequence[str | None]],
    *, named: bool = False,
) -> tuple[list[tuple[int, str]], list[Problem]]:
    """(position, name) of the usable header cells, and problems with the header row.

    ``named=True`` (Parquet: every column is declared in the schema) makes a column without
    a name a problem whatever it holds."""
    problems: list[Problem] = []
    keep: list[tuple[int, str]] = []
    seen: set[str] = set()
    for i, raw in enumerate(header):
        name = (cell_text(raw) or "").lstrip("\ufeff").strip()
        if not name:
            if named:
                problems.append(Problem(file, 1, f"#{i + 1}", None,
                                        "column has no name (列没有名称)"))
            elif any(v is not None for v in data_cols[i]) if i < len(data_cols) else False:
                problems.append(Problem(file, 1, f"#{i + 1}", None, UNNAMED_VALUES))
            continue
        if name in seen:
            problems.append(Problem(file, 1, name, None,
                                    "column appears more than once in the header (表头重复)"))
            continue
        seen.add(name)
        keep.append((i, name))
    return keep, problems


def _records_to_table(
    file: str, records: list[list[str | None]], numbers: list[int], header: Sequence[object],
    *, chunk: bool = False,
) -> TextTable:
    """Build a TextTable from data records (cells already text) and their row numbers.

    For the later chunks of a stream (``chunk=True``) the header problems are left out: the
    first chunk reported them."""
    width = len(header)
    problems: list[Problem] = []
    kept_records: list[list[str | None]] = []
    kept_rows: list[int] = []
    for rec, number in zip(records, numbers, strict=True):
        if all(c is None for c in rec):
            continue  # blank row
        if len(rec) > width:
            extra = rec[width:]
            if any(c is not None for c in extra):
                problems.append(Problem(
                    file, number, None, None,
                    f"row has {width + sum(c is not None for c in extra)} cells but the header "
                    f"has {width} (单元格数多于表头)"))
            rec = rec[:width]
        elif len(rec) < width:
            rec = rec + [None] * (width - len(rec))
        kept_records.append(rec)
        kept_rows.append(number)
    columns: list[list[str | None]] = [list(c) for c in zip(*kept_records, strict=True)] if kept_records else [[] for _ in range(width)]
    keep, header_problems = _header_problems(file, header, columns)
    frame = pd.DataFrame({name: pd.Series(columns[i], dtype=object) for i, name in keep})
    if chunk:
        return TextTable(file, frame, np.asarray(kept_rows, dtype=np.int64), problems,
                         header_checked=False)
    return TextTable(file, frame, np.asarray(kept_rows, dtype=np.int64),
                     header_problems + problems)


def _read_csv(path: Path, file: str) -> TextTable:
    data = path.read_bytes()
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise ValidationError.single(file, EMPTY_FILE)
    text, _ = decode_bytes(data, path, file=file)
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[list[str | None]] = []
    numbers: list[int] = []
    header: list[str] | None = None
    try:
        for number, rec in enumerate(reader, start=1):
            cells = [restore(c.strip()).strip() or None for c in rec]
            if header is None:
                header = [c or "" for c in cells]
                continue
            records.append(cells)
            numbers.append(number)
    except csv.Error as exc:
        raise ValidationError.single(file, f"not a readable CSV file: {exc} (CSV格式错误)",
                                     row=len(records) + (1 if header is None else 2)) from exc
    table = _records_to_table(file, records, numbers, header or [])
    _separator_hint(table, header or [])
    return table


def _separator_hint(table: TextTable, header: Sequence[str]) -> None:
    """A one-column header holding ';' or tabs: say the file is not comma-separated."""
    if len(header) == 1:
        for sep, name in (("\t", "tabs"), (";", "semicolons")):
            if sep in header[0]:
                table.problems.append(Problem(
                    table.file, 1, None, None,
                    f"the header seems separated by {name}; save the file as comma-separated "
                    "CSV (请使用逗号分隔的CSV)"))
                return


def _read_xlsx(path: Path, file: str, sheet: str | None) -> TextTable:
    it = iter_xlsx(path, file, sheet)
    header: list[str | None] | None = None
    records: list[list[str | None]] = []
    numbers: list[int] = []
    for number, cells in it:
        if header is None:
            header = cells
            continue
        records.append(cells)
        numbers.append(number)
    if header is None or all(c is None for c in header):
        raise ValidationError.single(file, EMPTY_FILE)
    return _records_to_table(file, records, numbers, [c or "" for c in header])


NOT_UTF8 = "text is not valid UTF-8 (文本不是有效的UTF-8编码)"


def _python_text(array: pa.ChunkedArray | pa.Array) -> tuple[pa.Array, list[int]]:
    """Cell by cell through Python (nested, map, duration and other uncastable types): the
    text of each value and the positions whose bytes are not valid UTF-8."""
    chunks = array.chunks if isinstance(array, pa.ChunkedArray) else [array]
    out: list[str | None] = []
    bad: list[int] = []
    for chunk in chunks:
        for i in range(len(chunk)):
            try:
                value = chunk[i].as_py()
            except (UnicodeDecodeError, pa.ArrowException, ValueError, OverflowError):
                bad.append(len(out))
                out.append(None)
                continue
            if isinstance(value, bytes):
                try:
                    value = value.decode("utf-8")
                except UnicodeDecodeError:
                    bad.append(len(out))
                    out.append(None)
                    continue
            out.append(cell_text(value))
    return pa.array(out, type=pa.string()), bad


def _valid_utf8(array: pa.ChunkedArray | pa.Array) -> bool:
    try:
        array.validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _arrow_text(array: pa.ChunkedArray | pa.Array) -> tuple[pa.Array | pa.ChunkedArray, list[int]]:
    """Cast an Arrow column to text (shortest round-trip floats, ISO dates, true/false), and
    the positions of cells whose bytes are not valid UTF-8 (those become missing)."""
    typ = array.type
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return (array, []) if _valid_utf8(array) else _python_text(array)
    if pa.types.is_binary(typ) or pa.types.is_large_binary(typ) or \
            pa.types.is_fixed_size_binary(typ):
        try:
            text = pc.cast(array, pa.string())
        except pa.ArrowException:
            return _python_text(array)
        return (text, []) if _valid_utf8(text) else _python_text(array)
    if pa.types.is_timestamp(typ):
        as_date = pc.cast(array, pa.date32())
        if pc.all(pc.equal(pc.cast(as_date, typ), array)).as_py() is not False:
            return pc.cast(as_date, pa.string()), []
    if pa.types.is_dictionary(typ):
        return _arrow_text(pc.cast(array, typ.value_type))
    if pa.types.is_nested(typ) or pa.types.is_duration(typ) or pa.types.is_interval(typ):
        return _python_text(array)
    try:
        return pc.cast(array, pa.string()), []
    except pa.ArrowException:
        return _python_text(array)


def _clean_text(array: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    stripped = pc.utf8_trim_whitespace(array)
    return pc.if_else(pc.equal(stripped, ""), pa.scalar(None, pa.string()), stripped)


def _arrow_frame(table: pa.Table, file: str, rows: np.ndarray[Any, np.dtype[np.int64]]
                 ) -> tuple[pd.DataFrame, list[Problem]]:
    cols: dict[str, pd.Series[Any]] = {}
    problems: list[Problem] = []
    for name in table.column_names:
        text, bad = _arrow_text(table.column(name))
        problems += [Problem(file, int(rows[i]), name, None, NOT_UTF8) for i in bad]
        cols[name] = pd.Series(_clean_text(text).to_pylist(), dtype=object)
    return pd.DataFrame(cols), problems


def _read_parquet(path: Path, file: str) -> TextTable:
    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow/thrift raise several types on damaged files
        raise ValidationError.single(file, f"not a readable Parquet file: {str(exc)[:200]} "
                                     "(无法读取Parquet文件)") from exc
    if table.num_columns == 0:
        raise ValidationError.single(file, EMPTY_FILE)
    keep, problems = _header_problems(file, table.column_names, [], named=True)
    frame, cell_problems = _arrow_frame(
        table.select([i for i, _ in keep]).rename_columns([n for _, n in keep]), file,
        np.arange(2, table.num_rows + 2, dtype=np.int64))
    frame.columns = pd.Index([n for _, n in keep])
    blank = frame.isna().all(axis=1).to_numpy()
    rows = np.arange(2, len(frame) + 2, dtype=np.int64)[~blank]
    return TextTable(file, frame.loc[~blank].reset_index(drop=True), rows,
                     problems + cell_problems)


def read_text_table(
    path: Path, schema: TableSchema, *, sheet: str | None = None, file: str | None = None
) -> TextTable:
    """Read the whole file at ``path`` as a :class:`TextTable` (format from the extension).

    Raises :class:`ValidationError` for unreadable files (missing, empty, undecodable, wrong
    sheet); cell-level problems are left to the validator.
    """
    label = file or path.name
    if not path.is_file():
        raise ValidationError.single(label, "file not found (文件不存在)")
    fmt = file_format(path)
    if sheet is not None and fmt != "xlsx":
        raise ValidationError.single(label, "--sheet applies to .xlsx files only (仅Excel可指定工作表)")
    if fmt == "csv":
        return _read_csv(path, label)
    if fmt == "xlsx":
        return _read_xlsx(path, label, sheet)
    if fmt == "parquet":
        return _read_parquet(path, label)
    from parklink.ingest.geojson import read_geojson

    return read_geojson(path, label, schema)


# --------------------------------------------------------------------------- streaming


class _FallbackError(Exception):
    """pyarrow met an irregular CSV row; re-read with the exact (slower) reader."""


def _chunk_from_columns(
    file: str, names: list[tuple[int, str]], columns: list[pa.Array | pa.ChunkedArray],
    rows: np.ndarray[Any, np.dtype[np.int64]], *, csv_cells: bool = False,
) -> TextTable:
    cols: dict[str, Any] = {}
    problems: list[Problem] = []
    blank = np.ones(len(rows), dtype=bool)
    for (_, name), arr in zip(names, columns, strict=True):
        text, bad = _arrow_text(arr)
        problems += [Problem(file, int(rows[i]), name, None, NOT_UTF8) for i in bad]
        cleaned = _clean_text(restore_array(pc.utf8_trim_whitespace(text)) if csv_cells
                              else text)
        blank &= pc.is_null(cleaned).to_numpy(zero_copy_only=False)
        cols[name] = cleaned
    frame = pd.DataFrame({k: pd.Series(pa.chunked_array([v]) if isinstance(v, pa.Array) else v,
                                       dtype=pd.StringDtype("pyarrow", na_value=np.nan))
                          for k, v in cols.items()})
    if blank.any():
        frame = frame.loc[~blank].reset_index(drop=True)
        rows = rows[~blank]
    return TextTable(file, frame, rows, problems, header_checked=False)


def _skip_bom(fh: Any, codec: str, bom: bool) -> None:
    """Skip a UTF-8 byte-order mark (a UTF-16 mark is consumed by the codec itself)."""
    if bom and codec == "utf-8":
        fh.read(len(codecs.BOM_UTF8))


def _csv_header(path: Path, file: str, codec: str, bom: bool) -> list[str]:
    with path.open("rb") as fh:
        _skip_bom(fh, codec, bom)
        text = io.TextIOWrapper(fh, encoding=codec, newline="")
        reader = csv.reader(text)
        try:
            return [c.strip() for c in next(reader, [])]
        except csv.Error as exc:
            raise ValidationError.single(file, f"not a readable CSV header: {exc} (CSV表头格式错误)",
                                         row=1) from exc


def _iter_csv_arrow(path: Path, file: str, codec: str, bom: bool, header: list[str],
                    keep: list[tuple[int, str]], chunk_rows: int) -> Iterator[TextTable]:
    width = len(header)

    irregular: list[bool] = []

    def handler(_row: Any) -> str:
        irregular.append(True)
        return "error"

    read = pacsv.ReadOptions(column_names=[f"c{i}" for i in range(width)], skip_rows=1,
                             encoding=codec, block_size=max(1 << 14, min(1 << 24, chunk_rows * 64)))
    parse = pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False,
                               invalid_row_handler=handler)
    conv = pacsv.ConvertOptions(column_types={f"c{i}": pa.string() for i in range(width)},
                                strings_can_be_null=False, quoted_strings_can_be_null=False)
    start = 2
    named = {i for i, _ in keep}
    unnamed = [i for i in range(width) if i not in named and not header[i].strip()]
    try:
        reader = pacsv.open_csv(path, read_options=read, parse_options=parse, convert_options=conv)
        for batch in reader:
            n = batch.num_rows
            if n == 0:
                continue
            rows = np.arange(start, start + n, dtype=np.int64)
            start += n
            chunk = _chunk_from_columns(file, keep, [batch.column(i) for i, _ in keep], rows,
                                        csv_cells=True)
            for i in unnamed:
                filled = pc.not_equal(pc.utf8_trim_whitespace(batch.column(i)), "")
                hits = np.flatnonzero(filled.to_numpy(zero_copy_only=False))
                if len(hits):
                    chunk.problems.append(Problem(file, int(rows[hits[0]]), f"#{i + 1}", None,
                                                  UNNAMED_VALUES))
            yield chunk
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        # an irregular row, a cell larger than a block, ...: the exact reader names the row
        raise _FallbackError from exc


def _iter_csv_exact(path: Path, file: str, codec: str, bom: bool, header: list[str],
                    chunk_rows: int) -> Iterator[TextTable]:
    unnamed = [i for i, h in enumerate(header) if not h.strip()]
    reported: set[int] = set()
    with path.open("rb") as fh:
        _skip_bom(fh, codec, bom)
        reader = csv.reader(io.TextIOWrapper(fh, encoding=codec, newline=""))
        records: list[list[str | None]] = []
        numbers: list[int] = []
        extra: list[Problem] = []
        number = 1
        try:
            next(reader, None)
            for rec in reader:
                number += 1
                cells = [restore(c.strip()).strip() or None for c in rec]
                for i in unnamed:
                    if i not in reported and i < len(cells) and cells[i] is not None:
                        reported.add(i)
                        extra.append(Problem(file, number, f"#{i + 1}", None, UNNAMED_VALUES))
                records.append(cells)
                numbers.append(number)
                if len(records) >= chunk_rows:
                    chunk = _records_to_table(file, records, numbers, header, chunk=True)
                    chunk.problems[:0], extra = extra, []
                    yield chunk
                    records, numbers = [], []
        except csv.Error as exc:
            raise ValidationError.single(
                file, f"not a readable CSV file: {exc} (CSV格式错误)",
                row=number + 1) from exc
        if records or extra:
            chunk = _records_to_table(file, records, numbers, header, chunk=True)
            chunk.problems[:0] = extra
            yield chunk


def iter_text_chunks(
    path: Path, schema: TableSchema, *, sheet: str | None = None, file: str | None = None,
    chunk_rows: int = 100_000,
) -> Iterator[TextTable]:
    """Stream the file at ``path`` as text chunks of about ``chunk_rows`` rows (bounded memory).

    The first chunk yielded is the header alone (zero rows) carrying header problems; CSV is
    parsed by pyarrow's streaming reader, falling back to Python's csv module (exact row
    numbers) when a row has the wrong number of cells; Parquet via ``iter_batches``; XLSX via
    openpyxl's read-only mode.
    """
    label = file or path.name
    if not path.is_file():
        raise ValidationError.single(label, "file not found (文件不存在)")
    fmt = file_format(path)
    if fmt == "geojson":
        yield read_text_table(path, schema, file=label)
        return
    if fmt == "parquet":
        try:
            pf = pq.ParquetFile(path)
            names = pf.schema_arrow.names
        except Exception as exc:  # pyarrow/thrift raise several types on damaged files
            raise ValidationError.single(label, f"not a readable Parquet file: {str(exc)[:200]} "
                                         "(无法读取Parquet文件)") from exc
        if not names:
            raise ValidationError.single(label, EMPTY_FILE)
        keep, problems = _header_problems(label, names, [], named=True)
        yield TextTable(label, pd.DataFrame({n: pd.Series([], dtype=object) for _, n in keep}),
                        np.zeros(0, dtype=np.int64), problems)
        start = 2
        batches = pf.iter_batches(batch_size=chunk_rows)
        while True:
            try:
                batch = next(batches, None)
            except Exception as exc:  # a damaged page or row group
                raise ValidationError.single(
                    label, f"not a readable Parquet file after row {start - 1}: "
                    f"{str(exc)[:200]} (无法读取Parquet文件)", row=start) from exc
            if batch is None:
                break
            n = batch.num_rows
            rows = np.arange(start, start + n, dtype=np.int64)
            start += n
            yield _chunk_from_columns(label, keep, [batch.column(i) for i, _ in keep], rows)
        return
    if fmt == "xlsx":
        it = iter_xlsx(path, label, sheet)
        first = next(it, None)
        if first is None or all(c is None for c in first[1]):
            raise ValidationError.single(label, EMPTY_FILE)
        header = [c or "" for c in first[1]]
        head = _records_to_table(label, [], [], header)
        yield head
        records: list[list[str | None]] = []
        numbers: list[int] = []
        for number, cells in it:
            records.append(cells)
            numbers.append(number)
            if len(records) >= chunk_rows:
                yield _records_to_table(label, records, numbers, header, chunk=True)
                records, numbers = [], []
        if records:
            yield _records_to_table(label, records, numbers, header, chunk=True)
        return
    if sheet is not None:
        raise ValidationError.single(label, "--sheet applies to .xlsx files only (仅Excel可指定工作表)")
    if path.stat().st_size == 0:
        raise ValidationError.single(label, EMPTY_FILE)
    enc = detect_file_encoding(path, file=label)
    header = _csv_header(path, label, enc.codec, enc.bom)
    if not any(header):
        raise ValidationError.single(label, EMPTY_FILE)
    keep, problems = _header_problems(label, header, [])
    yield TextTable(label, pd.DataFrame({n: pd.Series([], dtype=object) for _, n in keep}),
                    np.zeros(0, dtype=np.int64), problems)
    yielded = False
    try:
        for chunk in _iter_csv_arrow(path, label, enc.codec, enc.bom, header, keep, chunk_rows):
            yielded = True
            yield chunk
    except _FallbackError:
        if yielded:
            # chunks already yielded came from the fast reader: tell the consumer to discard them
            yield TextTable(label, pd.DataFrame(), np.zeros(0, dtype=np.int64), [],
                            header_checked=False, restart=True)
        for chunk in _iter_csv_exact(path, label, enc.codec, enc.bom, header, chunk_rows):
            yield chunk
