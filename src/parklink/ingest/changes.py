"""Change preview and application of a validated import (modes append, upsert, replace).

A validated file (:class:`parklink.ingest.validate.Checked`) is compared, row by row and
field by field, with the stored rows of its kind (both in the canonical text of
:mod:`parklink.store.history`):

* **added** — the key is not stored;
* **changed** — the key is stored and at least one field differs (each ``field: old → new``);
* **unchanged** — the key is stored with exactly these values (never an error, in any mode);
* **removed** — stored keys the file does not contain: deleted by ``replace``, listed (not
  touched) by ``upsert`` and ``append``.

``append`` refuses changed rows (one problem per row naming the differing fields: use
``upsert``); ``upsert`` adds and changes; ``replace`` adds, changes and removes, and refuses —
naming each one — rows of other records that still refer to a row it would remove (a
designation listing a removed park, a zone listing a removed district, an enterprise in a
removed park, ...). :func:`apply_changes` writes everything in the caller's transaction:
only the changed fields of changed rows (the ``UPDATE`` checks the ``row_version`` read at
the start, so a concurrent edit fails the import instead of being overwritten), new rows in
dependency order, and one history entry per changed field / added / removed row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pandas as pd
from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from parklink import tables as t
from parklink.errors import Problem, ValidationError
from parklink.store import history as h
from parklink.store import models as m
from parklink.store.io import KINDS, ensure_reference_rows, read_frame

__all__ = ["ChangePreview", "apply_changes", "plan_changes", "removal_dependants"]


@dataclass(frozen=True, slots=True)
class ChangePreview:
    """What an import does (or would do, with ``--dry-run``) to the stored rows of ``kind``.

    ``added`` and ``removed`` are record keys; ``changed`` the record changes with their
    field changes; ``unchanged`` a count. ``removes`` tells whether the mode deletes the
    ``removed`` rows (replace) or only lists them. ``history`` is the number of history
    entries written (0 for a dry run).
    """

    kind: str
    file: str
    mode: str
    added: tuple[str, ...]
    changed: tuple[h.RecordChange, ...]
    unchanged: int
    removed: tuple[str, ...]
    applied: bool = False
    history: int = 0
    warnings: tuple[str, ...] = field(default=())

    @property
    def removes(self) -> bool:
        """True when the mode deletes the stored rows missing from the file (replace)."""
        return self.mode == "replace"

    @property
    def rows_written(self) -> int:
        """Rows inserted, updated or deleted."""
        return len(self.added) + len(self.changed) + (len(self.removed) if self.removes else 0)

    def to_frame(self) -> pd.DataFrame:
        """One row per added / removed record and per changed field:
        ``key, status (added|changed|removed), field, old, new``."""
        rows: list[dict[str, Any]] = [{"key": k, "status": "added", "field": None, "old": None, "new": None}
                                      for k in self.added]
        for change in self.changed:
            rows += [{"key": change.key, "status": "changed", "field": c.field, "old": c.old, "new": c.new}
                     for c in change.changes]
        rows += [{"key": k, "status": "removed", "field": None, "old": None, "new": None} for k in self.removed]
        return pd.DataFrame(rows, columns=["key", "status", "field", "old", "new"])


def _key_name(kind: str) -> str:
    return t.schema(kind).key[0]


def _records(frame: pd.DataFrame, kind: str) -> dict[str, h.CanonicalRow]:
    key = _key_name(kind)
    out: dict[str, h.CanonicalRow] = {}
    for record in frame.to_dict("records"):
        out[h.record_key(record[key])] = h.canonical_row(kind, cast(dict[str, Any], record))
    return out


def _stored_versions(session: Session, kind: str) -> dict[str, int]:
    model = KINDS[kind].model
    keycol = getattr(model, _key_name(kind))
    return {h.record_key(k): int(v) for k, v in session.execute(select(keycol, model.row_version))}  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class _Plan:
    preview: ChangePreview
    versions: dict[str, int]
    new_rows: dict[str, h.CanonicalRow]


def plan_changes(session: Session, kind: str, frame: pd.DataFrame, rows: Sequence[int], *,
                 file: str, mode: str) -> ChangePreview:
    """Compare the validated canonical ``frame`` (file rows ``rows``) with the stored rows
    of ``kind``; the :class:`ChangePreview`. Raises :class:`ValidationError` in append mode
    for every row whose key is stored with other values."""
    return _plan(session, kind, frame, rows, file=file, mode=mode).preview


def _plan(session: Session, kind: str, frame: pd.DataFrame, rows: Sequence[int], *,
          file: str, mode: str) -> _Plan:
    stored = _records(read_frame(session, kind), kind)
    new = _records(frame, kind)
    file_rows = dict(zip(new, rows, strict=True))
    added: list[str] = []
    changed: list[h.RecordChange] = []
    unchanged = 0
    for key, row in new.items():
        old = stored.get(key)
        if old is None:
            added.append(key)
            continue
        change = h.RecordChange.between(kind, key, old, row)
        if change is None:
            unchanged += 1
        else:
            changed.append(change)
    if mode == "append" and changed:
        keyname = _key_name(kind)
        raise ValidationError([
            Problem(file, int(file_rows[c.key]), keyname, c.key,
                    "duplicate key: already in the database with other values (已存在且内容不同): "
                    + "; ".join(str(fc) for fc in c.changes[:5])
                    + (f"; … {len(c.changes) - 5} more" if len(c.changes) > 5 else "")
                    + " — use --mode upsert to update it (用 upsert 模式更新)")
            for c in changed
        ])
    removed = tuple(k for k in stored if k not in new)
    if KINDS[kind].append_only:
        _refuse_rewrites(kind, changed, removed if mode == "replace" else (), file_rows, file)
    warnings = tuple(
        f"{c.key}: facts changed ({', '.join(fc.field for fc in c.changes if fc.field not in h.PROVENANCE_FIELDS)}) "
        f"with the same source_url and confidence '{c.new.get('confidence') if c.new else ''}' "
        "(事实已改但来源未变)"
        for c in changed
        if c.fact_changed() and not any(fc.field == "source_url" for fc in c.changes)
        and c.new is not None and c.new.get("confidence") == "confirmed"
    )
    preview = ChangePreview(kind, file, mode, tuple(added), tuple(changed), unchanged, removed,
                            warnings=warnings)
    return _Plan(preview, _stored_versions(session, kind), new)


def _refuse_rewrites(kind: str, changed: Sequence[h.RecordChange], removed: Sequence[str],
                     file_rows: dict[str, int], file: str) -> None:
    """An append-only kind (the stage-event log) takes new rows only: one problem per row
    that would change or remove a stored one."""
    keyname = _key_name(kind)
    problems = [Problem(file, int(file_rows[c.key]), keyname, c.key,
                        f"{kind} is an append-only log: a stored row cannot be changed "
                        f"({'; '.join(str(fc) for fc in c.changes[:3])}) (日志只可追加，不可修改)")
                for c in changed]
    problems += [Problem(file, None, keyname, k, f"{kind} is an append-only log: a stored row cannot be "
                         "removed (日志只可追加，不可删除)") for k in removed]
    if problems:
        raise ValidationError(problems)


def _dependant_tables(kind: str) -> list[tuple[Table, str]]:
    """(table, column) of every foreign key that refers to the key of ``kind``'s table."""
    spec = KINDS[kind]
    main = spec.model.__table__
    keyname = _key_name(kind)
    out: list[tuple[Table, str]] = []
    for table in m.Base.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is main and fk.column.name == keyname:
                out.append((table, fk.parent.name))
    return out


