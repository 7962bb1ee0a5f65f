"""Record history: every change of a registry record, field by field (table ``history``).

Every write of a registry row — an import (``parklink import``, any mode), an API write or a
web-form edit — computes the change between two **canonical rows** (the shape of
:func:`parklink.store.io.read_frame`: schema columns, list columns ``;``-joined) and records
it here in the same transaction as the write:

* an **update** gives one entry per changed field, with the canonical text of the old and
  the new value;
* an **insert** gives one entry (``field`` NULL) holding the whole new row as JSON in
  ``new_value``; a **delete** one entry holding the whole old row in ``old_value``.

Each entry also carries who (``actor``), when (``at``, timezone-aware UTC), through what
(``via``: ``import parks.csv``, ``api``, ``web form``), the ``source_url`` and
``confidence`` of the record *after* the change (of the deleted row for a delete), the
record's ``row_version`` after the change, and a ``change_set`` id shared by every entry of
one import or one edit.

Canonical text (so that a value compares equal however it arrived — file cell, JSON body,
stored row): missing, NaN and empty text are ``None``; booleans ``true``/``false``; integers
in decimal; floats as Python's shortest round-trip ``repr``; dates ISO 8601; lists their
items ``;``-joined (an empty list is ``None``).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from parklink import tables as t
from parklink.store import models as m

#: Stored columns of a kind beyond its canonical schema that writers may change (history
#: records them like schema fields).
EXTRA_FIELDS: dict[str, tuple[str, ...]] = {"designations": ("revoked_year",)}

#: Provenance fields: changing only these does not change a fact.
PROVENANCE_FIELDS = ("source_url", "confidence")

CanonicalRow = dict[str, str | None]


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One changed field: canonical text before and after (None = empty)."""

    field: str
    old: str | None
    new: str | None

    def __str__(self) -> str:
        return f"{self.field}: {_show(self.old)} → {_show(self.new)}"


def _show(value: str | None) -> str:
    return "∅" if value is None else repr(value)


def is_missing(value: Any) -> bool:
    """True for None, pandas NA/NaT and float NaN (an empty cell)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def canonical_text(col_type: str, value: Any) -> str | None:
    """The canonical text of ``value`` for a column of type ``col_type`` (``tables.ColumnType``)."""
    if isinstance(value, np.generic):
        value = value.item()
    if col_type == "list":
        if not isinstance(value, list | tuple | set) and is_missing(value):
            return None
        items = t.split_list(value)
        return ";".join(items) if items else None
    if is_missing(value):
        return None
    if col_type == "bool":
        if isinstance(value, str):
            return value.strip().lower() or None
        return "true" if bool(value) else "false"
    if col_type == "int":
        return str(int(value))
    if col_type == "float":
        number = float(value)
        return None if math.isnan(number) else repr(number + 0.0)
    if col_type == "date":
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value) or None
    text = str(value)
    return text if text != "" else None


def typed_value(col_type: str, text: str | None) -> Any:
    """The database value of a canonical text (the inverse of :func:`canonical_text` for
    scalar columns; list columns stay ``;``-joined text)."""
    if text is None:
        return None
    if col_type == "bool":
        return text == "true"
    if col_type == "int":
        return int(text)
    if col_type == "float":
        return float(text)
    if col_type == "date":
        return dt.date.fromisoformat(text)
    return text


def fields_of(kind: str) -> tuple[tuple[str, str], ...]:
    """(field, column type) of every recorded field of ``kind``: schema columns, then extras."""
    schema = t.schema(kind)
    return tuple((c.name, c.type) for c in schema.columns) + tuple(
        (name, "int") for name in EXTRA_FIELDS.get(kind, ()))


def canonical_row(kind: str, row: Mapping[str, Any]) -> CanonicalRow:
    """The canonical text of every field of ``kind`` present in ``row`` (a read_frame record,
    a web row with Python lists, or a validated import record)."""
    return {name: canonical_text(typ, row[name]) for name, typ in fields_of(kind) if name in row}


def diff_rows(old: Mapping[str, str | None], new: Mapping[str, str | None]) -> list[FieldChange]:
    """The fields whose canonical text differs, in the order of ``new`` (fields absent from
    either side are not compared)."""
    return [FieldChange(f, old[f], v) for f, v in new.items() if f in old and old[f] != v]


def record_key(value: Any) -> str:
    """A record key as stored in ``history.record_key`` (text)."""
    if isinstance(value, np.generic):
        value = value.item()
    return str(value)


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Who changes what through which path: shared by every entry of one import or edit."""

    actor: str
    via: str
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


