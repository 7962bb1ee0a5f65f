"""Restore refuses every bad backup and then changes nothing (issue 12, defects 1 and 2).

Each case builds a good backup, damages it one way, restores it over a populated database
and firm folder, and asserts: a :class:`ValidationError` naming the reason, the same hash
of every table, the same hash of every file under the data folder (firm folder included),
no ``.restore-*`` folder left behind and nothing written outside the data folder.
"""

from __future__ import annotations

import hashlib
import json
import stat
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from parklink.errors import ParklinkError, ValidationError
from parklink.store import models as m
from parklink.store.backup import backup, restore
from parklink.store.db import session_scope

from .test_store_backup import populate, write_firms


def table_hashes(url: str) -> dict[str, str]:
    """SHA-256 of every table's rows (ordered by primary key), the data version excluded."""
    out: dict[str, str] = {}
    with session_scope(url) as s:
        for table in m.Base.metadata.sorted_tables:
            rows = s.execute(select(table).order_by(*table.primary_key.columns)).all()
            kept = [repr(tuple(r)) for r in rows if not (table.name == "meta" and str(r[0]).startswith("data_version"))]
            out[table.name] = hashlib.sha256("\n".join(kept).encode()).hexdigest()
    return out


def tree_hash(root: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file below ``root`` (links followed)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def rewrite(src: Path, dst: Path, *, edit: dict[str, bytes | None] | None = None,
            add: dict[str, bytes] | None = None, manifest: Callable[[dict], dict] | None = None,
            fix_sums: bool = True) -> Path:
    """Copy backup ``src`` to ``dst`` with members replaced/removed/added; the manifest's
    checksums and firm-file list follow the edits (so only the intended damage remains)."""
    edit, add = edit or {}, add or {}
    with zipfile.ZipFile(src) as zin:
        members = {i.filename: zin.read(i) for i in zin.infolist()}
    for name, data in edit.items():
        if data is None:
            members.pop(name, None)
        else:
            members[name] = data
    members.update(add)
    man = json.loads(members.pop("manifest.json"))
    if fix_sums:
        man["sha256"] = {n: hashlib.sha256(d).hexdigest() for n, d in members.items()}
        man["firm_files"] = sorted(n for n in members if n.startswith("firms/"))
    if manifest is not None:
        man = manifest(man)
    with zipfile.ZipFile(dst, "w") as zout:
        zout.writestr("manifest.json", json.dumps(man))
        for name, data in members.items():
            zout.writestr(name, data)
    return dst


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> dict[str, object]:
    """A populated database (SQLite and PostgreSQL), a firm folder inside a data folder, and
    a good backup of both."""
    sqlite_url = db_url
    populate(sqlite_url)
    data = tmp_path / "data"
    firms = data / "firms"
    write_firms(firms)
    good = tmp_path / "good.zip"
    backup(good, url=sqlite_url, firm_root=firms)
    # then the live state moves on, so a restore would visibly change both
    with session_scope(sqlite_url) as s:
        s.execute(m.Park.__table__.update().values(name_en="after the backup"))
    pd.DataFrame({"supplier_id": ["E1"], "buyer_id": ["E2"], "year": [2022], "value_kcny": [9.0]}).to_parquet(
        firms / "transactions" / "part-00001.parquet")
    return {"url": sqlite_url, "data": data, "firms": firms, "good": good, "tmp": tmp_path}


def assert_refused(world: dict[str, object], bad: Path, match: str) -> None:
    url, data, firms, tmp = world["url"], world["data"], world["firms"], world["tmp"]
    assert isinstance(url, str) and isinstance(data, Path) and isinstance(firms, Path) and isinstance(tmp, Path)
    db_before, files_before = table_hashes(url), tree_hash(data)
    outside_before = sorted(p.name for p in tmp.iterdir())
    with pytest.raises(ValidationError, match=match):
        restore(bad, url=url, firm_root=firms)
    assert table_hashes(url) == db_before
    assert tree_hash(data) == files_before
    assert not [p for p in data.iterdir() if p.name.startswith(".restore")]
    assert sorted(p.name for p in tmp.iterdir()) == outside_before


# --- defect 1: zip-slip ---------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "firms/../../escaped.parquet",
    "firms/transactions/../../../escaped.parquet",
    "/tmp/escaped-absolute.parquet",
    "firms/..\\..\\escaped.parquet",
    "firms/./transactions/x.parquet",
])
def test_zip_slip_member_is_refused(world: dict[str, object], name: str) -> None:
    good, tmp = world["good"], world["tmp"]
    assert isinstance(good, Path) and isinstance(tmp, Path)
    parquet = (world["firms"] / "firms.parquet").read_bytes()  # type: ignore[operator]
    bad = rewrite(good, tmp / "slip.zip", add={name: parquet})
    assert_refused(world, bad, "refused|unexpected")
    assert not (tmp / "escaped.parquet").exists() and not Path("/tmp/escaped-absolute.parquet").exists()


