"""Registry reads and writes for the web layer: pages of rows, single rows, validated writes.

Rows are read with SQLAlchemy Core (a page of keys first, then the main rows and the
list columns of just those keys), so a page costs a fixed number of small queries whatever
the size of the registry. Writes validate the merged record with the import validator
(:func:`parklink.ingest.validate.validate_table`: types, choices, ranges, patterns,
foreign keys, duplicate keys, points inside the two provinces), write it, and add an
:class:`~parklink.store.models.AuditEntry` in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, delete, func, insert, select, update
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


def _list_values(session: Session, link: ListLink, keys: Sequence[Any]) -> dict[Any, list[str]]:
    owner = getattr(link.model, link.owner)
    item = getattr(link.model, link.item)
    cols = [owner, item]
    coded = link.model is m.SegmentCode
    if coded:
        cols.append(m.SegmentCode.quality)
    stmt = select(*cols).where(owner.in_(keys)).order_by(owner, link.model.position)  # type: ignore[attr-defined]
    out: dict[Any, list[str]] = {}
    for row in session.connection().execute(stmt):
        out.setdefault(row[0], []).append(f"{row[1]}:{row[2]}" if coded else str(row[1]))
    return out


def fetch_rows(session: Session, kind: str, keys: Sequence[Any]) -> list[dict[str, Any]]:
    """The rows of ``kind`` with these keys (in the order given; missing keys skipped).

    List columns are Python lists; other values as stored (dates as ``date``).
    """
    if not keys:
        return []
    model = model_of(kind)
    names = scalar_columns(kind)
    key = key_column(kind)
    conn = session.connection()  # Core execution: no ORM result processing for plain columns
    rows = {
        r[0]: dict(zip(names, r[1:], strict=True))
        for r in conn.execute(select(key, *[getattr(model, c) for c in names]).where(key.in_(keys)))
    }
    for col, link in KINDS[kind].lists.items():
        values = _list_values(session, link, list(rows))
        for k, row in rows.items():
            row[col] = values.get(k, [])
    for column in t.schema(kind).columns:  # list columns kept as ';'-joined text in the main table
        if column.type == "list" and column.name not in KINDS[kind].lists:
            for row in rows.values():
                row[column.name] = split_list(row[column.name])
    order = t.schema(kind).names + EXTRA_COLUMNS.get(kind, ())
    return [{c: rows[k][c] for c in order} for k in keys if k in rows]


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

    With filters, the total comes from a window ``count(*) OVER ()`` in the same query (one
    pass over the filtered rows); only a page past the end needs a separate count.
    """
    model = model_of(kind)
    key = key_column(kind)
    offset = (page - 1) * page_size
    conn = session.connection()
    if not where:  # an unfiltered count is cheap on its own, and the key index serves the page
        total = int(conn.execute(select(func.count()).select_from(model)).scalar() or 0)
        keys = list(conn.execute(select(key).order_by(*order_by, key).limit(page_size).offset(offset)).scalars())
        return fetch_rows(session, kind, keys), total
    stmt = select(key, func.count().over()).where(*where).order_by(*order_by, key).limit(page_size).offset(offset)
    found = conn.execute(stmt).all()
    if found:
        total = int(found[0][1])
    else:
        total = int(conn.execute(select(func.count()).select_from(model).where(*where)).scalar() or 0)
    return fetch_rows(session, kind, [r[0] for r in found]), total


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