@dataclass(frozen=True, slots=True)
class RecordChange:
    """The change of one record: ``action`` with its field changes (updates) or the whole
    row (inserts: ``new``; deletes: ``old``), and the record's version after it."""

    kind: str
    key: str
    action: str
    changes: tuple[FieldChange, ...] = ()
    old: CanonicalRow | None = None
    new: CanonicalRow | None = None
    row_version: int | None = None

    @classmethod
    def between(cls, kind: str, key: Any, old: CanonicalRow | None, new: CanonicalRow | None,
                *, row_version: int | None = None) -> RecordChange | None:
        """The change from ``old`` to ``new`` (None for either side: insert / delete);
        None when nothing changed."""
        if old is None and new is None:
            return None
        if old is None:
            return cls(kind, record_key(key), "insert", new=new, row_version=row_version)
        if new is None:
            return cls(kind, record_key(key), "delete", old=old, row_version=row_version)
        changes = tuple(diff_rows(old, new))
        if not changes:
            return None
        return cls(kind, record_key(key), "update", changes, old, new, row_version)

    def fact_changed(self) -> bool:
        """True when a field other than the provenance fields changed."""
        return any(c.field not in PROVENANCE_FIELDS for c in self.changes)


def _entries(cs: ChangeSet, change: RecordChange) -> list[dict[str, Any]]:
    row = change.new if change.action != "delete" else change.old
    prov = row or {}
    base = {
        "change_set": cs.id, "kind": change.kind, "record_key": change.key, "action": change.action,
        "source_url": prov.get("source_url"), "confidence": prov.get("confidence"),
        "row_version": change.row_version, "actor": cs.actor[:80], "via": cs.via[:200], "at": cs.at,
    }
    if change.action == "update":
        return [{**base, "field": c.field, "old_value": c.old, "new_value": c.new} for c in change.changes]
    whole = json.dumps(row, ensure_ascii=False)
    return [{**base, "field": None,
             "old_value": whole if change.action == "delete" else None,
             "new_value": whole if change.action == "insert" else None}]


def record(session: Session, cs: ChangeSet, changes: Iterable[RecordChange | None]) -> int:
    """Write the history entries of ``changes`` (None items skipped) in the session's
    transaction (one multi-row INSERT); the number of entries written."""
    rows = [e for c in changes if c is not None for e in _entries(cs, c)]
    if rows:
        session.execute(insert(m.HistoryEntry), rows)
    return len(rows)


def next_row_version(session: Session, kind: str, key: Any) -> int:
    """The ``row_version`` a newly inserted record of ``kind`` with ``key`` starts at: one
    past the highest version it ever had (a deleted and re-created record never reuses a
    version, so an old ETag cannot match the new record), else 1."""
    high = session.execute(
        select(func.max(m.HistoryEntry.row_version))
        .where(m.HistoryEntry.kind == kind, m.HistoryEntry.record_key == record_key(key))
    ).scalar_one_or_none()
    return int(high) + 1 if high is not None else 1


def begin_write(session: Session) -> None:
    """Make sure the session's work runs in one real database transaction that may write.

    On SQLite the ``sqlite3`` driver (legacy transaction control) opens a transaction only
    before a data-changing statement, so a ``SAVEPOINT`` issued first would start — and its
    ``RELEASE`` commit — a transaction of its own, and reads before the first write would
    see no stable snapshot. When the driver has no transaction open, this issues
    ``BEGIN IMMEDIATE``: the write lock is taken now (a concurrent writer waits for it,
    bounded by the busy timeout), so the rows read next are the ones the writes replace.
    With the engines of :func:`parklink.store.db.get_engine` (which begin SQLite
    transactions lazily) it emits their pending ``BEGIN IMMEDIATE`` now. A transaction
    already open (by an earlier write) is kept. No-op on other databases (PostgreSQL's transactions
    start with the first statement; concurrent updates are caught by the row versions).
    """
    from parklink.store.db import begin_pending

    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    begin_pending(conn)  # engines of store.db: the BEGIN they left pending, now
    raw = conn.connection.dbapi_connection
    if raw is not None and not getattr(raw, "in_transaction", True):  # an engine without those hooks
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite gives naive datetimes back: they were written as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def read_history(session: Session, kind: str, key: Any, *, limit: int = 500) -> list[dict[str, Any]]:
    """The history of one record, newest first (at most ``limit`` entries).

    Each entry: ``id, change_set, at`` (ISO 8601, UTC), ``actor, via, action, field, old,
    new, source_url, confidence, row_version``. ``kind`` is validated against the schemas
    (ValueError otherwise); an unknown key simply has no history.
    """
    t.schema(kind)
    h = m.HistoryEntry
    rows = session.execute(
        select(h.id, h.change_set, h.at, h.actor, h.via, h.action, h.field, h.old_value, h.new_value,
               h.source_url, h.confidence, h.row_version)
        .where(h.kind == kind, h.record_key == record_key(key))
        .order_by(h.id.desc()).limit(limit)
    ).all()
    return [
        {"id": r.id, "change_set": r.change_set, "at": _aware(r.at).isoformat(), "actor": r.actor,
         "via": r.via, "action": r.action, "field": r.field, "old": r.old_value, "new": r.new_value,
         "source_url": r.source_url, "confidence": r.confidence, "row_version": r.row_version}
        for r in rows
    ]