def _describe(table: Table, row: Any, column: str) -> str:
    for kind, spec in KINDS.items():
        if spec.model.__table__ is table:
            return f"{kind} {row[_key_name(kind)]} (column {column})"
        for col, link in spec.lists.items():
            if link.model.__table__ is table:
                return f"{kind} {row[link.owner]} (list {col})"
    pk = ", ".join(f"{c.name}={row[c.name]}" for c in table.primary_key.columns)
    return f"table {table.name} ({pk})"


def removal_dependants(session: Session, kind: str, keys: Sequence[str], *, file: str) -> list[Problem]:
    """One problem per stored row of another record that refers to a row of ``kind`` whose
    key is in ``keys`` (rows about to be removed); the kind's own list rows (deleted with
    their owner) and own rows that are removed as well do not count."""
    if not keys:
        return []
    spec = KINDS[kind]
    own_lists = {link.model.__table__: link.owner for link in spec.lists.values()}
    main = spec.model.__table__
    keyname = _key_name(kind)
    removing = list(keys)
    problems: list[Problem] = []
    for table, column in _dependant_tables(kind):
        ref = table.c[column]
        stmt = select(table).where(ref.in_(removing))
        if table is main:
            stmt = stmt.where(table.c[keyname].not_in(removing))
        elif table in own_lists:
            stmt = stmt.where(table.c[own_lists[table]].not_in(removing))
        for row in session.execute(stmt.order_by(*table.primary_key.columns)).mappings():
            problems.append(Problem(
                file, None, keyname, str(row[column]),
                f"would be removed by --mode replace, but {_describe(table, row, column)} refers to it; "
                "change or remove that record first (仍被其他记录引用，未删除)"))
    return problems


