"""Lossless backup and restore of the whole database (and the firm-level Parquet set).

A backup is a zip file::

    manifest.json          format, alembic revision, created, row counts, files
    tables/<table>.jsonl   one JSON object per row, every table of the schema
    firms/...              the firm-level Parquet dataset, when included

It is database-neutral: a backup taken from SQLite restores into PostgreSQL and back.
Restore runs in one transaction (all or nothing) and then swaps the firm files in.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, delete, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from parklink.errors import ParklinkError, ValidationError
from parklink.store.db import current_revision, head_revision, session_scope, upgrade
from parklink.store.models import Base
from parklink.store.version import data_version, keep_data_version

FORMAT = "parklink-backup/1"


@dataclass(frozen=True, slots=True)
class BackupReport:
    """What a backup or restore moved: rows per table and firm files."""

    path: Path
    revision: str
    rows: dict[str, int]
    firm_files: int


def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _decoder(column: Any) -> Any:
    if isinstance(column.type, DateTime):
        return lambda v: None if v is None else dt.datetime.fromisoformat(v)
    if isinstance(column.type, Date):
        return lambda v: None if v is None else dt.date.fromisoformat(v)
    return lambda v: v


#: Tables a backup leaves out: cached analysis jobs (recomputable; a restore empties them).
NOT_BACKED_UP = frozenset({"analysis_job"})


def backup(path: Path, *, url: str | None = None, firm_root: Path | None = None) -> BackupReport:
    """Write every table (and the firm Parquet files under ``firm_root``) to the zip ``path``.

    Cached analysis jobs (:data:`NOT_BACKED_UP`) are left out.
    """
    revision = current_revision(url)
    if revision is None:
        raise ParklinkError("the database has no parklink schema; run 'parklink db init' first")
    rows: dict[str, int] = {}
    firm_files = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with session_scope(url) as session:
            for table in Base.metadata.sorted_tables:
                if table.name in NOT_BACKED_UP:
                    continue
                result = session.execute(select(table))
                lines = [
                    json.dumps({k: _encode(v) for k, v in row._mapping.items()}, ensure_ascii=False)
                    for row in result
                ]
                rows[table.name] = len(lines)
                zf.writestr(f"tables/{table.name}.jsonl", "\n".join(lines))
        if firm_root is not None and firm_root.is_dir():
            for file in sorted(firm_root.rglob("*.parquet")):
                zf.write(file, f"firms/{file.relative_to(firm_root).as_posix()}")
                firm_files += 1
        manifest = {
            "format": FORMAT,
            "revision": revision,
            "created": dt.datetime.now(dt.UTC).isoformat(),
            "rows": rows,
            "firm_files": firm_files,
        }
        zf.writestr("manifest.json", json.dumps(manifest, indent=2))
    tmp.replace(path)
    return BackupReport(path, revision, rows, firm_files)


def _read_manifest(zf: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads(zf.read("manifest.json"))
    except KeyError:
        raise ValidationError.single(str(path), "not a parklink backup (no manifest.json)") from None
    if manifest.get("format") != FORMAT:
        raise ValidationError.single(
            str(path), f"unsupported backup format {manifest.get('format')!r}; expected {FORMAT}"
        )
    return manifest


def restore(path: Path, *, url: str | None = None, firm_root: Path | None = None) -> BackupReport:
    """Replace the database content (and firm files) with the backup at ``path``.

    The schema is first upgraded to the backup's revision (older backups are accepted
    as long as the revision is known); the data swap is one transaction.
    """
    try:
        zf = zipfile.ZipFile(path)
    except (FileNotFoundError, zipfile.BadZipFile) as exc:
        raise ValidationError.single(str(path), f"cannot open backup: {exc}") from exc
    with zf:
        manifest = _read_manifest(zf, path)
        revision = str(manifest["revision"])
        if revision != head_revision():
            raise ValidationError.single(
                str(path),
                f"backup is at schema revision {revision}, this parklink is at {head_revision()}; "
                "restore it with the matching parklink version, then upgrade",
            )
        upgrade(url)
        rows: dict[str, int] = {}
        try:
            rows = _swap_tables(zf, url)
        except IntegrityError as exc:
            raise ValidationError.single(
                str(path), f"backup content violates the schema's constraints: {exc.orig}"
            ) from exc
        firm_files = _restore_firms(zf, firm_root) if firm_root is not None else 0
    return BackupReport(path, revision, rows, firm_files)


def _swap_tables(zf: zipfile.ZipFile, url: str | None) -> dict[str, int]:
    """Delete every row and insert the backup's, in one transaction."""
    rows: dict[str, int] = {}
    with session_scope(url) as session:
        before = data_version(session)
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(delete(table))
        for table in Base.metadata.sorted_tables:
            name = f"tables/{table.name}.jsonl"
            raw = zf.read(name).decode("utf-8") if name in zf.namelist() else ""
            decoders = {c.name: _decoder(c) for c in table.columns}
            records = [
                {k: decoders[k](v) for k, v in json.loads(line).items() if k in decoders}
                for line in raw.splitlines()
                if line.strip()
            ]
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


def _restore_firms(zf: zipfile.ZipFile, firm_root: Path) -> int:
    names = [n for n in zf.namelist() if n.startswith("firms/") and n.endswith(".parquet")]
    if not names:
        return 0
    firm_root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=firm_root.parent))
    for name in names:
        target = staging / name.removeprefix("firms/")
        target.parent.mkdir(parents=True, exist_ok=True)
        with zf.open(name) as src, target.open("wb") as dst:
            shutil.copyfileobj(src, dst)
    old = firm_root.with_name(firm_root.name + ".old")
    if firm_root.exists():
        if old.exists():
            shutil.rmtree(old)
        firm_root.rename(old)
    staging.rename(firm_root)
    if old.exists():
        shutil.rmtree(old)
    return len(names)
