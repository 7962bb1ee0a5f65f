"""Streamed transactions import: chunked validation, duplicates across chunks and against the
dataset, all-or-nothing publication of Parquet parts."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from parklink.errors import Problem, ValidationError
from parklink.ingest.transactions import import_transactions_file

IDS = {f"f{i}" for i in range(10)}
HEAD = "supplier_id,buyer_id,year,value_kcny"


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def _write(tmp_path: Path, lines: list[str], name: str = "tx.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEAD, *lines]) + "\n", encoding="utf-8")
    return path


def _reject(path: Path, target: Path, **kw: object) -> list[Problem]:
    before = _listing(target)
    with pytest.raises(ValidationError) as info:
        import_transactions_file(path, target, IDS, **kw)  # type: ignore[arg-type]
    assert _listing(target) == before
    return info.value.problems


def test_valid_file_is_published_in_parts(tmp_path: Path) -> None:
    lines = [f"f{i % 10},f{(i + 1) % 10},{2000 + i // 10},{i}.5" for i in range(1000)]
    target = tmp_path / "tx"
    rows, _ = import_transactions_file(_write(tmp_path, lines), target, IDS, chunk_rows=100)
    assert rows == 1000
    names = _listing(target)
    assert len(names) > 1 and all(n.endswith(".parquet") for n in names)
    table = pq.read_table(target)
    assert table.num_rows == 1000
    assert sorted(table.column("value_kcny").to_pylist()) == sorted(i + 0.5 for i in range(1000))


def test_unknown_firm_and_bad_values_are_reported_with_rows(tmp_path: Path) -> None:
    lines = ["f1,f2,2020,1", "f1,zz,2020,1", "f1,f3,1999,1", "f1,f4,2020,-5", "f1,f5,2020,abc"]
    problems = _reject(_write(tmp_path, lines), tmp_path / "tx")
    assert problems == [
        Problem("tx.csv", 3, "buyer_id", "zz",
                "unknown enterprises.enterprise_id: not in the database nor in this file "
                "(引用的记录不存在)"),
        Problem("tx.csv", 4, "year", "1999", "below the minimum 2000 (小于最小值)"),
        Problem("tx.csv", 5, "value_kcny", "-5", "below the minimum 0 (小于最小值)"),
        Problem("tx.csv", 6, "value_kcny", "abc", "not a number (不是数字)"),
    ]


def test_duplicates_across_chunks(tmp_path: Path) -> None:
    lines = [f"f{i % 3},f{i // 3 % 9},{2000 + i // 27},1" for i in range(243)] + ["f2,f1,2000,9"]
    problems = _reject(_write(tmp_path, lines), tmp_path / "tx", chunk_rows=50)
    # (f2, f1, 2000) first appears at i = 5 (row 7); the repeat is the last row, 245.
    assert problems == [Problem("tx.csv", 245, "year", "2000",
                                "duplicate key: same as row 7 (与第7行重复)")]


def test_duplicates_against_the_dataset_in_append_mode(tmp_path: Path) -> None:
    target = tmp_path / "tx"
    target.mkdir()
    pq.write_table(pa.table({"supplier_id": ["f1"], "buyer_id": ["f2"], "year": [2020],
                             "value_kcny": [1.0]}), target / "old.parquet")
    path = _write(tmp_path, ["f1,f3,2020,1", "f1,f2,2020,2"])
    assert _reject(path, target) == [
        Problem("tx.csv", 3, "year", "2020",
                "duplicate key: already in the firm dataset (与企业数据中已有交易重复)")
    ]
    rows, _ = import_transactions_file(path, target, IDS, mode="replace")
    assert rows == 2
    assert _listing(target) != ["old.parquet"] and "old.parquet" not in _listing(target)
    assert pq.read_table(target).num_rows == 2


def test_ragged_row_falls_back_to_exact_rows(tmp_path: Path) -> None:
    lines = [f"f1,f2,{2000 + i},1" for i in range(20)] + ["f1,f2,2090,1,surplus", "f1,f2"]
    problems = _reject(_write(tmp_path, lines), tmp_path / "tx", chunk_rows=5)
    assert problems == [
        Problem("tx.csv", 22, None, None, "row has 5 cells but the header has 4 (单元格数多于表头)"),
        Problem("tx.csv", 23, "year", None, "required value is missing (必填值为空)"),
        Problem("tx.csv", 23, "value_kcny", None, "required value is missing (必填值为空)"),
    ]


def test_blank_lines_keep_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "tx.csv"
    path.write_text(f"{HEAD}\nf1,f2,2020,1\n\nf1,f2,2021,x\n", encoding="utf-8")
    assert _reject(path, tmp_path / "tx") == [
        Problem("tx.csv", 4, "value_kcny", "x", "not a number (不是数字)")
    ]


def test_header_only_and_parquet_input(tmp_path: Path) -> None:
    assert _reject(_write(tmp_path, []), tmp_path / "tx") == [
        Problem("tx.csv", None, None, None, "file has a header but no data rows (只有表头，没有数据行)")
    ]
    path = tmp_path / "tx.parquet"
    pq.write_table(pa.table({"supplier_id": ["f1", "f1"], "buyer_id": ["f2", "f9"],
                             "year": [2020, 2020], "value_kcny": [1.0, float("inf")]}), path)
    assert _reject(path, tmp_path / "tx") == [
        Problem("tx.parquet", 3, "value_kcny", "inf", "not a number (不是数字)")
    ]


def test_header_problems_are_reported_once_across_chunks(tmp_path: Path) -> None:
    path = tmp_path / "tx.csv"
    body = "".join(f"f1,f2,{2000 + i},1,x\n" for i in range(12))
    path.write_text(f"{HEAD},note\n{body}f1,f2\n", encoding="utf-8")
    # the short last row makes the fast reader hand over to the exact one, chunk by chunk
    assert _reject(path, tmp_path / "tx", chunk_rows=5) == [
        Problem("tx.csv", 1, "note", None, "unknown column (未知列)"),
        Problem("tx.csv", 14, "year", None, "required value is missing (必填值为空)"),
        Problem("tx.csv", 14, "value_kcny", None, "required value is missing (必填值为空)"),
    ]


def test_fallback_after_fast_chunks_discards_them(tmp_path: Path) -> None:
    """A short row far into the file: the fast reader has already handed over chunks when
    it meets it; they are discarded and the exact reader starts over (no double counting,
    no duplicate keys from the first pass)."""
    lines = [f"f{i % 10},f{i // 10 % 10},{2000 + i // 100},1" for i in range(5000)]
    path = _write(tmp_path, [*lines, "f1,f2"])
    assert path.stat().st_size > 3 * (1 << 14)  # several blocks of the fast reader
    assert _reject(path, tmp_path / "tx", chunk_rows=300) == [
        Problem("tx.csv", 5002, "year", None, "required value is missing (必填值为空)"),
        Problem("tx.csv", 5002, "value_kcny", None, "required value is missing (必填值为空)"),
    ]
    good = _write(tmp_path, [*lines[:4000], "f1,f2,2095,1,"], name="ok.csv")
    rows, _ = import_transactions_file(good, tmp_path / "tx", IDS, chunk_rows=300)
    assert rows == 4001
