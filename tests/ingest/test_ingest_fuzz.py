"""Import fuzz suite (issue 12): hypothesis-driven mutations of the project's own exports.

For every kind × format (CSV UTF-8 with BOM, CSV GB18030, XLSX, Parquet, GeoJSON for kinds
with geometry) a valid base file of new rows is written by the project's exporter from the
seeded registry; hypothesis then draws mutations of it — cell values from the defect
classes of issue 12 (full-width/Arabic-Indic digits, hex, inf/NaN, NUL and control
characters, over-long text, formula prefixes, repeated list elements, self references),
structural changes (dropped, duplicated, unnamed and extra columns, ragged and duplicated
rows), format-level damage (truncation, flipped bytes, hostile XML, broken zlib streams,
binary/map/nested Parquet columns, bad geometries, deep nesting, huge numbers, a foreign
``crs``) — and imports the result into a real SQLite registry and firm folder.

Criteria for every generated file: the import either succeeds or raises the project's
:class:`ValidationError` (any other exception fails the test); every problem names the file
and has a reason, and row-level problems a row ≥ 1; on rejection a SHA-256 over every row of
every table and over every file of the firm folder is unchanged. A success is undone by
restoring the template database and firm folder.

The default run draws a fast subset; ``-m slow`` (``PARKLINK_FUZZ_EXAMPLES``, default 140 per
kind × format, ≥ 5,000 files in all) is the long run. ``FUZZ_COUNT`` counts the files.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import sqlite3
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from parklink.errors import ValidationError
from parklink.ingest import import_file
from parklink.ingest.readers import TextTable
from parklink.ingest.validate import validate_table
from parklink.ingest.writers import text_value, write_frame_file
from parklink.store import session_scope
from parklink.store.db import get_engine
from parklink.store.io import read_frame
from parklink.tables import SCHEMAS, TRANSACTIONS, TableSchema

# the grids are built from the default registry's rows: co-construction kinds the default
# ships empty (no sourced rows) have none (their rules: tests/coconstruction, property tests)
# (likewise the SME kinds, seeded only by `parklink sme seed`; their rules: tests/sme)
_EMPTY_BY_DEFAULT = {"sharing_realised", "smart_recognitions", "maturity_assessments", "platforms",
                     "sme_profiles", "service_providers", "service_offers", "supply_demand"}
KINDS = [k for k in SCHEMAS if k not in _EMPTY_BY_DEFAULT]
FORMATS = ["csv", "csv-gb18030", "xlsx", "parquet", "geojson"]
CASES = [(k, f) for k in KINDS for f in FORMATS
         if f != "geojson" or (SCHEMAS[k].geometry is not None and k != "transport_links")]
FAST_EXAMPLES = 2
SLOW_EXAMPLES = int(os.environ.get("PARKLINK_FUZZ_EXAMPLES", "140"))
FUZZ_COUNT = {"files": 0, "accepted": 0, "rejected": 0}

# ------------------------------------------------------------------ values of the defect classes

NASTY = [
    "１２", "١٢", "٣", "0x10", "0b11", "1_000", "inf", "-inf", "NaN", "1e999", "-0", "+7", " 3 ",
    "2020.0", "2020.5", "９", "", " ", "\x00", "a\x00b", "\x07bell", "tab\there", "line\nbreak",
    "cr\rx", "\x85nel", "\ufeffbom", "\u200bzw", "\ufffe", "x" * 65, "名" * 201, "y" * 5000,
    "=1+1", "+cmd", "-2", "@SUM(A1)", "'=x", "''+y", "\t=z", "auto;auto", ";", ";;", "a;;b",
    "3670:E;3670:P", "true", "是", "否", "TRUE", "2020-02-30", "2020-01-01T00:00", "１９９９-01-01",
    "\U0001f600", "NULL", "None", "nan", "510000", "510100;510100", "🙂;🙂", "\\", "\"", "'",
]


def _grid(kind: str, url: str, n: int = 5) -> list[list[str]]:
    """Header + ``n`` rows of new, valid records of ``kind`` built from stored rows (keys
    renamed so that an append import of the unmutated grid succeeds)."""
    schema = SCHEMAS[kind]
    if kind == TRANSACTIONS.kind:
        with session_scope(url) as session:
            ids = sorted(read_frame(session, "enterprises")["enterprise_id"].astype(str))
        rows = [[ids[i], ids[i + 1], str(2090 + i), f"{i + 1}.25"] for i in range(n)]
        return [list(schema.names), *rows]
    if kind == "transport_links":
        with session_scope(url) as session:
            nodes = sorted(read_frame(session, "transport_nodes")["node_id"].astype(str))
        rows = [[f"fz-link-{i}", nodes[i], nodes[i + 1], "road", f"{10 + i}.5", "0.5", "12",
                 "true", "false", "synthetic", ""][: len(schema.names)] for i in range(n)]
        names = list(schema.names)
        return [names, *[[dict(zip(["link_id", "from_node", "to_node", "mode", "distance_km",
                                    "time_h", "cost_cny_per_t", "bidirectional", "approximate",
                                    "confidence"], r, strict=False)).get(c, "") for c in names]
                         for r in rows]]
    if kind in _DERIVED_KEYS:
        return _promotion_grid(kind, url, n)
    with session_scope(url) as session:
        frame = read_frame(session, kind).head(n).reset_index(drop=True)
    rows = []
    for i in range(len(frame)):
        rec = {c.name: text_value(frame.at[i, c.name], c.type) for c in schema.columns}
        if kind == "regions":
            rec["adcode"] = f"5999{i:02d}"
        elif kind == "targets":
            rec["year"] = str(2090 + i)
        elif kind == "monitoring_indicators":
            rec["indicator_id"] = f"{rec['indicator_id']}_fz{i}"
        elif kind == "indicator_values":  # the key spells park:indicator:period
            rec["period"] = str(2090 + i)
            rec["value_id"] = f"{rec['park_id']}:{rec['indicator_id']}:{rec['period']}"
        else:
            key = schema.key[0]
            rec[key] = f"{rec[key]}-fz{i}"
        if kind == "chain_segments":
            rec["inputs"] = ""
        rows.append([rec[c] for c in schema.names])
    return [list(schema.names), *rows]


#: Promotion kinds whose key is derived from other columns (checked by their row checks).
_DERIVED_KEYS = ("plan_goals", "plan_targets", "stage_events", "project_funds")


def _promotion_grid(kind: str, url: str, n: int) -> list[list[str]]:
    """New, valid rows of a promotion kind with a derived key: goals for far years, targets
    of a stored plan, a next stage event of projects still at 'lead', far-dated funds."""
    schema = SCHEMAS[kind]
    with session_scope(url) as session:
        plans = read_frame(session, "promotion_plans")["plan_id"].astype(str).tolist()
        segs = read_frame(session, "chain_segments")["segment_id"].astype(str).tolist()
        ev = read_frame(session, "stage_events")
        projects = sorted(read_frame(session, "projects")["project_id"].astype(str))
    recs: list[dict[str, str]] = []
    for i in range(n):
        if kind == "plan_goals":
            recs.append({"goal_id": f"{plans[0]}:{2090 + i}", "plan_id": plans[0], "year": str(2090 + i),
                         "projects": "3", "signed_investment_cny_m": "100.5", "funds_in_place_cny_m": "20"})
        elif kind == "plan_targets":
            recs.append({"target_id": f"{plans[0]}:{segs[i]}:FZ{i}", "plan_id": plans[0], "segment_id": segs[i],
                         "enterprise_id": f"FZ{i}", "enterprise_name": f"测试企业{i}", "rank": str(i + 1),
                         "score": "0.5", "reason": "fuzz", "model_version": "chains.targets/fuzz",
                         "status": "ranked"})
        elif kind == "stage_events":
            only_lead = sorted(set(ev["project_id"]) - set(ev.loc[ev["stage"] != "lead", "project_id"]))
            pid = only_lead[i]
            recs.append({"stage_event_id": f"{pid}:negotiating", "project_id": pid, "stage": "negotiating",
                         "on_date": "2099-01-01", "recorded_by": "fuzz", "source": "fuzz"})
        else:
            pid = projects[i]
            recs.append({"fund_id": f"{pid}:2099-01-0{i + 1}", "project_id": pid, "on_date": f"2099-01-0{i + 1}",
                         "amount_cny_m": "1.5", "use": "unknown", "source": "fuzz"})
    return [list(schema.names), *[[r.get(c, "") for c in schema.names] for r in recs]]


# ------------------------------------------------------------------ serialisers


def _typed(kind: str, grid: list[list[str]]) -> list[list[Any]]:
    """Cells as the exporter would type them (numbers, booleans) where the text parses."""
    schema = SCHEMAS[kind]
    types = {c.name: c.type for c in schema.columns}
    out: list[list[Any]] = [grid[0]]
    for row in grid[1:]:
        cells: list[Any] = []
        for name, v in zip(grid[0], row, strict=False):
            t = types.get(name)
            try:
                if t == "int" and v.lstrip("-").isascii() and v.lstrip("-").isdigit():
                    cells.append(int(v))
                elif t == "float" and v and v.isascii() and float(v) == float(v):
                    cells.append(float(v))
                elif t == "bool" and v in ("true", "false"):
                    cells.append(v == "true")
                else:
                    cells.append(v if v != "" else None)
            except ValueError:
                cells.append(v)
        cells.extend(row[len(grid[0]):])
        out.append(cells)
    return out


def _write_csv(grid: list[list[str]], path: Path, encoding: str) -> None:
    buf = io.StringIO()
    csv.writer(buf).writerows(grid)
    text = buf.getvalue()
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8", errors="surrogatepass")
    path.write_bytes(data)


def _write_xlsx(kind: str, grid: list[list[str]], path: Path) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils.exceptions import IllegalCharacterError

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(kind)
    for row in _typed(kind, grid):
        cells = []
        for v in row:
            try:
                cells.append(WriteOnlyCell(ws, value=v))
            except (IllegalCharacterError, ValueError):
                cells.append(WriteOnlyCell(ws, value=repr(v)))
        ws.append(cells)
    wb.save(path)


def _write_parquet(kind: str, grid: list[list[str]], path: Path, typed: bool) -> None:
    header = [str(h) for h in grid[0]]
    rows = _typed(kind, grid)[1:] if typed else grid[1:]
    arrays: list[pa.Array] = []
    for j in range(len(header)):
        col = [r[j] if j < len(r) else None for r in rows]
        try:
            arrays.append(pa.array(col))
        except (pa.ArrowException, UnicodeEncodeError, OverflowError):
            arrays.append(pa.array([None if v is None else repr(v) for v in col], pa.string()))
    pq.write_table(pa.Table.from_arrays(arrays, names=header), path)


def _write_geojson(kind: str, grid: list[list[str]], path: Path) -> None:
    schema = SCHEMAS[kind]
    header = grid[0]
    features = []
    for row in _typed(kind, grid)[1:]:
        props = {str(h): v for h, v in zip(header, row, strict=False)}
        geometry: Any = None
        if schema.geometry == "point":
            lon, lat = props.pop("lon", None), props.pop("lat", None)
            geometry = {"type": "Point", "coordinates": [lon, lat]}
        elif kind == "regions":
            x, y = props.get("seat_lon"), props.get("seat_lat")
            if isinstance(x, float) and isinstance(y, float):
                d = 0.05
                geometry = {"type": "Polygon", "coordinates": [[[x - d, y - d], [x + d, y - d],
                                                                [x + d, y + d], [x - d, y + d],
                                                                [x - d, y - d]]]}
        features.append({"type": "Feature", "properties": props, "geometry": geometry})
    doc = {"type": "FeatureCollection", "features": features}
    path.write_text(json.dumps(doc, ensure_ascii=False, default=str), encoding="utf-8",
                    errors="surrogatepass")


def write(kind: str, fmt: str, grid: list[list[str]], folder: Path, typed: bool = True) -> Path:
    """Write ``grid`` as a file of ``fmt``."""
    ext = {"csv": "csv", "csv-gb18030": "csv", "xlsx": "xlsx", "parquet": "parquet",
           "geojson": "geojson"}[fmt]
    path = folder / f"{kind}.{ext}"
    if fmt == "csv":
        _write_csv(grid, path, "utf-8-sig")
    elif fmt == "csv-gb18030":
        _write_csv(grid, path, "gb18030")
    elif fmt == "xlsx":
        _write_xlsx(kind, grid, path)
    elif fmt == "parquet":
        _write_parquet(kind, grid, path, typed)
    else:
        _write_geojson(kind, grid, path)
    return path


# ------------------------------------------------------------------ mutations


def _cell_value(schema: TableSchema) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NASTY),
        st.text(max_size=12),
        st.text(st.characters(codec="utf-8"), min_size=1, max_size=4),
        st.integers(-(10**20), 10**20).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )


@st.composite
def grid_mutation(draw: st.DrawFn, kind: str, grid: list[list[str]]) -> list[list[str]]:
    """One to three cell or structural mutations of ``grid`` (a copy)."""
    schema = SCHEMAS[kind]
    g = [list(r) for r in grid]
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.sampled_from(["cell", "cell", "cell", "self", "copy_key", "drop_col",
                                   "dup_col", "blank_header", "extra_col", "ragged",
                                   "dup_row", "no_rows", "rename"]))
        width = len(g[0])
        rows = len(g) - 1
        if op == "cell" and rows:
            i, j = draw(st.integers(1, rows)), draw(st.integers(0, width - 1))
            while len(g[i]) <= j:
                g[i].append("")
            g[i][j] = draw(_cell_value(schema))
        elif op == "self" and rows:  # a reference column names the row's own key
            refs = [c.name for c in schema.columns if c.ref and c.name in g[0]]
            key = schema.key[0]
            if refs and key in g[0]:
                i = draw(st.integers(1, rows))
                g[i][g[0].index(draw(st.sampled_from(refs)))] = g[i][g[0].index(key)]
        elif op == "copy_key" and rows >= 2:
            key = schema.key[0]
            if key in g[0]:
                j = g[0].index(key)
                g[2][j] = g[1][j]
        elif op == "drop_col" and width > 1:
            j = draw(st.integers(0, width - 1))
            g = [r[:j] + r[j + 1:] for r in g]
        elif op == "dup_col":
            j = draw(st.integers(0, width - 1))
            g = [[*r, r[j] if j < len(r) else ""] for r in g]
        elif op == "blank_header":
            g[0][draw(st.integers(0, width - 1))] = ""
        elif op == "extra_col":
            name = draw(st.sampled_from(["", "extra", "name_zh ", "Name_ZH", "\x00"]))
            g = [g[0] + [name]] + [[*r, draw(st.sampled_from(["", "v", "1"]))] for r in g[1:]]
        elif op == "ragged" and rows:
            i = draw(st.integers(1, rows))
            g[i] = g[i] + ["spill"] if draw(st.booleans()) else g[i][:-1]
        elif op == "dup_row" and rows:
            g.append(list(g[draw(st.integers(1, rows))]))
        elif op == "no_rows":
            g = g[:1]
        elif op == "rename":
            j = draw(st.integers(0, width - 1))
            g[0][j] = draw(st.sampled_from(["１２", g[0][j].upper(), g[0][j] + "\x00", "#"]))
    return g


XML_ATTACKS = [
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>',
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/hostname">]>',
    b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "http://127.0.0.1:9/x.dtd">',
]


def _pos(draw: st.DrawFn, n: int) -> int:
    """A position in ``range(n)`` (0 when empty) drawn with constraints that do not depend on
    ``n``: file sizes vary between replays (XLSX stores its save time), hypothesis's
    choices must not."""
    return draw(st.integers(0, 2**32)) % n if n > 0 else 0


def _bytes_mutation(data: bytes, draw: st.DrawFn) -> bytes:
    op = draw(st.sampled_from(["truncate", "flip", "insert", "empty", "bom"]))
    if op == "truncate":
        return data[: _pos(draw, len(data))]
    if op == "flip" and data:
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            i = _pos(draw, len(out))
            out[i] = draw(st.integers(0, 255))
        return bytes(out)
    if op == "insert":
        i = _pos(draw, len(data) + 1)
        return data[:i] + draw(st.binary(min_size=1, max_size=16)) + data[i:]
    if op == "bom":
        return draw(st.sampled_from([b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"])) + data
    return b""


def _xlsx_mutation(path: Path, draw: st.DrawFn) -> None:
    with zipfile.ZipFile(path) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    name = sorted(members)[_pos(draw, len(members))]
    op = draw(st.sampled_from(["xml_attack", "xml_cut", "raw_damage", "drop_member", "value"]))
    if op == "xml_attack":
        body = members[name].split(b"?>", 1)[-1]
        members[name] = draw(st.sampled_from(XML_ATTACKS)) + body
    elif op == "xml_cut":
        members[name] = members[name][: _pos(draw, len(members[name]) + 1)]
    elif op == "drop_member":
        members.pop(name)
    elif op == "value":
        sheet = next((m for m in members if m.startswith("xl/worksheets/")), None)
        if sheet is not None and b"<v>" in members[sheet]:
            lit = draw(st.sampled_from([b"1e999", b"NaN", b"INF", b"-", b"0x10", b"", b"1e-400"]))
            members[sheet] = members[sheet].replace(b"<v>", b"<v>" + lit, 1)
    if op == "raw_damage":
        data = bytearray(path.read_bytes())
        for _ in range(draw(st.integers(1, 6))):
            i = _pos(draw, len(data))
            data[i] ^= draw(st.integers(1, 255))
        path.write_bytes(bytes(data))
        return
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, d in members.items():
            zf.writestr(n, d)


def _parquet_mutation(kind: str, grid: list[list[str]], path: Path, draw: st.DrawFn) -> None:
    header = [str(h) for h in grid[0]]
    n = len(grid) - 1
    j = draw(st.integers(0, len(header) - 1))
    odd = draw(st.sampled_from([
        pa.array([b"\xff\xfe bad"] * n, pa.binary()),
        pa.array([b"ok"] * n, pa.binary()),
        pa.array([[("k", 1)]] * n, pa.map_(pa.string(), pa.int64())),
        pa.array([{"a": 1, "b": [1, 2]}] * n),
        pa.array([[1, 2]] * n),
        pa.array([86400] * n, pa.duration("s")),
        pa.array([10**18] * n, pa.int64()),
        pa.array([float("inf")] * n),
        pa.array([None] * n, pa.null()),
        pa.array(["x"] * n).dictionary_encode(),
        pa.array([True] * n),
    ]))
    names: list[str] = []
    arrays: list[pa.Array] = []
    for k, name in enumerate(header):
        col = odd if k == j else pa.array([r[k] if k < len(r) else None for r in grid[1:]],
                                         pa.string())
        names.append(name)
        arrays.append(col)
    if draw(st.booleans()):
        names.append(draw(st.sampled_from(["", " ", header[0]])))
        arrays.append(pa.array(["v"] * n, pa.string()))
    pq.write_table(pa.Table.from_arrays(arrays, names=names), path)


def _geojson_mutation(path: Path, draw: st.DrawFn) -> None:
    doc = json.loads(path.read_text(encoding="utf-8", errors="surrogatepass"))
    op = draw(st.sampled_from(["geometry", "crs", "nest", "bigint", "shape", "props"]))
    feats = doc.get("features") or [{}]
    i = draw(st.integers(0, len(feats) - 1))
    if op == "geometry":
        feats[i]["geometry"] = draw(st.sampled_from([
            {"type": "Point", "coordinates": []},
            {"type": "Point", "coordinates": ["104", 30]},
            {"type": "Polygon", "coordinates": [[[104, 30], [105, 31], [105, 30], [104, 31],
                                                 [104, 30]]]},
            {"type": "Polygon", "coordinates": [[[104, 30], [105, 30], [105, 31]]]},
            {"type": "Polygon", "coordinates": [[[120, 30], [121, 30], [121, 31], [120, 30]]]},
            {"type": "MultiPolygon", "coordinates": [[]]},
            {"type": "LineString", "coordinates": [[104, 30], [105, 31]]},
            {"type": "GeometryCollection", "geometries": []},
            {"type": "Nope"}, {"coordinates": [1, 2]}, [], "POINT(1 2)", 7,
        ]))
    elif op == "crs":
        doc["crs"] = draw(st.sampled_from([
            {"type": "name", "properties": {"name": "EPSG:3857"}},
            {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
            "EPSG:4326", {"type": "link"},
        ]))
    elif op == "props":
        feats[i]["properties"] = draw(st.sampled_from([None, [], "x", {"": 1}, {"a": {"b": [1]}}]))
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8",
                    errors="surrogatepass")
    if op == "nest":
        depth = draw(st.sampled_from([1000, 100_000]))
        path.write_text('{"type": "FeatureCollection", "features": [' + "[" * depth
                        + "]" * depth + "]}", encoding="utf-8")
    elif op == "bigint":
        text = path.read_text(encoding="utf-8", errors="surrogatepass")
        path.write_text(text.replace("2", "9" * draw(st.sampled_from([20, 400, 5000])), 1),
                        encoding="utf-8", errors="surrogatepass")
    elif op == "shape":
        path.write_text(draw(st.sampled_from(["[]", "{}", "null", '{"type": "Feature"}',
                                              '{"type": "FeatureCollection", "features": {}}'])),
                        encoding="utf-8")


def export_base(kind: str, fmt: str, grid: list[list[str]], folder: Path) -> Path:
    """The project's own export (``write_frame_file``) of the canonical frame of ``grid``."""
    schema = SCHEMAS[kind]
    table = TextTable("grid", pd.DataFrame(grid[1:], columns=grid[0], dtype=object),
                      np.arange(2, len(grid) + 1, dtype=np.int64))
    checked = validate_table(table, schema)
    # references to stored rows are not known here (the import checks them)
    assert all(p.reason.startswith("unknown ") for p in checked.problems), checked.problems
    ext = "csv" if fmt.startswith("csv") else fmt
    path = folder / f"export-{kind}.{ext}"
    write_frame_file(checked.frame, schema, path)
    if fmt == "csv-gb18030":
        path.write_bytes(path.read_text(encoding="utf-8-sig").encode("gb18030"))
    return path


