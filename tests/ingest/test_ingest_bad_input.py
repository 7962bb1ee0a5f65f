"""One test per class of bad input: the exact problem (file, row, column, value, reason) is
reported and nothing is written to the registry (real SQLite, seeded by the store)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook

from parklink.errors import Problem, ValidationError
from parklink.ingest import import_file
from parklink.store import session_scope
from parklink.store.io import read_frame

HEADER = ("park_id,name_zh,name_en,province,adcode,lon,lat,location_approximate,area_km2,"
          "level,kind,area_types,focus_chains,industries,source_url,confidence")
GOOD = "test-park,测试园区,Test Park,SC,510112,104.27,30.56,true,10.5,provincial,industrial_park,adjacent,auto,,,synthetic"


def _row(**change: str) -> str:
    """The good row with some cells changed."""
    names = HEADER.split(",")
    cells = dict(zip(names, GOOD.split(","), strict=True))
    cells.update(change)
    return ",".join(cells[n] for n in names)


def _csv(tmp_path: Path, *lines: str, name: str = "parks.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


@pytest.fixture
def reject(seeded_url: str, counts: Callable[[str], dict[str, int]]
           ) -> Callable[..., list[Problem]]:
    """Import expecting rejection; assert the registry is unchanged; return the problems."""

    def _reject(kind: str, path: Path, **kw: object) -> list[Problem]:
        before = counts(seeded_url)
        with pytest.raises(ValidationError) as info:
            import_file(kind, path, session_url=seeded_url, **kw)  # type: ignore[arg-type]
        assert counts(seeded_url) == before
        return info.value.problems

    return _reject


def test_missing_required_column(tmp_path: Path, reject: Callable[..., list[Problem]]) -> None:
    header = HEADER.replace(",level,", ",")
    row = GOOD.replace(",provincial,", ",")
    path = _csv(tmp_path, header, row)
    assert reject("parks", path) == [
        Problem("parks.csv", 1, "level", None, "required column is missing (缺少必填列)")
    ]


def test_unknown_column_is_an_error_with_a_hint(tmp_path: Path,
                                                reject: Callable[..., list[Problem]]) -> None:
    path = _csv(tmp_path, HEADER.replace("industries", "industry"), GOOD)
    assert reject("parks", path) == [
        Problem("parks.csv", 1, "industry", None, "unknown column (未知列); did you mean 'industries'?")
    ]


def test_unknown_enum_value(tmp_path: Path, reject: Callable[..., list[Problem]]) -> None:
    path = _csv(tmp_path, HEADER, GOOD, _row(park_id="p2", province="XZ"))
    assert reject("parks", path) == [
        Problem("parks.csv", 3, "province", "XZ", "not one of: SC, CQ (不在允许值中)")
    ]


def test_out_of_range_number(tmp_path: Path, reject: Callable[..., list[Problem]]) -> None:
    path = _csv(tmp_path, HEADER, _row(lat="40"), _row(park_id="p2", area_km2="-1"))
    assert reject("parks", path) == [
        Problem("parks.csv", 2, "lat", "40", "above the maximum 35 (大于最大值)"),
        Problem("parks.csv", 3, "area_km2", "-1", "below the minimum 0 (小于最小值)"),
    ]


def test_malformed_numbers_bools_and_dates(tmp_path: Path,
                                           reject: Callable[..., list[Problem]]) -> None:
    path = _csv(tmp_path, HEADER, _row(lon="104.2.7", location_approximate="maybe"))
    assert reject("parks", path) == [
        Problem("parks.csv", 2, "lon", "104.2.7", "not a number (不是数字)"),
        Problem("parks.csv", 2, "location_approximate", "maybe",
                "not a yes/no value: use true/false, 1/0 or 是/否 (不是有效的是/否值)"),
    ]
    des = _csv(tmp_path, "designation_id,batch,year,announced,members,unknown_members,theme_chains,"
               "theme,mode,source_url,confidence",
               "d-x,1.5,2020,2020-02-30,,0,,,unknown,,synthetic", name="designations.csv")
    assert reject("designations", des) == [
        Problem("designations.csv", 2, "batch", "1.5", "not an integer (不是整数)"),
        Problem("designations.csv", 2, "announced", "2020-02-30",
                "not a date: use YYYY-MM-DD (日期格式应为YYYY-MM-DD)"),
    ]


def test_required_value_and_pattern(tmp_path: Path, reject: Callable[..., list[Problem]]) -> None:
    path = _csv(tmp_path, HEADER, _row(park_id="Bad Id", name_en=""))
    assert reject("parks", path) == [
        Problem("parks.csv", 2, "park_id", "Bad Id",
                "does not match the pattern ^[a-z0-9_-]+$ (格式不符)"),
        Problem("parks.csv", 2, "name_en", None, "required value is missing (必填值为空)"),
    ]


def test_duplicate_id_in_file(tmp_path: Path, reject: Callable[..., list[Problem]]) -> None:
    path = _csv(tmp_path, HEADER, GOOD, _row(park_id="p2"), GOOD)
    assert reject("parks", path) == [
        Problem("parks.csv", 4, "park_id", "test-park", "duplicate key: same as row 2 (与第2行重复)")
    ]


def test_duplicate_id_against_store(tmp_path: Path, reject: Callable[..., list[Problem]]) -> None:
    """Append mode: a stored key with other values is one problem naming the differing fields
    (a stored key with the same values is skipped: see tests/ingest/test_ingest_upsert.py)."""
    path = _csv(tmp_path, HEADER, _row(park_id="cq-rongchang-htz"))
    [problem] = reject("parks", path)
    assert (problem.file, problem.row, problem.column, problem.value) == \
        ("parks.csv", 2, "park_id", "cq-rongchang-htz")
    assert problem.reason.startswith("duplicate key: already in the database with other values")
    assert "name_en: 'Chongqing Rongchang High-tech Industrial Development Zone' → 'Test Park'" in problem.reason
    assert "--mode upsert" in problem.reason


def test_unknown_region_code(tmp_path: Path, reject: Callable[..., list[Problem]]) -> None:
    path = _csv(tmp_path, HEADER, _row(adcode="510999"))
    assert reject("parks", path) == [
        Problem("parks.csv", 2, "adcode", "510999",
                "unknown regions.adcode: not in the database nor in this file (引用的记录不存在)")
    ]


def test_unknown_park_id_in_a_list(tmp_path: Path, reject: Callable[..., list[Problem]]) -> None:
    path = _csv(tmp_path, "designation_id,batch,year,members,unknown_members,mode,confidence",
                "d-x,9,2024,cq-rongchang-htz;no-such-park,0,unknown,synthetic",
                name="designations.csv")
    assert reject("designations", path) == [
        Problem("designations.csv", 2, "members", "cq-rongchang-htz;no-such-park",
                "list element 'no-such-park': unknown parks.park_id: not in the database nor "
                "in this file (引用的记录不存在)")
    ]


def test_unknown_enum_in_a_list(tmp_path: Path, reject: Callable[..., list[Problem]]) -> None:
    path = _csv(tmp_path, HEADER, _row(focus_chains="auto;steel"))
    assert reject("parks", path) == [
        Problem("parks.csv", 2, "focus_chains", "auto;steel",
                "list element 'steel': not one of: auto, moto, electronics, biomed (不在允许值中)")
    ]


def test_self_reference_resolves_within_the_file(tmp_path: Path, empty_url: str) -> None:
    header = ("adcode,name_zh,name_en,level,parent_adcode,province,seat_lon,seat_lat,"
              "seat_approximate,area_km2,source_url,confidence")
    path = _csv(tmp_path, header,
                "510100,成都市,Chengdu,city,510000,SC,104.07,30.57,false,,,synthetic",
                "510000,四川省,Sichuan,province,,SC,104.08,30.65,false,,,synthetic",
                "510199,某区,Nowhere,district,519900,SC,104.1,30.6,false,,,synthetic",
                name="regions.csv")
    with pytest.raises(ValidationError) as info:
        import_file("regions", path, session_url=empty_url)
    assert info.value.problems == [
        Problem("regions.csv", 4, "parent_adcode", "519900",
                "unknown regions.adcode: not in the database nor in this file (引用的记录不存在)")
    ]


def test_coordinates_outside_the_two_provinces(tmp_path: Path,
                                               reject: Callable[..., list[Problem]]) -> None:
    # (100.0 E, 34.9 N) is inside the schema's lon/lat box but in Qinghai, not Sichuan.
    path = _csv(tmp_path, HEADER, _row(lon="100.0", lat="34.9"))
    assert reject("parks", path) == [
        Problem("parks.csv", 2, "lon", "100.0,34.9",
                "point lies outside Sichuan and Chongqing (坐标不在川渝范围内)")
    ]


def test_empty_file(tmp_path: Path, reject: Callable[..., list[Problem]]) -> None:
    path = tmp_path / "parks.csv"
    path.write_bytes(b"")
    assert reject("parks", path) == [Problem("parks.csv", None, None, None, "file is empty (文件为空)")]


def test_header_only_file(tmp_path: Path, reject: Callable[..., list[Problem]]) -> None:
    path = _csv(tmp_path, HEADER)
    assert reject("parks", path) == [
        Problem("parks.csv", None, None, None, "file has a header but no data rows (只有表头，没有数据行)")
    ]


def test_wrong_sheet_lists_the_sheets(tmp_path: Path, reject: Callable[..., list[Problem]]) -> None:
    wb = Workbook()
    wb.active.title = "园区 parks"
    wb.create_sheet("notes")
    path = tmp_path / "parks.xlsx"
    wb.save(path)
    assert reject("parks", path, sheet="Parks") == [
        Problem("parks.xlsx", None, None, "Parks",
                "no sheet named 'Parks'; the workbook has: 园区 parks, notes (工作表不存在)")
    ]


def test_named_sheet_is_read(tmp_path: Path, seeded_url: str) -> None:
    wb = Workbook()
    wb.active.append(["not", "this", "one"])
    ws = wb.create_sheet("data")
    ws.append(HEADER.split(","))
    ws.append([None if c == "" else c for c in GOOD.split(",")])
    path = tmp_path / "parks.xlsx"
    wb.save(path)
    assert import_file("parks", path, session_url=seeded_url, sheet="data").rows == 1


def test_ragged_row(tmp_path: Path, reject: Callable[..., list[Problem]]) -> None:
    path = _csv(tmp_path, HEADER, GOOD + ",extra")
    assert reject("parks", path) == [
        Problem("parks.csv", 2, None, None, "row has 17 cells but the header has 16 (单元格数多于表头)")
    ]


def test_all_problems_are_collected(tmp_path: Path, reject: Callable[..., list[Problem]]) -> None:
    rows = [_row(park_id=f"p{i}", province="XX") for i in range(30)]
    problems = reject("parks", _csv(tmp_path, HEADER, *rows))
    assert [p.row for p in problems] == list(range(2, 32))


def test_mixed_encodings_name_the_first_bad_line(tmp_path: Path,
                                                 reject: Callable[..., list[Problem]]) -> None:
    path = tmp_path / "parks.csv"
    utf8 = (HEADER + "\n" + GOOD + "\n").encode("utf-8")
    gbk = (_row(park_id="p2", name_zh="第二园区") + "\n").encode("gbk")
    path.write_bytes(utf8 + gbk)
    assert reject("parks", path) == [
        Problem("parks.csv", 3, None, None,
                "mixed encodings: line 3 is GBK/GB18030 but line 2 is UTF-8; save the whole file "
                "in one encoding, preferably UTF-8 (文件混用多种编码：第3行与第2行编码不同)")
    ]


def _stored_names(url: str) -> dict[str, str]:
    with session_scope(url) as session:
        frame = read_frame(session, "parks")
    return dict(zip(frame["park_id"], frame["name_zh"], strict=True))


def test_gbk_file_is_accepted_and_decoded(tmp_path: Path, seeded_url: str) -> None:
    path = _csv(tmp_path, HEADER, _row(name_zh="龙泉驿汽车城"), encoding="gbk")
    assert import_file("parks", path, session_url=seeded_url).rows == 1
    assert _stored_names(seeded_url)["test-park"] == "龙泉驿汽车城"


def test_utf8_bom_file_is_accepted(tmp_path: Path, seeded_url: str) -> None:
    path = _csv(tmp_path, HEADER, _row(name_zh="成渝园区"), encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert import_file("parks", path, session_url=seeded_url).rows == 1
    assert _stored_names(seeded_url)["test-park"] == "成渝园区"


def test_unknown_kind_and_uninitialised_database(tmp_path: Path) -> None:
    from parklink.errors import ConfigError, NotFoundError

    path = _csv(tmp_path, HEADER, GOOD)
    with pytest.raises(NotFoundError, match="unknown kind"):
        import_file("factories", path)
    with pytest.raises(ConfigError, match="not initialised"):
        import_file("parks", path, session_url=f"sqlite:///{tmp_path / 'none.sqlite'}")


def test_excel_native_cells_are_read_as_their_text(tmp_path: Path, seeded_url: str) -> None:
    """Numbers typed into Excel (an adcode as 510112, a year as 2024.0), real date cells and
    TRUE/FALSE cells are read as the text a person sees."""
    import datetime as dt

    wb = Workbook()
    ws = wb.active
    ws.append(["designation_id", "batch", "year", "announced", "members", "unknown_members",
               "mode", "confidence"])
    ws.append(["d-excel", 9, 2024.0, dt.datetime(2024, 5, 17), "cq-rongchang-htz", 0,
               "unknown", "synthetic"])
    path = tmp_path / "designations.xlsx"
    wb.save(path)
    assert import_file("designations", path, session_url=seeded_url).rows == 1
    with session_scope(seeded_url) as session:
        frame = read_frame(session, "designations").set_index("designation_id")
    assert frame.loc["d-excel", "year"] == 2024
    assert frame.loc["d-excel", "announced"] == dt.date(2024, 5, 17)

    wb = Workbook()
    ws = wb.active
    ws.append(HEADER.split(","))
    cells: list[object] = [None if c == "" else c for c in _row(park_id="p-xl").split(",")]
    cells[4] = 510112  # adcode typed as a number
    cells[7] = False  # an Excel boolean cell
    ws.append(cells)
    xl = tmp_path / "parks.xlsx"
    wb.save(xl)
    assert import_file("parks", xl, session_url=seeded_url).rows == 1
    with session_scope(seeded_url) as session:
        parks = read_frame(session, "parks").set_index("park_id")
    assert parks.loc["p-xl", "adcode"] == "510112"
    assert not parks.loc["p-xl", "location_approximate"]


def test_industry_code_without_quality_is_rejected(tmp_path: Path) -> None:
    """A GB/T 4754 code must carry its mapping quality (E/P/A): '3670' alone is an error."""
    import pandas as pd

    from parklink.ingest import validate_file
    from parklink.testing import tiny_registry

    segments = tiny_registry()["chain_segments"].copy()
    segments.loc[0, "gbt4754"] = "3391:E;3392"
    path = tmp_path / "segments.csv"
    pd.DataFrame(segments).to_csv(path, index=False)
    with pytest.raises(ValidationError) as info:
        validate_file("chain_segments", path)
    problems = info.value.problems
    assert len(problems) == 1
    assert problems[0].row == 2 and problems[0].column == "gbt4754"
    assert "3392" in str(problems[0].value) and "pattern" in problems[0].reason