def test_symlink_member_is_refused(world: dict[str, object]) -> None:
    good, tmp = world["good"], world["tmp"]
    assert isinstance(good, Path) and isinstance(tmp, Path)
    bad = rewrite(good, tmp / "link.zip")
    with zipfile.ZipFile(bad, "a") as zf:
        info = zipfile.ZipInfo("firms/transactions/link.parquet")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "../../../../etc/passwd")
    assert_refused(world, bad, "symbolic link")


# --- defect 2: verify everything first, then swap both together -------------------------------

def _crc_damaged(good: Path, dst: Path, member: str) -> Path:
    """``good`` stored uncompressed with one byte of ``member``'s data flipped (CRC error)."""
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info), compress_type=zipfile.ZIP_STORED)
    with zipfile.ZipFile(dst) as zf:
        info = zf.getinfo(member)
    raw = bytearray(dst.read_bytes())
    header = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[header + info.file_size // 2] ^= 0xFF
    dst.write_bytes(bytes(raw))
    return dst


def test_crc_error_in_a_firm_file_changes_neither_database_nor_firms(world: dict[str, object]) -> None:
    good, tmp = world["good"], world["tmp"]
    assert isinstance(good, Path) and isinstance(tmp, Path)
    bad = _crc_damaged(good, tmp / "crc.zip", "firms/transactions/part-00000.parquet")
    assert_refused(world, bad, "damaged member")


def test_crc_error_in_a_table(world: dict[str, object]) -> None:
    good, tmp = world["good"], world["tmp"]
    assert isinstance(good, Path) and isinstance(tmp, Path)
    assert_refused(world, _crc_damaged(good, tmp / "crc.zip", "tables/park.jsonl"), "damaged member")


def test_garbage_firms_parquet(world: dict[str, object]) -> None:
    good, tmp = world["good"], world["tmp"]
    assert isinstance(good, Path) and isinstance(tmp, Path)
    bad = rewrite(good, tmp / "g.zip", edit={"firms/firms.parquet": b"PAR1 this is not parquet PAR1"})
    assert_refused(world, bad, "not a readable Parquet")


def test_transactions_part_with_wrong_schema(world: dict[str, object], tmp_path: Path) -> None:
    good = world["good"]
    assert isinstance(good, Path)
    part = tmp_path / "p.parquet"
    pd.DataFrame({"supplier_id": ["E2"], "buyer_id": ["E1"], "year": ["2021"]}).to_parquet(part)
    bad = rewrite(good, tmp_path / "s.zip", edit={"firms/transactions/part-00000.parquet": part.read_bytes()})
    assert_refused(world, bad, "lacks columns value_kcny")
    pd.DataFrame({"supplier_id": ["E2"], "buyer_id": ["E1"], "year": ["2021"], "value_kcny": [1.0]}).to_parquet(part)
    bad = rewrite(good, tmp_path / "t.zip", edit={"firms/transactions/part-00000.parquet": part.read_bytes()})
    assert_refused(world, bad, "column year has type (large_)?string")


def test_missing_table_is_refused_not_emptied(world: dict[str, object]) -> None:
    good, tmp = world["good"], world["tmp"]
    assert isinstance(good, Path) and isinstance(tmp, Path)
    bad = rewrite(good, tmp / "nt.zip", edit={"tables/target.jsonl": None},
                  manifest=lambda man: {**man, "rows": {k: v for k, v in man["rows"].items() if k != "target"}})
    assert_refused(world, bad, "table target is missing")


def _manifest_bytes(good: Path, dst: Path, data: bytes) -> Path:
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, data if info.filename == "manifest.json" else zin.read(info))
    return dst