def _list_rows(kind: str, col: str, key: str, text: str | None) -> list[dict[str, Any]]:
    link = KINDS[kind].lists[col]
    rows = []
    for pos, item in enumerate(t.split_list(text)):
        row: dict[str, Any] = {link.owner: key, "position": pos}
        row.update(link.encode(item) if link.encode else {link.item: item})
        rows.append(row)
    return rows


def _key_value(kind: str, key: str) -> Any:
    """A record key as the database column wants it (targets are keyed by an int year)."""
    return int(key) if t.schema(kind).column(_key_name(kind)).type == "int" else key


def _typed(kind: str, changes: Sequence[h.FieldChange]) -> dict[str, Any]:
    """Changed scalar fields as typed database values."""
    types = dict(h.fields_of(kind))
    return {c.field: h.typed_value(types[c.field], c.new) for c in changes}


def update_record(session: Session, kind: str, key: Any, changes: Sequence[h.FieldChange], *,
                  expected_version: int) -> int | None:
    """Write ``changes`` (canonical text) to the record ``key`` of ``kind``: only the changed
    scalar columns, the changed list columns' rows, and ``row_version + 1`` — provided the
    stored version is still ``expected_version`` (checked in the UPDATE's WHERE clause).

    Returns the new version, or None when the row's version differs (or the row is gone):
    then nothing was written.
    """
    spec = KINDS[kind]
    model = spec.model
    keycol = getattr(model, _key_name(kind))
    scalar = [c for c in changes if c.field not in spec.lists]
    values = _typed(kind, scalar) if scalar else {}
    values["row_version"] = expected_version + 1
    done = session.execute(
        update(model).where(keycol == key, model.row_version == expected_version)  # type: ignore[attr-defined]
        .values(**values).execution_options(synchronize_session=False))
    if getattr(done, "rowcount", 0) != 1:
        return None
    for c in changes:
        if c.field in spec.lists:
            link = spec.lists[c.field]
            session.execute(delete(link.model).where(getattr(link.model, link.owner) == key))
            rows = _list_rows(kind, c.field, key, c.new)
            if rows:
                session.execute(insert(link.model), rows)
    return expected_version + 1


