"""Read CSV, XLSX, Parquet and GeoJSON files as *text* tables, keeping spreadsheet row numbers.

Every cell is read as text first (numbers as their shortest round-trip decimal form, booleans
as ``true``/``false``, dates as ISO ``YYYY-MM-DD``); empty cells become missing. Coercion to
the schema's types happens in :mod:`parklink.ingest.validate`, so every problem can be
reported with the cell's original value. Row numbers follow the spreadsheet convention
(header = row 1, first data row = row 2) for every format; for Parquet and GeoJSON the
*n*-th record/feature is row *n + 1*.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
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
from parklink.ingest.encoding import decode_bytes, detect_file_encoding
from parklink.tables import TableSchema

__all__ = ["FORMATS", "TextTable", "cell_text", "file_format", "iter_text_chunks", "read_text_table"]

FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".geojson": "geojson",
           ".json": "geojson", ".pq": "parquet"}

EMPTY_FILE = "file is empty (文件为空)"


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


def cell_text(value: object) -> str | None:
    """The text of one cell value from Excel/Parquet/JSON (None for empty)."""
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
    return json.dumps(value, ensure_ascii=False)


def _header_problems(
    file: str, header: Sequence[object], data_cols: Sequence[Sequence[str | None]]
) -> tuple[list[tuple[int, str]], list[Problem]]:
    """(position, name) of the usable header cells, and problems with the header row."""
    problems: list[Problem] = []
    keep: list[tuple[int, str]] = []
    seen: set[str] = set()
    for i, raw in enumerate(header):
        name = (cell_text(raw) or "").lstrip("\ufeff").strip()
        if not name:
            if any(v is not None for v in data_cols[i]) if i < len(data_cols) else False:
                problems.append(Problem(file, 1, f"#{i + 1}", None,
                                        "column has values but no header (列有数据但无表头)"))
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
            cells = [c.strip() or None for c in rec]
            if header is None:
                header = [c or "" for c in cells]
                continue
            records.append(cells)
            numbers.append(number)
    except csv.Error as exc:
        raise ValidationError.single(file, f"not a readable CSV file: {exc} (CSV格式错误)",
                                     row=reader.line_num) from exc
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


def _open_sheet(path: Path, file: str, sheet: str | None) -> tuple[Any, Any]:
    import zipfile

    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValidationError.single(file, f"not a readable .xlsx workbook: {exc} "
                                     "(无法读取Excel文件)") from exc
    names = list(wb.sheetnames)
    if sheet is None:
        if not names:
            wb.close()
            raise ValidationError.single(file, EMPTY_FILE)
        return wb, wb[names[0]]
    if sheet not in names:
        wb.close()
        raise ValidationError.single(
            file, f"no sheet named {sheet!r}; the workbook has: {', '.join(names)} "
            "(工作表不存在)", column=None, value=sheet)
    return wb, wb[sheet]


def _iter_xlsx(path: Path, file: str, sheet: str | None) -> Iterator[tuple[int, list[str | None]]]:
    wb, ws = _open_sheet(path, file, sheet)
    try:
        for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
            yield number, [cell_text(v) for v in values]
    finally:
        wb.close()


def _read_xlsx(path: Path, file: str, sheet: str | None) -> TextTable:
    it = _iter_xlsx(path, file, sheet)
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


def _arrow_text(array: pa.ChunkedArray | pa.Array) -> pa.Array | pa.ChunkedArray:
    """Cast an Arrow column to text (shortest round-trip floats, ISO dates, true/false)."""
    typ = array.type
    if pa.types.is_string(typ) or pa.types.is_large_string(typ):
        return array
    if pa.types.is_list(typ) or pa.types.is_large_list(typ) or pa.types.is_struct(typ):
        return pa.array([cell_text(v) for v in array.to_pylist()], type=pa.string())
    if pa.types.is_timestamp(typ):
        as_date = pc.cast(array, pa.date32())
        if pc.all(pc.equal(pc.cast(as_date, typ), array)).as_py() is not False:
            return pc.cast(as_date, pa.string())
    if pa.types.is_dictionary(typ):
        return _arrow_text(pc.cast(array, typ.value_type))
    return pc.cast(array, pa.string())


def _arrow_frame(table: pa.Table) -> pd.DataFrame:
    cols: dict[str, pd.Series[Any]] = {}
    for name in table.column_names:
        text = _arrow_text(table.column(name))
        stripped = pc.utf8_trim_whitespace(text)
        cleaned = pc.if_else(pc.equal(stripped, ""), pa.scalar(None, pa.string()), stripped)
        cols[name] = pd.Series(cleaned.to_pylist(), dtype=object)
    return pd.DataFrame(cols)


def _read_parquet(path: Path, file: str) -> TextTable:
    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise ValidationError.single(file, f"not a readable Parquet file: {exc} "
                                     "(无法读取Parquet文件)") from exc
    if table.num_columns == 0:
        raise ValidationError.single(file, EMPTY_FILE)
    keep, problems = _header_problems(file, table.column_names, [])
    frame = _arrow_frame(table.select([i for i, _ in keep]))
    frame.columns = pd.Index([n for _, n in keep])
    blank = frame.isna().all(axis=1).to_numpy()
    rows = np.arange(2, len(frame) + 2, dtype=np.int64)[~blank]
    return TextTable(file, frame.loc[~blank].reset_index(drop=True), rows, problems)


def _geodesic_area_km2(geom: Any) -> float:
    from pyproj import Geod

    area, _ = Geod(ellps="WGS84").geometry_area_perimeter(geom)
    return abs(float(area)) / 1e6


def _read_geojson(path: Path, file: str, schema: TableSchema) -> TextTable:
    import shapely.geometry

    raw = path.read_bytes()
    if not raw.strip():
        raise ValidationError.single(file, EMPTY_FILE)
    try:
        doc = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError.single(file, f"not valid GeoJSON (UTF-8 JSON): {exc} "
                                     "(GeoJSON格式错误)") from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(
        doc.get("features"), list
    ):
        raise ValidationError.single(file, "GeoJSON must be a FeatureCollection "
                                     "(GeoJSON须为FeatureCollection)")
    if schema.geometry is None:
        raise ValidationError.single(
            file, f"kind {schema.kind!r} has no geometry; use CSV, XLSX or Parquet "
            "(该类表没有几何，不能用GeoJSON)")
    problems: list[Problem] = []
    records: list[dict[str, str | None]] = []
    shapes: list[dict[str, Any] | None] = []
    order: dict[str, None] = {}
    for i, feat in enumerate(doc["features"]):
        row = i + 2
        props = feat.get("properties") if isinstance(feat, dict) else None
        props = props if isinstance(props, dict) else {}
        rec: dict[str, str | None] = {str(k): cell_text(v) for k, v in props.items()}
        geom_doc = feat.get("geometry") if isinstance(feat, dict) else None
        geom = None
        if geom_doc is not None:
            try:
                geom = shapely.geometry.shape(geom_doc)
            except Exception as exc:
                problems.append(Problem(file, row, "geometry", None,
                                        f"invalid geometry: {exc} (几何无效)"))
        lon_col, lat_col = ("seat_lon", "seat_lat") if schema.kind == "regions" else ("lon", "lat")
        if schema.geometry == "point" and geom is not None:
            if geom.geom_type != "Point":
                problems.append(Problem(file, row, "geometry", geom.geom_type,
                                        "expected a Point geometry (应为点几何)"))
            else:
                for col, val in ((lon_col, geom.x), (lat_col, geom.y)):
                    text = cell_text(float(val))
                    if rec.get(col) is not None and rec[col] != text:
                        problems.append(Problem(file, row, col, rec[col],
                                                f"property disagrees with the geometry ({text}) "
                                                "(属性与几何坐标不一致)"))
                    rec[col] = text
        elif schema.geometry == "polygon" and geom is not None:
            if geom.geom_type == "Point":
                rec.setdefault(lon_col, cell_text(float(geom.x)))
                rec.setdefault(lat_col, cell_text(float(geom.y)))
            elif geom.geom_type in ("Polygon", "MultiPolygon"):
                if rec.get(lon_col) is None and rec.get(lat_col) is None:
                    pt = geom.representative_point()
                    rec[lon_col], rec[lat_col] = cell_text(pt.x), cell_text(pt.y)
                    if rec.get("seat_approximate") is None:
                        rec["seat_approximate"] = "true"
                if rec.get("area_km2") is None:
                    rec["area_km2"] = cell_text(round(_geodesic_area_km2(geom), 3))
            else:
                problems.append(Problem(file, row, "geometry", geom.geom_type,
                                        "expected a Polygon or MultiPolygon (应为面几何)"))
        for k in rec:
            order.setdefault(k, None)
        records.append(rec)
        shapes.append(geom_doc if geom is not None and isinstance(geom_doc, dict) else None)
    names = list(order)
    frame = pd.DataFrame({n: pd.Series([r.get(n) for r in records], dtype=object) for n in names})
    rows = np.arange(2, len(records) + 2, dtype=np.int64)
    return TextTable(file, frame, rows, problems, geometries=shapes)


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
    return _read_geojson(path, label, schema)


# --------------------------------------------------------------------------- streaming


class _FallbackError(Exception):
    """pyarrow met an irregular CSV row; re-read with the exact (slower) reader."""


def _chunk_from_columns(
    file: str, names: list[tuple[int, str]], columns: list[pa.Array | pa.ChunkedArray],
    rows: np.ndarray[Any, np.dtype[np.int64]],
) -> TextTable:
    cols: dict[str, Any] = {}
    blank = np.ones(len(rows), dtype=bool)
    for (_, name), arr in zip(names, columns, strict=True):
        stripped = pc.utf8_trim_whitespace(_arrow_text(arr))
        cleaned = pc.if_else(pc.equal(stripped, ""), pa.scalar(None, pa.string()), stripped)
        blank &= pc.is_null(cleaned).to_numpy(zero_copy_only=False)
        cols[name] = cleaned
    frame = pd.DataFrame({k: pd.Series(pa.chunked_array([v]) if isinstance(v, pa.Array) else v,
                                       dtype=pd.StringDtype("pyarrow", na_value=np.nan))
                          for k, v in cols.items()})
    if blank.any():
        frame = frame.loc[~blank].reset_index(drop=True)
        rows = rows[~blank]
    return TextTable(file, frame, rows, [], header_checked=False)


def _csv_header(path: Path, codec: str, bom: bool) -> list[str]:
    with path.open("rb") as fh:
        if bom:
            fh.read(3)
        text = io.TextIOWrapper(fh, encoding=codec, newline="")
        return [c.strip() for c in next(csv.reader(text), [])]


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
    try:
        reader = pacsv.open_csv(path, read_options=read, parse_options=parse, convert_options=conv)
        for batch in reader:
            n = batch.num_rows
            if n == 0:
                continue
            rows = np.arange(start, start + n, dtype=np.int64)
            start += n
            yield _chunk_from_columns(file, keep, [batch.column(i) for i, _ in keep], rows)
    except pa.ArrowInvalid as exc:
        if irregular:
            raise _FallbackError from exc
        raise ValidationError.single(file, f"not a readable CSV file: {exc} (CSV格式错误)") from exc


def _iter_csv_exact(path: Path, file: str, codec: str, bom: bool, header: list[str],
                    chunk_rows: int) -> Iterator[TextTable]:
    with path.open("rb") as fh:
        if bom:
            fh.read(3)
        reader = csv.reader(io.TextIOWrapper(fh, encoding=codec, newline=""))
        next(reader, None)
        records: list[list[str | None]] = []
        numbers: list[int] = []
        for number, rec in enumerate(reader, start=2):
            records.append([c.strip() or None for c in rec])
            numbers.append(number)
            if len(records) >= chunk_rows:
                yield _records_to_table(file, records, numbers, header, chunk=True)
                records, numbers = [], []
        if records:
            yield _records_to_table(file, records, numbers, header, chunk=True)


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
        except (pa.ArrowException, OSError) as exc:
            raise ValidationError.single(label, f"not a readable Parquet file: {exc}") from exc
        names = pf.schema_arrow.names
        if not names:
            raise ValidationError.single(label, EMPTY_FILE)
        keep, problems = _header_problems(label, names, [])
        yield TextTable(label, pd.DataFrame({n: pd.Series([], dtype=object) for _, n in keep}),
                        np.zeros(0, dtype=np.int64), problems)
        start = 2
        for batch in pf.iter_batches(batch_size=chunk_rows):
            n = batch.num_rows
            rows = np.arange(start, start + n, dtype=np.int64)
            start += n
            yield _chunk_from_columns(label, keep, [batch.column(i) for i, _ in keep], rows)
        return
    if fmt == "xlsx":
        it = _iter_xlsx(path, label, sheet)
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
    header = _csv_header(path, enc.codec, enc.bom)
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