@pytest.mark.parametrize(("data", "match"), [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "must be a JSON object"),
    ("清单".encode("gbk"), "not UTF-8"),
    (b'{"format": "parklink-backup/2", "rows": {}}', "no schema revision"),
    (b'{"format": "parklink-backup/2", "revision": 3, "rows": {}}', "no schema revision"),
    (b'{"format": "parklink-backup/9", "revision": "x"}', "unsupported backup format"),
])
def test_malformed_manifest(world: dict[str, object], data: bytes, match: str) -> None:
    good, tmp = world["good"], world["tmp"]
    assert isinstance(good, Path) and isinstance(tmp, Path)
    assert_refused(world, _manifest_bytes(good, tmp / "m.zip", data), match)


@pytest.mark.parametrize(("change", "match"), [
    (lambda man: {**man, "rows": {**man["rows"], "park": "3"}}, "non-negative integer"),
    (lambda man: {**man, "rows": {**man["rows"], "park": 4}}, "3 rows, the manifest says 4"),
    (lambda man: {**man, "rows": {**man["rows"], "ghost": 0}}, "tables not in this schema: ghost"),
    (lambda man: {**man, "sha256": "abc"}, "'sha256' must map"),
    (lambda man: {**man, "firm_files": 2}, "'firm_files' must list"),
    (lambda man: {**man, "firm_files": man["firm_files"][:1]}, "differ from the manifest"),
])
def test_manifest_inconsistent_with_content(world: dict[str, object], change: Callable[[dict], dict],
                                            match: str) -> None:
    good, tmp = world["good"], world["tmp"]
    assert isinstance(good, Path) and isinstance(tmp, Path)
    assert_refused(world, rewrite(good, tmp / "c.zip", manifest=change), match)


def test_checksum_mismatch(world: dict[str, object]) -> None:
    good, tmp = world["good"], world["tmp"]
    assert isinstance(good, Path) and isinstance(tmp, Path)
    with zipfile.ZipFile(good) as zf:
        park = zf.read("tables/park.jsonl")
    bad = rewrite(good, tmp / "sum.zip", edit={"tables/park.jsonl": park.replace(b"Park A", b"Park Z")},
                  fix_sums=False)
    assert_refused(world, bad, "SHA-256 does not match")


@pytest.mark.parametrize(("line", "match"), [
    (b"{broken", "line is not JSON"),
    (b"[1]", "not a JSON object"),
    (b'{"nope": 1}', "columns not in table"),
])
def test_bad_table_line(world: dict[str, object], line: bytes, match: str) -> None:
    good, tmp = world["good"], world["tmp"]
    assert isinstance(good, Path) and isinstance(tmp, Path)
    with zipfile.ZipFile(good) as zf:
        target = zf.read("tables/target.jsonl")
    bad = rewrite(good, tmp / "line.zip", edit={"tables/target.jsonl": target + b"\n" + line},
                  manifest=lambda man: {**man, "rows": {**man["rows"], "target": man["rows"]["target"] + 1}})
    assert_refused(world, bad, match)


