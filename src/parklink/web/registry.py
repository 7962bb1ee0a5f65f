"""Registry reads and writes for the web layer: pages of rows, single rows, validated writes.

Rows are read with SQLAlchemy Core (a page of keys first, then one statement reading the
main rows of just those keys with every list column aggregated in a correlated subquery),
so a page costs a fixed number of small queries whatever the size of the registry. Writes validate the merged record with the import validator
(:func:`parklink.ingest.validate.validate_table`: types, choices, ranges, patterns,
foreign keys, duplicate keys, points inside the two provinces), write only the fields that
changed, record each change in the record history (:mod:`parklink.store.history`) and add an
:class:`~parklink.store.models.AuditEntry`, all in the same transaction.

Concurrency: every row carries ``row_version``. An update or delete names the version it
expects (the API's ``If-Match``; 412 when the stored version already differs) and the
``UPDATE``/``DELETE`` repeats that version in its ``WHERE`` clause, so a write that lost a
race changes nothing (409). Without an expected version, an update that loses the race is
re-read, re-validated and re-applied (a few attempts): two simultaneous edits of different
fields both survive.

Provenance: an API or web edit that changes a fact without giving a new ``source_url`` cannot
leave the record ``confirmed`` or ``likely``: its ``confidence`` drops to ``unconfirmed`` in
the same write (and the history says so). A new record without a ``source_url`` is
``unconfirmed`` likewise.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from functools import cache, lru_cache
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from fastapi import HTTPException
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    bindparam,
    cast,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from parklink import tables as t
from parklink.errors import NotFoundError, Problem, ValidationError
from parklink.ingest.geo import ProvinceArea, default_area
from parklink.ingest.readers import TextTable, cell_text
from parklink.ingest.validate import validate_table
from parklink.store import history as h
from parklink.store import models as m
from parklink.store.io import KINDS, ListLink, key_values, split_list, write_frame

#: Model columns a kind carries beyond its canonical schema.
EXTRA_COLUMNS: dict[str, tuple[str, ...]] = h.EXTRA_FIELDS
REQUEST = "request body"
#: Confidence levels an edit without a new source cannot keep.
SOURCED_CONFIDENCE = ("confirmed", "likely")
UNSOURCED = "unconfirmed"
#: Attempts of an update without an expected version that keeps losing races.
UPDATE_ATTEMPTS = 5


class ConflictError(ValidationError):
    """A write the database refuses because other records depend on this one (HTTP 409)."""


class VersionConflictError(ConflictError):
    """The row changed between reading and writing it: the write lost a race (HTTP 409)."""


class PreconditionFailed(HTTPException):
    """``If-Match`` names another version than the stored one (HTTP 412)."""

    def __init__(self, kind: str, key: Any, stored: int, expected: int) -> None:
        super().__init__(
            412, f"{kind} {key!r} is at version {stored}, not {expected}: it was changed since you read it; "
            "read it again (记录已被修改，请重新读取)", headers={"ETag": etag(stored)})
        self.stored = stored


def etag(version: int) -> str:
    """The entity tag of a row version (strong: the body of a detail is a function of it)."""
    return f'"{int(version)}"'


def parse_if_match(header: str | None) -> int | None:
    """The row version an ``If-Match`` header names: None for no header or ``*`` (any
    version); a list names its first tag. A tag that is no version of ours can never match:
    -1 (so the write answers 412)."""
    if header is None or not header.strip() or header.strip() == "*":
        return None
    tag = header.split(",")[0].strip().removeprefix("W/").strip('"')
    return int(tag) if tag.isdigit() and len(tag) < 12 else -1


@lru_cache(maxsize=1)
def province_area() -> ProvinceArea:
    """The Sichuan + Chongqing area used to check points (cached: built once per process)."""
    return default_area()


def model_of(kind: str) -> type[m.Base]:
    """The ORM model of a registry kind."""
    return KINDS[kind].model


def key_column(kind: str) -> Any:
    """The primary-key column of ``kind``."""
    return getattr(model_of(kind), t.schema(kind).key[0])


def scalar_columns(kind: str) -> list[str]:
    """Schema columns stored in the main table, plus model-only extras."""
    spec = KINDS[kind]
    return [c for c in t.schema(kind).names if c not in spec.lists] + list(EXTRA_COLUMNS.get(kind, ()))


#: Separators of the aggregated list cells read by :func:`fetch_rows`: items are joined
#: with ``;`` (an item never contains it: list cells are ``;``-joined text in the canonical
#: format) and each item carries its stored position as a ``position:`` prefix, because
#: SQLite before 3.44 has no ``ORDER BY`` inside ``group_concat``.
LIST_SEP = ";"
POSITION_SEP = ":"


def _list_aggregate(link: ListLink, key: Any) -> Any:
    """Correlated scalar subquery: the ``position:item`` texts of ``link`` for the row ``key``."""
    owner = getattr(link.model, link.owner)
    position: Any = link.model.position  # type: ignore[attr-defined]
    text = cast(position, String).concat(POSITION_SEP).concat(getattr(link.model, link.item))
    if link.model is m.SegmentCode:
        text = text.concat(":").concat(m.SegmentCode.quality)
    return select(func.aggregate_strings(text, LIST_SEP)).where(owner == key).scalar_subquery()


def _ordered_items(text: str | None) -> list[str]:
    """The items of an aggregated list cell, in stored position order."""
    if not text:
        return []
    if LIST_SEP not in text:
        return [text.partition(POSITION_SEP)[2]]
    pairs = sorted((int(pos), item) for pos, _, item in (p.partition(POSITION_SEP) for p in text.split(LIST_SEP)))
    return [item for _, item in pairs]


class _RowReader(NamedTuple):
    """The prebuilt read of one kind (see :func:`_row_reader`)."""

    columns: tuple[Any, ...]  # labelled: scalar columns and aggregated list columns
    many: Select[Any]  # rows of the keys bound to ``keys``
    one: Select[Any]  # the row of the key bound to ``key``
    order: tuple[str, ...]  # output column names
    aggregated: tuple[str, ...]  # list columns read as aggregated 'position:item' text
    texts: tuple[str, ...]  # list columns stored as ';'-joined text in the main table


@cache
def _row_reader(kind: str) -> _RowReader:
    """The statements that read whole rows of ``kind``.

    One statement reads the main rows and every list column (as an aggregated correlated
    subquery on the link table's primary-key index); built once per kind, so SQLAlchemy's
    compiled-statement cache serves every call.
    """
    model = model_of(kind)
    spec = KINDS[kind]
    key = key_column(kind)
    order = tuple(t.schema(kind).names) + EXTRA_COLUMNS.get(kind, ()) + ("row_version",)
    columns = tuple(
        _list_aggregate(spec.lists[c], key).label(c) if c in spec.lists else getattr(model, c).label(c)
        for c in order
    )
    texts = tuple(
        c.name for c in t.schema(kind).columns if c.type == "list" and c.name not in spec.lists
    )
    return _RowReader(
        columns,
        select(*columns).where(key.in_(bindparam("keys", expanding=True))),
        select(*columns).where(key == bindparam("key")),
        order,
        tuple(spec.lists),
        texts,
    )


def _decode(kind: str, values: Sequence[Any]) -> dict[str, Any]:
    """One result row of :func:`_row_reader`'s statements as a dict (lists as Python lists)."""
    reader = _row_reader(kind)
    row = dict(zip(reader.order, values[: len(reader.order)], strict=True))
    for col in reader.aggregated:
        row[col] = _ordered_items(row[col])
    for col in reader.texts:  # list columns kept as ';'-joined text in the main table
        row[col] = split_list(row[col])
    return row


def fetch_rows(session: Session, kind: str, keys: Sequence[Any]) -> list[dict[str, Any]]:
    """The rows of ``kind`` with these keys (in the order given; missing keys skipped).

    List columns are Python lists; other values as stored (dates as ``date``). One Core
    statement per call (see :func:`_row_reader`), whatever the number of list columns.
    """
    if not keys:
        return []
    conn = session.connection()
    if len(keys) == 1:  # a detail: the non-expanding statement skips rendering the IN list
        found = conn.execute(_row_reader(kind).one, {"key": keys[0]}).first()
        return [] if found is None else [_decode(kind, found)]
    keyname = t.schema(kind).key[0]
    rows = {}
    for r in conn.execute(_row_reader(kind).many, {"keys": list(keys)}):
        row = _decode(kind, r)
        rows[row[keyname]] = row
    return [rows[k] for k in keys if k in rows]


def get_row(session: Session, kind: str, key: Any) -> dict[str, Any]:
    """One row of ``kind`` by key; NotFoundError (HTTP 404) when absent."""
    rows = fetch_rows(session, kind, [key])
    if not rows:
        raise NotFoundError(f"{kind[:-1] if kind.endswith('s') else kind} {key!r} not found (未找到)")
    return rows[0]


def page_rows(
    session: Session,
    kind: str,
    *,
    where: Sequence[ColumnElement[bool]] = (),
    order_by: Sequence[Any] = (),
    page: int = 1,
    page_size: int = 50,
) -> tuple[list[dict[str, Any]], int]:
    """(rows of the requested page, total rows matching ``where``); key order breaks ties.

    One statement: the page's keys in a subquery joined back to the whole rows of just
    those keys (:func:`_row_reader`'s columns), with the total in an extra column — with
    filters a window ``count(*) OVER ()`` in the key subquery (one pass over the filtered
    rows), without them a scalar ``count(*)`` subquery. Only a page past the end needs a
    separate count.
    """
    model = model_of(kind)
    key = key_column(kind)
    conn = session.connection()
    if where:
        keys = select(key.label("page_key"), func.count().over().label("page_total")).where(*where)
    else:
        keys = select(key.label("page_key"), select(func.count()).select_from(model).scalar_subquery()
                      .label("page_total"))
    page_keys = keys.order_by(*order_by, key).limit(page_size).offset((page - 1) * page_size).subquery("page")
    stmt = select(*_row_reader(kind).columns, page_keys.c.page_total)
    stmt = stmt.join_from(model, page_keys, key == page_keys.c.page_key).order_by(*order_by, key)
    found = conn.execute(stmt).all()
    if found:
        total = int(found[0][-1])
    else:
        total = int(conn.execute(select(func.count()).select_from(model).where(*where)).scalar() or 0)
    return [_decode(kind, r) for r in found], total


def sort_clause(kind: str, sort: str | None, allowed: Sequence[str]) -> list[Any]:
    """ORDER BY terms for ``sort`` ('col' or '-col' for descending); ValidationError otherwise."""
    if not sort:
        return []
    desc = sort.startswith("-")
    name = sort.removeprefix("-")
    if name not in allowed:
        raise ValidationError.single(
            "query", f"cannot sort by {name!r}; use one of {', '.join(allowed)} (排序字段无效)",
            column="sort", value=sort,
        )
    col = getattr(model_of(kind), name)
    return [col.desc() if desc else col.asc()]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, float) and np.isnan(value):
        return None
    return value


