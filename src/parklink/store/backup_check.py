"""Verification of a backup zip before a restore touches anything (docs/store.md).

:func:`verify` reads the whole archive once and either returns a :class:`Verified`
(decoded rows of every table, firm files written into a staging folder) or raises
:class:`~parklink.errors.ValidationError` naming the member, line and reason. It checks:

1. member names: no absolute path, drive letter, backslash, ``..`` or empty component, no
   symbolic link, no duplicate, nothing outside ``manifest.json`` / ``tables/`` / ``firms/``
   (the zip-slip class: a member can never resolve outside the staging folder);
2. the manifest: UTF-8 JSON object with the known ``format``, a string ``revision`` equal
   to this parklink's head, ``rows`` as table -> non-negative integer for exactly the
   tables of the schema, and (format 2) a SHA-256 per table and per firm file;
3. every table of the schema (except :data:`NOT_BACKED_UP`) is present as
   ``tables/<name>.jsonl``; each line is a JSON object whose keys are columns of that
   table, dates and datetimes parse, the line count equals the manifest's row count, and
   (format 2) the SHA-256 of the member equals the manifest's;
4. every firm file is ``firms/firms.parquet`` or ``firms/transactions/<name>.parquet``, its
   zip CRC and (format 2) SHA-256 match, it opens as Parquet, and its schema has the key
   columns of its kind with types compatible with :mod:`parklink.tables`.

Format 1 backups (written before checksums existed) are accepted with the reduced checks
1-4 without the SHA-256 comparisons (the zip's CRC-32 still guards every member).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import posixpath
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Date, DateTime, Table

from parklink.errors import Problem, ValidationError
from parklink.store.models import Base

FORMAT_V1 = "parklink-backup/1"
FORMAT = "parklink-backup/2"
FORMATS = (FORMAT_V1, FORMAT)

#: Tables a backup leaves out: cached analysis jobs (recomputable; a restore empties them).
NOT_BACKED_UP = frozenset({"analysis_job"})

#: Firm files: path inside ``firms/`` -> (kind, required columns, canonical column types).
_FIRM_KINDS = ("firms", "transactions")

_CHUNK = 1 << 20


def backed_up_tables() -> list[Table]:
    """The tables a backup holds, parents before children."""
    return [t for t in Base.metadata.sorted_tables if t.name not in NOT_BACKED_UP]


def encode_value(value: Any) -> Any:
    """A column value as JSON (dates and datetimes as ISO 8601 text)."""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _decoder(column: Any) -> Callable[[Any], Any]:
    if isinstance(column.type, DateTime):
        return lambda v: None if v is None else dt.datetime.fromisoformat(v)
    if isinstance(column.type, Date):
        return lambda v: None if v is None else dt.date.fromisoformat(v)
    return lambda v: v


@dataclass
class Verified:
    """A verified backup: its manifest, decoded rows per table and staged firm files."""

    manifest: dict[str, Any]
    revision: str
    records: dict[str, list[dict[str, Any]]]
    firm_files: list[str]


def _bad(path: Path, reason: str, *, member: str | None = None, line: int | None = None) -> ValidationError:
    where = f"{path.name}:{member}" if member else str(path)
    return ValidationError([Problem(where, line, None, None, reason)])


def check_member_names(zf: zipfile.ZipFile, path: Path) -> None:
    """Refuse unsafe or unexpected member names (zip-slip, symlinks, duplicates)."""
    seen: set[str] = set()
    for info in zf.infolist():
        name = info.filename
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise _bad(path, "symbolic link in the backup; refused (备份中含符号链接，拒绝)", member=name)
        parts = name.split("/")
        unsafe = (
            name.startswith("/") or "\\" in name or ":" in parts[0] or "\x00" in name
            or any(p in ("", ".", "..") for p in parts[:-1]) or parts[-1] in (".", "..")
            or posixpath.normpath(name) != name.rstrip("/")
        )
        if unsafe:
            raise _bad(path, "member path is absolute or leaves the backup folder (.., drive, "
                             "backslash); refused (路径越界，拒绝)", member=name)
        if info.is_dir():
            continue
        if name in seen:
            raise _bad(path, "member appears twice (成员重复)", member=name)
        seen.add(name)
        if name != "manifest.json" and not name.startswith(("tables/", "firms/")):
            raise _bad(path, "unexpected member (未知成员)", member=name)


def read_manifest(zf: zipfile.ZipFile, path: Path) -> dict[str, Any]:
    """The manifest, checked for shape and types (not yet against the content)."""
    try:
        raw = zf.read("manifest.json")
    except KeyError:
        raise _bad(path, "not a parklink backup (no manifest.json)") from None
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise _bad(path, f"manifest.json is damaged: {exc}", member="manifest.json") from exc
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise _bad(path, f"manifest is not UTF-8 text (byte {exc.start}) (清单不是UTF-8)",
                   member="manifest.json") from exc
    except json.JSONDecodeError as exc:
        raise _bad(path, f"manifest is not valid JSON: {exc.msg} (清单不是有效JSON)",
                   member="manifest.json", line=exc.lineno) from exc
    if not isinstance(manifest, dict):
        raise _bad(path, "manifest must be a JSON object (清单须为对象)", member="manifest.json")
    fmt = manifest.get("format")
    if fmt not in FORMATS:
        raise _bad(path, f"unsupported backup format {fmt!r}; expected {FORMAT} or {FORMAT_V1}")
    revision = manifest.get("revision")
    if not isinstance(revision, str) or not revision:
        raise _bad(path, "manifest has no schema revision (text) (清单缺少版本)", member="manifest.json")
    rows = manifest.get("rows")
    if not isinstance(rows, dict) or not all(
            isinstance(k, str) and type(v) is int and v >= 0 for k, v in rows.items()):
        raise _bad(path, "manifest 'rows' must map each table to a non-negative integer "
                         "(清单行数格式错误)", member="manifest.json")
    firm_files = manifest.get("firm_files", 0)
    if fmt == FORMAT:
        checks = manifest.get("sha256")
        if not isinstance(checks, dict) or not all(
                isinstance(k, str) and isinstance(v, str) and len(v) == 64 for k, v in checks.items()):
            raise _bad(path, "manifest 'sha256' must map each member to a SHA-256 hex digest "
                             "(清单校验和格式错误)", member="manifest.json")
        if not isinstance(firm_files, list) or not all(isinstance(f, str) for f in firm_files):
            raise _bad(path, "manifest 'firm_files' must list the firm files (清单企业文件格式错误)",
                       member="manifest.json")
    elif type(firm_files) is not int or firm_files < 0:
        raise _bad(path, "manifest 'firm_files' must be a non-negative integer", member="manifest.json")
    return manifest


def _read_member(zf: zipfile.ZipFile, path: Path, name: str, manifest: dict[str, Any],
                 sink: Callable[[bytes], object]) -> None:
    """Stream member ``name`` into ``sink``, checking its CRC and (format 2) its SHA-256."""
    digest = hashlib.sha256()
    try:
        with zf.open(name) as src:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                sink(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:  # CRC / zlib / truncation
        raise _bad(path, f"damaged member (CRC or compression error): {exc} (成员已损坏)",
                   member=name) from exc
    expected = manifest.get("sha256", {}).get(name) if manifest["format"] == FORMAT else None
    if manifest["format"] == FORMAT and expected is None:
        raise _bad(path, "member has no checksum in the manifest (清单中无校验和)", member=name)
    if expected is not None and digest.hexdigest() != expected:
        raise _bad(path, "SHA-256 does not match the manifest (校验和不符)", member=name)


def read_tables(zf: zipfile.ZipFile, path: Path, manifest: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Decoded rows of every backed-up table, checked line by line against the schema."""
    tables = backed_up_tables()
    names = {t.name for t in tables}
    rows: dict[str, int] = manifest["rows"]
    members = {n for n in zf.namelist() if n.startswith("tables/")}
    unknown = sorted({*rows} - names) + sorted(m for m in members if m.removeprefix("tables/").removesuffix(
        ".jsonl") not in names or not m.endswith(".jsonl"))
    if unknown:
        raise _bad(path, f"tables not in this schema: {', '.join(unknown)} (未知数据表)")
    out: dict[str, list[dict[str, Any]]] = {}
    for table in tables:
        member = f"tables/{table.name}.jsonl"
        if member not in members:
            raise _bad(path, f"table {table.name} is missing from the backup; refused rather than "
                             "emptied (备份缺少该表)", member=member)
        if table.name not in rows:
            raise _bad(path, f"manifest has no row count for table {table.name}", member="manifest.json")
        buf = bytearray()
        _read_member(zf, path, member, manifest, buf.extend)
        try:
            text = buf.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _bad(path, f"not UTF-8 text (byte {exc.start})", member=member) from exc
        decoders = {c.name: _decoder(c) for c in table.columns}
        records: list[dict[str, Any]] = []
        for lineno, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise _bad(path, f"line is not JSON: {exc.msg}", member=member, line=lineno) from exc
            if not isinstance(obj, dict):
                raise _bad(path, "line is not a JSON object", member=member, line=lineno)
            extra = sorted(set(obj) - set(decoders))
            if extra:
                raise _bad(path, f"columns not in table {table.name}: {', '.join(map(str, extra))}",
                           member=member, line=lineno)
            try:
                records.append({k: decoders[k](v) for k, v in obj.items()})
            except (TypeError, ValueError) as exc:
                raise _bad(path, f"bad date/time value: {exc}", member=member, line=lineno) from exc
        if len(records) != rows[table.name]:
            raise _bad(path, f"{len(records)} rows, the manifest says {rows[table.name]} (行数不符)",
                       member=member)
        out[table.name] = records
    return out