@st.composite
def fuzzed_file(draw: st.DrawFn, kind: str, fmt: str, grid: list[list[str]],
                base: Path, folder: Path) -> Path:
    """A mutated file: either the project's export ``base`` damaged at the format or byte
    level, or a mutated grid written in ``fmt`` (then sometimes damaged too)."""
    if draw(st.integers(0, 3)) == 0:
        path = folder / f"{kind}{base.suffix}"
        shutil.copy(base, path)
        g = grid
        layer = draw(st.sampled_from(["format", "bytes"]))
    else:
        g = draw(grid_mutation(kind, grid))
        path = write(kind, fmt, g, folder, typed=draw(st.booleans()))
        layer = draw(st.sampled_from(["none", "none", "format", "bytes"]))
    if layer == "format":
        if fmt == "xlsx":
            _xlsx_mutation(path, draw)
        elif fmt == "parquet":
            _parquet_mutation(kind, g if len(g) > 1 else grid, path, draw)
        elif fmt == "geojson":
            _geojson_mutation(path, draw)
        else:
            text = path.read_bytes()
            path.write_bytes(text.replace(b",", draw(st.sampled_from([b";", b"\t", b",,"])), 1))
    elif layer == "bytes":
        path.write_bytes(_bytes_mutation(path.read_bytes(), draw))
    return path