def to_json(row: Mapping[str, Any] | None) -> str | None:
    """A row as JSON text (dates ISO) for the audit log."""
    if row is None:
        return None
    return json.dumps({k: _jsonable(v) for k, v in row.items()}, ensure_ascii=False, sort_keys=True)


def validate_record(session: Session, kind: str, record: Mapping[str, Any], *, creating: bool) -> pd.DataFrame:
    """Validate one record of ``kind`` as the importer does; the canonical one-row frame.

    Raises :class:`ValidationError` with one problem per rejected field.
    """
    schema = t.schema(kind)
    cells = {c: cell_text(record.get(c)) for c in schema.names}
    table = TextTable(REQUEST, pd.DataFrame([cells], dtype=object), np.array([2], dtype=np.int64))
    refs: dict[str, set[str]] = {}
    for col in schema.columns:
        if col.ref and col.ref not in refs:
            ref_kind, ref_col = col.ref.split(".", 1)
            refs[col.ref] = key_values(session, ref_kind, ref_col)
    existing = key_values(session, kind, schema.key[0]) if creating else None
    checked = validate_table(table, schema, refs=refs, existing_keys=existing, area=province_area())
    if checked.problems:
        raise ValidationError(checked.problems)
    rows = checked.frame
    if kind == "parks":  # parent cycles need every stored parent, with this record's in place
        stored = pd.DataFrame(session.execute(select(m.Park.park_id, m.Park.parent_park_id)).all(),
                              columns=["park_id", "parent_park_id"])
        rows = pd.concat([rows[["park_id", "parent_park_id"]],
                          stored[stored["park_id"] != str(rows["park_id"].iloc[0])]], ignore_index=True)
    check = KINDS[kind].check
    if check is not None and (problems := [p for p in check(rows, REQUEST) if p.row == 2]):
        raise ValidationError(problems)
    return checked.frame