def _canonical_types() -> dict[str, dict[str, str]]:
    from parklink.firmdata import BUYER_KEY, FIRM_KEY, SUPPLIER_KEY
    from parklink.tables import ENTERPRISES, TRANSACTIONS

    firms: dict[str, str] = {c.name: str(c.type) for c in ENTERPRISES.columns} | {FIRM_KEY: "int"}
    tx: dict[str, str] = {c.name: str(c.type) for c in TRANSACTIONS.columns} | {
        SUPPLIER_KEY: "int", BUYER_KEY: "int"}
    return {"firms": firms, "transactions": tx}


#: Columns a firm file of each kind must have.
REQUIRED_FIRM_COLUMNS = {"firms": ("enterprise_id",),
                         "transactions": ("supplier_id", "buyer_id", "year", "value_kcny")}


def _compatible(arrow_type: Any, typ: str) -> bool:
    import pyarrow as pa

    if pa.types.is_null(arrow_type):
        return True
    if typ in ("str", "list"):
        return bool(pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)
                    or pa.types.is_dictionary(arrow_type))
    if typ == "int":
        return bool(pa.types.is_integer(arrow_type))
    if typ == "float":
        return bool(pa.types.is_floating(arrow_type) or pa.types.is_integer(arrow_type)
                    or pa.types.is_decimal(arrow_type))
    if typ == "bool":
        return bool(pa.types.is_boolean(arrow_type))
    if typ == "date":
        return bool(pa.types.is_date(arrow_type) or pa.types.is_timestamp(arrow_type))
    return True


