"""Write canonical frames as CSV (UTF-8 with BOM), XLSX, Parquet or GeoJSON.

The text forms are the ones the readers accept, so export → import is lossless: floats in
their shortest round-trip decimal form (Python ``repr``, Arrow's cast), integers as digits,
booleans ``true``/``false``, dates ISO ``YYYY-MM-DD``, list cells ``;``-joined, missing
values empty. CSV carries a UTF-8 byte-order mark so that Excel opens Chinese text correctly,
and text cells that a spreadsheet would run as a formula get one leading apostrophe, which the
importer removes again (:mod:`parklink.ingest.csvsafe`).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from parklink.errors import ValidationError
from parklink.ingest.csvsafe import neutralise
from parklink.tables import TableSchema

__all__ = ["arrow_schema", "python_value", "text_value", "write_frame_file"]

_ARROW = {"str": pa.string(), "list": pa.string(), "int": pa.int64(), "float": pa.float64(),
          "bool": pa.bool_(), "date": pa.date32()}


def arrow_schema(schema: TableSchema) -> pa.Schema:
    """The Arrow schema of a canonical table (lists as ';'-joined strings, dates as date32)."""
    return pa.schema([pa.field(c.name, _ARROW[c.type])
                      for c in schema.columns])


def python_value(value: Any, typ: str) -> Any:
    """A canonical cell as a plain Python value of the column type (None when missing)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if typ == "int":
        return int(value)
    if typ == "float":
        return float(value)
    if typ == "bool":
        return bool(value)
    if typ == "date":
        if isinstance(value, dt.datetime | pd.Timestamp):
            return value.date()
        if isinstance(value, dt.date):
            return value
        return dt.date.fromisoformat(str(value))
    return str(value)


def text_value(value: Any, typ: str) -> str:
    """A canonical cell as the text the readers accept ('' when missing)."""
    v = python_value(value, typ)
    if v is None:
        return ""
    if typ == "float":
        return repr(v)
    if typ == "bool":
        return "true" if v else "false"
    if typ == "date":
        return str(v.isoformat())
    return str(v)


def _records(frame: pd.DataFrame, schema: TableSchema) -> list[list[Any]]:
    cols = [[python_value(v, c.type) for v in frame[c.name].tolist()] for c in schema.columns]
    return [list(r) for r in zip(*cols, strict=True)] if cols else []


def _write_csv(frame: pd.DataFrame, schema: TableSchema, path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(schema.names)
        types = [c.type for c in schema.columns]
        for rec in _records(frame, schema):
            writer.writerow([neutralise(text_value(v, t)) if t in ("str", "list")
                             else text_value(v, t) for v, t in zip(rec, types, strict=True)])


def _write_xlsx(frame: pd.DataFrame, schema: TableSchema, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils.exceptions import IllegalCharacterError

    if len(frame) > 1_048_575:
        raise ValidationError.single(path.name, f"{len(frame)} rows do not fit in one Excel sheet "
                                     "(1,048,575 at most); export to .csv or .parquet "
                                     "(行数超出Excel上限)")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(schema.kind)
    ws.append(list(schema.names))
    types = [c.type for c in schema.columns]
    for i, rec in enumerate(_records(frame, schema)):
        cells: list[Any] = []
        for v, t, name in zip(rec, types, schema.names, strict=True):
            if t == "date" and v is not None:
                v = v.isoformat()
            elif t == "float" and v is not None and float(f"{v:.16g}") != v:
                v = repr(v)  # openpyxl writes numbers with 16 digits: keep the exact value as text
            elif t == "int" and v is not None and abs(v) >= 10**15:
                v = str(v)
            try:
                cell = WriteOnlyCell(ws, value=v)
            except IllegalCharacterError as exc:
                raise ValidationError.single(
                    path.name, "value holds a control character that Excel cannot store; "
                    "export to .csv or .parquet (含Excel不支持的控制字符)",
                    row=i + 2, column=name) from exc
            if isinstance(v, str):
                cell.data_type = "s"  # never a formula, even when the text starts with '='
            cells.append(cell)
        ws.append(cells)
    wb.save(path)


def _write_parquet(frame: pd.DataFrame, schema: TableSchema, path: Path) -> None:
    arrays = [pa.array([python_value(v, c.type) for v in frame[c.name].tolist()],
                       type=_ARROW[c.type]) for c in schema.columns]
    pq.write_table(pa.Table.from_arrays(arrays, schema=arrow_schema(schema)), path)


def _write_geojson(frame: pd.DataFrame, schema: TableSchema, path: Path,
                   geometries: Mapping[str, Any] | None) -> None:
    if schema.geometry is None:
        raise ValidationError.single(path.name, f"kind {schema.kind!r} has no geometry; export "
                                     "to .csv, .xlsx or .parquet (该类表没有几何)")
    key = schema.key[0]
    features = []
    for rec in _records(frame, schema):
        props = dict(zip(schema.names, rec, strict=True))
        geometry: Any = None
        if schema.geometry == "point":
            lon, lat = props.pop("lon"), props.pop("lat")
            if lon is not None and lat is not None:
                geometry = {"type": "Point", "coordinates": [lon, lat]}
        elif geometries is not None:
            geometry = geometries.get(str(props[key]))
        if (geometry is None and schema.kind == "regions" and props.get("seat_lon") is not None
                and props.get("seat_lat") is not None):
            geometry = {"type": "Point", "coordinates": [props["seat_lon"], props["seat_lat"]]}
        props = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in props.items()}
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    doc = {"type": "FeatureCollection", "name": schema.kind, "features": features}
    path.write_text(json.dumps(doc, ensure_ascii=False, allow_nan=False), encoding="utf-8")


def write_frame_file(
    frame: pd.DataFrame, schema: TableSchema, path: Path, *,
    geometries: Mapping[str, Any] | None = None,
) -> None:
    """Write a canonical ``frame`` of ``schema`` to ``path``; format from the extension.

    ``geometries`` (GeoJSON geometry dicts by key) give polygons for regions and lines for
    transport links in GeoJSON exports; without them regions get their seat point and links
    a null geometry.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        _write_csv(frame, schema, path)
    elif suffix == ".xlsx":
        _write_xlsx(frame, schema, path)
    elif suffix in (".parquet", ".pq"):
        _write_parquet(frame, schema, path)
    elif suffix in (".geojson", ".json"):
        _write_geojson(frame, schema, path, geometries)
    else:
        raise ValidationError.single(path.name, f"unsupported file type {suffix or '(none)'!r}; "
                                     "use .csv, .xlsx, .parquet or .geojson (不支持的文件类型)")