# ------------------------------------------------------------------ the registry under test


def fast_state(db: Path, firms: Path) -> str:
    """SHA-256 of every row of every table (ordered by rowid / primary key) and of every
    file of the firm folder (the SQLite reading of ``conftest.state_hash``, faster)."""
    digest = hashlib.sha256()
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        for t in tables:
            digest.update(f"\x00{t}\x00".encode())
            cols = [r[1] for r in con.execute(f'PRAGMA table_info("{t}")')]
            order = ", ".join(f'"{c}"' for c in cols)
            for row in con.execute(f'SELECT * FROM "{t}" ORDER BY {order}'):  # noqa: S608
                digest.update(repr(row).encode())
    finally:
        con.close()
    for p in sorted(firms.rglob("*")):
        digest.update(str(p.relative_to(firms)).encode())
        if p.is_file():
            digest.update(p.read_bytes())
    return digest.hexdigest()


@dataclass
class Registry:
    """A private SQLite registry and firm folder, restorable from their templates."""

    db: Path
    firms: Path
    template_db: Path
    template_firms: Path
    clean: str = ""

    @property
    def url(self) -> str:
        return f"sqlite:///{self.db}"

    def restore(self) -> None:
        get_engine(self.url).dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.db}{suffix}").unlink(missing_ok=True)
        shutil.copy(self.template_db, self.db)
        shutil.rmtree(self.firms, ignore_errors=True)
        shutil.copytree(self.template_firms, self.firms)
        self.clean = fast_state(self.db, self.firms)