def _insert_rows(session: Session, kind: str, frame: pd.DataFrame, file: str) -> dict[str, int]:
    """Insert new rows (main and list rows, dependency order); their versions by key."""
    from parklink.store.io import write_frame

    write_frame(session, kind, frame, mode="append", source=file)
    keys = [h.record_key(k) for k in frame[_key_name(kind)]]
    versions = dict.fromkeys(keys, 1)
    hist = m.HistoryEntry
    past = session.execute(
        select(hist.record_key, func.max(hist.row_version))
        .where(hist.kind == kind, hist.record_key.in_(keys)).group_by(hist.record_key)).all()
    model = KINDS[kind].model
    keycol = getattr(model, _key_name(kind))
    for rk, high in past:  # a re-created record continues after its last version
        if high is not None:
            versions[rk] = int(high) + 1
            session.execute(update(model).where(keycol == _key_value(kind, rk))
                            .values(row_version=versions[rk]).execution_options(synchronize_session=False))
    return versions


def apply_changes(session: Session, kind: str, frame: pd.DataFrame, rows: Sequence[int], *,
                  file: str, mode: str, actor: str, dry_run: bool = False) -> ChangePreview:
    """Plan and write the import of the validated ``frame`` in the caller's transaction.

    Raises :class:`ValidationError` (and the caller rolls back) for append-mode conflicts,
    rows another record still refers to (replace), a row changed by someone else meanwhile,
    or a database refusal. With ``dry_run`` everything is computed and checked inside the
    transaction exactly as for a real run, then rolled back: nothing is written.
    """
    h.begin_write(session)
    spec = KINDS[kind]
    if spec.check is not None and spec.check_on_import and (problems := spec.check(frame, file)):
        raise ValidationError(problems)
    plan = _plan(session, kind, frame, rows, file=file, mode=mode)
    preview = plan.preview
    db_check = KINDS[kind].db_check
    if db_check is not None and (problems := db_check(session, frame, list(rows), file)):
        raise ValidationError(problems)
    cs = h.ChangeSet(actor, f"import {file} ({mode})")
    keyname = _key_name(kind)
    changes: list[h.RecordChange | None] = []
    ensure_reference_rows(session)
    try:
        with session.begin_nested():
            if preview.added:
                added = set(preview.added)
                mask = [h.record_key(k) in added for k in frame[keyname]]
                versions = _insert_rows(session, kind, frame[mask].reset_index(drop=True), file)
                changes += [h.RecordChange.between(kind, k, None, plan.new_rows[k], row_version=versions[k])
                            for k in preview.added]
            for change in preview.changed:
                version = update_record(session, kind, _key_value(kind, change.key), change.changes,
                                        expected_version=plan.versions[change.key])
                if version is None:
                    raise ValidationError.single(
                        file, f"{kind} {change.key} was changed by someone else during the import; "
                        "nothing was written — run the import again (导入期间记录被他人修改)", column=keyname,
                        value=change.key)
                changes.append(h.RecordChange(kind, change.key, "update", change.changes, change.old,
                                              change.new, version))
            if preview.removes and preview.removed:
                problems = removal_dependants(session, kind, preview.removed, file=file)
                if problems:
                    raise ValidationError(problems)
                stored = _records(read_frame(session, kind), kind)
                keys = [_key_value(kind, k) for k in preview.removed]
                spec = KINDS[kind]
                for link in spec.lists.values():
                    session.execute(delete(link.model).where(getattr(link.model, link.owner).in_(keys)))
                session.execute(delete(spec.model).where(getattr(spec.model, keyname).in_(keys))
                                .execution_options(synchronize_session=False))
                changes += [h.RecordChange.between(kind, k, stored[k], None, row_version=plan.versions.get(k))
                            for k in preview.removed]
            written = h.record(session, cs, changes)
    except IntegrityError as exc:
        raise ValidationError([Problem(file, None, None, None,
                                       f"rejected by the database (数据库拒绝): {exc.orig}")]) from exc
    if dry_run:
        session.rollback()
        return preview
    return ChangePreview(preview.kind, preview.file, preview.mode, preview.added, preview.changed,
                         preview.unchanged, preview.removed, True, written, preview.warnings)