def test_unexpected_and_duplicate_members(world: dict[str, object]) -> None:
    good, tmp = world["good"], world["tmp"]
    assert isinstance(good, Path) and isinstance(tmp, Path)
    assert_refused(world, rewrite(good, tmp / "u.zip", add={"evil.sh": b"rm -rf /"}), "unexpected member")
    assert_refused(world, rewrite(good, tmp / "f.zip", add={"firms/notes.txt": b"x"}), "unexpected firm file")
    dup = rewrite(good, tmp / "d.zip")
    with zipfile.ZipFile(dup, "a") as zf, pytest.warns(UserWarning, match="Duplicate name"):
        zf.writestr("tables/park.jsonl", b"")
    assert_refused(world, dup, "appears twice")


def test_constraint_violation_rolls_back_with_firms(world: dict[str, object]) -> None:
    good, tmp = world["good"], world["tmp"]
    assert isinstance(good, Path) and isinstance(tmp, Path)
    with zipfile.ZipFile(good) as zf:
        park = zf.read("tables/park.jsonl")
    bad = rewrite(good, tmp / "fk.zip", edit={"tables/park.jsonl": park.replace(b'"510112"', b'"519999"')})
    assert_refused(world, bad, "violates the schema")


def test_failed_commit_puts_the_firm_folder_back(world: dict[str, object],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The firm folder is swapped in before the database commits; a failing commit undoes it."""
    from contextlib import contextmanager

    import parklink.store.backup as b

    real = b.session_scope

    @contextmanager
    def failing(url: str | None = None, **kw: object):  # type: ignore[no-untyped-def]
        with real(url, **kw) as s:  # type: ignore[arg-type]
            yield s
            raise ParklinkError("simulated commit failure")

    monkeypatch.setattr(b, "session_scope", failing)
    url, data, firms, good = world["url"], world["data"], world["firms"], world["good"]
    assert isinstance(url, str) and isinstance(data, Path) and isinstance(firms, Path) and isinstance(good, Path)
    db_before, files_before = table_hashes(url), tree_hash(data)
    with pytest.raises(ParklinkError, match="simulated"):
        restore(good, url=url, firm_root=firms)
    assert table_hashes(url) == db_before and tree_hash(data) == files_before
    assert sorted(p.name for p in data.iterdir()) == ["firms"]


def test_good_backup_restores_both(world: dict[str, object]) -> None:
    url, data, firms, good = world["url"], world["data"], world["firms"], world["good"]
    assert isinstance(url, str) and isinstance(data, Path) and isinstance(firms, Path) and isinstance(good, Path)
    report = restore(good, url=url, firm_root=firms)
    assert report.firm_files == 2
    assert sorted(p.name for p in (firms / "transactions").iterdir()) == ["part-00000.parquet"]
    with session_scope(url) as s:
        assert "after the backup" not in set(s.scalars(select(m.Park.name_en)))
    assert sorted(p.name for p in data.iterdir()) == ["firms"]


def test_format_1_backup_without_checksums_is_accepted(world: dict[str, object]) -> None:
    """Backups written before checksums existed restore with the reduced checks."""
    url, firms, good, tmp = world["url"], world["firms"], world["good"], world["tmp"]
    assert isinstance(url, str) and isinstance(firms, Path) and isinstance(good, Path) and isinstance(tmp, Path)
    v1 = rewrite(good, tmp / "v1.zip", fix_sums=False, manifest=lambda man: {
        k: v for k, v in {**man, "format": "parklink-backup/1", "firm_files": len(man["firm_files"])}.items()
        if k != "sha256"})
    assert restore(v1, url=url, firm_root=firms).firm_files == 2
    broken = rewrite(v1, tmp / "v1b.zip", fix_sums=False, edit={"firms/firms.parquet": b"junk"})
    assert_refused(world, broken, "not a readable Parquet")


def test_cli_restore_of_a_bad_backup_is_a_message_not_a_traceback(world: dict[str, object]) -> None:
    """`parklink db restore` on a damaged backup: exit 1, the reason printed, nothing changed."""
    from typer.testing import CliRunner

    from parklink.cli import app

    url, data, good, tmp = world["url"], world["data"], world["good"], world["tmp"]
    assert isinstance(url, str) and isinstance(data, Path) and isinstance(good, Path) and isinstance(tmp, Path)
    bad = _crc_damaged(good, tmp / "cli.zip", "firms/transactions/part-00000.parquet")
    db_before = table_hashes(url)
    result = CliRunner().invoke(app, ["db", "restore", str(bad), "--database", url, "--no-firms"])
    assert result.exit_code == 1, result.output
    assert "damaged member" in result.output and "Traceback" not in result.output
    assert table_hashes(url) == db_before
    bad = _manifest_bytes(good, tmp / "cli2.zip", b"\xff\xfe not json")
    result = CliRunner().invoke(app, ["db", "restore", str(bad), "--database", url])
    assert result.exit_code == 1 and "not UTF-8" in result.output


# --- a crash between the folder swap and the commit, and after the commit --------------------

CRASH = """
import os, sys
from pathlib import Path
import parklink.store.restore_journal as rj
from parklink.store.backup import restore
good, url, firms, when = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]), sys.argv[4]
if when == "before-commit":  # die right after the staging folder became the firm folder
    real = Path.rename
    def rename(self, target):
        out = real(self, target)
        if Path(target) == firms:
            os._exit(9)
        return out
    Path.rename = rename
