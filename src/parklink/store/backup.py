"""Lossless backup and an all-or-nothing restore of the whole database and firm Parquet set.

A backup is a zip file::

    manifest.json          format, alembic revision, created, row counts, SHA-256 of every
                           member, the list of firm files
    tables/<table>.jsonl   one JSON object per row, every table of the schema
    firms/...              the firm-level Parquet dataset (firms.parquet, transactions/*.parquet)

It is database-neutral: a backup taken from SQLite restores into PostgreSQL and back.

A restore first verifies the whole archive (:mod:`parklink.store.backup_check`: member
names, manifest, every table's lines, row counts and checksums, every Parquet file), writing
the firm files into a staging folder next to the firm folder. Only then does it replace the
tables in one database transaction and, before that transaction commits, swap the staging
folder in for the firm folder by two renames; if the commit fails the renames are undone, and a crash in between
is finished or undone by the next run (:mod:`parklink.store.restore_journal`).
Any failure changes nothing and removes the staging folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import tempfile
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from parklink.errors import ParklinkError, ValidationError
from parklink.firmdata import publish_lock
from parklink.store import restore_journal
from parklink.store.backup_check import (
    FORMAT,
    NOT_BACKED_UP,
    Verified,
    backed_up_tables,
    check_member_names,
    encode_value,
    read_manifest,
    read_tables,
    stage_firms,
)
from parklink.store.db import current_revision, head_revision, session_scope, upgrade
from parklink.store.models import Base
from parklink.store.version import data_version, keep_data_version

__all__ = ["FORMAT", "NOT_BACKED_UP", "BackupReport", "backup", "restore"]


@dataclass(frozen=True, slots=True)
class BackupReport:
    """What a backup or restore moved: rows per table and firm files."""

    path: Path
    revision: str
    rows: dict[str, int]
    firm_files: int


def _firm_files(firm_root: Path) -> list[tuple[Path, str]]:
    """(file, name in the zip) of the firm dataset: firms.parquet and transactions/*.parquet
    (the transactions folder may be a link to its current generation; it is followed)."""
    out: list[tuple[Path, str]] = []
    if (firm_root / "firms.parquet").is_file():
        out.append((firm_root / "firms.parquet", "firms/firms.parquet"))
    tx = firm_root / "transactions"
    if tx.is_dir():
        out += [(p, f"firms/transactions/{p.name}") for p in sorted(tx.glob("*.parquet")) if p.is_file()]
    return out


def backup(path: Path, *, url: str | None = None, firm_root: Path | None = None) -> BackupReport:
    """Write every table (and the firm Parquet files under ``firm_root``) to the zip ``path``.

    Cached analysis jobs (:data:`NOT_BACKED_UP`) are left out. The manifest records each
    table's row count and the SHA-256 of every member, which a restore verifies. The zip is
    written to ``path.partial`` and renamed when complete.
    """
    revision = current_revision(url)
    if revision is None:
        raise ParklinkError("the database has no parklink schema; run 'parklink db init' first")
    rows: dict[str, int] = {}
    sums: dict[str, str] = {}
    files: list[str] = []
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with session_scope(url, readonly=True) as session:
            for table in backed_up_tables():
                result = session.execute(select(table))
                lines = [
                    json.dumps({k: encode_value(v) for k, v in row._mapping.items()}, ensure_ascii=False)
                    for row in result
                ]
                rows[table.name] = len(lines)
                data = "\n".join(lines).encode("utf-8")
                sums[f"tables/{table.name}.jsonl"] = hashlib.sha256(data).hexdigest()
                zf.writestr(f"tables/{table.name}.jsonl", data)
        if firm_root is not None and firm_root.is_dir():
            for file, name in _firm_files(firm_root):
                digest = hashlib.sha256()
                with file.open("rb") as src:
                    while chunk := src.read(1 << 20):
                        digest.update(chunk)
                zf.write(file, name)
                sums[name] = digest.hexdigest()
                files.append(name)
        manifest = {
            "format": FORMAT,
            "revision": revision,
            "created": dt.datetime.now(dt.UTC).isoformat(),
            "rows": rows,
            "firm_files": files,
            "sha256": sums,
        }
        zf.writestr("manifest.json", json.dumps(manifest, indent=2))
    tmp.replace(path)
    return BackupReport(path, revision, rows, len(files))


def restore(path: Path, *, url: str | None = None, firm_root: Path | None = None) -> BackupReport:
    """Replace the database content (and the firm files under ``firm_root``) with the backup.

    All or nothing: the whole archive is verified first (see
    :mod:`parklink.store.backup_check`); then the tables are replaced in one transaction and
    the firm folder is swapped in just before it commits. Any problem raises
    :class:`ValidationError` naming the member, line and reason, and then neither the
    database nor the firm folder changed and no staging folder is left. A backup without
    firm files leaves the firm folder as it is. The backup's schema revision must be this
    parklink's head revision.
    """
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise ValidationError.single(str(path), f"cannot open backup: {exc}") from exc
    staging: Path | None = None
    if firm_root is not None:  # a restore interrupted by a crash is finished or undone first
        restore_journal.recover(url, firm_root)
    with zf:
        if "manifest.json" not in zf.namelist():
            raise ValidationError.single(str(path), "not a parklink backup (no manifest.json)")
        check_member_names(zf, path)
        manifest = read_manifest(zf, path)
        revision = manifest["revision"]
        if revision != head_revision():
            raise ValidationError.single(
                str(path),
                f"backup is at schema revision {revision}, this parklink is at {head_revision()}; "
                "restore it with the matching parklink version, then upgrade",
            )
        records = read_tables(zf, path, manifest)
        has_firms = any(n.startswith("firms/") for n in zf.namelist())
        try:
            names: list[str] = []
            if has_firms or manifest.get("firm_files"):
                if firm_root is not None:  # next to the firm folder: the swap is a rename
                    firm_root.parent.mkdir(parents=True, exist_ok=True)
                    staging = firm_root.parent / f".restore-{uuid.uuid4().hex[:12]}"
                    staging.mkdir()
                else:  # verified all the same, then dropped
                    staging = Path(tempfile.mkdtemp(prefix=".restore-"))
                names = stage_firms(zf, path, manifest, staging)
            verified = Verified(manifest, revision, records, names)
            upgrade(url)
            rows = _swap(verified, path, url, staging if firm_root is not None else None, firm_root)
        finally:
            if staging is not None:
                shutil.rmtree(staging, ignore_errors=True)
    return BackupReport(path, revision, rows, len(names))


def _swap(verified: Verified, path: Path, url: str | None, staging: Path | None,
          firm_root: Path | None) -> dict[str, int]:
    """Replace every table in one transaction; swap the firm folder in just before commit.

    With firm files the folder's publish lock is held from before the swap until after the
    commit, and a journal (:mod:`parklink.store.restore_journal`) lets a later run finish or
    undo a swap whose process died between the renames and the commit."""
    if staging is None or firm_root is None:
        return _replace_in_one_transaction(verified, path, url)
    old = firm_root.with_name(f".restore-old-{uuid.uuid4().hex[:12]}")
    token = uuid.uuid4().hex
    with publish_lock(firm_root):  # no transactions import publishes meanwhile
        rows = _replace_in_one_transaction(verified, path, url, swap=(firm_root, staging, old, token))
    restore_journal.finish(url, firm_root, old)
    return rows


def _replace_in_one_transaction(verified: Verified, path: Path, url: str | None,
                                swap: tuple[Path, Path, Path, str] | None = None) -> dict[str, int]:
    moved = swapped = False
    firm_root = old = None
    try:
        with session_scope(url) as session:
            rows = _replace_tables(session, verified)
            if swap is not None:
                firm_root, staging, old, token = swap
                restore_journal.mark(session, token)
                session.flush()
                restore_journal.write_journal(firm_root, token, old, staging)
                firm_root.rename(old)
                moved = True
                staging.rename(firm_root)
                swapped = True
            else:
                session.flush()
    except IntegrityError as exc:
        _undo(swapped, old if moved else None, firm_root)
        raise ValidationError.single(
            str(path), f"backup content violates the schema's constraints: {exc.orig}"
        ) from exc
    except BaseException:
        _undo(swapped, old if moved else None, firm_root)
        raise
    return rows


def _undo(swapped: bool, old: Path | None, firm_root: Path | None) -> None:
    """Put the previous firm folder back after a failed commit (and drop the journal)."""
    if firm_root is None:
        return
    if swapped:
        shutil.rmtree(firm_root, ignore_errors=True)
    if old is not None and old.exists():
        old.rename(firm_root)
    restore_journal.journal_path(firm_root).unlink(missing_ok=True)


def _replace_tables(session: Session, verified: Verified) -> dict[str, int]:
    """Delete every row and insert the backup's (the data version moves past the old one)."""
    rows: dict[str, int] = {}
    before = data_version(session)
    for table in reversed(Base.metadata.sorted_tables):
        session.execute(delete(table))
    for table in backed_up_tables():
        records = verified.records[table.name]
        if records:
            session.execute(insert(table), records)
        rows[table.name] = len(records)
    keep_data_version(session, before)  # the commit bumps it: never a version seen before
    _reset_sequences(session)
    return rows


def _reset_sequences(session: Session) -> None:
    """Move PostgreSQL serial sequences past the restored ids."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in Base.metadata.sorted_tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and pk[0].autoincrement is True and pk[0].type.python_type is int:
            top = session.scalar(select(pk[0]).order_by(pk[0].desc()).limit(1))
            if top is not None:
                session.execute(
                    text("SELECT setval(pg_get_serial_sequence(:t, :c), :v)"),
                    {"t": table.name, "c": pk[0].name, "v": int(top)},
                )
