"""Transactions imports at the same moment publish each key once (issue 12, defect 5), and a
publish switches the whole set of parts at once (generation folder + atomic link switch)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from parklink.errors import ValidationError
from parklink.ingest.transactions import IN_DATASET, import_transactions_file

ROWS = 5000
IDS = [f"f{i}" for i in range(100)]

WORKER = """
import json, sys, time
from pathlib import Path
from parklink.errors import ValidationError
from parklink.ingest.transactions import import_transactions_file
src, target, go = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
ids = [f"f{i}" for i in range(100)]
while not go.exists():
    time.sleep(0.005)
try:
    rows, _ = import_transactions_file(src, target, ids, chunk_rows=1000)
    print(json.dumps({"ok": rows}))
except ValidationError as exc:
    print(json.dumps({"rejected": [p.reason for p in exc.problems][:3], "n": len(exc.problems)}))
"""


def _file(path: Path, rows: int = ROWS, year0: int = 2000) -> Path:
    lines = ["supplier_id,buyer_id,year,value_kcny"]
    lines += [f"f{i % 100},f{(i // 100) % 100},{year0 + i // 10000},{i}.5" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _keys(target: Path) -> tuple[int, int]:
    """(rows, distinct (supplier, buyer, year) keys) of the published dataset."""
    con = duckdb.connect()
    rows, distinct = con.execute(
        "SELECT count(*), count(DISTINCT (supplier_id, buyer_id, year)) FROM read_parquet(?)",
        [str(target / "*.parquet")]).fetchone() or (0, 0)
    return int(rows), int(distinct)


def test_two_processes_import_one_file_at_once(tmp_path: Path) -> None:
    src = _file(tmp_path / "tx.csv")
    target = tmp_path / "firms" / "transactions"
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(src), str(target), str(go)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
             for _ in range(2)]
    time.sleep(1.5)  # both interpreters started and waiting
    go.touch()
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    ok = [r for r in results if "ok" in r]
    rejected = [r for r in results if "rejected" in r]
    assert [r["ok"] for r in ok] == [ROWS], results  # exactly one import published
    assert len(rejected) == 1 and rejected[0]["n"] == ROWS and rejected[0]["rejected"][0] == IN_DATASET
    assert _keys(target) == (ROWS, ROWS)  # every key exactly once
    assert not [p for p in target.parent.iterdir() if ".staging-" in p.name or ".link-" in p.name]


def test_publish_switches_generations_atomically(tmp_path: Path) -> None:
    root = tmp_path / "firms"
    target = root / "transactions"
    target.mkdir(parents=True)  # a dataset as 'generate' writes it: a real folder
    pq.write_table(pq.read_table(_to_parquet(_file(tmp_path / "a.csv", 10, 2001), tmp_path)),
                   target / "part-0.parquet")
    import_transactions_file(_file(tmp_path / "b.csv", 20, 2002), target, IDS)
    assert target.is_symlink()
    first = target.resolve()
    assert sorted(p.name for p in first.iterdir())[0] == "part-0.parquet"  # kept part, hard-linked
    assert _keys(target) == (30, 30)
    import_transactions_file(_file(tmp_path / "c.csv", 5, 2003), target, IDS)
    second = target.resolve()
    assert second != first and first.is_dir()  # the previous generation stays for readers in it
    assert _keys(first) == (30, 30) and _keys(target) == (35, 35)
    import_transactions_file(_file(tmp_path / "d.csv", 7, 2004), target, IDS, mode="replace")
    assert not first.exists() and second.is_dir()  # older than the previous one: removed
    assert _keys(target) == (7, 7)
    gens = sorted(p.name for p in (root / ".transactions.gen").iterdir())
    assert len(gens) == 2


def test_rejected_import_leaves_folder_byte_for_byte(tmp_path: Path) -> None:
    target = tmp_path / "firms" / "transactions"
    import_transactions_file(_file(tmp_path / "a.csv", 10), target, IDS)
    before = {p.relative_to(tmp_path).as_posix(): (p.is_symlink(), p.stat().st_size)
              for p in sorted(tmp_path.rglob("*"))}
    with pytest.raises(ValidationError, match="already in the firm dataset"):
        import_transactions_file(_file(tmp_path / "a.csv", 10), target, IDS)
    after = {p.relative_to(tmp_path).as_posix(): (p.is_symlink(), p.stat().st_size)
             for p in sorted(tmp_path.rglob("*"))}
    assert after == before


def _to_parquet(csv: Path, folder: Path) -> Path:
    import pandas as pd

    out = folder / (csv.stem + ".parquet")
    pd.read_csv(csv, dtype={"supplier_id": "string", "buyer_id": "string"}).to_parquet(out, index=False)
    return out


def test_two_imports_through_the_api_on_each_database(db_url: str, tmp_path: Path) -> None:
    """The same race through ``import_file`` (enterprise ids from the registry) on SQLite and
    PostgreSQL, two threads: the flock is per open file description, so threads of one
    process exclude each other as processes do."""
    import threading

    from parklink.ingest.api import import_file
    from parklink.store.db import session_scope, upgrade
    from parklink.store.io import LOAD_ORDER, write_frame
    from parklink.testing import tiny_registry

    upgrade(db_url)
    frames = tiny_registry()
    with session_scope(db_url) as s:
        for kind in LOAD_ORDER:
            write_frame(s, kind, frames[kind])
    lines = ["supplier_id,buyer_id,year,value_kcny"]
    lines += [f"{a},{b},{y},1.0" for y in range(2000, 2101) for a, b in (("E1", "E2"), ("E2", "E1"))]
    src = tmp_path / "tx.csv"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    root = tmp_path / "firms"
    start = threading.Barrier(2)
    outcome: list[object] = []

    def run() -> None:
        start.wait()
        try:
            outcome.append(import_file("transactions", src, session_url=db_url, firm_root=root).rows)
        except ValidationError as exc:
            outcome.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    rows = [o for o in outcome if isinstance(o, int)]
    errors = [o for o in outcome if isinstance(o, ValidationError)]
    assert rows == [202] and len(errors) == 1
    assert {p.reason for p in errors[0].problems} == {IN_DATASET}
    assert _keys(root / "transactions") == (202, 202)


def test_a_writer_waiting_through_a_folder_swap_locks_the_live_folder(tmp_path: Path) -> None:
    """A restore renames the firm folder away while holding the lock; a writer that was waiting
    must end up holding the lock of the folder now at the path, not of the moved-away one."""
    import fcntl
    import threading

    from parklink.firmdata import publish_lock

    folder = tmp_path / "firms"
    waiting = threading.Event()
    holding = threading.Event()
    release = threading.Event()

    def writer() -> None:
        waiting.set()
        with publish_lock(folder):
            holding.set()
            release.wait(10)

    with publish_lock(folder):  # the "restore": swap the folder while holding the lock
        thread = threading.Thread(target=writer)
        thread.start()
        waiting.wait(5)
        time.sleep(0.2)  # the writer now blocks in flock on the old folder
        folder.rename(tmp_path / ".restore-old")
        folder.mkdir()
    assert holding.wait(5)
    probe = os.open(folder, os.O_RDONLY)
    try:  # the live folder's lock is taken (by the writer): a non-blocking attempt fails
        with pytest.raises(BlockingIOError):
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(probe)
    release.set()
    thread.join(5)
    probe = os.open(folder, os.O_RDONLY)
    try:  # and is free again afterwards
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
    finally:
        os.close(probe)
