"""Streamed, all-or-nothing import of firm-level transactions into the Parquet dataset.

The file is read in chunks (pyarrow's streaming CSV reader, Parquet ``iter_batches``,
openpyxl read-only), each chunk is validated (types, ranges, supplier/buyer ids against
the firms Parquet and the registry's enterprises) and written as a Parquet part into a
hidden staging folder inside ``transactions_dir``. Duplicate keys (supplier, buyer, year)
within the file and, in append mode, against the existing parts are found afterwards by
DuckDB over the staged parts (out-of-core hash aggregation). Only when the whole file
passed are the parts moved into ``transactions_dir`` by ``os.replace`` (atomic renames on
one file system); otherwise the staging folder is deleted and nothing changes. Memory is
bounded by the chunk size and the set of enterprise ids.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from parklink.errors import Problem, ValidationError
from parklink.firmdata import BUYER_KEY, SUPPLIER_KEY, FirmKeys, with_keys_metadata
from parklink.ingest.readers import iter_text_chunks
from parklink.ingest.validate import reasons, validate_table
from parklink.ingest.writers import arrow_schema
from parklink.tables import TRANSACTIONS

__all__ = ["MAX_PROBLEMS", "import_transactions_file"]

IN_DATASET = "duplicate key: already in the firm dataset (与企业数据中已有交易重复)"

#: Streamed imports stop collecting problems after this many (the file is rejected anyway).
MAX_PROBLEMS = 100_000


@dataclass
class _Parts:
    """Staged parts and the spreadsheet row of each of their rows (compactly)."""

    folder: Path
    paths: list[Path] = field(default_factory=list)
    rows: list[int | np.ndarray[Any, np.dtype[np.int64]]] = field(default_factory=list)
    count: int = 0

    def add(self, table: pa.Table, rows: np.ndarray[Any, np.dtype[np.int64]]) -> None:
        path = self.folder / f"part-{len(self.paths):06d}.parquet"
        pq.write_table(table, path)
        self.paths.append(path)
        contiguous = len(rows) == 0 or int(rows[-1] - rows[0]) == len(rows) - 1
        self.rows.append(int(rows[0]) if contiguous else rows.copy())
        self.count += len(rows)

    def row_of(self, part: int, index: int) -> int:
        r = self.rows[part]
        return r + index if isinstance(r, int) else int(r[index])

    def clear(self) -> None:
        for p in self.paths:
            p.unlink(missing_ok=True)
        self.paths.clear()
        self.rows.clear()
        self.count = 0


#: DuckDB's memory cap for the duplicate-key check; beyond it DuckDB spills to disk.
DUCKDB_MEMORY_LIMIT = "512MB"


def _duplicates(parts: _Parts, existing: list[Path], file: str, limit: int) -> list[Problem]:
    """Duplicate keys within the staged parts and against ``existing`` parts (DuckDB)."""
    import duckdb

    if not parts.paths:
        return []
    index = {str(p): i for i, p in enumerate(parts.paths)}
    con = duckdb.connect(config={"memory_limit": DUCKDB_MEMORY_LIMIT,
                                 "temp_directory": str(parts.folder / "duckdb.tmp")})
    try:
        con.execute("SET preserve_insertion_order = false")
        staged = [str(p) for p in parts.paths]
        con.read_parquet(staged, filename=True, file_row_number=True).create_view("raw")
        con.execute(
            "CREATE VIEW t AS SELECT supplier_id, buyer_id, year, filename, file_row_number "
            "FROM raw WHERE supplier_id IS NOT NULL AND buyer_id IS NOT NULL "
            "AND year IS NOT NULL")
        rows = con.execute(
            "WITH d AS (SELECT supplier_id, buyer_id, year FROM t GROUP BY ALL "
            "HAVING count(*) > 1) SELECT t.supplier_id, t.buyer_id, t.year, t.filename, "
            "t.file_row_number FROM t JOIN d USING (supplier_id, buyer_id, year) "
            "ORDER BY t.filename, t.file_row_number").fetchall()
        problems: list[Problem] = []
        first: dict[tuple[str, str, int], int] = {}
        for s, b, y, fname, idx in rows:
            row = parts.row_of(index[fname], int(idx))
            key = (s, b, int(y))
            if key in first:
                problems.append(Problem(file, row, "year", str(y), reasons.duplicate(first[key])))
            else:
                first[key] = row
            if len(problems) >= limit:
                return problems
        if existing:
            con.read_parquet([str(p) for p in existing]).create_view("old")
            clash = con.execute(
                "SELECT t.year, t.filename, t.file_row_number FROM t SEMI JOIN "
                "(SELECT CAST(supplier_id AS VARCHAR) AS supplier_id, "
                " CAST(buyer_id AS VARCHAR) AS buyer_id, CAST(year AS BIGINT) AS year "
                " FROM old) e USING (supplier_id, buyer_id, year) "
                "ORDER BY t.filename, t.file_row_number LIMIT ?", [limit]).fetchall()
            for y, fname, idx in clash:
                problems.append(Problem(file, parts.row_of(index[fname], int(idx)), "year",
                                        str(y), IN_DATASET))
        return problems
    finally:
        con.close()


def import_transactions_file(
    path: Path,
    transactions_dir: Path,
    enterprise_ids: Collection[str],
    *,
    mode: Literal["append", "replace"] = "append",
    sheet: str | None = None,
    file: str | None = None,
    chunk_rows: int = 100_000,
    firm_keys: FirmKeys | None = None,
) -> tuple[int, float]:
    """Validate and stream the transactions file at ``path`` into ``transactions_dir``.

    ``enterprise_ids`` are the known ids for the supplier/buyer foreign keys. With
    ``firm_keys`` (the keys of a keyed ``firms.parquet``) every part also gets
    ``supplier_key``/``buyer_key`` and the key fingerprint (:mod:`parklink.firmdata`). All-or-nothing:
    raises :class:`ValidationError` with every problem found (up to :data:`MAX_PROBLEMS`) and
    leaves ``transactions_dir`` untouched. Returns (rows written, seconds).
    """
    t0 = time.perf_counter()
    label = file or path.name
    transactions_dir.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:12]
    staging = transactions_dir / f".staging-{token}"
    staging.mkdir()
    parts = _Parts(staging)
    problems: list[Problem] = []
    # a unique Index hashes the ids once; each chunk then costs only its own rows
    known = enterprise_ids if isinstance(enterprise_ids, pd.Index) else pd.Index(
        list(set(enterprise_ids)), dtype=object)
    refs: dict[str, Collection[str]] = {"enterprises.enterprise_id": known}
    target = arrow_schema(TRANSACTIONS)
    truncated = False
    try:
        for chunk in iter_text_chunks(path, TRANSACTIONS, sheet=sheet, file=label,
                                      chunk_rows=chunk_rows):
            if chunk.restart:
                parts.clear()
                problems = [p for p in problems if p.row == 1]
                continue
            checked = validate_table(chunk, TRANSACTIONS, refs=refs, require_rows=False,
                                     check_keys=False)
            if len(problems) < MAX_PROBLEMS:
                problems.extend(checked.problems)
            elif checked.problems:
                truncated = True
            if len(checked.frame):
                table = pa.Table.from_pandas(checked.frame, schema=target, preserve_index=False)
                if firm_keys is not None:
                    table = with_keys_metadata(
                        table.append_column(SUPPLIER_KEY, firm_keys.lookup(table["supplier_id"]))
                        .append_column(BUYER_KEY, firm_keys.lookup(table["buyer_id"])),
                        firm_keys.fingerprint)
                parts.add(table, checked.rows)
        if parts.count == 0 and not problems:
            problems.append(Problem(label, None, None, None, reasons.HEADER_ONLY))
        if len(problems) < MAX_PROBLEMS:
            existing = sorted(transactions_dir.glob("*.parquet")) if mode == "append" else []
            dups = _duplicates(parts, existing, label, MAX_PROBLEMS - len(problems) + 1)
            problems = sorted([*problems, *dups], key=lambda p: (p.row or 0))
        if problems:
            if truncated or len(problems) > MAX_PROBLEMS:
                problems = problems[:MAX_PROBLEMS]
                problems.append(Problem(label, None, None, None,
                                        f"stopped after {MAX_PROBLEMS} problems (问题过多，已截断)"))
            raise ValidationError(problems)
        _publish(parts, transactions_dir, token, mode)
        return parts.count, time.perf_counter() - t0
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _publish(parts: _Parts, target: Path, token: str, mode: str) -> None:
    """Move the staged parts into ``target`` (replace mode: the old parts go only on success)."""
    old = sorted(target.glob("*.parquet")) if mode == "replace" else []
    aside = target / f".replaced-{token}"
    moved_old: list[tuple[Path, Path]] = []
    moved_new: list[Path] = []
    try:
        if old:
            aside.mkdir()
            for p in old:
                dest = aside / p.name
                os.replace(p, dest)
                moved_old.append((dest, p))
        for i, p in enumerate(parts.paths):
            dest = target / f"part-{token}-{i:06d}.parquet"
            os.replace(p, dest)
            moved_new.append(dest)
    except OSError:
        for p in moved_new:
            p.unlink(missing_ok=True)
        for src, dest in moved_old:
            os.replace(src, dest)
        raise
    finally:
        shutil.rmtree(aside, ignore_errors=True)
