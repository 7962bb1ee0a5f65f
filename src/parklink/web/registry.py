"""Registry reads and writes for the web layer: pages of rows, single rows, validated writes.

Rows are read with SQLAlchemy Core (a page of keys first, then one statement reading the
main rows of just those keys with every list column aggregated in a correlated subquery),
so a page costs a fixed number of small queries whatever the size of the registry. Writes validate the merged record with the import validator
(:func:`parklink.ingest.validate.validate_table`: types, choices, ranges, patterns,
foreign keys, duplicate keys, points inside the two provinces), write it, and add an
:class:`~parklink.store.models.AuditEntry` in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from functools import cache, lru_cache
from typing import Any, NamedTuple

import numpy as np
import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    bindparam,
    cast,
    delete,
    func,
    insert,
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
from parklink.store import models as m
from parklink.store.io import KINDS, ListLink, key_values, split_list, write_frame
from parklink.web.status import invalidate

#: Model columns a kind carries beyond its canonical schema.
EXTRA_COLUMNS: dict[str, tuple[str, ...]] = {"designations": ("revoked_year",)}
REQUEST = "request body"


class ConflictError(ValidationError):
    """A write the database refuses because other records depend on this one (HTTP 409)."""


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
    order = tuple(t.schema(kind).names) + EXTRA_COLUMNS.get(kind, ())
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
    invalidate()
    session.add(
        m.AuditEntry(
            actor=actor, action=action, entity=kind, entity_id=str(key),
            before_json=to_json(before), after_json=to_json(after),
        )
    )
    session.flush()


def _check_extras(kind: str, record: Mapping[str, Any]) -> None:
    revoked = record.get("revoked_year") if kind == "designations" else None
    if revoked is not None and int(revoked) < int(record["year"]):
        raise ValidationError.single(
            REQUEST, "revoked_year must not be before year (撤销年份不能早于认定年份)",
            row=2, column="revoked_year", value=revoked,
        )


def _integrity(exc: IntegrityError, what: str) -> ConflictError:
    return ConflictError(
        [Problem(REQUEST, None, None, None, f"{what} refused by the database: other records "
                 f"depend on it or it breaks a constraint ({str(exc.orig).splitlines()[0]})")]
    )


def create_row(session: Session, kind: str, data: Mapping[str, Any], *, actor: str) -> dict[str, Any]:
    """Validate and insert a new row of ``kind``; audited. Returns the stored row."""
    schema = t.schema(kind)
    frame = validate_record(session, kind, data, creating=True)
    try:
        write_frame(session, kind, frame, mode="append", source=REQUEST)
    except ValidationError as exc:
        raise ConflictError(exc.problems) from exc
    key = frame[schema.key[0]].iloc[0]
    key = key.item() if hasattr(key, "item") else key
    after = get_row(session, kind, key)
    _audit(session, actor, "create", kind, key, None, after)
    return after


def update_row(
    session: Session, kind: str, key: Any, changes: Mapping[str, Any], *, actor: str
) -> dict[str, Any]:
    """Apply ``changes`` (a partial record) to a row of ``kind``, validated and audited."""
    spec = KINDS[kind]
    before = get_row(session, kind, key)
    merged = {**before, **changes}
    _check_extras(kind, merged)
    frame = validate_record(session, kind, merged, creating=False)
    record = frame.iloc[0].to_dict()
    model = spec.model
    keycol = key_column(kind)
    values = {c: _clean(record[c]) for c in t.schema(kind).names if c not in spec.lists and c != keycol.key}
    for extra in EXTRA_COLUMNS.get(kind, ()):
        values[extra] = merged.get(extra)
    try:
        with session.begin_nested():
            session.execute(update(model).where(keycol == key).values(**values))
            for col, link in spec.lists.items():
                session.execute(delete(link.model).where(getattr(link.model, link.owner) == key))
                items = [p for p in str(record[col] or "").split(";") if p.strip()]
                rows = []
                for pos, item in enumerate(items):
                    row: dict[str, Any] = {link.owner: key, "position": pos}
                    row.update(link.encode(item.strip()) if link.encode else {link.item: item.strip()})
                    rows.append(row)
                if rows:
                    session.execute(insert(link.model), rows)
    except IntegrityError as exc:
        raise _integrity(exc, "update") from exc
    after = get_row(session, kind, key)
    _audit(session, actor, "update", kind, key, before, after)
    return after


def delete_row(session: Session, kind: str, key: Any, *, actor: str) -> None:
    """Delete a row of ``kind`` (its list rows cascade); 409 when other rows refer to it."""
    before = get_row(session, kind, key)
    try:
        with session.begin_nested():
            session.execute(delete(model_of(kind)).where(key_column(kind) == key))
    except IntegrityError as exc:
        raise _integrity(exc, "delete") from exc
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