def _audit(session: Session, actor: str, action: str, kind: str, key: Any,
           before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> None:
    session.add(
        m.AuditEntry(
            actor=actor, action=action, entity=kind, entity_id=str(key),
            before_json=to_json(before), after_json=to_json(after),
        )
    )
    session.flush()


def _check_extras(kind: str, record: Mapping[str, Any]) -> None:
    revoked = record.get("revoked_year") if kind == "designations" else None
    year = record.get("year")  # None (a PATCH setting it to null) is reported by the validator
    if revoked is not None and year is not None and int(revoked) < int(year):
        raise ValidationError.single(
            REQUEST, "revoked_year must not be before year (撤销年份不能早于认定年份)",
            row=2, column="revoked_year", value=revoked,
        )


def _integrity(exc: IntegrityError, what: str) -> ConflictError:
    return ConflictError(
        [Problem(REQUEST, None, None, None, f"{what} refused by the database: other records "
                 f"depend on it or it breaks a constraint ({str(exc.orig).splitlines()[0]})")]
    )


def _canonical_after(kind: str, frame: pd.DataFrame, merged: Mapping[str, Any]) -> h.CanonicalRow:
    record = {str(k): v for k, v in frame.iloc[0].to_dict().items()}
    for extra in EXTRA_COLUMNS.get(kind, ()):
        record[extra] = merged.get(extra)
    return h.canonical_row(kind, record)


def _sourced(kind: str, before: h.CanonicalRow, after: h.CanonicalRow) -> h.CanonicalRow:
    """``after`` with ``confidence`` dropped to ``unconfirmed`` when a fact changed without a
    new ``source_url`` and the record would otherwise stay confirmed or likely."""
    if "confidence" not in after or "source_url" not in after:
        return after
    facts = any(f not in h.PROVENANCE_FIELDS and before.get(f) != v for f, v in after.items())
    new_source = after["source_url"] is not None and after["source_url"] != before.get("source_url")
    if facts and not new_source and after["confidence"] in SOURCED_CONFIDENCE:
        return {**after, "confidence": UNSOURCED}
    return after


def create_row(session: Session, kind: str, data: Mapping[str, Any], *, actor: str,
               via: str = "api") -> dict[str, Any]:
    """Validate and insert a new row of ``kind``; history and audit. Returns the stored row.

    A record without ``source_url`` cannot be created ``confirmed`` or ``likely``: it is
    stored ``unconfirmed``.
    """
    h.begin_write(session)
    schema = t.schema(kind)
    data = dict(data)
    if "confidence" in schema.names and not data.get("source_url") \
            and data.get("confidence") in SOURCED_CONFIDENCE:
        data["confidence"] = UNSOURCED
    frame = validate_record(session, kind, data, creating=True)
    try:
        write_frame(session, kind, frame, mode="append", source=REQUEST)
    except ValidationError as exc:
        raise ConflictError(exc.problems) from exc
    key = frame[schema.key[0]].iloc[0]
    key = key.item() if hasattr(key, "item") else key
    version = h.next_row_version(session, kind, key)
    if version != 1:
        session.execute(update(model_of(kind)).where(key_column(kind) == key).values(row_version=version)
                        .execution_options(synchronize_session=False))
    after = get_row(session, kind, key)
    h.record(session, h.ChangeSet(actor, via), [
        h.RecordChange.between(kind, key, None, h.canonical_row(kind, after), row_version=version)])
    _audit(session, actor, "create", kind, key, None, after)
    return after


def update_row(
    session: Session, kind: str, key: Any, changes: Mapping[str, Any], *, actor: str,
    expected_version: int | None = None, via: str = "api",
) -> dict[str, Any]:
    """Apply ``changes`` (a partial record) to a row of ``kind``: validated, only the changed
    fields written, recorded in the history and audited. Returns the stored row.

    ``expected_version`` (from ``If-Match``): :class:`PreconditionFailed` (412) when the
    stored version differs, :class:`VersionConflictError` (409) when the row changes between the
    read and the write. Without it a lost race is retried on the fresh row (at most
    :data:`UPDATE_ATTEMPTS` times). Nothing changes (no write, no new version) when the
    merged record equals the stored one. A fact changed without a new ``source_url`` makes a
    confirmed or likely record ``unconfirmed`` (see the module docstring).
    """
    from parklink.ingest.changes import update_record

    h.begin_write(session)
    _lock_row(session, kind, key)
    for _attempt in range(UPDATE_ATTEMPTS):
        before = get_row(session, kind, key)
        version = int(before["row_version"])
        if expected_version is not None and version != expected_version:
            raise PreconditionFailed(kind, key, version, expected_version)
        merged = {**before, **changes}
        _check_extras(kind, merged)
        frame = validate_record(session, kind, merged, creating=False)
        old = h.canonical_row(kind, before)
        new = _sourced(kind, old, _canonical_after(kind, frame, merged))
        change = h.RecordChange.between(kind, key, old, new)
        if change is None:
            return before
        try:
            with session.begin_nested():
                written = update_record(session, kind, key, change.changes, expected_version=version)
        except IntegrityError as exc:
            raise _integrity(exc, "update") from exc
        if written is None:
            if expected_version is not None:
                break
            continue
        h.record(session, h.ChangeSet(actor, via), [
            h.RecordChange(kind, change.key, "update", change.changes, old, new, written)])
        after = get_row(session, kind, key)
        _audit(session, actor, "update", kind, key, before, after)
        return after
    raise VersionConflictError([Problem(REQUEST, None, "row_version", None,
                                   f"{kind} {key!r} was changed by another writer at the same time; "
                                   "read it again and repeat the change (并发修改冲突)")])


def _lock_row(session: Session, kind: str, key: Any) -> None:
    """Lock the row for this transaction (``SELECT … FOR UPDATE``) so that concurrent writers
    of one row queue instead of racing: on PostgreSQL two PATCHes of one park then both apply
    (no 409 under contention). SQLite needs nothing: its write transactions begin IMMEDIATE,
    which already serialises writers."""
    if session.get_bind().dialect.name == "sqlite":
        return
    model: Any = model_of(kind)
    session.execute(select(model.row_version).where(key_column(kind) == key).with_for_update())


def delete_row(session: Session, kind: str, key: Any, *, actor: str, expected_version: int | None = None,
               via: str = "api") -> None:
    """Delete a row of ``kind`` (its list rows cascade); 409 when other rows refer to it or
    it changed meanwhile, 412 when ``expected_version`` is not the stored one. Recorded in
    the history (the whole deleted row) and audited."""
    h.begin_write(session)
    before = get_row(session, kind, key)
    version = int(before["row_version"])
    if expected_version is not None and version != expected_version:
        raise PreconditionFailed(kind, key, version, expected_version)
    model: Any = model_of(kind)
    try:
        with session.begin_nested():
            done = session.execute(delete(model).where(key_column(kind) == key, model.row_version == version)
                                   .execution_options(synchronize_session=False))
    except IntegrityError as exc:
        raise _integrity(exc, "delete") from exc
    if getattr(done, "rowcount", 0) != 1:
        raise VersionConflictError([Problem(REQUEST, None, "row_version", None,
                                       f"{kind} {key!r} was changed by another writer meanwhile; not deleted "
                                       "(并发修改冲突)")])
    h.record(session, h.ChangeSet(actor, via), [
        h.RecordChange.between(kind, key, h.canonical_row(kind, before), None, row_version=version)])
    _audit(session, actor, "delete", kind, key, before, None)


def _clean(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def audit(session: Session, actor: str, action: str, entity: str, entity_id: Any,
          before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> None:
    """Record one audit entry (used by writes that are not registry rows, e.g. users)."""
    _audit(session, actor, action, entity, entity_id, before, after)
