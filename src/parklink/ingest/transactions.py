"""Streamed, all-or-nothing import of firm-level transactions into the Parquet dataset.

The file is read in chunks (pyarrow's streaming CSV reader, Parquet ``iter_batches``,
openpyxl read-only), each chunk is validated (types, ranges, supplier/buyer ids against
the firms Parquet and the registry's enterprises) and written as a Parquet part into a
hidden staging folder next to ``transactions_dir``. Memory is bounded by the chunk size and
the set of enterprise ids.

Then, holding the dataset's publish lock (:func:`parklink.firmdata.publish_lock`, so two
imports never check and publish at the same time), duplicate keys (supplier, buyer, year)
within the file and, in append mode, against the published parts are found by DuckDB over
the parts (out-of-core hash aggregation). Only when the whole file passed is it published,
as a set: a new generation folder ``.<name>.gen/<id>/`` gets the kept parts (hard links, in
append mode) and the new ones, and the link ``transactions_dir`` is switched to it by one
atomic rename (:func:`_switch`). Readers see the old set or the new one, never a mix; the
previous generation is kept until the next publish so a reader that resolved it can finish.
Otherwise the staging folder is deleted and nothing changes.
"""

from __future__ import annotations

import ctypes
import errno
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
from parklink.firmdata import BUYER_KEY, SUPPLIER_KEY, FirmKeys, publish_lock, with_keys_metadata
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
    parent = transactions_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:12]
    staging = parent / f".{transactions_dir.name}.staging-{token}"
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
        with publish_lock(parent):  # the check against the published parts and the publish: one step
            if len(problems) < MAX_PROBLEMS:
                existing = _published(transactions_dir) if mode == "append" else []
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


def _published(folder: Path) -> list[Path]:
    """The published parts of ``folder`` (through the generation link, if it is one)."""
    return sorted(folder.glob("*.parquet")) if folder.is_dir() else []


def _publish(parts: _Parts, target: Path, token: str, mode: str) -> None:
    """Publish the staged parts as a new generation of ``target`` (append: with the kept parts).

    The generation is complete before the one atomic switch of ``target``; on an error before
    the switch it is deleted and ``target`` is unchanged.
    """
    gens = target.parent / f".{target.name}.gen"
    gens.mkdir(exist_ok=True)
    new = gens / token
    new.mkdir()
    try:
        if mode == "append":
            for p in _published(target):
                try:
                    os.link(p, new / p.name)  # same data, no copy
                except OSError:
                    shutil.copy2(p, new / p.name)
        for i, p in enumerate(parts.paths):
            os.replace(p, new / f"part-{token}-{i:06d}.parquet")
        previous = target.resolve() if target.is_symlink() else None
        _switch(target, Path(gens.name) / token)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    keep = {token} | ({previous.name} if previous is not None and previous.parent == gens.resolve() else set())
    for old in gens.iterdir():  # generations older than the previous one: no reader can be in them
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def _switch(target: Path, link: Path) -> None:
    """Make ``target`` a symbolic link to ``link`` (relative to ``target``'s folder) atomically.

    A link (or nothing) at ``target`` is replaced by ``os.replace`` of a new link. A real
    folder (a dataset written by ``generate`` or a restore) is exchanged with the new link by
    ``renameat2(RENAME_EXCHANGE)`` (Linux) and then deleted; where that call is missing it is
    moved aside first, the one case with a moment in which ``target`` does not exist.
    """
    tmp = target.parent / f".{target.name}.link-{uuid.uuid4().hex[:12]}"
    os.symlink(link, tmp, target_is_directory=True)
    try:
        if target.is_symlink() or not target.exists():
            os.replace(tmp, target)
            return
        if _exchange(tmp, target):  # tmp is now the old folder
            shutil.rmtree(tmp)
            return
        aside = target.parent / f".{target.name}.old-{uuid.uuid4().hex[:12]}"
        target.rename(aside)
        os.replace(tmp, target)
        shutil.rmtree(aside)
    finally:
        if tmp.is_symlink():
            tmp.unlink()


def _exchange(a: Path, b: Path) -> bool:
    """Swap the names ``a`` and ``b`` atomically (Linux ``renameat2`` with RENAME_EXCHANGE);
    False when the system or file system cannot."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    at_fdcwd, rename_exchange = -100, 2
    if fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(b))