else:  # die right after the commit, before the journal and the old folder are removed
    rj.finish = lambda *a, **k: os._exit(9)
restore(good, url=url, firm_root=firms)
"""


def _crash(world: dict[str, object], when: str) -> None:
    import subprocess
    import sys

    good, url, firms = world["good"], world["url"], world["firms"]
    proc = subprocess.run([sys.executable, "-c", CRASH, str(good), str(url), str(firms), when],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 9, proc.stderr


def test_crash_before_the_commit_is_rolled_back_by_the_next_run(world: dict[str, object]) -> None:
    """The process dies with the new firm folder in place and the database uncommitted: the
    next run (reading the inputs) puts the old folder back; database and files as before."""
    from parklink.inputs import read_inputs
    from parklink.store.restore_journal import journal_path

    url, data, firms = world["url"], world["data"], world["firms"]
    assert isinstance(url, str) and isinstance(data, Path) and isinstance(firms, Path)
    db_before, files_before = table_hashes(url), tree_hash(data)
    _crash(world, "before-commit")
    assert journal_path(firms).exists()  # the crash left the swap half done
    assert tree_hash(data) != files_before
    read_inputs(url, firm_root=firms)
    assert not journal_path(firms).exists()
    assert table_hashes(url) == db_before and tree_hash(data) == files_before
    assert sorted(p.name for p in data.iterdir()) == ["firms"]


def test_crash_after_the_commit_is_completed_by_the_next_restore(world: dict[str, object]) -> None:
    """The process dies after the commit: the next run keeps the restored firm folder and
    removes the old one, the journal and its token."""
    from parklink.store.restore_journal import META_KEY, journal_path, recover

    url, data, firms = world["url"], world["data"], world["firms"]
    assert isinstance(url, str) and isinstance(data, Path) and isinstance(firms, Path)
    _crash(world, "after-commit")
    assert journal_path(firms).exists()
    assert len([p for p in data.iterdir() if p.name.startswith(".restore-old-")]) == 1
    assert recover(url, firms) == "committed"
    assert recover(url, firms) is None
    assert sorted(p.name for p in data.iterdir()) == ["firms"]
    assert sorted(p.name for p in (firms / "transactions").iterdir()) == ["part-00000.parquet"]
    with session_scope(url) as s:
        assert "after the backup" not in set(s.scalars(select(m.Park.name_en)))
        assert s.get(m.Meta, META_KEY) is None
