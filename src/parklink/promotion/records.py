"""Validated single-record writes of the promotion kinds with history and row versions.

The web API and the CLI create and edit one record at a time; these helpers run the same
column checks as an import (:func:`parklink.ingest.validate.validate_table`, with foreign
keys looked up for the values used only), the kind's row checks
(:attr:`parklink.store.io.KindMap.db_check`), write in the caller's transaction, and record
every change in the history (:mod:`parklink.store.history`) — inserts with their starting
``row_version``, updates field by field with ``row_version + 1`` checked in the ``UPDATE``
(:func:`parklink.ingest.changes.update_record`); a lost race raises
:class:`~parklink.errors.ConflictError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from parklink import tables as t
from parklink.errors import ConflictError, NotFoundError, Problem, ValidationError
from parklink.store import history as h

__all__ = ["insert_records", "read_record", "stored_version", "update_fields", "validate_records"]


def _refs(session: Session, schema: t.TableSchema, frame: pd.DataFrame) -> dict[str, set[str]]:
    """The referenced keys that exist, for the values the rows use (not whole tables)."""
    from parklink.store.io import KINDS

    out: dict[str, set[str]] = {}
    for col in schema.columns:
        if col.ref is None or col.name not in frame.columns:
            continue
        ref_kind, ref_col = col.ref.split(".", 1)
        used: set[str] = set()
        for v in frame[col.name].tolist():
            used.update(t.split_list(v) if col.type == "list" else ([] if h.is_missing(v) else [str(v)]))
        attr = getattr(KINDS[ref_kind].model, ref_col)
        have: set[str] = out.setdefault(col.ref, set())
        vals = sorted(used)
        for i in range(0, len(vals), 500):
            have.update(str(v) for v in session.scalars(select(attr).where(attr.in_(vals[i:i + 500]))))
    return out


def validate_records(session: Session, kind: str, rows: Sequence[Mapping[str, Any]], *,
                     file: str) -> pd.DataFrame:
    """The canonical typed frame of ``rows`` (dicts of schema columns; missing columns empty)
    after every column check, foreign key and row check; ValidationError naming each problem
    (rows numbered from 2, as in a file with a header)."""
    from parklink.ingest.readers import TextTable
    from parklink.ingest.validate import validate_table
    from parklink.store.io import KINDS

    schema = t.schema(kind)
    unknown = sorted({k for r in rows for k in r if k not in schema.names and k != "row_version"})
    if unknown:
        raise ValidationError([Problem(file, None, k, None, f"unknown field of {kind} (未知字段)") for k in unknown])
    texts = [{c.name: h.canonical_text(c.type, r.get(c.name)) for c in schema.columns} for r in rows]
    frame = pd.DataFrame(texts, columns=list(schema.names), dtype=object)
    numbers = np.arange(2, 2 + len(frame), dtype=np.int64)
    checked = validate_table(TextTable(file, frame, numbers), schema, refs=_refs(session, schema, frame))
    problems = list(checked.problems)
    db_check = KINDS[kind].db_check
    if not problems and db_check is not None:
        problems = db_check(session, checked.frame, numbers.tolist(), file)
    if problems:
        raise ValidationError(problems)
    return checked.frame


def insert_records(session: Session, kind: str, frame: pd.DataFrame, cs: h.ChangeSet) -> dict[str, int]:
    """Insert the validated canonical ``frame`` of ``kind`` and its history entries; the
    ``row_version`` of each new record by key (a re-created key continues after its past
    versions). A duplicate key raises ValidationError."""
    from parklink.store.io import KINDS, write_frame

    key = t.schema(kind).key[0]
    keys = [h.record_key(k) for k in frame[key]]
    try:
        with session.begin_nested():
            write_frame(session, kind, frame, source=cs.via)
    except ValidationError as exc:
        raise ValidationError([Problem(cs.via, None, key, ", ".join(keys),
                                       f"already stored or refused by the database (已存在或被拒绝): "
                                       f"{exc.problems[0].reason if exc.problems else exc}")]) from exc
    model = KINDS[kind].model
    versions: dict[str, int] = {}
    for k in keys:
        v = h.next_row_version(session, kind, k)
        if v != 1:
            session.execute(update(model).where(getattr(model, key) == k).values(row_version=v)
                            .execution_options(synchronize_session=False))
        versions[k] = v
    canon = {h.record_key(r[key]): h.canonical_row(kind, {str(c): v for c, v in r.items()})
             for r in frame.to_dict("records")}
    h.record(session, cs, [h.RecordChange.between(kind, k, None, canon[k], row_version=versions[k]) for k in keys])
    return versions


def read_record(session: Session, kind: str, key: str) -> tuple[dict[str, Any], int]:
    """The stored record ``key`` of ``kind`` (schema columns, typed) and its row_version;
    NotFoundError when absent."""
    from parklink.store.io import KINDS

    schema = t.schema(kind)
    model = KINDS[kind].model
    attrs = [getattr(model, c) for c in schema.names]
    row = session.execute(select(*attrs, model.row_version)  # type: ignore[attr-defined]
                          .where(getattr(model, schema.key[0]) == key)).first()
    if row is None:
        raise NotFoundError(f"{kind} {key!r} not found (未找到)")
    values = dict(zip(schema.names, row[:-1], strict=True))
    return values, int(row[-1])


def stored_version(session: Session, kind: str, key: str) -> int | None:
    """The stored row_version of ``key`` (None when absent)."""
    from parklink.store.io import KINDS

    model = KINDS[kind].model
    v = session.scalar(select(model.row_version).where(getattr(model, t.schema(kind).key[0]) == key))  # type: ignore[attr-defined]
    return None if v is None else int(v)


def update_fields(session: Session, kind: str, key: str, changes: Mapping[str, Any], *,
                  expected_version: int | None, cs: h.ChangeSet) -> int:
    """Change fields of the record ``key`` (validated as a whole row), checked against
    ``expected_version`` (None: the version read now); the new version. ConflictError when
    the stored version differs or changes during the write; NotFoundError when absent."""
    from parklink.ingest.changes import update_record

    schema = t.schema(kind)
    keyname = schema.key[0]
    if keyname in changes and h.record_key(changes[keyname]) != key:
        raise ValidationError.single(cs.via, "the key of a record cannot be changed (主键不可修改)", column=keyname)
    old, version = read_record(session, kind, key)
    if expected_version is not None and version != expected_version:
        raise ConflictError(kind, key, stored=version, expected=expected_version)
    new = {**old, **{k: v for k, v in changes.items() if k != "row_version"}}
    frame = validate_records(session, kind, [new], file=cs.via)
    old_c = h.canonical_row(kind, old)
    new_c = h.canonical_row(kind, {str(c): v for c, v in frame.iloc[0].to_dict().items()})
    change = h.RecordChange.between(kind, key, old_c, new_c)
    if change is None:
        return version
    try:
        got = update_record(session, kind, key, change.changes, expected_version=version)
    except IntegrityError as exc:
        raise ValidationError.single(cs.via, f"refused by the database (数据库拒绝): {exc.orig}") from exc
    if got is None:
        raise ConflictError(kind, key, stored=stored_version(session, kind, key), expected=version)
    h.record(session, cs, [h.RecordChange(kind, key, "update", change.changes, old_c, new_c, got)])
    return got