def check_parquet(file: Path, kind: str, label: str, path: Path) -> None:
    """``file`` opens as Parquet, every row group reads, and its schema fits ``kind``."""
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(file)
        for i in range(pf.num_row_groups):
            pf.read_row_group(i)
        schema = pf.schema_arrow
    except Exception as exc:  # pyarrow raises ArrowInvalid/OSError/... on garbage
        raise _bad(path, f"not a readable Parquet file: {exc} (Parquet文件无法读取)", member=label) from exc
    types = _canonical_types()[kind]
    missing = [c for c in REQUIRED_FIRM_COLUMNS[kind] if c not in schema.names]
    if missing:
        raise _bad(path, f"{kind} file lacks columns {', '.join(missing)} (缺少列)", member=label)
    for field in schema:
        if field.name in types and not _compatible(field.type, types[field.name]):
            raise _bad(path, f"column {field.name} has type {field.type}, expected {types[field.name]} "
                             "(列类型不符)", member=label)


def stage_firms(zf: zipfile.ZipFile, path: Path, manifest: dict[str, Any], staging: Path) -> list[str]:
    """Write every firm file into ``staging`` (checked: names, CRC, checksum, Parquet schema)."""
    names = sorted(n for n in zf.namelist() if n.startswith("firms/") and not n.endswith("/"))
    listed = manifest.get("firm_files", 0)
    count = len(listed) if isinstance(listed, list) else listed
    if isinstance(listed, list) and sorted(listed) != names:
        raise _bad(path, "firm files differ from the manifest's list (企业文件与清单不符)", member="manifest.json")
    if len(names) != count:
        raise _bad(path, f"{len(names)} firm files, the manifest says {count} (企业文件数不符)",
                   member="manifest.json")
    root = staging.resolve()
    for name in names:
        rel = name.removeprefix("firms/")
        parts = rel.split("/")
        if rel == "firms.parquet":
            kind = "firms"
        elif len(parts) == 2 and parts[0] == "transactions" and parts[1].endswith(".parquet"):
            kind = "transactions"
        else:
            raise _bad(path, "unexpected firm file (only firms.parquet and transactions/*.parquet)",
                       member=name)
        target = (root / rel).resolve()
        if not target.is_relative_to(root):  # defence in depth; names were checked already
            raise _bad(path, "member path leaves the staging folder; refused", member=name)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("xb") as dst:
            _read_member(zf, path, name, manifest, dst.write)
        check_parquet(target, kind, name, path)
    return names