@pytest.fixture(scope="module")
def templates(_template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The seeded registry and a firm folder holding a few transactions."""
    folder = tmp_path_factory.mktemp("fuzz-templates")
    db = folder / "db.sqlite"
    shutil.copy(_template_db, db)
    firms = folder / "firms"
    (firms / "transactions").mkdir(parents=True)
    url = f"sqlite:///{db}"
    # monitoring indicators (embedded definitions) and a few values, to mutate like other kinds
    from parklink.monitoring.defaults import DEFAULTS_FILE

    import_file("monitoring_indicators", DEFAULTS_FILE, session_url=url, mode="upsert")
    with session_scope(url) as session:
        park_ids = sorted(read_frame(session, "parks")["park_id"].astype(str))[:6]
    values = folder / "values.csv"
    _write_csv([["value_id", "park_id", "indicator_id", "period", "value", "confidence"],
                *[[f"{p}:tax:2024", p, "tax", "2024", f"{100 + i}.5", "synthetic"] for i, p in enumerate(park_ids)]],
               values, "utf-8")
    import_file("indicator_values", values, session_url=url, mode="upsert")
    grid = _grid("transactions", url)
    src = folder / "tx.csv"
    _write_csv([grid[0], *[[r[0], r[1], "2050", "1"] for r in grid[1:]]], src, "utf-8")
    import_file("transactions", src, session_url=url, firm_root=firms)
    get_engine(url).dispose()
    return db, firms


@pytest.fixture
def registry(templates: tuple[Path, Path], tmp_path: Path) -> Iterator[Registry]:
    reg = Registry(tmp_path / "db.sqlite", tmp_path / "firms", *templates)
    reg.restore()
    yield reg
    get_engine(reg.url).dispose()


def check_import(reg: Registry, kind: str, path: Path) -> bool:
    """Import ``path``; assert the criteria; True when it was accepted (then restore)."""
    FUZZ_COUNT["files"] += 1
    try:
        import_file(kind, path, session_url=reg.url, firm_root=reg.firms)
    except ValidationError as exc:
        FUZZ_COUNT["rejected"] += 1
        assert exc.problems, "a rejection names at least one problem"
        for p in exc.problems:
            assert p.file == path.name, p
            assert p.reason.strip(), p
            assert p.row is None or p.row >= 1, p
        assert str(exc)  # the summary renders
        assert fast_state(reg.db, reg.firms) == reg.clean, "a rejected file changed the store"
        return False
    FUZZ_COUNT["accepted"] += 1
    reg.restore()
    return True


def _run(reg: Registry, kind: str, fmt: str, folder: Path, examples: int) -> None:
    grid = _grid(kind, reg.url)
    exports = folder.parent / "exports"
    exports.mkdir()
    base = export_base(kind, fmt, grid, exports)
    assert check_import(reg, kind, base), "the unmutated export must import"
    assert check_import(reg, kind, write(kind, fmt, grid, folder)), "the unmutated grid too"

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                     HealthCheck.function_scoped_fixture])
    @given(data=st.data())
    def body(data: st.DataObject) -> None:
        for p in folder.iterdir():
            p.unlink()
        path = data.draw(fuzzed_file(kind, fmt, grid, base, folder))
        check_import(reg, kind, path)

    body()


@pytest.mark.parametrize(("kind", "fmt"), CASES)
def test_fuzz_fast(registry: Registry, tmp_path: Path, kind: str, fmt: str) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    _run(registry, kind, fmt, folder, FAST_EXAMPLES)


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "fmt"), CASES)
def test_fuzz_slow(registry: Registry, tmp_path: Path, kind: str, fmt: str) -> None:
    folder = tmp_path / "files"
    folder.mkdir()
    _run(registry, kind, fmt, folder, SLOW_EXAMPLES)


def test_fuzz_harness_detects_a_write(registry: Registry, tmp_path: Path) -> None:
    """The state hash sees a single changed cell and a single new firm file."""
    con = sqlite3.connect(registry.db)
    con.execute("UPDATE park SET name_en = name_en || '.' WHERE rowid = "
                "(SELECT min(rowid) FROM park)")
    con.commit()
    con.close()
    assert fast_state(registry.db, registry.firms) != registry.clean
    registry.restore()
    (registry.firms / "transactions" / "x.parquet").write_bytes(b"")
    assert fast_state(registry.db, registry.firms) != registry.clean


@pytest.fixture(scope="module", autouse=True)
def _report_count() -> Iterator[None]:
    """Print (and with ``PARKLINK_FUZZ_REPORT`` write) how many files were generated."""
    yield
    line = (f"fuzz files: {FUZZ_COUNT['files']} (accepted {FUZZ_COUNT['accepted']}, "
            f"rejected {FUZZ_COUNT['rejected']})")
    print(f"\n{line}")
    if report := os.environ.get("PARKLINK_FUZZ_REPORT"):
        Path(report).write_text(line + "\n", encoding="utf-8")
