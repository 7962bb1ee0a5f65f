"""Benchmark: validated, streamed import of a 1M-row transactions CSV (parklink.ingest).

Ours: ``import_transactions_file`` — encoding detection, streaming parse, per-chunk type /
range / foreign-key validation, Parquet parts, DuckDB duplicate-key check, atomic publish.
Baseline 1: ``pandas.read_csv`` with typed columns + ``DataFrame.to_parquet`` — the same
file to Parquet with *no* validation at all. The ratio (baseline time / our time) shows
what the checks cost; below 1.0x means we are slower than the unchecked copy.
Baseline 2: the straightforward validator — Python's csv module and a per-row loop doing the
same checks (types, ranges, foreign keys, duplicate keys in a dict, row numbers), then
``to_parquet``; not streamed (holds the whole file).

Run: python bench/ingest_transactions.py [ROWS]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from parklink.ingest.transactions import import_transactions_file


def naive(csv_path: Path, out: Path, ids: set[str]) -> int:
    """Row-by-row validation with the csv module, then Parquet (baseline 2)."""
    import csv

    problems: list[tuple[int, str, str]] = []
    seen: dict[tuple[str, str, int], int] = {}
    cols: dict[str, list[object]] = {"supplier_id": [], "buyer_id": [], "year": [],
                                     "value_kcny": []}
    with csv_path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row_no, (s, b, y, v) in enumerate(reader, start=2):
            for name, ident in (("supplier_id", s), ("buyer_id", b)):
                if ident not in ids:
                    problems.append((row_no, name, "unknown enterprise"))
            try:
                year = int(y)
                if not 2000 <= year <= 2100:
                    problems.append((row_no, "year", "out of range"))
            except ValueError:
                problems.append((row_no, "year", "not an integer"))
                year = -1
            try:
                value = float(v)
                if not value >= 0:
                    problems.append((row_no, "value_kcny", "below minimum"))
            except ValueError:
                problems.append((row_no, "value_kcny", "not a number"))
                value = float("nan")
            key = (s, b, year)
            if key in seen:
                problems.append((row_no, "year", f"duplicate of row {seen[key]}"))
            else:
                seen[key] = row_no
            cols["supplier_id"].append(s)
            cols["buyer_id"].append(b)
            cols["year"].append(year)
            cols["value_kcny"].append(value)
    assert not problems
    pd.DataFrame(cols).to_parquet(out, index=False)
    return len(cols["year"])


def main(rows: int = 1_000_000, firms: int = 20_000, seed: int = 20200611) -> None:
    rng = np.random.default_rng(seed)
    ids = np.array([f"F{i:07d}" for i in range(firms)])
    frame = pd.DataFrame({
        "supplier_id": ids[rng.integers(0, firms, rows)],
        "buyer_id": ids[rng.integers(0, firms, rows)],
        "year": rng.integers(2015, 2025, rows),
        "value_kcny": np.round(rng.lognormal(5, 1.5, rows), 3),
    }).drop_duplicates(["supplier_id", "buyer_id", "year"], ignore_index=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        csv_path = root / "transactions.csv"
        frame.to_csv(csv_path, index=False)
        size_mb = csv_path.stat().st_size / 1e6
        print(f"input: {len(frame):,} rows, {size_mb:.1f} MB CSV, {firms:,} firm ids")

        t0 = time.perf_counter()
        base = pd.read_csv(csv_path, dtype={"supplier_id": str, "buyer_id": str,
                                            "year": "int64", "value_kcny": "float64"})
        base.to_parquet(root / "baseline.parquet", index=False)
        t_base = time.perf_counter() - t0
        del base

        t0 = time.perf_counter()
        naive(csv_path, root / "naive.parquet", set(ids.tolist()))
        t_naive = time.perf_counter() - t0

        target = root / "dataset" / "transactions"
        t0 = time.perf_counter()
        n, _ = import_transactions_file(csv_path, target, set(ids.tolist()))
        t_ours = time.perf_counter() - t0
        assert n == len(frame)
        shutil.rmtree(target)

    print(f"parklink import (validated, streamed): {t_ours:.2f} s "
          f"({n / t_ours:,.0f} rows/s, {size_mb / t_ours:.1f} MB/s)")
    print(f"pandas read_csv + to_parquet (no validation): {t_base:.2f} s")
    print(f"naive row-by-row validator (csv module + Python loop): {t_naive:.2f} s")
    print(f"vs pandas read_csv+to_parquet (unvalidated): {t_base / t_ours:.1f}x")
    print(f"vs naive row-by-row validator: {t_naive / t_ours:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
