"""Issue 12, defects 6-10: numbers, text rules, silent acceptances, importer crashes and CSV
formula neutralisation. Every rejection is checked to be a located ValidationError that
left every table (and the firm folder) byte-for-byte unchanged."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from parklink.errors import Problem, ValidationError
from parklink.ingest import export_file, import_file, read_text_table
from parklink.ingest.transactions import import_transactions_file
from parklink.ingest.writers import text_value, write_frame_file
from parklink.store import session_scope
from parklink.store.io import read_frame
from parklink.tables import SCHEMAS, TRANSACTIONS

IDS = {f"f{i}" for i in range(10)}


def _stored_row(url: str, kind: str) -> dict[str, str]:
    """The first stored row of ``kind`` as the text cells an export writes."""
    with session_scope(url) as session:
        frame = read_frame(session, kind)
    schema = SCHEMAS[kind]
    rec = frame.iloc[0]
    return {c.name: text_value(rec[c.name], c.type) for c in schema.columns}


def _csv(path: Path, kind: str, rows: list[dict[str, str]]) -> Path:
    names = SCHEMAS[kind].names
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(names)
        for r in rows:
            w.writerow([r.get(n, "") for n in names])
    return path


@pytest.fixture
def reject(seeded_url: str, tmp_path: Path, state: Callable[..., str]
           ) -> Callable[..., list[Problem]]:
    """Import expecting rejection; assert nothing changed (hash of every table and of the
    firm folder); return the problems."""

    def _reject(kind: str, path: Path, **kw: Any) -> list[Problem]:
        firms = tmp_path / "firms"
        before = state(seeded_url, firms)
        with pytest.raises(ValidationError) as info:
            import_file(kind, path, session_url=seeded_url, firm_root=firms, **kw)
        assert state(seeded_url, firms) == before
        assert info.value.problems
        for p in info.value.problems:
            assert p.file == path.name and p.reason
        return info.value.problems

    return _reject


def _changed(url: str, kind: str, **cells: str) -> dict[str, str]:
    row = _stored_row(url, kind)
    key = SCHEMAS[kind].key[0]
    if key not in cells and SCHEMAS[kind].column(key).type == "str":
        cells = {key: "zz-new-key", **cells}
    row.update(cells)
    return row


# --------------------------------------------------------------------------- 6. digits


@pytest.mark.parametrize(("kind", "column", "value"), [
    ("enterprises", "employees", "１２"),           # full-width
    ("enterprises", "employees", "١٢"),             # Arabic-Indic
    ("designations", "unknown_members", "１"),
    ("targets", "year", "２０３０"),
    ("targets", "cumulative_parks", "0x10"),        # Arrow's cast would read 16
    ("parks", "lon", "１０４.５"),
    ("parks", "area_km2", "0x1p3"),
    ("parks", "area_km2", "1_000"),
    ("designations", "announced", "２０２０-01-01"),
])
def test_numbers_accept_ascii_digits_only(seeded_url: str, tmp_path: Path,
                                          reject: Callable[..., list[Problem]],
                                          kind: str, column: str, value: str) -> None:
    extra = {"year": "2099"} if kind == "targets" and column != "year" else {}
    path = _csv(tmp_path / f"{kind}.csv", kind, [_changed(seeded_url, kind, **extra,
                                                          **{column: value})])
    problems = reject(kind, path)
    assert [(p.row, p.column, p.value) for p in problems] == [(2, column, value)]


def test_adcode_pattern_is_ascii(seeded_url: str, tmp_path: Path,
                                 reject: Callable[..., list[Problem]]) -> None:
    path = _csv(tmp_path / "regions.csv", "regions",
                [_changed(seeded_url, "regions", adcode="５１９９０５", parent_adcode="")])
    problems = reject("regions", path)
    assert [(p.row, p.column, p.value) for p in problems] == [(2, "adcode", "５１９９０５")]


def test_transaction_year_in_full_width_digits_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "tx.csv"
    path.write_text("supplier_id,buyer_id,year,value_kcny\nf1,f2,２０２０,1\nf1,f3,2020,1\n",
                    encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        import_transactions_file(path, tmp_path / "tx", IDS)
    assert [(p.row, p.column) for p in info.value.problems] == [(2, "year")]
    assert not list((tmp_path / "tx").glob("*.parquet"))


# --------------------------------------------------------------------------- 7. text rules


@pytest.mark.parametrize(("column", "value", "reason"), [
    ("name_zh", "园区\x00名", "control character"),
    ("name_en", "Park\x1b[31m", "control character"),
    ("name_en", "line\nbreak", "control character"),
    ("name_zh", "名" * 201, "at most 200"),
    ("park_id", "p" * 5000, "at most 64"),
    ("industries", "x" * 4001, "at most 4000"),
])
def test_text_characters_and_lengths(seeded_url: str, tmp_path: Path,
                                     reject: Callable[..., list[Problem]],
                                     column: str, value: str, reason: str) -> None:
    path = _csv(tmp_path / "parks.csv", "parks", [_changed(seeded_url, "parks", **{column: value})])
    problems = reject("parks", path)
    assert [(p.row, p.column) for p in problems] == [(2, column)]
    assert reason in problems[0].reason
    assert problems[0].value is not None and len(problems[0].value) <= 201


def test_free_text_allows_line_breaks_and_limits_are_inclusive(seeded_url: str,
                                                               tmp_path: Path) -> None:
    row = _changed(seeded_url, "parks", industries="汽车\n电子\t零部件", name_zh="名" * 200)
    path = _csv(tmp_path / "parks.csv", "parks", [row])
    import_file("parks", path, session_url=seeded_url)
    with session_scope(seeded_url) as session:
        frame = read_frame(session, "parks").set_index("park_id")
    assert frame.loc["zz-new-key", "industries"] == "汽车\n电子\t零部件"
    assert frame.loc["zz-new-key", "name_zh"] == "名" * 200


def test_nul_is_rejected_so_the_xlsx_export_keeps_working(seeded_url: str, tmp_path: Path,
                                                          reject: Callable[..., list[Problem]]
                                                          ) -> None:
    path = _csv(tmp_path / "parks.csv", "parks", [_changed(seeded_url, "parks", name_zh="a\x00b")])
    reject("parks", path)
    assert export_file("parks", tmp_path / "parks.xlsx", session_url=seeded_url) > 0


def test_declared_lengths_match_the_database_columns() -> None:
    from sqlalchemy import String

    from parklink.store.io import KINDS

    for kind, spec in KINDS.items():
        table = spec.model.__table__
        for col in SCHEMAS[kind].columns:
            if col.type not in ("str", "list"):
                continue
            assert col.max_length is not None or col.choices is not None, (kind, col.name)
            name = spec.renames.get(col.name, col.name)
            if name in table.c and isinstance(table.c[name].type, String) \
                    and table.c[name].type.length is not None:
                limit = table.c[name].type.length
                if col.max_length is not None:
                    assert col.max_length <= limit, (kind, col.name)
                else:
                    assert max(map(len, col.choices or ())) <= limit, (kind, col.name)


def test_the_api_validator_applies_the_same_rules(seeded_url: str) -> None:
    from parklink.web.registry import validate_record

    record: dict[str, Any] = dict(_changed(seeded_url, "parks"))
    record["name_zh"] = "a\x00b"
    with session_scope(seeded_url) as session, pytest.raises(ValidationError) as info:
        validate_record(session, "parks", record, creating=True)
    assert [p.column for p in info.value.problems] == ["name_zh"]
    record["name_zh"] = "x" * 201
    with session_scope(seeded_url) as session, pytest.raises(ValidationError) as info:
        validate_record(session, "parks", record, creating=True)
    assert "at most 200" in info.value.problems[0].reason


@pytest.mark.parametrize("length", [100, 101])
def test_lengths_are_checked_identically_on_both_databases(db_url: str, tmp_path: Path,
                                                           length: int) -> None:
    from parklink.store.db import upgrade

    upgrade(db_url)
    row = {"adcode": "510000", "name_zh": "川" * length, "name_en": "Sichuan",
           "level": "province", "province": "SC", "seat_lon": "104.07", "seat_lat": "30.67",
           "seat_approximate": "false", "confidence": "confirmed"}
    path = _csv(tmp_path / "regions.csv", "regions", [row])
    if length == 100:
        assert import_file("regions", path, session_url=db_url).rows == 1
        return
    with pytest.raises(ValidationError) as info:
        import_file("regions", path, session_url=db_url)
    assert [(p.row, p.column) for p in info.value.problems] == [(2, "name_zh")]
    with session_scope(db_url) as session:
        assert len(read_frame(session, "regions")) == 0


# --------------------------------------------------------------------------- 8. silent acceptances


def test_region_as_its_own_parent_and_parent_loops(seeded_url: str, tmp_path: Path,
                                                   reject: Callable[..., list[Problem]]) -> None:
    base = _stored_row(seeded_url, "regions")
    rows = [
        {**base, "adcode": "519901", "parent_adcode": "519901", "level": "city"},
        {**base, "adcode": "519902", "parent_adcode": "519903", "level": "city"},
        {**base, "adcode": "519903", "parent_adcode": "519902", "level": "city"},
    ]
    problems = reject("regions", _csv(tmp_path / "regions.csv", "regions", rows))
    assert [(p.row, p.column) for p in problems] == [(2, "parent_adcode"), (3, "parent_adcode"),
                                                     (4, "parent_adcode")]
    assert "its own row" in problems[0].reason and "loops" in problems[1].reason


def test_child_region_before_its_new_parent_is_accepted(seeded_url: str, tmp_path: Path) -> None:
    base = _stored_row(seeded_url, "regions")
    rows = [
        {**base, "adcode": "519911", "parent_adcode": "519910", "level": "district"},
        {**base, "adcode": "519910", "parent_adcode": "519900", "level": "city"},
        {**base, "adcode": "519900", "parent_adcode": "", "level": "province"},
    ]
    assert import_file("regions", _csv(tmp_path / "regions.csv", "regions", rows),
                       session_url=seeded_url).rows == 3
    with session_scope(seeded_url) as session:
        frame = read_frame(session, "regions").set_index("adcode")
    assert frame.loc["519911", "parent_adcode"] == "519910"


def test_link_from_a_node_to_itself(seeded_url: str, tmp_path: Path,
                                    reject: Callable[..., list[Problem]]) -> None:
    node = _stored_row(seeded_url, "transport_nodes")["node_id"]
    row = {"link_id": "zz-loop", "from_node": node, "to_node": node, "mode": "road",
           "distance_km": "1", "time_h": "1", "cost_cny_per_t": "1", "bidirectional": "true",
           "approximate": "false", "confidence": "synthetic"}
    problems = reject("transport_links", _csv(tmp_path / "links.csv", "transport_links", [row]))
    assert [(p.row, p.column) for p in problems] == [(2, "to_node")]


@pytest.mark.parametrize(("kind", "column", "value", "element"), [
    ("parks", "focus_chains", "auto;auto", "auto"),
    ("zones", "members", "510104;510104", "510104"),
    ("chain_segments", "gbt4754", "3670:E;3670:P", "3670:P"),
])
def test_repeated_list_element(seeded_url: str, tmp_path: Path,
                               reject: Callable[..., list[Problem]],
                               kind: str, column: str, value: str, element: str) -> None:
    path = _csv(tmp_path / f"{kind}.csv", kind, [_changed(seeded_url, kind, **{column: value})])
    problems = reject(kind, path)
    assert [(p.row, p.column) for p in problems] == [(2, column)]
    assert f"list element {element!r}" in problems[0].reason


def test_segment_listing_itself_as_input(seeded_url: str, tmp_path: Path,
                                         reject: Callable[..., list[Problem]]) -> None:
    row = _changed(seeded_url, "chain_segments", segment_id="auto.zz", inputs="auto.zz")
    problems = reject("chain_segments", _csv(tmp_path / "seg.csv", "chain_segments", [row]))
    assert [(p.row, p.column) for p in problems] == [(2, "inputs")]
    assert "own row" in problems[0].reason


def _regions_geojson(path: Path, base: dict[str, str], geometry: Any,
                     crs: Any = None) -> Path:
    props = {k: v for k, v in base.items() if v != ""}
    props.update(adcode="519950", parent_adcode="510000", level="city")
    props.pop("seat_lon", None)
    props.pop("seat_lat", None)
    props.pop("area_km2", None)
    doc: dict[str, Any] = {"type": "FeatureCollection",
                           "features": [{"type": "Feature", "properties": props,
                                         "geometry": geometry}]}
    if crs is not None:
        doc["crs"] = crs
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


@pytest.mark.parametrize(("geometry", "reason"), [
    ({"type": "Polygon", "coordinates": [[[104, 30], [105, 31], [105, 30], [104, 31],
                                          [104, 30]]]}, "not valid"),          # bow tie
    ({"type": "Polygon", "coordinates": [[[104, 30], [105, 30], [105, 31], [104, 31]]]},
     "not closed"),
    ({"type": "Polygon", "coordinates": []}, "empty"),
    ({"type": "Polygon", "coordinates": [[[114, 30], [115, 30], [115, 31], [114, 30]]]},
     "outside"),
    ({"type": "Point", "coordinates": []}, "empty"),
    ({"type": "LineString", "coordinates": [[104, 30], [105, 31]]}, "expected"),
    ({"type": "Polygon"}, "invalid geometry"),
])
def test_geojson_geometry_is_checked(seeded_url: str, tmp_path: Path,
                                     reject: Callable[..., list[Problem]],
                                     geometry: Any, reason: str) -> None:
    path = _regions_geojson(tmp_path / "regions.geojson", _stored_row(seeded_url, "regions"),
                            geometry)
    problems = reject("regions", path)
    located = [p for p in problems if p.column == "geometry"]
    assert located and located[0].row == 2 and reason in located[0].reason, problems


def test_geojson_crs_must_be_wgs84(seeded_url: str, tmp_path: Path,
                                   reject: Callable[..., list[Problem]]) -> None:
    square = {"type": "Polygon", "coordinates": [[[104, 30], [104.5, 30], [104.5, 30.5],
                                                  [104, 30.5], [104, 30]]]}
    base = _stored_row(seeded_url, "regions")
    crs = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    problems = reject("regions", _regions_geojson(tmp_path / "r.geojson", base, square, crs))
    assert [p.column for p in problems] == ["crs"] and "WGS84" in problems[0].reason
    ok = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    assert import_file("regions", _regions_geojson(tmp_path / "r2.geojson", base, square, ok),
                       session_url=seeded_url).rows == 1


def test_parquet_column_without_a_name(seeded_url: str, tmp_path: Path,
                                       reject: Callable[..., list[Problem]]) -> None:
    row = _changed(seeded_url, "targets", year="2099")
    table = pa.table({**{k: [v or None] for k, v in row.items()}, "": ["hidden"]})
    pq.write_table(table, tmp_path / "targets.parquet")
    problems = reject("targets", tmp_path / "targets.parquet")
    assert [(p.row, p.column) for p in problems] == [(1, f"#{len(row) + 1}")]


def test_xlsx_data_outside_the_stated_dimension(seeded_url: str, tmp_path: Path,
                                                reject: Callable[..., list[Problem]]) -> None:
    row = _changed(seeded_url, "targets", year="2099")
    names = list(SCHEMAS["targets"].names)
    wb = Workbook()
    ws = wb.active
    ws.append(names)
    ws.append([row[n] or None for n in names])
    ws.cell(row=2, column=len(names) + 2, value="hidden")
    good = tmp_path / "good.xlsx"
    wb.save(good)
    # a stale <dimension> (as other tools write) that leaves the extra column out
    last = chr(ord("A") + len(names) - 1)
    bad = tmp_path / "targets.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("sheet1.xml"):
                full = chr(ord("A") + len(names) + 1)
                data = data.replace(f'ref="A1:{full}2"'.encode(), f'ref="A1:{last}2"'.encode())
            dst.writestr(info, data)
    problems = reject("targets", bad)
    assert [p.row for p in problems] == [2]
    assert f"row has {len(names) + 1} cells but the header has {len(names)}" in problems[0].reason


def test_xlsx_infinity_is_not_an_empty_cell(seeded_url: str, tmp_path: Path,
                                            reject: Callable[..., list[Problem]]) -> None:
    row = _changed(seeded_url, "parks")
    names = list(SCHEMAS["parks"].names)
    wb = Workbook()
    ws = wb.active
    ws.append(names)
    ws.append([row[n] or None for n in names])
    ws.cell(row=2, column=names.index("area_km2") + 1, value=12345.5)
    src_path = tmp_path / "src.xlsx"
    wb.save(src_path)
    for literal, column in ((b"1e999", "area_km2"), (b"-1E400", "area_km2"), (b"NaN", None)):
        bad = tmp_path / "parks.xlsx"
        with zipfile.ZipFile(src_path) as src, zipfile.ZipFile(bad, "w") as dst:
            for info in src.infolist():
                data = src.read(info)
                if info.filename.endswith("sheet1.xml"):
                    data = data.replace(b"<v>12345.5</v>", b"<v>" + literal + b"</v>")
                dst.writestr(info, data)
        problems = reject("parks", bad)
        # a literal openpyxl cannot even parse is located by its row
        assert [(p.row, p.column) for p in problems] == [(2, column)]
        assert literal.decode() in (problems[0].value or problems[0].reason) or \
            "inf" in str(problems[0].value)


# --------------------------------------------------------------------------- 9. crashes


def _rewrite_xlsx(src: Path, dst: Path, member: str, edit: Callable[[bytes], bytes]) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == member:
                data = edit(data)
            zout.writestr(info, data)
    return dst


@pytest.fixture
def targets_xlsx(seeded_url: str, tmp_path: Path) -> Path:
    row = _changed(seeded_url, "targets", year="2099")
    wb = Workbook()
    ws = wb.active
    names = list(SCHEMAS["targets"].names)
    ws.append(names)
    ws.append([row[n] or None for n in names])
    path = tmp_path / "base.xlsx"
    wb.save(path)
    return path


BOMB = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>')
XXE = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize(("member", "edit"), [
    ("xl/worksheets/sheet1.xml", lambda d: BOMB + d.split(b"?>", 1)[-1].replace(
        b"<t>", b"<t>&lol3;", 1)),
    ("xl/worksheets/sheet1.xml", lambda d: XXE + d.split(b"?>", 1)[-1].replace(
        b"<t>", b"<t>&xxe;", 1)),
    ("xl/workbook.xml", lambda d: XXE + d.split(b"?>", 1)[-1]),
    ("xl/worksheets/sheet1.xml", lambda d: d[: len(d) // 2]),          # broken XML
    ("xl/workbook.xml", lambda d: b"<not-closed"),
])
def test_hostile_or_broken_xlsx_xml(tmp_path: Path, targets_xlsx: Path,
                                    reject: Callable[..., list[Problem]],
                                    member: str, edit: Callable[[bytes], bytes]) -> None:
    bad = _rewrite_xlsx(targets_xlsx, tmp_path / "targets.xlsx", member, edit)
    problems = reject("targets", bad)
    assert len(problems) == 1
    assert ".xlsx" in problems[0].reason and problems[0].row in (None, 1)


def test_damaged_xlsx_zlib_stream(tmp_path: Path, targets_xlsx: Path,
                                  reject: Callable[..., list[Problem]]) -> None:
    data = bytearray(targets_xlsx.read_bytes())
    with zipfile.ZipFile(targets_xlsx) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 2, start + min(info.compress_size, 40)):
        data[i] ^= 0x5A
    bad = tmp_path / "targets.xlsx"
    bad.write_bytes(bytes(data))
    problems = reject("targets", bad)
    assert len(problems) == 1 and problems[0].row is None


def test_xlsx_duration_cell(seeded_url: str, tmp_path: Path,
                            reject: Callable[..., list[Problem]]) -> None:
    row = _changed(seeded_url, "targets", year="2099")
    wb = Workbook()
    ws = wb.active
    names = list(SCHEMAS["targets"].names)
    ws.append(names)
    ws.append([row[n] or None for n in names])
    ws.cell(row=2, column=names.index("cumulative_parks") + 1, value=dt.timedelta(days=3))
    wb.save(tmp_path / "targets.xlsx")
    problems = reject("targets", tmp_path / "targets.xlsx")
    assert [(p.row, p.column) for p in problems] == [(2, "cumulative_parks")]


def test_parquet_nested_map_and_invalid_utf8(seeded_url: str, tmp_path: Path,
                                             reject: Callable[..., list[Problem]]) -> None:
    row = _changed(seeded_url, "targets", year="2099")
    cols: dict[str, pa.Array] = {k: pa.array([v or None], type=pa.string()) for k, v in row.items()}
    cols["note"] = pa.array([b"ok \xff\xfe"], type=pa.binary())
    pq.write_table(pa.table(cols), tmp_path / "targets.parquet")
    problems = reject("targets", tmp_path / "targets.parquet")
    assert [(p.row, p.column) for p in problems] == [(2, "note")]
    assert "UTF-8" in problems[0].reason
    cols["note"] = pa.array([[("k", 1)]], type=pa.map_(pa.string(), pa.int64()))
    cols["source_url"] = pa.array([{"when": dt.date(2020, 1, 1), "raw": b"\x00\xff"}])
    cols["cumulative_parks"] = pa.array([dt.timedelta(days=1)], type=pa.duration("s"))
    pq.write_table(pa.table(cols), tmp_path / "targets.parquet")
    problems = reject("targets", tmp_path / "targets.parquet")
    assert {p.column for p in problems} >= {"cumulative_parks"}
    assert all(p.row is not None for p in problems)


@pytest.mark.parametrize("text", [
    '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"year": '
    + "9" * 5000 + '}, "geometry": null}]}',
    "[" * 100_000 + "]" * 100_000,
    '{"type": "FeatureCollection", "features": [' + "[" * 100_000 + "]" * 100_000 + "]}",
])
def test_geojson_huge_numbers_and_deep_nesting(tmp_path: Path,
                                               reject: Callable[..., list[Problem]],
                                               text: str) -> None:
    path = tmp_path / "parks.geojson"
    path.write_text(text, encoding="utf-8")
    problems = reject("parks", path)
    assert len(problems) == 1 and "GeoJSON" in problems[0].reason


def test_geojson_empty_point(seeded_url: str, tmp_path: Path,
                             reject: Callable[..., list[Problem]]) -> None:
    props = {k: v for k, v in _changed(seeded_url, "parks").items() if v}
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": props, "geometry": {"type": "Point", "coordinates": []}}]}
    path = tmp_path / "parks.geojson"
    path.write_text(json.dumps(doc), encoding="utf-8")
    problems = reject("parks", path)
    assert [(p.row, p.column) for p in problems if p.column == "geometry"] == [(2, "geometry")]


def test_utf16_transactions_csv(tmp_path: Path) -> None:
    body = "supplier_id,buyer_id,year,value_kcny\nf1,f2,2020,1.5\nf2,f3,2021,2\n"
    path = tmp_path / "tx.csv"
    path.write_bytes(body.encode("utf-16"))
    rows, _ = import_transactions_file(path, tmp_path / "tx", IDS)
    assert rows == 2
    table = pq.read_table(tmp_path / "tx")
    assert sorted(table.column("supplier_id").to_pylist()) == ["f1", "f2"]


@pytest.mark.parametrize("data", [
    codecs.BOM_UTF16_LE + "a,b\n".encode("gb18030") + b"\n",       # odd byte count
    codecs.BOM_UTF16_LE + "supplier_id,buyer_id,year,value_kcny\n".encode("utf-16-le")
    + b"\x00\xdc\x00\x00",                                          # lone low surrogate
])
def test_broken_utf16_is_a_file_problem(tmp_path: Path, data: bytes) -> None:
    # found by the fuzz suite: a UTF-16 mark in front of bytes that are not UTF-16
    path = tmp_path / "tx.csv"
    path.write_bytes(data)
    with pytest.raises(ValidationError) as info:
        import_transactions_file(path, tmp_path / "tx", IDS)
    assert ["UTF-16" in p.reason for p in info.value.problems] == [True]


@pytest.mark.parametrize("size", [3 << 20, 200_000])
def test_huge_cell_in_a_transactions_csv(tmp_path: Path, size: int) -> None:
    path = tmp_path / "tx.csv"
    path.write_text("supplier_id,buyer_id,year,value_kcny\nf1,f2,2020,1\n"
                    f"f1,{'x' * size},2021,1\nf2,f3,2020,1\n", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        import_transactions_file(path, tmp_path / "tx", IDS, chunk_rows=2)
    assert 3 in {p.row for p in info.value.problems}
    assert not list((tmp_path / "tx").glob("*.parquet"))


def test_encoding_error_names_its_real_line(tmp_path: Path,
                                            reject: Callable[..., list[Problem]]) -> None:
    lines = [",".join(TRANSACTIONS.names)] + [f"f1,f{i},2020,1" for i in range(5)]
    data = b"\xef\xbb\xbf" + "\n".join(lines).encode() + b"\nf1,\xff\xfe,2020,1\n"
    path = tmp_path / "parks.csv"
    path.write_bytes(data)
    problems = reject("parks", path)
    assert [p.row for p in problems] == [7]
    assert "line 7" in problems[0].reason


# --------------------------------------------------------------------------- 10. CSV formulas


TRIGGERS = "=+-@\t\r"


def test_neutralise_restore_is_a_bijection_on_texts() -> None:
    from parklink.ingest.csvsafe import neutralise, restore

    samples = ["", "x", "'", "''", *TRIGGERS, *(f"'{t}" for t in TRIGGERS),
               *(f"''{t}x" for t in TRIGGERS), "a=b", "-", "'-1", "@@"]
    for s in samples:
        assert restore(neutralise(s)) == s
        assert not neutralise(s).startswith(tuple(TRIGGERS))


@pytest.mark.parametrize("kind", [k for k in SCHEMAS if k != "transactions"])
def test_every_kind_neutralises_formula_text_in_csv(seeded_url: str, tmp_path: Path,
                                                    kind: str) -> None:
    with session_scope(seeded_url) as session:
        frame = read_frame(session, kind).head(4).copy()
    schema = SCHEMAS[kind]
    if frame.empty:  # no stored row of this kind: every other cell empty
        frame = pd.DataFrame({c: [None] * 4 for c in schema.names})
    texts = [c.name for c in schema.columns if c.type in ("str", "list")]
    payloads = ["=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "'=already", "\tx"]
    for j, name in enumerate(texts):
        frame[name] = [payloads[(i + j) % len(payloads)] for i in range(len(frame))]
    path = tmp_path / f"{kind}.csv"
    write_frame_file(frame, schema, path)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        cells = [c for row in list(csv.reader(fh))[1:] for c in row]
    assert cells and not any(c.startswith(tuple(TRIGGERS)) for c in cells if c)
    table = read_text_table(path, schema)
    for name in texts:
        expected = [str(v).strip() for v in frame[name]]
        assert table.frame[name].tolist() == expected, name


def test_transactions_csv_export_is_neutralised_and_round_trips(tmp_path: Path) -> None:
    ids = {"-a1", "@b2", "+c3", "d4"}
    src = tmp_path / "in.csv"
    src.write_text("supplier_id,buyer_id,year,value_kcny\n'-a1,'@b2,2020,1\n'+c3,d4,2021,0\n",
                   encoding="utf-8")
    import_transactions_file(src, tmp_path / "firms" / "transactions", ids)
    out = tmp_path / "out.csv"
    export_file("transactions", out, firm_root=tmp_path / "firms")
    raw = out.read_text(encoding="utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(raw)) for c in row]
    assert not any(c.startswith(tuple(TRIGGERS)) for c in cells if c)
    back = tmp_path / "back"
    import_transactions_file(out, back, ids)
    got = sorted(zip(*[pq.read_table(back).column(c).to_pylist()
                       for c in ("supplier_id", "buyer_id", "year")], strict=True))
    assert got == [("+c3", "d4", 2021), ("-a1", "@b2", 2020)]


def test_openpyxl_parses_workbook_parts_with_defusedxml() -> None:
    import openpyxl.xml
    import openpyxl.xml.functions as functions

    assert openpyxl.xml.DEFUSEDXML
    assert functions.fromstring.__module__.startswith("defusedxml")



def test_signed_integers_parse(tmp_path: Path) -> None:
    # found by the slow fuzz run: '+7' matched the integer pattern but Arrow refused it
    path = tmp_path / "tx.csv"
    path.write_text("supplier_id,buyer_id,year,value_kcny\nf1,f2,+2020,+1\nf1,f3,2021.00,.5\n",
                    encoding="utf-8")
    assert import_transactions_file(path, tmp_path / "tx", IDS)[0] == 2
    table = pq.read_table(tmp_path / "tx")
    assert sorted(zip(table.column("year").to_pylist(), table.column("value_kcny").to_pylist(),
                      strict=True)) == [(2020, 1.0), (2021, 0.5)]
